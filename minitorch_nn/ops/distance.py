"""normalize, cosine_similarity, pairwise_distance: composites of norm, clamp and division.

They are written with other ops (as PyTorch writes them), so their gradients come from those
ops. torch.cosine_similarity and torch.pairwise_distance exist at top level in PyTorch and
F.* is the same function (declared in both namespaces, `@op`, ops/registry.py); normalize is
F-only.
"""
from __future__ import annotations

from ..tensor import Tensor
from ._nn_util import broadcast_shape
from .registry import op


@op("normalize", namespace="nn.functional")
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """input / max(||input||_p along dim, eps)."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    result = input / denom
    if out is not None:
        out.copy_(result.detach())
        return out
    return result


# F.cosine_similarity is torch.cosine_similarity: the outer declaration names the function the
# torch declaration returns, autocast hook included (autocast=False: it is not hooked twice).
@op("cosine_similarity", namespace="nn.functional", autocast=False)
@op("cosine_similarity")
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along dim (inputs broadcast)."""
    broadcast_shape(tuple(x1.shape), tuple(x2.shape))
    n1 = x1.norm(2, dim, keepdim=True).clamp_min(eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


@op("pairwise_distance", namespace="nn.functional", autocast=False)
@op("pairwise_distance")
def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim."""
    return (x1 - x2 + eps).norm(p, -1, keepdim=keepdim)
