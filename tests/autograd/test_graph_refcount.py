"""A dropped graph is returned by reference counting, as in PyTorch (issue 15).

No reference cycle may run between nodes, their contexts and saved tensors: with Python's
cycle collector off, a graph nobody references any more is freed at once. A saved output
keeps its array and version counter, not the Tensor (which would point back at the node).
"""
from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import minitorch_nn as mt
from autograd_util import LIBS, MODIFIED


@pytest.fixture
def no_gc():
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@pytest.mark.parametrize("T", LIBS)
def test_dropped_graph_freed_without_cycle_collector(T, no_gc):
    x = T.tensor([1., 2., 3.], requires_grad=True)
    h = x.exp()
    r = weakref.ref(h)
    y = (h * h).sum()
    del h, y
    assert r() is None


@pytest.mark.parametrize("T", LIBS)
@pytest.mark.parametrize("op", ["exp", "tanh", "sigmoid", "sqrt", "softmax", "log_softmax",
                                "relu", "pow"])
def test_node_saving_its_output_is_not_a_cycle(T, op, no_gc):
    x = T.tensor([1., 2., 3.], requires_grad=True)
    fn = {"exp": lambda t: t.exp(), "tanh": lambda t: t.tanh(),
          "sigmoid": lambda t: t.sigmoid(), "sqrt": lambda t: t.sqrt(),
          "softmax": lambda t: t.softmax(0), "log_softmax": lambda t: t.log_softmax(0),
          "relu": lambda t: t.relu(), "pow": lambda t: t ** 3}[op]
    h = x * 2
    out = fn(h)
    refs = [weakref.ref(h), weakref.ref(out)]
    if T is mt:   # the arrays, which a cycle through the node would keep
        refs += [weakref.ref(h._data), weakref.ref(out._data)]
    y = out.sum()
    del h, out, y
    assert [r() for r in refs] == [None] * len(refs)


def test_saved_output_array_freed_with_the_graph(no_gc):
    x = mt.tensor([1., 2., 3.], requires_grad=True)
    h = x.exp()
    arr = weakref.ref(h._data)
    y = h.tanh().sum()
    del h, y
    assert arr() is None


def test_saved_arrays_freed_by_backward_while_output_lives(no_gc):
    x = mt.tensor([1., 2., 3.], requires_grad=True)
    h = x.exp()
    arr = weakref.ref(h._data)
    y = h.sin().sum()
    del h
    assert arr() is not None        # saved by SinBackward0 (and ExpBackward0)
    y.backward()
    assert arr() is None            # released by backward, though y (and its graph) lives
    assert type(y.grad_fn).__name__ == "SumBackward0"


@pytest.mark.parametrize("T", LIBS)
def test_saved_output_still_checked_and_named(T):
    x = T.tensor([1., 2., 3.], requires_grad=True)
    h = x.exp()
    y = h.sum() + (h * 1).sum()
    h.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED + r".*output 0 of Exp,"):
        y.backward()


def test_training_loop_without_cycle_collector_is_bounded(no_gc):
    """A training loop with gc off holds constant memory: each step's graphs, saved arrays
    included, are freed when dropped, also one never backpropagated (tracemalloc)."""
    import tracemalloc
    nn = mt.nn
    mt.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 16), nn.Sigmoid(),
                          nn.LayerNorm(16), nn.Linear(16, 4))
    opt = mt.optim.Adam(model.parameters(), lr=1e-3)
    x = mt.randn(32, 8)
    t = mt.randint(0, 4, (32,))
    used = []
    tracemalloc.start()
    try:
        for step in range(40):
            opt.zero_grad()
            h = model(x)
            loss = nn.functional.cross_entropy(h, t) + h.exp().mean() * 0.01
            loss.backward()
            opt.step()
            metric = model(x).exp().softmax(-1).max()   # with grad on, never backpropagated
            del h, loss, metric
            if step in (9, 39):
                used.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    assert used[1] - used[0] < 32 * 1024, used   # a leaked graph: ~10 KB per step
