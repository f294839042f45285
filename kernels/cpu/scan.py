"""Scan kernels: the running maximum/minimum of each row and where it was found.

One pass per row, as PyTorch's CPU loop: an element replaces the running extreme when it is
NaN or (the extreme is not NaN and) it is >= the maximum (<= the minimum), so a tie or a later
NaN moves the index to the later element. `x`, `values` (R, N) float32/float64 and
`indices` (R, N) int64, all of the same shape (the op allocates them: nothing is indexed
outside these shapes).
"""
from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["cummax", "cummin"]


@njit(cache=True)
def cummax(x, values, indices):
    rows, n = x.shape
    if values.shape != x.shape or indices.shape != x.shape:
        return
    for r in range(rows):
        if n == 0:
            continue
        best = x[r, 0]
        at = 0
        for j in range(n):
            v = x[r, j]
            if np.isnan(v) or (not np.isnan(best) and v >= best):
                best = v
                at = j
            values[r, j] = best
            indices[r, j] = at


@njit(cache=True)
def cummin(x, values, indices):
    rows, n = x.shape
    if values.shape != x.shape or indices.shape != x.shape:
        return
    for r in range(rows):
        if n == 0:
            continue
        best = x[r, 0]
        at = 0
        for j in range(n):
            v = x[r, j]
            if np.isnan(v) or (not np.isnan(best) and v <= best):
                best = v
                at = j
            values[r, j] = best
            indices[r, j] = at
