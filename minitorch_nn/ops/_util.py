"""Helpers shared by every op family: operands, result dtypes, and gradient reduction."""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..autograd.function import _device_mismatch, sum_array_to
from ..array_backends import backend_of, xp_of
from ..tensor import Tensor, _wrap, _wrap_dim, as_array
from .broadcast_error import broadcast_error

__all__ = ["xp_of", "binary_operands", "sum_to_shape", "wrap_dim", "to_tensor", "grad_cast",
           "normalize_dims", "check_tensor", "shape_mismatch"]

wrap_dim = _wrap_dim


def check_tensor(x, name: str, fn: str, position: int = 1) -> Tensor:
    """`x`, or PyTorch's TypeError naming argument `name` (at `position`) of `fn`."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not "
                        f"{type(x).__name__}")
    return x


def to_tensor(value, like: Tensor | None = None) -> Tensor:
    """A Tensor from a Tensor or Python number (numbers land on `like`'s device)."""
    if isinstance(value, Tensor):
        return value
    backend = backend_of(like._data) if like is not None else backend_of(np.empty(0))
    return _wrap(as_array(value, None, backend))


def binary_operands(a, b):
    """Arrays for a binary op in PyTorch's result dtype; Python scalars stay weak scalars.

    Returns (a_array_or_scalar, b_array_or_scalar, result_dtype).
    """
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        x, y = a._data, b._data
        if x.dtype == y.dtype:   # the common case: nothing to promote
            if type(x) is not type(y):
                _device_mismatch(a, b)
            return x, y, _dt.from_numpy_dtype(x.dtype)
    res = _dt.result_type(a, b)
    npd = res.np
    if isinstance(a, Tensor):
        x = a._data if a._data.dtype == npd else a._data.astype(npd)
    else:
        x = _scalar_as(a, res)
    if isinstance(b, Tensor):
        y = b._data if b._data.dtype == npd else b._data.astype(npd)
        if isinstance(a, Tensor) and type(y) is not type(x):
            _device_mismatch(a, b)
    else:
        y = _scalar_as(b, res)
    return x, y, res


def _scalar_as(value, res: _dt.dtype):
    """A Python scalar as a numpy scalar of the result dtype (keeps numpy from widening)."""
    if isinstance(value, (bool, int, float, complex)):
        try:
            return res.np.type(value)
        except OverflowError:   # PyTorch wraps integers around, numpy refuses
            return np.array(value).astype(res.np)[()]
    raise TypeError(f"unsupported operand type: {type(value).__name__} (expected a Tensor or "
                    "a Python number)")


def sum_to_shape(grad, shape: tuple):
    """Sum a broadcast gradient back to `shape` (the shape of the input it flows to; the
    reduction itself is autograd/function.py's `sum_array_to`, which the engine uses too)."""
    return grad if grad.shape == shape else sum_array_to(grad, shape)


def grad_cast(grad, like):
    """`grad` in the dtype of the array `like` (an input may have a narrower dtype)."""
    if grad.dtype == like.dtype:
        return grad
    return grad.astype(like.dtype)


def normalize_dims(dim, ndim: int) -> tuple:
    """A dim, a list of dims or None (all dims) as a sorted tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return tuple(range(ndim))
        dims = tuple(sorted(_wrap_dim(d, ndim) for d in dim))
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
        return dims
    return (_wrap_dim(dim, ndim),)


def shape_mismatch(error: Exception, *operands) -> Exception:
    """The error to raise when numpy failed on `operands`: PyTorch's RuntimeError if their
    shapes do not broadcast (numpy says ValueError), else the original error.

    Shapes are merged left to right and compared from the last dim, as PyTorch's
    `infer_size` does, so the message names the same sizes and dim PyTorch's does.
    """
    shape: tuple = ()
    for op in operands:
        if not isinstance(op, Tensor):
            continue
        other = tuple(op.shape)
        ndim = max(len(shape), len(other))
        a = (1,) * (ndim - len(shape)) + shape
        b = (1,) * (ndim - len(other)) + other
        for i in range(ndim - 1, -1, -1):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                return broadcast_error(shape, other, i)
        shape = tuple(y if x == 1 else x for x, y in zip(a, b))
    return error


def refuse_complex(kernel: str, *operands) -> None:
    """PyTorch's NotImplementedError for an op with no complex kernel (`"lt_cpu" not
    implemented for 'ComplexFloat'`), when any operand (tensor or number) is complex."""
    dtypes = [x.dtype for x in operands if isinstance(x, Tensor)]
    if not (any(d.is_complex for d in dtypes) or any(isinstance(x, complex) for x in operands)):
        return
    res = _dt.result_type(*operands) if dtypes else _dt.complex64
    name = "ComplexDouble" if res.name == "complex128" else "ComplexFloat"
    raise NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')
