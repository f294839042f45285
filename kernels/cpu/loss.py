"""Loss kernels: cross-entropy over class indices, log-softmax and NLL fused in one pass.

For each row i of the logits (N, C) the forward computes lse_i = log(sum_c exp(x_ic)) (with
the row max subtracted first, so it cannot overflow) and the row's loss

    loss_i = (1 - eps) * w[y_i] * (lse_i - x_i,y_i) + eps / C * sum_c w[c] * (lse_i - x_ic)

(eps = label smoothing; 0 when y_i == ignore_index). The backward rebuilds the softmax from
x and lse (no (N, C) array is kept between the passes) and writes

    dx_ic = s_i * ((1 - eps) * w[y_i] * (p_ic - [c == y_i]) + eps / C * (W * p_ic - w[c]))

with W = sum_c w[c] and s_i the incoming gradient of row i (already divided by the mean's
denominator). An ignored row (y_i == ignore_index) has loss 0 and gradient 0 * p_i, that is
NaN where lse_i is not finite (the row holds +inf or NaN, or only -inf), as PyTorch's
log_softmax backward gives. Targets are checked against [0, C) by the caller. float32 logits use the
vectorizable exp of _fastmath.py.
"""
from __future__ import annotations

import math

import numpy as np
from numba import prange

from ._fastmath import FAST, exp_fast, like, row_dot, row_max, row_sum, sum_exp
from ._variants import parallel_kernel

__all__ = ["cross_entropy_fwd", "cross_entropy_bwd"]


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def cross_entropy_fwd(x, target, weight, ignore_index, eps, lse_out, loss_out, wt_out):
    """Fill lse_out (N,), loss_out (N,) and wt_out (N,) = w[y_i] (0 for ignored rows).

    The loss uses (max - x) + logsum in float64, so it does not lose the digits that
    rounding lse = max + logsum to float32 would."""
    n, c = x.shape
    for i in prange(n):
        row = x[i]
        m = row_max(row)
        log_s = math.log(sum_exp(row, m))
        lse_out[i] = m + log_s
        y = target[i]
        if y == ignore_index:
            loss_out[i] = 0.0
            wt_out[i] = 0.0
            continue
        wy = weight[y]
        loss = (1.0 - eps) * wy * ((m - row[y]) + log_s)
        if eps > 0.0:   # sum_j w_j (lse - x_j), in float64
            smooth = (m + log_s) * row_sum(weight) - row_dot(weight, row)
            loss += eps / c * smooth
        loss_out[i] = loss
        wt_out[i] = wy


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def cross_entropy_bwd(x, target, weight, ignore_index, eps, lse, scale, out):
    """Gradient of the per-row losses w.r.t. the logits, row i scaled by scale[i]."""
    n, c = x.shape
    wsum = row_sum(weight)
    for i in prange(n):
        row = x[i]
        dst = out[i]
        y = target[i]
        li = lse[i]
        if y == ignore_index:   # 0 * softmax: NaN where lse is not finite, as in PyTorch
            z = like(li, li - li)
            for j in range(np.uint64(c)):
                dst[j] = z
            continue
        s = scale[i]
        hard = like(li, s * (1 - eps) * weight[y])   # coefficients in x's float type
        if eps > 0.0:
            soft_p = like(li, s * eps / c * wsum)
            soft_w = like(li, s * eps / c)
            for j in range(np.uint64(c)):
                p = exp_fast(row[j] - li)
                dst[j] = (hard + soft_p) * p - soft_w * weight[j]
        else:
            for j in range(np.uint64(c)):
                dst[j] = hard * exp_fast(row[j] - li)
        dst[y] -= hard
