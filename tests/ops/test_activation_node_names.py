"""In-place activations record PyTorch's numbered nodes, and bool input to hardtanh/relu6 gets
PyTorch's RuntimeError (not a dtype-kernel error)."""
from __future__ import annotations

import pytest

import minitorch_nn as mt

F = mt.nn.functional


@pytest.mark.parametrize("call, name", [
    (lambda x: F.elu(x, inplace=True), "EluBackward1"),
    (lambda x: F.elu_(x), "EluBackward1"),
    (lambda x: F.elu(x), "EluBackward0"),
    (lambda x: F.leaky_relu(x, inplace=True), "LeakyReluBackward1"),
    (lambda x: F.leaky_relu_(x), "LeakyReluBackward1"),
    (lambda x: F.leaky_relu(x), "LeakyReluBackward0"),
])
def test_inplace_nodes_are_numbered(call, name):
    x = mt.ones(2, requires_grad=True)
    y = call(x.clone())
    assert y.grad_fn.name() == name
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("fn", [F.hardtanh, F.relu6])
def test_bool_input_is_refused_as_pytorch(fn):
    with pytest.raises(RuntimeError, match="Bool inputs not supported for hardtanh"):
        fn(mt.ones(2, dtype=mt.bool))
