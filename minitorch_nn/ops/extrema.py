"""Extrema: max, min, amax, amin, aminmax, argmax, argmin.

max/min take three forms as in PyTorch: over all elements (the gradient split evenly over
ties, node MaxBackward1), `(values, indices)` along one `dim` (the whole gradient to the
returned index) and the binary `max(input, other)` (`maximum`). amax/amin reduce over several
dims and split the gradient over ties; argmax/argmin are not differentiable. Dims, dtypes and
error messages follow the conventions described in reduction.py.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt, return_types
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import reduce_grad, unreduce
from ..tensor import Tensor, _wrap, _wrap_dim
from ._reduce_util import (_IndexReduction, _check_nonempty_dims, _dims, _evenly, _is_floating,
                           _one_dim, _type_name, _unreduce, xp_of)
from ._util import binary_operands, check_tensor, sum_to_shape
from .registry import op


# ====================================================================== max, min, amax, amin
class MaxAll(ArrayFunction):
    """max() of all elements; the gradient is split evenly over ties (MaxBackward1)."""

    _reduce = "max"
    node_name = "MaxBackward1"

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

    @staticmethod
    def grad_formula(ctx, g):
        x, out = ctx.saved_tensors
        return _evenly_tensor(g, x, out._data, tuple(range(x.dim())), nan_aware=True)


class MinAll(MaxAll):
    _reduce = "min"
    node_name = "MinBackward1"

    @staticmethod
    def forward(ctx, x):
        return MinAll._forward(ctx, x)


class Max(_IndexReduction):
    @staticmethod
    def _pick(arr, d):
        return xp_of(arr).expand_dims(xp_of(arr).argmax(arr, axis=d), d)

    @staticmethod
    def forward(ctx, x, d, keepdim):
        return Max._run(ctx, x, d, keepdim)

    @staticmethod
    def grad_formula(ctx, g, g_indices=None):
        return index_grad_formula(ctx, g)


class Min(_IndexReduction):
    @staticmethod
    def _pick(arr, d):
        return xp_of(arr).expand_dims(xp_of(arr).argmin(arr, axis=d), d)

    @staticmethod
    def forward(ctx, x, d, keepdim):
        return Min._run(ctx, x, d, keepdim)

    @staticmethod
    def grad_formula(ctx, g, g_indices=None):
        return index_grad_formula(ctx, g)


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

    @staticmethod
    def grad_formula(ctx, g):
        x, out = ctx.saved_tensors
        dims, keepdim = ctx.meta
        shape = tuple(x.shape)
        return _evenly_tensor(unreduce(g, shape, dims, keepdim), x,
                              _unreduce(out._data, dims, keepdim), dims, nan_aware=False), \
            None, None


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

    @staticmethod
    def grad_formula(ctx, g_lo, g_hi):
        x, lo, hi = ctx.saved_tensors
        dims, keepdim = ctx.meta
        shape = tuple(x.shape)
        grad = _evenly_tensor(unreduce(g_lo, shape, dims, keepdim), x,
                              _unreduce(lo._data, dims, keepdim), dims, nan_aware=False)
        grad = grad + _evenly_tensor(unreduce(g_hi, shape, dims, keepdim), x,
                                     _unreduce(hi._data, dims, keepdim), dims, nan_aware=False)
        return grad, None, None


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

    @staticmethod
    def grad_formula(ctx, g):
        a, b = ctx.saved_tensors
        x, y = a._data, b._data
        share = _wrap(xp_of(x).where(x > y, 1.0, xp_of(x).where(x == y, 0.5, 0.0))
                      .astype(g._data.dtype))
        return reduce_grad(g * share, a), reduce_grad(g * (1 - share), b)


def _evenly_tensor(g, x: Tensor, value_keep, dims: tuple, nan_aware: bool):
    """`_evenly` for a Tensor gradient `g` (already broadcastable to x): the mask of the
    elements equal to the (constant) value and their count are constants."""
    a = x._data
    xp = xp_of(a)
    mask = a == value_keep
    if nan_aware and _is_floating(a.dtype):
        mask = mask | (xp.isnan(a) & xp.isnan(value_keep))
    dtype = g._data.dtype
    count = mask.sum(axis=dims, keepdims=True).astype(dtype)
    grad = g * _wrap(mask.astype(dtype)) / _wrap(count)
    return grad if grad.dtype == x.dtype else grad.to(x.dtype)


def index_grad_formula(ctx, g):
    """The gradient of values picked along a dim (max/min/median/mode with dim), with Tensor
    ops: g put back at the picked index, zero elsewhere (value_selecting_reduction_backward)."""
    from .selection import where
    shape, in_dtype, d, idx, scalar = ctx.meta
    if g._data.dtype != in_dtype:
        g = g.to(_dt.from_numpy_dtype(in_dtype))
    if scalar:
        return g.reshape(shape), None, None
    xp = xp_of(idx)
    positions = xp.arange(shape[d]).reshape([-1 if i == d else 1 for i in range(len(shape))])
    hit = _wrap(xp.broadcast_to(positions == idx, shape))
    g_keep = g if ctx.keepdim else g.unsqueeze(d)
    return where(hit, g_keep, _wrap(xp.zeros((), g._data.dtype))), None, None


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


# ====================================================================== declarations
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


@op("max", methods=("max",))
def max(input: Tensor, dim=None, keepdim: bool = False, *, other=None):
    """max of all elements, `(values, indices)` along `dim`, or `maximum(input, other)`.

        >>> import minitorch_nn as torch
        >>> values, indices = torch.tensor([[1., 5.], [4., 2.]]).max(dim=1)
        >>> indices
        tensor([1, 0])
    """
    return _max_like(input, dim, keepdim, other, "max", MaxAll, Max, _maximum,
                     return_types.max)


@op("min", methods=("min",))
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


@op("amax", methods=("amax",))
def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """The maximum over `dim` (all dims by default); ties share the gradient evenly."""
    return _amax_like(Amax, "amax", input, dim, keepdim)


@op("amin", methods=("amin",))
def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """The minimum over `dim` (all dims by default); ties share the gradient evenly."""
    return _amax_like(Amin, "amin", input, dim, keepdim)


@op("aminmax", methods=("aminmax",))
def aminmax(input: Tensor, *, dim=None, keepdim: bool = False):
    """`(min, max)` over one `dim` or all elements, a named tuple with fields min and max."""
    check_tensor(input, "input", "aminmax")
    if input._data.dtype.kind == "c":
        raise NotImplementedError("\"aminmax_cpu\" not implemented for "
                                  f"'{_type_name(input.dtype)}'")
    dims = _dims(None if dim is None else _one_dim(dim, input.ndim, "aminmax"), input.ndim)
    if dim is None and input._data.size == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    for d in dims:
        if input.shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
    return return_types.aminmax(*Aminmax.apply(input, dims, keepdim))


def _no_complex(x: Tensor, fn: str) -> None:
    if x._data.dtype.kind == "c":
        raise RuntimeError(f"{fn}(): does not support complex input")


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


@op("argmax", methods=("argmax",))
def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the (first) maximum along `dim`, or in the flattened tensor."""
    return _arg_like("argmax", input, dim, keepdim)


@op("argmin", methods=("argmin",))
def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the (first) minimum along `dim`, or in the flattened tensor."""
    return _arg_like("argmin", input, dim, keepdim)
