"""layer_norm's float16/bfloat16 backward on the CPU is PyTorch's: its saved mean and rstd are
rounded to the half type (ops/normalization.py `_row_backward_half`). On short rows with a
small spread that is far from the exact gradient, and ours must still equal PyTorch's."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

torch = pytest.importorskip("torch")


def _grads(T, x, g, dtype, affine):
    d = getattr(T, dtype)
    xt = T.tensor(x, dtype=d, requires_grad=True)
    w = T.tensor(np.linspace(0.5, 1.5, x.shape[1]), dtype=d, requires_grad=True) if affine \
        else None
    y = T.nn.functional.layer_norm(xt, (x.shape[1],), w)
    return [t.float().numpy() for t in
            T.autograd.grad(y, [xt] + ([w] if affine else []), T.tensor(g, dtype=d))]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_two_close_values_give_pytorchs_gradient(dtype):
    x = np.array([[0.8018, 0.9839]])
    g = np.array([[0.12573022, -0.13210486]])
    ours, theirs = _grads(mt, x, g, dtype, False)[0], _grads(torch, x, g, dtype, False)[0]
    np.testing.assert_array_equal(ours, theirs)
    exact = _grads(torch, x, g, "float64", False)[0]
    assert np.abs(ours - exact).max() > 1e-3   # PyTorch's rounding, not the exact gradient


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("affine", [False, True])
def test_random_rows_within_one_half_ulp_of_pytorch(dtype, affine):
    rng = np.random.default_rng(3)
    for _ in range(40):
        d = int(rng.integers(1, 9))
        x = rng.standard_normal((3, d)) * rng.choice([0.01, 0.1, 1.0, 10.0]) + 2.0
        g = rng.standard_normal((3, d))
        for ours, theirs in zip(_grads(mt, x, g, dtype, affine),
                                _grads(torch, x, g, dtype, affine)):
            scale = max(float(np.abs(theirs).max()), 1e-3)
            np.testing.assert_allclose(ours, theirs, rtol=0, atol=scale * 2 ** -7)
