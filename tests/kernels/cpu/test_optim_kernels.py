"""The fused Numba optimizer kernels (kernels/cpu/optim.py) against the array formulas.

Each update function picks the kernel for float32/float64 C-contiguous CPU arrays and the
numpy formulas otherwise. Running it on the same numbers laid out both ways (C order vs
Fortran order) exercises both paths; a spy on `FusedKernel` proves which one ran.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minitorch_nn.optim import adagrad, adam, rmsprop, sgd
from minitorch_nn.optim.optimizer import FusedKernel

SHAPE = (4, 5)
TOL = {"float64": dict(rtol=1e-12, atol=1e-14), "float32": dict(rtol=2e-6, atol=1e-7)}


def arrays(dtype, n, seed=0, positive=()):
    """n random arrays of SHAPE; those at indices in `positive` are > 0 (second moments)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        a = rng.standard_normal(SHAPE)
        out.append((np.abs(a) + 0.1 if i in positive else a).astype(dtype))
    return out


def run_both(module, update, arrays_in, args, monkeypatch):
    """Run `update(*arrays, *args)` through the kernel (C order) and the formulas (Fortran
    order); return both results (as C-order copies) and the kernels called."""
    called = []
    real = FusedKernel.__call__

    def spy(self, *arrays):
        kernel = real(self, *arrays)
        if kernel is None:
            return None

        def counted(*args):
            called.append(self.name)
            return kernel(*args)
        return counted

    monkeypatch.setattr(FusedKernel, "__call__", spy)
    fast = [None if a is None else np.ascontiguousarray(a).copy() for a in arrays_in]
    slow = [None if a is None else np.array(a, order="F") for a in arrays_in]
    update(*fast, *args)
    n_fast_calls = len(called)
    update(*slow, *args)
    assert n_fast_calls == 1 and len(called) == 1, "expected exactly one kernel call (C order)"
    return fast, [None if a is None else np.ascontiguousarray(a) for a in slow]


def assert_same(fast, slow, dtype):
    for i, (a, b) in enumerate(zip(fast, slow)):
        if a is None:
            assert b is None
            continue
        assert a.dtype == b.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a, b, **TOL[dtype], err_msg=f"array {i} differs")


DTYPES = ["float32", "float64"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum,dampening,weight_decay,nesterov,maximize,init", [
    (0.0, 0.0, 0.0, False, False, False),
    (0.9, 0.0, 0.0, False, False, True),
    (0.9, 0.3, 0.1, False, False, False),
    (0.8, 0.0, 0.2, True, True, False),
    (0.0, 0.0, 0.5, False, True, False),
])
def test_sgd_kernel_equals_formula(dtype, momentum, dampening, weight_decay, nesterov,
                                   maximize, init, monkeypatch):
    p, g, buf = arrays(dtype, 3)
    if momentum == 0:
        buf = None
    fast, slow = run_both(sgd, sgd.sgd_update, [p, g, buf],
                          (0.1, momentum, dampening, weight_decay, nesterov, maximize, init),
                          monkeypatch)
    assert_same(fast, slow, dtype)
    assert not np.array_equal(fast[0], p), "the parameter must change"
    np.testing.assert_array_equal(fast[1], g)   # the gradient is never written


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("amsgrad,weight_decay,maximize,decoupled,betas", [
    (False, 0.0, False, False, (0.9, 0.999)),
    (True, 0.0, False, False, (0.9, 0.999)),
    (False, 0.1, True, False, (0.3, 0.5)),      # beta1 < 0.5: the other lerp branch
    (True, 0.2, False, True, (0.9, 0.99)),
])
def test_adam_kernel_equals_formula(dtype, amsgrad, weight_decay, maximize, decoupled, betas,
                                    monkeypatch):
    p, g, m, v, vmax = arrays(dtype, 5, seed=1, positive=(3, 4))
    if not amsgrad:
        vmax = None
    args = (3.0, 0.05, betas[0], betas[1], 1e-8, weight_decay, maximize, decoupled)
    fast, slow = run_both(adam, adam.adam_update, [p, g, m, v, vmax], args, monkeypatch)
    assert_same(fast, slow, dtype)
    if amsgrad:
        assert (fast[4] >= vmax).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("centered,momentum,weight_decay,maximize,alpha", [
    (False, 0.0, 0.0, False, 0.99),
    (True, 0.0, 0.0, False, 0.99),
    (False, 0.5, 0.1, True, 0.9),
    (True, 0.5, 0.1, False, 0.3),              # alpha < 0.5 in the centered lerp
])
def test_rmsprop_kernel_equals_formula(dtype, centered, momentum, weight_decay, maximize,
                                       alpha, monkeypatch):
    p, g, sq, ga, buf = arrays(dtype, 5, seed=2, positive=(2,))
    ga = ga * 0.1 if centered else None        # keeps sq - ga^2 > 0
    buf = buf if momentum > 0 else None
    args = (0.01, alpha, 1e-8, weight_decay, momentum, maximize)
    fast, slow = run_both(rmsprop, rmsprop.rmsprop_update, [p, g, sq, ga, buf], args,
                          monkeypatch)
    assert_same(fast, slow, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight_decay,maximize", [(0.0, False), (0.1, True)])
def test_adagrad_kernel_equals_formula(dtype, weight_decay, maximize, monkeypatch):
    p, g, s = arrays(dtype, 3, seed=3, positive=(2,))
    fast, slow = run_both(adagrad, adagrad.adagrad_update, [p, g, s],
                          (0.05, 1e-10, weight_decay, maximize), monkeypatch)
    assert_same(fast, slow, dtype)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), lr=st.floats(1e-4, 1.0), beta1=st.floats(0.0, 0.99),
       beta2=st.floats(0.0, 0.999), step=st.integers(1, 50), seed=st.integers(0, 2 ** 16),
       dtype=st.sampled_from(DTYPES))
def test_adam_kernel_equals_formula_on_random_settings(n, lr, beta1, beta2, step, seed,
                                                       dtype):
    rng = np.random.default_rng(seed)
    p, g, m = (rng.standard_normal(n).astype(dtype) for _ in range(3))
    v = np.abs(rng.standard_normal(n)).astype(dtype)
    args = (float(step), lr, beta1, beta2, 1e-8, 0.01, False, False)
    fast = [a.copy() for a in (p, g, m, v)]
    adam.adam_update(*fast, None, *args)
    slow = [a.copy() for a in (p, g, m, v)]
    bc1, bc2 = 1 - beta1 ** step, 1 - beta2 ** step
    adam._adam_formula(*slow, None, lr, beta1, beta2, 1e-8, 0.01, lr / bc1, bc2 ** 0.5, False,
                       False)
    assert_same(fast, slow, dtype)


def _use_kernel(*arrays) -> bool:
    return FusedKernel("sgd_update")(*arrays) is not None


def test_kernel_path_rules():
    c64 = np.zeros(3)
    assert _use_kernel(c64, np.ones(3))
    assert _use_kernel(np.zeros(3, np.float32), np.ones(3, np.float32))
    assert not _use_kernel(np.zeros(3, np.float16), np.ones(3, np.float16))
    assert not _use_kernel(c64, np.ones(3, np.float32))              # mixed dtypes
    assert not _use_kernel(np.zeros((3, 4)).T, np.ones((4, 3)))      # not C-contiguous
    frozen = np.ones(3)
    frozen.flags.writeable = False
    assert not _use_kernel(c64, frozen)


def test_formula_path_handles_float16_storage():
    """float16 state computes in float32 and rounds on store (no Numba involved)."""
    p, g, m, v = arrays("float16", 4, seed=5, positive=(3,))
    ref = [a.astype(np.float32) for a in (p, g, m, v)]
    adam.adam_update(p, g, m, v, None, 1.0, 0.1, 0.9, 0.999, 1e-8, 0.0, False, False)
    adam.adam_update(*ref, None, 1.0, 0.1, 0.9, 0.999, 1e-8, 0.0, False, False)
    assert p.dtype == np.float16
    np.testing.assert_allclose(p.astype(np.float32), ref[0], rtol=2e-3, atol=2e-3)
