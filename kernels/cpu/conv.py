"""Convolution kernels: im2col and col2im for 2-D convolutions (1-D ones use H = 1).

A convolution becomes one matrix product per group once every receptive field is laid out as
a column (im2col): for input x (N, C, H, W) and a kh x kw kernel,

    cols[c*kh*kw + i*kw + j, (n*OH + oh)*OW + ow] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]

(0 where that position falls in the zero padding, so no padded copy of x is made). The
columns of all samples sit side by side, so out (O, N*OH*OW) = weight (O, C*kh*kw) @ cols is
a single BLAS product, and so are both products of the backward. col2im is the adjoint: it
adds every column entry back to the input position it was read from; it gives the input
gradient of a convolution and the forward of a transposed convolution.

Both kernels are parallel over (n, c) pairs, which write disjoint memory. float32/float64.
"""
from __future__ import annotations

from numba import njit, prange

from ._variants import parallel_kernel

__all__ = ["im2col", "col2im"]


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
                for oh in range(oh_n):
                    ih = oh * sh - ph + i * dh
                    base = (n * oh_n + oh) * ow_n
                    if ih < 0 or ih >= height:
                        for ow in range(ow_n):
                            cols[row, base + ow] = 0.0
                        continue
                    for ow in range(lo):
                        cols[row, base + ow] = 0.0
                    for ow in range(lo, hi):
                        cols[row, base + ow] = x[n, c, ih, ow * sw + off]
                    for ow in range(hi, ow_n):
                        cols[row, base + ow] = 0.0


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
                for oh in range(oh_n):
                    ih = oh * sh - ph + i * dh
                    if ih < 0 or ih >= height:
                        continue
                    base = (n * oh_n + oh) * ow_n
                    for ow in range(lo, hi):
                        out[n, c, ih, ow * sw + off] += cols[row, base + ow]
