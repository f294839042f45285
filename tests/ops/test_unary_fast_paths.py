"""relu's one-pass backward kernel (ops/unary.py, kernels/cpu/elementwise.py:
threshold_backward), a speed-up made for the benchmarks (benchmarks/, docs/benchmarks.md):
NaN and infinity as PyTorch treats them, views and 2-D inputs. No timing here: the benchmarks
measure speed, these tests only check results.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import assert_close, requires_torch, torch


# ------------------------------------------------------------------ relu backward kernel
@requires_torch
@pytest.mark.parametrize("n", [10, 5000, 70000], ids=["numpy-path", "kernel", "kernel-big"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_backward_matches_torch_with_nan_and_inf(n, dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(n).astype(dtype)
    x[:4] = [np.nan, 0.0, -0.0, -1.0]
    g = rng.standard_normal(n).astype(dtype)
    g[1:4] = [np.inf, np.nan, -np.inf]            # non-finite gradients where relu is flat
    grads = []
    for T in (mt, torch):
        tx = T.tensor(x, requires_grad=True)
        T.relu(tx).backward(T.tensor(g))
        grads.append(tx.grad)
    assert_close(grads[0], grads[1], atol=0, rtol=0)
    assert np.isnan(grads[0]._data[0]) == np.isnan(g[0])   # NaN output passes g on
    assert (grads[0]._data[1:4] == 0).all()


def test_relu_backward_kernel_on_views_and_2d():
    x = mt.randn(80, 100, requires_grad=True)
    y = mt.relu(x.t())                              # non-contiguous: numpy path
    y.backward(mt.ones(100, 80))
    expected = (x.detach() > 0).to(mt.float32)
    assert mt.equal(x.grad, expected)
    x.grad = None
    mt.relu(x).backward(mt.full((80, 100), 2.0))   # contiguous 2-D: kernel path
    assert mt.equal(x.grad, 2 * expected)
