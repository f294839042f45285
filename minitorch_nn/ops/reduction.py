"""Reductions: sum, mean, ... over all dims or over `dim` (int or tuple), with `keepdim`."""
from __future__ import annotations

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..tensor import _wrap
from ._util import normalize_dims, xp_of

__all__ = ["sum"]


def _expand_back(g, shape, dims, keepdim):
    """A reduced gradient broadcast back to the input's `shape`."""
    xp = xp_of(g)
    if not keepdim and dims:
        g = xp.expand_dims(g, dims)
    return xp.broadcast_to(g, shape)


def _sum_dtype(x, dtype):
    """PyTorch sums bool and integer tensors in int64 unless a dtype is given."""
    if dtype is not None:
        return _dt.to_dtype(dtype).np
    if x._data.dtype.kind in "biu":
        return _dt.int64.np
    return None


class Sum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        dims = normalize_dims(dim, x._data.ndim)
        ctx.meta = (x._data.shape, x._data.dtype, dims, keepdim)
        out = x._data.sum(axis=dims, keepdims=keepdim, dtype=_sum_dtype(x, dtype))
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        shape, in_dtype, dims, keepdim = ctx.meta
        return _expand_back(g.astype(in_dtype, copy=False), shape, dims, keepdim), None, None, \
            None


def sum(input, dim=None, keepdim=False, *, dtype=None):
    return Sum.apply(input, dim, keepdim, dtype)


METHODS = {"sum": sum}
