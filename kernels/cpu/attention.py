"""Attention's softmax rows: scale, causal mask and softmax in one pass, and its backward.

scaled_dot_product_attention (minitorch_nn/ops/attention.py) computes its products with BLAS
(q @ k^T and p @ v per head) and hands the scores in between to these kernels, which work on
the rows of a C-contiguous (items, L, S) array:

- forward: p_ij = exp(scale s_ij - max_j scale s_ij) / sum_j(...) over the keys j the row may
  see: all S, or j <= i when causal (upper-left aligned, as PyTorch's is_causal). Masked
  entries are written as zeros and never exponentiated, so no L x S mask is built or applied.
  A row whose scores are all -inf gives zeros (PyTorch's "safe softmax").
- backward: ds_ij = scale * p_ij * (dp_ij - sum_j p_ij dp_ij), the gradient of the scores
  from the gradient of the weights dp, zero where masked.

float32 computes in float32 with _fastmath's vectorizable exp (row sums in float64); float64 in
float64. `scale` arrives as a numpy scalar of the arrays' dtype. `out` may be the input array
(in place). Nothing here knows Tensor or autograd.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._fastmath import FAST, exp_fast, like, row_dot, row_max, row_sum
from ._variants import parallel_kernel

__all__ = ["attention_softmax_fwd", "attention_softmax_bwd"]


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def attention_softmax_fwd(s, scale, causal, out):
    """out[b, i, :] = softmax(scale * s[b, i, :n]) padded with zeros, n = i + 1 when causal."""
    items, length, keys = s.shape
    for r in prange(items * length):
        b, i = r // length, r % length
        n = np.uint64(min(i + 1, keys) if causal else keys)
        span = _whole_vectors(n, keys)
        row, dst = s[b, i], out[b, i]
        for j in range(span):   # masked keys as -inf: their exp is 0
            dst[j] = row[j] * scale if j < n else -np.inf
        m = row_max(dst[:span]) if span else like(scale, -np.inf)
        if m == -np.inf:
            span = np.uint64(0)   # every visible key at -inf: zeros
        for j in range(span):
            dst[j] = exp_fast(dst[j] - m)
        inv = like(m, 1.0 / row_sum(dst[:span])) if span else m
        for j in range(span):
            dst[j] *= inv
        for j in range(span, np.uint64(keys)):
            dst[j] = 0


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def attention_softmax_bwd(p, dp, scale, causal, out):
    """out[b, i, :n] = scale * p * (dp - sum(p * dp)) over the row's visible keys, zeros after."""
    items, length, keys = p.shape
    for r in prange(items * length):
        b, i = r // length, r % length
        n = np.uint64(min(i + 1, keys) if causal else keys)
        span = _whole_vectors(n, keys)   # p is 0 on the masked keys of the span
        prow, grow, dst = p[b, i], dp[b, i], out[b, i]
        dot = like(scale, row_dot(prow[:span], grow[:span]))
        for j in range(span):
            dst[j] = scale * prow[j] * (grow[j] - dot)
        for j in range(span, np.uint64(keys)):
            dst[j] = 0


@njit(cache=True, inline="always")
def _whole_vectors(n, keys):
    """n rounded up to a multiple of 16 (whole AVX-512 float32 vectors, no scalar remainder
    loop in short rows), at most keys, as an unsigned loop bound."""
    return np.uint64(min((n + np.uint64(15)) // np.uint64(16) * np.uint64(16), keys))
