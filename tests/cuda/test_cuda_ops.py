"""On a GPU: a few ops and every CUDA kernel family against the CPU (marked `cuda`).

tests/conftest.py skips these without CuPy and an NVIDIA GPU (the run reports how many).
Without a GPU the kernels' logic is still checked on the CPU by tests/kernels/cuda_emulation.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

pytestmark = pytest.mark.cuda


def _cupy():
    import cupy
    return cupy


def _close(gpu_array, cpu_array, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(_cupy().asnumpy(gpu_array), cpu_array, rtol=rtol, atol=atol)


# ------------------------------------------------------------------ ops through the API
def test_tensor_moves_and_prints_its_device():
    x = mt.randn(3, 4)
    y = x.cuda()
    assert y.device.type == "cuda" and y.is_cuda
    assert "device='cuda:0'" in repr(y)
    np.testing.assert_array_equal(y.cpu().numpy(), x.numpy())
    np.testing.assert_array_equal(x.to("cuda:0").cpu().numpy(), x.numpy())


@pytest.mark.parametrize("op", [
    lambda a, b: a + b * 2,
    lambda a, b: (a @ b.T).relu(),
    lambda a, b: mt.softmax(a, dim=1),
    lambda a, b: (a.exp() * b).sum(dim=0),
])
def test_ops_and_gradients_agree_with_cpu(op):
    a = mt.randn(5, 7, requires_grad=True)
    b = mt.randn(5, 7, requires_grad=True)
    ag = a.detach().cuda().requires_grad_()
    bg = b.detach().cuda().requires_grad_()
    out, out_g = op(a, b), op(ag, bg)
    np.testing.assert_allclose(out_g.detach().cpu().numpy(), out.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    out.sum().backward()
    out_g.sum().backward()
    np.testing.assert_allclose(ag.grad.cpu().numpy(), a.grad.numpy(), rtol=1e-5, atol=1e-6)
    if b.grad is None:   # the op does not use b
        assert bg.grad is None
    else:
        np.testing.assert_allclose(bg.grad.cpu().numpy(), b.grad.numpy(), rtol=1e-5,
                                   atol=1e-6)


def test_mixing_devices_raises():
    with pytest.raises(RuntimeError):
        mt.randn(2).cuda() + mt.randn(2)


# ------------------------------------------------------------------ kernels vs Numba
def _kernels(family, name):
    from minitorch_nn.array_backends import cpu
    from minitorch_nn.array_backends.cuda import get_backend
    return get_backend().kernel(family, name), cpu.BACKEND.kernel(family, name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_kernels(dtype):
    cp = _cupy()
    x = np.random.default_rng(0).standard_normal((37, 1500)).astype(dtype)
    for name, params in [("gelu_fwd", (True,)), ("silu_fwd", ()), ("elu_fwd", (0.5,))]:
        gpu, cpu = _kernels("activation", name)
        out_g, out_c = cp.empty(x.shape, dtype), np.empty_like(x)
        gpu(cp.asarray(x), out_g, *params)
        cpu(x.reshape(-1), out_c.reshape(-1), *params)
        _close(out_g, out_c)
    for name in ("softmax_fwd", "log_softmax_fwd"):
        gpu, cpu = _kernels("activation", name)
        out_g, out_c = cp.empty(x.shape, dtype), np.empty_like(x)
        gpu(cp.asarray(x), out_g)
        cpu(x, out_c)
        _close(out_g, out_c)


def test_cross_entropy_and_row_norm_kernels():
    cp = _cupy()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 1000)).astype(np.float32)
    target = rng.integers(0, 1000, 64).astype(np.int64)
    w = np.ones(1000, np.float32)
    gpu, cpu = _kernels("loss", "cross_entropy_fwd")
    outs_c = [np.empty(64, np.float32) for _ in range(3)]
    outs_g = [cp.empty(64, cp.float32) for _ in range(3)]
    cpu(x, target, w, -100, 0.1, *outs_c)
    gpu(cp.asarray(x), cp.asarray(target), cp.asarray(w), -100, 0.1, *outs_g)
    for a, b in zip(outs_g, outs_c):
        _close(a, b, rtol=1e-4)
    gpu, cpu = _kernels("norm", "row_norm_fwd")
    b = np.zeros(1000, np.float32)
    outs_c = [np.empty_like(x), np.empty(64, np.float32), np.empty(64, np.float32)]
    outs_g = [cp.empty_like(cp.asarray(x)), cp.empty(64, cp.float32), cp.empty(64, cp.float32)]
    cpu(x, w, b, 1e-5, *outs_c)
    gpu(cp.asarray(x), cp.asarray(w), cp.asarray(b), 1e-5, *outs_g)
    for a, b_ in zip(outs_g, outs_c):
        _close(a, b_, rtol=1e-4, atol=1e-5)


def test_conv_and_pool_kernels():
    cp = _cupy()
    x = np.random.default_rng(2).standard_normal((4, 3, 17, 13)).astype(np.float32)
    oh, ow = 8, 7   # kernel 3, stride 2, padding 1
    gpu, cpu = _kernels("conv", "im2col")
    cols_c = np.empty((3 * 9, 4 * oh * ow), np.float32)
    cols_g = cp.empty(cols_c.shape, cp.float32)
    args = (3, 3, 2, 2, 1, 1, 1, 1, oh, ow)
    cpu(x, cols_c, *args)
    gpu(cp.asarray(x), cols_g, *args)
    _close(cols_g, cols_c, rtol=0, atol=0)
    gpu, cpu = _kernels("pool", "max_pool2d_fwd")
    out_c, idx_c = np.empty((4, 3, oh, ow), np.float32), np.empty((4, 3, oh, ow), np.int64)
    out_g, idx_g = cp.empty(out_c.shape, cp.float32), cp.empty(idx_c.shape, cp.int64)
    cpu(x, out_c, idx_c, 3, 3, 2, 2, 1, 1, 1, 1)
    gpu(cp.asarray(x), out_g, idx_g, 3, 3, 2, 2, 1, 1, 1, 1)
    _close(out_g, out_c, rtol=0, atol=0)
    np.testing.assert_array_equal(cp.asnumpy(idx_g), idx_c)


def test_embedding_dropout_and_adam_kernels():
    cp = _cupy()
    from minitorch_nn.kernels.cuda import dropout
    rng = np.random.default_rng(3)
    idx = rng.integers(0, 10, 500).astype(np.int64)
    g = rng.standard_normal((500, 16)).astype(np.float32)
    gpu, cpu = _kernels("embedding", "embedding_bwd")
    out_c, out_g = np.zeros((10, 16), np.float32), cp.zeros((10, 16), cp.float32)
    cpu(idx, g, out_c, 2)
    gpu(cp.asarray(idx), cp.asarray(g), out_g, 2)
    _close(out_g, out_c, rtol=1e-4, atol=1e-4)

    mask = cp.empty(100_000, cp.uint8)
    dropout.dropout_mask(mask, 0.3, 11, 5)
    expect = dropout.uniform_host(11, 5, 100_000) >= 0.3
    np.testing.assert_array_equal(cp.asnumpy(mask), expect.astype(np.uint8))

    gpu, cpu = _kernels("optim", "adam_update")
    arrays = [rng.standard_normal(1000).astype(np.float32) for _ in range(5)]
    arrays[3] = np.abs(arrays[3])
    on_gpu = [cp.asarray(a) for a in arrays]
    on_cpu = [a.copy() for a in arrays]
    c = np.float32
    scalars = (c(0.9), c(0.1), c(0.999), c(0.001), c(1e-8), c(0.01), c(1 - 1e-4), c(0.1),
               c(0.0316), True, False, True)
    cpu(*on_cpu, *scalars)
    gpu(*on_gpu, *scalars)
    for a, b in zip(on_gpu, on_cpu):
        _close(a, b)
