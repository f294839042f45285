"""The fused Numba kernels of Adamax, NAdam and RAdam (kernels/cpu/optim.py) against their
array formulas: the same update run on C-order arrays (kernel) and Fortran-order arrays
(formulas) gives the same numbers, and exactly one kernel call happens."""
from __future__ import annotations

import numpy as np
import pytest

from minitorch_nn.optim import adamax, nadam, radam
from minitorch_nn.optim.optimizer import FusedKernel

TOL = {"float64": dict(rtol=1e-12, atol=1e-14), "float32": dict(rtol=2e-6, atol=1e-7)}


def arrays(dtype, n, positive=()):
    rng = np.random.default_rng(3)
    out = []
    for i in range(n):
        a = rng.standard_normal((4, 5))
        out.append((np.abs(a) + 0.1 if i in positive else a).astype(dtype))
    return out


def both(update, arrays_in, args, monkeypatch):
    called = []
    real = FusedKernel.__call__

    def spy(self, *arrs):
        kernel = real(self, *arrs)
        if kernel is None:
            return None
        return lambda *a: (called.append(self.name), kernel(*a))
    monkeypatch.setattr(FusedKernel, "__call__", spy)
    fast = [np.ascontiguousarray(a).copy() for a in arrays_in]
    slow = [np.array(a, order="F") for a in arrays_in]
    update(*fast, *args)
    assert len(called) == 1
    update(*slow, *args)
    assert len(called) == 1
    return fast, slow


CASES = {
    "adamax": (adamax.adamax_update, 4, (3,), [
        (3.0, 0.01, 0.9, 0.999, 1e-8, 0.0, False), (7.0, 0.05, 0.5, 0.8, 1e-3, 0.1, True)]),
    "nadam": (nadam.nadam_update, 4, (3,), [
        (3.0, 0.3, 0.45, 0.46, 0.01, 0.9, 0.999, 1e-8, 0.0, False, False),
        (5.0, 0.1, 0.44, 0.45, 0.05, 0.8, 0.9, 1e-3, 0.1, True, False),
        (5.0, 0.1, 0.44, 0.45, 0.05, 0.8, 0.9, 1e-3, 0.1, False, True)]),
    "radam": (radam.radam_update, 4, (3,), [
        (2.0, 0.01, 0.9, 0.999, 1e-8, 0.0, False, False),
        (9.0, 0.05, 0.8, 0.7, 1e-3, 0.1, True, False),
        (9.0, 0.05, 0.8, 0.7, 1e-3, 0.1, False, True)]),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(CASES))
def test_kernel_equals_formulas(name, dtype, monkeypatch):
    update, n, positive, arg_sets = CASES[name]
    for args in arg_sets:
        fast, slow = both(update, arrays(dtype, n, positive), args, monkeypatch)
        for a, b in zip(fast, slow):
            np.testing.assert_allclose(a, b, **TOL[dtype])
            assert a.dtype == np.dtype(dtype)


DEVICE_CASES = [("Adamax", {"lr": 0.05, "weight_decay": 0.1}), ("NAdam", {"lr": 0.05}),
                ("RAdam", {"lr": 0.05, "betas": (0.8, 0.7)}), ("Adadelta", {}),
                ("Rprop", {"lr": 0.1}), ("ASGD", {"lr": 0.05, "t0": 2}),
                ("Adafactor", {"lr": 0.05}), ("SparseAdam", {"lr": 0.05}),
                ("LBFGS", {"max_iter": 3})]


@pytest.mark.parametrize("name,kwargs", DEVICE_CASES, ids=[c[0] for c in DEVICE_CASES])
def test_cuda_parameters_follow_the_cpu(name, kwargs):
    """The same steps on cuda parameters (CuPy arrays: the array formulas) as on the CPU."""
    import minitorch_nn as mt
    if not mt.cuda.is_available():
        pytest.skip("no GPU (run with --fake-gpu for the CuPy paths)")
    init = np.random.default_rng(5).standard_normal((3, 4))
    results = []
    for device in ("cpu", "cuda"):
        w = mt.tensor(init, device=device, requires_grad=True)
        opt = getattr(mt.optim, name)([w], **kwargs)

        def closure():
            opt.zero_grad()
            loss = (w * w * w * w).sum() + (w * w).sum()
            loss.backward()
            return loss
        for _ in range(4):
            opt.step(closure)
        assert w.device.type == device
        results.append(w.detach().cpu().numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-10, atol=1e-12)
