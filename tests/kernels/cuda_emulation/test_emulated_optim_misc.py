"""optim.cu, embedding.cu and dropout.cu on the CPU emulator.

Optimizer updates run two steps (so state buffers are read back) against the Numba kernels
of kernels/cpu/optim.py and a NumPy formula; embedding backward against numpy.add.at and
the Numba kernel; dropout against its numpy twin (`uniform_host`), bit for bit.
"""
from __future__ import annotations

import numpy as np
import pytest

from kernel_checks import DTYPES, assert_close, kernels
from minitorch_nn.kernels.cuda import dropout

N = 1003   # not a multiple of any block size


def _arrays(dtype, count, seed=0, positive=()):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        a = rng.standard_normal(N)
        out.append((np.abs(a) + 0.1 if i in positive else a).astype(dtype))
    return out


def _two_steps(name, dtype, arrays, scalars_per_step):
    """Run update `name` twice with the CUDA launcher and the Numba kernel; return both."""
    cuda, cpu = kernels("optim", name)
    results = []
    for fn in (cuda, cpu):
        state = [a.copy() for a in arrays]
        for scalars in scalars_per_step:
            fn(*state, *scalars)
        results.append(state)
    return results


def _cast(dtype, values):
    return tuple(v if isinstance(v, bool) else dtype(v) for v in values)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum, dampening, weight_decay, nesterov, maximize", [
    (0.0, 0.0, 0.0, False, False),
    (0.9, 0.0, 0.0, False, False),
    (0.9, 0.3, 0.1, False, False),
    (0.8, 0.0, 0.2, True, True),
])
def test_sgd_update(emu, dtype, momentum, dampening, weight_decay, nesterov, maximize):
    p, g, buf = _arrays(dtype, 3)
    steps = [_cast(dtype, (0.1, momentum, 1 - dampening, weight_decay)) +
             (nesterov, maximize, init) for init in (True, False)]
    (gp, gg, gbuf), (cp, _, cbuf) = _two_steps("sgd_update", dtype, [p, g, buf], steps)
    np.testing.assert_array_equal(gg, g)   # the gradient is never written
    assert_close(gp, cp)
    assert_close(gbuf, cbuf)
    # NumPy formula, two steps
    x, b = p.astype(np.float64), None
    d0 = (-g if maximize else g).astype(np.float64)
    for init in (True, False):
        d = d0 + weight_decay * x
        if momentum:
            b = d.copy() if init else b * momentum + (1 - dampening) * d
            d = d + momentum * b if nesterov else b
        x = x - 0.1 * d
    assert_close(gp, x, scale=10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("amsgrad, weight_decay, maximize, decoupled", [
    (False, 0.0, False, False),
    (True, 0.1, False, False),
    (False, 0.1, True, True),
    (True, 0.01, False, True),
])
def test_adam_update(emu, dtype, amsgrad, weight_decay, maximize, decoupled):
    p, g, m, v, vmax = _arrays(dtype, 5, seed=1, positive=(3, 4))
    lr, beta1, beta2, eps = 1e-2, 0.9, 0.999, 1e-8
    steps = []
    for t in (1, 2):
        bc1, bc2 = 1 - beta1 ** t, 1 - beta2 ** t
        steps.append(_cast(dtype, (beta1, 1 - beta1, beta2, 1 - beta2, eps, weight_decay,
                                   1 - lr * weight_decay, lr / bc1, bc2 ** 0.5))
                     + (amsgrad, maximize, decoupled))
    gpu, cpu = _two_steps("adam_update", dtype, [p, g, m, v, vmax], steps)
    for i, (a, b) in enumerate(zip(gpu, cpu)):
        assert_close(a, b, scale=10, err_msg=f"array {i}")
    if not amsgrad:
        np.testing.assert_array_equal(gpu[4], vmax)   # untouched without amsgrad


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("centered, momentum, weight_decay, maximize", [
    (False, 0.0, 0.0, False), (True, 0.0, 0.1, False), (True, 0.9, 0.0, True),
    (False, 0.5, 0.2, False),
])
def test_rmsprop_update(emu, dtype, centered, momentum, weight_decay, maximize):
    p, g, sq, ga, buf = _arrays(dtype, 5, seed=2, positive=(2,))
    ga = ga * 0.1   # keep square_avg - grad_avg^2 positive
    steps = [_cast(dtype, (1e-2, 0.99, 0.01, 1e-8, weight_decay, momentum))
             + (centered, maximize)] * 2
    gpu, cpu = _two_steps("rmsprop_update", dtype, [p, g, sq, ga, buf], steps)
    for i, (a, b) in enumerate(zip(gpu, cpu)):
        assert_close(a, b, scale=10, err_msg=f"array {i}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight_decay, maximize", [(0.0, False), (0.1, True)])
def test_adagrad_update(emu, dtype, weight_decay, maximize):
    p, g, s = _arrays(dtype, 3, seed=3, positive=(2,))
    steps = [_cast(dtype, (1e-2, 1e-10, weight_decay)) + (maximize,)] * 2
    gpu, cpu = _two_steps("adagrad_update", dtype, [p, g, s], steps)
    for i, (a, b) in enumerate(zip(gpu, cpu)):
        assert_close(a, b, scale=10, err_msg=f"array {i}")


def test_unused_state_buffers_may_be_empty(emu):
    """As with the Numba kernels, buffers an update does not use may be empty arrays."""
    from minitorch_nn.kernels.cuda import optim
    p, g = _arrays(np.float32, 2)
    empty = np.empty(0, np.float32)
    before = p.copy()
    optim.sgd_update(p, g, empty, *_cast(np.float32, (0.1, 0.0, 1.0, 0.0)), False, False, True)
    assert_close(p, before - np.float32(0.1) * g)
    with pytest.raises(ValueError, match="same size"):
        optim.sgd_update(p, g, empty, *_cast(np.float32, (0.1, 0.9, 1.0, 0.0)), False, False,
                         True)


# ------------------------------------------------------------------ embedding
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m, d, padding_idx", [(1, 1, -1), (50, 7, 3), (13, 300, -1)])
def test_embedding_backward(emu, dtype, m, d, padding_idx):
    vocab = 6
    rng = np.random.default_rng(4)
    idx = rng.integers(0, vocab, m).astype(np.int64)   # many repeats: atomics matter
    g = rng.standard_normal((m, d)).astype(dtype)
    cuda, cpu = kernels("embedding", "embedding_bwd")
    out = np.zeros((vocab, d), dtype)
    cuda(idx, g, out, padding_idx)
    ref = np.zeros((vocab, d))
    keep = idx != padding_idx
    np.add.at(ref, idx[keep], g[keep].astype(np.float64))
    assert_close(out, ref, scale=10)
    if padding_idx >= 0:
        assert (out[padding_idx] == 0).all()
    cpu_out = np.zeros((vocab, d), dtype)
    cpu(idx, g, cpu_out, padding_idx)
    assert_close(out, cpu_out, scale=10)


# ------------------------------------------------------------------ dropout
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_dropout_matches_its_host_twin_bit_for_bit(emu, dtype, p):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((7, 143)).astype(dtype)
    seed, offset = 1234, 99
    out = np.full_like(x, np.nan)
    mask = np.full(x.shape, 7, np.uint8)
    dropout.dropout_fwd(x, out, mask, p, seed, offset)
    keep = dropout.uniform_host(seed, offset, x.size).reshape(x.shape) >= p
    np.testing.assert_array_equal(mask, keep.astype(np.uint8))
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    np.testing.assert_array_equal(out, np.where(keep, x * dtype(scale), 0))
    only_mask = np.full(x.shape, 7, np.uint8)
    dropout.dropout_mask(only_mask, p, seed, offset)
    np.testing.assert_array_equal(only_mask, mask)
    g = rng.standard_normal(x.shape).astype(dtype)
    grad = np.full_like(g, np.nan)
    dropout.dropout_bwd(g, mask, grad, p)
    np.testing.assert_array_equal(grad, np.where(keep, g * dtype(scale), 0))


def test_dropout_random_numbers_are_uniform_and_independent(emu):
    n = 20000
    u = dropout.uniform_host(7, 0, n)
    assert 0.0 <= u.min() and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 5 * (1 / 12 / n) ** 0.5
    counts = np.histogram(u, bins=10, range=(0, 1))[0]
    assert (np.abs(counts - n / 10) < 5 * (n / 10) ** 0.5).all()
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.05             # neighbouring counters
    assert abs(np.corrcoef(u, dropout.uniform_host(8, 0, n))[0, 1]) < 0.05   # seeds
    np.testing.assert_array_equal(dropout.uniform_host(7, 5, 10), u[5:15])   # offsets
    mask = np.empty(n, np.uint8)
    dropout.dropout_mask(mask, 0.25, 7, 0)
    assert abs(mask.mean() - 0.75) < 5 * (0.25 * 0.75 / n) ** 0.5
