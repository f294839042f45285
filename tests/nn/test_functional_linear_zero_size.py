"""F.linear with 0-size dims (issue 15): 1-D and N-D inputs with 0 features, 0 rows or 0
outputs give PyTorch's empty (or zero) results and gradients in every float dtype, instead of
numpy's "cannot reshape array of size 0" ValueError."""
from __future__ import annotations

import warnings

import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch

SHAPES = [((0,), 4), ((3,), 0), ((0,), 0), ((2, 0), 0), ((2, 0, 3), 4), ((0, 5, 3), 4),
          ((2, 2, 0), 0), ((2, 3), 0), ((0, 3), 4), ((2, 0), 4), ((2, 2, 0), 3)]


def _linear(T, dtype, x_shape, out, bias):
    dt = getattr(T, dtype)
    x = T.ones(*x_shape, dtype=dt, requires_grad=True)
    w = T.ones(out, x_shape[-1], dtype=dt, requires_grad=True)
    b = T.ones(out, dtype=dt, requires_grad=True) if bias else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = T.nn.functional.linear(x, w, b)
        y.sum().backward()
    grads = [x.grad, w.grad] + ([b.grad] if bias else [])
    return [tuple(y.shape), str(y.dtype)[-8:], y.float().tolist()] + \
        [(tuple(g.shape), str(g.dtype)[-8:], g.float().tolist()) for g in grads]


def test_linear_1d_zero_features():
    y = mt.nn.functional.linear(mt.ones(0), mt.ones(4, 0), mt.ones(4))
    assert y.tolist() == [1.0] * 4


@requires_torch
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("x_shape, out", SHAPES, ids=str)
def test_linear_zero_size_matches_pytorch(x_shape, out, dtype, bias):
    assert _linear(mt, dtype, x_shape, out, bias) == _linear(torch, dtype, x_shape, out, bias)


@requires_torch
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("x_shape", [(3,), (2, 3), (2, 2, 3)], ids=str)
def test_linear_half_gradients_keep_dtype_and_match(x_shape, dtype):
    def run(T):
        dt = getattr(T, dtype)
        x = T.linspace(-3, 3, 12, dtype=dt)[:int(mt.tensor(x_shape).prod())].reshape(x_shape)
        x.requires_grad_()
        w = T.linspace(-1, 2, 12, dtype=dt).reshape(4, 3).requires_grad_()
        b = T.ones(4, dtype=dt, requires_grad=True)
        (T.nn.functional.linear(x, w, b) ** 2).sum().backward()
        return [(str(t.grad.dtype)[-8:], t.grad.float().tolist()) for t in (x, w, b)]
    assert run(mt) == run(torch)
