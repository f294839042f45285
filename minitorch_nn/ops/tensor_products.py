"""kron (the Kronecker product) and inner (the inner product over the last dims).

Both are written as PyTorch writes them: kron interleaves the operands' dims with size-1
dims, multiplies with broadcasting and merges each pair (a_i, b_i) into one dim; inner is a
product with a 0-d operand, else tensordot over the last dims. Gradients, dtype promotion and
devices are those of mul, reshape and tensordot.
"""
from __future__ import annotations

from ..tensor import Tensor
from ._util import check_tensor
from .einsum import tensordot
from .registry import op
from .views import reshape


@op("kron", methods=("kron",))
def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: each element of `input` times the whole of `other`, laid out
    in blocks (the shorter operand gets leading size-1 dims).

        >>> torch.kron(torch.eye(2), torch.ones(2, 2)).shape
        torch.Size([4, 4])
    """
    check_tensor(input, "input", "kron")
    check_tensor(other, "other", "kron", 2)
    nd = max(input.ndim, other.ndim)
    a_shape = (1,) * (nd - input.ndim) + tuple(input.shape)
    b_shape = (1,) * (nd - other.ndim) + tuple(other.shape)
    a_view = reshape(input, sum(((n, 1) for n in a_shape), ()))
    b_view = reshape(other, sum(((1, n) for n in b_shape), ()))
    return reshape(a_view * b_view, tuple(m * n for m, n in zip(a_shape, b_shape)))


@op("inner", methods=("inner",))
def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum of products over the last dim of both (a plain product if either is 0-d).

        >>> torch.inner(torch.tensor([1., 2.]), torch.tensor([3., 4.]))
        tensor(11.)
    """
    check_tensor(input, "input", "inner")
    check_tensor(other, "other", "inner", 2)
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))
