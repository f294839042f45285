"""F.linear_cross_entropy against PyTorch in float64: loss and the gradients of input, weight
and bias for class-index and probability targets, K-dimensional weights, unbatched input,
class weights, ignore_index, label smoothing and every reduction; bad shapes raise PyTorch's
exception class and message."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

import torch

_rng = np.random.default_rng(11)


def _run(T, x, w, target, b=None, **kwargs):
    xs = [T.tensor(a, requires_grad=True) for a in (x, w)]
    bias = None if b is None else T.tensor(b, requires_grad=True)
    if "weight" in kwargs and kwargs["weight"] is not None:
        kwargs = {**kwargs, "weight": T.tensor(kwargs["weight"])}
    loss = T.nn.functional.linear_cross_entropy(xs[0], xs[1], T.tensor(target),
                                                linear_bias=bias, **kwargs)
    loss.backward(T.tensor(_rng.standard_normal(tuple(loss.shape)) if loss.dim() else 1.0))
    grads = [v.grad.numpy() for v in xs + ([bias] if bias is not None else [])]
    return [loss.detach().numpy()] + grads


def _compare(*args, **kwargs):
    state = _rng.bit_generator.state
    ours = _run(mt, *args, **kwargs)
    _rng.bit_generator.state = state
    theirs = _run(torch, *args, **kwargs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


X = _rng.standard_normal((6, 4))
W = _rng.standard_normal((5, 4))
B = _rng.standard_normal(5)
IDX = np.array([0, 4, 2, -100, 1, 3])
PROBS = _rng.dirichlet(np.ones(5), 6)


@pytest.mark.parametrize("kwargs", [
    {}, {"reduction": "sum"}, {"reduction": "none"}, {"label_smoothing": 0.2},
    {"weight": _rng.uniform(0.5, 2, 5)},
], ids=str)
def test_class_index_targets(kwargs):
    _compare(X, W, IDX, B, **kwargs)


def test_explicit_ignore_index():
    _compare(X, W, np.array([0, 4, 2, 2, 1, 3]), B, ignore_index=2, reduction="sum")


@pytest.mark.parametrize("kwargs", [{}, {"reduction": "none"}, {"label_smoothing": 0.1}],
                         ids=str)
def test_probability_targets(kwargs):
    _compare(X, W, PROBS, **kwargs)


def test_k_dimensional_weight_and_bias():
    w, b = _rng.standard_normal((5, 3, 4)), _rng.standard_normal((5, 3))
    _compare(X, w, _rng.integers(0, 5, (6, 3)), b, reduction="none")


def test_unbatched_input():
    _compare(X[0], W, np.array(3), B)


def _error(T, x, w, target, b=None, **kwargs):
    try:
        T.nn.functional.linear_cross_entropy(T.tensor(x), T.tensor(w), T.tensor(target),
                                             linear_bias=None if b is None else T.tensor(b),
                                             **kwargs)
    except Exception as exc:   # noqa: BLE001 - compared with PyTorch's below
        return exc
    return None


@pytest.mark.parametrize("args,kwargs", [
    ((np.zeros((2, 2, 4)), W, IDX[:2]), {}),                      # 3-D input
    ((X, np.zeros(4), IDX), {}),                                  # 1-D weight
    ((X, np.zeros((5, 3)), IDX), {}),                             # in_features disagree
    ((X, W, IDX, np.zeros(4)), {}),                               # bias shape
    ((X[0], np.zeros((5, 2, 4)), np.array(1)), {}),               # K-dim needs a batch
    ((X, W, PROBS), {"ignore_index": 1}),                         # ignore_index with probs
], ids=str)
def test_bad_arguments_raise_like_pytorch(args, kwargs):
    ours, theirs = _error(mt, *args, **kwargs), _error(torch, *args, **kwargs)
    assert theirs is not None and type(ours) is type(theirs), (ours, theirs)
    assert str(ours) == str(theirs)
