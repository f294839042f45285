"""hann/hamming/blackman/bartlett/kaiser windows (ops/windows.py): numpy's symmetric windows
as reference (the periodic form is the N+1 window without its last value), PyTorch parity."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from parity_util import same_error, same_values

NUMPY = {"hann_window": np.hanning, "hamming_window": np.hamming,
         "blackman_window": np.blackman, "bartlett_window": np.bartlett,
         "kaiser_window": lambda n: np.kaiser(n, 12.0)}


@pytest.mark.parametrize("name", sorted(NUMPY))
@pytest.mark.parametrize("n", [0, 1, 2, 5, 8])
@pytest.mark.parametrize("periodic", [True, False])
def test_window_against_numpy_and_pytorch(name, n, periodic):
    out = getattr(mt, name)(n, periodic, dtype=mt.float64)
    if n > 1:
        expected = NUMPY[name](n + 1)[:n] if periodic else NUMPY[name](n)
    else:
        expected = np.ones(n)
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-12)
    same_values(lambda T: getattr(T, name)(n, periodic))
    same_values(lambda T: getattr(T, name)(n, periodic=periodic, dtype=T.float64), atol=1e-12)


def test_window_parameters_and_options():
    same_values(lambda T: T.hamming_window(7, False, 0.5, 0.4))
    same_values(lambda T: T.hamming_window(6, True, 0.6, 0.3, dtype=T.float64))
    same_values(lambda T: T.kaiser_window(6, False, 5.0))
    same_values(lambda T: T.kaiser_window(6, True, 0.0, dtype=T.float64))
    w = mt.hann_window(4, requires_grad=True)
    assert w.requires_grad and w.is_leaf and w.dtype == mt.float32


@pytest.mark.parametrize("name", sorted(NUMPY))
@pytest.mark.parametrize("dtype, ulp", [("float16", 2 ** -10), ("bfloat16", 2 ** -7)])
def test_half_precision_windows_within_a_few_units_of_pytorch(name, dtype, ulp):
    # PyTorch rounds every step of its formula in these dtypes; we round once
    for n in (5, 8, 33):
        same_values(lambda T, n=n: getattr(T, name)(n, dtype=getattr(T, dtype)).float(),
                    atol=3 * ulp, rtol=0)


@pytest.mark.parametrize("name", sorted(NUMPY))
def test_window_errors_match_pytorch(name):
    same_error(lambda T: getattr(T, name)(-1))
    same_error(lambda T: getattr(T, name)(3.0))
    same_error(lambda T: getattr(T, name)(3, dtype=T.int64), match="expects floating point",
               exact=False)
    same_error(lambda T: getattr(T, name)(4, dtype=T.complex64))
    same_error(lambda T: getattr(T, name)(4, None), match="periodic", exact=False)
