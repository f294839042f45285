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

from numba import prange

from ._variants import parallel_kernel

__all__ = ["row_norm_fwd", "row_norm_bwd", "channel_norm_fwd", "channel_norm_bwd"]


@parallel_kernel(globals())
def row_norm_fwd(x, w, b, eps, out, mean, rstd):
    m, d = x.shape
    for i in prange(m):
        s = 0.0
        for j in range(d):
            s += x[i, j]
        mu = s / d
        q = 0.0
        for j in range(d):
            t = x[i, j] - mu
            q += t * t
        r = 1.0 / math.sqrt(q / d + eps)
        mean[i] = mu
        rstd[i] = r
        for j in range(d):
            out[i, j] = (x[i, j] - mu) * r * w[j] + b[j]


@parallel_kernel(globals())
def row_norm_bwd(x, g, mean, rstd, w, gx, gw_parts, gb_parts):
    """gx (M, D); gw_parts/gb_parts (P, D) zeroed, P chunks of rows (see module doc)."""
    m, d = x.shape
    parts = gw_parts.shape[0]
    per = (m + parts - 1) // parts
    for p in prange(parts):
        lo = p * per
        hi = min(m, lo + per)
        for i in range(lo, hi):
            mu = mean[i]
            r = rstd[i]
            s1 = 0.0
            s2 = 0.0
            for j in range(d):
                xh = (x[i, j] - mu) * r
                dxh = g[i, j] * w[j]
                s1 += dxh
                s2 += dxh * xh
                gw_parts[p, j] += g[i, j] * xh
                gb_parts[p, j] += g[i, j]
            s1 /= d
            s2 /= d
            for j in range(d):
                xh = (x[i, j] - mu) * r
                gx[i, j] = r * (g[i, j] * w[j] - s1 - xh * s2)


@parallel_kernel(globals())
def channel_norm_fwd(x, mean, var, w, b, eps, compute_stats, out, rstd):
    """Batch norm forward; with compute_stats, mean/var (C,) are filled from the batch."""
    n, c, l = x.shape
    count = n * l
    for ch in prange(c):
        if compute_stats:
            s = 0.0
            for i in range(n):
                for j in range(l):
                    s += x[i, ch, j]
            mu = s / count
            q = 0.0
            for i in range(n):
                for j in range(l):
                    t = x[i, ch, j] - mu
                    q += t * t
            mean[ch] = mu
            var[ch] = q / count
        mu = mean[ch]
        r = 1.0 / math.sqrt(var[ch] + eps)
        rstd[ch] = r
        scale = r * w[ch]
        shift = b[ch] - mu * scale
        for i in range(n):
            for j in range(l):
                out[i, ch, j] = x[i, ch, j] * scale + shift


@parallel_kernel(globals())
def channel_norm_bwd(x, g, mean, rstd, w, batch_stats, gx, gw, gb):
    """Batch norm backward; batch_stats says whether mean/var came from this batch."""
    n, c, l = x.shape
    count = n * l
    for ch in prange(c):
        mu = mean[ch]
        r = rstd[ch]
        sg = 0.0
        sgx = 0.0
        for i in range(n):
            for j in range(l):
                sg += g[i, ch, j]
                sgx += g[i, ch, j] * (x[i, ch, j] - mu)
        gb[ch] = sg
        gw[ch] = sgx * r
        k = w[ch] * r
        if batch_stats:
            a = sg / count
            bcoef = sgx * r * r / count
            for i in range(n):
                for j in range(l):
                    gx[i, ch, j] = k * (g[i, ch, j] - a - (x[i, ch, j] - mu) * bcoef)
        else:
            for i in range(n):
                for j in range(l):
                    gx[i, ch, j] = k * g[i, ch, j]
