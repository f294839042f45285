"""Tensor's autograd methods: `backward`, the gradient hooks, and a leaf's AccumulateGrad.

tensor.py sits below autograd (the graph, the engine and Function import Tensor), so these
methods, which need the graph and the engine, are written here and bound on Tensor when
`minitorch_nn.autograd` is imported, as minitorch_nn.ops binds the op methods.
"""
from __future__ import annotations

from ..tensor import Tensor
from . import api
from .graph import AccumulateGrad

__all__ = ["METHODS"]


def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(self)/d(leaf) into every leaf's `.grad` (see docs/autograd.md)."""
    api.backward(self, gradient, retain_graph, create_graph, inputs)


def register_hook(self, hook):
    """`hook(grad)` runs when this tensor's gradient is computed; may return a new one."""
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                           "gradient")
    if self.grad_fn is not None:
        return self.grad_fn._add_tensor_hook(self._output_nr, hook)
    return self._get_accumulator()._add_tensor_hook(0, hook)


def register_post_accumulate_grad_hook(self, hook):
    """`hook(tensor)` runs after backward has accumulated into this leaf's `.grad`."""
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                           "gradient")
    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                           "tensors")
    return self._get_accumulator()._add_post_accumulate_hook(hook)


def _get_accumulator(self) -> AccumulateGrad:
    """This leaf's AccumulateGrad node (its edge in every graph it enters), made once."""
    acc = self._accumulator
    if acc is None:
        acc = self._accumulator = AccumulateGrad(self)
    return acc


def _accumulate_grad(self, grad_array) -> None:
    self._get_accumulator().accumulate(grad_array)


METHODS = {fn.__name__: fn for fn in (backward, register_hook,
                                       register_post_accumulate_grad_hook, _get_accumulator,
                                       _accumulate_grad)}

for _name, _fn in METHODS.items():
    _fn.__qualname__ = "Tensor." + _name
    setattr(Tensor, _name, _fn)
