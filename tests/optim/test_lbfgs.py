"""LBFGS against PyTorch: several `step(closure)` calls (each up to max_iter iterations)
with and without the strong-Wolfe line search, the returned losses, the state (keys and
counters), state_dict round trips and argument errors."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(11)
_M = _rng.standard_normal((5, 5))
A = _M @ _M.T + np.eye(5)
B = _rng.standard_normal(5)


def make(T):
    return [T.tensor(np.linspace(-1, 1, 5), requires_grad=True),
            T.tensor(np.array([[0.5, -0.2]]), requires_grad=True)]


def closure_for(T, opt, params):
    w, v = params
    a, b = T.tensor(A), T.tensor(B)

    def closure():
        opt.zero_grad()
        loss = (w @ (a @ w)) * 0.5 - (b * w).sum() + (v ** 4).sum() + (w[:2] * v[0]).sum()
        loss.backward()
        return loss
    return closure


def run(T, kwargs, steps=4):
    params = make(T)
    opt = T.optim.LBFGS(params, **kwargs)
    closure = closure_for(T, opt, params)
    losses, history = [], []
    for _ in range(steps):
        losses.append(opt.step(closure).item())
        history.append([p.detach().numpy().copy() for p in params])
    return losses, history, opt, params


CASES = [{}, {"line_search_fn": "strong_wolfe"}, {"lr": 0.3, "max_iter": 4},
         {"lr": 0.5, "max_iter": 5, "history_size": 2},
         {"line_search_fn": "strong_wolfe", "max_iter": 6, "history_size": 3,
          "tolerance_change": 1e-12},
         {"max_iter": 7, "max_eval": 5}]


@pytest.mark.parametrize("kwargs", CASES, ids=str)
def test_steps_match_pytorch(kwargs):
    losses, history, opt, params = run(mt, kwargs)
    tlosses, thistory, topt, tparams = run(torch, kwargs)
    np.testing.assert_allclose(losses, tlosses, rtol=1e-10, atol=1e-12)
    for ours, theirs in zip(history, thistory):
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
    state, tstate = opt.state[params[0]], topt.state[tparams[0]]
    assert set(state) == set(tstate)
    assert (state["func_evals"], state["n_iter"]) == (tstate["func_evals"], tstate["n_iter"])
    assert len(state["old_dirs"]) == len(tstate["old_dirs"])
    np.testing.assert_allclose(state["d"].numpy(), tstate["d"].numpy(), rtol=1e-6, atol=1e-9)


def test_step_returns_the_first_loss_and_needs_no_more_work_at_a_minimum():
    w = mt.tensor([2.0, 2.0], requires_grad=True)
    opt = mt.optim.LBFGS([w], line_search_fn="strong_wolfe")
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = ((w - 2) ** 2).sum()
        loss.backward()
        return loss
    assert opt.step(closure).item() == 0.0
    assert len(calls) == 1 and opt.state[w]["func_evals"] == 1


def test_state_dict_round_trip_continues_like_pytorch():
    def resumed(T):
        _, _, opt, params = run(T, {"history_size": 4}, steps=2)
        sd = opt.state_dict()
        fresh = [T.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
        opt2 = T.optim.LBFGS(fresh, history_size=4)
        opt2.load_state_dict(sd)
        closure = closure_for(T, opt2, fresh)
        losses = [opt2.step(closure).item() for _ in range(2)]
        return losses, [p.detach().numpy() for p in fresh], sd
    ours, ours_params, sd = resumed(mt)
    theirs, theirs_params, tsd = resumed(torch)
    assert set(sd["state"][0]) == set(tsd["state"][0])
    assert set(sd["param_groups"][0]) == set(tsd["param_groups"][0])
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    for a, b in zip(ours_params, theirs_params):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_defaults_match_pytorch():
    ours = mt.optim.LBFGS([mt.zeros(2, requires_grad=True)], max_iter=8).defaults
    theirs = torch.optim.LBFGS([torch.zeros(2, requires_grad=True)], max_iter=8).defaults
    assert ours == theirs   # max_eval = max_iter * 5 // 4


def test_errors_match_pytorch():
    for T in (mt, torch):
        a, b = T.zeros(2, requires_grad=True), T.zeros(2, requires_grad=True)
        with pytest.raises(ValueError, match="Invalid learning rate: -1"):
            T.optim.LBFGS([a], lr=-1)
        with pytest.raises(ValueError, match="doesn't support per-parameter options"):
            T.optim.LBFGS([{"params": [a]}, {"params": [b]}])
        opt = T.optim.LBFGS([a], line_search_fn="armijo")
        with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
            opt.step(_sum_closure(opt, a))


def _sum_closure(opt, a):
    def closure():
        opt.zero_grad()
        loss = ((a - 1) ** 2).sum()
        loss.backward()
        return loss
    return closure
