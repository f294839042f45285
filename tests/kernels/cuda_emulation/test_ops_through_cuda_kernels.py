"""The op code's kernel calls, run through the CUDA launchers and kernels (emulated).

On a GPU, ops fetch their kernels with `kernel_for(array, family, name)` from kernels/cuda
instead of kernels/cpu. Here `route_kernels` sends numpy arrays to the CUDA launchers, whose
launches the `emu` fixture runs on the CPU emulator: every argument the op code passes (its
order, dtype, layout, preallocated outputs) meets the real CUDA kernel. Each op's values and
gradients must equal the same op run on the Numba kernels, and the expected CUDA kernels
must have been launched (a silent fallback to the array formulas would fail the test).
"""
from __future__ import annotations


import ml_dtypes
import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.nn import functional as F
from minitorch_nn.array_backends import route_kernels

CUDA_KERNELS = "minitorch_nn.kernels.cuda"
DTYPES = [np.float32, np.float64]
HALF_DTYPES = [np.float16, ml_dtypes.bfloat16]
ALL_DTYPES = DTYPES + HALF_DTYPES
# half types: the CPU computes them in float32 and rounds once; the CUDA kernels also
# compute in float but store some intermediates (norm statistics, softmax) in the half type
TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-12),
       np.float16: dict(rtol=1e-2, atol=1e-2), ml_dtypes.bfloat16: dict(rtol=4e-2, atol=4e-2)}


def _close(actual, expected, dtype):
    assert actual.dtype == expected.dtype == np.dtype(dtype)
    np.testing.assert_allclose(actual.astype(np.float64), expected.astype(np.float64),
                               **TOL[dtype])


def _inputs(shapes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _run(fn, arrays, grad_mask):
    """fn(*tensors) and the gradients of sum(out * weights) w.r.t. the marked inputs."""
    ts = [mt.tensor(a, requires_grad=g) for a, g in zip(arrays, grad_mask)]
    out = fn(*ts)
    weights = np.random.default_rng(7).standard_normal(out.shape).astype(out.dtype.np)
    if any(grad_mask):
        (out * mt.tensor(weights)).sum().backward()
    return _host(out), [_host(t.grad) for t, g in zip(ts, grad_mask) if g]


def _host(t):
    """t's array (`.numpy()` refuses bfloat16, as PyTorch's does)."""
    return t.detach()._data


def _check(emu, fn, shapes, dtype, launched, grad_mask=None, seed=0):
    """fn on the CUDA kernels (emulated) equals fn on the Numba kernels; `launched` CUDA
    kernels ran."""
    arrays = _inputs(shapes, dtype, seed)
    grad_mask = grad_mask or [True] * len(arrays)
    expected, expected_grads = _run(fn, arrays, grad_mask)
    with route_kernels(np.ndarray, CUDA_KERNELS):
        actual, grads = _run(fn, arrays, grad_mask)
    ran = {kernel for _, kernel, _, _ in emu.launches}
    assert set(launched) <= ran, f"CUDA kernels not launched: {set(launched) - ran}"
    _close(actual, expected, dtype)
    for g, e in zip(grads, expected_grads):
        _close(g, e, dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("stride,padding", [(1, 1), (2, 0)])
def test_conv2d(emu, dtype, stride, padding):
    _check(emu, lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding),
           [(2, 3, 7, 6), (4, 3, 3, 3), (4,)], dtype, ["im2col", "col2im"])


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("kernel_size,stride", [(2, 2), (3, 2)])
def test_max_pool2d(emu, dtype, kernel_size, stride):
    _check(emu, lambda x: F.max_pool2d(x, kernel_size, stride), [(2, 3, 8, 7)], dtype,
           ["max_pool2d_fwd", "max_pool2d_bwd"])


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_avg_and_adaptive_pool2d(emu, dtype):
    _check(emu, lambda x: F.avg_pool2d(x, 3, 2, padding=1) + F.adaptive_avg_pool2d(x, (4, 4)),
           [(2, 3, 8, 8)], dtype, ["avg_pool2d_fwd", "avg_pool2d_bwd",
                                    "adaptive_avg_pool2d_fwd", "adaptive_avg_pool2d_bwd"])


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("name,fn", [
    ("gelu", lambda x: F.gelu(x)),
    ("gelu", lambda x: F.gelu(x, approximate="tanh")),
    ("silu", F.silu),
    ("elu", lambda x: F.elu(x, 0.7)),
    ("softplus", lambda x: F.softplus(x, beta=2.0, threshold=3.0)),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1)),
])
def test_activations(emu, dtype, name, fn):
    _check(emu, fn, [(300, 70)], dtype, [f"{name}_fwd", f"{name}_bwd"])


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("log", [False, True])
def test_softmax(emu, dtype, log):
    name = "log_softmax" if log else "softmax"
    fn = (lambda x: F.log_softmax(x, dim=-1)) if log else (lambda x: F.softmax(x, dim=-1))
    _check(emu, fn, [(6, 5, 40)], dtype, [f"{name}_fwd", f"{name}_bwd"])


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_attention_softmax(emu, dtype):
    """No mask, no dropout: the fused rows of kernels/cuda/attention.cu (half inputs are
    computed in float32, so they take them too)."""
    _check(emu, F.scaled_dot_product_attention, [(2, 3, 5, 4)] * 3, dtype,
           ["attention_softmax_fwd", "attention_softmax_bwd"])


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_layer_norm(emu, dtype):
    _check(emu, lambda x, w, b: F.layer_norm(x, (33,), w, b), [(4, 6, 33), (33,), (33,)],
           dtype, ["row_norm_fwd", "row_norm_bwd_input", "row_norm_bwd_params"])


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm(emu, dtype, training):
    def fn(x, w, b):
        mean, var = mt.zeros(3, dtype=x.dtype), mt.ones(3, dtype=x.dtype)
        return F.batch_norm(x, mean, var, w, b, training=training)
    _check(emu, fn, [(4, 3, 5, 6), (3,), (3,)], dtype, ["channel_norm_fwd",
                                                          "channel_norm_bwd"])


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_embedding_backward(emu, dtype):
    idx = mt.tensor([[1, 4, 1], [0, 4, 2]])
    _check(emu, lambda w: F.embedding(idx, w, padding_idx=2), [(6, 5)], dtype,
           ["embedding_bwd"])


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy(emu, dtype, reduction):
    target = mt.tensor([0, 3, -100, 2, 1, 3])
    _check(emu, lambda x, w: F.cross_entropy(x, target, w, reduction=reduction,
                                             label_smoothing=0.1),
           [(6, 4), (4,)], dtype, ["cross_entropy_fwd", "cross_entropy_bwd"],
           grad_mask=[True, False])


@pytest.mark.parametrize("dtype", DTYPES)   # optim kernels: float32/float64 only
@pytest.mark.parametrize("make", [
    lambda ps: mt.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda ps: mt.optim.Adam(ps, lr=0.01, amsgrad=True),
    lambda ps: mt.optim.AdamW(ps, lr=0.01),
    lambda ps: mt.optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    lambda ps: mt.optim.Adagrad(ps, lr=0.1),
])
def test_optimizer_steps(emu, dtype, make):
    def train():
        p = mt.tensor(start.copy(), requires_grad=True)
        opt = make([p])
        for g in grads:
            p.grad = mt.tensor(g)
            opt.step()
        return _host(p)
    start, *grads = _inputs([(5, 7)] * 4, dtype)
    expected = train()
    with route_kernels(np.ndarray, CUDA_KERNELS):
        actual = train()
    assert {k for _, k, _, _ in emu.launches} & {"sgd_update", "adam_update",
                                                  "adam_multi_update", "rmsprop_update",
                                                  "adagrad_update"}
    _close(actual, expected, dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_dropout_draws_its_mask_on_the_device(emu, dtype):
    x = mt.tensor((_inputs([(50, 40)], np.float32)[0] + 5.0).astype(dtype),
                  requires_grad=True)
    with route_kernels(np.ndarray, CUDA_KERNELS):
        mt.manual_seed(3)
        out = F.dropout(x, 0.25)
        out.sum().backward()
        mt.manual_seed(3)
        again = F.dropout(x, 0.25)
    assert {"dropout_fwd", "dropout_bwd"} <= {k for _, k, _, _ in emu.launches}
    y, g = _host(out), _host(x.grad)
    assert y.dtype == g.dtype == np.dtype(dtype)
    kept = y != 0
    assert 0.65 < kept.mean() < 0.85
    tol = dict(rtol=TOL[dtype]["rtol"])
    np.testing.assert_allclose(y[kept].astype(np.float64),
                               _host(x)[kept].astype(np.float64) / 0.75, **tol)
    np.testing.assert_allclose(g.astype(np.float64), np.where(kept, 1 / 0.75, 0.0), **tol)
    np.testing.assert_array_equal(_host(again), y)   # manual_seed reproduces it


@pytest.mark.parametrize("dtype", HALF_DTYPES)
@pytest.mark.parametrize("fn", [
    lambda x: F.layer_norm(x, (64,)),
    lambda x: F.batch_norm(x.reshape(4, 8, 8), None, None, training=True).reshape(4, 64),
    lambda x: F.cross_entropy(x, mt.tensor([3, 1, 60, 7]), reduction="sum") * x[:, :1],
], ids=["layer_norm", "batch_norm", "cross_entropy"])
def test_half_statistics_are_kept_in_float(emu, dtype, fn):
    """Inputs far from 0 relative to their spread: a mean (or log-sum-exp) rounded to the
    half type would spoil x - mean in the backward by several ulps; kept in float32, as
    PyTorch's CUDA kernels keep them, the GPU's gradients equal the float32 computation's.
    (PyTorch's CPU layer_norm does round its saved mean and rstd to the half type, and so
    does ours on the CPU: tests/kernels/test_fuzz_against_pytorch.py compares it.)"""
    x0 = (np.random.default_rng(5).standard_normal((4, 64)) * 0.5 + 37.3).astype(dtype)
    x = mt.tensor(x0.astype(np.float32), requires_grad=True)
    fn(x).sum().backward()
    expected = _host(x.grad).astype(np.float64)
    x = mt.tensor(x0, requires_grad=True)
    with route_kernels(np.ndarray, CUDA_KERNELS):
        fn(x).sum().backward()
    np.testing.assert_allclose(_host(x.grad).astype(np.float64), expected, rtol=1e-2,
                               atol=2e-2)
