"""Reductions: sum, mean, var, max, median, norm, ... over all dims or over `dim`, and scans.

Every reduction takes `dim` as PyTorch does (an int, a tuple/list of ints, negative dims
allowed, `None` or `()` for all dims where PyTorch allows it) and `keepdim`. Results follow
PyTorch's dtype rules: sum/prod/cumsum of bool or int tensors give int64, mean/var/norm refuse
integer input, all/any give bool (uint8 for uint8 input), indices are int64.

Gradient conventions copied from PyTorch (tools/autograd/derivatives.yaml):
  * max()/min()/amax/amin/median() without a dim split the gradient evenly over ties;
  * max(dim)/min(dim)/median(dim)/mode(dim) give the whole gradient to the returned index;
  * prod and cumprod are exact with zeros in the input (no division by zero);
  * norm: p=2 has gradient 0 at the zero vector, p=1 gives sign(x), p=inf splits over ties.

Reductions of float16/bfloat16 accumulate in float32 (as PyTorch's CPU kernels do) and cast
the result back. The functions returning `(values, indices)` return named tuples printed like
`torch.return_types.max(...)`.
"""
from __future__ import annotations

import builtins
import collections
import math
import warnings

import numpy as np

from ..amp.autocast_mode import AUTOCAST as _AMP, autocast_call
from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap, _wrap_dim
from ._util import binary_operands, check_tensor, normalize_dims, sum_to_shape
from ._util import xp_of as _xp_of
from .inplace import apply_inplace

__all__ = ["sum", "nansum", "mean", "nanmean", "prod", "var", "std", "var_mean", "std_mean",
           "max", "min", "amax", "amin", "aminmax", "argmax", "argmin", "median", "nanmedian",
           "mode", "logsumexp", "norm", "all", "any", "count_nonzero", "cumsum", "cumprod",
           "return_types"]

# The public functions below shadow these builtins inside this module.
_bmax, _bany = builtins.max, builtins.any


# ====================================================================== return types
def _return_type(name: str, fields: tuple):
    """A named tuple printed as PyTorch prints `torch.return_types.<name>`."""
    base = collections.namedtuple(name, fields)

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{name}(\n{body})"

    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__str__": __repr__})
    cls.__module__ = __name__
    cls.__qualname__ = f"return_types.{name}"   # picklable as reduction.return_types.<name>
    return cls


class return_types:
    """The named tuples of reductions that also return indices (`torch.return_types`)."""

    max = _return_type("max", ("values", "indices"))
    min = _return_type("min", ("values", "indices"))
    median = _return_type("median", ("values", "indices"))
    nanmedian = _return_type("nanmedian", ("values", "indices"))
    mode = _return_type("mode", ("values", "indices"))
    aminmax = _return_type("aminmax", ("min", "max"))


# ====================================================================== helpers
def xp_of(arr):
    """The array namespace of `arr`; numpy for the scalars numpy returns from 0-d math."""
    return np if isinstance(arr, np.generic) else _xp_of(arr)


def _rename_node(cls, name: str) -> None:
    """Give `cls`'s graph node PyTorch's name, e.g. SumBackward1 for a sum over dims."""
    cls._backward_cls.__name__ = name
    cls._backward_cls.__qualname__ = name


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


def _sum_array(arr, dims: tuple, keepdim: bool, out_np):
    """sum in `out_np`, accumulating float16/bfloat16 in float32."""
    if _is_low_float(out_np):
        return arr.sum(axis=dims, keepdims=keepdim, dtype=np.float32).astype(out_np)
    return arr.sum(axis=dims, keepdims=keepdim, dtype=out_np)


def _require_float(x: Tensor, message: str) -> None:
    if not _is_floating(x._data.dtype):
        raise RuntimeError(message)


def _no_complex(x: Tensor, fn: str) -> None:
    if x._data.dtype.kind == "c":
        raise RuntimeError(f"{fn}(): does not support complex input")


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


def _revcumsum(a, d: int):
    xp = xp_of(a)
    return xp.flip(xp.cumsum(xp.flip(a, d), axis=d), d)


# ====================================================================== sum, mean, prod
class Sum(ArrayFunction):
    """sum over `dims` (a normalized tuple) into numpy dtype `out_np`."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, out_np):
        ctx.meta = (x._data.shape, x._data.dtype, dims, keepdim)
        return _wrap(_sum_array(x._data, dims, keepdim, out_np))

    @staticmethod
    def backward(ctx, g):
        shape, in_dtype, dims, keepdim = ctx.meta
        return _expand_back(g.astype(in_dtype, copy=False), shape, dims, keepdim), None, None, \
            None


class SumDim(Sum):
    """sum with an explicit dim: PyTorch's node is then SumBackward1."""


_rename_node(SumDim, "SumBackward1")


class Nansum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims, keepdim, out_np):
        arr = x._data
        ctx.save_for_backward(x)
        ctx.meta = (dims, keepdim)
        if _is_floating(arr.dtype):
            arr = xp_of(arr).where(xp_of(arr).isnan(arr), arr.dtype.type(0), arr)
        return _wrap(_sum_array(arr, dims, keepdim, out_np))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        dims, keepdim = ctx.meta
        xp = xp_of(g)
        a = x._data
        grad = _expand_back(g.astype(a.dtype, copy=False), a.shape, dims, keepdim)
        return xp.where(xp.isnan(a), xp.zeros((), a.dtype), grad), None, None, None


class Mean(ArrayFunction):
    """mean over `dims` in numpy dtype `out_np` (the input dtype or the `dtype=` given)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, out_np):
        arr = x._data
        n = _numel_over(arr.shape, dims)
        ctx.meta = (arr.shape, arr.dtype, dims, keepdim, n)
        total = _sum_array(arr.astype(out_np, copy=False), dims, keepdim,
                           np.dtype(np.float32) if _is_low_float(out_np) else out_np)
        with np.errstate(invalid="ignore", divide="ignore"):
            return _wrap((total / n).astype(out_np, copy=False))

    @staticmethod
    def backward(ctx, g):
        shape, in_dtype, dims, keepdim, n = ctx.meta
        with np.errstate(invalid="ignore", divide="ignore"):
            g = (g / n).astype(in_dtype, copy=False)
        return _expand_back(g, shape, dims, keepdim), None, None, None


class MeanDim(Mean):
    """mean with an explicit dim: PyTorch's node is then MeanBackward1."""


_rename_node(MeanDim, "MeanBackward1")


class Nanmean(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims, keepdim, out_np):
        xp = xp_of(x._data)
        arr = _acc(x._data.astype(out_np, copy=False))
        valid = ~xp.isnan(arr)
        count = valid.sum(axis=dims, keepdims=keepdim)
        total = xp.where(valid, arr, arr.dtype.type(0)).sum(axis=dims, keepdims=keepdim)
        ctx.save_for_backward(x)
        ctx.meta = (dims, keepdim, count)
        with np.errstate(invalid="ignore", divide="ignore"):
            return _wrap((total / count).astype(out_np, copy=False))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        dims, keepdim, count = ctx.meta
        xp = xp_of(g)
        a = x._data
        with np.errstate(invalid="ignore", divide="ignore"):
            per = _expand_back((g / count).astype(a.dtype, copy=False), a.shape, dims, keepdim)
            # a product, not a select: an all-NaN slice (count 0) gets NaN, as in PyTorch
            return per * ~xp.isnan(a), None, None, None


class Prod(ArrayFunction):
    """prod over `dims`; backward is exact when the input holds zeros."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, out_np):
        arr = x._data
        ctx.save_for_backward(x)
        ctx.meta = (dims, keepdim, out_np)
        if _is_low_float(out_np):
            out = arr.prod(axis=dims, keepdims=keepdim, dtype=np.float32).astype(out_np)
        else:
            out = arr.prod(axis=dims, keepdims=keepdim, dtype=out_np)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        dims, keepdim, out_np = ctx.meta
        xp = xp_of(g)
        a = _acc(x._data.astype(out_np, copy=False))
        g_keep = _unreduce(_acc(g), dims, keepdim)
        zero = a == 0
        n_zeros = zero.sum(axis=dims, keepdims=True)
        safe = xp.where(zero, a.dtype.type(1), a)
        prod_nonzero = safe.prod(axis=dims, keepdims=True)   # the product of the others
        no_zero = g_keep * prod_nonzero / safe
        one_zero = xp.where(zero & (n_zeros == 1), g_keep * prod_nonzero, a.dtype.type(0))
        grad = xp.where(n_zeros == 0, no_zero, one_zero)
        return grad.astype(x._data.dtype, copy=False), None, None, None


class ProdDim(Prod):
    """prod with a dim: PyTorch's node is then ProdBackward1."""


_rename_node(ProdDim, "ProdBackward1")


# ====================================================================== var, std
def _moments(arr, dims: tuple, correction):
    """(deviation from the mean, mean, sum of squares, divisor) of an accumulating array."""
    xp = xp_of(arr)
    n = _numel_over(arr.shape, dims)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = arr.sum(axis=dims, keepdims=True) / n
    dev = arr - mean
    sq = dev.real * dev.real + dev.imag * dev.imag if dev.dtype.kind == "c" else dev * dev
    return dev, mean, sq.sum(axis=dims, keepdims=True), _bmax(n - correction, 0), n


def _warn_dof(fn: str, n: int, correction) -> None:
    if n - correction <= 0:
        warnings.warn(f"{fn}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=4)


def _real_np(np_dtype):
    return {np.dtype(np.complex64): np.dtype(np.float32),
            np.dtype(np.complex128): np.dtype(np.float64)}.get(np.dtype(np_dtype), np_dtype)


class _VarBase(ArrayFunction):
    """var/std/var_mean/std_mean: one forward computing both moments, a shared backward.

    Subclasses set `_std` (return the square root) and `_with_mean` (also return the mean).
    """

    _std = False
    _with_mean = False

    @classmethod
    def _compute(cls, ctx, x, dims, correction, keepdim):
        xp = xp_of(x._data)
        arr = _acc(x._data)
        dev, mean, ss, divisor, n = _moments(arr, dims, correction)
        with np.errstate(invalid="ignore", divide="ignore"):
            var = ss / ss.dtype.type(divisor)
        result = xp.sqrt(var) if cls._std else var
        ctx.save_for_backward(x)
        ctx.meta = (cls._std, dims, keepdim, divisor, n, result)
        out = _wrap(_squeeze(result, dims, keepdim).astype(_real_np(x._data.dtype), copy=False))
        if not cls._with_mean:
            return out
        return out, _wrap(_squeeze(mean, dims, keepdim).astype(x._data.dtype, copy=False))

    @staticmethod
    def _grad(ctx, g, g_mean=None):
        """d var = 2 (x - mean) / divisor; d std = d var / (2 std), 0 where std is 0."""
        (x,) = ctx.saved_tensors
        is_std, dims, keepdim, divisor, n, result = ctx.meta
        xp = xp_of(g)
        arr = _acc(x._data)
        g_keep = _unreduce(_acc(g), dims, keepdim)
        with np.errstate(invalid="ignore", divide="ignore"):
            dev = arr - arr.sum(axis=dims, keepdims=True) / n
            if is_std:
                g_keep = xp.where(result == 0, result.dtype.type(0), g_keep / (2 * result))
            scale = result.dtype.type(2) / result.dtype.type(divisor)
            grad = g_keep * scale * dev
            if g_mean is not None:
                grad = grad + _unreduce(_acc(g_mean), dims, keepdim) / n
        return grad.astype(x._data.dtype, copy=False), None, None, None


class Var(_VarBase):
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        return Var._compute(ctx, x, dims, correction, keepdim)

    @staticmethod
    def backward(ctx, g):
        return _VarBase._grad(ctx, g)


class Std(_VarBase):
    _std = True

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        return Std._compute(ctx, x, dims, correction, keepdim)

    @staticmethod
    def backward(ctx, g):
        return _VarBase._grad(ctx, g)


class VarMean(_VarBase):
    _with_mean = True

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        return VarMean._compute(ctx, x, dims, correction, keepdim)

    @staticmethod
    def backward(ctx, g, g_mean):
        return _VarBase._grad(ctx, g, g_mean)


class StdMean(_VarBase):
    _std = True
    _with_mean = True

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        return StdMean._compute(ctx, x, dims, correction, keepdim)

    @staticmethod
    def backward(ctx, g, g_mean):
        return _VarBase._grad(ctx, g, g_mean)


# ====================================================================== max, min, amax, amin
class MaxAll(ArrayFunction):
    """max() of all elements; the gradient is split evenly over ties (MaxBackward1)."""

    _reduce = "max"

    @classmethod
    def _forward(cls, ctx, x):
        out = _wrap(getattr(xp_of(x._data), cls._reduce)(x._data))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def forward(ctx, x):
        return MaxAll._forward(ctx, x)

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        a = x._data
        dims = tuple(range(a.ndim))
        return _evenly(g, a, out._data, dims, nan_aware=True).astype(a.dtype, copy=False)


class MinAll(MaxAll):
    _reduce = "min"

    @staticmethod
    def forward(ctx, x):
        return MinAll._forward(ctx, x)


_rename_node(MaxAll, "MaxBackward1")
_rename_node(MinAll, "MinBackward1")


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


class Max(_IndexReduction):
    @staticmethod
    def _pick(arr, d):
        return xp_of(arr).expand_dims(xp_of(arr).argmax(arr, axis=d), d)

    @staticmethod
    def forward(ctx, x, d, keepdim):
        return Max._run(ctx, x, d, keepdim)


class Min(_IndexReduction):
    @staticmethod
    def _pick(arr, d):
        return xp_of(arr).expand_dims(xp_of(arr).argmin(arr, axis=d), d)

    @staticmethod
    def forward(ctx, x, d, keepdim):
        return Min._run(ctx, x, d, keepdim)


class Amax(ArrayFunction):
    """amax over `dims`; the gradient is split evenly over ties (plain equality, as PyTorch)."""

    _reduce = "max"

    @classmethod
    def _forward(cls, ctx, x, dims, keepdim):
        out = _wrap(getattr(xp_of(x._data), cls._reduce)(x._data, axis=dims, keepdims=keepdim))
        ctx.save_for_backward(x, out)
        ctx.meta = (dims, keepdim)
        return out

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        return Amax._forward(ctx, x, dims, keepdim)

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        dims, keepdim = ctx.meta
        a = x._data
        grad = _evenly(_unreduce(g, dims, keepdim), a, _unreduce(out._data, dims, keepdim),
                       dims, nan_aware=False)
        return grad.astype(a.dtype, copy=False), None, None


class Amin(Amax):
    _reduce = "min"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        return Amin._forward(ctx, x, dims, keepdim)


class Aminmax(ArrayFunction):
    """(amin, amax) in one pass over the input; each gradient split evenly over ties."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = xp_of(x._data)
        lo = _wrap(xp.min(x._data, axis=dims, keepdims=keepdim))
        hi = _wrap(xp.max(x._data, axis=dims, keepdims=keepdim))
        ctx.save_for_backward(x, lo, hi)
        ctx.meta = (dims, keepdim)
        return lo, hi

    @staticmethod
    def backward(ctx, g_lo, g_hi):
        x, lo, hi = ctx.saved_tensors
        dims, keepdim = ctx.meta
        a = x._data
        grad = _evenly(_unreduce(g_lo, dims, keepdim), a, _unreduce(lo._data, dims, keepdim),
                       dims, nan_aware=False)
        grad = grad + _evenly(_unreduce(g_hi, dims, keepdim), a,
                              _unreduce(hi._data, dims, keepdim), dims, nan_aware=False)
        return grad.astype(a.dtype, copy=False), None, None


class Maximum(ArrayFunction):
    """Elementwise maximum (the binary `max(a, b)`); ties share the gradient 0.5 / 0.5."""

    @staticmethod
    def forward(ctx, a, b):
        x, y, _ = binary_operands(a, b)
        ctx.save_for_backward(a, b)
        return _wrap(xp_of(x).maximum(x, y))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        xp = xp_of(g)
        x, y = a._data, b._data
        share = xp.where(x > y, 1.0, xp.where(x == y, 0.5, 0.0)).astype(g.dtype)
        ga = sum_to_shape(g * share, x.shape).astype(x.dtype, copy=False)
        gb = sum_to_shape(g * (1 - share), y.shape).astype(y.dtype, copy=False)
        return ga, gb


def _maximum(a, b):
    """torch.max(a, b): the comparison family's `maximum` when it exists, else our own."""
    try:
        from .comparison import maximum
    except ImportError:
        maximum = None
    if maximum is not None:
        return maximum(a, b)
    return Maximum.apply(a, b)


def _minimum(a, b):
    try:
        from .comparison import minimum
    except ImportError:
        minimum = None
    if minimum is not None:
        return minimum(a, b)
    return -Maximum.apply(-a, -b)


# ====================================================================== median, mode
def _median_pick(arr, d, ignore_nan: bool):
    """Index (keepdims) of the lower median along `d`: a stable sort, NaN sorted last.

    median: a NaN in the slice makes it the result (its first NaN); nanmedian skips NaNs.
    """
    xp = xp_of(arr)
    n = arr.shape[d]
    order = xp.argsort(arr, axis=d, kind="stable")
    if _is_floating(arr.dtype):
        n_nan = xp.isnan(arr).sum(axis=d, keepdims=True)
        n_valid = n - n_nan
        if ignore_nan:
            k = xp.where(n_valid > 0, (n_valid - 1) // 2, 0)
        else:
            k = xp.where(n_nan > 0, n_valid, (n - 1) // 2)
    else:
        shape = list(arr.shape)
        shape[d] = 1
        k = xp.full(shape, (n - 1) // 2, dtype=np.int64)
    return xp.take_along_axis(order, k, axis=d)


class Median(_IndexReduction):
    @staticmethod
    def _pick(arr, d):
        return _median_pick(arr, d, ignore_nan=False)

    @staticmethod
    def forward(ctx, x, d, keepdim):
        return Median._run(ctx, x, d, keepdim)


class Nanmedian(_IndexReduction):
    @staticmethod
    def _pick(arr, d):
        return _median_pick(arr, d, ignore_nan=True)

    @staticmethod
    def forward(ctx, x, d, keepdim):
        return Nanmedian._run(ctx, x, d, keepdim)


class Mode(_IndexReduction):
    """The most frequent value (the smallest on a tie) and its last index, along `d`.

    Counts come from comparing every pair of the slice: O(n^2) memory per slice, fine for
    the slice lengths mode is used on.
    """

    @staticmethod
    def _pick(arr, d):
        xp = xp_of(arr)
        a = xp.moveaxis(arr, d, -1)
        n = a.shape[-1]
        counts = (a[..., :, None] == a[..., None, :]).sum(axis=-1)
        best = counts == counts.max(axis=-1, keepdims=True)
        top = _highest(a.dtype)
        value = xp.where(best, a, top).min(axis=-1, keepdims=True)
        is_value = a == value
        last = n - 1 - xp.argmax(xp.flip(is_value, -1), axis=-1)
        return xp.expand_dims(last, d)

    @staticmethod
    def forward(ctx, x, d, keepdim):
        return Mode._run(ctx, x, d, keepdim)


def _highest(np_dtype):
    """The largest value of a dtype (the neutral element of min)."""
    if np_dtype.kind == "b":
        return np.True_
    if np_dtype.kind in "iu":
        return np.iinfo(np_dtype).max
    return np_dtype.type(np.inf)


class MedianAll(ArrayFunction):
    """median()/nanmedian() of all elements (the lower median); ties share the gradient."""

    _ignore_nan = False

    @classmethod
    def _forward(cls, ctx, x):
        xp = xp_of(x._data)
        flat = x._data.reshape(-1)
        floating = _is_floating(flat.dtype)
        if floating:
            nan = xp.isnan(flat)
            if cls._ignore_nan:
                flat = flat[~nan]
            elif bool(nan.any()):
                flat = flat[nan]   # the result is NaN
        if flat.size == 0:   # NaN; an integer tensor gets what NaN casts to in C, as PyTorch
            empty = np.nan if floating else np.iinfo(flat.dtype).min
            value = xp.asarray(empty, dtype=x._data.dtype)
        else:
            value = xp.sort(flat)[(flat.size - 1) // 2]
        out = _wrap(xp.asarray(value).reshape(()))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def forward(ctx, x):
        return MedianAll._forward(ctx, x)

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        a = x._data
        return _evenly(g, a, out._data, tuple(range(a.ndim)), nan_aware=True).astype(
            a.dtype, copy=False)


class NanmedianAll(MedianAll):
    _ignore_nan = True

    @staticmethod
    def forward(ctx, x):
        return NanmedianAll._forward(ctx, x)


_rename_node(MedianAll, "MedianBackward0")
_rename_node(Median, "MedianBackward1")
_rename_node(NanmedianAll, "NanmedianBackward0")
_rename_node(Nanmedian, "NanmedianBackward1")


# ====================================================================== logsumexp
class Logsumexp(ArrayFunction):
    """log(sum(exp(x))) computed as m + log(sum(exp(x - m))), m the max (stable).

    A slice of all -inf gives -inf (m is replaced by 0 where it is not finite).
    """

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        arr = x._data
        if arr.dtype.kind in "biu":
            arr = arr.astype(_dt.get_default_dtype().np)
        out_np = arr.dtype
        a = _acc(arr)
        out = _logsumexp_array(a, dims, keepdim)
        ctx.save_for_backward(x)
        ctx.meta = (dims, keepdim, out)
        return _wrap(out.astype(out_np, copy=False))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        dims, keepdim, out = ctx.meta
        xp = xp_of(g)
        a = _acc(x._data)
        with np.errstate(invalid="ignore", over="ignore"):
            grad = _unreduce(_acc(g), dims, keepdim) * xp.exp(a - _unreduce(out, dims, keepdim))
        return grad.astype(x._data.dtype, copy=False), None, None


def _logsumexp_array(a, dims: tuple, keepdim: bool):
    """The numpy/cupy computation of logsumexp (float32/float64/complex arrays).

    A fused Numba kernel (max and sum of exp per row, parallel) was measured against this
    and did not clearly win (numpy's exp is vectorised), so there is none.
    """
    xp = xp_of(a)
    if a.size == 0:
        shape = [1 if i in dims else s for i, s in enumerate(a.shape)]
        return _squeeze(xp.full(shape, -np.inf, dtype=a.dtype), dims, keepdim)
    m = a.max(axis=dims, keepdims=True)
    m = xp.where(xp.isfinite(m), m, a.dtype.type(0))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = xp.log(xp.exp(a - m).sum(axis=dims, keepdims=True)) + m
    return _squeeze(out, dims, keepdim)


# ====================================================================== norm
def _sgn(a):
    xp = xp_of(a)
    if a.dtype.kind == "c":
        mag = xp.abs(a)
        return xp.where(mag == 0, a.dtype.type(0), a / xp.where(mag == 0, 1, mag))
    return xp.sign(a)


def _vector_norm_array(ab, p: float, dims: tuple, keepdim: bool):
    """The p-norm of absolute values `ab` over `dims`."""
    xp = xp_of(ab)
    if p == 2:
        return xp.sqrt((ab * ab).sum(axis=dims, keepdims=keepdim))
    if p == 1:
        return ab.sum(axis=dims, keepdims=keepdim)
    if p == math.inf:
        return ab.max(axis=dims, keepdims=keepdim)
    if p == -math.inf:
        return ab.min(axis=dims, keepdims=keepdim)
    if p == 0:
        return (ab != 0).sum(axis=dims, keepdims=keepdim).astype(ab.dtype)
    with np.errstate(divide="ignore", over="ignore"):
        return (ab ** p).sum(axis=dims, keepdims=keepdim) ** (1.0 / p)


class LinalgVectorNorm(ArrayFunction):
    """The vector p-norm over `dims` (any real p, ±inf, 0), computed in `out_np`."""

    @staticmethod
    def forward(ctx, x, p, dims, keepdim, out_np):
        a = _acc(x._data.astype(out_np, copy=False))
        xp = xp_of(a)
        out = _vector_norm_array(xp.abs(a), p, dims, keepdim)
        ctx.save_for_backward(x)
        ctx.meta = (p, dims, keepdim, out_np, out)
        return _wrap(out.astype(_real_np(out_np), copy=False))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        p, dims, keepdim, out_np, out = ctx.meta
        a = _acc(x._data.astype(out_np, copy=False))
        grad = _vector_norm_grad(a, _unreduce(out, dims, keepdim),
                                 _unreduce(_acc(g), dims, keepdim), p, dims)
        return grad.astype(x._data.dtype, copy=False), None, None, None, None


def _vector_norm_grad(a, norm, g, p: float, dims: tuple):
    """PyTorch's linalg_vector_norm_backward: subgradient 0 where the norm is 0."""
    xp = xp_of(a)
    zero = a.real.dtype.type(0)
    ab = xp.abs(a)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if p == 0:
            return xp.zeros_like(a)
        if p == 1:
            return _sgn(a) * g
        if p == 2:
            return xp.where(norm == 0, zero, g / norm) * a
        if math.isinf(p):
            mask = ab == norm
            count = mask.sum(axis=dims, keepdims=True).astype(g.dtype)
            return _sgn(a) * (g / count) * mask
        if p < 1:
            scaled = xp.where(a == 0, zero, _sgn(a) * ab ** (p - 1))
            return scaled * g * norm ** (1 - p)
        scale = xp.where(norm == 0, zero, g / norm ** (p - 1))
        if p < 2:
            return _sgn(a) * ab ** (p - 1) * scale
        return a * ab ** (p - 2) * scale


class NuclearNorm(ArrayFunction):
    """The sum of singular values of the matrices spanned by dims (d0, d1)."""

    @staticmethod
    def forward(ctx, x, d0, d1, keepdim, out_np):
        xp = xp_of(x._data)
        a = _acc(x._data.astype(out_np, copy=False))
        m = xp.moveaxis(a, (d0, d1), (-2, -1))
        u, s, vh = xp.linalg.svd(m, full_matrices=False)
        out = s.sum(axis=-1)
        ctx.meta = (x._data.dtype, (d0, d1), keepdim, u @ vh)
        if keepdim:
            out = xp.expand_dims(out, tuple(sorted((d0, d1))))
        return _wrap(out.astype(_real_np(out_np), copy=False))

    @staticmethod
    def backward(ctx, g):
        in_dtype, (d0, d1), keepdim, uvh = ctx.meta
        xp = xp_of(g)
        if keepdim:
            g = xp.squeeze(g, axis=tuple(sorted((d0, d1))))
        grad = _acc(g)[..., None, None] * uvh
        return xp.moveaxis(grad, (-2, -1), (d0, d1)).astype(in_dtype, copy=False), \
            None, None, None, None


def _norm_dtype(input: Tensor, dtype, fn: str):
    """The numpy dtype a norm is computed in; PyTorch's errors for non-float input/dtype."""
    _require_float(input, f"{fn}: Expected a floating point or complex tensor as input. "
                          f"Got {_type_name(input.dtype)}")
    if dtype is None:
        return input._data.dtype
    d = _dt.to_dtype(dtype)
    if d.kind < 2:
        raise RuntimeError(f"{fn}: dtype should be floating point or complex, but got "
                           f"{_type_name(d)}")
    if _dt.promote_types(input.dtype, d) is not d:
        raise RuntimeError(f"{fn}: the dtype of the input ({_type_name(input.dtype)}) should "
                           f"be convertible without narrowing to the specified dtype "
                           f"({_type_name(d)})")
    return d.np


def _vector_norm(input: Tensor, p: float, dim, keepdim: bool, dtype):
    out_np = _norm_dtype(input, dtype, "linalg.vector_norm")
    dims = _dims(dim, input.ndim)
    if math.isinf(p) and input._data.size == 0:   # max/min of nothing has no identity
        name = "inf" if p > 0 else "-inf"
        if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on an empty "
                               "tensor because the operation does not have an identity")
        for d in dims:
            if input.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on the "
                                   f"dimension {d}because this dimension is empty and the "
                                   "operation does not have an identity")
    return LinalgVectorNorm.apply(input, p, dims, keepdim, out_np)


def _matrix_dims(dim, ndim: int):
    """The two dims of a matrix norm; PyTorch's error unless exactly two distinct dims."""
    dims = tuple(range(ndim)) if dim is None else \
        tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if len(dims) != 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                           + " ".join(str(d) for d in dims))
    d0, d1 = (_wrap_dim(d, ndim) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"dim {d0} appears multiple times in the list of dims")
    return d0, d1


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, out=None,
         dtype=None) -> Tensor:
    """The matrix or vector norm of `input` (`torch.norm`).

    p: 'fro' (the 2-norm of all elements or of `dim`), 'nuc' (sum of singular values of the
    matrices over a 2-tuple `dim`), or a number (the vector p-norm; inf, -inf and 0 included).

        >>> import minitorch_nn as torch
        >>> torch.ones(2, 3).norm(1, 1)
        tensor([3., 3.])
    """
    if _AMP.on and _AMP.active():
        return autocast_call("norm", norm, input, p, dim, keepdim, out, dtype=dtype)
    check_tensor(input, "input", "norm")
    if out is not None:
        raise TypeError("norm(): the out= argument is not supported by minitorch_nn")
    if p is None:
        p = "fro"
    if isinstance(p, Tensor):
        p = p.item()
    if isinstance(p, str):
        if p == "fro":
            if dim is not None and isinstance(dim, (tuple, list)) and len(dim) > 2:
                _matrix_dims(dim, input.ndim)
            return _vector_norm(input, 2.0, dim, keepdim, dtype)
        if p == "nuc":
            out_np = _norm_dtype(input, dtype, "linalg.matrix_norm")
            d0, d1 = _matrix_dims(dim, input.ndim)
            return NuclearNorm.apply(input, d0, d1, keepdim, out_np)
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"norm(): argument 'p' must be a number or 'fro'/'nuc', not "
                        f"{type(p).__name__}")
    return _vector_norm(input, float(p), dim, keepdim, dtype)


def _norm_method(self: Tensor, p="fro", dim=None, keepdim: bool = False,
                 dtype=None) -> Tensor:
    """`Tensor.norm(p, dim, keepdim, dtype)`: like `norm`, with no `out` before `dtype`."""
    return norm(self, p, dim, keepdim, dtype=dtype)


# ====================================================================== scans
class Cumsum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, d, out_np):
        arr = x._data
        ctx.meta = (arr.shape, arr.dtype, d)
        if arr.ndim == 0:
            return _wrap(arr.astype(out_np, copy=True))
        if _is_low_float(out_np):
            return _wrap(xp_of(arr).cumsum(arr, axis=d, dtype=np.float32).astype(out_np))
        return _wrap(xp_of(arr).cumsum(arr, axis=d, dtype=out_np))

    @staticmethod
    def backward(ctx, g):
        shape, in_dtype, d = ctx.meta
        if g.ndim == 0:
            return g.astype(in_dtype, copy=False), None, None
        return _revcumsum(g, d).astype(in_dtype, copy=False), None, None


class Cumprod(ArrayFunction):
    """cumprod along `d`; backward is exact with zeros (see `_cumprod_grad`)."""

    @staticmethod
    def forward(ctx, x, d, out_np):
        arr = x._data
        ctx.save_for_backward(x)
        ctx.meta = (d, out_np)
        if arr.ndim == 0:
            return _wrap(arr.astype(out_np, copy=True))
        if _is_low_float(out_np):
            return _wrap(xp_of(arr).cumprod(arr, axis=d, dtype=np.float32).astype(out_np))
        return _wrap(xp_of(arr).cumprod(arr, axis=d, dtype=out_np))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        d, out_np = ctx.meta
        if g.ndim == 0:
            return g.astype(x._data.dtype, copy=False), None, None
        a = _acc(x._data.astype(out_np, copy=False))
        return _cumprod_grad(a, _acc(g), d).astype(x._data.dtype, copy=False), None, None


def _cumprod_grad(a, g, d: int):
    """d/dx_k of sum_j g_j * prod_{i<=j} x_i, without dividing by zero.

    Before the first zero of a slice: revcumsum(g * y) / x. At the first zero z: the same
    sum with x_z replaced by 1 (y' = cumprod of that), which needs no division. After z
    every product contains x_z = 0, so the gradient is 0.
    """
    xp = xp_of(a)
    zero = a == 0
    zeros_so_far = xp.cumsum(zero, axis=d)
    before = zeros_so_far == 0
    one = a.dtype.type(1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        y = xp.cumprod(a, axis=d)
        grad = xp.where(before, _revcumsum(g * y, d) / xp.where(before, a, one),
                        a.dtype.type(0))
        first = zero & (zeros_so_far == 1)
        if bool(first.any()):
            y_first = xp.cumprod(xp.where(first, one, a), axis=d)
            grad = xp.where(first, _revcumsum(g * y_first, d), grad)
    return grad


# ====================================================================== public functions
def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The sum over `dim` (all dims by default); bool/int tensors sum in int64.

        >>> import minitorch_nn as torch
        >>> torch.tensor([[1, 2], [3, 4]]).sum(0)
        tensor([4, 6])
    """
    if _AMP.on and _AMP.active():
        return autocast_call("sum", sum, input, dim, keepdim, dtype=dtype)
    check_tensor(input, "input", "sum")
    op = Sum if dim is None and not keepdim else SumDim
    return op.apply(input, _dims(dim, input.ndim), keepdim, _sum_dtype(input, dtype))


def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """sum treating NaN as zero; NaN positions get a zero gradient."""
    check_tensor(input, "input", "nansum")
    return Nansum.apply(input, _dims(dim, input.ndim), keepdim, _sum_dtype(input, dtype))


def _mean_dtype(input: Tensor, dtype):
    if dtype is not None:
        d = _dt.to_dtype(dtype)
        if d.kind < 2:
            raise RuntimeError("mean(): could not infer output dtype. Optional dtype must be "
                               f"either a floating point or complex dtype. Got: {_type_name(d)}")
        return d.np
    _require_float(input, "mean(): could not infer output dtype. Input dtype must be either a "
                          f"floating point or complex dtype. Got: {_type_name(input.dtype)}")
    return input._data.dtype


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The mean over `dim` (all dims by default); integer input needs a float `dtype=`.

        >>> import minitorch_nn as torch
        >>> torch.tensor([[1., 2.], [3., 4.]]).mean(1)
        tensor([1.5000, 3.5000])
    """
    check_tensor(input, "input", "mean")
    out_np = _mean_dtype(input, dtype)
    op = Mean if dim is None and not keepdim else MeanDim
    return op.apply(input, _dims(dim, input.ndim), keepdim, out_np)


def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The mean of the non-NaN elements (NaN where a slice has none)."""
    check_tensor(input, "input", "nanmean")
    _require_float(input, "nanmean(): expected input to have floating point or complex dtype "
                          f"but got {_type_name(input.dtype)}")
    out_np = input._data.dtype if dtype is None else _mean_dtype(input, dtype)
    return Nanmean.apply(input, _dims(dim, input.ndim), keepdim, out_np)


def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The product over one `dim` (or all elements); bool/int tensors multiply in int64."""
    if _AMP.on and _AMP.active():
        return autocast_call("prod", prod, input, dim, keepdim, dtype=dtype)
    check_tensor(input, "input", "prod")
    out_np = _sum_dtype(input, dtype)
    if dim is None:
        if keepdim:
            raise TypeError("prod(): keepdim=True needs a dim (prod(input, dim, keepdim=True))")
        return Prod.apply(input, _dims(None, input.ndim), False, out_np)
    d = _one_dim(dim, input.ndim, "prod")
    return ProdDim.apply(input, _dims(d, input.ndim), keepdim, out_np)


def _correction(fn: str, dim, unbiased, correction):
    """Sort out var/std's overloads: (dim, correction). A bool `dim` is the legacy `unbiased`."""
    if isinstance(dim, bool):
        if unbiased is not None:
            raise TypeError(f"{fn}(): got the legacy `unbiased` twice")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{fn}(): pass either `unbiased` or `correction`, not both")
    if unbiased is not None:
        if not isinstance(unbiased, bool):
            raise TypeError(f"{fn}(): argument 'unbiased' must be bool, not "
                            f"{type(unbiased).__name__}")
        return dim, 1 if unbiased else 0
    if correction is None:
        return dim, 1
    if isinstance(correction, Tensor):
        correction = correction.item()
    return dim, correction


def _var_like(op, fn: str, input, dim, unbiased, keepdim, correction):
    check_tensor(input, "input", fn)
    _require_float(input, "std and var only support floating point and complex dtypes")
    dim, corr = _correction(fn, dim, unbiased, correction)
    dims = _dims(dim, input.ndim)
    _warn_dof(fn, _numel_over(input.shape, dims), corr)
    return op.apply(input, dims, corr, keepdim)


def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """The variance over `dim` with Bessel's `correction` (1 by default).

    `unbiased` is PyTorch's legacy form (`var(x, False)` is `correction=0`). A correction at or
    above the number of reduced elements gives inf (or NaN) with a warning, as PyTorch.
    """
    return _var_like(Var, "var", input, dim, unbiased, keepdim, correction)


def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """The standard deviation over `dim` (see `var`); gradient 0 where it is 0."""
    return _var_like(Std, "std", input, dim, unbiased, keepdim, correction)


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
             correction=None) -> tuple:
    """(var, mean) in one pass, a plain tuple as PyTorch returns."""
    return _var_like(VarMean, "var_mean", input, dim, unbiased, keepdim, correction)


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
             correction=None) -> tuple:
    """(std, mean) in one pass, a plain tuple as PyTorch returns."""
    return _var_like(StdMean, "std_mean", input, dim, unbiased, keepdim, correction)


def _max_like(input, dim, keepdim, other, fn, all_op, dim_op, binary, result_type):
    check_tensor(input, "input", fn)
    if isinstance(dim, Tensor):
        dim, other = None, dim
    if other is not None:
        if not isinstance(other, Tensor):
            raise TypeError(f"{fn}(): argument 'other' must be Tensor, not "
                            f"{type(other).__name__}")
        return binary(input, other)
    if dim is None:
        if keepdim:
            raise TypeError(f"{fn}(): keepdim=True needs a dim ({fn}(input, dim, keepdim=True))")
        if input._data.dtype.kind == "c":
            raise NotImplementedError(f"\"{fn}_all\" not implemented for "
                                      f"'{_type_name(input.dtype)}'")
        _check_nonempty_dims(input, tuple(range(input.ndim)), fn)
        return all_op.apply(input)
    d = _one_dim(dim, input.ndim, fn)
    if input._data.dtype.kind == "c":
        raise RuntimeError(f"{fn}(): does not support complex input")
    _check_nonempty_dims(input, (d,) if input.ndim else (), fn, shown=d)
    return result_type(*dim_op.apply(input, d, keepdim))


def max(input: Tensor, dim=None, keepdim: bool = False, *, other=None):
    """max of all elements, `(values, indices)` along `dim`, or `maximum(input, other)`.

        >>> import minitorch_nn as torch
        >>> values, indices = torch.tensor([[1., 5.], [4., 2.]]).max(dim=1)
        >>> indices
        tensor([1, 0])
    """
    return _max_like(input, dim, keepdim, other, "max", MaxAll, Max, _maximum,
                     return_types.max)


def min(input: Tensor, dim=None, keepdim: bool = False, *, other=None):
    """min of all elements, `(values, indices)` along `dim`, or `minimum(input, other)`."""
    return _max_like(input, dim, keepdim, other, "min", MinAll, Min, _minimum,
                     return_types.min)


def _amax_like(op, fn: str, input, dim, keepdim):
    check_tensor(input, "input", fn)
    if input._data.dtype.kind == "c":
        raise NotImplementedError(f"\"{fn}\" not implemented for '{_type_name(input.dtype)}'")
    dims = _dims(dim, input.ndim)
    if input._data.size == 0 and input.ndim:
        if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
            _check_nonempty_dims(input, dims, fn)
        for given in ([dim] if isinstance(dim, int) else list(dim)):
            if input.shape[_wrap_dim(given, input.ndim)] == 0:
                raise IndexError(f"{fn}(): Expected reduction dim {given} to have non-zero "
                                 "size.")
    return op.apply(input, dims, keepdim)


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """The maximum over `dim` (all dims by default); ties share the gradient evenly."""
    return _amax_like(Amax, "amax", input, dim, keepdim)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """The minimum over `dim` (all dims by default); ties share the gradient evenly."""
    return _amax_like(Amin, "amin", input, dim, keepdim)


def aminmax(input: Tensor, *, dim=None, keepdim: bool = False):
    """`(min, max)` over one `dim` or all elements, a named tuple with fields min and max."""
    check_tensor(input, "input", "aminmax")
    dims = _dims(None if dim is None else _one_dim(dim, input.ndim, "aminmax"), input.ndim)
    if _bany(input.shape[d] == 0 for d in dims) or (dim is None and input._data.size == 0):
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    return return_types.aminmax(*Aminmax.apply(input, dims, keepdim))


def _arg_like(fn: str, input, dim, keepdim):
    check_tensor(input, "input", fn)
    if input.dtype is _dt.bool:
        raise RuntimeError(f"{fn}(): does not support bool input")
    _no_complex(input, fn)
    xp = xp_of(input._data)
    arr = input._data
    pick = xp.argmax if fn == "argmax" else xp.argmin
    if dim is None:
        if arr.size == 0:
            raise IndexError(f"{fn}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        idx = xp.asarray(pick(arr.reshape(-1)), dtype=np.int64)
        return _wrap(idx.reshape((1,) * arr.ndim) if keepdim else idx.reshape(()))
    d = _one_dim(dim, arr.ndim, fn)
    if arr.ndim == 0:
        return _wrap(xp.zeros((), np.int64))
    if arr.shape[d] == 0:
        raise IndexError(f"{fn}(): Expected reduction dim {d} to have non-zero size.")
    idx = pick(arr, axis=d).astype(np.int64, copy=False)
    return _wrap(xp.expand_dims(idx, d) if keepdim else idx)


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the (first) maximum along `dim`, or in the flattened tensor."""
    return _arg_like("argmax", input, dim, keepdim)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the (first) minimum along `dim`, or in the flattened tensor."""
    return _arg_like("argmin", input, dim, keepdim)


def _median_like(fn, input, dim, keepdim, all_op, dim_op, result_type):
    check_tensor(input, "input", fn)
    if input.dtype is _dt.bool or input._data.dtype.kind == "c":
        raise NotImplementedError(f"\"{fn}_cpu\" not implemented for "
                                  f"'{_type_name(input.dtype)}'")
    if dim is None:
        if keepdim:
            raise TypeError(f"{fn}(): keepdim=True needs a dim")
        return all_op.apply(input)
    d = _one_dim(dim, input.ndim, fn)
    _check_nonempty_dims(input, (d,) if input.ndim else (), fn, shown=d)
    return result_type(*dim_op.apply(input, d, keepdim))


def median(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median of all elements, or `(values, indices)` along `dim`; NaN propagates."""
    return _median_like("median", input, dim, keepdim, MedianAll, Median, return_types.median)


def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    """median ignoring NaNs (NaN only where a slice is all NaN)."""
    return _median_like("nanmedian", input, dim, keepdim, NanmedianAll, Nanmedian,
                        return_types.nanmedian)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """`(values, indices)`: the most frequent value along `dim` (smallest on ties), last index."""
    check_tensor(input, "input", "mode")
    d = _one_dim(dim, input.ndim, "mode")
    _check_nonempty_dims(input, (d,) if input.ndim else (), "mode", shown=d)
    return return_types.mode(*Mode.apply(input, d, keepdim))


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over `dim`, computed without overflow; integers give float."""
    if _AMP.on and _AMP.active():
        return autocast_call("logsumexp", logsumexp, input, dim, keepdim)
    check_tensor(input, "input", "logsumexp")
    return Logsumexp.apply(input, _dims(dim, input.ndim), keepdim)


def _logical_reduce(fn: str, input, dim, keepdim):
    check_tensor(input, "input", fn)
    arr = input._data
    out = getattr(xp_of(arr), fn)(arr, axis=_dims(dim, arr.ndim), keepdims=keepdim)
    if arr.dtype == np.uint8:
        out = out.astype(np.uint8)
    return _wrap(out)


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where every element over `dim` is nonzero (uint8 input gives uint8)."""
    return _logical_reduce("all", input, dim, keepdim)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where some element over `dim` is nonzero (uint8 input gives uint8)."""
    return _logical_reduce("any", input, dim, keepdim)


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """The number of nonzero elements over `dim` (int64)."""
    check_tensor(input, "input", "count_nonzero")
    arr = input._data
    return _wrap((arr != 0).sum(axis=_dims(dim, arr.ndim), dtype=np.int64))


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sums along `dim`; bool/int tensors sum in int64.

        >>> import minitorch_nn as torch
        >>> torch.tensor([1, 2, 3]).cumsum(0)
        tensor([1, 3, 6])
    """
    if _AMP.on and _AMP.active():
        return autocast_call("cumsum", cumsum, input, dim, dtype=dtype)
    check_tensor(input, "input", "cumsum")
    return Cumsum.apply(input, _one_dim(dim, input.ndim, "cumsum"), _sum_dtype(input, dtype))


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running products along `dim`; the gradient is exact with zeros in the input."""
    if _AMP.on and _AMP.active():
        return autocast_call("cumprod", cumprod, input, dim, dtype=dtype)
    check_tensor(input, "input", "cumprod")
    return Cumprod.apply(input, _one_dim(dim, input.ndim, "cumprod"), _sum_dtype(input, dtype))


def cumsum_(self: Tensor, dim: int, *, dtype=None) -> Tensor:
    return apply_inplace(self, lambda s: cumsum(s, dim, dtype=dtype))


def cumprod_(self: Tensor, dim: int, *, dtype=None) -> Tensor:
    return apply_inplace(self, lambda s: cumprod(s, dim, dtype=dtype))


METHODS = {
    "sum": sum, "nansum": nansum, "mean": mean, "nanmean": nanmean, "prod": prod,
    "var": var, "std": std, "max": max, "min": min, "amax": amax, "amin": amin,
    "aminmax": aminmax, "argmax": argmax, "argmin": argmin, "median": median,
    "nanmedian": nanmedian, "mode": mode, "logsumexp": logsumexp, "norm": _norm_method, "all": all,
    "any": any, "count_nonzero": count_nonzero, "cumsum": cumsum, "cumprod": cumprod,
    "cumsum_": cumsum_, "cumprod_": cumprod_,
}
