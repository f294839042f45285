"""Identity and Linear layers (`torch.nn.modules.linear`)."""
from __future__ import annotations

import math
from typing import Any

from ...creation import empty
from ...ops.linalg import addmm
from ...tensor import Tensor
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Identity", "Linear"]


class Identity(Module):
    """Returns its input unchanged; accepts and ignores any constructor arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """`y = x @ weight.T + bias`, with weight of shape (out_features, in_features).

    Initialised as PyTorch does: weight ~ kaiming_uniform(a=sqrt(5)), which is
    U(-1/sqrt(in_features), 1/sqrt(in_features)), and bias ~ the same bound.

        fc = nn.Linear(2, 3)
        fc(torch.ones(4, 2)).shape    # torch.Size([4, 3])
    """

    __constants__ = ["in_features", "out_features"]

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in_features), **factory_kwargs))
        if bias:
            self.bias = Parameter(empty(out_features, **factory_kwargs))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw weight and bias again, as in the constructor."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        if self.bias is not None and input.dim() == 2:
            return addmm(self.bias, input, self.weight.t())   # one node, AddmmBackward0
        output = input @ self.weight.t()
        if self.bias is not None:
            output = output + self.bias
        return output

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
