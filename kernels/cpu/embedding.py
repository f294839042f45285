"""Embedding kernel: the weight gradient is a scatter-add of output-gradient rows.

grad_weight[idx[m]] += g[m] for every lookup m, skipping padding_idx. Rows looked up several
times accumulate, so the loop is serial over lookups (no two threads may add into one row);
each step is a contiguous row add, which is memory-bound anyway. float32/float64 `g`.
"""
from __future__ import annotations

from numba import njit

__all__ = ["embedding_bwd"]


@njit(cache=True)
def embedding_bwd(idx, g, out, padding_idx):
    """out (V, D) zeroed; idx (M,) int64; g (M, D); padding_idx < 0 means none. A row outside
    [0, V) is skipped (the op has checked the indices; the kernel never writes outside out)."""
    m, d = g.shape
    v = out.shape[0]
    for r in range(m):
        row = idx[r]
        if row == padding_idx or row < 0 or row >= v:
            continue
        for j in range(d):
            out[row, j] += g[r, j]
