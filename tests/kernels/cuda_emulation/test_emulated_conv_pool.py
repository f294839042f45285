"""conv.cu (im2col / col2im) and pool.cu on the CPU emulator, against NumPy and Numba.

References are direct loops over the definitions in kernels/cpu/conv.py and pool.py (small
shapes), plus the Numba kernels themselves; col2im is also checked as the exact adjoint of
im2col. Both launch configurations of `emu` run every case.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from kernel_checks import DTYPES, assert_close, kernels

# (N, C, H, W), (kh, kw), stride, padding, dilation
CONV_GEOMETRIES = [
    ((2, 3, 6, 5), (3, 2), (2, 1), (1, 1), (1, 2)),
    ((1, 2, 5, 5), (1, 1), (1, 1), (0, 0), (1, 1)),
    ((2, 1, 7, 8), (2, 2), (3, 3), (0, 1), (1, 1)),
    ((1, 4, 1, 9), (1, 3), (1, 2), (0, 2), (1, 1)),   # a 1-D convolution
]


def _out_size(size, k, s, p, d, ceil=False):
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil else span // s) + 1
    if ceil and (out - 1) * s >= size + p:   # PyTorch: the last window must start inside
        out -= 1
    return out


def _im2col_ref(x, k, s, p, d, oh_n, ow_n):
    n, c, h, w = x.shape
    cols = np.zeros((c * k[0] * k[1], n * oh_n * ow_n), x.dtype)
    for ni, ci, i, j, oh, ow in itertools.product(range(n), range(c), range(k[0]), range(k[1]),
                                                  range(oh_n), range(ow_n)):
        ih, iw = oh * s[0] - p[0] + i * d[0], ow * s[1] - p[1] + j * d[1]
        if 0 <= ih < h and 0 <= iw < w:
            cols[(ci * k[0] + i) * k[1] + j, (ni * oh_n + oh) * ow_n + ow] = x[ni, ci, ih, iw]
    return cols


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geometry", CONV_GEOMETRIES)
def test_im2col_and_col2im(emu, dtype, geometry):
    shape, k, s, p, d = geometry
    n, c, h, w = shape
    oh_n, ow_n = _out_size(h, k[0], s[0], p[0], d[0]), _out_size(w, k[1], s[1], p[1], d[1])
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    args = (k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], oh_n, ow_n)
    gpu_im2col, cpu_im2col = kernels("conv", "im2col")
    cols = np.full((c * k[0] * k[1], n * oh_n * ow_n), np.nan, dtype)
    gpu_im2col(x, cols, *args)
    np.testing.assert_array_equal(cols, _im2col_ref(x, k, s, p, d, oh_n, ow_n))
    cpu_cols = np.full_like(cols, np.nan)
    cpu_im2col(x, cpu_cols, *args)
    np.testing.assert_array_equal(cols, cpu_cols)

    gpu_col2im, cpu_col2im = kernels("conv", "col2im")
    cg = rng.standard_normal(cols.shape).astype(dtype)
    image = np.ones(shape, dtype)   # col2im adds into what is there
    gpu_col2im(cg, image, *args)
    cpu_image = np.ones(shape, dtype)
    cpu_col2im(cg, cpu_image, *args)
    assert_close(image, cpu_image)
    # adjoint: <im2col(x), cg> == <x, col2im(cg)>
    lhs = (cols.astype(np.float64) * cg).sum()
    rhs = (x.astype(np.float64) * (image.astype(np.float64) - 1)).sum()
    assert math.isclose(lhs, rhs, rel_tol=1e-4 if dtype == np.float32 else 1e-12, abs_tol=1e-4)


def test_im2col_checks_the_columns_shape(emu):
    from minitorch_nn.kernels.cuda import conv
    x = np.zeros((1, 2, 4, 4), np.float32)
    with pytest.raises(ValueError, match="columns"):
        conv.im2col(x, np.zeros((1, 8, 9), np.float32), 2, 2, 1, 1, 0, 0, 1, 1, 3, 3)


# ------------------------------------------------------------------ pooling
# (N, C, H, W), kernel, stride, padding, dilation, ceil_mode
POOL_GEOMETRIES = [
    ((2, 3, 6, 6), (2, 2), (2, 2), (0, 0), (1, 1), False),
    ((1, 2, 7, 5), (3, 3), (2, 2), (1, 1), (1, 1), False),
    ((1, 1, 6, 7), (2, 3), (1, 2), (0, 1), (2, 1), False),
    ((2, 2, 6, 6), (3, 3), (2, 2), (0, 0), (1, 1), True),
    ((1, 40, 3, 3), (2, 2), (1, 1), (1, 1), (1, 1), False),   # many planes
]


def _pool_out(shape, k, s, p, d, ceil):
    return (_out_size(shape[2], k[0], s[0], p[0], d[0], ceil),
            _out_size(shape[3], k[1], s[1], p[1], d[1], ceil))


def _max_pool_ref(x, k, s, p, d, out_hw):
    n, c, h, w = x.shape
    out = np.empty((n, c) + out_hw, x.dtype)
    idx = np.empty((n, c) + out_hw, np.int64)
    for ni, ci, oh, ow in itertools.product(range(n), range(c), *map(range, out_hw)):
        best, best_i = -np.inf, None
        for i, j in itertools.product(range(k[0]), range(k[1])):
            ih, iw = oh * s[0] - p[0] + i * d[0], ow * s[1] - p[1] + j * d[1]
            if 0 <= ih < h and 0 <= iw < w and (x[ni, ci, ih, iw] > best or best_i is None):
                best, best_i = x[ni, ci, ih, iw], ih * w + iw
        out[ni, ci, oh, ow], idx[ni, ci, oh, ow] = best, best_i
    return out, idx


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geometry", POOL_GEOMETRIES)
def test_max_pool2d(emu, dtype, geometry):
    shape, k, s, p, d, ceil = geometry
    out_hw = _pool_out(shape, k, s, p, d, ceil)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    args = (k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1])
    fwd, cpu_fwd = kernels("pool", "max_pool2d_fwd")
    out = np.full(shape[:2] + out_hw, np.nan, dtype)
    idx = np.full(shape[:2] + out_hw, -7, np.int64)
    fwd(x, out, idx, *args)
    ref_out, ref_idx = _max_pool_ref(x, k, s, p, d, out_hw)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(idx, ref_idx)
    cpu_out, cpu_idx = np.empty_like(out), np.empty_like(idx)
    cpu_fwd(x, cpu_out, cpu_idx, *args)
    np.testing.assert_array_equal(idx, cpu_idx)

    bwd, cpu_bwd = kernels("pool", "max_pool2d_bwd")
    g = rng.standard_normal(out.shape).astype(dtype)
    gx = np.zeros(shape, dtype)
    bwd(g, idx, gx)
    ref = np.zeros(shape, np.float64)
    planes = ref.reshape(shape[0] * shape[1], -1)
    for plane, gp, ip in zip(planes, g.reshape(len(planes), -1), idx.reshape(len(planes), -1)):
        np.add.at(plane, ip, gp)
    assert_close(gx, ref)
    cpu_gx = np.zeros(shape, dtype)
    cpu_bwd(g, idx, cpu_gx)
    assert_close(gx, cpu_gx)


def test_max_pool2d_lets_nan_win(emu):
    x = np.array([[[[1.0, np.nan], [3.0, 2.0]]]])
    out, idx = np.empty((1, 1, 1, 1)), np.empty((1, 1, 1, 1), np.int64)
    kernels("pool", "max_pool2d_fwd")[0](x, out, idx, 2, 2, 2, 2, 0, 0, 1, 1)
    assert np.isnan(out[0, 0, 0, 0]) and idx[0, 0, 0, 0] == 1


def _avg_pool_ref(x, k, s, p, out_hw, include_pad, override):
    n, c, h, w = x.shape
    out = np.empty((n, c) + out_hw)
    for oh, ow in itertools.product(*map(range, out_hw)):
        h0, w0 = oh * s[0] - p[0], ow * s[1] - p[1]
        h1, w1 = min(h0 + k[0], h + p[0]), min(w0 + k[1], w + p[1])
        padded = (h1 - h0) * (w1 - w0)
        h0c, w0c, h1c, w1c = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
        div = override or (padded if include_pad else (h1c - h0c) * (w1c - w0c))
        out[:, :, oh, ow] = x[:, :, h0c:h1c, w0c:w1c].sum((2, 3)) / div
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geometry", POOL_GEOMETRIES[:2] + POOL_GEOMETRIES[3:])
@pytest.mark.parametrize("include_pad, override", [(True, 0), (False, 0), (False, 5)])
def test_avg_pool2d(emu, dtype, geometry, include_pad, override):
    shape, k, s, p, _, ceil = geometry
    out_hw = _pool_out(shape, k, s, p, (1, 1), ceil)
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape).astype(dtype)
    args = (k[0], k[1], s[0], s[1], p[0], p[1], include_pad, override)
    fwd, cpu_fwd = kernels("pool", "avg_pool2d_fwd")
    out = np.full(shape[:2] + out_hw, np.nan, dtype)
    fwd(x, out, *args)
    assert_close(out, _avg_pool_ref(x.astype(np.float64), k, s, p, out_hw, include_pad,
                                     override))
    cpu_out = np.empty_like(out)
    cpu_fwd(x, cpu_out, *args)
    assert_close(out, cpu_out)

    # backward is the adjoint of forward: <avg(x), g> == <x, avg_bwd(g)>
    bwd, cpu_bwd = kernels("pool", "avg_pool2d_bwd")
    g = rng.standard_normal(out.shape).astype(dtype)
    gx = np.zeros(shape, dtype)
    bwd(g, gx, *args)
    cpu_gx = np.zeros(shape, dtype)
    cpu_bwd(g, cpu_gx, *args)
    assert_close(gx, cpu_gx)
    lhs = (out.astype(np.float64) * g).sum()
    rhs = (x.astype(np.float64) * gx).sum()
    assert math.isclose(lhs, rhs, rel_tol=1e-4 if dtype == np.float32 else 1e-12, abs_tol=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("in_hw, out_hw", [((6, 6), (3, 3)), ((7, 5), (3, 4)), ((4, 4), (1, 1)),
                                           ((3, 3), (5, 4))])
def test_adaptive_avg_pool2d(emu, dtype, in_hw, out_hw):
    shape = (2, 3) + in_hw
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(dtype)
    fwd, cpu_fwd = kernels("pool", "adaptive_avg_pool2d_fwd")
    out = np.full(shape[:2] + out_hw, np.nan, dtype)
    fwd(x, out)
    ref = np.empty(out.shape)
    for oh, ow in itertools.product(*map(range, out_hw)):
        h0, h1 = oh * in_hw[0] // out_hw[0], -(-(oh + 1) * in_hw[0] // out_hw[0])
        w0, w1 = ow * in_hw[1] // out_hw[1], -(-(ow + 1) * in_hw[1] // out_hw[1])
        ref[:, :, oh, ow] = x[:, :, h0:h1, w0:w1].astype(np.float64).mean((2, 3))
    assert_close(out, ref)
    cpu_out = np.empty_like(out)
    cpu_fwd(x, cpu_out)
    assert_close(out, cpu_out)

    bwd, cpu_bwd = kernels("pool", "adaptive_avg_pool2d_bwd")
    g = rng.standard_normal(out.shape).astype(dtype)
    gx, cpu_gx = np.zeros(shape, dtype), np.zeros(shape, dtype)
    bwd(g, gx)
    cpu_bwd(g, cpu_gx)
    assert_close(gx, cpu_gx)
    assert math.isclose((out.astype(np.float64) * g).sum(), (x.astype(np.float64) * gx).sum(),
                        rel_tol=1e-4 if dtype == np.float32 else 1e-12, abs_tol=1e-5)
