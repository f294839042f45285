"""interpolate.cu on the CPU emulator against its Numba twin (kernels/cpu/interpolate.py).

The taps come from the op's own planner (`_plan`, PyTorch's rules) for every align_corners,
explicit sizes and scale factors, up- and downsampling, odd sizes, size 1 and the identity
shortcut; outputs larger than the "tiny" configuration's grid so the stride loops turn.
Forward and backward equal the Numba kernels (float32/float64); float16/bfloat16 instances
equal the float32 Numba kernel on the same rounded values, rounded once. Taps outside the
input (which the Numba kernels refuse) make the CUDA kernels neither read nor write outside
their arrays (the emulator's guard bytes), and the op, with its kernel calls routed to the
CUDA launchers, equals the op on the Numba kernels in every float dtype.
"""
from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import minitorch_nn as mt
from kernel_checks import DTYPES, assert_close, kernels
from minitorch_nn.array_backends import route_kernels
from minitorch_nn.nn import functional as F
from minitorch_nn.ops.interpolation import _plan

HALF_DTYPES = [np.float16, ml_dtypes.bfloat16]
# (input H, W), output (OH, OW), scale factors (None: from the sizes), align_corners
CASES = [
    ((5, 7), (11, 13), None, False),
    ((5, 7), (11, 13), None, True),
    ((4, 6), (10, 15), (2.5, 2.5), False),
    ((4, 6), (10, 15), (2.5, 2.5), True),
    ((9, 8), (4, 3), None, False),
    ((9, 8), (4, 3), (0.45, 0.4), True),
    ((1, 5), (3, 17), None, True),
    ((6, 1), (6, 4), None, False),      # identity rows, a single input column
    ((3, 3), (1, 1), None, True),
    ((7, 5), (7, 5), (1.3, 0.7), False),
]


def _taps(case, T):
    (h, w), out, scales, align = case
    plan = _plan("bilinear", (h, w), out, scales, align, False, T)
    return tuple(np.ascontiguousarray(a) for a in (plan[0][0], plan[0][1], plan[1][0],
                                                   plan[1][1]))


def _arrays(case, dtype, seed=0):
    rng = np.random.default_rng(seed)
    (h, w), (oh, ow), _, _ = case
    x = rng.standard_normal((2, 3, h, w)).astype(dtype)
    g = rng.standard_normal((2, 3, oh, ow)).astype(dtype)
    return x, g


def _run(fwd, bwd, x, g, taps):
    out = np.empty(x.shape[:2] + g.shape[2:], x.dtype)
    fwd(x, out, *taps)
    gx = np.zeros_like(x)
    bwd(g, gx, *taps)
    return out, gx


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_bilinear2d_matches_numba(emu, dtype, case):
    fwd, fwd_cpu = kernels("interpolate", "bilinear2d_fwd")
    bwd, bwd_cpu = kernels("interpolate", "bilinear2d_bwd")
    x, g = _arrays(CASES[case], dtype)
    taps = _taps(CASES[case], np.dtype(dtype).type)
    got = _run(fwd, bwd, x, g, taps)
    want = _run(fwd_cpu, bwd_cpu, x, g, taps)
    for a, e, what in zip(got, want, ("out", "gx")):
        assert a.dtype == np.dtype(dtype)
        assert_close(a, e, scale=2.0, err_msg=what)
    # the backward is the forward's adjoint: <fwd(x), g> == <x, bwd(g)>
    np.testing.assert_allclose(np.vdot(got[0], g), np.vdot(x, got[1]),
                               rtol=1e-4 if dtype == np.float32 else 1e-12)
    ran = {kernel for _, kernel, _, _ in emu.launches}
    assert ran == {"bilinear2d_fwd", "bilinear2d_bwd"}


@pytest.mark.parametrize("dtype", HALF_DTYPES)
@pytest.mark.parametrize("case", [0, 3, 4, 6])
def test_half_instances_match_float32(emu, dtype, case):
    fwd, fwd_cpu = kernels("interpolate", "bilinear2d_fwd")
    bwd, bwd_cpu = kernels("interpolate", "bilinear2d_bwd")
    x, g = (a.astype(dtype) for a in _arrays(CASES[case], np.float32))
    taps = _taps(CASES[case], np.float32)
    got = _run(fwd, bwd, x, g, taps)
    want = _run(fwd_cpu, bwd_cpu, x.astype(np.float32), g.astype(np.float32), taps)
    ulp = 2.0 ** (-11 if dtype == np.float16 else -8)   # half an ulp, relative
    for a, e, what in zip(got, want, ("out", "gx")):
        assert a.dtype == np.dtype(dtype), what
        np.testing.assert_allclose(a.astype(np.float32), e, rtol=ulp * 1.01,
                                   atol=1e-5 + ulp * 1e-2, err_msg=what)


def test_taps_outside_the_input_touch_nothing(emu):
    """The Numba kernels raise; the CUDA kernels read 0 and drop the gradient there (a write
    outside gx, or a read outside x that reached the output, would fail here)."""
    fwd, fwd_cpu = kernels("interpolate", "bilinear2d_fwd")
    bwd, _ = kernels("interpolate", "bilinear2d_bwd")
    x = np.ones((1, 2, 3, 4), np.float64)
    hi = np.array([[0, -1, 3, 2], [1, 2, 2, 10 ** 12]], np.int64)
    wi = np.array([[0, 4, -7], [3, 1, 0]], np.int64)
    hw = np.full((2, 4), 0.5)
    ww = np.full((2, 3), 0.5)
    with pytest.raises(ValueError, match="tap index outside"):
        fwd_cpu(x, np.empty((1, 2, 4, 3)), hi, hw, wi, ww)
    out = np.empty((1, 2, 4, 3))
    fwd(x, out, hi, hw, wi, ww)
    ok_h = (hi >= 0) & (hi < 3)
    ok_w = (wi >= 0) & (wi < 4)
    want = np.outer(0.5 * ok_h.sum(0), 0.5 * ok_w.sum(0))   # x = 1: the valid weights
    np.testing.assert_array_equal(out, np.broadcast_to(want, out.shape))
    gx = np.zeros_like(x)
    bwd(np.ones_like(out), gx, hi, hw, wi, ww)
    assert np.isfinite(gx).all()
    np.testing.assert_allclose(gx.sum(), 2 * want.sum())


def test_launchers_refuse_mismatched_shapes(emu):
    fwd, _ = kernels("interpolate", "bilinear2d_fwd")
    bwd, _ = kernels("interpolate", "bilinear2d_bwd")
    x = np.zeros((1, 2, 3, 4), np.float32)
    taps = _taps(((3, 4), (5, 6), None, False), np.float32)
    with pytest.raises(ValueError, match="do not match the output size"):
        fwd(x, np.empty((1, 2, 5, 7), np.float32), *taps)
    with pytest.raises(ValueError, match="planes differ"):
        bwd(np.zeros((1, 3, 5, 6), np.float32), x, *taps)
    with pytest.raises(ValueError, match="4-D"):
        fwd(x[0], np.empty((2, 5, 6), np.float32), *taps)
    with pytest.raises(TypeError, match="hw must have dtype float64"):
        fwd(x.astype(np.float64), np.empty((1, 2, 5, 6)), *taps)


# ------------------------------------------------------------------ the op, routed to CUDA
_OP_CASES = [dict(size=(11, 6)), dict(scale_factor=2.5, align_corners=True),
             dict(scale_factor=(0.6, 1.7)), dict(size=(3, 9), align_corners=True)]


def _op_run(x, kwargs):
    t = mt.tensor(x, requires_grad=True)
    out = F.interpolate(t, mode="bilinear", **kwargs)
    weights = np.random.default_rng(7).standard_normal(out.shape).astype(x.dtype)
    (out * mt.tensor(weights)).sum().backward()
    return out.detach()._data, t.grad._data


@pytest.mark.parametrize("dtype", DTYPES + HALF_DTYPES)
@pytest.mark.parametrize("kwargs", _OP_CASES)
def test_op_through_cuda_kernels(emu, dtype, kwargs):
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 7)).astype(dtype)
    expected = _op_run(x, kwargs)
    with route_kernels(np.ndarray, "minitorch_nn.kernels.cuda"):
        actual = _op_run(x, kwargs)
    ran = {kernel for _, kernel, _, _ in emu.launches}
    assert ran == {"bilinear2d_fwd", "bilinear2d_bwd"}
    for a, e in zip(actual, expected):
        assert a.dtype == e.dtype == np.dtype(dtype)
        if dtype in HALF_DTYPES:   # both computed in float32 and rounded once
            np.testing.assert_allclose(a.astype(np.float32), e.astype(np.float32),
                                       rtol=2 ** -7, atol=1e-3)
        else:
            assert_close(a, e, scale=2.0)
