"""ops/instance_norm.py: F.instance_norm / torch.instance_norm (batch norm of (1, N*C, *))."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import assert_close, check_op, requires_torch, torch


def _ref(x, w=None, b=None, eps=1e-5):
    axes = tuple(range(2, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if w is not None:
        y = y * w.reshape(shape)
    if b is not None:
        y = y + b.reshape(shape)
    return y


@pytest.mark.parametrize("shape", [(2, 3, 4), (1, 2, 3, 2), (2, 1, 2, 2, 2), (3, 2, 5)],
                         ids=str)
def test_values_and_grads(shape):
    c = shape[1]
    check_op(lambda T, x: T.nn.functional.instance_norm(x), [shape], ref=_ref)
    check_op(lambda T, x, w, b: T.nn.functional.instance_norm(x, weight=w, bias=b, eps=1e-3),
             [shape, (c,), (c,)], ref=lambda x, w, b: _ref(x, w, b, 1e-3))
    check_op(lambda T, x, w, b: T.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
             [shape, (c,), (c,)], ref=_ref)


@requires_torch
@pytest.mark.parametrize("use_input_stats", [True, False])
@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_running_stats_like_pytorch(use_input_stats, momentum):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 2, 5))
    res = []
    for T in (torch, mt):
        rm, rv = T.tensor([0.5, -1.0], dtype=T.float64), T.tensor([2.0, 0.5], dtype=T.float64)
        x = T.tensor(a, requires_grad=True)
        w = T.tensor([1.5, -0.5], dtype=T.float64, requires_grad=True)
        y = T.nn.functional.instance_norm(x, rm, rv, w, None, use_input_stats, momentum)
        (y * T.tensor(np.cos(a))).sum().backward()
        res.append([y.detach().numpy(), rm.numpy(), rv.numpy(), x.grad.numpy(),
                    w.grad.numpy(), y.grad_fn.name()])
    for ours, theirs in zip(res[1][:-1], res[0][:-1]):
        assert_close(ours, theirs, 1e-10, 1e-10)
    assert res[1][-1] == res[0][-1]


@requires_torch
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_half_types(dtype):
    a = np.linspace(-2, 3, 24).reshape(2, 3, 4) ** 2
    outs = []
    for T in (torch, mt):
        x = T.tensor(a, dtype=getattr(T, dtype), requires_grad=True)
        y = T.nn.functional.instance_norm(x)
        y.backward(T.tensor(np.sin(a), dtype=getattr(T, dtype)))
        outs.append((str(y.dtype), y.detach().float().numpy(), x.grad.float().numpy()))
    assert outs[0][0] == outs[1][0]
    tol = 1e-5 if dtype == "float32" else 3e-2
    assert_close(outs[1][1], outs[0][1], tol, tol)
    assert_close(outs[1][2], outs[0][2], tol * 3, tol * 3)


@requires_torch
@pytest.mark.parametrize("shape", [(0, 3, 4), (2, 0, 4), (2, 3, 0)], ids=str)
def test_zero_size(shape):
    for T in (torch, mt):
        y = T.nn.functional.instance_norm(T.zeros(shape))
        assert tuple(y.shape) == shape


@requires_torch
@pytest.mark.parametrize("call", [
    lambda T: T.nn.functional.instance_norm(T.randn(2, 3, 4), use_input_stats=False),
    lambda T: T.nn.functional.instance_norm(T.randn(2, 3, 1)),
    lambda T: T.nn.functional.instance_norm(T.randn(2, 3)),
    lambda T: T.nn.functional.instance_norm(T.randn(2, 3, 4), weight=T.ones(4)),
    lambda T: T.nn.functional.instance_norm(T.randn(2, 3, 4), T.ones(4), T.ones(4)),
    lambda T: T.nn.functional.instance_norm(T.ones(2, 3, 4, dtype=T.int64)),
], ids=["no_running", "one_spatial", "2d", "weight_size", "running_size", "int"])
def test_errors_like_pytorch(call):
    errors = []
    for T in (torch, mt):
        with pytest.raises(Exception) as info:   # noqa: B017 - compared below
            call(T)
        errors.append((info.type, str(info.value)))
    assert errors[0] == errors[1]
