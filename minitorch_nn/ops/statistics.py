"""Statistics: var, std, var_mean, std_mean, median, nanmedian, mode.

var/std take PyTorch's overloads (`correction`, or the legacy `unbiased` given as a bool
`dim`) and warn when the degrees of freedom are <= 0. median/nanmedian give the lower median:
without a dim the gradient is split evenly over ties, along a dim (like mode) the whole
gradient goes to the returned index. Dims, dtypes and error messages follow the conventions
described in reduction.py.
"""
from __future__ import annotations

import math

import numpy as np

from .._user_warning import warn_user
from .. import dtypes as _dt, return_types
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import unreduce
from ..tensor import Tensor, _wrap
from ._reduce_util import (_IndexReduction, _acc, _check_nonempty_dims, _dims, _evenly,
                           _is_floating, _numel_over, _one_dim, _real_np, _require_float,
                           _squeeze, _type_name, _unreduce, xp_of)
from ._util import check_tensor
from .extrema import _evenly_tensor, index_grad_formula
from .registry import op


# ====================================================================== var, std
def _moments(arr, dims: tuple, correction):
    """(deviation from the mean, mean, sum of squares, divisor) of an accumulating array."""
    n = _numel_over(arr.shape, dims)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = arr.sum(axis=dims, keepdims=True) / n
    dev = arr - mean
    sq = dev.real * dev.real + dev.imag * dev.imag if dev.dtype.kind == "c" else dev * dev
    return dev, mean, sq.sum(axis=dims, keepdims=True), max(n - correction, 0), n


def _warn_dof(fn: str, n: int, correction) -> None:
    if n - correction <= 0:
        warn_user(f"{fn}(): degrees of freedom is <= 0. Correction should be strictly less "
                  "than the reduction factor (input numel divided by output numel).",
                  UserWarning)


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

    @staticmethod
    def grad_formula(ctx, g, g_mean=None):
        """`_grad` with Tensor ops (PyTorch's var_backward / std_backward): the deviation
        and, for std, the result are recomputed from x, so both are differentiable."""
        (x,) = ctx.saved_tensors
        is_std, dims, keepdim, divisor, n, _ = ctx.meta
        shape = tuple(x.shape)
        dev = x - x.mean(dims, keepdim=True) if dims else x - x
        scale = 2.0 / divisor if divisor else math.inf
        g_keep = unreduce(g, shape, dims, keepdim)
        if is_std:
            sq = (dev * dev.conj()).real if dev.is_complex() else dev * dev
            std = (sq.sum(dims, keepdim=True) * (1.0 / divisor if divisor else math.inf)).sqrt() \
                if dims else sq.sqrt()
            zero = _wrap((std._data == 0).astype(std._data.dtype))
            g_keep = g_keep / ((std + zero) * 2) * (1 - zero)
        grad = g_keep * scale * dev
        if g_mean is not None:
            grad = grad + unreduce(g_mean, shape, dims, keepdim) / n
        return _as_dtype(grad, x.dtype), None, None, None


def _as_dtype(t, dtype):
    return t if t.dtype == dtype else t.to(dtype)


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
    node_name = "MedianBackward1"

    @staticmethod
    def _pick(arr, d):
        return _median_pick(arr, d, ignore_nan=False)

    @staticmethod
    def forward(ctx, x, d, keepdim):
        return Median._run(ctx, x, d, keepdim)

    @staticmethod
    def grad_formula(ctx, g, g_indices=None):
        return index_grad_formula(ctx, g)


class Nanmedian(_IndexReduction):
    node_name = "NanmedianBackward1"

    @staticmethod
    def _pick(arr, d):
        return _median_pick(arr, d, ignore_nan=True)

    @staticmethod
    def forward(ctx, x, d, keepdim):
        return Nanmedian._run(ctx, x, d, keepdim)

    @staticmethod
    def grad_formula(ctx, g, g_indices=None):
        return index_grad_formula(ctx, g)


class Mode(_IndexReduction):
    """The most frequent value (the smallest on a tie) and its last index, along `d`.

    Counts come from comparing every pair of the slice: O(n^2) memory per slice, fine for
    the slice lengths mode is used on. PyTorch's CPU kernel finds the index with std::sort,
    which is stable only up to 16 elements: on longer slices with ties (or NaNs) its index
    can be another occurrence of the same value.
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

    @staticmethod
    def grad_formula(ctx, g, g_indices=None):
        return index_grad_formula(ctx, g)


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
    node_name = "MedianBackward0"

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

    @staticmethod
    def grad_formula(ctx, g):
        x, out = ctx.saved_tensors
        return _evenly_tensor(g, x, out._data, tuple(range(x.dim())), nan_aware=True)


class NanmedianAll(MedianAll):
    _ignore_nan = True
    node_name = "NanmedianBackward0"

    @staticmethod
    def forward(ctx, x):
        return NanmedianAll._forward(ctx, x)


# ====================================================================== declarations
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


@op("var", methods=("var",))
def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """The variance over `dim` with Bessel's `correction` (1 by default).

    `unbiased` is PyTorch's legacy form (`var(x, False)` is `correction=0`). A correction at or
    above the number of reduced elements gives inf (or NaN) with a warning, as PyTorch.
    """
    return _var_like(Var, "var", input, dim, unbiased, keepdim, correction)


@op("std", methods=("std",))
def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """The standard deviation over `dim` (see `var`); gradient 0 where it is 0."""
    return _var_like(Std, "std", input, dim, unbiased, keepdim, correction)


@op("var_mean")
def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
             correction=None) -> tuple:
    """(var, mean) in one pass, a plain tuple as PyTorch returns."""
    return _var_like(VarMean, "var_mean", input, dim, unbiased, keepdim, correction)


@op("std_mean")
def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *,
             correction=None) -> tuple:
    """(std, mean) in one pass, a plain tuple as PyTorch returns."""
    return _var_like(StdMean, "std_mean", input, dim, unbiased, keepdim, correction)


def _median_like(fn, input, dim, keepdim, all_op, dim_op, result_type):
    check_tensor(input, "input", fn)
    if input.dtype is _dt.bool or input._data.dtype.kind == "c":   # PyTorch's kernel names
        kernel = "median_cpu" if dim is None else "median_out"
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{_type_name(input.dtype)}'")
    if dim is None:
        if keepdim:
            raise TypeError(f"{fn}(): keepdim=True needs a dim")
        return all_op.apply(input)
    d = _one_dim(dim, input.ndim, fn)
    _check_nonempty_dims(input, (d,) if input.ndim else (), fn, shown=d)
    return result_type(*dim_op.apply(input, d, keepdim))


@op("median", methods=("median",))
def median(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median of all elements, or `(values, indices)` along `dim`; NaN propagates."""
    return _median_like("median", input, dim, keepdim, MedianAll, Median, return_types.median)


@op("nanmedian", methods=("nanmedian",))
def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    """median ignoring NaNs (NaN only where a slice is all NaN)."""
    return _median_like("nanmedian", input, dim, keepdim, NanmedianAll, Nanmedian,
                        return_types.nanmedian)


@op("mode", methods=("mode",))
def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """`(values, indices)`: the most frequent value along `dim` (smallest on ties), last index."""
    check_tensor(input, "input", "mode")
    if input._data.dtype.kind == "c":
        raise NotImplementedError("\"mode_cpu\" not implemented for "
                                  f"'{_type_name(input.dtype)}'")
    d = _one_dim(dim, input.ndim, "mode")
    _check_nonempty_dims(input, (d,) if input.ndim else (), "mode", shown=d)
    return return_types.mode(*Mode.apply(input, d, keepdim))
