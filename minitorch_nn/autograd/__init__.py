"""Autograd: the tape (graph nodes), the engine that walks it, grad mode and gradcheck."""
from __future__ import annotations

from .api import backward, grad
from .function import ArrayFunction, Function, FunctionCtx, once_differentiable
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck
from .graph import Node

__all__ = ["backward", "grad", "Function", "ArrayFunction", "FunctionCtx",
           "once_differentiable", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "inference_mode", "gradcheck", "Node", "graph"]

from . import graph  # noqa: E402  (torch.autograd.graph.Node)


def __getattr__(name):
    """`autograd.Variable` lives with the legacy types (it needs the factories above us)."""
    if name == "Variable":
        from ..legacy import Variable
        return Variable
    raise AttributeError(f"module 'minitorch_nn.autograd' has no attribute '{name}'")
