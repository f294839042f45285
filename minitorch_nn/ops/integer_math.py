"""Integer number theory, elementwise: gcd and lcm (with their in-place forms).

Both take two integer tensors (promoted as PyTorch does, broadcasting) and are not
differentiable; a float, bool or complex result dtype is PyTorch's NotImplementedError.
Results are non-negative, as PyTorch's: gcd(-4, 6) = 2, lcm(-4, 6) = 12, lcm(0, x) = 0.
"""
from __future__ import annotations

from ..tensor import Tensor, _wrap
from ._util import binary_operands, check_tensor, shape_mismatch, xp_of
from .inplace import _legacy_name, apply_inplace
from .registry import method_of, op


def _integer_op(input: Tensor, other: Tensor, fn: str) -> Tensor:
    check_tensor(input, "input", fn)
    check_tensor(other, "other", fn, 2)
    x, y, res = binary_operands(input, other)
    if x.dtype.kind not in "iu":
        raise NotImplementedError(f'"{fn}_cpu" not implemented for \'{_legacy_name(res)}\'')
    try:
        out = getattr(xp_of(x), fn)(x, y)
    except ValueError as err:
        raise shape_mismatch(err, input, other) from None
    return _wrap(out.astype(res.np, copy=False))


@op("gcd", methods=("gcd",))
def gcd(input: Tensor, other: Tensor) -> Tensor:
    """The greatest common divisor of each pair of elements (integer tensors).

        >>> torch.gcd(torch.tensor([4, 0, -6]), torch.tensor([6, 0, 9]))
        tensor([2, 0, 3])
    """
    return _integer_op(input, other, "gcd")


@op("lcm", methods=("lcm",))
def lcm(input: Tensor, other: Tensor) -> Tensor:
    """The least common multiple of each pair of elements (integer tensors)."""
    return _integer_op(input, other, "lcm")


@method_of("gcd", "gcd_", export=True)
def gcd_(self: Tensor, other: Tensor) -> Tensor:
    return apply_inplace(self, gcd, other)


@method_of("lcm", "lcm_", export=True)
def lcm_(self: Tensor, other: Tensor) -> Tensor:
    return apply_inplace(self, lcm, other)
