"""F.gelu in float16 over every finite value, against PyTorch (ops/activation.py
`_gelu_half_np`: PyTorch's float32 vectorized erf, rounded once). One float16 value still
differs by one ulp (x = -0.02783203: fma emulated in float64 rounds twice). bfloat16 still
differs on 660 values (PyTorch's CPU bfloat16 conversion flushes denormal results, and large
|x| differ): bounded here, not yet fixed."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
import minitorch_nn.nn.functional as MF

torch = pytest.importorskip("torch")


def _differing(name):
    bits = np.arange(65536, dtype=np.uint16).view(np.int16).copy()
    tt = torch.from_numpy(bits).view(getattr(torch, name))
    tt = tt[torch.isfinite(tt)]
    ref = torch.nn.functional.gelu(tt).float().numpy()
    ours = MF.gelu(mt.tensor(tt.float().numpy()).to(getattr(mt, name))).float().numpy()
    return int((~((ours == ref) | (np.isnan(ours) & np.isnan(ref)))).sum())


def test_gelu_float16_matches_pytorch_on_all_finite_values():
    assert _differing("float16") <= 1   # was 217 with a float64 erf


def test_gelu_bfloat16_differences_bounded():
    assert _differing("bfloat16") <= 660
