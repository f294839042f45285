"""On a GPU: F.interpolate(mode='bilinear') on cuda equals the CPU (marked `cuda`).

On cuda the op runs the CUDA twins of the Numba kernels (kernels/cuda/interpolate.cu) in
every float dtype; on the CPU the Numba kernels (half types computed in float32). Values and
input gradients must agree, and where the launch runtime records its launches (the
`--fake-gpu` pass: kernels emulated on the CPU) the CUDA kernels must have run: a silent
fallback to the array formulas would fail. Nearest and bicubic keep their array code on
both devices (no kernels), checked here too.
"""
from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.kernels.cuda import _launch
from minitorch_nn.nn import functional as F

pytestmark = pytest.mark.cuda

DTYPES = [np.float32, np.float64, np.float16, ml_dtypes.bfloat16]
TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-12),
       np.float16: dict(rtol=2 ** -9, atol=1e-3), ml_dtypes.bfloat16: dict(rtol=2 ** -6,
                                                                           atol=1e-2)}
CASES = [dict(size=(9, 4)), dict(size=(13, 15), align_corners=True),
         dict(scale_factor=1.7), dict(scale_factor=(0.5, 2.0), align_corners=True)]


def _run(x, device, kwargs, mode="bilinear"):
    t = mt.tensor(x, requires_grad=True)
    src = t if device == "cpu" else t.cuda()
    out = F.interpolate(src, mode=mode, **kwargs)
    weights = np.random.default_rng(3).standard_normal(out.shape).astype(x.dtype)
    (out * mt.tensor(weights, device=device)).sum().backward()
    assert out.device.type == device and t.grad.device.type == "cpu"
    return out.detach().cpu()._data, t.grad._data


def _launches():
    return list(getattr(_launch.get_runtime(), "launches", None) or [])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("kwargs", CASES)
def test_bilinear_on_cuda_equals_cpu(dtype, kwargs):
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 5)).astype(dtype)
    expected = _run(x, "cpu", kwargs)
    before = len(_launches())
    actual = _run(x, "cuda", kwargs)
    recorded = _launches()
    if recorded:   # the fake GPU's runtime says which kernels ran
        ran = {kernel for _, kernel, _, _ in recorded[before:]}
        assert {"bilinear2d_fwd", "bilinear2d_bwd"} <= ran, ran
    for a, e in zip(actual, expected):
        assert a.dtype == e.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a.astype(np.float64), e.astype(np.float64), **TOL[dtype])


@pytest.mark.parametrize("mode", ["nearest", "bicubic"])
def test_other_modes_on_cuda_equal_cpu(mode):
    x = np.random.default_rng(1).standard_normal((1, 2, 5, 4)).astype(np.float32)
    kwargs = dict(size=(7, 9))
    for a, e in zip(_run(x, "cuda", kwargs, mode), _run(x, "cpu", kwargs, mode)):
        np.testing.assert_allclose(a, e, **TOL[np.float32])
