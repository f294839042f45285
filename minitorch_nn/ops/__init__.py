"""Differentiable ops, one module per family; each module's `METHODS` become Tensor methods.

`FAMILIES` lists the modules whose `__all__` names are exported as `minitorch_nn.<name>` and
whose `METHODS` dict is attached to `Tensor` (PyTorch likewise binds its functions onto the
Tensor class at import).
"""
from __future__ import annotations

import importlib

from ..tensor import Tensor

__all__ = ["FAMILIES", "install_methods"]

FAMILIES = [
    "minitorch_nn.ops.elementwise",
    "minitorch_nn.ops.reduction",
    "minitorch_nn.ops.conversion",
    "minitorch_nn.creation",
    "minitorch_nn.random",
    "minitorch_nn.dlpack",
]
_OPTIONAL = [   # families being written; each appears here once its module exists
    "minitorch_nn.ops.unary",
    "minitorch_nn.ops.comparison",
    "minitorch_nn.ops.shape",
    "minitorch_nn.ops.indexing",
    "minitorch_nn.ops.linalg",
    "minitorch_nn.ops.linalg_extra",
    # nn ops: only the names PyTorch also has at top level are in their __all__
    "minitorch_nn.ops.activation",
    "minitorch_nn.ops.convolution",
    "minitorch_nn.ops.pooling",
    "minitorch_nn.ops.normalization",
    "minitorch_nn.ops.embedding",
    "minitorch_nn.ops.linear",
    "minitorch_nn.ops.padding",
    "minitorch_nn.ops.distance",
    "minitorch_nn.ops.loss_aten",
]


def _load_families():
    modules = [importlib.import_module(name) for name in FAMILIES]
    for name in _OPTIONAL:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as err:
            if err.name != name:
                raise
    return modules


def install_methods(modules) -> None:
    """Attach every family's METHODS to Tensor (dunder operators included)."""
    for module in modules:
        for name, fn in getattr(module, "METHODS", {}).items():
            setattr(Tensor, name, fn)


MODULES = _load_families()
install_methods(MODULES)
