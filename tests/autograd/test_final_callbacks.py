"""`Variable._execution_engine.queue_callback` (a callback at the end of the backward pass,
what DistributedDataParallel waits for its all-reduces with) and the engine's order: a leaf's
gradient is accumulated as soon as it is complete, as in PyTorch."""
from __future__ import annotations

import pytest

import minitorch_nn as mt
from minitorch_nn.autograd import Variable


def test_queue_callback_outside_backward_is_pytorchs_error():
    with pytest.raises(RuntimeError, match="^Final callbacks can only be installed during "
                                           "backward pass.$"):
        Variable._execution_engine.queue_callback(lambda: None)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
@pytest.mark.parametrize("create_graph", [False, True])
def test_callbacks_run_in_order_after_every_gradient(create_graph):
    w = mt.ones(3, requires_grad=True)
    v = mt.ones(2, requires_grad=True)
    log = []

    def hook(p):
        log.append(("hook", p.shape[0]))
        Variable._execution_engine.queue_callback(
            lambda: (log.append(("first", w.grad is not None and v.grad is not None)),
                     Variable._execution_engine.queue_callback(lambda: log.append("nested"))))
    w.register_post_accumulate_grad_hook(hook)
    ((w * 2).sum() + (v * 3).sum()).backward(create_graph=create_graph)
    assert log == [("hook", 3), ("first", True), "nested"]
    log.clear()
    (v * 3).sum().backward()          # no hook queued anything: nothing runs
    assert log == []


def test_a_backward_inside_a_hook_keeps_its_own_callbacks():
    w = mt.ones(2, requires_grad=True)
    inner = mt.ones(2, requires_grad=True)
    log = []

    def hook(_):
        with mt.enable_grad():          # hooks run without grad mode, as in PyTorch
            (inner * 2).sum().backward()   # its callbacks run when it ends, not the outer's
        log.append("inner backward returned")
        Variable._execution_engine.queue_callback(lambda: log.append("outer callback"))
    inner.register_post_accumulate_grad_hook(
        lambda _: Variable._execution_engine.queue_callback(lambda: log.append("inner cb")))
    w.register_post_accumulate_grad_hook(hook)
    (w * 3).sum().backward()
    assert log == ["inner cb", "inner backward returned", "outer callback"]


def test_leaf_gradients_are_accumulated_as_soon_as_ready_as_pytorch():
    torch = pytest.importorskip("torch")

    def order(lib):
        lib.manual_seed(0)
        nn = lib.nn
        m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 4), nn.Tanh(),
                          nn.Linear(4, 2))
        log = []
        for name, p in m.named_parameters():
            p.register_post_accumulate_grad_hook(lambda _, name=name: log.append(name))
        for i in (0, 2):
            m[i].register_forward_hook(
                lambda mod, args, out, i=i: [out.register_hook(lambda g: log.append(i))]
                and None)
        m(lib.randn(5, 3)).sum().backward()
        return log

    assert order(mt) == order(torch) == ["4.bias", "4.weight", 2, "2.bias", "2.weight", 0,
                                         "0.bias", "0.weight"]
