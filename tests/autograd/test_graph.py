"""Hooks on tensors and graph nodes (minitorch_nn/autograd/graph.py: Node hooks, removable
handles), post-accumulate-grad hooks.

Tests take `T` (minitorch_nn, and PyTorch when installed) so each assertion is also proved
against PyTorch; error messages are matched by substring.
"""
from __future__ import annotations

import pytest

from autograd_util import LIBS, raises_like


# ------------------------------------------------------------------ hooks
@pytest.mark.parametrize("T", LIBS)
def test_hook_on_leaf_and_non_leaf(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    y = x * 2
    h = y.register_hook(lambda g: g * 10)
    y.sum().backward()
    assert seen == [[20.0, 20.0]] and x.grad.tolist() == [20.0, 20.0]
    h.remove()
    h.remove()                                       # idempotent
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("T", LIBS)
def test_hook_order_and_retain_grad_sees_hooked_value(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    order = []
    y.register_hook(lambda g: order.append("a"))
    y.register_hook(lambda g: order.append("b") or g * 10)
    y.retain_grad()
    (y * 3).sum().backward()
    assert order == ["a", "b"] and y.grad.tolist() == [30.0, 30.0]
    assert x.grad.tolist() == [60.0, 60.0]


@pytest.mark.parametrize("T", LIBS)
def test_hook_handle_context_manager(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with y.register_hook(lambda g: g * 10):
        pass
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_hook_errors():
    raises_like(lambda T: T.ones(2).register_hook(lambda g: g), RuntimeError,
                "cannot register a hook on a tensor that doesn't require gradient")

    def returns_int(T):
        x = T.ones(2, requires_grad=True)
        x.register_hook(lambda g: 5)
        (x * 2).sum().backward()

    def changes_size(T):
        x = T.ones(2, requires_grad=True)
        x.register_hook(lambda g: g.sum())
        (x * 2).sum().backward()

    raises_like(returns_int, TypeError, "expected Variable, but hook returned 'int'")
    raises_like(changes_size, RuntimeError, "hook '<lambda>' has changed the size of value")


@pytest.mark.parametrize("T", LIBS)
def test_post_accumulate_grad_hook(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    h = x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (x * 2).sum().backward()
    (x * 2).sum().backward()
    h.remove()
    (x * 2).sum().backward()
    assert seen == [[2.0, 2.0], [4.0, 4.0]]
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on "
                                           "non-leaf tensors"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)


@pytest.mark.parametrize("T", LIBS)
def test_node_hooks(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.grad_fn.register_prehook(lambda go: (go[0] * 10,))
    y.sum().backward()
    assert x.grad.tolist() == [20.0, 20.0]
    x.grad = None
    z = x * 2
    z.grad_fn.register_hook(lambda gi, go: (gi[0] * 3, None))
    z.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    w = x * 2
    w.grad_fn.register_hook(lambda gi, go: (gi[0],))
    with pytest.raises(RuntimeError, match="hook '<lambda>' has returned an incorrect number of "
                                           r"values \(got 1, but expected 2\)"):
        w.sum().backward()
