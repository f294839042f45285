"""Bilinear resampling kernels over (N, C, H, W) arrays (F.interpolate mode='bilinear').

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

from numba import njit, prange

from ._variants import parallel_kernel

__all__ = ["bilinear2d_fwd", "bilinear2d_bwd"]


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
