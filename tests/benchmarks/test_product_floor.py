"""benchmarks/product_floor.py: the products it times are those of the workloads.

Its timings are not checked (no timing in tests/); what docs/benchmarks.md concludes from
them needs the right products: per workload their multiply-adds add up to the step's matmul
FLOPs of benchmarks/flop_counts.py, and each pair of calls computes one product in numpy and
in torch."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks import flop_counts
from benchmarks.product_floor import _pair, products


def _flops(rows) -> int:
    total = 0
    for _, left, right, transpose, batch in rows:
        m, k = left[::-1] if transpose else left
        assert right[0] == k
        total += 2 * m * k * right[1] * max(batch, 1)
    return total


@pytest.mark.parametrize("name, expected", [
    ("W1 MLP step", flop_counts.mlp(128)), ("W7 transformer block", flop_counts.transformer_layer()),
    ("W9 GPT stack", flop_counts.gpt_stack())])
def test_products_add_up_to_the_workloads_flops(name, expected):
    assert _flops(products()[name]) == expected


@pytest.mark.parametrize("shape", [((6, 5), (5, 3), False, 0), ((6, 5), (6, 4), True, 0),
                                   ((4, 3), (3, 2), False, 5)])
def test_each_pair_computes_the_same_product(shape):
    torch = pytest.importorskip("torch")
    np_call, torch_call = _pair(torch, *shape)
    ours, theirs = np_call(), torch_call().numpy()
    left, right, transpose, batch = shape
    m = left[1] if transpose else left[0]
    assert ours.shape == ((batch,) if batch else ()) + (m, right[1])
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
