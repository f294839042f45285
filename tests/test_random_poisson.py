"""torch.poisson: PyTorch's CPU sampler (Hoermann's transformed rejection for rates >= 10,
products of uniforms below) on the mt19937 stream, so the draws equal PyTorch's; its errors,
dtypes and zero gradient."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

RATES = [np.array([0.5, 3.0, 9.99, 10.0, 25.0, 1000.0, 0.0, 1e-3]), np.linspace(0, 40, 64),
         np.full((3, 4), 1e6), np.array([])]


def test_known_values_without_torch():
    """Taken from torch 2.13: manual_seed(3), rates [0.5, 4, 12, 250] in float64."""
    mt.manual_seed(3)
    out = mt.poisson(mt.tensor([0.5, 4.0, 12.0, 250.0], dtype=mt.float64))
    assert out.tolist() == [0.0, 4.0, 8.0, 246.0]


@needs_torch
@pytest.mark.parametrize("seed", [0, 1, 42, 2 ** 40 + 3])
@pytest.mark.parametrize("rates", RATES, ids=["edges", "ramp", "huge", "empty"])
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16"])
def test_draws_equal_pytorchs(seed, rates, dtype):
    mt.manual_seed(seed)
    torch.manual_seed(seed)
    ours = mt.poisson(mt.tensor(rates, dtype=getattr(mt, dtype)))
    theirs = torch.poisson(torch.tensor(rates, dtype=getattr(torch, dtype)))
    assert ours.dtype == getattr(mt, dtype)
    np.testing.assert_array_equal(ours.float().numpy(), theirs.float().numpy())
    np.testing.assert_array_equal(mt.rand(3, dtype=mt.float64).numpy(),   # streams in step
                                  torch.rand(3, dtype=torch.float64).numpy())


@needs_torch
def test_generator_argument_and_infinite_rate():
    g_ours, g_theirs = mt.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    rates = [float("inf"), 7.0, 30.0]
    np.testing.assert_array_equal(mt.poisson(mt.tensor(rates), g_ours).numpy(),
                                  torch.poisson(torch.tensor(rates), g_theirs).numpy())


def test_statistics():
    mt.manual_seed(0)
    for rate in (0.7, 6.0, 40.0):
        draws = mt.poisson(mt.full((20000,), rate, dtype=mt.float64)).numpy()
        assert abs(draws.mean() - rate) < 4 * np.sqrt(rate / 20000)
        assert np.all(draws == np.round(draws)) and draws.min() >= 0


def test_errors_are_pytorchs():
    with pytest.raises(RuntimeError, match="invalid Poisson rate, expected rate to be "
                                           "non-negative"):
        mt.poisson(mt.tensor([1.0, -0.5]))
    with pytest.raises(RuntimeError, match="invalid Poisson rate"):
        mt.poisson(mt.tensor([float("nan")]))
    with pytest.raises(NotImplementedError, match="\"poisson_cpu\" not implemented for 'Long'"):
        mt.poisson(mt.tensor([1, 2]))


def test_gradient_is_zero_as_pytorchs():
    rates = mt.tensor([1.0, 20.0], requires_grad=True)
    out = mt.poisson(rates)
    assert out.requires_grad and type(out.grad_fn).__name__ == "PoissonBackward0"
    (out * 3).sum().backward()
    np.testing.assert_array_equal(rates.grad.numpy(), [0.0, 0.0])
