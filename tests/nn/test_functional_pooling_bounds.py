"""Max pooling where a window lies wholly in the padding (issue 15): no write outside the input.

With dilation a window can miss the input entirely (kernel 2, padding 1, dilation 2 on a
height-1 input: rows -1 and 1). PyTorch gives such a window the value -inf and an index past
the plane (hs*W + ws after stepping over the padding: 65, 64, ... on a 64-wide row); its CPU
backward then writes there (out of bounds: the process may abort), its CUDA backward adds
nothing. minitorch_nn returns PyTorch's values and indices and a gradient of zero for such a
window, and its backward kernels skip every index outside the plane.
"""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minitorch_nn as torch
import minitorch_nn.nn.functional as F

HALF = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=600)


def test_issue_repro_in_subprocess_does_not_abort():
    """The issue's program, repeated on several plane counts, exits cleanly."""
    result = _run("""
        import minitorch_nn as torch
        import minitorch_nn.nn.functional as F
        for _ in range(20):
            for shape in [(1, 1, 1, 64), (2, 3, 1, 64), (4, 8, 1, 257)]:
                x = torch.ones(*shape, requires_grad=True)
                F.max_pool2d(x, 2, 1, 1, 2).sum().backward()
                assert float(x.grad.abs().sum()) == 0.0, x.grad
        print("ok")
    """)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"


@pytest.mark.parametrize("dtype", HALF, ids=str)
def test_window_in_padding_values_indices_and_zero_gradient(dtype):
    """Several planes: the old backward put plane 0's index 65 into plane 1 (row 1 of a
    1-row plane is the next plane's memory)."""
    x = torch.ones(2, 3, 1, 64, dtype=dtype, requires_grad=True)
    values, idx = F.max_pool2d(x, 2, 1, 1, 2, return_indices=True)
    assert values.shape == (2, 3, 1, 64)
    assert np.isneginf(values.float().detach().numpy()).all()
    # PyTorch's indices: the first non-negative row/col of the dilated window.
    assert idx[0, 0, 0, :4].tolist() == [65, 64, 65, 66]
    values.sum().backward()
    assert x.grad.dtype is dtype
    assert float(x.grad.float().abs().sum()) == 0.0


def test_window_in_padding_1d():
    x = torch.ones(1, 2, 1, requires_grad=True)   # L = 1: each window misses it
    values, idx = F.max_pool1d(x, 2, 1, 1, 2, return_indices=True)
    assert np.isneginf(values.detach().numpy()).all()
    values.sum().backward()
    assert x.grad.tolist() == [[[0.0], [0.0]]]


def _expected_grad(shape, idx, g):
    """Scatter-add of g at the in-plane indices (PyTorch CUDA's backward)."""
    n, c, h, w = shape
    out = np.zeros((n * c, h * w))
    idx = idx.reshape(n * c, -1)
    g = g.reshape(n * c, -1)
    for p in range(n * c):
        ok = (idx[p] >= 0) & (idx[p] < h * w)
        np.add.at(out[p], idx[p][ok], g[p][ok])
    return out.reshape(shape)


GEOMETRIES = [
    # (shape, kernel, stride, padding, dilation, ceil_mode)
    ((1, 1, 1, 64), 2, 1, 1, 2, False),
    ((2, 2, 2, 7), 2, 1, 1, 2, False),
    ((1, 3, 3, 3), 2, 2, 1, 3, True),
    ((2, 1, 1, 1), (2, 3), 1, (1, 1), (2, 1), False),
    ((1, 2, 5, 4), 4, 3, 2, 1, True),
    ((1, 1, 2, 2), 2, 2, 1, 1, True),
    ((1, 1, 1, 5), (1, 2), (1, 2), (0, 1), (1, 3), True),
]


@pytest.mark.parametrize("geom", GEOMETRIES, ids=str)
def test_adversarial_geometries_match_pytorch(geom):
    pt = pytest.importorskip("torch")
    shape, k, s, p, d, ceil = geom
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape).astype(np.float32)
    ref_v, ref_i = pt.nn.functional.max_pool2d(pt.from_numpy(a), k, s, p, d, ceil, True)
    x = torch.tensor(a, requires_grad=True)
    v, i = F.max_pool2d(x, k, s, p, d, ceil, True)
    np.testing.assert_array_equal(v.detach().numpy(), ref_v.numpy())
    np.testing.assert_array_equal(i.numpy(), ref_i.numpy())
    g = rng.standard_normal(tuple(v.shape)).astype(np.float32)
    v.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), _expected_grad(shape, ref_i.numpy(), g),
                               rtol=1e-6, atol=1e-6)


ERRORS = [
    # (call, args): refused by PyTorch with its message (the pad checks keep every window
    # starting inside the padded input).
    ("max_pool2d", ((1, 1, 3, 5),), dict(kernel_size=(1, 2), stride=(1, 2), padding=(0, 2),
                                        dilation=(1, 3), ceil_mode=True)),
    ("max_pool2d", ((1, 1, 3, 5),), dict(kernel_size=3, stride=1, padding=2, dilation=2)),
    ("max_pool2d", ((1, 1, 3, 5),), dict(kernel_size=2, stride=1, padding=-1)),
    ("max_pool2d", ((1, 1, 3, 5),), dict(kernel_size=0, stride=1)),
    ("max_pool2d", ((1, 1, 3, 5),), dict(kernel_size=2, stride=-1)),
    ("max_pool2d", ((1, 1, 3, 5),), dict(kernel_size=2, stride=1, padding=5, dilation=0)),
    ("max_pool2d", ((0, 3, 5),), dict(kernel_size=2)),
    ("max_pool2d", ((1, 2, 0, 5),), dict(kernel_size=2)),
    ("avg_pool2d", ((1, 1, 3, 5),), dict(kernel_size=2, stride=1, padding=-1)),
    ("avg_pool2d", ((1, 0, 3, 5),), dict(kernel_size=2)),
    ("avg_pool2d", ((3, 5),), dict(kernel_size=2)),
    ("max_pool1d", ((1, 1, 5),), dict(kernel_size=2, stride=2, padding=2, dilation=3)),
    ("max_pool1d", ((1, 1, 5),), dict(kernel_size=3, stride=2, padding=2)),
    ("max_pool1d", ((1, 1, 5),), dict(kernel_size=2, stride=1, padding=-1)),
    ("max_pool1d", ((1, 1, 5),), dict(kernel_size=2, stride=0)),
    ("max_pool1d", ((1, 1, 5),), dict(kernel_size=2, stride=1, padding=0, dilation=0)),
    ("max_pool1d", ((1, 0, 5),), dict(kernel_size=2)),
    ("max_pool1d", ((0, 5),), dict(kernel_size=2)),
    ("max_pool1d", ((1, 2, 0),), dict(kernel_size=2, return_indices=True)),
    ("max_pool1d", ((1, 1, 5),), dict(kernel_size=2, padding=2, dilation=3,
                                      return_indices=True)),
    ("max_pool1d", ((5,),), dict(kernel_size=2, return_indices=True)),
]


@pytest.mark.parametrize("case", ERRORS, ids=str)
def test_geometry_errors_match_pytorch(case):
    pt = pytest.importorskip("torch")
    name, (shape,), kwargs = case
    with pytest.raises(Exception) as ref:
        getattr(pt.nn.functional, name)(pt.ones(shape), **kwargs)
    with pytest.raises(type(ref.value)) as ours:
        getattr(F, name)(torch.ones(shape), **kwargs)
    assert str(ours.value) == str(ref.value)


def test_half_nan_index_is_pytorchs():
    """The last NaN of a window wins (PyTorch's rule); float16 used to take the first."""
    pt = pytest.importorskip("torch")
    a = [[[1.0, float("nan"), 3.0, float("nan"), -float("inf")]]]
    for name in ("float16", "bfloat16"):
        ref_v, ref_i = pt.nn.functional.max_pool1d(pt.tensor(a, dtype=getattr(pt, name)), 4,
                                                   1, 2, 1, False, True)
        v, i = F.max_pool1d(torch.tensor(a, dtype=getattr(torch, name)), 4, 1, 2, 1, False,
                            True)
        assert i.tolist() == ref_i.tolist()
        np.testing.assert_array_equal(v.float().numpy(), ref_v.float().numpy())


def test_backward_kernels_skip_foreign_indices_in_subprocess():
    """Called directly with indices outside the plane, the kernels write nothing (-1 used to
    wrap to the plane's last row; 10**6 wrote past the array)."""
    result = _run("""
        import numpy as np
        from minitorch_nn.kernels.cpu import pool
        for name in ("max_pool2d_bwd", "max_pool2d_bwd_serial", "max_pool2d_2x2_bwd",
                     "max_pool2d_2x2_bwd_serial"):
            g = np.ones((2, 2, 2, 2), np.float32)
            idx = np.full((2, 2, 2, 2), -1, np.int64)
            idx[0, 0, 0, 0] = 10 ** 6
            idx[1, 1, 1, 1] = 16
            idx[0, 1, 0, 1] = -17
            gx = np.zeros((2, 2, 4, 4), np.float32)
            getattr(pool, name)(g, idx, gx)
            assert not gx.any(), (name, gx)
        print("ok")
    """)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"


def test_embedding_indices_edited_in_place_before_backward():
    """PyTorch saves the indices and checks their version; an edit used to make the kernel
    scatter into row 100 of a 5-row gradient (out of bounds)."""
    w = torch.randn(5, 3, requires_grad=True)
    i = torch.tensor([1, 2])
    y = F.embedding(i, w)
    i[0] = 100
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_embedding_kernel_skips_rows_outside_in_subprocess():
    result = _run("""
        import numpy as np
        from minitorch_nn.kernels.cpu.embedding import embedding_bwd
        out = np.zeros((3, 2), np.float32)
        # -2 used to wrap to row 1 (Numba's negative indexing); 3 and 10**7 wrote past out
        embedding_bwd(np.array([-2, 3, 10 ** 7, 1], np.int64), np.ones((4, 2), np.float32),
                      out, -5)
        assert out.tolist() == [[0, 0], [1, 1], [0, 0]], out
        print("ok")
    """)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"


# ------------------------------------------------------------------ found by the fuzz test
def test_half_adaptive_pool_does_not_spread_inf():
    """float16/bfloat16 used averaging matrices: inf * 0 made NaN in windows without the inf."""
    pt = pytest.importorskip("torch")
    for name in ("float16", "bfloat16"):
        a = [[float("inf"), -0.0, 1.0]]
        ref = pt.nn.functional.adaptive_avg_pool1d(pt.tensor(a, dtype=getattr(pt, name)), 3)
        ours = F.adaptive_avg_pool1d(torch.tensor(a, dtype=getattr(torch, name)), 3)
        np.testing.assert_array_equal(ours.float().numpy(), ref.float().numpy())


@pytest.mark.parametrize("shape, out", [((1, 2, 0, 2), 1), ((2, 0), 1), ((1, 0, 2, 2), 3),
                                        ((0, 2, 2), 2), ((1, 2, 0, 2), 2)])
def test_adaptive_pool_empty_dims_as_pytorch(shape, out):
    """A 1x1 output is PyTorch's mean (NaN on an empty plane); only H and W must be
    non-empty otherwise (channels may be 0)."""
    pt = pytest.importorskip("torch")
    fn = "adaptive_avg_pool1d" if len(shape) == 2 else "adaptive_avg_pool2d"
    try:
        ref = getattr(pt.nn.functional, fn)(pt.ones(shape), out)
    except RuntimeError as e:
        with pytest.raises(RuntimeError, match=re.escape(str(e))):
            getattr(F, fn)(torch.ones(shape), out)
        return
    ours = getattr(F, fn)(torch.ones(shape), out)
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())
