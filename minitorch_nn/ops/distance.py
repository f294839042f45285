"""normalize, cosine_similarity, pairwise_distance: composites of norm, clamp and division.

They are written with other ops (as PyTorch writes them), so their gradients come from those
ops. torch.cosine_similarity and torch.pairwise_distance exist at top level in PyTorch and are
exported; normalize is F-only.
"""
from __future__ import annotations

from ..amp.autocast_mode import AUTOCAST as _AMP, autocast_call
from ..tensor import Tensor
from ._nn_util import broadcast_shape

__all__ = ["cosine_similarity", "pairwise_distance"]


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """input / max(||input||_p along dim, eps)."""
    if _AMP.on and _AMP.active():
        return autocast_call("normalize", normalize, input, p, dim, eps, out)
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    result = input / denom
    if out is not None:
        out.copy_(result.detach())
        return out
    return result


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along dim (inputs broadcast)."""
    if _AMP.on and _AMP.active():
        return autocast_call("cosine_similarity", cosine_similarity, x1, x2, dim, eps)
    broadcast_shape(tuple(x1.shape), tuple(x2.shape))
    n1 = x1.norm(2, dim, keepdim=True).clamp_min(eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim."""
    if _AMP.on and _AMP.active():
        return autocast_call("pairwise_distance", pairwise_distance, x1, x2, p, eps, keepdim)
    return (x1 - x2 + eps).norm(p, -1, keepdim=keepdim)
