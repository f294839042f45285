"""Convolution kernels: im2col and col2im for 2-D convolutions (1-D ones use H = 1).

A convolution becomes one matrix product per group once every receptive field is laid out as
a column (im2col): for input x (N, C, H, W) and a kh x kw kernel,

    cols[c*kh*kw + i*kw + j, (n*OH + oh)*OW + ow] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]

(0 where that position falls in the zero padding, so no padded copy of x is made). The
columns of all samples sit side by side, so out (O, N*OH*OW) = weight (O, C*kh*kw) @ cols is
a single BLAS product, and so are both products of the backward. col2im is the adjoint: it
adds every column entry back to the input position it was read from; it gives the input
gradient of a convolution and the forward of a transposed convolution.

Stride 1 (the common case) has its own pair, `im2col_s1` / `col2im_s1`, over a zero-padded
copy of the input stored as flat planes (N*C, Hp*Wp + tail). With stride 1 the field (i, j)
of all output rows of one plane is a single contiguous run of OH*Wp values starting at
i*dh*Wp + j*dw, so each (n, c, i, j) is one long copy (or add). The price: Wp - OW extra
columns per output row are computed by the GEMM and dropped (their gradient is zero, so they
add nothing in backward). The general kernels handle any stride.

All kernels are parallel over (n, c) pairs, which write disjoint memory. float32/float64.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._variants import parallel_kernel

__all__ = ["im2col", "col2im", "im2col_s1", "col2im_s1", "gemm_to_nchw", "nchw_to_gemm"]


@njit(cache=True, inline="always")
def _valid_range(j, kw_step, sw, pw, width, ow_n):
    """The output columns ow whose input column ow*sw - pw + j*kw_step lies in [0, width)."""
    off = j * kw_step - pw
    lo = 0 if off >= 0 else (-off + sw - 1) // sw
    hi = (width - 1 - off) // sw + 1 if width - 1 - off >= 0 else 0
    if hi > ow_n:
        hi = ow_n
    if lo > hi:
        lo = hi
    return lo, hi, off


@parallel_kernel(globals())
def im2col(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, oh_n, ow_n):
    """Fill cols (C*kh*kw, N*OH*OW) from x (N, C, H, W); see the module docstring."""
    n_batch, channels, height, width = x.shape
    for nc in prange(n_batch * channels):
        n = nc // channels
        c = nc % channels
        for i in range(kh):
            for j in range(kw):
                row = (c * kh + i) * kw + j
                lo, hi, off = _valid_range(j, dw, sw, pw, width, ow_n)
                src_lo, src_hi = lo * sw + off, (hi - 1) * sw + off + 1
                for oh in range(oh_n):
                    ih = oh * sh - ph + i * dh
                    base = (n * oh_n + oh) * ow_n
                    dst = cols[row, base:base + ow_n]
                    if ih < 0 or ih >= height or hi <= lo:
                        dst[:] = 0.0
                        continue
                    dst[:lo] = 0.0
                    dst[lo:hi] = x[n, c, ih, src_lo:src_hi:sw]
                    dst[hi:] = 0.0


@parallel_kernel(globals())
def col2im(cols, out, kh, kw, sh, sw, ph, pw, dh, dw, oh_n, ow_n):
    """Add cols (C*kh*kw, N*OH*OW) into out (N, C, H, W) (zeroed by the caller)."""
    n_batch, channels, height, width = out.shape
    for nc in prange(n_batch * channels):
        n = nc // channels
        c = nc % channels
        for i in range(kh):
            for j in range(kw):
                row = (c * kh + i) * kw + j
                lo, hi, off = _valid_range(j, dw, sw, pw, width, ow_n)
                if hi <= lo:
                    continue
                dst_lo, dst_hi = lo * sw + off, (hi - 1) * sw + off + 1
                for oh in range(oh_n):
                    ih = oh * sh - ph + i * dh
                    if ih < 0 or ih >= height:
                        continue
                    base = (n * oh_n + oh) * ow_n
                    out[n, c, ih, dst_lo:dst_hi:sw] += cols[row, base + lo:base + hi]


@parallel_kernel(globals())
def im2col_s1(planes, cols, kh, kw, dh, dw, wp, oh_n, channels):
    """Stride-1 im2col: cols (C*kh*kw, N*OH*Wp) from padded planes (N*C, Hp*Wp + tail)."""
    run = oh_n * wp
    for nc in prange(planes.shape[0]):
        n = nc // channels
        c = nc % channels
        for i in range(kh):
            for j in range(kw):
                row = (c * kh + i) * kw + j
                src = np.uint64(i * dh * wp + j * dw)
                dst = np.uint64(n * run)
                for t in range(np.uint64(run)):
                    cols[row, dst + t] = planes[nc, src + t]


@parallel_kernel(globals())
def col2im_s1(cols, planes, kh, kw, dh, dw, wp, oh_n, channels):
    """Stride-1 col2im: add cols (C*kh*kw, N*OH*Wp) into zeroed planes (N*C, Hp*Wp + tail)."""
    run = oh_n * wp
    for nc in prange(planes.shape[0]):
        n = nc // channels
        c = nc % channels
        for i in range(kh):
            for j in range(kw):
                row = (c * kh + i) * kw + j
                src = np.uint64(i * dh * wp + j * dw)
                dst = np.uint64(n * run)
                for t in range(np.uint64(run)):
                    planes[nc, src + t] += cols[row, dst + t]


# GEMM results are (O, N*OH*Wp); tensors are (N, O, OH, OW). Loop indices are unsigned so
# that Numba drops its negative-index checks and LLVM vectorizes the inner copies.
@parallel_kernel(globals())
def gemm_to_nchw(src, dst, wp):
    """dst (N, O, OH, OW) = src (O, N*OH*Wp) with the columns ow >= OW of each row dropped."""
    n_batch, o_n, oh_n, ow_n = dst.shape
    for no in prange(n_batch * o_n):
        n = no // o_n
        o = no % o_n
        for oh in range(oh_n):
            base = np.uint64((n * oh_n + oh) * wp)
            for ow in range(np.uint64(ow_n)):
                dst[n, o, oh, ow] = src[o, base + ow]


@parallel_kernel(globals())
def nchw_to_gemm(g, dst, wp):
    """The adjoint: dst (O, N*OH*Wp), zeroed by the caller, receives g (N, O, OH, OW)."""
    n_batch, o_n, oh_n, ow_n = g.shape
    for no in prange(n_batch * o_n):
        n = no // o_n
        o = no % o_n
        for oh in range(oh_n):
            base = np.uint64((n * oh_n + oh) * wp)
            for ow in range(np.uint64(ow_n)):
                dst[o, base + ow] = g[n, o, oh, ow]
