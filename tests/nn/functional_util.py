"""Helpers shared by tests/nn/test_functional_*.py (the nn.functional op families).

- `F(T)`: the functional namespace of a library (minitorch_nn or torch), for check_op lambdas.
- `no_kernels`: a fixture that disables every Numba kernel of the nn op families, so a test can
  run the same inputs through the kernel path and the `xp` fallback path and compare.
- `compare_paths(fn, arrays)`: forward values and input gradients, kernels on vs off.
"""
from __future__ import annotations

import importlib

import numpy as np
import pytest

import minitorch_nn as mt
import minitorch_nn.nn.functional as mt_F
from minitorch_nn.array_backends import base as backend_base
from op_harness import assert_close, torch

__all__ = ["F", "no_kernels", "compare_paths", "compare_torch", "contiguous",
           "NN_OP_MODULES"]

NN_OP_MODULES = ["activation", "convolution", "pooling", "normalization", "embedding", "loss",
                 "attention"]


def F(T):
    """minitorch_nn.nn.functional or torch.nn.functional."""
    return mt_F if T is mt else torch.nn.functional


def contiguous(*shapes, seed=0, low=-2.0, high=2.0, dtype=np.float64):
    """C-contiguous random arrays (the kernel path needs contiguous inputs)."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, size=s).astype(dtype) for s in shapes]


def _patch_kernels(monkeypatch):
    for name in NN_OP_MODULES:
        module = importlib.import_module(f"minitorch_nn.ops.{name}")
        if hasattr(module, "kernel_for"):
            monkeypatch.setattr(module, "kernel_for", lambda *args, **kwargs: None)


@pytest.fixture
def no_kernels(monkeypatch):
    """Run the test with every nn Numba kernel disabled (the numpy/cupy code path)."""
    _patch_kernels(monkeypatch)
    yield


def _run(fn, arrays, grad_inputs):
    tensors = [mt.from_numpy(a.copy()) for a in arrays]
    for i in grad_inputs:
        tensors[i].requires_grad_(True)
    out = fn(*tensors)
    outs = out if isinstance(out, tuple) else (out,)
    rng = np.random.default_rng(7)
    g = rng.standard_normal(tuple(outs[0].shape)).astype(outs[0].numpy(force=True).dtype)
    outs[0].backward(mt.from_numpy(g))
    return ([o.detach().numpy().astype(np.float64) for o in outs],
            [tensors[i].grad.numpy().astype(np.float64) for i in grad_inputs])


def compare_paths(fn, arrays, grad_inputs=(0,), atol=1e-10, rtol=1e-9):
    """Assert fn gives the same outputs and gradients through the serial Numba kernels (small
    arrays), the parallel ones (forced by lowering the size threshold) and numpy."""
    serial = _run(fn, arrays, grad_inputs)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(backend_base, "PARALLEL_MIN", 0)
        parallel = _run(fn, arrays, grad_inputs)
    with pytest.MonkeyPatch.context() as mp:
        _patch_kernels(mp)
        without = _run(fn, arrays, grad_inputs)
    for a, b, c in zip(serial[0] + serial[1], parallel[0] + parallel[1],
                       without[0] + without[1]):
        assert_close(a, c, atol=atol, rtol=rtol, msg="serial kernel path vs numpy path")
        assert_close(b, c, atol=atol, rtol=rtol, msg="parallel kernel path vs numpy path")


def compare_torch(fn, arrays, grad_inputs=(0,), atol=1e-7, rtol=1e-6):
    """fn(T, *tensors) against PyTorch: values and input gradients, no gradcheck.

    For ops whose gradient deliberately differs from finite differences (padding_idx, ...).
    """
    if torch is None:
        pytest.skip("PyTorch is not installed")
    results = []
    for T in (mt, torch):
        tensors = [T.from_numpy(a.copy()) for a in arrays]
        for i in grad_inputs:
            tensors[i].requires_grad_(True)
        out = fn(T, *tensors)
        g = np.random.default_rng(3).standard_normal(tuple(out.shape))
        out.backward(T.from_numpy(g.astype(out.detach().numpy().dtype)))
        results.append([out.detach().numpy()] + [tensors[i].grad.numpy() for i in grad_inputs])
    for ours, theirs in zip(*results):
        assert_close(ours, theirs, atol=atol, rtol=rtol, msg="vs PyTorch")
