"""Muon against PyTorch: float64 trajectories over 10 steps on 2-D parameters (tall, wide,
square; nesterov on/off, both lr adjustments, weight decay), the momentum_buffer state,
state_dict round trip, defaults, and constructor/step errors (same class and message)."""
from __future__ import annotations

import numpy as np
import pytest

from optim_harness import assert_histories_close, assert_states_equal

import minitorch_nn as mt

import torch

SHAPES = [(4, 3), (3, 5), (2, 2)]
_rng = np.random.default_rng(7)
INIT = [_rng.standard_normal(s) for s in SHAPES]
TARGET = [_rng.standard_normal(s) for s in SHAPES]
STEPS = 10

CASES = [
    {},
    {"lr": 0.05, "weight_decay": 0.0, "momentum": 0.9},
    {"lr": 0.02, "nesterov": False, "adjust_lr_fn": "match_rms_adamw"},
    {"lr": 0.03, "adjust_lr_fn": "original", "ns_steps": 3, "eps": 1e-5},
    {"lr": 0.01, "momentum": 0.0, "ns_coefficients": (2.0, -1.5, 0.5)},
]
BAD = [
    {"lr": -0.1},
    {"momentum": -0.5},
    {"weight_decay": -1.0},
    {"adjust_lr_fn": "sqrt"},
]


def _params(T, init=INIT):
    return [T.tensor(np.array(a, copy=True), requires_grad=True) for a in init]


def _train(T, opt, params, steps):
    history = []
    for _ in range(steps):
        opt.zero_grad()
        loss = sum(((p - T.tensor(t)) ** 3).sum() + (p * p).sum() for p, t in zip(params, TARGET))
        loss.backward()
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


def _run(T, kwargs, steps=STEPS):
    params = _params(T)
    opt = T.optim.Muon(params, **kwargs)
    return _train(T, opt, params, steps), opt, params


@pytest.mark.parametrize("kwargs", CASES, ids=str)
def test_trajectory_matches_pytorch(kwargs):
    ours, opt, params = _run(mt, kwargs)
    theirs, topt, tparams = _run(torch, kwargs)
    assert_histories_close(ours, theirs)
    assert_states_equal(opt, params, topt, tparams)
    assert list(opt.state[params[0]]) == ["momentum_buffer"]


def test_state_dict_round_trip():
    def resumed(T):
        first, opt, params = _run(T, CASES[0], STEPS // 2)
        sd = opt.state_dict()
        fresh = [T.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
        opt2 = T.optim.Muon(fresh, **CASES[0])
        opt2.load_state_dict(sd)
        return first + _train(T, opt2, fresh, STEPS // 2), sd

    ours, sd = resumed(mt)
    theirs, tsd = resumed(torch)
    assert list(sd["state"][0]) == list(tsd["state"][0]) == ["momentum_buffer"]
    assert set(sd["param_groups"][0]) == set(tsd["param_groups"][0])
    assert_histories_close(ours, theirs)
    assert_histories_close(ours, _run(mt, CASES[0])[0])


def test_defaults_match_pytorch():
    ours = mt.optim.Muon([mt.zeros(2, 2, requires_grad=True)]).defaults
    theirs = torch.optim.Muon([torch.zeros(2, 2, requires_grad=True)]).defaults
    assert ours == theirs


def _error(T, kwargs, shape=(2, 2)):
    try:
        T.optim.Muon([T.zeros(*shape, requires_grad=True)], **kwargs)
    except Exception as exc:   # noqa: BLE001 - compared with PyTorch's below
        return exc
    return None


@pytest.mark.parametrize("kwargs", BAD, ids=str)
def test_bad_arguments_raise_like_pytorch(kwargs):
    ours, theirs = _error(mt, kwargs), _error(torch, kwargs)
    assert theirs is not None
    assert type(ours) is type(theirs) and str(ours) == str(theirs)


@pytest.mark.parametrize("shape", [(3,), (2, 2, 2)])
def test_non_matrix_parameters_are_refused(shape):
    ours, theirs = _error(mt, {}, shape), _error(torch, {}, shape)
    assert type(ours) is type(theirs) is ValueError
    assert str(ours) == str(theirs)


@pytest.mark.parametrize("kwargs", [{"ns_steps": 100}, {"ns_coefficients": (1.0, 2.0)}], ids=str)
def test_bad_newton_schulz_settings_fail_at_step(kwargs):
    errors = []
    for T in (mt, torch):
        p = T.ones(2, 3, requires_grad=True)
        opt = T.optim.Muon([p], **kwargs)
        (p * p).sum().backward()
        with pytest.raises(ValueError) as info:
            opt.step()
        errors.append(str(info.value))
    assert errors[0] == errors[1]
