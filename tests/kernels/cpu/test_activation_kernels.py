"""The float32 gelu and softplus kernels (kernels/cpu/activation.py) and the vectorizable math
under them (kernels/cpu/_fastmath.py: exp_fast, normal_cdf_pdf, log1p_fast) against float64
references and PyTorch.

float32 computes with polynomial/rational approximations (no C library calls, so the loops
vectorize). Stated accuracy, relative to the exact function at the same float32 input:
- exact gelu and its gradient: 1e-6 on all of [-13, 10] (the left tail included: Phi(x) comes
  from e^{-x^2/2} times a rational function, never from 1 + erf(x), which cancels);
- tanh gelu: 1e-6 for x >= -3; below, float32 rounding of the exponent 2u of e^{-2u} (|2u| up
  to 88) alone costs up to 1.4e-5, so 3e-5 there (PyTorch's 0.5 x (1 + tanh) loses all digits).
- softplus and its gradient: 1e-6 (PyTorch's formulas, log1p(e^{beta x}) / beta);
- exp_fast, log1p_fast: 3e-7.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit

from minitorch_nn.kernels.cpu import activation as K
from minitorch_nn.kernels.cpu._fastmath import exp_fast, log1p_fast, normal_cdf_pdf
from op_harness import requires_torch, torch

ERFC = np.vectorize(math.erfc)
SQRT_2_PI = math.sqrt(2 / math.pi)
SPECIAL = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e20, -1e20, 1e-40, -1e-40, 13.4, -13.4],
                   np.float32)


def _cdf(x):
    return 0.5 * ERFC(-x / math.sqrt(2.0))


def _pdf(x):
    return np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _gelu_ref(x, tanh):
    """float64 gelu (tanh form as x sigmoid(2u), which has no cancellation) and gradient."""
    x = x.astype(np.float64)
    if tanh:
        u = SQRT_2_PI * (x + 0.044715 * x ** 3)
        s = 1 / (1 + np.exp(-2 * u))
        du = SQRT_2_PI * (1 + 3 * 0.044715 * x * x)
        return x * s, s + 2 * x * s * (1 - s) * du
    return x * _cdf(x), _cdf(x) + x * _pdf(x)


def _run(x, tanh, serial=True):
    fwd = K.gelu_fwd_serial if serial else K.gelu_fwd
    bwd = K.gelu_bwd_serial if serial else K.gelu_bwd
    y, d = np.empty_like(x), np.empty_like(x)
    fwd(x, y, tanh)
    bwd(x, np.ones_like(x), d, tanh)
    return y, d


def _errors(x, tanh):
    """Largest relative error of forward and of backward (the gradient's relative to the size
    of its two terms, since it crosses zero near x = -0.75)."""
    y, d = _run(x, tanh)
    ry, rd = _gelu_ref(x, tanh)
    keep = np.abs(ry) > 1e-36           # results in float32's normal range
    err_y = np.abs(y[keep] - ry[keep]) / np.abs(ry[keep])
    scale = np.abs(ry / np.where(x == 0, 1, x)) + np.abs(rd)
    err_d = np.abs(d - rd) / scale
    return err_y.max(), err_d.max()


@pytest.mark.parametrize("low,high", [(-3, 3), (-10, -3), (-13, -10), (3, 10), (-1e-3, 1e-3)])
def test_exact_gelu_float32_relative_error(low, high):
    x = np.linspace(low, high, 20001).astype(np.float32)
    err_y, err_d = _errors(x, tanh=False)
    assert err_y < 1e-6 and err_d < 1e-6, (err_y, err_d)


@pytest.mark.parametrize("low,high,tol", [(-3, 3, 1e-6), (3, 10, 1e-6), (-10, -3, 3e-5)])
def test_tanh_gelu_float32_relative_error(low, high, tol):
    x = np.linspace(low, high, 20001).astype(np.float32)
    err_y, err_d = _errors(x, tanh=True)
    assert err_y < tol and err_d < tol, (err_y, err_d)


@pytest.mark.parametrize("tanh", [False, True])
def test_float64_kernels_keep_double_precision(tanh):
    x = np.linspace(-12, 10, 4001)
    y, d = _run(x, tanh)
    ry, rd = _gelu_ref(x, tanh)
    np.testing.assert_allclose(y, ry, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(d, rd, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("tanh", [False, True])
def test_parallel_and_serial_kernels_agree(tanh):
    x = np.linspace(-8, 8, 5001).astype(np.float32)
    for a, b in zip(_run(x, tanh), _run(x, tanh, serial=False)):
        np.testing.assert_array_equal(a, b)


@requires_torch
@pytest.mark.parametrize("tanh", [False, True])
def test_float32_gelu_matches_pytorch(tanh):
    """Where PyTorch's float32 gelu is accurate (absolute ~1e-6): ours within that."""
    x = np.linspace(-5, 10, 30001).astype(np.float32)
    y, d = _run(x, tanh)
    t = torch.from_numpy(x.copy()).requires_grad_()
    ty = torch.nn.functional.gelu(t, approximate="tanh" if tanh else "none")
    ty.backward(torch.ones_like(ty))
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-6, atol=2e-6)
    np.testing.assert_allclose(d, t.grad.numpy(), rtol=1e-6, atol=2e-6)


@requires_torch
@pytest.mark.parametrize("tanh", [False, True])
def test_float32_gelu_special_values_as_pytorch(tanh):
    """+-inf, nan, signed zeros, huge and tiny inputs: the values (and zero signs) of
    PyTorch's vectorised float32 loop, gradient included."""
    y, d = _run(SPECIAL, tanh)
    t = torch.from_numpy(SPECIAL.copy()).requires_grad_()
    ty = torch.nn.functional.gelu(t, approximate="tanh" if tanh else "none")
    ty.backward(torch.ones_like(ty))
    for ours, theirs in ((y, ty.detach().numpy()), (d, t.grad.numpy())):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=0)   # nan and inf: equal
        zeros = theirs == 0
        np.testing.assert_array_equal(np.signbit(ours[zeros]), np.signbit(theirs[zeros]))


@njit(cache=False)
def _map_cdf_pdf(x, cdf, pdf):
    for i in range(x.size):
        cdf[i], pdf[i] = normal_cdf_pdf(x[i])


@njit(cache=False)
def _map_exp(x, out):
    for i in range(x.size):
        out[i] = exp_fast(x[i])


def test_normal_cdf_pdf_float32():
    x = np.concatenate([np.linspace(-13, 13, 20001), [0.0, -0.0, 20.0, -20.0]]).astype(np.float32)
    cdf, pdf = np.empty_like(x), np.empty_like(x)
    _map_cdf_pdf(x, cdf, pdf)
    x64 = x.astype(np.float64)
    keep = _cdf(x64) > 1e-37
    np.testing.assert_allclose(cdf[keep], _cdf(x64)[keep], rtol=1e-6, atol=0)
    keep = _pdf(x64) > 1e-37
    np.testing.assert_allclose(pdf[keep], _pdf(x64)[keep], rtol=1e-6, atol=0)
    assert cdf[-2] == 1.0 and cdf[-1] == 0.0 and pdf[-1] == 0.0
    inf = np.array([np.inf, -np.inf], np.float32)
    cdf, pdf = np.empty_like(inf), np.empty_like(inf)
    _map_cdf_pdf(inf, cdf, pdf)
    assert cdf.tolist() == [1.0, 0.0] and pdf.tolist() == [0.0, 0.0]


def test_normal_cdf_pdf_python_stand_in():
    cdf, pdf = normal_cdf_pdf(-1.5)
    assert cdf == pytest.approx(_cdf(np.array(-1.5)), rel=1e-14)
    assert pdf == pytest.approx(_pdf(-1.5), rel=1e-14)


def test_exp_fast_float32():
    edges = [np.inf, -np.inf, np.nan, -88.0, -1e30, 89.0, 1e30, 0.0]
    x = np.concatenate([np.linspace(-87, 88.7, 40001), edges]).astype(np.float32)
    out = np.empty_like(x)
    _map_exp(x, out)
    np.testing.assert_allclose(out[:-8], np.exp(x[:-8].astype(np.float64)), rtol=3e-7)
    assert out[-8] == np.inf and out[-7] == 0 and np.isnan(out[-6])
    assert out[-5] == 0 and out[-4] == 0 and out[-3] == np.inf and out[-2] == np.inf
    assert out[-1] == 1


@njit(cache=False)
def _map_log1p(x, out):
    for i in range(x.size):
        out[i] = log1p_fast(x[i])


def test_log1p_fast_float32():
    x = np.concatenate([np.linspace(0, 3, 20001), np.logspace(-45, 38, 20001)])
    x = x.astype(np.float32)
    out = np.empty_like(x)
    _map_log1p(x, out)
    ref = np.log1p(x.astype(np.float64))
    keep = ref > 1e-37
    np.testing.assert_allclose(out[keep], ref[keep], rtol=3e-7, atol=0)
    edge = np.array([0.0, np.inf, np.nan, 1e-40], np.float32)
    out = np.empty_like(edge)
    _map_log1p(edge, out)
    assert out[0] == 0 and out[1] == np.inf and np.isnan(out[2]) and out[3] == edge[3]


def _softplus_ref(x, beta, threshold):
    x = x.astype(np.float64)
    bx = x * beta
    linear = bx > threshold
    return (np.where(linear, x, np.log1p(np.exp(bx)) / beta),
            np.where(linear, 1.0, 1 / (1 + np.exp(-bx))))


def _run_softplus(x, beta, threshold):
    y, d = np.empty_like(x), np.empty_like(x)
    params = (x.dtype.type(beta), x.dtype.type(threshold))
    K.softplus_fwd_serial(x, y, *params)
    K.softplus_bwd_serial(x, np.ones_like(x), d, *params)
    return y, d


@pytest.mark.parametrize("beta,threshold", [(1.0, 20.0), (2.0, 3.0), (0.5, 40.0)])
def test_softplus_float32_relative_error(beta, threshold):
    x = np.concatenate([np.linspace(-100, 25, 20001), np.linspace(-1e-3, 1e-3, 2001)])
    x = x.astype(np.float32)
    (y, d), (ry, rd) = _run_softplus(x, beta, threshold), _softplus_ref(x, beta, threshold)
    keep = ry > 1e-37
    np.testing.assert_allclose(y[keep], ry[keep], rtol=1e-6, atol=0)
    np.testing.assert_allclose(d[keep], rd[keep], rtol=1e-6, atol=0)


@requires_torch
@pytest.mark.parametrize("beta,threshold", [(1.0, 20.0), (2.0, 3.0), (0.5, np.inf), (1.0, 100.0)])
def test_softplus_float32_special_values_as_pytorch(beta, threshold):
    x = np.array([np.inf, -np.inf, np.nan, 0, -0.0, 20, 20.0001, -1e30, 1e30, 1e-40, 88, 89,
                  -104], np.float32)
    y, d = _run_softplus(x, beta, threshold)
    t = torch.from_numpy(x.copy()).requires_grad_()
    ty = torch.nn.functional.softplus(t, beta, threshold)
    ty.backward(torch.ones_like(ty))
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-6, atol=0)   # nan, inf: equal
    np.testing.assert_allclose(d, t.grad.numpy(), rtol=1e-6, atol=0)
