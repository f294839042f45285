"""The backward engine (minitorch_nn/autograd/engine.py): graph structure (next_functions), each
node run once, no recursion limit; and leaf gradients taken over without a copy only when
nothing else can see the array (a speed-up made for the benchmarks, docs/benchmarks.md;
no timing here, these tests only check results).

Tests take `T` (minitorch_nn, and PyTorch when installed) so each assertion is also proved
against PyTorch.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from autograd_util import LIBS


# ------------------------------------------------------------------ graph structure
@pytest.mark.parametrize("T", LIBS)
def test_next_functions(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    w = T.tensor([3.0, 4.0])
    y = x * w
    nf = y.grad_fn.next_functions
    assert len(nf) == 2 and nf[1] == (None, 0)
    acc, nr = nf[0]
    assert type(acc).__name__ == "AccumulateGrad" and nr == 0 and acc.variable is x
    assert acc.name() == "torch::autograd::AccumulateGrad"
    s = (x * 2 + 1).sum()
    assert s.grad_fn.name() == "SumBackward0"
    assert s.grad_fn.next_functions[0][0].name() == "AddBackward0"
    z = x + x
    assert z.grad_fn.next_functions[0][0] is z.grad_fn.next_functions[1][0]   # one accumulator
    assert y.grad_fn.metadata == {}


@pytest.mark.parametrize("T", LIBS)
def test_diamond_graph_runs_each_node_once(T):
    x = T.tensor(2.0, requires_grad=True)
    calls = []
    y = x * x
    y.register_hook(lambda g: calls.append(g.item()))
    z = y + y                     # y is reached by two paths
    w = z * y
    w.backward()
    assert x.grad.item() == 64.0                       # w = 2 y^2: dw/dy = 4 y = 16, * 2x
    assert calls == [16.0]                             # one summed gradient (8 + 8), one call


def test_deep_chain_has_no_recursion_limit():
    T = mt
    x = T.ones(1, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0]


# ------------------------------------------------------------------ leaf gradients
def test_fresh_gradient_is_taken_over_and_later_accumulated_in_place():
    w = mt.randn(64, 32, requires_grad=True)
    x = mt.randn(8, 64)
    (x @ w).sum().backward()
    first = w.grad
    expected = x.sum(0)[:, None].expand(64, 32)
    assert mt.allclose(first, expected)
    (x @ w).sum().backward()
    assert w.grad is first                       # accumulated into the same tensor
    assert mt.allclose(first, 2 * expected)


def test_user_gradient_is_never_taken_over():
    x = mt.randn(100, requires_grad=True)
    y = mt.randn(100, requires_grad=True)
    g = mt.ones(100)
    (x + y).backward(g)                           # AddBackward passes g itself to both
    assert x.grad._data is not g._data and y.grad._data is not g._data
    assert not np.shares_memory(x.grad._data, y.grad._data)
    x.grad.add_(1.0)
    assert g.tolist() == [1.0] * 100 and y.grad.tolist() == [1.0] * 100


def test_gradient_seen_by_a_hook_is_copied():
    w = mt.randn(50, requires_grad=True)
    seen = []
    w.register_hook(lambda grad: seen.append(grad))
    (w * 3).sum().backward()
    w.grad.zero_()
    assert seen[0].tolist() == [3.0] * 50


def test_gradient_shared_by_two_leaves_is_not_aliased():
    a = mt.randn(1000, requires_grad=True)
    b = mt.randn(1000, requires_grad=True)
    (a * 2 + b * 0 + a * 0).sum().backward()
    c = mt.randn(30, requires_grad=True)
    d = mt.randn(30, requires_grad=True)
    s = c + d                                     # one gradient array for both leaves
    (s * 2).sum().backward()
    assert not np.shares_memory(c.grad._data, d.grad._data)
    c.grad.zero_()
    assert d.grad.tolist() == [2.0] * 30


def test_gradient_that_is_a_broadcast_view_is_copied():
    w = mt.randn(40, 30, requires_grad=True)
    w.sum().backward()                            # SumBackward: a read-only broadcast
    assert w.grad._data.flags.writeable and w.grad._data.flags.owndata
    w.sum().backward()
    assert w.grad.tolist() == [[2.0] * 30] * 40


@pytest.mark.parametrize("order", ["leaf-first", "view-first"])
def test_view_of_a_shared_gradient_is_not_aliased(order):
    a = mt.randn(12, requires_grad=True)
    b = mt.randn(3, 4, requires_grad=True)
    # AddBackward hands one array to a and (through ReshapeBackward, a view of it) to b
    s = a + b.reshape(12) if order == "leaf-first" else b.reshape(12) + a
    (s * 3).sum().backward()
    assert not np.shares_memory(a.grad._data, b.grad._data)
    a.grad.zero_()
    assert b.grad.tolist() == [[3.0] * 4] * 3


def test_retained_and_leaf_gradients_are_independent():
    x = mt.randn(20, requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y * 5).sum().backward()
    y.grad.zero_()
    assert x.grad.tolist() == [10.0] * 20
