"""Dropout layers (`torch.nn.modules.dropout`): random zeroing in training, identity in eval.

    drop = nn.Dropout(p=0.2)
    drop(x)            # training: each element zeroed with prob 0.2, the rest scaled by 1/0.8
    drop.eval()(x)     # eval: x itself
"""
from __future__ import annotations

from ...ops.alpha_dropout import alpha_dropout, feature_alpha_dropout
from ...ops.feature_dropout import dropout1d, dropout2d, dropout3d
from ...tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
           "FeatureAlphaDropout"]


class _DropoutNd(Module):
    """Arguments shared by the dropout layers: p in [0, 1], inplace."""

    __constants__ = ["p", "inplace"]

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability p and scale the others by 1 / (1 - p) while
    training; the identity in eval mode."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) or (C, L) input with probability p while training
    (the rest scaled by 1 / (1 - p)): for 1-D feature maps whose neighbours correlate."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) input with probability p while training."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability p while
    training."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Alpha dropout for SELU networks: dropped elements take SELU's saturation value and the
    result is rescaled to keep zero mean and unit variance (F.alpha_dropout). As in PyTorch,
    `inplace` is stored (and shown) but not used."""

    def forward(self, input: Tensor) -> Tensor:
        return alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels (F.feature_alpha_dropout); `inplace` is stored but not
    used, as in PyTorch."""

    def forward(self, input: Tensor) -> Tensor:
        return feature_alpha_dropout(input, self.p, self.training)
