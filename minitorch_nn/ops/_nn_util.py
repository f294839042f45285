"""Helpers shared by the nn op families (activation, convolution, pooling, norms, losses).

- `kernel_for(array, family, name)`: the kernel for `array`'s device when it can take one,
  else None so the caller's `xp` code runs; the backends' lookup (array_backends/base.py),
  re-exported here for the op files.
- `compute_array(array)`: float16/bfloat16 widened to float32 for the arithmetic (PyTorch's
  CPU kernels also accumulate half types in float); the result is cast back with `astype`.
- `require_float`: PyTorch's NotImplementedError for integer inputs to float-only ops.
- `reduction_of` / `reduce_loss`: the loss `reduction` argument, legacy flags included.
- `int_tuple`: `kernel_size=3` or `(3, 3)` as a tuple of ints of the wanted length.
"""
from __future__ import annotations

import numpy as np

from .._user_warning import warn_user
from ..array_backends import kernel_for
from ..tensor import Tensor
from .broadcast_error import broadcast_error
from .inplace import _legacy_name

__all__ = ["kernel_for", "acc_dtype", "compute_array", "require_float", "reduction_of",
           "reduce_loss", "int_tuple", "type_name", "broadcast_shape"]


def acc_dtype(dtype):
    """The dtype sums and statistics are kept in: float32 for float16/bfloat16, else `dtype`
    (the kernels' accumulation type A; PyTorch's `acc_type`)."""
    if dtype.itemsize == 2 and (dtype.kind == "f" or dtype.name == "bfloat16"):
        return np.dtype(np.float32)
    return dtype


def compute_array(array):
    """`array` itself, or a float32 copy when it is float16/bfloat16 (computed in float)."""
    if array.dtype.itemsize == 2 and (array.dtype.kind == "f" or array.dtype.name == "bfloat16"):
        return array.astype(np.float32)
    return array


def require_float(x: Tensor, kernel_name: str) -> None:
    """PyTorch's error for an integer or bool tensor given to a float-only op."""
    if not x.is_floating_point():
        raise NotImplementedError(f'"{kernel_name}" not implemented for '
                                  f"'{_legacy_name(x.dtype)}'")


def type_name(x: Tensor) -> str:
    """PyTorch's scalar type name of x ("Float", "Long", ...) for error messages."""
    return _legacy_name(x.dtype)


_REDUCTIONS = ("none", "mean", "sum")


def reduction_of(size_average=None, reduce=None, reduction: str = "mean") -> str:
    """The reduction string, honouring PyTorch's deprecated `size_average`/`reduce` flags
    (their warning points at the user's line that called the loss or built the module)."""
    if size_average is not None or reduce is not None:
        warn_user("size_average and reduce args will be deprecated, please use "
                  "reduction='{}' instead.".format(_legacy_reduction(size_average, reduce)))
        return _legacy_reduction(size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _legacy_reduction(size_average, reduce) -> str:
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def reduce_loss(loss, reduction: str):
    """Apply `reduction` to an elementwise loss array (mean of an empty array is nan)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if loss.size == 0:
        return loss.dtype.type(np.nan) * loss.sum()
    return loss.mean()


def int_tuple(value, n: int, name: str) -> tuple:
    """An int or a sequence of ints as an n-tuple of ints (`kernel_size=3` → (3, 3))."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            return (int(value[0]),) * n
        if len(value) == n:
            return tuple(int(v) for v in value)
        raise RuntimeError(f"{name} must be a single int or a tuple of {n} ints, "
                           f"got {tuple(value)}")
    raise TypeError(f"{name} must be an int or a tuple of ints, got {type(value).__name__}")


def broadcast_shape(a: tuple, b: tuple) -> tuple:
    """The broadcast of shapes a and b, with PyTorch's error when they do not broadcast."""
    n = max(len(a), len(b))
    pa = (1,) * (n - len(a)) + tuple(a)
    pb = (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x != y and x != 1 and y != 1:
            raise broadcast_error(a, b, i)
        out.append(y if x == 1 else x)
    return tuple(out)
