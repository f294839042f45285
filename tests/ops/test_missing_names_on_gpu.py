"""The session-5 ops whose tests above have no check_op device step, run on `cuda` and
compared with the CPU: window functions, isin, gcd/lcm, unravel_index, the IEEE tests,
tensor_split by a tensor, as_strided views, fill_diagonal_, cdist's matrix-product mode
and histogramdd."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

pytestmark = pytest.mark.cuda


def _same(gpu, cpu):
    outs = gpu if isinstance(gpu, tuple) else (gpu,)
    refs = cpu if isinstance(cpu, tuple) else (cpu,)
    assert len(outs) == len(refs)
    for o, r in zip(outs, refs):
        assert o.device.type == "cuda" and o.dtype == r.dtype
        np.testing.assert_allclose(o.cpu().numpy(), r.numpy(), rtol=1e-6, atol=1e-6)


def _flat_histogram(result):
    return (result.hist, *result.bin_edges)


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window",
                                  "bartlett_window", "kaiser_window"])
def test_windows_on_the_device(name):
    _same(getattr(mt, name)(6, device="cuda"), getattr(mt, name)(6))


@pytest.mark.parametrize("expr", [
    lambda d: mt.isin(mt.tensor([[1, 2], [3, 4]], device=d), mt.tensor([2, 3], device=d)),
    lambda d: mt.gcd(mt.tensor([4, -6], device=d), mt.tensor([6, 9], device=d)),
    lambda d: mt.lcm(mt.tensor([4, -6], device=d), mt.tensor([6, 9], device=d)),
    lambda d: mt.unravel_index(mt.tensor([4, 7, -1], device=d), (2, 4)),
    lambda d: mt.isposinf(mt.tensor([np.inf, -np.inf, 1.], device=d)),
    lambda d: mt.isreal(mt.tensor([1 + 0j, 1j], device=d)),
    lambda d: mt.nextafter(mt.tensor([1., 2.], device=d), mt.tensor([2., 0.], device=d)),
    lambda d: mt.tensor_split(mt.arange(7, device=d), mt.tensor([1, 5])),
    lambda d: mt.as_strided(mt.arange(12., device=d)[2:], (2, 3), (3, 1), 1),
    lambda d: mt.zeros(7, 3, device=d).fill_diagonal_(2., wrap=True),
    lambda d: mt.cdist(mt.arange(60., device=d).view(30, 2) / 7, mt.ones(3, 2, device=d)),
    lambda d: _flat_histogram(mt.histogramdd(mt.arange(8., device=d).view(4, 2), bins=[3, 2],
                                             weight=mt.arange(4., device=d))),
])
def test_op_on_the_device_matches_the_cpu(expr):
    _same(expr("cuda"), expr("cpu"))


def test_as_strided_view_on_the_device_shares_memory_and_is_bounds_checked():
    base = mt.arange(6., device="cuda")
    v = mt.as_strided(base, (2, 2), (1, 2))
    v[1, 1] = 100.
    assert base.cpu().tolist() == [0., 1., 2., 100., 4., 5.]
    with pytest.raises(RuntimeError, match="out of bounds for storage of size 24"):
        mt.as_strided(base, (10,), (1,))
