"""grid_sample.cu on the CPU emulator against its Numba twin (kernels/cpu/grid_sample.py).

Every mode, padding and align_corners, 2-D and 3-D, odd sizes, more points than the "tiny"
configuration's grid has threads, and grids holding NaN, ±inf and huge values: the
emulator's guard bytes fail the test on any write outside an array, and a read outside x
sees NaN (asserted absent). float16/bfloat16 instances equal the float32 Numba kernel on
the same rounded values, rounded once (within half an ulp of the half type). Both launch
configurations of `emu` run every case.
"""
from __future__ import annotations

import itertools

import ml_dtypes
import numpy as np
import pytest

from kernel_checks import DTYPES, assert_close, kernels

BAD = np.array([np.nan, np.inf, -np.inf, 1e30, -1e30, 3e9, 40.5, -12.25])
MODES = [(2, 0), (2, 1), (2, 2), (3, 0), (3, 1)]


def _case(nd, dtype, seed=0):
    rng = np.random.default_rng(seed)
    sizes = (1, 5, 3) if nd == 2 else (3, 2, 4)
    x = rng.standard_normal((2, 3) + sizes).astype(dtype)
    grid = rng.uniform(-2.5, 2.5, (2, 70, nd))
    flat = grid.reshape(-1)
    flat[rng.choice(flat.size, 24, replace=False)] = rng.choice(BAD, 24)
    g = rng.standard_normal((2, 3, 70)).astype(dtype)
    return x, grid.astype(dtype), g


def _run(kernel_fwd, kernel_bwd, x, grid, g, mode, padding, align, need_grid=1):
    out = np.empty(x.shape[:2] + grid.shape[1:2], x.dtype)
    kernel_fwd(x, grid, out, mode, padding, align)
    gx = np.zeros_like(x)
    ggrid = np.empty_like(grid)
    kernel_bwd(x, grid, g, gx, ggrid, mode, padding, align, need_grid)
    return out, gx, ggrid


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nd,mode", MODES)
def test_grid_sample_matches_numba(emu, dtype, nd, mode):
    fwd, fwd_cpu = kernels("grid_sample", "grid_sample_fwd")
    bwd, bwd_cpu = kernels("grid_sample", "grid_sample_bwd")
    x, grid, g = _case(nd, dtype)
    for padding, align in itertools.product(range(3), range(2)):
        got = _run(fwd, bwd, x, grid, g, mode, padding, align)
        want = _run(fwd_cpu, bwd_cpu, x, grid, g, mode, padding, align)
        for a, e, what in zip(got, want, ("out", "gx", "ggrid")):
            assert np.all(np.isfinite(a)), what
            assert_close(a, e, scale=4.0, err_msg=f"{what} padding={padding} align={align}")
    ran = {kernel for _, kernel, _, _ in emu.launches}
    assert ran == {"grid_sample_fwd", "grid_sample_bwd"}


def test_grid_gradient_skipped_when_not_needed(emu):
    fwd, _ = kernels("grid_sample", "grid_sample_fwd")
    bwd, bwd_cpu = kernels("grid_sample", "grid_sample_bwd")
    x, grid, g = _case(2, np.float64)
    got = _run(fwd, bwd, x, grid, g, 0, 1, 0, need_grid=0)
    want = _run(fwd, bwd_cpu, x, grid, g, 0, 1, 0, need_grid=1)
    assert np.all(got[2] == 0)
    assert_close(got[1], want[1])


@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16])
@pytest.mark.parametrize("nd,mode", MODES)
def test_half_instances_match_float32(emu, dtype, nd, mode):
    fwd, fwd_cpu = kernels("grid_sample", "grid_sample_fwd")
    bwd, bwd_cpu = kernels("grid_sample", "grid_sample_bwd")
    with np.errstate(over="ignore"):   # 1e30 and 3e9 become inf in float16
        x, grid, g = (a.astype(dtype) for a in _case(nd, np.float32))
    ulp = 2.0 ** (-11 if dtype == np.float16 else -8)   # half an ulp, relative
    for padding, align in itertools.product(range(3), range(2)):
        got = _run(fwd, bwd, x, grid, g, mode, padding, align)
        want = _run(fwd_cpu, bwd_cpu, *(a.astype(np.float32) for a in (x, grid, g)), mode,
                    padding, align)
        for a, e, what in zip(got, want, ("out", "gx", "ggrid")):
            assert a.dtype == np.dtype(dtype), what
            a = a.astype(np.float32)
            assert np.all(np.isfinite(a)), what
            np.testing.assert_allclose(a, e, rtol=ulp * 1.01, atol=1e-4 + ulp * 1e-2,
                                       err_msg=f"{what} padding={padding} align={align}")


def test_launchers_refuse_mismatched_shapes(emu):
    fwd, _ = kernels("grid_sample", "grid_sample_fwd")
    x = np.zeros((1, 2, 2, 3, 3), np.float32)
    with pytest.raises(ValueError, match="grid of 3 coordinates"):
        fwd(x, np.zeros((1, 4, 3), np.float32), np.zeros((1, 2, 4), np.float32), 2, 0, 0)
    with pytest.raises(ValueError, match="disagree"):
        fwd(x, np.zeros((1, 4, 3), np.float32), np.zeros((1, 2, 5), np.float32), 0, 0, 0)
