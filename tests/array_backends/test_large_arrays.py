"""array_backends/large_arrays.py: large results reuse arrays nothing uses any more, never one
still in use (by a tensor, a view, another thread), and the values are those of fresh arrays.
Small sizes stand in for large ones (MIN_BYTES is patched down)."""
from __future__ import annotations

import gc
import threading

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.array_backends import large_arrays


@pytest.fixture
def cache(monkeypatch):
    monkeypatch.setattr(large_arrays, "MIN_BYTES", 64)
    monkeypatch.setattr(large_arrays, "ENABLED", True)
    large_arrays.clear()
    yield large_arrays
    large_arrays.clear()


def test_an_array_nothing_uses_is_handed_out_again(cache):
    a = cache.empty((8, 4), np.float32)
    first = id(a)
    del a
    b = cache.empty((8, 4), np.float32)
    assert id(b) == first and b.shape == (8, 4) and b.dtype == np.float32
    assert cache.empty((8, 4), np.float64) is not b      # another dtype: another array
    assert cache.empty((4, 8), np.float32) is not b      # another shape too


def test_an_array_in_use_or_viewed_is_never_handed_out(cache):
    a = cache.empty((64,), np.float32)
    assert cache.empty((64,), np.float32) is not a       # `a` is alive
    view = a[::2]
    a_id = id(a)
    del a
    b = cache.empty((64,), np.float32)
    assert id(b) != a_id and not np.shares_memory(b, view)   # the view keeps it busy
    del view, b
    gc.collect()
    assert id(cache.empty((64,), np.float32)) in {a_id} | {id(x) for x in cache._arrays}


def test_small_arrays_and_a_disabled_cache_are_fresh(cache, monkeypatch):
    small = cache.empty((4,), np.float32)
    assert not cache.held(small)
    monkeypatch.setattr(large_arrays, "ENABLED", False)
    big = cache.empty((64,), np.float32)
    assert not cache.held(big)


def test_idle_arrays_beyond_the_limits_are_dropped(cache, monkeypatch):
    monkeypatch.setattr(large_arrays, "MAX_ARRAYS", 3)
    kept = [cache.empty((16 + k,), np.float64) for k in range(3)]
    for k in range(5):
        cache.empty((40 + k,), np.float64)            # each idle at once
    assert len(cache._arrays) == 4   # the 3 in use, and the newest (in use when dropping)
    assert all(cache.held(a) for a in kept)           # arrays in use are never dropped
    del kept
    cache.empty((99,), np.float64)
    assert len(cache._arrays) <= 3


def test_two_threads_never_share_an_array(cache):
    results, barrier = [], threading.Barrier(4)

    def work():
        barrier.wait()
        mine = [cache.empty((32,), np.float32) for _ in range(50)]
        results.append(mine)
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [id(a) for mine in results for a in mine]
    assert len(ids) == len(set(ids)) == 200


def test_gradients_through_reused_arrays_are_right_and_distinct(cache):
    """x + y and gelu write into reused arrays; the leaves' .grad take them over (no copy)
    and never share memory with each other or with the next step's results."""
    x = mt.randn(64, requires_grad=True)
    y = mt.randn(64, requires_grad=True)
    g = mt.ones(64)
    for _ in range(3):
        x.grad = y.grad = None
        z = x + y
        assert cache.held(z._data)
        z.backward(g)
        np.testing.assert_array_equal(x.grad.numpy(), np.ones(64, np.float32))
        np.testing.assert_array_equal(y.grad.numpy(), np.ones(64, np.float32))
        assert not np.shares_memory(x.grad.numpy(), y.grad.numpy())
        assert not np.shares_memory(x.grad.numpy(), z.detach().numpy())
    x.grad = None
    out = mt.nn.functional.gelu(x)
    out.backward(g)
    assert cache.held(x.grad._data)          # the kernel's result became .grad, uncopied
    expected = mt.nn.functional.gelu(x.detach().double()).numpy()
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-6, atol=1e-7)
    again = mt.nn.functional.gelu(x.detach())
    assert not np.shares_memory(again.numpy(), out.detach().numpy())
