"""Issue 15: cross_entropy_bwd (loss.cu and its Numba twin) on ignored rows whose logits are
not finite: the gradient of an ignored row is 0 * softmax(row), that is NaN where the row's
log-sum-exp is not finite (+inf or NaN in the row, or only -inf), 0 otherwise, as PyTorch's
log_softmax backward gives; the forward gives such a row loss 0 and weight 0.
"""
from __future__ import annotations

import numpy as np
import pytest

from kernel_checks import DTYPES, kernels

INF, NAN = np.inf, np.nan


def _problem(dtype):
    x = np.array([[INF, 0.0, 1.0], [0.0, 1.0, 2.0], [-INF, 0.0, 1.0], [NAN, 1.0, 0.0],
                  [-INF, -INF, -INF], [0.5, -0.5, 3.0]], dtype)
    target = np.array([-100, 1, -100, -100, -100, -100], np.int64)
    return x, target, np.ones(3, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_ignored_rows_with_non_finite_logits(emu, dtype, eps):
    x, target, weight = _problem(dtype)
    n = x.shape[0]
    want_nan = np.array([True, False, False, True, True, False])
    for kernel in kernels("loss", "cross_entropy_fwd"):
        lse, loss, wt = (np.full(n, 7.0, dtype) for _ in range(3))
        kernel(x, target, weight, -100, eps, lse, loss, wt)
        ignored = target == -100
        assert (loss[ignored] == 0).all() and (wt[ignored] == 0).all()
        assert np.isfinite(loss[1])
    for kernel in kernels("loss", "cross_entropy_bwd"):
        lse, loss, wt = (np.zeros(n, dtype) for _ in range(3))
        kernels("loss", "cross_entropy_fwd")[1](x, target, weight, -100, eps, lse, loss, wt)
        out = np.full(x.shape, 7.0, dtype)
        kernel(x, target, weight, -100, eps, lse, np.ones(n, dtype), out)
        rows = np.isnan(out)
        np.testing.assert_array_equal(rows.all(axis=1)[target == -100],
                                      want_nan[target == -100])
        assert (out[~want_nan & (target == -100)] == 0).all()
        assert not rows.any(axis=1)[~want_nan].any()
