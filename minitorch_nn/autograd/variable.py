"""`autograd.Variable`: PyTorch's pre-0.4 wrapper, which today just returns the Tensor."""
from __future__ import annotations

from ..tensor import Tensor
from .engine import queue_callback

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor)


class _ExecutionEngine:
    """`Variable._execution_engine`: PyTorch's handle on the backward engine. Only its
    `queue_callback(fn)` is here: run fn when the current backward pass ends."""

    queue_callback = staticmethod(queue_callback)


class Variable(metaclass=_VariableMeta):
    """Deprecated since PyTorch 0.4: `Variable(t, requires_grad=True)` returns `t` itself."""

    def __new__(cls, data, requires_grad: bool = False, volatile: bool = False):
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if requires_grad:
            data.requires_grad_(True)
        return data

    _execution_engine = _ExecutionEngine()
