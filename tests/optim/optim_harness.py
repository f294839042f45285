"""Shared checks for the optimizer tests of issue 12 (tests/optim/test_<optimizer>.py):
float64 trajectories against PyTorch, state and state_dict layout, state_dict round trips
and constructor errors.

The loss is L(p) = sum(c p^2) + sum(b p) + 0.05 sum(p^4) over three parameters (a matrix,
a vector, a scalar) built from the same NumPy arrays in minitorch_nn and PyTorch.
"""
from __future__ import annotations

import numpy as np

import minitorch_nn as mt

import torch

SHAPES = [(3, 4), (5,), ()]
_rng = np.random.default_rng(2024)
INIT = [_rng.standard_normal(s) for s in SHAPES]
COEF = [_rng.uniform(0.5, 2.0, s) for s in SHAPES]
LIN = [_rng.standard_normal(s) for s in SHAPES]
STEPS = 12


def make_params(T, dtype="float64", init=INIT):
    return [T.tensor(np.array(a, copy=True), dtype=getattr(T, dtype), requires_grad=True)
            for a in init]


def loss_of(T, params, dtype="float64"):
    d = getattr(T, dtype)
    total = 0
    for p, c, b in zip(params, COEF, LIN):
        total = total + (T.tensor(c, dtype=d) * p * p).sum() + (T.tensor(b, dtype=d) * p).sum()
        total = total + 0.05 * (p * p * p * p).sum()
    return total


def train(T, opt, params, steps, dtype="float64"):
    """`steps` optimizer steps; the parameters (float64 numpy) after each one."""
    history = []
    for _ in range(steps):
        opt.zero_grad()
        loss_of(T, params, dtype).backward()
        opt.step()
        history.append([p.detach().double().numpy().copy() for p in params])
    return history


def run(T, name, kwargs, steps=STEPS, dtype="float64"):
    params = make_params(T, dtype)
    opt = getattr(T.optim, name)(params, **kwargs)
    return train(T, opt, params, steps, dtype), opt, params


def as_numpy(value):
    if isinstance(value, (mt.Tensor, torch.Tensor)):
        return np.asarray(value.detach().double().numpy())
    return np.asarray(value, dtype=float)


def assert_histories_close(ours, theirs, rtol=1e-10, atol=1e-12):
    assert len(ours) == len(theirs)
    for step, (a_step, b_step) in enumerate(zip(ours, theirs)):
        for a, b in zip(a_step, b_step):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol,
                                       err_msg=f"parameters differ after step {step + 1}")


def assert_states_equal(our_opt, our_params, torch_opt, torch_params, rtol=1e-9, atol=1e-12):
    """Same state keys per parameter, same values, same kinds (tensor vs number)."""
    for p, tp in zip(our_params, torch_params):
        ours, theirs = our_opt.state[p], torch_opt.state[tp]
        assert set(ours) == set(theirs)
        for key in theirs:
            assert isinstance(ours[key], mt.Tensor) == isinstance(theirs[key], torch.Tensor), key
            if isinstance(theirs[key], torch.Tensor):
                assert tuple(ours[key].shape) == tuple(theirs[key].shape), key
                assert str(ours[key].dtype) == str(theirs[key].dtype), key
            np.testing.assert_allclose(as_numpy(ours[key]), as_numpy(theirs[key]), rtol=rtol,
                                       atol=atol, err_msg=f"state[{key!r}] differs")


def check_trajectory(name, kwargs, steps=STEPS):
    """The float64 trajectory and final state equal PyTorch's."""
    ours, our_opt, our_params = run(mt, name, kwargs, steps)
    theirs, torch_opt, torch_params = run(torch, name, kwargs, steps)
    assert_histories_close(ours, theirs)
    assert_states_equal(our_opt, our_params, torch_opt, torch_params)


def check_float32(name, kwargs, steps=STEPS):
    """float32 parameters: close to PyTorch, state buffers stay float32."""
    ours, our_opt, _ = run(mt, name, kwargs, steps, dtype="float32")
    theirs, _, _ = run(torch, name, kwargs, steps, dtype="float32")
    assert_histories_close(ours, theirs, rtol=1e-4, atol=1e-5)
    for state in our_opt.state.values():
        for key, value in state.items():
            if isinstance(value, mt.Tensor) and value.dim() > 0:
                assert value.dtype is mt.float32, key


def _plain(value):
    """A param-group value comparable across libraries (tuples as lists)."""
    return list(value) if isinstance(value, tuple) else value


def _resumed(T, name, kwargs, half):
    """`half` steps, state_dict, a fresh optimizer over fresh parameters (at the same
    values) loads it and takes `half` more: (history, first state_dict)."""
    first, opt, params = run(T, name, kwargs, half)
    sd = opt.state_dict()
    fresh = [T.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    opt2 = getattr(T.optim, name)(fresh, **kwargs)
    opt2.load_state_dict(sd)
    return first + train(T, opt2, fresh, half), sd


def check_state_dict(name, kwargs, half=STEPS // 2):
    """state_dict has PyTorch's layout; loading it into a fresh optimizer continues as
    PyTorch's does after the same round trip, and as the uninterrupted run (up to the
    float64 cast PyTorch applies to loaded scalar state such as NAdam's mu_product)."""
    ours, sd = _resumed(mt, name, kwargs, half)
    theirs, tsd = _resumed(torch, name, kwargs, half)
    assert list(sd) == list(tsd) == ["state", "param_groups"]
    assert list(sd["state"]) == list(tsd["state"])
    for index in tsd["state"]:
        assert list(sd["state"][index]) == list(tsd["state"][index])
    for group, tgroup in zip(sd["param_groups"], tsd["param_groups"]):
        assert set(group) == set(tgroup)
        for key in tgroup:
            if not isinstance(tgroup[key], torch.Tensor):
                assert _plain(group[key]) == _plain(tgroup[key]), key
    assert_histories_close(ours, theirs)
    full, _, _ = run(mt, name, kwargs, 2 * half)
    assert_histories_close(ours, full, rtol=1e-9, atol=1e-12)


def error_of(T, name, kwargs, params=None):
    try:
        getattr(T.optim, name)(params or [T.zeros(2, requires_grad=True)], **kwargs)
    except Exception as exc:   # noqa: BLE001 - compared with PyTorch's by the caller
        return exc
    return None


def check_error(name, kwargs):
    """The constructor refuses `kwargs` with PyTorch's exception class and message."""
    ours, theirs = error_of(mt, name, kwargs), error_of(torch, name, kwargs)
    assert theirs is not None, "PyTorch accepts these arguments"
    assert type(ours) is type(theirs), (ours, theirs)
    assert str(ours) == str(theirs)


def check_defaults(name):
    """The same defaults (hyper-parameters and flags) as PyTorch."""
    ours = getattr(mt.optim, name)([mt.zeros(2, requires_grad=True)]).defaults
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)]).defaults
    assert {k: _plain(v) for k, v in ours.items()} == {k: _plain(v) for k, v in theirs.items()}
