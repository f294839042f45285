"""Sorting kernels: the k best elements of each row (topk), without sorting the whole row.

One pass over the row keeps the best k seen so far in a sorted buffer; an element enters
only when it beats the buffer's last entry, so for small k most elements cost one compare
(worst case, an input already in order, O(n k)). Ties keep index order (an element goes
after the equal ones already kept) and NaN ranks above every number, so the result is the
first k of a stable sort, as the op's array path gives. float32/float64 rows.
"""
from __future__ import annotations

from numba import njit

__all__ = ["topk"]


@njit(cache=True)
def _before(a, b, largest):
    """Whether `a` ranks strictly before `b`: larger (smaller) first, NaN the largest."""
    if largest:
        if a != a:
            return b == b
        return a > b
    if b != b:
        return a == a
    return a < b


@njit(cache=True)
def topk(x, k, largest, vals, idx):
    """x (rows, n); vals (rows, k') and idx (rows, k') int64 receive the best min(k, n, k')
    of each row in rank order. Every index stays inside the arrays whatever k is."""
    rows, n = x.shape
    k = min(k, n, vals.shape[1], idx.shape[1])
    if k <= 0 or vals.shape[0] < rows or idx.shape[0] < rows:
        return
    for r in range(rows):
        m = 0
        for i in range(n):
            v = x[r, i]
            if m == k:
                if not _before(v, vals[r, k - 1], largest):
                    continue
                pos = k - 1
            else:
                pos = m
                m += 1
            while pos > 0 and _before(v, vals[r, pos - 1], largest):
                vals[r, pos] = vals[r, pos - 1]
                idx[r, pos] = idx[r, pos - 1]
                pos -= 1
            vals[r, pos] = v
            idx[r, pos] = i
