"""Identity and Linear layers (`torch.nn.modules.linear`)."""
from __future__ import annotations

import math
from typing import Any

from ...autograd.grad_mode import no_grad
from ...creation import empty
from ...ops.products import addmm
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedParameter
from .lazy import LazyModuleMixin
from .module import Module

__all__ = ["Identity", "Linear", "Bilinear", "LazyLinear"]


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
        if self.bias is not None and input.dim() > 2 and self.in_features > 0 \
                and input.shape[-1] == self.in_features and input.is_contiguous():
            # as PyTorch: the leading dims folded into one product, View(Addmm(...)); the
            # bias is added in place and the gradients are three 2-D products and a row sum
            rows = input.view(input.numel() // self.in_features, self.in_features)
            out = addmm(self.bias, rows, self.weight.t())
            return out.view(*input.shape[:-1], self.out_features)
        output = input @ self.weight.t()
        if self.bias is not None:
            output = output + self.bias
        return output

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear that PyTorch's quantization tools leave alone; MultiheadAttention.out_proj is
    one (its repr names this class, so ours does too)."""


class Bilinear(Module):
    """`y[..., o] = x1 @ weight[o] @ x2 + bias[o]`, weight (out, in1, in2).

    Initialised as PyTorch does: weight and bias ~ U(-1/sqrt(in1_features), 1/sqrt(in1_features)).

        bl = nn.Bilinear(3, 4, 2)
        bl(torch.ones(5, 3), torch.ones(5, 4)).shape    # torch.Size([5, 2])
    """

    __constants__ = ["in1_features", "in2_features", "out_features"]

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in1_features, in2_features),
                                      **factory_kwargs))
        if bias:
            self.bias = Parameter(empty(out_features, **factory_kwargs))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight and bias ~ U(±1/sqrt(in1_features))."""
        if self.in1_features <= 0:
            raise ValueError(f"in1_features must be > 0, but got "
                             f"(in1_features={self.in1_features})")
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose `in_features` is read from the first input (`input.shape[-1]`).

    Before the first call `weight` and `bias` are `UninitializedParameter`s and the repr shows
    `in_features=0`; the call materializes them, initialises them as Linear does, and turns
    the module into a plain `Linear` (see `LazyModuleMixin`).

        fc = nn.LazyLinear(4)
        fc(torch.ones(2, 3))
        fc                   # Linear(in_features=3, out_features=4, bias=True)
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__(0, 0, False)     # no bias tensor yet: it would be replaced at once
        self.weight = UninitializedParameter(**factory_kwargs)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(**factory_kwargs)

    def reset_parameters(self) -> None:
        """Initialise as Linear does, once the shapes are known."""
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        """Infer `in_features` from `input` and materialize weight (out, in) and bias (out,)."""
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(f"The in_features inferred from input: {input.shape[-1]} "
                                     "is not equal to in_features from self.weight: "
                                     f"{self.weight.shape[-1]}")
            self.in_features = input.shape[-1]
