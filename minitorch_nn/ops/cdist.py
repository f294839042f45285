"""cdist: the p-norm distance between every row of x1 and every row of x2, batched.

x1 is (..., P, M), x2 is (..., R, M) (batch dims broadcast); the result is (..., P, R).
Two ways to compute, as PyTorch chooses them by `compute_mode`:
  * directly, from the differences x1[p] - x2[r] (CdistBackward0): any p >= 0, inf included;
  * for p = 2 with 'use_mm_for_euclid_dist' (or '..._if_necessary' when P or R exceeds 25),
    by one matrix product: ||a||^2 - 2 a.b + ||b||^2, clamped at 0, square-rooted
    (EuclideanDistBackward0). It is faster but rounds differently: PyTorch's numbers need
    the same formula, written here as PyTorch writes it (_euclidean_dist).
The gradients are PyTorch's: zero where a distance is 0 (no nan at coinciding points), for
p = inf shared by the coordinates that reach the maximum, for p < 1 zero where a coordinate
difference is 0.
"""
from __future__ import annotations

import math

from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import broadcast_shape, type_name
from ._util import check_tensor, sum_to_shape, xp_of
from .registry import op
from .selection import where

_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
          "donot_use_mm_for_euclid_dist")


def _batched(x1, x2):
    """Both arrays with their batch dims broadcast to one shape."""
    batch = broadcast_shape(x1.shape[:-2], x2.shape[:-2])
    xp = xp_of(x1)
    return (xp.broadcast_to(x1, batch + x1.shape[-2:]),
            xp.broadcast_to(x2, batch + x2.shape[-2:]))


def _differences(x1, x2):
    """x1[..., p, :] - x2[..., r, :] for every pair: shape (..., P, R, M)."""
    return x1[..., :, None, :] - x2[..., None, :, :]


def _direct_distance(diff, p: float):
    xp = xp_of(diff)
    a = xp.abs(diff)
    if p == 0:
        return (a != 0).sum(-1).astype(diff.dtype)
    if p == 1:
        return a.sum(-1)
    if p == 2:
        return xp.sqrt((a * a).sum(-1))
    if math.isinf(p):
        return a.max(-1) if a.shape[-1] else a.sum(-1)
    return (a ** p).sum(-1) ** (1.0 / p)


class Cdist(ArrayFunction):
    """The direct p-norm distances (CdistBackward0)."""

    @staticmethod
    def forward(ctx, a, b, p):
        x1, x2 = _batched(a._data, b._data)
        out = _direct_distance(_differences(x1, x2), p)
        ctx.p = p
        ctx.save_for_backward(a, b)
        ctx.out = out
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        x1, x2 = _batched(a._data, b._data)
        diff = _differences(x1, x2)
        local = _local_gradient(diff, ctx.out[..., None], ctx.p) * g[..., None]
        ga = sum_to_shape(local.sum(-2), a.shape) if ctx.needs_input_grad[0] else None
        gb = sum_to_shape(-local.sum(-3), b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb, None


def _local_gradient(diff, dist, p: float):
    """d dist / d x1 for each pair and coordinate (PyTorch's cdist backward kernels)."""
    xp = xp_of(diff)
    sign = xp.sign(diff)
    zero = dist == 0
    if p == 0:
        return xp.zeros_like(diff)
    if p == 1:
        return sign
    if p == 2:
        return xp.where(zero, 0, diff / dist)
    if math.isinf(p):
        return sign * (xp.abs(diff) == dist)
    a = xp.abs(diff)
    if p < 2:
        masked = zero | ((diff == 0) & (p < 1))
        return xp.where(masked, 0, sign * a ** (p - 1) / dist ** (p - 1))
    return xp.where(zero, 0, diff * a ** (p - 2) / dist ** (p - 1))


class EuclideanDist(ArrayFunction):
    """p = 2 by one matrix product (EuclideanDistBackward0, PyTorch's _euclidean_dist)."""

    @staticmethod
    def forward(ctx, a, b):
        x1, x2 = a._data, b._data
        xp = xp_of(x1)
        n1 = (x1 * x1).sum(-1, keepdims=True)
        n2 = (x2 * x2).sum(-1, keepdims=True)
        left = xp.concatenate([x1 * -2, n1, xp.ones_like(n1)], -1)
        right = xp.concatenate([x2, xp.ones_like(n2), n2], -1)
        out = _wrap(xp.sqrt(xp.maximum(left @ xp.swapaxes(right, -1, -2), 0)))
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        x1, x2, out = a._data, b._data, out._data
        xp = xp_of(g)
        res = xp.where(out == 0, 0, g / xp.where(out == 0, 1, out))
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = x1 * res.sum(-1)[..., None] - res @ x2
        if ctx.needs_input_grad[1]:
            gb = x2 * res.sum(-2)[..., None] - xp.swapaxes(res, -1, -2) @ x1
        return ga, gb

    @staticmethod
    def grad_formula(ctx, g):
        a, b, out = ctx.saved_tensors
        zero = out == 0
        res = where(zero, 0., g / where(zero, 1., out))
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = a * res.sum(-1, keepdim=True) - res @ b
        if ctx.needs_input_grad[1]:
            gb = b * res.sum(-2).unsqueeze(-1) - res.mT @ a
        return ga, gb


def _check(x1, x2, p, compute_mode) -> None:
    check_tensor(x1, "x1", "cdist")
    check_tensor(x2, "x2", "cdist", 2)
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{x.ndim}D")
    for name, x in (("X1", x1), ("X2", x2)):
        if x.dtype.kind != 2:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{type_name(x)}")
        if x.dtype.name in ("float16", "bfloat16"):
            raise NotImplementedError(f"\"cdist\" not implemented for '{type_name(x)}'")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if x1.dtype != x2.dtype:
        raise RuntimeError(f"expected scalar type {type_name(x1)} but found {type_name(x2)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode is not None and compute_mode not in _MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")


@op("cdist")
def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """Distances between each row vector of x1 and each of x2 (batched, p-norm).

        >>> torch.cdist(torch.tensor([[0., 0.]]), torch.tensor([[3., 4.], [1., 0.]]))
        tensor([[5., 1.]])
    """
    _check(x1, x2, p, compute_mode)
    p = float(p)
    rows1, rows2 = x1.shape[-2], x2.shape[-2]
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or
                         compute_mode in (None, _MODES[0]) and (rows1 > 25 or rows2 > 25))
    if not use_mm:
        return Cdist.apply(x1, x2, p)
    batch = broadcast_shape(tuple(x1.shape[:-2]), tuple(x2.shape[:-2]))
    return EuclideanDist.apply(x1.expand(*batch, rows1, x1.shape[-1]),
                               x2.expand(*batch, rows2, x2.shape[-1]))
