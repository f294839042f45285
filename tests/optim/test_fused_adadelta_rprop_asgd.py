"""The fused kernels of Adadelta, Rprop and ASGD (kernels/cpu/optim.py).

- kernel vs array formulas on the same numbers (C order takes the kernel, Fortran order the
  formulas), bit for bit, with NaN, infinity, zero and sign-flip entries;
- whole trajectories of each optimizer with the kernel and with the kernel switched off
  (equal bit for bit), and against PyTorch in float64 and float32, with weight decay,
  maximize and averaging (ASGD's t0) variants; a spy proves which path ran;
- Rprop on NaN gradients as PyTorch (its sign gives 0 for NaN) on both paths.
"""
from __future__ import annotations

import contextlib

import numpy as np
import pytest

import minitorch_nn as mt
import torch
from minitorch_nn.optim import adadelta, asgd, rprop
from minitorch_nn.optim.optimizer import FusedKernel
from optim_harness import assert_histories_close, make_params, run, train

DTYPES = ["float64", "float32"]


def arrays(dtype, n, positive=(), seed=3, special=False):
    """n random (4, 5) arrays; those in `positive` are > 0. `special` plants NaN, inf,
    zeros and sign flips into the gradient (index 1) and the first state (index 2)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        a = rng.standard_normal((4, 5))
        out.append(np.abs(a) + 0.1 if i in positive else a)
    if special:
        g, prev = out[1], out[2]
        g[0, :4] = [np.nan, 0.0, -0.0, np.inf]
        prev[1, :3] = [np.nan, 0.0, np.inf]
        g[2] = -prev[2]                        # sign flips
    return [a.astype(dtype) for a in out]


@contextlib.contextmanager
def spy_kernels(monkeypatch, enabled=True):
    """Record the fused kernels that run; with enabled=False answer None (the formulas)."""
    called = []
    real = FusedKernel.__call__

    def spy(self, *arrs):
        kernel = real(self, *arrs) if enabled else None
        if kernel is None:
            return None
        return lambda *a: (called.append(self.name), kernel(*a))
    with monkeypatch.context() as m:
        m.setattr(FusedKernel, "__call__", spy)
        yield called


CASES = {   # update, arrays, positive, special, argument sets
    "adadelta": (adadelta.adadelta_update, 4, (2, 3), False, [
        (1.0, 0.9, 1e-6, 0.0, False), (0.5, 0.8, 1e-3, 0.1, True), (0.3, 0.0, 1e-6, 0.2, False),
        (2.0, 1.0, 1e-6, 0.0, False)]),
    "rprop": (rprop.rprop_update, 4, (3,), True, [
        (0.5, 1.2, 1e-6, 50.0, False), (0.3, 1.5, 0.2, 0.9, True),
        (0.5, 1.2, 1e-6, np.inf, False), (0.5, 1.2, 2.0, 1.0, False)]),   # min > max: max
    "asgd": (asgd.asgd_update, 3, (), False, [
        (0.01, 1.0, 1e-4, 0.0, False), (0.05, 0.25, 1e-2, 0.1, True),
        (0.05, 1.0, 1e-2, 0.1, False), (0.02, 0.5, 0.0, 0.0, True)]),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(CASES))
def test_kernel_equals_formulas_bit_for_bit(name, dtype, monkeypatch):
    update, n, positive, special, arg_sets = CASES[name]
    for args in arg_sets:
        start = arrays(dtype, n, positive, special=special)
        if name == "rprop":
            start[3] = np.abs(start[3]) * 0.1 + 0.01          # step sizes
            start[3][3, :2] = [np.nan, np.inf]
        fast = [np.ascontiguousarray(a).copy() for a in start]
        slow = [np.array(a, order="F") for a in start]
        # called directly, outside step() (which silences numpy's inf/nan warnings)
        with spy_kernels(monkeypatch) as called, np.errstate(all="ignore"):
            update(*fast, *args)
            assert called == [f"{name}_update"]
            update(*slow, *args)
            assert called == [f"{name}_update"], "Fortran-order arrays must take the formulas"
        for i, (a, b) in enumerate(zip(fast, slow)):
            assert a.dtype == np.dtype(dtype)
            np.testing.assert_array_equal(a, b, err_msg=f"{name} {args}: array {i}")
        np.testing.assert_array_equal(fast[1], start[1])   # the gradient is never written


TRAJECTORIES = [
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1}),
    ("Adadelta", {"lr": 0.7, "eps": 1e-4, "maximize": True}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.1, "etas": (0.3, 1.5), "maximize": True}),
    ("Rprop", {"lr": 0.2, "step_sizes": (0.01, 0.15)}),
    ("ASGD", {"lr": 0.05}),
    ("ASGD", {"lr": 0.05, "t0": 3, "lambd": 1e-2, "weight_decay": 0.1}),
    ("ASGD", {"lr": 0.02, "t0": 2, "alpha": 0.5, "maximize": True}),
]
IDS = [f"{n}-{k}" for n, k in TRAJECTORIES]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kwargs", TRAJECTORIES, ids=IDS)
def test_trajectory_kernel_vs_formulas_vs_pytorch(name, kwargs, dtype, monkeypatch):
    with spy_kernels(monkeypatch) as called:
        fused, opt, _ = run(mt, name, kwargs, steps=8, dtype=dtype)
    assert called == [f"{name.lower()}_update"] * (3 * 8)   # every parameter, every step
    with spy_kernels(monkeypatch, enabled=False) as called:
        formulas, _, _ = run(mt, name, kwargs, steps=8, dtype=dtype)
    assert called == []
    assert_histories_close(fused, formulas, rtol=0, atol=0)
    theirs, _, _ = run(torch, name, kwargs, steps=8, dtype=dtype)
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == "float64" else dict(rtol=1e-5, atol=1e-6)
    assert_histories_close(fused, theirs, **tol)
    for state in opt.state.values():
        for key, value in state.items():
            if isinstance(value, mt.Tensor) and value.dim() > 0:
                assert value.dtype is getattr(mt, dtype), key


@pytest.mark.parametrize("use_kernel", [True, False])
def test_rprop_nan_gradients_as_pytorch(use_kernel, monkeypatch):
    """PyTorch's sign(NaN) is 0: the step size keeps its value (factor 1) and the parameter
    does not move; `prev` keeps the NaN. Later finite gradients continue normally."""
    grads = [[1.0, np.nan, -1.0, 0.5], [1.0, 1.0, -1.0, np.nan], [-1.0, 2.0, -1.0, 1.0]]
    results = []
    for T in (mt, torch):
        w = T.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        opt = T.optim.Rprop([w], lr=0.1)
        history = []
        for g in grads:
            w.grad = T.tensor(g)
            with spy_kernels(monkeypatch, enabled=use_kernel) as called:
                opt.step()
            if T is mt:
                assert called == (["rprop_update"] if use_kernel else [])
            state = opt.state[w]
            history.append([w.detach().numpy().copy(), state["prev"].numpy().copy(),
                            state["step_size"].numpy().copy()])
        results.append(history)
    for ours, theirs in zip(*results):
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name,kwargs", [("Adadelta", {"weight_decay": 0.1}),
                                         ("Rprop", {"lr": 0.1}),
                                         ("ASGD", {"lr": 0.05, "t0": 2})])
def test_complex_parameters_take_the_kernel_as_pytorch(name, kwargs, monkeypatch):
    """complex64 parameters: seen as pairs of float32 numbers, they take the kernel."""
    init = np.random.default_rng(9).standard_normal((2, 6))
    start = (init[0] + 1j * init[1]).astype(np.complex64)
    results = []
    for T in (mt, torch):
        w = T.tensor(start.copy(), requires_grad=True)
        opt = getattr(T.optim, name)([w], **kwargs)
        with spy_kernels(monkeypatch) as called:
            for _ in range(4):
                opt.zero_grad()
                (w * w.conj() + w).real.sum().backward()
                opt.step()
        if T is mt:
            assert called == [f"{name.lower()}_update"] * 4
        results.append(w.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-6)


def test_a_step_over_mixed_dtypes(monkeypatch):
    """Steps over float32, float64 and float16 parameters: the kernel serves the first two,
    the formulas (float32 compute) the third, all close to PyTorch's steps."""
    rng = np.random.default_rng(11)
    inits = [rng.standard_normal(5) for _ in range(3)]
    dtypes = ["float32", "float64", "float16"]
    results = []
    for T in (mt, torch):
        params = [T.tensor(a, dtype=getattr(T, d), requires_grad=True)
                  for a, d in zip(inits, dtypes)]
        opt = T.optim.Adadelta(params, lr=0.5, weight_decay=0.1)
        with spy_kernels(monkeypatch) as called:
            for _ in range(3):
                opt.zero_grad()
                sum((p.float() ** 2).sum() for p in params).backward()
                opt.step()
        if T is mt:
            assert called == ["adadelta_update"] * 6
        results.append([p.detach().double().numpy() for p in params])
    for a, b, d in zip(results[0], results[1], dtypes):
        tol = {"float64": 1e-12, "float32": 1e-6, "float16": 2e-3}[d]
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_strided_gradient_takes_the_formulas(monkeypatch):
    """A non-contiguous gradient sends the update to the array formulas, same numbers."""
    p_init = np.random.default_rng(12).standard_normal((4, 3))
    g_full = np.random.default_rng(13).standard_normal((3, 4))
    results = []
    for strided in (False, True):
        params = make_params(mt, "float64", [p_init])
        opt = mt.optim.Rprop(params, lr=0.1)
        with spy_kernels(monkeypatch) as called:
            for k in range(3):
                g = mt.tensor(g_full * (k - 1.5))
                params[0].grad = g.T if strided else g.T.contiguous()
                opt.step()
        assert called == ([] if strided else ["rprop_update"] * 3)
        results.append(params[0].detach().numpy())
    np.testing.assert_array_equal(results[0], results[1])


def test_train_helper_runs_the_kernel_for_every_parameter(monkeypatch):
    """Guard for the trajectory tests above: the harness's loss reaches every parameter."""
    params = make_params(mt)
    opt = mt.optim.ASGD(params, lr=0.01)
    with spy_kernels(monkeypatch) as called:
        train(mt, opt, params, 2)
    assert len(called) == 2 * len(params)


ZERO_DIVISION = [("Adadelta", {"eps": 0.0}), ("Adamax", {"eps": 0.0}),
                 ("Adam", {"eps": 0.0, "foreach": False}), ("NAdam", {"eps": 0.0}),
                 ("RMSprop", {"eps": 0.0}),
                 ("Adagrad", {"eps": 0.0})]


@pytest.mark.parametrize("name,kwargs", ZERO_DIVISION, ids=[n for n, _ in ZERO_DIVISION])
def test_zero_division_gives_nan_as_pytorch(name, kwargs, monkeypatch):
    """eps=0 and a zero gradient: 0/0 is NaN in the kernels (numpy's error model), not a
    ZeroDivisionError, as in PyTorch."""
    results = []
    for T in (mt, torch):
        w = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        opt = getattr(T.optim, name)([w], **kwargs)
        w.grad = T.tensor([0.5, 0.0, -1.0])
        with spy_kernels(monkeypatch) as called:
            opt.step()
        if T is mt:
            assert len(called) == 1
        results.append(w.detach().numpy())
    assert np.isnan(results[1][1])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


CUDA_CASES = [("Adamax", {"lr": 0.05}), ("NAdam", {"lr": 0.05}),
              ("RAdam", {"lr": 0.05, "betas": (0.9, 0.9)}), ("Adadelta", {"weight_decay": 0.1}),
              ("Rprop", {"lr": 0.1, "maximize": True}), ("ASGD", {"lr": 0.05, "t0": 2})]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kwargs", CUDA_CASES, ids=[n for n, _ in CUDA_CASES])
def test_cuda_parameters_take_the_cuda_kernel(name, kwargs, dtype, monkeypatch):
    """On cuda (a GPU, or the fake one of --fake-gpu: the emulated CUDA kernels) the step
    takes the CUDA twin, and its trajectory follows the CPU kernel's."""
    if not mt.cuda.is_available():
        pytest.skip("no GPU (run with --fake-gpu for the emulated CUDA kernels)")
    init = np.random.default_rng(5).standard_normal((3, 4))
    results = []
    for device in ("cpu", "cuda"):
        w = mt.tensor(init, dtype=getattr(mt, dtype), device=device, requires_grad=True)
        opt = getattr(mt.optim, name)([w], **kwargs)
        with spy_kernels(monkeypatch) as called:
            for _ in range(7):
                opt.zero_grad()
                ((w * w * w * w).sum() + (w * w).sum()).backward()
                opt.step()
        assert called == [f"{name.lower()}_update"] * 7, device
        results.append(w.detach().cpu().numpy())
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == "float64" else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[1], results[0], **tol)
