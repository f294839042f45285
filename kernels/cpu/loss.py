"""Loss kernels: cross-entropy over class indices, log-softmax and NLL fused in one pass.

For each row i of the logits (N, C) the forward computes lse_i = log(sum_c exp(x_ic)) (with
the row max subtracted first, so it cannot overflow) and the row's loss

    loss_i = (1 - eps) * w[y_i] * (lse_i - x_i,y_i) + eps / C * sum_c w[c] * (lse_i - x_ic)

(eps = label smoothing; 0 when y_i == ignore_index). The backward rebuilds the softmax from
x and lse (no (N, C) array is kept between the passes) and writes

    dx_ic = s_i * ((1 - eps) * w[y_i] * (p_ic - [c == y_i]) + eps / C * (W * p_ic - w[c]))

with W = sum_c w[c] and s_i the incoming gradient of row i (already divided by the mean's
denominator). Targets are checked against [0, C) by the caller.
"""
from __future__ import annotations

import math

from numba import prange

from ._variants import parallel_kernel

__all__ = ["cross_entropy_fwd", "cross_entropy_bwd"]


@parallel_kernel(globals())
def cross_entropy_fwd(x, target, weight, ignore_index, eps, lse_out, loss_out, wt_out):
    """Fill lse_out (N,), loss_out (N,) and wt_out (N,) = w[y_i] (0 for ignored rows)."""
    n, c = x.shape
    for i in prange(n):
        m = x[i, 0]
        for j in range(1, c):
            if x[i, j] > m:
                m = x[i, j]
        s = 0.0
        for j in range(c):
            s += math.exp(x[i, j] - m)
        lse = m + math.log(s)
        lse_out[i] = lse
        y = target[i]
        if y == ignore_index:
            loss_out[i] = 0.0
            wt_out[i] = 0.0
            continue
        wy = weight[y]
        loss = (1.0 - eps) * wy * (lse - x[i, y])
        if eps > 0.0:
            smooth = 0.0
            for j in range(c):
                smooth += weight[j] * (lse - x[i, j])
            loss += eps / c * smooth
        loss_out[i] = loss
        wt_out[i] = wy


@parallel_kernel(globals())
def cross_entropy_bwd(x, target, weight, ignore_index, eps, lse, scale, out):
    """Gradient of the per-row losses w.r.t. the logits, row i scaled by scale[i]."""
    n, c = x.shape
    wsum = 0.0
    for j in range(c):
        wsum += weight[j]
    for i in prange(n):
        y = target[i]
        if y == ignore_index:
            for j in range(c):
                out[i, j] = 0.0
            continue
        s = scale[i]
        hard = (1.0 - eps) * weight[y]
        for j in range(c):
            p = math.exp(x[i, j] - lse[i])
            d = hard * p
            if eps > 0.0:
                d += eps / c * (wsum * p - weight[j])
            out[i, j] = s * d
        out[i, y] -= s * hard
