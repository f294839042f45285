"""Optimizers against PyTorch: the same parameters after every step, state dicts, groups, errors.

Each trajectory test runs N=5 steps of a fixed quadratic loss
    L(p) = sum(c * p * p) + sum(b * p)      (gradient 2 c p + b)
from the same starting parameters in minitorch_nn and in PyTorch, and compares the
parameters after every step (float64: to 1e-6 absolute, in practice ~1e-15) and the final
optimizer state.
"""
from __future__ import annotations

import pathlib
import re
import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn import optim

torch = pytest.importorskip("torch")

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHAPES = [(3, 4), (5,)]
_rng = np.random.default_rng(1234)
INIT = [_rng.standard_normal(s) for s in SHAPES]
COEF = [_rng.uniform(0.5, 2.0, s) for s in SHAPES]
LIN = [_rng.standard_normal(s) for s in SHAPES]


def make_params(T, dtype="float64", init=INIT):
    return [T.tensor(a.copy(), dtype=getattr(T, dtype), requires_grad=True) for a in init]


def quadratic_loss(T, params, dtype="float64"):
    d = getattr(T, dtype)
    total = None
    for p, c, b in zip(params, COEF, LIN):
        term = (T.tensor(c, dtype=d) * p * p).sum() + (T.tensor(b, dtype=d) * p).sum()
        total = term if total is None else total + term
    return total


def train(T, opt, params, steps, dtype="float64"):
    """`steps` optimizer steps; the parameters (as float64 numpy) after each one."""
    history = []
    for _ in range(steps):
        opt.zero_grad()
        quadratic_loss(T, params, dtype).backward()
        opt.step()
        history.append([p.detach().double().numpy().copy() for p in params])
    return history


def run(T, name, kwargs, steps=5, dtype="float64"):
    params = make_params(T, dtype)
    opt = getattr(T.optim, name)(params, **kwargs)
    return train(T, opt, params, steps, dtype), opt, params


def assert_histories_close(ours, theirs, atol, rtol=0.0):
    for step, (a_step, b_step) in enumerate(zip(ours, theirs)):
        for a, b in zip(a_step, b_step):
            np.testing.assert_allclose(a, b, atol=atol, rtol=rtol,
                                       err_msg=f"parameters differ after step {step + 1}")


def as_numpy(value):
    if isinstance(value, (mt.Tensor, torch.Tensor)):
        return np.asarray(value.detach().double().numpy())
    return value


def assert_states_equal(our_opt, our_params, torch_opt, torch_params, atol=1e-9):
    for p, tp in zip(our_params, torch_params):
        ours, theirs = our_opt.state[p], torch_opt.state[tp]
        assert set(ours) == set(theirs)
        for key in theirs:
            np.testing.assert_allclose(as_numpy(ours[key]), as_numpy(theirs[key]), atol=atol,
                                       err_msg=f"state[{key!r}] differs")


CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.2,
             "maximize": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.5, "maximize": True}),
    ("Adam", {"lr": 0.1}),
    ("Adam", {"lr": 0.1, "betas": (0.5, 0.9), "eps": 1e-3}),
    ("Adam", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.1, "amsgrad": True, "weight_decay": 0.2, "maximize": True}),
    ("Adam", {"lr": 0.1, "betas": (0.3, 0.5), "decoupled_weight_decay": True,
              "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.1}),
    ("AdamW", {"lr": 0.1, "weight_decay": 0.3, "amsgrad": True}),
    ("AdamW", {"lr": 0.1, "weight_decay": 0.3, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.3, "eps": 1e-4}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1,
                 "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "eps": 1e-3, "maximize": True}),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, kw in CASES]


# ---------------------------------------------------------------------- trajectories
@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_trajectory_matches_pytorch_float64(name, kwargs):
    ours, our_opt, our_params = run(mt, name, kwargs)
    theirs, torch_opt, torch_params = run(torch, name, kwargs)
    assert_histories_close(ours, theirs, atol=1e-6)
    assert_states_equal(our_opt, our_params, torch_opt, torch_params)


@pytest.mark.parametrize("name,kwargs", CASES[::3], ids=IDS[::3])
def test_trajectory_matches_pytorch_float32(name, kwargs):
    ours, our_opt, _ = run(mt, name, kwargs, dtype="float32")
    theirs, _, _ = run(torch, name, kwargs, dtype="float32")
    assert_histories_close(ours, theirs, atol=1e-5, rtol=1e-5)
    for state in our_opt.state.values():
        for key, value in state.items():
            if key != "step":
                assert value.dtype is mt.float32


def test_param_groups_with_different_lrs_match_pytorch():
    def build(T):
        params = make_params(T)
        opt = T.optim.SGD([{"params": [params[0]], "lr": 0.2},
                           {"params": [params[1]], "momentum": 0.5}], lr=0.05, momentum=0.9)
        return opt, params
    our_opt, our_params = build(mt)
    torch_opt, torch_params = build(torch)
    assert [g["lr"] for g in our_opt.param_groups] == [0.2, 0.05]
    assert [g["momentum"] for g in our_opt.param_groups] == [0.9, 0.5]
    assert_histories_close(train(mt, our_opt, our_params, 5),
                           train(torch, torch_opt, torch_params, 5), atol=1e-6)


def test_lr_changed_in_group_takes_effect():
    ours = train(mt, *_adam_lr_changed(mt))
    theirs = train(torch, *_adam_lr_changed(torch))
    assert_histories_close(ours, theirs, atol=1e-6)


def _adam_lr_changed(T):
    params = make_params(T)
    opt = T.optim.Adam(params, lr=0.1)
    train(T, opt, params, 2)
    opt.param_groups[0]["lr"] = 0.01
    return opt, params, 3


def test_tensor_lr_matches_float_lr():
    params = make_params(mt)
    opt = optim.SGD(params, lr=mt.tensor(0.1), momentum=0.9)
    ours = train(mt, opt, params, 3)
    theirs, _, _ = run(torch, "SGD", {"lr": 0.1, "momentum": 0.9}, steps=3)
    assert_histories_close(ours, theirs, atol=1e-6)


def test_parameters_without_grad_are_skipped():
    a, b = make_params(mt)
    opt = optim.Adam([a, b], lr=0.1)
    (a * a).sum().backward()
    before = b.detach().numpy().copy()
    opt.step()
    np.testing.assert_array_equal(b.detach().numpy(), before)
    assert len(opt.state[a]) == 3 and b not in opt.state


def test_step_bumps_version_and_keeps_leaves():
    p = mt.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    version = p._version
    opt.step()
    assert p._version == version + 1
    assert p.is_leaf and p.requires_grad and p.grad_fn is None


def test_step_runs_under_no_grad_and_closure_with_grad():
    p = mt.tensor([1.0, -1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.5)
    seen = {}

    def closure():
        seen["grad_enabled"] = mt.is_grad_enabled()
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert seen["grad_enabled"] is True
    assert loss.item() == 2.0
    np.testing.assert_allclose(p.detach().numpy(), [0.0, 0.0])


def test_zero_grad_set_to_none_and_to_zero():
    p = mt.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0])
    opt.zero_grad()
    assert p.grad is None


def test_adam_state_layout_matches_pytorch():
    for T in (mt, torch):
        params = make_params(T)
        opt = T.optim.Adam(params, amsgrad=True)
        train(T, opt, params, 1)
        state = opt.state[params[0]]
        assert sorted(state) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]
        assert state["step"].dim() == 0 and state["step"].item() == 1.0
        assert str(state["step"].dtype).endswith("float32")


def test_adagrad_state_is_created_at_construction_and_for_new_groups():
    a, b = make_params(mt)
    opt = optim.Adagrad([a], lr=0.1, initial_accumulator_value=0.25)
    assert opt.state[a]["step"].item() == 0.0
    np.testing.assert_array_equal(opt.state[a]["sum"].numpy(), np.full(a.shape, 0.25))
    opt.add_param_group({"params": [b]})
    (b * b).sum().backward()
    opt.step()
    assert opt.state[b]["step"].item() == 1.0


def test_low_precision_parameters_take_the_array_path():
    """float16/bfloat16 parameters update through the array formulas (Numba rejects them)
    and land close to the float32 trajectory."""
    ref, _, _ = run(mt, "Adam", {"lr": 0.05}, steps=3, dtype="float32")
    for dtype in ("float16", "bfloat16"):
        got, opt, params = run(mt, "Adam", {"lr": 0.05}, steps=3, dtype=dtype)
        assert params[0].dtype is getattr(mt, dtype)
        assert opt.state[params[0]]["exp_avg"].dtype is getattr(mt, dtype)
        assert_histories_close(got, ref, atol=0.05)


def test_complex_parameters_match_pytorch():
    z0 = np.array([1 + 2j, -0.5 + 0.25j])
    results = []
    for T in (mt, torch):
        z = T.tensor(z0.copy(), requires_grad=True)
        opt = T.optim.Adam([z], lr=0.1)
        for _ in range(3):
            opt.zero_grad()
            z.grad = T.tensor(np.array([0.5 - 1j, 2 + 0.5j]))
            opt.step()
        results.append(z.detach().numpy().copy())
    np.testing.assert_allclose(results[0], results[1], atol=1e-12)


# ---------------------------------------------------------------------- state dicts
@pytest.mark.parametrize("name,kwargs", [CASES[2], CASES[10], CASES[19], CASES[21]],
                         ids=[IDS[2], IDS[10], IDS[19], IDS[21]])
def test_state_dict_round_trip_continues_the_same_trajectory(name, kwargs):
    params = make_params(mt)
    opt = getattr(optim, name)(params, **kwargs)
    train(mt, opt, params, 3)
    snapshot = [p.detach().numpy().copy() for p in params]
    saved = opt.state_dict()

    clones = make_params(mt, init=snapshot)
    restored = getattr(optim, name)(clones, **kwargs)
    restored.load_state_dict(saved)
    ours = train(mt, restored, clones, 2)

    theirs_params = make_params(torch)
    theirs_opt = getattr(torch.optim, name)(theirs_params, **kwargs)
    theirs = train(torch, theirs_opt, theirs_params, 5)[3:]
    assert_histories_close(ours, theirs, atol=1e-6)


def test_state_dict_format_matches_pytorch():
    def build(T):
        params = make_params(T)
        opt = T.optim.Adam([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.5}])
        train(T, opt, params, 1)
        return opt.state_dict()
    ours, theirs = build(mt), build(torch)
    assert list(ours) == ["state", "param_groups"]
    assert list(ours["state"]) == list(theirs["state"]) == [0, 1]
    assert [g["params"] for g in ours["param_groups"]] == [[0], [1]]
    assert ours["param_groups"] == theirs["param_groups"]
    for index in (0, 1):
        for key, value in theirs["state"][index].items():
            np.testing.assert_allclose(as_numpy(ours["state"][index][key]), as_numpy(value))


def test_state_dict_loads_into_pytorch_and_back():
    """A state dict moves across libraries (tensors converted through numpy)."""
    params = make_params(mt)
    opt = optim.RMSprop(params, lr=0.01, momentum=0.3, centered=True)
    train(mt, opt, params, 2)
    sd = opt.state_dict()
    converted = {"state": {k: {n: torch.from_numpy(v.numpy().copy()) for n, v in s.items()}
                           for k, s in sd["state"].items()},
                 "param_groups": sd["param_groups"]}
    torch_params = make_params(torch, init=[p.detach().numpy().copy() for p in params])
    torch_opt = torch.optim.RMSprop(torch_params)
    torch_opt.load_state_dict(converted)
    assert_histories_close(train(mt, opt, params, 2), train(torch, torch_opt, torch_params, 2),
                           atol=1e-6)


def test_load_state_dict_casts_state_to_the_parameter_dtype_but_not_step():
    p64 = make_params(mt)
    opt = optim.Adam(p64)
    train(mt, opt, p64, 1)
    p32 = make_params(mt, dtype="float32")
    opt32 = optim.Adam(p32)
    opt32.load_state_dict(opt.state_dict())
    assert opt32.state[p32[0]]["exp_avg"].dtype is mt.float32
    assert opt32.state[p32[0]]["step"].dtype is mt.float32
    assert all(a is b for a, b in zip(opt32.param_groups[0]["params"], p32))


def test_load_state_dict_errors_match_pytorch():
    for T in (mt, torch):
        a, b = make_params(T)
        sd = T.optim.SGD([a, b], lr=0.1).state_dict()
        with pytest.raises(ValueError, match="different number of parameter groups"):
            T.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
        with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
            T.optim.SGD([a], lr=0.1).load_state_dict(sd)


# ---------------------------------------------------------------------- groups and errors
@pytest.mark.parametrize("T", [mt, torch], ids=["minitorch_nn", "torch"])
def test_single_tensor_params_is_refused(T):
    p = T.zeros(3, requires_grad=True)
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an "
                                        "iterable of Tensors or dicts, but got "
                                        "torch.FloatTensor"):
        T.optim.SGD(p, lr=0.1)


@pytest.mark.parametrize("T", [mt, torch], ids=["minitorch_nn", "torch"])
def test_param_group_errors(T):
    a, b = make_params(T)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        T.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter "
                                         "group"):
        T.optim.SGD([{"params": [a]}, {"params": [a, b]}], lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the "
                                        "params is int"):
        T.optim.SGD([a, 3], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        T.optim.SGD([a * 2], lr=0.1)
    with pytest.raises(TypeError, match="param_group must be a dict"):
        T.optim.SGD([a], lr=0.1).add_param_group([b])
    with pytest.raises(TypeError, match="ordered collections"):
        T.optim.SGD([{"params": {a}}], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        T.optim.SGD([a, a], lr=0.1)


@pytest.mark.parametrize("T", [mt, torch], ids=["minitorch_nn", "torch"])
def test_add_param_group_fills_defaults(T):
    a, b = make_params(T)
    opt = T.optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.3})
    group = opt.param_groups[1]
    assert group["params"][0] is b and group["lr"] == 0.3 and group["momentum"] == 0.9
    assert set(group) == set(opt.param_groups[0])


@pytest.mark.parametrize("T", [mt, torch], ids=["minitorch_nn", "torch"])
def test_named_parameters_are_accepted(T):
    a, b = make_params(T)
    opt = T.optim.SGD([("a", a), ("b", b)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["a", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["a", "b"]


@pytest.mark.parametrize("T", [mt, torch], ids=["minitorch_nn", "torch"])
@pytest.mark.parametrize("ctor,match", [
    (lambda T, p: T.optim.SGD(p, lr=-1), "Invalid learning rate: -1"),
    (lambda T, p: T.optim.SGD(p, momentum=-0.5), "Invalid momentum value: -0.5"),
    (lambda T, p: T.optim.SGD(p, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda T, p: T.optim.SGD(p, nesterov=True), "Nesterov momentum requires a momentum and "
                                                 "zero dampening"),
    (lambda T, p: T.optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True),
     "Nesterov momentum requires a momentum and zero dampening"),
    (lambda T, p: T.optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
    (lambda T, p: T.optim.Adam(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1"),
    (lambda T, p: T.optim.Adam(p, betas=(0, 0.9)), "betas must be either both floats or both "
                                                   "Tensors"),
    (lambda T, p: T.optim.Adam(p, eps=-1.0), "Invalid epsilon value: -1.0"),
    (lambda T, p: T.optim.AdamW(p, weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    (lambda T, p: T.optim.RMSprop(p, alpha=-0.1), "Invalid alpha value: -0.1"),
    (lambda T, p: T.optim.Adagrad(p, lr_decay=-0.1), "Invalid lr_decay value: -0.1"),
    (lambda T, p: T.optim.Adagrad(p, initial_accumulator_value=-1),
     "Invalid initial_accumulator_value value: -1"),
    (lambda T, p: T.optim.SGD(p, lr=T.tensor([0.1, 0.2])), "Tensor lr must be 1-element"),
])
def test_hyper_parameter_errors_match_pytorch(T, ctor, match):
    with pytest.raises(ValueError, match=re.escape(match)):
        ctor(T, make_params(T))


def test_defaults_and_param_group_keys_match_pytorch():
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad"):
        ours = getattr(optim, name)(make_params(mt))
        theirs = getattr(torch.optim, name)(make_params(torch))
        assert ours.defaults == theirs.defaults, name
        assert list(ours.param_groups[0]) == list(theirs.param_groups[0]), name


def test_repr_matches_pytorch():
    ours = optim.SGD(make_params(mt), lr=0.1, momentum=0.9)
    theirs = torch.optim.SGD(make_params(torch), lr=0.1, momentum=0.9)
    assert repr(ours) == repr(theirs)


def test_step_hooks_run_around_step_and_can_be_removed():
    p = mt.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", p.item())))
    opt.register_step_post_hook(lambda o, a, k: calls.append(("post", p.item())))
    (p * p).sum().backward()
    opt.step()
    assert calls == [("pre", 1.0), ("post", pytest.approx(0.8))]
    pre.remove()
    opt.step()
    assert [c[0] for c in calls] == ["pre", "post", "post"]


def test_global_step_hooks_run_for_every_optimizer():
    from minitorch_nn.optim.optimizer import (register_optimizer_step_post_hook,
                                              register_optimizer_step_pre_hook)
    calls = []
    pre = register_optimizer_step_pre_hook(lambda o, a, k: calls.append(("pre", type(o))))
    post = register_optimizer_step_post_hook(lambda o, a, k: calls.append(("post", type(o))))
    try:
        optim.Adam(make_params(mt)).step()
        optim.SGD(make_params(mt)).step()
    finally:
        pre.remove()
        post.remove()
    optim.SGD(make_params(mt)).step()
    assert calls == [("pre", optim.Adam), ("post", optim.Adam), ("pre", optim.SGD),
                     ("post", optim.SGD)]


def test_pre_hook_can_replace_the_arguments():
    p = mt.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)

    def closure():
        return mt.tensor(42.0)
    opt.register_step_pre_hook(lambda o, args, kwargs: ((closure,), {}))
    assert opt.step().item() == 42.0


def test_differentiable_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        optim.Adam(make_params(mt), differentiable=True)


def test_optimizer_pickles_with_its_state():
    import pickle
    params = make_params(mt)
    opt = optim.Adam(params, lr=0.1)
    train(mt, opt, params, 2)
    clone = pickle.loads(pickle.dumps(opt))
    assert clone.param_groups[0]["lr"] == 0.1
    state = list(clone.state.values())[0]
    np.testing.assert_array_equal(state["exp_avg"].numpy(),
                                  opt.state[params[0]]["exp_avg"].numpy())


def test_docs_optim_examples_run():
    text = (ROOT / "docs" / "optim.md").read_text(encoding="utf-8")
    code = "\n".join(re.findall(r"```python\n(.*?)```", text, flags=re.S))
    assert code.strip()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(compile(code, "docs/optim.md", "exec"), {"__name__": "__doc_example__"})
