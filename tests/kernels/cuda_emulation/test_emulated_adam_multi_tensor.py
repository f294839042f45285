"""adam_multi_update of optim.cu (one launch for many tensors) on the CPU emulator.

The kernel reads its arrays through the addresses in a table, which the emulator cannot
guard as it guards kernel arguments: here every array lies in the middle of a NaN-filled
buffer, and the margins must be intact after the launch. The tensors are cut into chunks
smaller than a block and than themselves (and, under the emulator's "tiny" configuration,
more chunks than blocks), and the results must equal the CUDA per-tensor kernel
(adam_update, which shares the element formula) bit for bit, and the Numba multi-tensor
kernel within rounding. Then AdamW runs with its kernels routed to the CUDA launchers.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from kernel_checks import DTYPES, assert_close, kernels
from minitorch_nn.array_backends import route_kernels
from minitorch_nn.kernels.cuda import optim as cuda_optim
from minitorch_nn.optim import _adam_multi_tensor as multi

SIZES = [1003, 1, 0, 130, 64]
CHUNK = 50    # not a divisor of the sizes: partial chunks everywhere
MARGIN = 40   # guard elements on each side of every array


class Guarded:
    """Arrays (one per size) inside NaN-filled buffers, with MARGIN elements either side."""

    def __init__(self, arrays):
        self.buffers = []
        self.arrays = []
        for a in arrays:
            buf = np.full(a.size + 2 * MARGIN, np.nan, a.dtype)
            buf[MARGIN:MARGIN + a.size] = a
            self.buffers.append(buf)
            self.arrays.append(buf[MARGIN:MARGIN + a.size])

    def assert_margins_intact(self):
        for buf in self.buffers:
            assert np.isnan(buf[:MARGIN]).all() and np.isnan(buf[-MARGIN:]).all()


def _tensors(dtype, amsgrad, seed=0):
    """Per tensor [p, g, exp_avg, exp_avg_sq, max_exp_avg_sq] (the last None without
    amsgrad), as guarded arrays."""
    rng = np.random.default_rng(seed)
    out = []
    for n in SIZES:
        a = [rng.standard_normal(n).astype(dtype) for _ in range(3)]
        a += [np.abs(rng.standard_normal(n)).astype(dtype) for _ in range(1 + amsgrad)]
        out.append(Guarded(a))
    return out


def _scalars(dtype, steps, lr, beta1, beta2):
    rows = [(lr / (1 - beta1 ** t), (1 - beta2 ** t) ** 0.5) for t in steps]
    return np.array(rows, dtype=dtype)


def _multi(fn, tensors, scalars, common, flags):
    """One adam_multi_update call of `fn` over `tensors`; flags (amsgrad, maximize,
    decoupled)."""
    address = cuda_optim.data_address
    rows = [[address(a) for a in t.arrays] + ([] if flags[0] else [0]) for t in tensors]
    addresses = np.array(rows, dtype=np.int64)
    chunks = multi.chunk_table(SIZES, CHUNK)
    fn(addresses, chunks, scalars, *common, *flags)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("amsgrad, weight_decay, maximize, decoupled", [
    (False, 0.0, False, False), (True, 0.1, False, False), (False, 0.1, True, True),
    (True, 0.01, True, True)])
def test_adam_multi_update(emu, dtype, amsgrad, weight_decay, maximize, decoupled):
    flags = (amsgrad, maximize, decoupled)
    lr, beta1, beta2, eps = 1e-2, 0.9, 0.999, 1e-8
    c = np.dtype(dtype).type
    common = (c(beta1), c(1 - beta1), c(beta2), c(1 - beta2), c(eps), c(weight_decay),
              c(1 - lr * weight_decay))
    steps = [3, 1, 2, 2, 5]   # each tensor its own step count
    scalars = _scalars(dtype, steps, lr, beta1, beta2)
    cuda_multi, numba_multi = kernels("optim", "adam_multi_update")
    runs = {}
    for name in ("cuda multi", "numba multi", "cuda per tensor"):
        tensors = _tensors(dtype, amsgrad)
        grads_before = [t.arrays[1].copy() for t in tensors]
        for _ in range(2):
            if name == "cuda per tensor":
                for t, (step_size, bc2) in zip(tensors, scalars):
                    vmax = t.arrays[4] if amsgrad else np.empty(0, dtype)
                    cuda_optim.adam_update(*t.arrays[:4], vmax, *common, step_size, bc2,
                                           *flags)
            else:
                fn = cuda_multi if name == "cuda multi" else numba_multi
                _multi(fn, tensors, scalars, common, flags)
        for t, g in zip(tensors, grads_before):
            t.assert_margins_intact()
            np.testing.assert_array_equal(t.arrays[1], g)   # the gradient is never written
        runs[name] = [np.concatenate([t.arrays[i] for t in tensors])
                      for i in range(4 + amsgrad)]
    launched = [k for _, k, _, _ in emu.launches]
    assert launched.count("adam_multi_update") == 2
    for i, (gpu, per, cpu) in enumerate(zip(runs["cuda multi"], runs["cuda per tensor"],
                                            runs["numba multi"])):
        np.testing.assert_array_equal(gpu, per, err_msg=f"array {i}")
        assert_close(gpu, cpu, err_msg=f"array {i} (CUDA vs Numba)")


def test_tables_of_the_wrong_shape_are_refused(emu):
    a = np.zeros(4, np.float32)
    with pytest.raises(ValueError, match=r"addresses \(tensors, 5\)"):
        cuda_optim.adam_multi_update(np.zeros((1, 4), np.int64), np.zeros((1, 3), np.int64),
                                     np.zeros((1, 2), np.float32), *([a.dtype.type(0)] * 7),
                                     False, False, False)


@pytest.mark.parametrize("dtype", DTYPES)
def test_adamw_steps_through_the_cuda_kernel(emu, dtype, monkeypatch):
    """AdamW's own multi-tensor call (tables, casts, flags) meets the CUDA kernel: one
    launch per step, the Numba run's numbers."""
    monkeypatch.setattr(multi, "CHUNK", CHUNK)
    rng = np.random.default_rng(7)
    shapes = [(13, 11), (7,), (), (3, 50)]
    starts = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(4)]

    def train():
        params = [mt.tensor(a.copy(), requires_grad=True) for a in starts]
        opt = mt.optim.AdamW(params, lr=0.05, weight_decay=0.1, amsgrad=True)
        for step_grads in grads:
            for p, g in zip(params, step_grads):
                p.grad = mt.tensor(g)
            opt.step()
        return [p.detach()._data for p in params]

    expected = train()
    with route_kernels(np.ndarray, "minitorch_nn.kernels.cuda"):
        actual = train()
    launched = [k for _, k, _, _ in emu.launches]
    assert launched == ["adam_multi_update"] * len(grads), launched
    for a, e in zip(actual, expected):
        assert a.dtype == e.dtype == np.dtype(dtype)
        assert_close(a, e, scale=10)
