"""recurrent.cu (LSTM step kernels) on the CPU emulator, against NumPy and the Numba twins.

Arrays are gate-major as ops/recurrent.py passes them: gates (4H, B), states (H, B), flat.
Sizes cover n = H * B below, at and above a block, with and without the recurrent bias.
"""
from __future__ import annotations

import numpy as np
import pytest

from kernel_checks import DTYPES, assert_close, run_both

SHAPES = [(1, 1), (3, 5), (16, 16), (33, 20)]   # (H, B)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _forward_reference(gi, rec, bias, c_prev):
    pre = gi + (rec if bias is None else rec + bias)
    i, f, g, o = np.split(pre, 4)
    i, f, g, o = _sigmoid(i), _sigmoid(f), np.tanh(g), _sigmoid(o)
    c = f * c_prev + i * g
    return np.concatenate([i, f, g, o]), c, o * np.tanh(c)


def _backward_reference(act, c, c_prev, dh, g_out, dc):
    i, f, g, o = np.split(act, 4)
    dh = dh + g_out
    tc = np.tanh(c)
    dc = dc + dh * o * (1 - tc * tc)
    d = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
                        dh * tc * o * (1 - o)])
    return d, dc * f


def _arrays(shape, dtype, count, seed):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(shape) * 2).astype(dtype) for _ in range(count)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("bias", [True, False])
def test_lstm_gates_forward(emu, dtype, shape, bias):
    hidden, batch = shape
    gi, rec, b = _arrays((4 * hidden, batch), dtype, 3, seed=hidden)
    (c_prev,) = _arrays(shape, dtype, 1, seed=batch)
    b_hh = b if bias else np.empty(0, dtype)
    outs = [np.full((4 * hidden, batch), np.nan, dtype), np.full(shape, np.nan, dtype),
            np.full(shape, np.nan, dtype)]
    gpu, cpu = run_both("recurrent", "lstm_gates_fwd",
                        [a.reshape(-1) for a in (gi, rec, b_hh, c_prev, *outs)])
    expected = _forward_reference(*(a.astype(np.float64) for a in (gi, rec)),
                                  b.astype(np.float64) if bias else None, c_prev.astype(np.float64))
    for got_gpu, got_cpu, want in zip(gpu[4:], cpu[4:], expected):
        assert_close(got_gpu, want.reshape(-1), scale=5)
        assert_close(got_cpu, want.reshape(-1), scale=5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_lstm_gates_backward(emu, dtype, shape):
    hidden, batch = shape
    (pre,) = _arrays((4 * hidden, batch), dtype, 1, seed=1)
    act = np.concatenate([_sigmoid(pre[:2 * hidden]), np.tanh(pre[2 * hidden:3 * hidden]),
                          _sigmoid(pre[3 * hidden:])]).astype(dtype)
    c, c_prev, dh, g_out, dc = _arrays(shape, dtype, 5, seed=2)
    d = np.full((4 * hidden, batch), np.nan, dtype)
    gpu, cpu = run_both("recurrent", "lstm_gates_bwd",
                        [a.reshape(-1) for a in (act, c, c_prev, dh, g_out, dc, d)])
    want_d, want_dc = _backward_reference(*(a.astype(np.float64)
                                            for a in (act, c, c_prev, dh, g_out, dc)))
    for got in (gpu, cpu):
        assert_close(got[6], want_d.reshape(-1), scale=5)
        assert_close(got[5], want_dc.reshape(-1), scale=5)


def test_gate_arrays_must_hold_four_blocks(emu):
    from minitorch_nn.kernels.cuda import recurrent
    s = np.zeros(6, np.float32)
    with pytest.raises(ValueError, match="4 \\* 6"):
        recurrent.lstm_gates_fwd(np.zeros(20, np.float32), np.zeros(24, np.float32),
                                 np.empty(0, np.float32), s, np.zeros(24, np.float32), s, s)
    with pytest.raises(TypeError, match="dtype float32"):
        recurrent.lstm_gates_bwd(np.zeros(24, np.float32), s, s, s, s, s,
                                 np.zeros(24, np.float64))
