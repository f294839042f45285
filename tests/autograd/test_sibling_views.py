"""A view written in place through its base or a sibling view gets its base's current
history, as PyTorch regenerates its grad_fn (ops/inplace.py `refresh_view`): gradients then
flow through the write. Before, such a view kept its old grad_fn and the gradient silently
skipped the in-place op."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch


def _case(T, case):
    x = T.arange(12.0, dtype=T.float64, requires_grad=True)
    w = T.arange(12.0, dtype=T.float64).reshape(3, 4) + 1
    b = x * 1
    y, z, r = b.view(3, 4), b.view(4, 3), b[2:6]
    if case == "slice of a sibling":
        y[0:2, 1:3].mul_(3)
        out = (y * w).sum()
    elif case == "whole sibling":
        z.mul_(2)
        out = (y * w).sum() + (r * r).sum()
    elif case == "the base":
        b.mul_(2)
        out = (y * w).sum() + r.sum()
    elif case == "under no_grad":
        with T.no_grad():
            y[0, 0] = 100.0
        out = (y * w).sum() + (r * 2).sum()
    elif case == "two writes":
        r.add_(x[:4] * 3)
        y.sin_()
        out = (z * w.reshape(4, 3)).sum()
    elif case == "base without grad":
        base = T.zeros(6, dtype=T.float64)
        v1, v2 = base[:3], base[3:]
        v1.copy_(x[:3] * 2)
        out = (base * 3).sum() + (v2 * x[3:6]).sum()
        assert v2.requires_grad
    out.backward()
    return x.grad.numpy()


CASES = ["slice of a sibling", "whole sibling", "the base", "under no_grad", "two writes",
         "base without grad"]


@requires_torch
@pytest.mark.parametrize("case", CASES)
def test_gradient_equals_pytorchs(case):
    np.testing.assert_allclose(_case(mt, case), _case(torch, case), rtol=1e-12, atol=1e-12)


def test_slice_of_a_sibling_equals_the_out_of_place_program():
    ours = _case(mt, "slice of a sibling")
    x = mt.arange(12.0, dtype=mt.float64, requires_grad=True)
    scale = mt.ones(3, 4, dtype=mt.float64)
    scale[0:2, 1:3] = 3.0
    w = mt.arange(12.0, dtype=mt.float64).reshape(3, 4) + 1
    ((x.view(3, 4) * scale) * w).sum().backward()
    np.testing.assert_array_equal(ours, x.grad.numpy())
    assert not np.array_equal(ours, w.reshape(-1).numpy())   # the write is not skipped


def test_refreshed_view_names_its_node_as_pytorch():
    x = mt.arange(4.0, requires_grad=True)
    b = x * 1
    y, z = b.view(2, 2), b[:2]
    z.mul_(2)
    out = y * 1
    assert type(out.grad_fn.next_functions[0][0]).__name__ == "AsStridedBackward0"
