"""F.grid_sample on its kernels (kernels/cpu/grid_sample.py; on the fake GPU the CUDA twins):
float32/float64 values and input/grid gradients against PyTorch on odd shapes with points
far outside, non-finite grid values (never a read or write outside the arrays), empty
sizes, and float16/bfloat16 computed in float32 and rounded once."""
from __future__ import annotations

import itertools
import warnings

import ml_dtypes
import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.kernels.cpu import grid_sample as cpu_kernels
from op_harness import requires_torch, torch

F = mt.nn.functional

CASES = [(2, m, p, a) for m, p, a in itertools.product(
    ["bilinear", "nearest", "bicubic"], ["zeros", "border", "reflection"], [False, True])]
CASES += [(3, m, p, a) for m, p, a in itertools.product(
    ["bilinear", "nearest"], ["zeros", "border", "reflection"], [False, True])]
TOL = {np.float32: dict(rtol=2e-4, atol=2e-4), np.float64: dict(rtol=1e-9, atol=1e-9)}


def _data(nd, dtype, seed=0, far=True):
    """Odd-sized input and a grid spread over [-3, 3] with some points far outside."""
    rng = np.random.default_rng(seed)
    xs = (3, 5, 7, 3) if nd == 2 else (2, 3, 3, 5, 4)
    gs = (3, 4, 5, 2) if nd == 2 else (2, 3, 2, 5, 3)
    x = rng.standard_normal(xs)
    g = rng.uniform(-3, 3, gs)
    if far:
        flat = g.reshape(-1)
        flat[rng.choice(flat.size, 8, replace=False)] = [20.5, -20.25, 1e3, -1e3, 5e4,
                                                         -7.75, 1.0, -1.0]
    return x.astype(dtype), g.astype(dtype)


def _run(lib, x, g, mode, padding, align, gy, grad_grid=True):
    tx = lib.tensor(x, requires_grad=True)
    tg = lib.tensor(g, requires_grad=grad_grid)
    y = lib.nn.functional.grid_sample(tx, tg, mode=mode, padding_mode=padding,
                                      align_corners=align)
    y.backward(lib.tensor(gy))
    grads = [tx.grad.detach().numpy()] + ([tg.grad.detach().numpy()] if grad_grid else [])
    return [y.detach().numpy()] + grads


@requires_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nd,mode,padding,align", CASES)
def test_values_and_gradients_match_pytorch(nd, mode, padding, align, dtype):
    x, g = _data(nd, dtype)
    gy = np.random.default_rng(5).standard_normal(x.shape[:2] + g.shape[1:-1]).astype(dtype)
    ours = _run(mt, x, g, mode, padding, align, gy)
    ref = _run(torch, x, g, mode, padding, align, gy)
    for a, e, what in zip(ours, ref, ("out", "grad input", "grad grid")):
        assert a.dtype == e.dtype
        np.testing.assert_allclose(a, e, err_msg=what, **TOL[dtype])


@requires_torch
def test_input_gradient_only():
    x, g = _data(2, np.float64)
    gy = np.ones(x.shape[:2] + g.shape[1:-1])
    ours = _run(mt, x, g, "bilinear", "border", False, gy, grad_grid=False)
    ref = _run(torch, x, g, "bilinear", "border", False, gy, grad_grid=False)
    for a, e in zip(ours, ref):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ non-finite grid values
_NONFINITE = [np.nan, np.inf, -np.inf]


def _one_point(nd, value, comp):
    """x of size 5 in every spatial dim, a grid of two points: the first has `value` in
    component comp, the second is finite."""
    x = np.arange(2 * 5 ** nd, dtype=np.float64).reshape((1, 2) + (5,) * nd) + 1
    g = np.full((1,) + (1,) * (nd - 1) + (2, nd), 0.3)
    g[..., 0, comp] = value
    return x, g


@pytest.mark.parametrize("nd,mode", [(2, "bilinear"), (2, "nearest"), (3, "bilinear"),
                                     (3, "nearest")])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("value", _NONFINITE)
def test_nonfinite_coordinate_is_outside(nd, mode, padding, value):
    """A NaN (or a ±inf that padding cannot bring back: zeros, reflection) coordinate reads
    zero and gets zero gradients (PyTorch's safe_downgrade_to_int_range: -100)."""
    if padding == "border" and not np.isnan(value):
        pytest.skip("border clips ±inf into the input (checked against PyTorch below)")
    for comp in range(nd):
        x, g = _one_point(nd, value, comp)
        gy = np.ones((1, 2) + g.shape[1:-1])
        out, gx, gg = _run(mt, x, g, mode, padding, False, gy)
        assert np.all(out[..., 0] == 0) and np.all(np.isfinite(out))
        assert np.all(gg[..., 0, :] == 0) and np.all(np.isfinite(gg))
        finite_only = _run(mt, x, g[..., 1:, :], mode, padding, False, gy[..., 1:])[1]
        np.testing.assert_array_equal(gx, finite_only)   # the NaN point added nothing


@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("value", _NONFINITE)
def test_nonfinite_bicubic_is_the_coordinate_minus_100(padding, value):
    """Bicubic: a non-finite coordinate becomes -100, whose taps are then padded one by one;
    with align_corners and size 5, grid value -51 is exactly the coordinate -100."""
    for comp in range(2):
        x, g = _one_point(2, value, comp)
        gy = np.random.default_rng(2).standard_normal((1, 2, 1, 2))
        got = _run(mt, x, g, "bicubic", padding, True, gy)
        g[..., 0, comp] = -51.0
        want = _run(mt, x, g, "bicubic", padding, True, gy)
        for a, e in zip(got, want):
            np.testing.assert_array_equal(a, e)


@requires_torch
@pytest.mark.parametrize("nd,mode,padding,value", [
    (3, "bilinear", "zeros", np.nan), (3, "bilinear", "zeros", np.inf),
    (2, "nearest", "zeros", np.nan), (3, "nearest", "zeros", -np.inf),
    (2, "bilinear", "border", np.inf), (3, "bilinear", "border", -np.inf),
    (2, "nearest", "border", np.inf), (3, "nearest", "border", -np.inf)])
def test_nonfinite_where_pytorch_is_consistent(nd, mode, padding, value):
    """Where PyTorch's CPU kernels agree with its CUDA ones on non-finite grid values (zeros
    padding reads zero; border clips ±inf to the edge), the results are PyTorch's. Its other
    cases differ between devices and 2-D/3-D (NaN -> 0, size - 1, NaN, or a crash)."""
    x, g = _one_point(nd, value, 0)
    gy = np.ones((1, 2) + g.shape[1:-1])
    ours = _run(mt, x, g, mode, padding, False, gy)
    ref = _run(torch, x, g, mode, padding, False, gy)
    for a, e in zip(ours, ref):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)


def _guarded(shape, fill, guard=64):
    """A C-contiguous array of `shape` inside a buffer with `guard` elements of `fill` on
    each side: (array, buffer)."""
    size = int(np.prod(shape))
    buf = np.full(size + 2 * guard, fill)
    return buf[guard:guard + size].reshape(shape), buf


@pytest.mark.parametrize("nd,mode", [(2, 0), (2, 1), (2, 2), (3, 0), (3, 1)])
def test_kernels_stay_inside_the_arrays(nd, mode):
    """Grids full of NaN, ±inf and huge values: every read lands inside x (its guard cells
    hold NaN, which would show in the results) and every write inside gx and ggrid."""
    rng = np.random.default_rng(1)
    bad = np.array([np.nan, np.inf, -np.inf, 1e30, -1e30, 3e9, -3e9, 1e18, 0.999, -1.0])
    sizes = (1, 3, 2) if nd == 2 else (2, 1, 3)
    x, _ = _guarded((2, 3) + sizes, np.nan)
    x[...] = rng.standard_normal(x.shape)
    grid = rng.choice(bad, (2, 40, nd))
    for padding, align in itertools.product(range(3), range(2)):
        out, out_buf = _guarded((2, 3, 40), -7.0)
        cpu_kernels.grid_sample_fwd(x, grid, out, mode, padding, align)
        gx, gx_buf = _guarded(x.shape, 0.0)
        gx[...] = 0
        ggrid, gg_buf = _guarded(grid.shape, -7.0)
        cpu_kernels.grid_sample_bwd(x, grid, np.ones_like(out), gx, ggrid, mode, padding,
                                    align, 1)
        for arr in (out, gx, ggrid):
            assert np.all(np.isfinite(arr))
        for buf, fill in ((out_buf, -7.0), (gx_buf, 0.0), (gg_buf, -7.0)):
            np.testing.assert_array_equal(buf[:64], fill)
            np.testing.assert_array_equal(buf[-64:], fill)


def test_kernels_refuse_mismatched_shapes():
    x = np.zeros((1, 2, 1, 3, 3))
    grid = np.zeros((1, 4, 2))
    with pytest.raises(ValueError):
        cpu_kernels.grid_sample_fwd(x, grid, np.zeros((1, 2, 5)), 0, 0, 0)
    with pytest.raises(ValueError):   # bicubic is 2-D only: 3 coordinates would need 64 taps
        cpu_kernels.grid_sample_fwd(np.zeros((1, 2, 2, 3, 3)), np.zeros((1, 4, 3)),
                                    np.zeros((1, 2, 4)), 2, 0, 0)


# ------------------------------------------------------------------ sizes and dtypes
@requires_torch
@pytest.mark.parametrize("xs,gs", [((0, 2, 3, 3), (0, 4, 4, 2)), ((2, 0, 3, 3), (2, 4, 4, 2)),
                                   ((2, 3, 3, 3), (2, 0, 4, 2)),
                                   ((0, 2, 2, 3, 3), (0, 1, 4, 4, 3)),
                                   ((1, 1, 1, 1), (1, 1, 1, 2))])
def test_empty_and_unit_sizes(xs, gs):
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal(xs), rng.uniform(-1.5, 1.5, gs)
    gy = np.ones(xs[:2] + gs[1:-1])
    for mode in ("bilinear", "nearest"):
        ours = _run(mt, x, g, mode, "zeros", False, gy)
        ref = _run(torch, x, g, mode, "zeros", False, gy)
        for a, e in zip(ours, ref):
            assert a.shape == e.shape
            np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16])
@pytest.mark.parametrize("nd,mode", [(2, "bilinear"), (2, "bicubic"), (3, "nearest")])
def test_half_types_are_computed_in_float32(dtype, nd, mode):
    """float16/bfloat16: the float32 results for the same (rounded) inputs, rounded once."""
    x, g = _data(nd, np.float32, far=False)
    x, g = x.astype(dtype), g.astype(dtype)
    gy = np.random.default_rng(5).standard_normal(x.shape[:2] + g.shape[1:-1]).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        half = [mt.tensor(a, requires_grad=True) for a in (x, g)]
        y = F.grid_sample(*half, mode=mode, padding_mode="reflection", align_corners=False)
        y.backward(mt.tensor(gy))
    wide = [mt.tensor(a.astype(np.float32), requires_grad=True) for a in (x, g)]
    y32 = F.grid_sample(*wide, mode=mode, padding_mode="reflection", align_corners=False)
    y32.backward(mt.tensor(gy.astype(np.float32)))
    assert y.dtype == half[0].grad.dtype == half[1].grad.dtype == mt.tensor(x).dtype
    for a, e in ((y, y32), (half[0].grad, wide[0].grad), (half[1].grad, wide[1].grad)):
        got = a.detach().float().numpy()
        want = e.detach().numpy().astype(dtype).astype(np.float32)
        np.testing.assert_array_equal(got, want)


@pytest.mark.cuda
@pytest.mark.skipif(not mt.cuda.is_available(), reason="needs a (fake) GPU: --fake-gpu")
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("nd,mode,padding,align", CASES[::2] + CASES[1::4])
def test_cuda_equals_cpu(nd, mode, padding, align, dtype):
    """On cuda the op runs the CUDA kernels (with NaN/inf in the grid): values and gradients
    equal the CPU's."""
    x, g = _data(nd, dtype)
    g.reshape(-1)[[3, 11]] = [np.nan, np.inf]
    gy = np.random.default_rng(5).standard_normal(x.shape[:2] + g.shape[1:-1]).astype(dtype)
    results = []
    for device in ("cpu", "cuda"):
        ts = [mt.tensor(a, requires_grad=True, device=device) for a in (x, g)]
        y = F.grid_sample(*ts, mode=mode, padding_mode=padding, align_corners=align)
        y.backward(mt.tensor(gy, device=device))
        results.append([t.detach().cpu().float().numpy() for t in (y, ts[0].grad, ts[1].grad)])
    tol = dict(rtol=1e-2, atol=1e-2) if dtype == np.float16 else TOL[dtype]
    for a, e in zip(*results):
        np.testing.assert_allclose(a, e, **tol)
