"""On a GPU: the float16 / bfloat16 instantiations of kernels/cuda (marked `cuda`).

What the CPU emulation (tests/kernels/cuda_emulation/test_emulated_half.py) cannot show: that NVRTC
finds cuda_fp16.h / cuda_bf16.h through CuPy, that CuPy passes float16 and bfloat16 arrays
(ml_dtypes) and float32 scalars to the `<__half>` / `<__nv_bfloat16>` instances, and that
the device's own conversions round as the emulated ones do. Each kernel runs on the GPU
with half-type arrays and, as the reference, its float32 Numba twin runs on the CPU with
the same values widened; the GPU result must have the input's dtype and be the reference
rounded once: within half a unit in the last place of the half type, plus a float32 slack
(the device's expf/erff differ from glibc's by a few float32 ulps).
Skipped without CuPy and a GPU; `--fake-gpu` runs them on the numpy-backed fake.
"""
from __future__ import annotations

import importlib

import ml_dtypes
import numpy as np
import pytest

pytestmark = pytest.mark.cuda

HALF_DTYPES = [np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16)]
FRACTION_BITS = {"float16": 10, "bfloat16": 7}


def _cupy():
    import cupy
    return cupy


def _ulp(ref: np.ndarray, dtype) -> np.ndarray:
    """The spacing of `dtype` at each value (never below 2^-24, float16's finest)."""
    _, exponent = np.frexp(np.abs(ref.astype(np.float64)))
    return np.maximum(np.ldexp(1.0, exponent - 1 - FRACTION_BITS[np.dtype(dtype).name]),
                      2.0 ** -24)


def _rng():
    return np.random.default_rng(0)


def _x(shape, scale=1.0, shift=0.0):
    return lambda rng: (rng.standard_normal(shape) * scale + shift).astype(np.float32)


def _zeros(shape):
    return lambda rng: np.zeros(shape, np.float32)


def _const(array):
    return lambda rng: array


_IDX = np.random.default_rng(1).integers(0, 6, 50).astype(np.int64)
_TARGET = np.array([0, 3, -100, 6, 1], np.int64)

# name -> (family, array builders (float32 ones become the half type), scalars after the
# arrays (None: placed by _call), indices of the outputs)
CASES = {
    "gelu_fwd": ("activation", [_x(1000, 3), _zeros(1000)], (False,), [1]),
    "silu_bwd": ("activation", [_x(1000, 3), _x(1000), _zeros(1000)], (), [2]),
    "elu_fwd": ("activation", [_x(1000, 3), _zeros(1000)], (0.7,), [1]),
    "softmax_fwd": ("activation", [_x((4, 700), 3), _zeros((4, 700))], (), [1]),
    "log_softmax_fwd": ("activation", [_x((40, 33), 3), _zeros((40, 33))], (), [1]),
    "sigmoid_backward": ("elementwise", [_x(777), _x(777), _zeros(777)], (), [2]),
    "cross_entropy_fwd": ("loss", [_x((5, 7), 3), _const(_TARGET),
                                   lambda rng: rng.random(7).astype(np.float32) + 0.5,
                                   _zeros(5), _zeros(5), _zeros(5)],
                          None, [3, 4, 5]),
    "row_norm_fwd": ("norm", [_x((13, 700), 2, 1), lambda rng: np.ones(700, np.float32),
                              _x(700), _zeros((13, 700)), _zeros(13), _zeros(13)],
                     None, [3, 4, 5]),
    "avg_pool2d_fwd": ("pool", [_x((2, 3, 7, 5)), _zeros((2, 3, 4, 3))],
                       (3, 3, 2, 2, 1, 1, False, 0), [1]),
    "adaptive_avg_pool2d_bwd": ("pool", [_x((2, 3, 3, 4)), _zeros((2, 3, 7, 5))], (), [1]),
    "col2im": ("conv", [_x((12, 2 * 2 * 2)), _zeros((2, 3, 3, 3))],
               (2, 2, 2, 2, 1, 1, 1, 1, 2, 2), [1]),
    "embedding_bwd": ("embedding", [_const(_IDX), _x((50, 9)), _zeros((6, 9))], (-1,), [2]),
}


# arrays kept in float32 for half inputs (per-row results, statistics: the accumulation type)
KEPT = {"cross_entropy_fwd": {3, 4, 5}, "row_norm_fwd": {4, 5}}


def _arrays(name):
    family, builders, _, _ = CASES[name]
    rng = _rng()
    return family, [build(rng) for build in builders]


def _call(fn, name, arrays, scalars):
    """Call kernel `name`, with the scalars of its case in their place."""
    if name == "cross_entropy_fwd":
        x, target, weight, *outs = arrays
        fn(x, target, weight, -100, 0.1, *outs)
    elif name == "row_norm_fwd":
        x, w, b, *outs = arrays
        fn(x, w, b, 1e-5, *outs)
    else:
        fn(*arrays, *scalars)


@pytest.mark.parametrize("dtype", HALF_DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("name", sorted(CASES))
def test_half_kernel_matches_the_float32_twin(name, dtype):
    cp = _cupy()
    family, arrays = _arrays(name)
    scalars, outputs = CASES[name][2], CASES[name][3]
    # the same rounded values for both: the half type's, widened for the float32 twin
    kept = KEPT.get(name, set())
    rounded = [a.astype(dtype) if a.dtype == np.float32 and i not in kept else a
               for i, a in enumerate(arrays)]
    reference = [a.astype(np.float32) if a.dtype == dtype else a for a in rounded]
    on_gpu = [cp.asarray(a) for a in rounded]
    cuda = getattr(importlib.import_module(f"minitorch_nn.kernels.cuda.{family}"), name)
    cpu = getattr(importlib.import_module(f"minitorch_nn.kernels.cpu.{family}"), name)
    _call(cuda, name, on_gpu, scalars)
    _call(cpu, name, reference, scalars)
    for i in outputs:
        got = cp.asnumpy(on_gpu[i])
        if i in kept:
            assert got.dtype == np.float32, (name, i, got.dtype)
            np.testing.assert_allclose(got, reference[i], rtol=1e-5, atol=1e-6)
            continue
        assert got.dtype == dtype, (name, i, got.dtype)
        want = reference[i].astype(np.float64)
        err = np.abs(got.astype(np.float64) - want)
        tol = 0.5 * _ulp(reference[i], dtype) + 1e-5 * np.abs(want) + 1e-6
        assert (err <= tol).all(), (name, i, float((err / _ulp(reference[i], dtype)).max()))


@pytest.mark.parametrize("dtype", HALF_DTYPES, ids=lambda d: d.name)
def test_half_dropout_matches_its_host_twin(dtype):
    cp = _cupy()
    from minitorch_nn.kernels.cuda import dropout
    x = _x((7, 143))(_rng()).astype(dtype)
    out = cp.empty(x.shape, dtype)
    mask = cp.empty(x.shape, np.uint8)
    dropout.dropout_fwd(cp.asarray(x), out, mask, 0.3, 1234, 99)
    keep = dropout.uniform_host(1234, 99, x.size).reshape(x.shape) >= 0.3
    expected = np.where(keep, x.astype(np.float32) * np.float32(1 / 0.7), np.float32(0))
    np.testing.assert_array_equal(cp.asnumpy(mask), keep.astype(np.uint8))
    np.testing.assert_array_equal(cp.asnumpy(out).view(np.uint16),
                                  expected.astype(dtype).view(np.uint16))
