"""The Module classes of `minitorch_nn.nn` (mirrors `torch.nn.modules`)."""
from __future__ import annotations

from .activation import ReLU, Sigmoid, Tanh
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .lazy import LazyModuleMixin
from .linear import Identity, LazyLinear, Linear
from .module import Module

__all__ = ["Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
           "ParameterDict", "Identity", "Linear", "LazyLinear", "LazyModuleMixin", "ReLU",
           "Sigmoid", "Tanh"]
