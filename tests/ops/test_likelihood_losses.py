"""gaussian_nll_loss and poisson_nll_loss (ops/likelihood_losses.py): NumPy references,
float64 gradchecks (input, target and var), PyTorch differentials, var shapes and errors."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, make_arrays, requires_torch, torch

REDUCTIONS = ["none", "mean", "sum"]


def F(T):
    return T.nn.functional


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / loss.size if loss.size else np.nan


def _same_error(fn):
    errors = []
    for T in (mt, torch):
        try:
            fn(T)
        except Exception as e:   # noqa: BLE001 - the class is what is compared
            errors.append(e)
            continue
        errors.append(None)
    assert errors[0] is not None and errors[1] is not None, errors
    assert type(errors[0]) is type(errors[1]) and str(errors[0]) == str(errors[1]), errors


# ------------------------------------------------------------------ gaussian_nll_loss
def _gauss_ref(x, t, v, full, eps, reduction):
    v = np.maximum(v, eps)
    if v.shape != x.shape and v.shape == x.shape[:-1]:
        v = v[..., None]
    loss = 0.5 * (np.log(v) + (x - t) ** 2 / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4), (3, 4)], [(3, 4), (3, 4), (3,)],
                                    [(3, 4), (3, 4), (3, 1)], [(2, 3, 4), (2, 3, 4), (2, 1, 4)],
                                    [(5,), (5,), (5,)], [(0, 2), (0, 2), (0, 2)]])
def test_gaussian_nll_loss(reduction, full, shapes):
    arrays = make_arrays(shapes[:2]) + make_arrays(shapes[2:], positive=True, seed=3)
    check_op(lambda T, x, t, v: F(T).gaussian_nll_loss(x, t, v, full=full, reduction=reduction),
             None, arrays=arrays, ref=lambda x, t, v: _gauss_ref(x, t, v, full, 1e-6, reduction),
             grad=not (0 in shapes[0] and reduction == "mean"))


def test_gaussian_nll_loss_eps_clamp_and_float_var():
    # var below eps: the value uses eps, var's gradient is that of the clamped value (PyTorch
    # clamps a clone under no_grad)
    x, t = make_arrays([(2, 3), (2, 3)])
    v = np.full((2, 3), 1e-3)
    v[0, 0] = 1e-9
    check_op(lambda T, x, t, v: F(T).gaussian_nll_loss(x, t, v, eps=1e-2), None,
             arrays=[x, t, v], grad=False,
             ref=lambda x, t, v: _gauss_ref(x, t, v, False, 1e-2, "mean"))
    if torch is not None:
        grads = []
        for T in (mt, torch):
            vt = T.tensor(v, requires_grad=True)
            F(T).gaussian_nll_loss(T.tensor(x), T.tensor(t), vt, eps=1e-2).backward()
            grads.append(vt.grad.numpy())
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10)
    check_op(lambda T, x, t: F(T).gaussian_nll_loss(x, t, 0.5, full=True), [(3, 2), (3, 2)],
             ref=lambda x, t: _gauss_ref(x, t, np.full(x.shape, 0.5), True, 1e-6, "mean"))


@requires_torch
@pytest.mark.parametrize("vshape, value", [((3, 4), -1.0), ((2, 4), 1.0), ((3, 2), 1.0),
                                           ((1, 1), 1.0), ((4,), 1.0), ((3, 4, 1), 1.0)])
def test_gaussian_nll_loss_var_errors(vshape, value):
    _same_error(lambda T: F(T).gaussian_nll_loss(T.zeros(3, 4), T.zeros(3, 4),
                                                 T.full(vshape, value)))


@requires_torch
def test_gaussian_nll_loss_other_errors():
    _same_error(lambda T: F(T).gaussian_nll_loss(T.zeros(3), T.zeros(3), -0.5))
    _same_error(lambda T: F(T).gaussian_nll_loss(T.zeros(3), T.zeros(3), T.ones(3),
                                                 reduction="avg"))


# ------------------------------------------------------------------ poisson_nll_loss
def _poisson_ref(x, t, log_input, full, eps, reduction):
    loss = np.exp(x) - t * x if log_input else x - t * np.log(x + eps)
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):
            st = t * np.log(t) - t + 0.5 * np.log(2 * np.pi * t)
        loss = loss + np.where(t <= 1, 0, st)
    return _reduce(loss, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("shape", [(3, 4), (5,), (0, 3)])
def test_poisson_nll_loss(reduction, log_input, full, shape):
    x, = make_arrays([shape], positive=not log_input)
    t = np.random.default_rng(1).integers(0, 5, shape).astype(np.float64)
    t.flat[:1] = 0.0            # log(0) in the Stirling term is masked out
    check_op(lambda T, x, t: F(T).poisson_nll_loss(x, t, log_input=log_input, full=full,
                                                   reduction=reduction),
             None, arrays=[x, t], grad_inputs=(0,),
             ref=lambda x, t: _poisson_ref(x, t, log_input, full, 1e-8, reduction))


def test_poisson_nll_loss_target_grad_eps_and_aten():
    x, t = make_arrays([(3, 4), (3, 4)], positive=True)
    t = t + 1.5                 # > 1: the Stirling term and its target gradient
    check_op(lambda T, x, t: F(T).poisson_nll_loss(x, t, log_input=False, full=True, eps=0.1),
             None, arrays=[x, t], ref=lambda x, t: _poisson_ref(x, t, False, True, 0.1, "mean"))
    check_op(lambda T, x, t: T.poisson_nll_loss(x, t, True, True, 1e-8, 2), None,
             arrays=[x, t], ref=lambda x, t: _poisson_ref(x, t, True, True, 1e-8, "sum"))
    out = mt.poisson_nll_loss(mt.tensor(x), mt.tensor(t), True, False, 1e-8, 0)
    assert tuple(out.shape) == (3, 4)


@requires_torch
def test_poisson_nll_loss_errors_and_legacy():
    _same_error(lambda T: F(T).poisson_nll_loss(T.zeros(3), T.zeros(3), reduction="bad"))
    _same_error(lambda T: F(T).poisson_nll_loss(T.zeros(3), T.zeros(2)))
    with pytest.raises(TypeError):
        mt.poisson_nll_loss(mt.zeros(3), mt.zeros(3))
    with pytest.warns(UserWarning, match="reduction='sum'") as rec:
        out = F(mt).poisson_nll_loss(mt.zeros(3), mt.ones(3), reduce=True, size_average=False)
    assert rec[0].filename == __file__
    assert float(out) == pytest.approx(3.0)


def test_no_numpy_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = mt.tensor([0.0, 2.0], requires_grad=True)
        F(mt).poisson_nll_loss(x, mt.tensor([0.0, 0.5]), log_input=False, full=True).backward()
