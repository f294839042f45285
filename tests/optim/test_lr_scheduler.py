"""Learning-rate schedulers against PyTorch: the same lr sequence over 20+ steps."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import minitorch_nn as mt

torch = pytest.importorskip("torch")

STEPS = 25


def make_optimizer(T, name="SGD", groups=2, **kwargs):
    params = [T.zeros(2, requires_grad=True) for _ in range(groups)]
    lrs = [0.1 * (i + 1) for i in range(groups)]
    return getattr(T.optim, name)([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)],
                                  **kwargs)


def lr_sequence(T, make_scheduler, steps=STEPS, name="SGD", groups=2, metrics=None,
                **opt_kwargs):
    """The lr of every group, as seen by optimizer.step(), for each of `steps` epochs."""
    opt = make_optimizer(T, name, groups, **opt_kwargs)
    sched = make_scheduler(T.optim.lr_scheduler, opt)
    seen = []
    for epoch in range(steps):
        opt.step()
        seen.append([g["lr"] for g in opt.param_groups] + list(sched.get_last_lr()))
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[epoch])
    return seen, opt, sched


SCHEDULERS = {
    "StepLR": lambda S, o: S.StepLR(o, step_size=3, gamma=0.5),
    "StepLR-default-gamma": lambda S, o: S.StepLR(o, step_size=7),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, milestones=[2, 5, 5, 11], gamma=0.3),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=10),
    "CosineAnnealingLR-eta_min": lambda S, o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    "LambdaLR": lambda S, o: S.LambdaLR(o, lr_lambda=lambda e: 1.0 / (1 + e)),
    "LambdaLR-per-group": lambda S, o: S.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: e % 3]),
    "OneCycleLR-cos": lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=STEPS + 1),
    "OneCycleLR-linear-3phase": lambda S, o: S.OneCycleLR(
        o, max_lr=[1.0, 0.5], epochs=2, steps_per_epoch=13, anneal_strategy="linear",
        three_phase=True, pct_start=0.25),
}


@pytest.mark.parametrize("kind", list(SCHEDULERS))
def test_lr_sequence_matches_pytorch(kind):
    ours, _, _ = lr_sequence(mt, SCHEDULERS[kind])
    theirs, _, _ = lr_sequence(torch, SCHEDULERS[kind])
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_one_cycle_cycles_momentum_and_adam_beta1_like_pytorch():
    def momentum_seq(T, name):
        opt = make_optimizer(T, name, groups=1)
        sched = T.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=STEPS)
        out = []
        for _ in range(STEPS):
            opt.step()
            group = opt.param_groups[0]
            out.append(group["betas"][0] if "betas" in group else group["momentum"])
            sched.step() if len(out) < STEPS else None
        return out
    for name in ("SGD", "Adam"):
        np.testing.assert_allclose(momentum_seq(mt, name), momentum_seq(torch, name),
                                   rtol=1e-12)


def test_one_cycle_refuses_to_step_past_total_steps():
    for T in (mt, torch):
        opt = make_optimizer(T)
        sched = T.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=2)
        opt.step()
        sched.step()
        sched.step()
        with pytest.raises(ValueError, match="Tried to step 3 times. The specified number of "
                                             "total steps is 2"):
            sched.step()


def test_cosine_annealing_follows_the_closed_form_within_rounding():
    ours, _, _ = lr_sequence(mt, lambda S, o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.01),
                             groups=1)
    closed = [0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * t / 10)) / 2
              for t in range(STEPS)]
    np.testing.assert_allclose([row[0] for row in ours], closed, rtol=1e-9)


def test_step_with_epoch_uses_the_closed_form_and_warns():
    for T in (mt, torch):
        opt = make_optimizer(T)
        sched = T.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        opt.step()
        with pytest.warns(UserWarning, match="The epoch parameter"):
            sched.step(5)
        assert sched.get_last_lr() == pytest.approx([0.1 * 0.25, 0.2 * 0.25])


@pytest.mark.parametrize("mode,threshold_mode,metric_fn", [
    ("min", "rel", lambda e: 1.0 if e < 4 else 1.0 - 1e-6 * e),
    ("min", "abs", lambda e: 10.0 - 0.5 * min(e, 6)),
    ("max", "rel", lambda e: float(e % 5)),
    ("max", "abs", lambda e: 0.1 * min(e, 3)),
])
def test_reduce_lr_on_plateau_matches_pytorch(mode, threshold_mode, metric_fn):
    metrics = [metric_fn(e) for e in range(STEPS)]

    def make(S, o):
        return S.ReduceLROnPlateau(o, mode=mode, factor=0.5, patience=2, threshold=0.01,
                                   threshold_mode=threshold_mode, cooldown=1,
                                   min_lr=[0.01, 0.05])
    ours, our_opt, our_sched = lr_sequence(mt, make, metrics=metrics)
    theirs, torch_opt, torch_sched = lr_sequence(torch, make, metrics=metrics)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert our_sched.num_bad_epochs == torch_sched.num_bad_epochs
    assert our_sched.best == torch_sched.best


def test_reduce_lr_on_plateau_accepts_tensor_metrics_and_checks_arguments():
    for T in (mt, torch):
        opt = make_optimizer(T)
        sched = T.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
        sched.step(T.tensor(1.0))
        sched.step(T.tensor(2.0))
        assert sched.get_last_lr() == pytest.approx([0.01, 0.02])
        with pytest.raises(ValueError, match="Factor should be < 1.0."):
            T.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
        with pytest.raises(ValueError, match="mode foo is unknown!"):
            T.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="foo")
        with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
            T.optim.lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1])


def test_state_dict_round_trip_resumes_the_schedule():
    def make(S, o):
        return S.CosineAnnealingLR(o, T_max=9, eta_min=0.001)
    full, _, _ = lr_sequence(mt, make, steps=12)
    _, opt, sched = lr_sequence(mt, make, steps=5)
    saved = sched.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 5
    opt2 = make_optimizer(mt, groups=2)
    for g2, g in zip(opt2.param_groups, opt.param_groups):
        g2["lr"] = g["lr"]
    sched2 = make(mt.optim.lr_scheduler, opt2)
    sched2.load_state_dict(saved)
    for group, lr in zip(opt2.param_groups, sched2.get_last_lr()):
        group["lr"] = lr
    rest = []
    for _ in range(7):
        opt2.step()
        rest.append([g["lr"] for g in opt2.param_groups] + list(sched2.get_last_lr()))
        sched2.step()
    np.testing.assert_allclose(rest, full[5:], rtol=1e-12)


def test_state_dict_keys_match_pytorch():
    for kind in ("StepLR", "OneCycleLR-cos"):
        _, _, ours = lr_sequence(mt, SCHEDULERS[kind], steps=2)
        _, _, theirs = lr_sequence(torch, SCHEDULERS[kind], steps=2)
        assert list(ours.state_dict()) == list(theirs.state_dict())
    ours = mt.optim.lr_scheduler.ReduceLROnPlateau(make_optimizer(mt))
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(make_optimizer(torch))
    assert ours.state_dict() == theirs.state_dict()


def test_lambda_lr_state_dict_saves_callable_objects_only():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate ** epoch

    opt = make_optimizer(mt, groups=2)
    decay = Decay()
    sched = mt.optim.lr_scheduler.LambdaLR(opt, [decay, lambda e: 1.0])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.5}, None]
    decay.rate = 0.9
    sched.load_state_dict(state)
    assert decay.rate == 0.5


def test_constructor_sets_initial_lr_and_resuming_needs_it():
    for T in (mt, torch):
        opt = make_optimizer(T)
        with pytest.raises(KeyError, match="param 'initial_lr' is not specified in "
                                           "param_groups\\[0\\]"):
            T.optim.lr_scheduler.StepLR(opt, step_size=2, last_epoch=3)
        T.optim.lr_scheduler.StepLR(opt, step_size=2)
        assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
        with pytest.raises(TypeError, match="list is not an Optimizer"):
            T.optim.lr_scheduler.StepLR([], step_size=2)


def test_warns_when_scheduler_steps_before_optimizer():
    for T in (mt, torch):
        opt = make_optimizer(T)
        sched = T.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            sched.step()
        opt2 = make_optimizer(T)
        sched2 = T.optim.lr_scheduler.ExponentialLR(opt2, gamma=0.5)
        opt2.step()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sched2.step()


def test_lambda_lr_checks_the_number_of_functions():
    for T in (mt, torch):
        with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
            T.optim.lr_scheduler.LambdaLR(make_optimizer(T, groups=2), [lambda e: 1.0])


def test_one_cycle_argument_errors_match_pytorch():
    cases = [({"max_lr": 1.0}, "You must define either total_steps OR"),
             ({"max_lr": 1.0, "total_steps": 0}, "Expected positive integer total_steps"),
             ({"max_lr": 1.0, "total_steps": 5, "pct_start": 1.5}, "Expected float between 0 "
                                                                   "and 1 pct_start"),
             ({"max_lr": 1.0, "total_steps": 5, "anneal_strategy": "x"},
              "anneal_strategy must be one of 'cos' or 'linear'"),
             ({"max_lr": [1.0], "total_steps": 5}, "max_lr must have the same length")]
    for T in (mt, torch):
        for kwargs, match in cases:
            with pytest.raises(ValueError, match=match):
                T.optim.lr_scheduler.OneCycleLR(make_optimizer(T, groups=2), **kwargs)
