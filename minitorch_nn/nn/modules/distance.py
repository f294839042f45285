"""Distance layers (`torch.nn.modules.distance`): PairwiseDistance and CosineSimilarity, thin
Modules over F.pairwise_distance and F.cosine_similarity (ops/distance.py).

    nn.PairwiseDistance(p=2.0)(torch.randn(4, 3), torch.randn(4, 3)).shape   # (4,)
    nn.CosineSimilarity(dim=1)(torch.randn(4, 3), torch.randn(4, 3)).shape   # (4,)
"""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = ["PairwiseDistance", "CosineSimilarity"]


class PairwiseDistance(Module):
    """||x1 - x2 + eps||_p over the last dimension (the p-norm is stored as `norm`, as
    PyTorch)."""

    __constants__ = ["norm", "eps", "keepdim"]

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """x1 . x2 / (max(||x1||, eps) max(||x2||, eps)) along `dim`."""

    __constants__ = ["dim", "eps"]

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)
