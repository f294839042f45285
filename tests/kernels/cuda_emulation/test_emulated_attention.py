"""attention.cu (the attention softmax rows) on the CPU emulator, against NumPy and the Numba twins.

The arrays are (items, L, S) scores as ops/attention.py passes them: L < S, L > S (causal
rows past the last key see every key), rows shorter and longer than a block (the `emu`
fixture's tiny configuration has 32-thread rows), causal and not, a negative scale, rows
whose visible scores are all -inf, and the in-place calls the op makes. A last test runs
scaled_dot_product_attention itself through the CUDA launchers.
"""
from __future__ import annotations

import numpy as np
import pytest
from kernel_checks import DTYPES, assert_close, kernels
from test_ops_through_cuda_kernels import _check

from minitorch_nn.nn import functional as F

SHAPES = [(1, 1, 1), (2, 3, 5), (2, 7, 3), (3, 4, 100), (1, 3, 700)]   # (items, L, S)
SCALES = [0.37, -1.3]


def _visible(shape, causal):
    """True where query i may see key j: everywhere, or j <= i when causal."""
    length, keys = shape[-2:]
    rows, cols = np.arange(length)[:, None], np.arange(keys)[None, :]
    return np.broadcast_to(cols <= rows if causal else np.ones((length, keys), bool), shape)


def _forward_reference(s, scale, causal):
    """softmax(scale * s) over the visible keys in float64, 0 elsewhere and on rows whose
    visible scores are all -inf."""
    seen = _visible(s.shape, causal)
    z = np.where(seen, scale * s.astype(np.float64), -np.inf)
    m = z.max(axis=-1, keepdims=True)
    dead = np.isneginf(m)
    e = np.where(seen & ~dead, np.exp(z - np.where(dead, 0, m)), 0.0)
    total = e.sum(axis=-1, keepdims=True)
    return e / np.where(dead, 1.0, total)


def _backward_reference(p, dp, scale, causal):
    """scale * p * (dp - sum(p * dp)) over the visible keys in float64, 0 elsewhere."""
    seen = _visible(p.shape, causal)
    p64, dp64 = np.where(seen, p, 0.0), np.where(seen, dp, 0.0)
    dot = (p64 * dp64).sum(axis=-1, keepdims=True)
    return np.where(seen, scale * p64 * (dp64 - dot), 0.0)


def _run_both(name: str, *args):
    """The output (last argument) of the CUDA launcher `name` (emulated) and of its Numba
    twin, each called on its own copies of the arrays among `args` (whose scalars sit
    between the arrays, as in the kernels' signatures)."""
    results = []
    for kernel in kernels("attention", name):
        copied = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        kernel(*copied)
        results.append(copied[-1])
    return results


def _scores(shape, dtype, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * 3).astype(dtype)


def _scalar(dtype, value):
    """The scale as ops/attention.py passes it: a numpy scalar of the arrays' dtype."""
    return np.dtype(dtype).type(value)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("scale", SCALES)
def test_forward(emu, dtype, shape, causal, scale):
    s = _scores(shape, dtype)
    gpu, cpu = _run_both("attention_softmax_fwd", s, _scalar(dtype, scale), causal,
                         np.full_like(s, np.nan))
    assert_close(gpu, _forward_reference(s, scale, causal), scale=5)
    assert_close(gpu, cpu, scale=5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("scale", SCALES)
def test_backward(emu, dtype, shape, causal, scale):
    p = _forward_reference(_scores(shape, dtype), 1.0, causal).astype(dtype)
    dp = _scores(shape, dtype, seed=1)
    gpu, cpu = _run_both("attention_softmax_bwd", p, dp, _scalar(dtype, scale), causal,
                         np.full_like(p, np.nan))
    assert_close(gpu, _backward_reference(p, dp, scale, causal), scale=10)
    assert_close(gpu, cpu, scale=10)


@pytest.mark.parametrize("dtype", DTYPES)
def test_rows_of_minus_inf_give_zeros(emu, dtype):
    """Whole rows at -inf, a causal row whose one visible key is -inf while the masked keys
    are finite, a partly -inf row; under a negative scale the same rows come from +inf."""
    s = _scores((2, 4, 6), dtype)
    s[0, 1] = -np.inf               # a whole row
    s[0, 0, 0] = -np.inf            # causal row 0 sees only this key
    s[1, 2, ::2] = -np.inf          # partly -inf: the others are normalised
    s[1, 3, :4] = -np.inf           # every key causal row 3 sees, not the last two
    for causal in (False, True):
        for scale in (0.5, -2.0):
            scores = s if scale > 0 else -s
            gpu, cpu = _run_both("attention_softmax_fwd", scores, _scalar(dtype, scale),
                                 causal, np.full_like(s, np.nan))
            want = _forward_reference(scores, scale, causal)
            assert np.isfinite(want).all()
            assert_close(gpu, want, scale=5)
            assert_close(gpu, cpu, scale=5)
            dead = [(0, 0), (0, 1), (1, 3)] if causal else [(0, 1)]
            for b, i in dead:
                np.testing.assert_array_equal(gpu[b, i], 0.0)
            assert (gpu[1, 3, 4:] > 0).all() != causal


@pytest.mark.parametrize("dtype", DTYPES)
def test_masked_keys_are_not_read(emu, dtype):
    """Causal rows never exponentiate the keys after their own: NaN there changes nothing,
    and the weights' gradient there does not reach the visible keys."""
    s = _scores((2, 5, 8), dtype)
    seen = _visible(s.shape, True)
    gpu, cpu = _run_both("attention_softmax_fwd", np.where(seen, s, np.nan),
                         _scalar(dtype, 0.7), True, np.empty_like(s))
    assert_close(gpu, _forward_reference(s, 0.7, True), scale=5)
    assert_close(cpu, gpu, scale=5)
    dp = _scores(s.shape, dtype, seed=2)
    grad, _ = _run_both("attention_softmax_bwd", gpu, np.where(seen, dp, 1e6).astype(dtype),
                        _scalar(dtype, 0.7), True, np.empty_like(s))
    assert_close(grad, _backward_reference(gpu, dp, 0.7, True), scale=10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("causal", [False, True])
def test_in_place_as_the_op_calls_them(emu, dtype, causal):
    """forward(s, scale, causal, s) and backward(p, dp, scale, causal, dp)."""
    from minitorch_nn.kernels.cuda import attention
    s = _scores((2, 6, 40), dtype)
    p = s.copy()
    attention.attention_softmax_fwd(p, _scalar(dtype, -0.8), causal, p)
    assert_close(p, _forward_reference(s, -0.8, causal), scale=5)
    dp = _scores(s.shape, dtype, seed=3)
    grad = dp.copy()
    attention.attention_softmax_bwd(p, grad, _scalar(dtype, -0.8), causal, grad)
    assert_close(grad, _backward_reference(p, dp, -0.8, causal), scale=10)


def test_launch_uses_one_block_per_row(emu):
    from minitorch_nn.kernels.cuda import _launch
    s = np.zeros((3, 5, 100))
    _run_both("attention_softmax_fwd", s, 1.0, True, np.empty_like(s))
    _, kernel, grid, block = emu.launches[-1]
    assert kernel == "attention_softmax_fwd"
    assert grid[0] == min(15, _launch.MAX_GRID_BLOCKS)
    assert block[0] in (32, 128)


def test_arguments_are_checked(emu):
    from minitorch_nn.kernels.cuda import attention
    s = np.zeros((2, 3, 4), np.float32)
    with pytest.raises(ValueError, match="same shape"):
        attention.attention_softmax_fwd(s, 1.0, False, np.zeros((2, 4, 3), np.float32))
    with pytest.raises(ValueError, match="3-D"):
        attention.attention_softmax_bwd(s[0], s[0], 1.0, False, s[0])
    with pytest.raises(TypeError, match="dtype float32"):
        attention.attention_softmax_fwd(s, 1.0, False, np.zeros((2, 3, 4), np.float64))
    assert attention.KERNELS.takes(np.float64) and not attention.KERNELS.takes(np.float16)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("causal", [False, True])
def test_scaled_dot_product_attention_runs_them(emu, dtype, causal):
    """The op's fused rows (no mask array, no dropout) on the CUDA kernels equal the Numba
    run, values and gradients, with L > S and a negative scale."""
    _check(emu, lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=causal,
                                                               scale=-0.6),
           [(2, 3, 6, 4), (2, 3, 5, 4), (2, 3, 5, 3)], dtype,
           ["attention_softmax_fwd", "attention_softmax_bwd"])
