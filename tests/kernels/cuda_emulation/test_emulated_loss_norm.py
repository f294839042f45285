"""loss.cu (cross-entropy) and norm.cu (layer/group/batch norm) on the CPU emulator.

Compared with NumPy formulas and with the Numba kernels of kernels/cpu, under both launch
configurations of `emu`, on rows shorter and longer than a block and more rows (channels)
than the capped grid has blocks.
"""
from __future__ import annotations

import numpy as np
import pytest

from kernel_checks import DTYPES, assert_close, kernels

CE_SHAPES = [(1, 1), (5, 7), (3, 700), (40, 9)]
ROW_SHAPES = [(1, 1), (3, 7), (4, 100), (2, 700), (40, 33), (13, 20)]   # 13: uneven chunks
CHANNEL_SHAPES = [(2, 3, 5), (4, 2, 300), (1, 40, 3)]


def _rng(seed):
    return np.random.default_rng(seed)


# ------------------------------------------------------------------ cross-entropy
def _ce_problem(shape, dtype, seed=0):
    n, c = shape
    rng = _rng(seed)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    target = rng.integers(0, c, n).astype(np.int64)
    target[::3] = -100   # ignored rows
    weight = (rng.random(c) + 0.5).astype(dtype)
    return x, target, weight


def _ce_reference(x, target, weight, eps):
    x, weight = x.astype(np.float64), weight.astype(np.float64)
    n, c = x.shape
    m = x.max(1, keepdims=True)
    lse = (m + np.log(np.exp(x - m).sum(1, keepdims=True)))[:, 0]
    keep = target != -100
    y = np.where(keep, target, 0)
    wy = np.where(keep, weight[y], 0.0)
    loss = (1 - eps) * wy * (lse - x[np.arange(n), y])
    loss += eps / c * ((lse[:, None] - x) * weight).sum(1)
    return lse, np.where(keep, loss, 0.0), wy


def _ce_grad_reference(x, target, weight, eps, scale):
    x, weight = x.astype(np.float64), weight.astype(np.float64)
    n, c = x.shape
    lse, _, _ = _ce_reference(x, target, weight, eps)
    p = np.exp(x - lse[:, None])
    keep = target != -100
    y = np.where(keep, target, 0)
    onehot = np.eye(c)[y]
    hard = (1 - eps) * weight[y][:, None]
    d = hard * (p - onehot) + eps / c * (weight.sum() * p - weight)
    return np.where(keep[:, None], scale[:, None] * d, 0.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", CE_SHAPES)
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_cross_entropy_forward(emu, dtype, shape, eps):
    x, target, weight = _ce_problem(shape, dtype)
    n = shape[0]
    outs = [np.full(n, np.nan, dtype) for _ in range(3)]
    gpu, cpu = _run_ce_fwd(x, target, weight, eps, outs)
    lse, loss, wt = _ce_reference(x, target, weight, eps)
    for got, want in zip(gpu, (lse, loss, wt)):
        assert_close(got, want, scale=10)
    for got, want in zip(gpu, cpu):
        assert_close(got, want, scale=10)


def _run_ce_fwd(x, target, weight, eps, outs):
    """(gpu outputs, cpu outputs) of cross_entropy_fwd (scalars sit between the arrays)."""
    cuda, cpu = kernels("loss", "cross_entropy_fwd")
    gpu_outs = [o.copy() for o in outs]
    cpu_outs = [o.copy() for o in outs]
    cuda(x, target, weight, -100, eps, *gpu_outs)
    cpu(x, target, weight, -100, eps, *cpu_outs)
    return gpu_outs, cpu_outs


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", CE_SHAPES)
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_cross_entropy_backward(emu, dtype, shape, eps):
    x, target, weight = _ce_problem(shape, dtype, seed=1)
    lse = _ce_reference(x, target, weight, eps)[0].astype(dtype)
    scale = (_rng(2).random(shape[0]) + 0.5).astype(dtype)
    cuda, cpu = kernels("loss", "cross_entropy_bwd")
    gpu_out = np.full(shape, np.nan, dtype)
    cpu_out = np.full(shape, np.nan, dtype)
    cuda(x, target, weight, -100, eps, lse, scale, gpu_out)
    cpu(x, target, weight, -100, eps, lse, scale, cpu_out)
    assert_close(gpu_out, _ce_grad_reference(x, target, weight, eps, scale), scale=10)
    assert_close(gpu_out, cpu_out, scale=10)


def test_cross_entropy_shapes_are_checked(emu):
    from minitorch_nn.kernels.cuda import loss
    x, target, weight = _ce_problem((4, 3), np.float32)
    out = np.zeros(4, np.float32)
    with pytest.raises(ValueError, match="expected target"):
        loss.cross_entropy_fwd(x, target, weight[:2], -100, 0.0, out, out.copy(), out.copy())
    with pytest.raises(TypeError, match="int64"):
        loss.cross_entropy_fwd(x, target.astype(np.int32), weight, -100, 0.0, out, out.copy(),
                               out.copy())


# ------------------------------------------------------------------ row norm
def _row_norm_problem(shape, dtype, seed=0):
    rng = _rng(seed)
    x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
    w = (rng.random(shape[1]) + 0.5).astype(dtype)
    b = rng.standard_normal(shape[1]).astype(dtype)
    return x, w, b


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", ROW_SHAPES)
def test_row_norm_forward(emu, dtype, shape):
    x, w, b = _row_norm_problem(shape, dtype)
    rows = shape[0]
    arrays = [x, w, b]
    outs = [np.full(shape, np.nan, dtype), np.full(rows, np.nan, dtype),
            np.full(rows, np.nan, dtype)]
    cuda, cpu = kernels("norm", "row_norm_fwd")
    gpu = [o.copy() for o in outs]
    ref = [o.copy() for o in outs]
    cuda(*arrays, 1e-5, *gpu)
    cpu(*arrays, 1e-5, *ref)
    x64 = x.astype(np.float64)
    mean = x64.mean(1)
    rstd = 1 / np.sqrt(x64.var(1) + 1e-5)
    y = (x64 - mean[:, None]) * rstd[:, None] * w + b
    for got, want, cpu_got in zip(gpu, (y, mean, rstd), ref):
        assert_close(got, want, scale=50)
        assert_close(got, cpu_got, scale=50)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", ROW_SHAPES)
def test_row_norm_backward(emu, dtype, shape):
    x, w, _ = _row_norm_problem(shape, dtype, seed=1)
    g = _rng(2).standard_normal(shape).astype(dtype)
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    mean = x64.mean(1)
    rstd = 1 / np.sqrt(x64.var(1) + 1e-5)
    parts = max(1, min(8, shape[0]))
    cuda, cpu = kernels("norm", "row_norm_bwd")
    results = []
    for fn in (cuda, cpu):
        gx = np.full(shape, np.nan, dtype)
        gw = np.zeros((parts, shape[1]), dtype)
        gb = np.zeros((parts, shape[1]), dtype)
        fn(x, g, mean.astype(dtype), rstd.astype(dtype), w, gx, gw, gb)
        results.append((gx, gw.sum(0), gb.sum(0), gw, gb))
    xhat = (x64 - mean[:, None]) * rstd[:, None]
    dxhat = g64 * w
    gx_ref = rstd[:, None] * (dxhat - dxhat.mean(1, keepdims=True)
                              - xhat * (dxhat * xhat).mean(1, keepdims=True))
    (gx, gw, gb, gw_parts, gb_parts), (cgx, cgw, cgb, cgw_parts, cgb_parts) = results
    assert_close(gx, gx_ref, scale=100)
    assert_close(gw, (g64 * xhat).sum(0), scale=100)
    assert_close(gb, g64.sum(0), scale=100)
    assert_close(gx, cgx, scale=100)
    assert_close(gw_parts, cgw_parts, scale=100)   # same chunks of rows as the CPU kernel
    assert_close(gb_parts, cgb_parts, scale=100)


# ------------------------------------------------------------------ channel norm
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", CHANNEL_SHAPES)
@pytest.mark.parametrize("compute_stats", [True, False])
def test_channel_norm_forward(emu, dtype, shape, compute_stats):
    rng = _rng(3)
    c = shape[1]
    x = (rng.standard_normal(shape) * 3 + 2).astype(dtype)
    w = (rng.random(c) + 0.5).astype(dtype)
    b = rng.standard_normal(c).astype(dtype)
    given_mean = rng.standard_normal(c).astype(dtype)
    given_var = (rng.random(c) + 0.5).astype(dtype)
    cuda, cpu = kernels("norm", "channel_norm_fwd")
    results = []
    for fn in (cuda, cpu):
        mean, var = given_mean.copy(), given_var.copy()
        out = np.full(shape, np.nan, dtype)
        rstd = np.full(c, np.nan, dtype)
        fn(x, mean, var, w, b, 1e-5, compute_stats, out, rstd)
        results.append((out, mean, var, rstd))
    x64 = x.astype(np.float64)
    if compute_stats:
        mean_ref, var_ref = x64.mean((0, 2)), x64.var((0, 2))
    else:
        mean_ref, var_ref = given_mean.astype(np.float64), given_var.astype(np.float64)
    rstd_ref = 1 / np.sqrt(var_ref + 1e-5)
    out_ref = (x64 - mean_ref[:, None]) * (rstd_ref * w)[:, None] + b[:, None]
    for got, want, cpu_got in zip(results[0], (out_ref, mean_ref, var_ref, rstd_ref),
                                  results[1]):
        assert_close(got, want, scale=100)
        assert_close(got, cpu_got, scale=100)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", CHANNEL_SHAPES)
@pytest.mark.parametrize("batch_stats", [True, False])
def test_channel_norm_backward(emu, dtype, shape, batch_stats):
    rng = _rng(4)
    c = shape[1]
    x = (rng.standard_normal(shape) * 3 + 2).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    w = (rng.random(c) + 0.5).astype(dtype)
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    mean = x64.mean((0, 2))
    rstd = 1 / np.sqrt(x64.var((0, 2)) + 1e-5)
    cuda, cpu = kernels("norm", "channel_norm_bwd")
    results = []
    for fn in (cuda, cpu):
        gx = np.full(shape, np.nan, dtype)
        gw = np.full(c, np.nan, dtype)
        gb = np.full(c, np.nan, dtype)
        fn(x, g, mean.astype(dtype), rstd.astype(dtype), w, batch_stats, gx, gw, gb)
        results.append((gx, gw, gb))
    count = shape[0] * shape[2]
    xc = x64 - mean[None, :, None]
    sg = g64.sum((0, 2))
    sgx = (g64 * xc).sum((0, 2))
    k = (w * rstd)[None, :, None]
    if batch_stats:
        gx_ref = k * (g64 - (sg / count)[None, :, None]
                      - xc * (sgx * rstd * rstd / count)[None, :, None])
    else:
        gx_ref = k * g64
    for got, want, cpu_got in zip(results[0], (gx_ref, sgx * rstd, sg), results[1]):
        assert_close(got, want, scale=100)
        assert_close(got, cpu_got, scale=100)
