"""Convolution kernels: im2col and col2im for 2-D convolutions (1-D ones use H = 1).

A convolution becomes one matrix product per group once every receptive field is laid out as
a column (im2col): for input x (N, C, H, W) and a kh x kw kernel,

    cols[c*kh*kw + i*kw + j, (n*OH + oh)*OW + ow] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]

(0 where that position falls in the zero padding, so no padded copy of x is made). The
columns of all samples sit side by side, so out (O, N*OH*OW) = weight (O, C*kh*kw) @ cols is
a single BLAS product, and so are both products of the backward. col2im is the adjoint: it
adds every column entry back to the input position it was read from; it gives the input
gradient of a convolution and the forward of a transposed convolution.

Stride 1 (the common case) has its own pair, `im2col_s1` / `col2im_s1`: the same layout and
the same values, with contiguous runs instead of strided slices. With stride 1, the field
(i, j) of one output row is a run of OW consecutive input values (zero where it reads the
padding), and when OW == W (a 'same' width) the fields of all valid rows of one plane are a
single shifted run of the flat input plane, copied at once, whose columns in the padding are
then zeroed. The padding zeros are written in the same pass, so no padded copy of the input
is made and nothing is zeroed beforehand.

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


@njit(cache=True, inline="always")
def _inside(off, size, out_n):
    """The output positions o in [lo, hi) whose input position o + off lies in [0, size)."""
    lo = min(max(0, -off), out_n)
    return lo, max(min(out_n, size - off), lo)


@njit(cache=True, inline="always")
def _fill_zero(dst, row, start, stop):
    """dst[row, start:stop] = 0 (unsigned indices: no wrap-around checks, vectorized)."""
    begin = np.uint64(start)
    for t in range(np.uint64(max(stop - start, 0))):
        dst[row, begin + t] = 0.0


@parallel_kernel(globals())
def im2col_s1(x, cols, kh, kw, ph, pw, dh, dw, oh_n, ow_n):
    """Stride-1 im2col: fill cols (C*kh*kw, N*OH*OW) from x (N, C, H, W), zeros included."""
    n_batch, channels, height, width = x.shape
    flat = x.reshape(n_batch * channels, height * width)
    run = oh_n * ow_n
    for nc in prange(n_batch * channels):
        n = nc // channels
        c = nc % channels
        for i in range(kh):
            r_off = i * dh - ph                       # input row = output row + r_off
            r_lo, r_hi = _inside(r_off, height, oh_n)
            for j in range(kw):
                row = (c * kh + i) * kw + j
                c_off = j * dw - pw                   # input column = output column + c_off
                c_lo, c_hi = _inside(c_off, width, ow_n)
                base = n * run
                _fill_zero(cols, row, base, base + r_lo * ow_n)         # rows in the padding
                _fill_zero(cols, row, base + r_hi * ow_n, base + run)
                if ow_n == width:
                    # one shifted run over all valid rows (clipped to the plane); the columns
                    # in the padding read a neighbouring row there and are zeroed below
                    shift = r_off * width + c_off
                    lo = max(r_lo * ow_n, -shift)
                    hi = min(r_hi * ow_n, height * width - shift)
                    dst0, src0 = np.uint64(base + lo), np.uint64(lo + shift)
                    for t in range(np.uint64(max(hi - lo, 0))):
                        cols[row, dst0 + t] = flat[nc, src0 + t]
                for oh in range(r_lo, r_hi):
                    start = base + oh * ow_n
                    _fill_zero(cols, row, start, start + c_lo)
                    _fill_zero(cols, row, start + c_hi, start + ow_n)
                    if ow_n != width:
                        dst0 = np.uint64(start + c_lo)
                        src0 = np.uint64((oh + r_off) * width + c_lo + c_off)
                        for t in range(np.uint64(c_hi - c_lo)):
                            cols[row, dst0 + t] = flat[nc, src0 + t]


@parallel_kernel(globals())
def col2im_s1(cols, out, kh, kw, ph, pw, dh, dw, oh_n, ow_n):
    """Stride-1 col2im: out (N, C, H, W) = the sum of cols (C*kh*kw, N*OH*OW) at the
    positions im2col_s1 read (out is written whole: the caller need not zero it). Each input
    position sums its fields from 0.0 in (i, j) order, as col2im does, so the two agree bit
    for bit."""
    n_batch, channels, height, width = out.shape
    flat = out.reshape(n_batch * channels, height * width)
    run = oh_n * ow_n
    for nc in prange(n_batch * channels):
        n = nc // channels
        c = nc % channels
        _fill_zero(flat, nc, 0, height * width)
        for i in range(kh):
            r_off = i * dh - ph
            r_lo, r_hi = _inside(r_off, height, oh_n)
            for j in range(kw):
                row = (c * kh + i) * kw + j
                c_off = j * dw - pw
                c_lo, c_hi = _inside(c_off, width, ow_n)
                for oh in range(r_lo, r_hi):
                    src0 = np.uint64(n * run + oh * ow_n + c_lo)
                    dst0 = np.uint64((oh + r_off) * width + c_lo + c_off)
                    for t in range(np.uint64(c_hi - c_lo)):
                        flat[nc, dst0 + t] += cols[row, src0 + t]


# GEMM results are (O, N*OH*OW); tensors are (N, O, OH, OW). Loop indices are unsigned so
# that Numba drops its negative-index checks and LLVM vectorizes the inner copies.
@parallel_kernel(globals())
def gemm_to_nchw(src, bias, dst):
    """dst (N, O, OH, OW) = src (O, N*OH*OW), plus bias[o] when `bias` is not empty (the same
    additions as adding the bias to src first, without a pass of its own)."""
    n_batch, o_n, oh_n, ow_n = dst.shape
    plane = oh_n * ow_n
    flat = dst.reshape(n_batch * o_n, plane)
    for no in prange(n_batch * o_n):
        n = no // o_n
        o = no % o_n
        base = np.uint64(n * plane)
        if bias.size:
            b = bias[o]
            for t in range(np.uint64(plane)):
                flat[no, t] = src[o, base + t] + b
        else:
            for t in range(np.uint64(plane)):
                flat[no, t] = src[o, base + t]


@parallel_kernel(globals())
def nchw_to_gemm(g, dst):
    """The inverse: dst (O, N*OH*OW) = g (N, O, OH, OW)."""
    n_batch, o_n, oh_n, ow_n = g.shape
    plane = oh_n * ow_n
    flat = g.reshape(n_batch * o_n, plane)
    for no in prange(n_batch * o_n):
        n = no // o_n
        o = no % o_n
        base = np.uint64(n * plane)
        for t in range(np.uint64(plane)):
            dst[o, base + t] = flat[no, t]
