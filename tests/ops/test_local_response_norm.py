"""ops/local_response_norm.py: F.local_response_norm, F.rms_norm and torch.rms_norm."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import assert_close, check_op, requires_torch, torch


def _lrn_ref(size, alpha, beta, k):
    def ref(x):
        c = x.shape[1]
        sq = np.pad(x * x, [(0, 0), (size // 2, (size - 1) // 2)] + [(0, 0)] * (x.ndim - 2))
        div = np.stack([sq[:, i:i + size].sum(axis=1) / size for i in range(c)], axis=1)
        return x / (k + alpha * div) ** beta
    return ref


@pytest.mark.parametrize("shape,size", [((2, 5, 3), 3), ((2, 4, 3, 2), 2), ((1, 3, 2, 2, 2), 5),
                                        ((2, 1, 4), 1), ((1, 6, 2, 1, 2, 1), 4)], ids=str)
def test_lrn_values_and_grads(shape, size):
    check_op(lambda T, x: T.nn.functional.local_response_norm(x, size, 0.3, 0.6, 1.5), [shape],
             ref=_lrn_ref(size, 0.3, 0.6, 1.5))
    check_op(lambda T, x: T.nn.functional.local_response_norm(x, size), [shape],
             ref=_lrn_ref(size, 1e-4, 0.75, 1.0))


@requires_torch
@pytest.mark.parametrize("call", [
    lambda T: T.nn.functional.local_response_norm(T.randn(2, 3), 2),
    lambda T: T.nn.functional.local_response_norm(T.randn(2, 3, 4), 0),
], ids=["2d", "size0"])
def test_lrn_errors(call):
    errors = []
    for T in (torch, mt):
        with pytest.raises(Exception) as info:   # noqa: B017 - compared below
            call(T)
        errors.append(info.type)
    assert errors[0] is errors[1]


@requires_torch
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "int64"])
def test_lrn_dtypes_and_empty(dtype):
    a = np.arange(24).reshape(2, 3, 4) % 5
    ys = [T.nn.functional.local_response_norm(T.tensor(a).to(getattr(T, dtype)), 2, 0.1)
          for T in (torch, mt)]
    assert str(ys[0].dtype) == str(ys[1].dtype)
    assert_close(ys[1].float().numpy(), ys[0].float().numpy(), 1e-2, 1e-2)
    x = mt.zeros(2, 0, 3)
    assert mt.nn.functional.local_response_norm(x, 3) is x


def _rms_ref(k, eps):
    def ref(x, w=None):
        axes = tuple(range(x.ndim - k, x.ndim))
        y = x / np.sqrt((x * x).mean(axis=axes, keepdims=True) + eps)
        return y if w is None else y * w
    return ref


@pytest.mark.parametrize("shape,k", [((3, 4), 1), ((2, 3, 4), 2), ((5,), 1), ((0, 3), 1),
                                     ((2, 1), 1)], ids=str)
def test_rms_norm(shape, k):
    ns = shape[len(shape) - k:]
    eps64 = float(np.finfo(np.float64).eps)
    check_op(lambda T, x: T.nn.functional.rms_norm(x, ns), [shape], ref=_rms_ref(k, eps64))
    check_op(lambda T, x, w: T.rms_norm(x, ns, w, 1e-3), [shape, ns], ref=_rms_ref(k, 1e-3))


@requires_torch
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_rms_norm_half_types(dtype):
    a = np.linspace(-3, 3, 24).reshape(4, 6) * 100
    outs = []
    for T in (torch, mt):
        x = T.tensor(a, dtype=getattr(T, dtype), requires_grad=True)
        w = T.tensor(np.linspace(0.5, 1.5, 6), dtype=getattr(T, dtype), requires_grad=True)
        y = T.nn.functional.rms_norm(x, (6,), w)
        y.backward(T.tensor(np.sin(a), dtype=getattr(T, dtype)))
        outs.append((str(y.dtype), y.grad_fn.name(), y.detach().float().numpy(),
                     x.grad.float().numpy(), w.grad.float().numpy()))
    assert outs[0][:2] == outs[1][:2]
    tol = 1e-5 if dtype == "float32" else 2e-2
    for ours, theirs in zip(outs[1][2:], outs[0][2:]):
        assert_close(ours, theirs, tol, tol)


@requires_torch
@pytest.mark.parametrize("call", [
    lambda T: T.nn.functional.rms_norm(T.randn(2, 3, 4), (3,)),
    lambda T: T.nn.functional.rms_norm(T.randn(2, 3, 4), (2, 3, 4, 5)),
    lambda T: T.nn.functional.rms_norm(T.randn(2, 3, 4), 4),
    lambda T: T.nn.functional.rms_norm(T.randn(2, 3, 4), (4,), T.ones(3)),
    lambda T: T.nn.functional.rms_norm(T.ones(2, 4, dtype=T.int64), (4,)),
    lambda T: T.nn.functional.rms_norm(T.randn(2, 4), ()),
], ids=["shape", "too_long", "int_shape", "weight", "int", "empty_shape"])
def test_rms_norm_errors(call):
    errors = []
    for T in (torch, mt):
        with pytest.raises(Exception) as info:   # noqa: B017 - compared below
            call(T)
        errors.append((info.type, str(info.value)))
    assert errors[0] == errors[1]
