"""Issue 15: softmax / log_softmax of rows holding +inf, -inf or NaN, in every float dtype
and along the last or another dim (kernel and array paths), and of 0-d tensors through
nn.Softmax / nn.LogSoftmax (dim=-1), forward and backward; compared with PyTorch.

Before the fix a float16 row [inf, 0] gave [nan, 0] (PyTorch [nan, nan]) with a numpy
warning, and backward of a 0-d softmax raised IndexError.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minitorch_nn as mt

torch = pytest.importorskip("torch")

INF, NAN = float("inf"), float("nan")
ROWS = [[INF, 0.0], [-INF, -INF], [-INF, 0.0], [NAN, 0.0], [INF, INF], [-INF, INF], [1.0, 2.0]]


def _run(lib, fn, data, dtype, dim):
    x = lib.tensor(data).to(getattr(lib, dtype)).requires_grad_()
    y = getattr(lib, fn)(x, dim)
    y.backward(lib.ones_like(y))
    return y.detach().float().numpy(), x.grad.float().numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [1, 0])
def test_softmax_of_non_finite_rows_matches_pytorch(dtype, fn, dim):
    data = np.array(ROWS, np.float32)
    if dim == 0:
        data = np.ascontiguousarray(data.T)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got, got_grad = _run(mt, fn, data, dtype, dim)
    want, want_grad = _run(torch, fn, data, dtype, dim)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isnan(got_grad), np.isnan(want_grad))
    np.testing.assert_allclose(got, want, rtol=1e-2, atol=1e-2, equal_nan=True)


def test_float16_softmax_of_a_row_with_inf_is_all_nan():
    y = mt.softmax(mt.tensor([INF, 0.0], dtype=mt.float16), 0)
    assert np.isnan(y.float().numpy()).all()


@pytest.mark.parametrize("module", ["Softmax", "LogSoftmax", "Softmin"])
@pytest.mark.parametrize("dim", [-1, 0])
@pytest.mark.parametrize("value", [2.0, -3.5, INF, -INF, NAN])
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_zero_dim_softmax_modules_forward_and_backward(module, dim, value, dtype):
    results = []
    for lib in (mt, torch):
        x = lib.tensor(value, dtype=getattr(lib, dtype), requires_grad=True)
        y = getattr(lib.nn, module)(dim=dim)(x)
        y.backward()
        assert tuple(y.shape) == () and tuple(x.grad.shape) == ()
        results.append((y.item(), x.grad.item(), str(y.grad_fn.name())))
    np.testing.assert_equal(results[0][:2], results[1][:2])
    assert results[0][2] == results[1][2]
