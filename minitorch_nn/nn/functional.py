"""`minitorch_nn.nn.functional`: PyTorch's `torch.nn.functional`, with the same names,
signatures and defaults.

    import minitorch_nn as torch
    import minitorch_nn.nn.functional as F

    x = torch.randn(4, 10, requires_grad=True)
    loss = F.cross_entropy(F.gelu(x), torch.tensor([1, 0, 3, 9]))
    loss.backward()

This module only gathers functions: every F op is declared once, where it is written, with
`@_op("name", namespace="nn.functional")` (ops/registry.py), and is taken here from the
registry. The ops (forward and backward side by side) live in minitorch_nn/ops/ (activation,
convolution, pooling, normalization, embedding, linear, padding, distance, loss,
cross_entropy, attention, multihead_attention, feature_dropout) and their kernels in
kernels/cpu/ and kernels/cuda/; the four below wrap the unary ops. Where an op is declared:
`python -m minitorch_nn.ops.registry nn.functional.gelu`. See docs/functional.md.
"""
from __future__ import annotations

from ..ops import unary as _unary
from ..ops.registry import op as _op, public_ops as _public_ops
from ..tensor import Tensor


@_op("relu", namespace="nn.functional")
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); the gradient at 0 is 0."""
    return _unary.relu_(input) if inplace else _unary.relu(input)


@_op("relu_", namespace="nn.functional")
def relu_(input: Tensor) -> Tensor:
    return _unary.relu_(input)


@_op("sigmoid", namespace="nn.functional")
def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x))."""
    return _unary.sigmoid(input)


@_op("tanh", namespace="nn.functional")
def tanh(input: Tensor) -> Tensor:
    return _unary.tanh(input)


# Every declared F op (importing minitorch_nn.ops imported all the families that declare them).
_OPS = _public_ops("nn.functional")
globals().update(_OPS)
__all__ = sorted(_OPS)
del _OPS
