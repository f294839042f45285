"""Normalization kernels: rows (layer norm, group norm) and channels (batch norm).

Row norm: x is (M, D); each row is normalized by its own mean and biased variance,
    y = (x - mean) * rstd * w + b,  rstd = 1 / sqrt(var + eps),
and backward, with xhat = (x - mean) * rstd and dxhat = g * w, is
    dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),
    dw = sum over rows of g * xhat,  db = sum over rows of g.
Rows are split over threads; dw and db are summed per chunk of rows into (P, D) partial
arrays (no two threads write the same place) that the caller adds up.

Channel norm (batch norm): x is (N, C, L); channel c is normalized over its N * L values.
One thread per channel computes the statistics (two passes: mean, then squared deviations),
writes y, and in backward the two sums it needs (sum g, sum g * (x - mean)).
Accumulation is in float64. float32/float64 arrays; w and b always given (ones/zeros).
"""
from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._fastmath import FAST, like, row_dot, row_dot3, row_sqdev, row_sum
from ._variants import parallel_kernel

__all__ = ["row_norm_fwd", "row_norm_bwd", "channel_norm_fwd", "channel_norm_bwd"]


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def row_norm_fwd(x, w, b, eps, out, mean, rstd):
    m, d = x.shape
    for i in prange(m):
        row = x[i]
        dst = out[i]
        mu = row_sum(row) / d
        r = 1.0 / math.sqrt(row_sqdev(row, mu) / d + eps)
        mean[i] = mu
        rstd[i] = r
        mu_, r_ = like(row[0], mu), like(row[0], r)
        for j in range(np.uint64(d)):
            dst[j] = (row[j] - mu_) * r_ * w[j] + b[j]


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def row_norm_bwd(x, g, mean, rstd, w, gx, gw_parts, gb_parts):
    """gx (M, D); gw_parts/gb_parts (P, D) zeroed, P chunks of rows (see module doc)."""
    m, d = x.shape
    parts = gw_parts.shape[0]
    per = (m + parts - 1) // parts
    for p in prange(parts):
        lo = p * per
        hi = min(m, lo + per)
        gw_p, gb_p = gw_parts[p], gb_parts[p]
        for i in range(lo, hi):
            row, gi, dst = x[i], g[i], gx[i]
            mu = np.float64(mean[i])
            r = np.float64(rstd[i])
            sgw = row_dot(gi, w)                                   # sum g w
            s1 = sgw / d                                           # mean(dxhat)
            s2 = r * (row_dot3(gi, w, row) - mu * sgw) / d         # mean(dxhat * xhat)
            mu_, r_, s1_, s2_ = like(row[0], mu), like(row[0], r), like(row[0], s1), \
                like(row[0], s2)
            for j in range(np.uint64(d)):
                xh = (row[j] - mu_) * r_
                dst[j] = r_ * (gi[j] * w[j] - s1_ - xh * s2_)
                gw_p[j] += gi[j] * xh
                gb_p[j] += gi[j]


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def channel_norm_fwd(x, mean, var, w, b, eps, compute_stats, out, rstd):
    """Batch norm forward; with compute_stats, mean/var (C,) are filled from the batch."""
    n, c, l = x.shape
    count = n * l
    for ch in prange(c):
        if compute_stats:
            s = 0.0
            for i in range(n):
                s += row_sum(x[i, ch])
            mu = s / count
            q = 0.0
            for i in range(n):
                q += row_sqdev(x[i, ch], mu)
            mean[ch] = mu
            var[ch] = q / count
        r = 1.0 / math.sqrt(np.float64(var[ch]) + eps)
        rstd[ch] = r
        scale = r * w[ch]
        shift = b[ch] - mean[ch] * scale
        scale_, shift_ = like(x[0, 0, 0], scale), like(x[0, 0, 0], shift)
        for i in range(n):
            src, dst = x[i, ch], out[i, ch]
            for j in range(np.uint64(l)):
                dst[j] = src[j] * scale_ + shift_


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def channel_norm_bwd(x, g, mean, rstd, w, batch_stats, gx, gw, gb):
    """Batch norm backward; batch_stats says whether mean/var came from this batch."""
    n, c, l = x.shape
    count = n * l
    for ch in prange(c):
        mu = np.float64(mean[ch])
        r = np.float64(rstd[ch])
        sg = 0.0
        sgx = 0.0
        for i in range(n):
            gs = row_sum(g[i, ch])
            sg += gs
            sgx += row_dot(g[i, ch], x[i, ch]) - mu * gs       # sum g (x - mean)
        gb[ch] = sg
        gw[ch] = sgx * r
        k = w[ch] * r
        if batch_stats:
            a = like(x[0, 0, 0], sg / count)
            bcoef = like(x[0, 0, 0], sgx * r * r / count)
        else:
            a = like(x[0, 0, 0], 0.0)
            bcoef = like(x[0, 0, 0], 0.0)
        k_, mu_ = like(x[0, 0, 0], k), like(x[0, 0, 0], mu)
        for i in range(n):
            src, gi, dst = x[i, ch], g[i, ch], gx[i, ch]
            for j in range(np.uint64(l)):
                dst[j] = k_ * (gi[j] - a - (src[j] - mu_) * bcoef)
