"""Resampling kernels: bilinear over float (N, C, H, W) arrays (F.interpolate mode='bilinear'),
and PyTorch's fixed-point uint8 path for bilinear/bicubic (see `uint8_taps`).

The op (minitorch_nn/ops/interpolation.py) computes PyTorch's taps per dim: for output row
oh the rows hi[0, oh], hi[1, oh] with weights hw[0, oh], hw[1, oh] (columns likewise), and

    out[n, c, oh, ow] = hw0 * (ww0 * x[h0, w0] + ww1 * x[h0, w1])
                      + hw1 * (ww0 * x[h1, w0] + ww1 * x[h1, w1])

(PyTorch's summation order). The backward adds each output gradient times the weights into
the four taps. Both are parallel over the N*C planes (each gradient plane is written by one
thread). Every tap index is checked against the plane before the loops: an index outside
[0, H) or [0, W), or tap arrays of the wrong shape, raise ValueError instead of touching
memory outside the arrays.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ._variants import parallel_kernel

__all__ = ["bilinear2d_fwd", "bilinear2d_bwd", "uint8_taps", "uint8_resample"]


@njit(cache=True)
def _check_taps(idx, wts, n_out, size):
    if idx.shape[0] != 2 or wts.shape[0] != 2 or idx.shape[1] != n_out or \
            wts.shape[1] != n_out:
        raise ValueError("bilinear2d: tap arrays do not match the output size")
    for t in range(2):
        for o in range(n_out):
            if idx[t, o] < 0 or idx[t, o] >= size:
                raise ValueError("bilinear2d: tap index outside the input")


@parallel_kernel(globals())
def bilinear2d_fwd(x, out, hi, hw, wi, ww):
    n_batch, channels, height, width = x.shape
    oh_n, ow_n = out.shape[2], out.shape[3]
    if out.shape[0] != n_batch or out.shape[1] != channels:
        raise ValueError("bilinear2d: output and input planes differ")
    _check_taps(hi, hw, oh_n, height)
    _check_taps(wi, ww, ow_n, width)
    for nc in prange(n_batch * channels):
        n = nc // channels
        c = nc % channels
        for oh in range(oh_n):
            h0 = hi[0, oh]
            h1 = hi[1, oh]
            a0 = hw[0, oh]
            a1 = hw[1, oh]
            for ow in range(ow_n):
                w0 = wi[0, ow]
                w1 = wi[1, ow]
                b0 = ww[0, ow]
                b1 = ww[1, ow]
                top = b0 * x[n, c, h0, w0] + b1 * x[n, c, h0, w1]
                bottom = b0 * x[n, c, h1, w0] + b1 * x[n, c, h1, w1]
                out[n, c, oh, ow] = a0 * top + a1 * bottom


@parallel_kernel(globals())
def bilinear2d_bwd(g, gx, hi, hw, wi, ww):
    n_batch, channels, height, width = gx.shape
    oh_n, ow_n = g.shape[2], g.shape[3]
    if g.shape[0] != n_batch or g.shape[1] != channels:
        raise ValueError("bilinear2d: gradient and input planes differ")
    _check_taps(hi, hw, oh_n, height)
    _check_taps(wi, ww, ow_n, width)
    for nc in prange(n_batch * channels):
        n = nc // channels
        c = nc % channels
        for oh in range(oh_n):
            h0 = hi[0, oh]
            h1 = hi[1, oh]
            a0 = hw[0, oh]
            a1 = hw[1, oh]
            for ow in range(ow_n):
                w0 = wi[0, ow]
                w1 = wi[1, ow]
                b0 = ww[0, ow]
                b1 = ww[1, ow]
                v = g[n, c, oh, ow]
                gx[n, c, h0, w0] += a0 * b0 * v
                gx[n, c, h0, w1] += a0 * b1 * v
                gx[n, c, h1, w0] += a1 * b0 * v
                gx[n, c, h1, w1] += a1 * b1 * v


# ------------------------------------------------------------------ uint8 (fixed point)
# PyTorch's CPU path for uint8 bilinear/bicubic (UpSampleKernel.cpp, HelperInterpBase and
# `basic_loop_aa_*<uint8_t>`): separable, one dim at a time; per output position o the
# input run [mins[o], mins[o] + sizes[o]) with float64 weights rounded to int16 at a common
# precision p (the largest p < 22 that keeps round(wt_max * 2**(p+1)) below 2**15), and
#     out = clamp((2**(p-1) + sum_j in[mins[o] + j] * w[o, j]) >> p, 0, 255)
# in int32 (an arithmetic shift: floor). Every step below follows PyTorch's operation order,
# since the weights are rounded: floorf() of the double source index, the -0.75 cubic of
# OpenCV without antialias and PIL's -0.5 with it.


@njit(cache=True)
def _u8_filter(x, cubic, a):
    x = abs(x)
    if not cubic:
        return 1.0 - x if x < 1.0 else 0.0
    if x < 1.0:
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    if x < 2.0:
        return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
    return 0.0


@njit(cache=True)
def _u8_weights_aa(i, in_size, scale, support, w, cubic, a):
    """PIL's antialiased weights of output i into w; returns (xmin, xsize, max weight)."""
    center = scale * (i + 0.5)
    invscale = 1.0 / scale if scale >= 1.0 else 1.0
    xmin = max(int(center - support + 0.5), 0)
    xsize = min(int(center + support + 0.5), in_size) - xmin
    xsize = min(max(xsize, 0), w.shape[0])
    total = 0.0
    for j in range(xsize):
        w[j] = _u8_filter((j + xmin - center + 0.5) * invscale, cubic, a)
        total += w[j]
    wmax = 0.0
    if total != 0.0:
        for j in range(xsize):
            w[j] /= total
            wmax = max(wmax, w[j])
    return xmin, xsize, wmax


@njit(cache=True)
def _u8_weights_plain(i, in_size, scale, align_corners, w, cubic, a):
    """Weights without antialias: interp_size taps around floorf(source index), the taps
    outside the input folded onto the border ones (PyTorch's accumulation)."""
    k = w.shape[0]
    if align_corners:
        src = scale * i
    else:
        src = scale * (i + 0.5) - 0.5
        if not cubic and src < 0.0:
            src = 0.0
    idx = min(int(math.floor(np.float32(src))), in_size - 1)
    lam = min(max(src - idx, 0.0), 1.0)
    support = k // 2
    umin = idx - support + 1
    xmin = max(umin, 0)
    xsize = min(max(min(idx + support + 1, in_size) - xmin, 0), k)
    wi = 0
    wmax = 0.0
    for j in range(k):
        w[j] = 0.0
    for j in range(k):
        v = _u8_filter(float(j + 1 - support) - lam, cubic, a)
        if umin + j <= 0:
            wi = 0
        elif umin + j >= in_size - 1:
            wi = xsize - 1
        if 0 <= wi < k:
            w[wi] += v
            wmax = max(wmax, w[wi])
        wi += 1
    return xmin, xsize, wmax


@njit(cache=True)
def uint8_taps(in_size, out_size, scale, cubic, a, antialias, align_corners):
    """(mins, sizes, int16 weights as int32 (out_size, K), precision) of one dim; `scale`
    is PyTorch's area_pixel_compute_scale in float64."""
    interp = 4 if cubic else 2
    if antialias:
        support = interp * 0.5 * scale if scale >= 1.0 else interp * 0.5
        k = int(math.ceil(support)) * 2 + 1
    else:
        support = interp * 0.5
        k = interp
    in_size = max(in_size, 1)
    out_size = max(out_size, 0)
    wf = np.zeros((out_size, k))
    mins = np.zeros(out_size, np.int64)
    sizes = np.zeros(out_size, np.int64)
    wmax = 0.0
    for i in range(out_size):
        if antialias:
            xmin, xsize, m = _u8_weights_aa(i, in_size, scale, support, wf[i], cubic, a)
        else:
            xmin, xsize, m = _u8_weights_plain(i, in_size, scale, align_corners, wf[i],
                                               cubic, a)
        mins[i] = min(xmin, in_size - 1)
        sizes[i] = min(xsize, in_size - mins[i])
        wmax = max(wmax, m)
    precision = 0
    while precision < 22:
        if int(0.5 + wmax * (1 << (precision + 1))) >= (1 << 15):
            break
        precision += 1
    wi = np.zeros((out_size, k), np.int32)
    for i in range(out_size):
        for j in range(k):
            v = wf[i, j] * (1 << precision)
            r = int(-0.5 + v) if v < 0 else int(0.5 + v)
            wi[i, j] = ((r + 32768) & 0xFFFF) - 32768   # the int16 store
    return mins, sizes, wi, max(precision, 1)


@njit(cache=True)
def _check_u8(src, dst, mins, sizes, weights, precision):
    if src.shape[0] != dst.shape[0] or src.shape[2] != dst.shape[2]:
        raise ValueError("uint8_resample: input and output differ outside the resampled dim")
    if mins.shape[0] != dst.shape[1] or sizes.shape[0] != dst.shape[1] or \
            weights.shape[0] != dst.shape[1]:
        raise ValueError("uint8_resample: taps do not match the output size")
    if precision < 1 or precision > 30:
        raise ValueError("uint8_resample: precision outside [1, 30]")
    for o in range(mins.shape[0]):
        if mins[o] < 0 or sizes[o] < 0 or sizes[o] > weights.shape[1] or \
                mins[o] + sizes[o] > src.shape[1]:
            raise ValueError("uint8_resample: tap run outside the input")


@njit(cache=True)
def _u8_clamp(v):
    return np.uint8(0 if v < 0 else (255 if v > 255 else v))


@parallel_kernel(globals())
def uint8_resample(src, dst, mins, sizes, weights, precision):
    """dst[a, o, b] = clamp((2**(p-1) + sum_j src[a, mins[o] + j, b] * weights[o, j]) >> p)
    for uint8 (A, L_in, B) -> (A, L_out, B); parallel over A. Few columns (B <= 4: the
    width pass) go through 16-row transposed tiles, more (the height pass) a row at a time:
    either way the innermost loop runs over contiguous int32 sums."""
    _check_u8(src, dst, mins, sizes, weights, precision)
    n_a, n_out, n_b = dst.shape
    half = np.int32(1 << (precision - 1))
    if n_b <= 4:   # tiles of 16 rows, transposed so the sum runs over the rows at once
        n_in = src.shape[1]
        for tile in prange((n_a + 15) // 16):
            a0 = tile * 16
            rows = min(16, n_a - a0)
            buf = np.zeros((n_in, 16), np.int32)
            acc = np.empty(16, np.int32)
            for b in range(n_b):
                for t in range(rows):
                    for i in range(n_in):
                        buf[i, t] = src[a0 + t, i, b]
                for o in range(n_out):
                    m = mins[o]
                    for t in range(16):
                        acc[t] = half
                    for j in range(sizes[o]):
                        wv = weights[o, j]
                        for t in range(16):
                            acc[t] += buf[m + j, t] * wv
                    for t in range(rows):
                        dst[a0 + t, o, b] = _u8_clamp(acc[t] >> precision)
        return
    for a in prange(n_a):
        acc = np.empty(n_b, np.int32)
        for o in range(n_out):
            for b in range(n_b):
                acc[b] = half
            m = mins[o]
            for j in range(sizes[o]):
                wv = weights[o, j]
                for b in range(n_b):
                    acc[b] += np.int32(src[a, m + j, b]) * wv
            for b in range(n_b):
                dst[a, o, b] = _u8_clamp(acc[b] >> precision)
