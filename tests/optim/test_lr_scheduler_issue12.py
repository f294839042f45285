"""The schedulers added for issue 12 against PyTorch: lr (and momentum) sequences over 40
steps, state-dict round trips, the deprecated `step(epoch)` closed forms, argument errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minitorch_nn as mt

torch = pytest.importorskip("torch")

STEPS = 40


def make_optimizer(T, name="SGD", groups=2, **kwargs):
    params = [T.zeros(2, requires_grad=True) for _ in range(groups)]
    lrs = [0.1 * (i + 1) for i in range(groups)]
    return getattr(T.optim, name)([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)],
                                  **kwargs)


def momentum_of(group):
    return group["betas"][0] if "betas" in group else group.get("momentum", 0.0)


def run(T, make, steps=STEPS, name="SGD", opt=None, sched=None, **opt_kwargs):
    """(lr and momentum of every group and get_last_lr(), per step; optimizer; scheduler)."""
    opt = opt or make_optimizer(T, name, **opt_kwargs)
    sched = sched or make(T.optim.lr_scheduler, opt)
    seen = []
    for _ in range(steps):
        opt.step()
        seen.append([float(g["lr"]) for g in opt.param_groups]
                    + [float(momentum_of(g)) for g in opt.param_groups]
                    + [float(v) for v in sched.get_last_lr()])
        sched.step()
    return seen, opt, sched


class Scale:
    """A callable object: its attributes travel in state dicts (plain functions do not)."""

    def __init__(self, factor):
        self.factor = factor

    def __call__(self, x):
        return self.factor ** x


SCHEDULERS = {
    "LinearLR": lambda S, o: S.LinearLR(o),
    "LinearLR-args": lambda S, o: S.LinearLR(o, start_factor=0.25, end_factor=0.75,
                                            total_iters=13),
    "LinearLR-decay": lambda S, o: S.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                             total_iters=30),
    "ConstantLR": lambda S, o: S.ConstantLR(o),
    "ConstantLR-args": lambda S, o: S.ConstantLR(o, factor=0.2, total_iters=17),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o),
    "PolynomialLR-power": lambda S, o: S.PolynomialLR(o, total_iters=25, power=2.5),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lr_lambda=lambda e: 0.95),
    "MultiplicativeLR-per-group": lambda S, o: S.MultiplicativeLR(
        o, [lambda e: 0.9 if e % 2 else 1.05, Scale(0.99)]),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=7),
    "CosineAnnealingWarmRestarts-mult": lambda S, o: S.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.01),
    "CyclicLR-triangular": lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1,
                                                   step_size_up=4),
    "CyclicLR-triangular2": lambda S, o: S.CyclicLR(
        o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=3, step_size_down=5,
        mode="triangular2", base_momentum=0.7, max_momentum=0.95),
    "CyclicLR-exp_range": lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.2,
                                                  step_size_up=5, mode="exp_range",
                                                  gamma=0.97, cycle_momentum=False),
    "CyclicLR-scale_fn": lambda S, o: S.CyclicLR(o, 0.001, 0.1, step_size_up=3,
                                                 scale_fn=Scale(0.9),
                                                 scale_mode="iterations"),
    "SequentialLR": lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.1, total_iters=5), S.ExponentialLR(o, gamma=0.9)],
        milestones=[5]),
    "SequentialLR-three": lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o, factor=0.5, total_iters=4), S.StepLR(o, 3, 0.5),
            S.CosineAnnealingLR(o, T_max=9)], milestones=[6, 20]),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.1, total_iters=2), S.ExponentialLR(o, gamma=0.9)]),
    "ChainedScheduler-optimizer": lambda S, o: S.ChainedScheduler(
        [S.LinearLR(o, 0.5, total_iters=10), S.MultiStepLR(o, [5, 15], 0.5),
         S.PolynomialLR(o, total_iters=30)], optimizer=o),
}


@pytest.mark.parametrize("kind", list(SCHEDULERS))
def test_lr_sequence_matches_pytorch(kind):
    ours, _, _ = run(mt, SCHEDULERS[kind], momentum=0.5)
    theirs, _, _ = run(torch, SCHEDULERS[kind], momentum=0.5)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_cyclic_lr_cycles_adam_beta1_like_pytorch():
    make = lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3, base_momentum=0.8,
                                   max_momentum=0.95)
    ours, opt, _ = run(mt, make, name="Adam")
    theirs, topt, _ = run(torch, make, name="Adam")
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert opt.param_groups[0]["betas"][1] == topt.param_groups[0]["betas"][1] == 0.999


@pytest.mark.parametrize("kind", list(SCHEDULERS))
def test_state_dict_round_trip_resumes_the_schedule(kind):
    """15 steps, state_dict (with the optimizer's), a fresh pair loads both, 25 more steps:
    the same rates as an uninterrupted run (and as PyTorch)."""
    make = SCHEDULERS[kind]
    full, _, _ = run(mt, make, momentum=0.5)
    first, opt, sched = run(mt, make, steps=15, momentum=0.5)
    opt_state, sched_state = opt.state_dict(), sched.state_dict()
    opt2 = make_optimizer(mt, momentum=0.5)
    sched2 = make(mt.optim.lr_scheduler, opt2)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    rest, _, _ = run(mt, make, steps=STEPS - 15, opt=opt2, sched=sched2)
    np.testing.assert_allclose(first + rest, full, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", list(SCHEDULERS))
def test_state_dict_keys_match_pytorch(kind):
    _, _, ours = run(mt, SCHEDULERS[kind], steps=3, momentum=0.5)
    _, _, theirs = run(torch, SCHEDULERS[kind], steps=3, momentum=0.5)
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert set(ours_sd) == set(theirs_sd)
    if "_schedulers" in theirs_sd:
        for a, b in zip(ours_sd["_schedulers"], theirs_sd["_schedulers"]):
            assert set(a) == set(b)


def test_callable_objects_are_saved_in_state_dicts():
    opt = make_optimizer(mt, momentum=0.9)
    fn = Scale(0.9)
    sched = mt.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, scale_fn=fn)
    state = sched.state_dict()
    assert state["_scale_fn_custom"] == {"factor": 0.9}
    fn.factor = 0.5
    sched.load_state_dict(state)
    assert fn.factor == 0.9
    plain = mt.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, scale_fn=lambda x: 1.0)
    assert plain.state_dict()["_scale_fn_custom"] is None
    mult = mt.optim.lr_scheduler.MultiplicativeLR(opt, [lambda e: 1.0, Scale(0.7)])
    assert mult.state_dict()["lr_lambdas"] == [None, {"factor": 0.7}]


CLOSED_FORM = {
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.2, total_iters=6),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=4),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=8, power=2.0),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, 3, 2),
}


@pytest.mark.parametrize("kind", list(CLOSED_FORM))
def test_step_with_epoch_matches_pytorch(kind):
    """The deprecated `step(epoch)` (fractional for the warm restarts) jumps like PyTorch."""
    epochs = [3, 1, 7, 0, 12, 5.5, 2.25, 20] if "Warm" in kind else [3, 1, 7, 0, 12, 5, 2, 20]
    results = []
    for T in (mt, torch):
        opt = make_optimizer(T)
        sched = CLOSED_FORM[kind](T.optim.lr_scheduler, opt)
        seen = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for e in epochs:
                opt.step()
                sched.step(e)
                seen.append([float(g["lr"]) for g in opt.param_groups] + [sched.last_epoch])
        results.append(seen)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12, atol=1e-15)


def test_warm_restarts_step_with_epoch_does_not_warn_but_others_do():
    opt = make_optimizer(mt)
    sched = mt.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, 5)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step(2.5)
    lin = mt.optim.lr_scheduler.LinearLR(opt)
    with pytest.warns(UserWarning, match="epoch parameter"):
        lin.step(3)


def test_warns_when_scheduler_steps_before_optimizer():
    for T in (mt, torch):
        opt = make_optimizer(T)
        sched = T.optim.lr_scheduler.LinearLR(opt)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            sched.step()


def _error(T, make, opt_name="SGD", **opt_kwargs):
    opt = make_optimizer(T, opt_name, **opt_kwargs)
    try:
        make(T.optim.lr_scheduler, opt)
    except Exception as exc:   # noqa: BLE001 - compared with PyTorch's below
        return exc
    return None


BAD = {
    "LinearLR-start": (lambda S, o: S.LinearLR(o, start_factor=0), {}),
    "LinearLR-end": (lambda S, o: S.LinearLR(o, end_factor=1.5), {}),
    "ConstantLR-factor": (lambda S, o: S.ConstantLR(o, factor=1.5), {}),
    "MultiplicativeLR-count": (lambda S, o: S.MultiplicativeLR(o, [lambda e: 1.0]), {}),
    "MultiplicativeLR-not-callable": (lambda S, o: S.MultiplicativeLR(o, 0.5), {}),
    "WarmRestarts-T_0": (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0), {}),
    "WarmRestarts-T_mult": (lambda S, o: S.CosineAnnealingWarmRestarts(o, 2, T_mult=0), {}),
    "WarmRestarts-eta_min": (lambda S, o: S.CosineAnnealingWarmRestarts(o, 2, eta_min="a"),
                             {}),
    "CyclicLR-mode": (lambda S, o: S.CyclicLR(o, 0.1, 1.0, mode="square"), {}),
    "CyclicLR-momentum": (lambda S, o: S.CyclicLR(o, 0.1, 1.0), {"opt_name": "Adagrad"}),
    "CyclicLR-lengths": (lambda S, o: S.CyclicLR(o, [0.1], 1.0), {}),
    "SequentialLR-empty": (lambda S, o: S.SequentialLR(o, [], []), {}),
    "SequentialLR-milestones": (lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o), S.ConstantLR(o)], milestones=[2, 4]), {}),
    "SequentialLR-plateau": (lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o), S.ReduceLROnPlateau(o)], milestones=[2]), {}),
    "SequentialLR-not-a-scheduler": (lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o), "not a scheduler"], milestones=[2]), {}),
    "ChainedScheduler-empty": (lambda S, o: S.ChainedScheduler([]), {}),
    "ChainedScheduler-plateau": (lambda S, o: S.ChainedScheduler([S.ReduceLROnPlateau(o)]),
                                 {}),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_argument_errors_match_pytorch(kind):
    make, kwargs = BAD[kind]
    ours, theirs = _error(mt, make, **kwargs), _error(torch, make, **kwargs)
    assert theirs is not None and type(ours) is type(theirs), (ours, theirs)
    assert str(ours) == str(theirs)


def test_schedulers_of_another_optimizer_are_refused_like_pytorch():
    for T in (mt, torch):
        opt, other = make_optimizer(T), make_optimizer(T)
        S = T.optim.lr_scheduler
        with pytest.raises(ValueError, match="expects all schedulers to belong to the same"):
            S.SequentialLR(opt, [S.ConstantLR(opt), S.ConstantLR(other)], milestones=[2])
        with pytest.raises(ValueError, match="expects all schedulers to belong to the same"):
            S.ChainedScheduler([S.ConstantLR(opt), S.ConstantLR(other)])


def test_every_pytorch_scheduler_class_exists():
    names = [n for n in dir(torch.optim.lr_scheduler)
             if isinstance(getattr(torch.optim.lr_scheduler, n), type)
             and issubclass(getattr(torch.optim.lr_scheduler, n),
                            torch.optim.lr_scheduler.LRScheduler)]
    missing = [n for n in names if not hasattr(mt.optim.lr_scheduler, n)]
    assert not missing
