"""torch.utils.checkpoint: outputs and gradients equal the un-checkpointed run, the segment runs
again in backward with the same random state, and PyTorch's warnings and errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.utils.checkpoint import checkpoint, checkpoint_sequential


def _model():
    mt.manual_seed(0)
    return mt.nn.Sequential(mt.nn.Linear(4, 6), mt.nn.Tanh(), mt.nn.Linear(6, 3)).double()


def _grads(model, x):
    return [x.grad.numpy().copy()] + [p.grad.numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_gradients_equal_the_plain_run(use_reentrant):
    model = _model()
    x = mt.tensor(np.linspace(-1, 1, 8).reshape(2, 4), requires_grad=True)
    y = checkpoint(model, x, use_reentrant=use_reentrant)
    (y ** 2).sum().backward()
    got = _grads(model, x)
    model.zero_grad()
    x.grad = None
    plain = model(x)
    (plain ** 2).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), plain.detach().numpy())
    for a, b in zip(got, _grads(model, x)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_the_segment_runs_again_in_backward(use_reentrant):
    calls = []

    def segment(a):
        calls.append(1)
        return a.sin()
    x = mt.randn(3, requires_grad=True)
    y = checkpoint(segment, x, use_reentrant=use_reentrant)
    assert len(calls) == 1
    y.sum().backward()
    assert len(calls) == 2
    np.testing.assert_allclose(x.grad.numpy(), np.cos(x.detach().numpy()), rtol=1e-6)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_dropout_recomputes_the_same_mask(use_reentrant):
    x = mt.ones(4, 8, dtype=mt.float64, requires_grad=True)
    y = checkpoint(lambda a: mt.nn.functional.dropout(a, 0.5, training=True), x,
                   use_reentrant=use_reentrant)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())  # d(sum)/dx = mask * 2


def test_non_reentrant_gives_parameters_gradients_without_input_grad():
    model = _model()
    y = checkpoint(model, mt.ones(2, 4, dtype=mt.float64), use_reentrant=False)
    assert y.requires_grad
    y.sum().backward()
    assert all(p.grad is not None and np.abs(p.grad.numpy()).sum() > 0
               for p in model.parameters())


def test_reentrant_without_input_grad_warns_and_gives_no_graph():
    model = _model()
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        y = checkpoint(model, mt.ones(2, 4, dtype=mt.float64), use_reentrant=True)
    assert not y.requires_grad


def test_missing_use_reentrant_warns_as_pytorch():
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        checkpoint(lambda a: a * 2, mt.ones(2, requires_grad=True))


def test_reentrant_refuses_keyword_arguments_non_reentrant_passes_them():
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(lambda a, scale=1: a * scale, mt.ones(2, requires_grad=True),
                   use_reentrant=True, scale=3)
    x = mt.ones(2, requires_grad=True)
    checkpoint(lambda a, scale=1: a * scale, x, use_reentrant=False, scale=3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3])


def test_no_grad_mode_runs_plainly():
    with mt.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("error")
        y = checkpoint(lambda a: a * 2, mt.ones(2, requires_grad=True), use_reentrant=False)
    assert not y.requires_grad


def test_checkpoint_sequential_equals_the_sequential():
    model = _model()
    x = mt.tensor(np.linspace(-1, 1, 8).reshape(2, 4), requires_grad=True)
    y = checkpoint_sequential(model, 2, x, use_reentrant=False)
    y.sum().backward()
    got = _grads(model, x)
    model.zero_grad()
    x.grad = None
    model(x).sum().backward()
    for a, b in zip(got, _grads(model, x)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
