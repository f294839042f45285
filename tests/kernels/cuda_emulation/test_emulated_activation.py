"""activation.cu and elementwise.cu run on the CPU emulator, against NumPy and Numba.

Each test runs under both launch configurations of the `emu` fixture (real block sizes,
and tiny blocks with a capped grid), for float32 and float64, on sizes that are not
multiples of the block (0, 1, 97, 1000 elements) and rows shorter and longer than a block.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from kernel_checks import DTYPES, assert_close, run_both

SIZES = [0, 1, 97, 1000]
ROWS = [(1, 1), (3, 7), (4, 100), (2, 700), (40, 33)]


_erf = np.vectorize(math.erf, otypes=[np.float64])   # the reference, without scipy


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def _numeric_grad(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


# name -> (params, forward reference); backward references are numerical derivatives
ELEMENTWISE = {
    "relu": ((), lambda x: np.where(x < 0, 0.0, x)),
    "gelu": ((False,), lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
    "gelu_tanh": ((True,), _gelu_tanh),
    "silu": ((), lambda x: x * _sigmoid(x)),
    "elu": ((0.7,), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x))),
    "softplus": ((2.0, 3.0), lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2)),
    "leaky_relu": ((0.1,), lambda x: np.where(x > 0, x, 0.1 * x)),
}


def _kernel_name(name):
    return "gelu" if name == "gelu_tanh" else name


def _inputs(n, dtype, seed=0):
    x = np.random.default_rng(seed).standard_normal(n) * 3
    x[np.abs(x) < 1e-3] = 0.5   # keep away from kinks, where numerical gradients fail
    return x.astype(dtype)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_elementwise_forward(emu, name, dtype, n):
    params, ref = ELEMENTWISE[name]
    x = _inputs(n, dtype)
    (_, gpu_out), cpu = run_both("activation", f"{_kernel_name(name)}_fwd",
                                 [x, np.full_like(x, np.nan)], params)
    assert_close(gpu_out, ref(x.astype(np.float64)))
    if cpu is not None:
        assert_close(gpu_out, cpu[1])


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 1000])
def test_elementwise_backward(emu, name, dtype, n):
    params, ref = ELEMENTWISE[name]
    x = _inputs(n, dtype, seed=1)
    g = _inputs(n, dtype, seed=2)
    (_, _, gpu_out), cpu = run_both("activation", f"{_kernel_name(name)}_bwd",
                                    [x, g, np.full_like(x, np.nan)], params)
    expected = g.astype(np.float64) * _numeric_grad(ref, x.astype(np.float64))
    # float32: terms of order |g| cancel where the derivative is near 0 (gelu's minimum)
    assert_close(gpu_out, expected, scale=1e4 if dtype == np.float64 else 10)
    if cpu is not None:   # Numba evaluates the float32 formulas partly in float64
        assert_close(gpu_out, cpu[2], scale=10)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_tanh_forward_and_fused_backward(emu, dtype):
    x = _inputs(257, dtype)
    g = _inputs(257, dtype, seed=3)
    (_, s), _ = run_both("activation", "sigmoid_fwd", [x, np.empty_like(x)])
    (_, t), _ = run_both("activation", "tanh_fwd", [x, np.empty_like(x)])
    assert_close(s, _sigmoid(x.astype(np.float64)))
    assert_close(t, np.tanh(x.astype(np.float64)))
    for name, y, ref in [("sigmoid_backward", s, g * s * (1 - s)),
                         ("tanh_backward", t, g * (1 - t * t))]:
        (_, _, gpu), cpu = run_both("elementwise", name, [g, y, np.empty_like(g)])
        assert_close(gpu, ref)
        assert_close(gpu, cpu[2])


def test_relu_keeps_nan_and_negative_zero_as_pytorch(emu):
    x = np.array([-0.0, np.nan, -1.0, 2.0, 0.0], np.float32)
    g = np.ones_like(x)
    (_, out), _ = run_both("activation", "relu_fwd", [x, np.empty_like(x)])
    (_, _, grad), _ = run_both("activation", "relu_bwd", [x, g, np.empty_like(x)])
    np.testing.assert_array_equal(out, [-0.0, np.nan, 0.0, 2.0, 0.0])
    assert np.signbit(out[0])
    np.testing.assert_array_equal(grad, [0.0, 1.0, 0.0, 1.0, 0.0])


def test_elu_gradient_passes_nan_through_as_pytorch(emu):
    """PyTorch's ELU backward tests `x <= 0`: a NaN input takes the positive branch."""
    x = np.array([np.nan, -1.0, 2.0], np.float32)
    (_, _, grad), (_, _, cpu) = run_both("activation", "elu_bwd",
                                         [x, np.ones_like(x), np.empty_like(x)], (0.5,))
    np.testing.assert_allclose(grad, [1.0, 0.5 * np.exp(-1.0), 1.0], rtol=1e-6)
    np.testing.assert_allclose(cpu, grad, rtol=1e-6)


def test_sigmoid_does_not_overflow(emu):
    x = np.array([-1000.0, -88.0, 0.0, 88.0, 1000.0], np.float32)
    (_, s), _ = run_both("activation", "sigmoid_fwd", [x, np.empty_like(x)])
    assert np.isfinite(s).all() and s[0] == 0.0 and s[-1] == 1.0


def test_sizes_must_match(emu):
    from minitorch_nn.kernels.cuda import activation
    x = np.zeros(5, np.float32)
    with pytest.raises(ValueError, match="same size"):
        activation.relu_fwd(x, np.zeros(4, np.float32))
    with pytest.raises(TypeError, match="dtype float32"):
        activation.relu_fwd(x, np.zeros(5, np.float64))
    with pytest.raises(TypeError, match="expected one of"):
        activation.relu_fwd(np.zeros(5, np.int32), np.zeros(5, np.int32))


# ------------------------------------------------------------------ softmax rows
def _softmax(x):
    e = np.exp(x - x.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", ROWS)
def test_softmax_and_log_softmax_forward(emu, dtype, shape):
    x = (np.random.default_rng(4).standard_normal(shape) * 5).astype(dtype)
    ref = _softmax(x.astype(np.float64))
    (_, sm), cpu_sm = run_both("activation", "softmax_fwd", [x, np.empty_like(x)])
    (_, lsm), cpu_lsm = run_both("activation", "log_softmax_fwd", [x, np.empty_like(x)])
    assert_close(sm, ref)
    assert_close(lsm, np.log(ref), scale=10)
    assert_close(sm, cpu_sm[1])
    assert_close(lsm, cpu_lsm[1], scale=10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", ROWS)
def test_softmax_and_log_softmax_backward(emu, dtype, shape):
    rng = np.random.default_rng(5)
    y = _softmax(rng.standard_normal(shape)).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    (_, _, gs), cpu_gs = run_both("activation", "softmax_bwd", [g, y, np.empty_like(y)])
    logy = np.log(y)
    (_, _, gl), cpu_gl = run_both("activation", "log_softmax_bwd", [g, logy, np.empty_like(y)])
    y64, g64 = y.astype(np.float64), g.astype(np.float64)
    assert_close(gs, y64 * (g64 - (g64 * y64).sum(1, keepdims=True)), scale=10)
    assert_close(gl, g64 - y64 * g64.sum(1, keepdims=True), scale=10)
    assert_close(gs, cpu_gs[2], scale=10)
    assert_close(gl, cpu_gl[2], scale=10)


def test_softmax_extreme_rows(emu):
    x = np.array([[1000.0, 0.0, -1000.0], [-np.inf, 0.0, 1.0], [np.nan, 0.0, 1.0]])
    (_, sm), cpu = run_both("activation", "softmax_fwd", [x, np.empty_like(x)])
    np.testing.assert_allclose(sm[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(sm[1], _softmax(np.array([[-np.inf, 0.0, 1.0]]))[0])
    assert np.isnan(sm[2]).all() and np.isnan(cpu[1][2]).all()


def test_row_launch_uses_one_block_per_row(emu):
    from minitorch_nn.kernels.cuda import _launch
    x = np.zeros((5, 100))
    run_both("activation", "softmax_fwd", [x, np.empty_like(x)])
    _, kernel, grid, block = emu.launches[-1]
    assert kernel == "softmax_fwd"
    assert grid[0] == min(5, _launch.MAX_GRID_BLOCKS)
    assert block[0] in (32, 128) and block[0] & (block[0] - 1) == 0
