"""Autograd: the tape (graph nodes), the engine that walks it, grad mode and gradcheck.

It sits above tensor.py: its modules import Tensor, and tensor_methods.py binds Tensor's
autograd methods (backward, register_hook, ...) when this package is imported.
"""
from __future__ import annotations

from . import tensor_methods as _tensor_methods  # noqa: F401  (binds Tensor.backward, hooks)
from .api import backward, grad
from .function import ArrayFunction, Function, FunctionCtx, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                        no_grad, set_grad_enabled)
from .gradcheck import gradcheck, gradgradcheck
from .graph import Node
from .variable import Variable

__all__ = ["backward", "grad", "Function", "ArrayFunction", "FunctionCtx",
           "once_differentiable", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "inference_mode", "is_inference_mode_enabled", "gradcheck",
           "gradgradcheck", "Node", "graph", "Variable", "functional", "forward_ad"]

from . import graph  # noqa: E402  (torch.autograd.graph.Node)
from . import functional  # noqa: E402  (jacobian, hessian, vjp, jvp, hvp, vhp)
from . import forward_ad  # noqa: E402  (absent: its functions raise, see docs/func.md)

