"""renorm: rescale each slice along `dim` whose p-norm exceeds `maxnorm` down to maxnorm.

Written with vector_norm and where, as PyTorch computes it: the factor is
maxnorm / (norm + 1e-7) where norm > maxnorm, else 1, and the gradient flows through the
norm too (PyTorch's renorm_backward is that same full derivative).
"""
from __future__ import annotations

from ..tensor import Tensor, _wrap_dim
from ._util import check_tensor
from .inplace import apply_inplace
from .matrix_norms import vector_norm
from .registry import method_of, op
from .selection import where


@op("renorm", methods=("renorm",))
def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each sub-tensor `input.select(dim, i)` with p-norm above `maxnorm` scaled to it.

        >>> torch.renorm(torch.tensor([[3., 4.], [0.3, 0.4]]), 2, 0, 1.)
        tensor([[0.6000, 0.8000],
                [0.3000, 0.4000]])
    """
    check_tensor(input, "input", "renorm")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} "
                           "dimensions")
    d = _wrap_dim(dim, input.ndim)
    others = tuple(i for i in range(input.ndim) if i != d)
    norm = vector_norm(input, p, others, keepdim=True)
    factor = where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    return input * factor.to(input.dtype)


@method_of("renorm", "renorm_")
def renorm_(self: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    return apply_inplace(self, renorm, p, dim, maxnorm)
