"""Neural-network building blocks: Module, Parameter, containers, layers and init.

    import minitorch_nn as torch
    from minitorch_nn import nn

    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    for name, p in model.named_parameters():
        print(name, p.shape)

See docs/modules.md for the Module system: registration, hooks, state_dict and containers.
"""
from __future__ import annotations

from . import functional, init, modules, parameter, utils
from .modules import *  # noqa: F401,F403  (every layer: nn/modules/__init__.py)
from .utils import parametrizations, parametrize  # noqa: E402  (need the Module classes)
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from .parallel import DataParallel

__all__ = ["functional", "init", "modules", "parameter", "utils", "Parameter", "Buffer",
           "UninitializedParameter", "UninitializedBuffer", "DataParallel"] + modules.__all__
