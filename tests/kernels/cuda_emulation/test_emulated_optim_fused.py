"""The CUDA twins of adamax/nadam/radam/adadelta/rprop/asgd_update (optim.cu) on the emulator.

Each update runs two steps (state buffers read back) with the CUDA launcher and with the
Numba kernel of kernels/cpu/optim.py, and against the optimizer's own array formulas (the
update function of minitorch_nn/optim on Fortran-order arrays, which never take a kernel).
Then whole optimizers run with their kernels routed to the CUDA launchers, against the
Numba run, asserting the CUDA kernel was launched.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from kernel_checks import DTYPES, assert_close, kernels
from minitorch_nn.array_backends import route_kernels
from minitorch_nn.optim import adadelta, adamax, asgd, nadam, radam, rprop
from minitorch_nn.optim.radam import _rectification

N = 1003   # not a multiple of any block size


def _arrays(dtype, count, seed, positive=()):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        a = rng.standard_normal(N)
        out.append((np.abs(a) + 0.1 if i in positive else a).astype(dtype))
    return out


def _check(name, dtype, arrays, steps, formula):
    """Two steps of `name` on the CUDA launcher, the Numba kernel and `formula`: `steps`
    is a list of (kernel scalars, formula arguments), one per step."""
    cuda, cpu = kernels("optim", name)
    runs = []
    for fn in (cuda, cpu):
        state = [a.copy() for a in arrays]
        for scalars, _ in steps:
            fn(*state, *scalars)
        runs.append(state)
    ref = [_strided(a) for a in arrays]   # not contiguous: the formulas, never a kernel
    with np.errstate(all="ignore"):
        for _, args in steps:
            formula(*ref, *args)
    np.testing.assert_array_equal(runs[0][1], arrays[1])   # the gradient is never written
    for i, (gpu, numba, host) in enumerate(zip(*runs, ref)):
        assert_close(gpu, numba, err_msg=f"{name}: array {i} (CUDA vs Numba)")
        assert_close(gpu, host, scale=10, err_msg=f"{name}: array {i} (formulas)")


def _strided(a):
    """A copy of `a` as every other element of a buffer twice as long."""
    out = np.full(2 * a.size, np.nan, a.dtype)[::2]
    out[...] = a
    assert not out.flags.c_contiguous
    return out


def _c(dtype, *values):
    return tuple(v if isinstance(v, bool) else dtype(v) for v in values)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight_decay, maximize", [(0.0, False), (0.1, True)])
def test_adamax_update(emu, dtype, weight_decay, maximize):
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    steps = [(_c(dtype, b1, 1 - b1, b2, eps, weight_decay, -(lr / (1 - b1 ** t))) + (maximize,),
              (t, lr, b1, b2, eps, weight_decay, maximize)) for t in (1, 2)]
    _check("adamax_update", dtype, _arrays(dtype, 4, 1, positive=(3,)), steps,
           adamax.adamax_update)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight_decay, maximize, decoupled", [
    (0.0, False, False), (0.1, True, False), (0.1, False, True)])
def test_nadam_update(emu, dtype, weight_decay, maximize, decoupled):
    lr, b1, b2, eps, md = 0.01, 0.9, 0.999, 1e-8, 4e-3
    steps, mu_product = [], 1.0
    for t in (1, 2):
        mu = b1 * (1 - 0.5 * 0.96 ** (t * md))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * md))
        mu_product *= mu
        scalars = _c(dtype, b1, 1 - b1, b2, 1 - b2, eps, weight_decay, 1 - lr * weight_decay,
                     1 - b2 ** t, -lr * (1 - mu) / (1 - mu_product),
                     (-lr * mu_next) / (1 - mu_product * mu_next)) + (maximize, decoupled)
        steps.append((scalars, (t, mu_product, mu, mu_next, lr, b1, b2, eps, weight_decay,
                                maximize, decoupled)))
    _check("nadam_update", dtype, _arrays(dtype, 4, 2, positive=(3,)), steps,
           nadam.nadam_update)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("first_step, betas, weight_decay, maximize, decoupled", [
    (1, (0.9, 0.999), 0.0, False, False),    # rho_t <= 5: plain momentum
    (8, (0.8, 0.9), 0.1, True, False),       # rectified: rho_t > 5
    (8, (0.8, 0.9), 0.1, False, True),
])
def test_radam_update(emu, dtype, first_step, betas, weight_decay, maximize, decoupled):
    lr, eps = 0.01, 1e-8
    b1, b2 = betas
    steps = []
    for t in (first_step, first_step + 1):
        rect = _rectification(t, b2)
        scalars = _c(dtype, b1, 1 - b1, b2, 1 - b2, eps, weight_decay, 1 - lr * weight_decay,
                     1 - b1 ** t, lr, (1 - b2 ** t) ** 0.5, rect or 0.0)
        steps.append((scalars + (rect is not None, maximize, decoupled),
                      (t, lr, b1, b2, eps, weight_decay, maximize, decoupled)))
    _check("radam_update", dtype, _arrays(dtype, 4, 3, positive=(3,)), steps,
           radam.radam_update)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lr, rho, eps, weight_decay, maximize", [
    (1.0, 0.9, 1e-6, 0.0, False), (0.5, 0.8, 1e-3, 0.1, True), (0.3, 0.0, 1e-6, 0.0, False)])
def test_adadelta_update(emu, dtype, lr, rho, eps, weight_decay, maximize):
    steps = [(_c(dtype, lr, rho, 1 - rho, eps, weight_decay) + (maximize,),
              (lr, rho, eps, weight_decay, maximize))] * 2
    _check("adadelta_update", dtype, _arrays(dtype, 4, 4, positive=(2, 3)), steps,
           adadelta.adadelta_update)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("etas, sizes, maximize", [
    ((0.5, 1.2), (1e-6, 50.0), False), ((0.3, 1.5), (0.2, 0.9), True),
    ((0.5, 1.2), (1e-6, np.inf), False), ((0.5, 1.2), (2.0, 1.0), False)])
def test_rprop_update(emu, dtype, etas, sizes, maximize):
    p, g, prev, size = _arrays(dtype, 4, 5, positive=(3,))
    size = size * dtype(0.1)
    g[:4] = [np.nan, 0.0, -0.0, np.inf]            # PyTorch's sign: NaN counts as 0
    prev[10:13] = [np.nan, 0.0, np.inf]
    size[20:22] = [np.nan, np.inf]
    g[100:300] = -prev[100:300]                      # sign flips
    steps = [(_c(dtype, etas[0], etas[1], sizes[0], sizes[1]) + (maximize,),
              (etas[0], etas[1], sizes[0], sizes[1], maximize))] * 2
    _check("rprop_update", dtype, [p, g, prev, size], steps, rprop.rprop_update)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("eta, mu, lambd, weight_decay, maximize", [
    (0.01, 1.0, 1e-4, 0.0, False), (0.05, 0.25, 1e-2, 0.1, True), (0.02, 0.5, 0.0, 0.0, False)])
def test_asgd_update(emu, dtype, eta, mu, lambd, weight_decay, maximize):
    steps = [(_c(dtype, 1 - lambd * eta, eta, mu, weight_decay) + (maximize, mu != 1),
              (eta, mu, lambd, weight_decay, maximize))] * 2
    _check("asgd_update", dtype, _arrays(dtype, 3, 6), steps, asgd.asgd_update)


OPTIMIZERS = [
    ("adamax_update", lambda ps: mt.optim.Adamax(ps, lr=0.05, weight_decay=0.1)),
    ("nadam_update", lambda ps: mt.optim.NAdam(ps, lr=0.05, decoupled_weight_decay=True,
                                               weight_decay=0.1)),
    ("radam_update", lambda ps: mt.optim.RAdam(ps, lr=0.05, betas=(0.9, 0.9))),
    ("adadelta_update", lambda ps: mt.optim.Adadelta(ps, weight_decay=0.1, maximize=True)),
    ("rprop_update", lambda ps: mt.optim.Rprop(ps, lr=0.1)),
    ("asgd_update", lambda ps: mt.optim.ASGD(ps, lr=0.05, t0=2)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel, make", OPTIMIZERS, ids=[k for k, _ in OPTIMIZERS])
def test_optimizer_steps_through_the_cuda_kernels(emu, dtype, kernel, make):
    """The optimizers' own kernel calls (argument order, casts, flags) meet the CUDA kernel:
    six steps equal the Numba run; RAdam's betas rectify step 6."""
    rng = np.random.default_rng(7)
    start = rng.standard_normal((5, 7)).astype(dtype)
    grads = [rng.standard_normal((5, 7)).astype(dtype) for _ in range(6)]

    def train():
        p = mt.tensor(start.copy(), requires_grad=True)
        opt = make([p])
        for g in grads:
            p.grad = mt.tensor(g)
            opt.step()
        return p.detach()._data

    expected = train()
    with route_kernels(np.ndarray, "minitorch_nn.kernels.cuda"):
        actual = train()
    launched = [k for _, k, _, _ in emu.launches]
    assert launched.count(kernel) == len(grads), launched
    assert actual.dtype == expected.dtype == np.dtype(dtype)
    assert_close(actual, expected, scale=10)
