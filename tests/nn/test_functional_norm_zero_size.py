"""Normalization with 0-size dims (issue 15): layer_norm / group_norm / batch_norm return
empty results and PyTorch's gradients instead of numpy's reshape ValueError, with no numpy
warning ("Mean of empty slice")."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch

DTYPES = ["float32", "float64", "float16", "bfloat16"]


def _run(T, fn, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no numpy warning may leak
        return fn(T, getattr(T, dtype))


def _grads(T, shape, norm, dt, affine_shape):
    x = T.randn(*shape, dtype=dt, requires_grad=True) if 0 in shape else \
        T.ones(*shape, dtype=dt, requires_grad=True)
    w = T.ones(*affine_shape, dtype=dt, requires_grad=True)
    b = T.zeros(*affine_shape, dtype=dt, requires_grad=True)
    y = norm(T, x, w, b)
    y.sum().backward()
    return [tuple(y.shape), str(y.dtype).split(".")[-1], tuple(x.grad.shape),
            w.grad.float().tolist(), b.grad.float().tolist(), str(w.grad.dtype).split(".")[-1]]


CASES = [
    ("layer_norm (2, 0)", (2, 0), lambda T, x, w, b: T.nn.functional.layer_norm(x, (0,), w, b),
     (0,)),
    ("layer_norm (3, 0, 2)", (3, 0, 2),
     lambda T, x, w, b: T.nn.functional.layer_norm(x, (0, 2), w, b), (0, 2)),
    ("layer_norm no rows", (0, 5), lambda T, x, w, b: T.nn.functional.layer_norm(x, (5,), w, b),
     (5,)),
    ("group_norm (0, 4, 2)", (0, 4, 2),
     lambda T, x, w, b: T.nn.functional.group_norm(x, 2, w, b), (4,)),
    ("group_norm (2, 4, 0, 3)", (2, 4, 0, 3),
     lambda T, x, w, b: T.nn.functional.group_norm(x, 2, w, b), (4,)),
    ("batch_norm train (0, 3)", (0, 3),
     lambda T, x, w, b: T.nn.functional.batch_norm(x, T.zeros(3, dtype=x.dtype),
                                                  T.ones(3, dtype=x.dtype), w, b,
                                                  training=True), (3,)),
    ("batch_norm train (2, 3, 0)", (2, 3, 0),
     lambda T, x, w, b: T.nn.functional.batch_norm(x, None, None, w, b, training=True), (3,)),
    ("batch_norm eval (0, 3)", (0, 3),
     lambda T, x, w, b: T.nn.functional.batch_norm(x, T.zeros(3, dtype=x.dtype),
                                                  T.ones(3, dtype=x.dtype), w, b), (3,)),
]


def test_layer_norm_zero_size_no_error():
    y = mt.nn.functional.layer_norm(mt.randn(2, 0), (0,))
    assert tuple(y.shape) == (2, 0)
    y = mt.nn.functional.group_norm(mt.randn(0, 4, 2), 2)
    assert tuple(y.shape) == (0, 4, 2)


@requires_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, shape, norm, affine_shape", CASES, ids=[c[0] for c in CASES])
def test_zero_size_norm_matches_pytorch(name, shape, norm, affine_shape, dtype):
    ours = _run(mt, lambda T, dt: _grads(T, shape, norm, dt, affine_shape), dtype)
    theirs = _run(torch, lambda T, dt: _grads(T, shape, norm, dt, affine_shape), dtype)
    assert repr(ours) == repr(theirs)   # nan == nan through repr (group_norm's weight grad)


@requires_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_layernorm_module_zero_features(dtype):
    def run(T, dt):
        m = T.nn.LayerNorm(0, dtype=dt)
        x = T.randn(4, 0, dtype=dt, requires_grad=True)
        y = m(x)
        y.sum().backward()
        return [tuple(y.shape), tuple(x.grad.shape), tuple(m.weight.grad.shape),
                [tuple(p.shape) for p in m.parameters()]]
    assert _run(mt, run, dtype) == _run(torch, run, dtype)


def test_batch_norm_zero_size_leaves_running_stats():
    rm, rv = mt.zeros(3), mt.ones(3)
    v0 = rm._version
    y = mt.nn.functional.batch_norm(mt.randn(0, 3), rm, rv, training=True)
    assert tuple(y.shape) == (0, 3)
    assert rm.tolist() == [0.0] * 3 and rv.tolist() == [1.0] * 3 and rm._version == v0
    assert np.isfinite(rm.numpy()).all()
