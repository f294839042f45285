"""Helpers shared by the reduction families (reduction, extrema, statistics, norms, scan).

`dim` given as PyTorch takes it (`_dims`, `_one_dim`), reduced arrays put back to the input's
shape for backward (`_unreduce`, `_expand_back`), float16/bfloat16 accumulated in float32
(`_acc`), PyTorch's result dtypes and error messages, the gradient of a max-like value split
over ties (`_evenly`), and `_IndexReduction`, the base of the ops that pick one element along
a dim and return `(values, indices)`.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap, _wrap_dim
from ._util import normalize_dims
from ._util import xp_of


def _type_name(d: _dt.dtype) -> str:
    """PyTorch's scalar type name used in error messages: Long, Float, Bool, ..."""
    return d._legacy[: -len("Tensor")]


def _dims(dim, ndim: int) -> tuple:
    """`dim` (None, int, tuple or list; () means all) as sorted non-negative axes."""
    dims = normalize_dims(dim, ndim)
    return () if ndim == 0 else dims


def _one_dim(dim, ndim: int, fn: str) -> int:
    """An op whose `dim` must be one int (max, median, cumsum, ...): the wrapped dim."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{fn}(): argument 'dim' must be int, not {type(dim).__name__}")
    return _wrap_dim(dim, ndim)


def _unreduce(arr, dims: tuple, keepdim: bool):
    """A reduced array with its reduced dims put back as size 1 (broadcastable to input)."""
    if isinstance(arr, np.generic):   # numpy gives scalars for full reductions
        arr = np.asarray(arr)
    if keepdim or not dims:
        return arr
    return xp_of(arr).expand_dims(arr, dims)


def _expand_back(g, shape, dims, keepdim):
    """A reduced gradient broadcast back to the input's `shape`."""
    g = _unreduce(g, dims, keepdim)
    return xp_of(g).broadcast_to(g, shape)


def _squeeze(arr, dims: tuple, keepdim: bool):
    """Drop the (size-1) reduced `dims` of a keepdims result unless `keepdim`."""
    if keepdim or not dims:
        return arr
    return arr.reshape(tuple(s for i, s in enumerate(arr.shape) if i not in dims))


def _is_low_float(np_dtype) -> bool:
    return np_dtype.name in ("float16", "bfloat16")


def _is_floating(np_dtype) -> bool:
    """Float or complex, bfloat16 included (numpy's kind for ml_dtypes.bfloat16 is 'V')."""
    return np_dtype.kind in "fc" or np_dtype.name == "bfloat16"


def _acc(arr):
    """`arr` in a dtype to accumulate in: float16/bfloat16 are computed in float32."""
    return arr.astype(np.float32) if _is_low_float(arr.dtype) else arr


def _numel_over(shape: tuple, dims: tuple) -> int:
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _sum_dtype(x: Tensor, dtype):
    """PyTorch sums bool and integer tensors in int64 unless a dtype is given."""
    if dtype is not None:
        return _dt.to_dtype(dtype).np
    if x._data.dtype.kind in "biu":
        return _dt.int64.np
    return x._data.dtype


def _require_float(x: Tensor, message: str) -> None:
    if not _is_floating(x._data.dtype):
        raise RuntimeError(message)


def _check_nonempty_dims(x: Tensor, dims: tuple, fn: str, shown=None) -> None:
    """PyTorch's errors for max/min-like reductions over nothing (they have no identity)."""
    if x._data.ndim == 0:
        return
    if x._data.size == 0 and len(dims) == x._data.ndim and shown is None:
        raise RuntimeError(f"{fn}(): Expected reduction dim to be specified for "
                           "input.numel() == 0. Specify the reduction dim with the 'dim' "
                           "argument.")
    for d in dims:
        if x._data.shape[d] == 0:
            raise IndexError(f"{fn}(): Expected reduction dim {d if shown is None else shown} "
                             "to have non-zero size.")


def _evenly(g_keep, x, value_keep, dims: tuple, nan_aware: bool):
    """The gradient of a max-like value split evenly over the elements equal to it."""
    xp = xp_of(x)
    mask = x == value_keep
    if nan_aware and _is_floating(x.dtype):
        mask = mask | (xp.isnan(x) & xp.isnan(value_keep))
    count = mask.sum(axis=dims, keepdims=True).astype(g_keep.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (g_keep / count) * mask


def _one_hot_grad(g_keep, idx_keep, shape: tuple, d: int):
    """The gradient of values picked at `idx_keep` along `d`: all of it to that index."""
    xp = xp_of(g_keep)
    positions = xp.arange(shape[d]).reshape([-1 if i == d else 1 for i in range(len(shape))])
    return xp.where(positions == idx_keep, g_keep, xp.zeros((), g_keep.dtype))


def _real_np(np_dtype):
    return {np.dtype(np.complex64): np.dtype(np.float32),
            np.dtype(np.complex128): np.dtype(np.float64)}.get(np.dtype(np_dtype), np_dtype)


class _IndexReduction(ArrayFunction):
    """A reduction along one dim that picks an element: returns (values, int64 indices).

    Subclasses define `_pick(arr, d) -> indices with keepdims`; backward sends the whole
    gradient to the picked index (max(dim), min(dim), median(dim), mode).
    """

    @staticmethod
    def _pick(arr, d):
        raise NotImplementedError

    @classmethod
    def _run(cls, ctx, x, d, keepdim):
        arr = x._data
        scalar = arr.ndim == 0
        if scalar:
            arr = arr.reshape(1)
        xp = xp_of(arr)
        idx = cls._pick(arr, d).astype(np.int64, copy=False)
        values = xp.take_along_axis(arr, idx, axis=d)
        ctx.meta = (x._data.shape, x._data.dtype, d, idx, scalar)
        if scalar:
            return _wrap(values.reshape(())), _wrap(idx.reshape(()))
        if not keepdim:
            values, idx = xp.squeeze(values, axis=d), xp.squeeze(idx, axis=d)
        ctx.keepdim = keepdim
        return _wrap(values), _wrap(idx)

    @staticmethod
    def backward(ctx, g, g_indices=None):
        shape, in_dtype, d, idx, scalar = ctx.meta
        g = g.astype(in_dtype, copy=False)
        if scalar:
            return g.reshape(shape), None, None
        g_keep = _unreduce(g, (d,), ctx.keepdim)
        return _one_hot_grad(g_keep, idx, shape, d), None, None
