"""Scans: cumsum and cumprod along one dim (and their in-place forms).

bool/int tensors accumulate in int64 unless a `dtype` is given, float16/bfloat16 in float32;
cumprod's gradient is exact with zeros in the input (no division by zero).
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._reduce_util import _acc, _is_low_float, _one_dim, _sum_dtype, xp_of
from ._util import check_tensor
from .inplace import apply_inplace
from .registry import method_of, op


# ====================================================================== scans
def _revcumsum(a, d: int):
    xp = xp_of(a)
    return xp.flip(xp.cumsum(xp.flip(a, d), axis=d), d)


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


# ====================================================================== declarations
@op("cumsum", methods=("cumsum",))
def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sums along `dim`; bool/int tensors sum in int64.

        >>> import minitorch_nn as torch
        >>> torch.tensor([1, 2, 3]).cumsum(0)
        tensor([1, 3, 6])
    """
    check_tensor(input, "input", "cumsum")
    return Cumsum.apply(input, _one_dim(dim, input.ndim, "cumsum"), _sum_dtype(input, dtype))


@op("cumprod", methods=("cumprod",))
def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running products along `dim`; the gradient is exact with zeros in the input."""
    check_tensor(input, "input", "cumprod")
    return Cumprod.apply(input, _one_dim(dim, input.ndim, "cumprod"), _sum_dtype(input, dtype))


@method_of("cumsum", "cumsum_")
def cumsum_(self: Tensor, dim: int, *, dtype=None) -> Tensor:
    return apply_inplace(self, lambda s: cumsum(s, dim, dtype=dtype))


@method_of("cumprod", "cumprod_")
def cumprod_(self: Tensor, dim: int, *, dtype=None) -> Tensor:
    return apply_inplace(self, lambda s: cumprod(s, dim, dtype=dtype))
