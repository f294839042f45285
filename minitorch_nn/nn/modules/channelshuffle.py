"""ChannelShuffle (`torch.nn.modules.channelshuffle`): interleave channel groups
(F.channel_shuffle), as in ShuffleNet.

    nn.ChannelShuffle(2)(torch.arange(4.).view(1, 4, 1, 1)).flatten()   # [0., 2., 1., 3.]
"""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """Split the C channels of (N, C, *) input into `groups` groups and interleave them."""

    __constants__ = ["groups"]

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
