"""Two reliability findings: ELU's gradient at NaN (PyTorch tests `x <= 0`, so NaN passes the
gradient through, on every path: NumPy, Numba, and the CUDA kernel emulated), and the dtype of
binary_cross_entropy_with_logits (the target's: PyTorch computes into `1 - target`)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch

F = mt.nn.functional


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_elu_gradient_at_nan_is_the_upstream_gradient(dtype, alpha):
    x = mt.tensor([float("nan"), -1.0, 2.0], dtype=getattr(mt, dtype), requires_grad=True)
    F.elu(x, alpha=alpha).sum().backward()
    g = x.grad.float().numpy()
    assert g[0] == 1.0 and g[2] == 1.0
    assert g[1] == pytest.approx(alpha * np.exp(-1.0), rel=1e-2)


def test_elu_gradient_at_nan_in_the_numpy_fallback():
    from minitorch_nn.ops import activation
    assert activation._elu_grad_np(np, np.array([np.nan, -1.0]), np.ones(2), 1.0)[0] == 1.0


_DT = {"h": "float16", "f": "float32", "d": "float64"}


@pytest.mark.parametrize("a, b", list(itertools.product("hfd", repeat=2)))
def test_bce_with_logits_has_the_targets_dtype(a, b):
    x = mt.zeros(3, dtype=getattr(mt, _DT[a]), requires_grad=True)
    t = mt.ones(3, dtype=getattr(mt, _DT[b]))
    loss = F.binary_cross_entropy_with_logits(x, t)
    loss.backward()
    assert loss.dtype is getattr(mt, _DT[b]) and x.grad.dtype is x.dtype
    assert F.binary_cross_entropy_with_logits(x.detach(), t, reduction="none").dtype is t.dtype
    assert loss.item() == pytest.approx(np.log(2), rel=1e-3)


@requires_torch
@pytest.mark.parametrize("a, b", list(itertools.product("hfd", repeat=2)))
def test_bce_with_logits_dtypes_match_pytorch(a, b):
    out = []
    for lib in (mt, torch):
        x = lib.zeros(3, dtype=getattr(lib, _DT[a]))
        t = lib.ones(3, dtype=getattr(lib, _DT[b]))
        w = lib.ones(3, dtype=lib.float64)
        out.append([str(lib.nn.functional.binary_cross_entropy_with_logits(x, t, **kw).dtype)
                    for kw in ({}, {"weight": w}, {"pos_weight": w})])
    assert out[0] == out[1]
