"""conv_transpose1d/2d/3d with inf and NaN in the input, compared with PyTorch: output, input
gradient and weight gradient, NaNs in the same places.

The weight gradient is where PyTorch's code paths differ (ops/_conv_transpose_weight_grad.py):
a kernel tap that lands in padding gets 0 * inf = NaN from PyTorch's own kernels and from
oneDNN's gemm implementation, and no contribution from oneDNN's direct (jit) kernels. The
cases below cover each: float64 and small float32 problems (PyTorch's kernels), float32 on
oneDNN with a direct kernel (one group; depthwise) and with its gemm one (groups with several
channels, padding past the kernel), for 1-D, 2-D and 3-D, and the (2, 1) kernels that zeroing
every padding tap got wrong.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

# (x shape, w shape, stride, padding, output_padding, dilation, groups, dtype)
CASES = {
    # issue 15's fuzz finding: both taps of the one input position land in padding
    "1d-onednn-direct-issue": ((2, 1, 1), (1, 1, 2), 1, 1, 0, 2, 1, "float32"),
    "1d-onednn-direct": ((2, 1, 3), (1, 1, 2), 1, 1, 0, 1, 1, "float32"),
    "1d-onednn-direct-dilated": ((2, 2, 1), (2, 1, 3), 1, 2, 0, 2, 1, "float32"),
    "1d-onednn-depthwise": ((1, 2, 2), (2, 1, 2), 2, 1, 1, 1, 2, "float32"),
    "1d-onednn-gemm": ((2, 2, 4), (2, 2, 1), 2, 1, 0, 2, 1, "float32"),
    "1d-onednn-gemm-groups": ((1, 2, 4), (2, 1, 3), 2, 3, 0, 2, 2, "float32"),
    "1d-pytorch-kernel-float32": ((1, 1, 3), (1, 2, 1), 2, 2, 0, 2, 1, "float32"),
    "1d-pytorch-kernel-float64": ((1, 2, 4), (2, 1, 3), 3, 2, 2, 2, 1, "float64"),
    "2d-onednn-direct-k21": ((2, 2, 2, 4), (2, 2, 2, 1), (1, 2), (1, 0), (0, 1), 1, 1,
                             "float32"),
    "2d-onednn-direct-k33": ((2, 1, 4, 1), (1, 1, 3, 3), (3, 2), 1, (2, 0), (1, 2), 1,
                             "float32"),
    "2d-onednn-direct-avx2-fallback": ((2, 2, 6, 1), (2, 1, 3, 1), (1, 3), (2, 0), (0, 1), 1,
                                       1, "float32"),
    "2d-onednn-depthwise": ((1, 2, 4, 3), (2, 1, 3, 2), 1, (1, 0), 0, 1, 2, "float32"),
    "2d-onednn-gemm-k21": ((2, 2, 4, 4), (2, 1, 2, 1), 3, (0, 1), (0, 2), (2, 1), 1,
                           "float32"),
    "2d-onednn-gemm-groups-k21": ((1, 4, 3, 3), (4, 2, 2, 1), (2, 3), (0, 2), 0, (1, 2), 2,
                                  "float32"),
    "2d-pytorch-kernel-float32": ((1, 1, 4, 4), (1, 1, 3, 3), 3, 1, 0, 1, 1, "float32"),
    "2d-pytorch-kernel-float64-k21": ((1, 1, 3, 2), (1, 2, 2, 1), (1, 3), (1, 0), (0, 2), 2,
                                      1, "float64"),
    "3d-onednn-direct": ((2, 1, 4, 4, 4), (1, 1, 3, 2, 3), (2, 3, 3), (1, 0, 2), (0, 2, 0), 1,
                         1, "float32"),
    "3d-onednn-gemm": ((2, 1, 3, 2, 3), (1, 2, 2, 1, 1), (2, 3, 2), (1, 1, 0), (0, 1, 1),
                       (1, 1, 2), 1, "float32"),
    "3d-pytorch-kernel-float32": ((1, 1, 3, 3, 4), (1, 2, 3, 1, 2), 3, (2, 1, 1), (0, 0, 2),
                                  (1, 2, 1), 1, "float32"),
    "3d-pytorch-kernel-float64": ((2, 2, 2, 4, 4), (2, 2, 1, 3, 1), (3, 2, 3), (0, 1, 3),
                                  (0, 1, 0), (1, 1, 2), 1, "float64"),
}


def _values(x_shape, w_shape, dtype):
    """Normal values; x with an inf first and a NaN last (corner positions, whose taps reach
    the padding on both sides)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(dtype)
    x.flat[0], x.flat[-1] = np.inf, np.nan
    return x, rng.standard_normal(w_shape).astype(dtype)


def _run(lib, x, w, g, spatial, stride, padding, output_padding, dilation, groups):
    """(output, input gradient, weight gradient) as numpy arrays."""
    xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
    fn = getattr(lib.nn.functional, f"conv_transpose{spatial}d")
    out = fn(xt, wt, None, stride, padding, output_padding, groups, dilation)
    gx, gw = lib.autograd.grad(out, [xt, wt], lib.tensor(g(tuple(out.shape))))
    return tuple(np.asarray(t.detach().numpy(), np.float64) for t in (out, gx, gw))


@pytest.mark.parametrize("name", sorted(CASES))
def test_nonfinite_input_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    x_shape, w_shape, stride, padding, output_padding, dilation, groups, dtype = CASES[name]
    x, w = _values(x_shape, w_shape, dtype)
    spatial = len(x_shape) - 2

    def g(shape):
        return np.random.default_rng(1).standard_normal(shape).astype(dtype)

    args = (spatial, stride, padding, output_padding, dilation, groups)
    ref = _run(torch, x.copy(), w.copy(), g, *args)
    ours = _run(mt, x.copy(), w.copy(), g, *args)
    tol = 1e-4 if dtype == "float32" else 1e-10
    for what, a, b in zip(("output", "input grad", "weight grad"), ours, ref):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=f"{what}: NaNs")
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, equal_nan=True, err_msg=what)


def test_cases_cover_both_weight_gradients():
    """The cases hold both behaviours of a padding tap (a NaN weight gradient from PyTorch and
    a finite one where the input has inf and NaN), so the comparison above can tell them."""
    torch = pytest.importorskip("torch")
    finite = set()
    for (x_shape, w_shape, stride, padding, output_padding, dilation, groups,
         dtype) in CASES.values():
        x, w = _values(x_shape, w_shape, dtype)
        xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
        fn = getattr(torch.nn.functional, f"conv_transpose{len(x_shape) - 2}d")
        out = fn(xt, wt, None, stride, padding, output_padding, groups, dilation)
        gw, = torch.autograd.grad(out.sum(), [wt])
        finite.add(bool(torch.isfinite(gw).all()))
    assert finite == {True, False}
