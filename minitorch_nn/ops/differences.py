"""Finite differences and the trapezoid rule: diff, trapezoid (trapz) and
cumulative_trapezoid.

They are written with slices, subtraction, sums and cumsum, as PyTorch writes them
(CompositeImplicitAutograd), so their graph nodes, gradients and devices are those ops'.
Numbers follow PyTorch's formulas exactly:
  * diff(x) = x[1:] - x[:-1] along `dim`, n times (logical_xor for bool); with `prepend` /
    `append` concatenated first;
  * trapezoid with a spacing `dx`: (sum(y) - (y[0] + y[-1]) * 0.5) * dx; with sample points
    `x`: sum((x[1:] - x[:-1]) * (y[1:] + y[:-1])) / 2;
  * cumulative_trapezoid: (dx / 2 * (y[1:] + y[:-1])).cumsum() or
    ((x[1:] - x[:-1]) * (y[1:] + y[:-1])).cumsum() / 2.
"""
from __future__ import annotations

from ..tensor import Tensor, _wrap_dim
from ._util import check_tensor
from .joining import cat
from .registry import op
from .views import narrow, reshape, select


# ------------------------------------------------------------------ diff
def _check_side(input: Tensor, side: Tensor, d: int) -> None:
    if side.ndim != input.ndim:
        raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    for i in range(input.ndim):
        if i != d and side.shape[i] != input.shape[i]:
            raise RuntimeError(f"diff expects the shape of tensor to prepend or append to "
                               f"match that of input except along the differencing dimension;"
                               f" input.size({i}) = {input.shape[i]}, but got tensor.size({i})"
                               f" = {side.shape[i]}")


@op("diff", methods=("diff",))
def diff(input: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """The n-th forward difference along `dim`.

        >>> torch.diff(torch.tensor([1, 4, 9, 16]))
        tensor([3, 5, 7])
    """
    check_tensor(input, "input", "diff")
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _wrap_dim(dim, input.ndim)
    for name, side in (("prepend", prepend), ("append", append)):
        if side is not None:
            check_tensor(side, name, "diff")
            _check_side(input, side, d)
    parts = [t for t in (prepend, input, append) if t is not None]
    x = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        size = x.shape[d]
        if size == 0:
            break
        later, earlier = narrow(x, d, 1, size - 1), narrow(x, d, 0, size - 1)
        x = later.logical_xor(earlier) if x.dtype.name == "bool" else later - earlier
    return x


# ------------------------------------------------------------------ trapezoid rule
def _trapezoid_args(y: Tensor, x, dx, dim, fn: str, kernel: str):
    """The wrapped `dim`, after PyTorch's checks: x a Tensor (not with dx), y not bool."""
    check_tensor(y, "y", fn)
    if (x is not None and not isinstance(x, Tensor)) or (x is not None and dx is not None):
        given = ", ".join(["Tensor", type(x).__name__] +
                          ([f"dx={type(dx).__name__}"] if dx is not None else []))
        raise TypeError(f"{fn}() received an invalid combination of arguments - got ({given}), "
                        "but expected one of:\n * (Tensor y, Tensor x, *, int dim = -1)\n * "
                        "(Tensor y, *, Number dx = 1, int dim = -1)\n")
    if x is None and y.dtype.name == "bool":
        raise RuntimeError(f"{kernel}: received a bool input for `y`, but bool is not supported")
    if y.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, y.ndim)


def _spacing(y: Tensor, x: Tensor, d: int, fn: str) -> Tensor:
    """x[1:] - x[:-1] along `d`, shaped to broadcast against y's pieces."""
    check_tensor(x, "x", fn, 2)
    if y.dtype.name == "bool" or x.dtype.name == "bool":
        raise RuntimeError(f"{fn}: received a bool input for `x` or `y`, but bool is not "
                           "supported")
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{fn}: There must be one `x` value for each sample point")
        shape = [1] * y.ndim
        shape[d] = x.shape[0]
        x = reshape(x, tuple(shape))
    elif x.ndim < y.ndim:
        x = reshape(x, (1,) * (y.ndim - x.ndim) + tuple(x.shape))
    n = x.shape[d]
    return narrow(x, d, 1, n - 1) - narrow(x, d, 0, n - 1)


def _pairs(y: Tensor, d: int) -> Tensor:
    n = y.shape[d]
    return narrow(y, d, 0, n - 1) + narrow(y, d, 1, n - 1)


def _zeros_without(y: Tensor, d: int) -> Tensor:
    shape = tuple(s for i, s in enumerate(y.shape) if i != d)
    return y.new_zeros(shape)


@op("trapezoid")
def trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The integral of `y` along `dim` by the trapezoid rule, with sample points `x` or a
    constant spacing `dx` (default 1).

        >>> torch.trapezoid(torch.tensor([1., 2., 3.]))
        tensor(4.)
    """
    return _trapezoid(y, x, dx, dim, "trapezoid")


def _trapezoid(y: Tensor, x, dx, dim, fn: str) -> Tensor:
    d = _trapezoid_args(y, x, dx, dim, fn, "trapezoid")
    if y.shape[d] == 0:
        return _zeros_without(y, d)
    if x is not None:
        return (_pairs(y, d) * _spacing(y, x, d, "trapezoid")).sum(d) / 2.
    step = 1 if dx is None else dx
    ends = select(y, d, 0) + select(y, d, -1)
    return (y.sum(d) - ends * 0.5) * step


@op("trapz")
def trapz(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """`trapezoid` under numpy's older name."""
    return _trapezoid(y, x, dx, dim, "trapz")


@op("cumulative_trapezoid")
def cumulative_trapezoid(y: Tensor, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The running trapezoid-rule integral of `y` along `dim` (one element fewer)."""
    d = _trapezoid_args(y, x, dx, dim, "cumulative_trapezoid", "cumulative_trapezoid")
    if y.shape[d] == 0:
        return y.new_zeros(tuple(y.shape))
    if x is not None:
        return (_pairs(y, d) * _spacing(y, x, d, "cumulative_trapezoid")).cumsum(d) / 2.
    step = 1 if dx is None else dx
    return (step / 2. * _pairs(y, d)).cumsum(d)
