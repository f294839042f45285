"""F.gelu in float16 over every finite value, against PyTorch (ops/activation.py
`_gelu_half_np`: PyTorch's float32 vectorized erf, rounded once). One float16 value still
differs by one ulp (x = -0.02783203: fma emulated in float64 rounds twice). bfloat16 still
differs on 660 values (PyTorch's CPU bfloat16 conversion flushes denormal results, and large
|x| differ): bounded here, not yet fixed. Where PyTorch's float32 GELU is not ATen's
polynomial (its MKL on Intel CPUs), float16 is only checked to be close."""
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


def _pytorch_gelu_is_atens_polynomial():
    """Whether this PyTorch computes float32 GELU with ATen's vectorized erf, the polynomial
    ops/activation.py reproduces (as on the AMD Zen 4 machines). On an Intel Xeon with
    AVX-512 (2026-12-07) the same PyTorch 2.13 wheel gave other float32 GELU values (~2/3 of a
    float32 sweep differ by an ulp or two, torch.exp and torch.erf too: its MKL takes other
    code paths on Intel CPUs), so bit-exact agreement is defined only on the former."""
    from minitorch_nn.ops.activation import _gelu_half_np
    x = np.linspace(-5, 5, 20001, dtype=np.float32)
    theirs = torch.nn.functional.gelu(torch.from_numpy(x)).numpy()
    return float(np.mean(_gelu_half_np(np, x, False) != theirs)) < 0.01   # Intel: ~2/3


def _ulps_apart(name):
    """Largest distance, in units in the last place of `name`, between our GELU and
    PyTorch's over every finite value."""
    bits = np.arange(65536, dtype=np.uint16).view(np.int16).copy()
    tt = torch.from_numpy(bits).view(getattr(torch, name))
    tt = tt[torch.isfinite(tt)]
    ref = torch.nn.functional.gelu(tt)
    ours = torch.from_numpy(
        MF.gelu(mt.tensor(tt.float().numpy()).to(getattr(mt, name))).float().numpy()).to(ref.dtype)
    apart = ours.view(torch.int16).numpy().astype(np.int64) - ref.view(torch.int16).numpy()
    return int(np.abs(apart).max())


def test_gelu_float16_matches_pytorch_on_all_finite_values():
    if _pytorch_gelu_is_atens_polynomial():
        assert _differing("float16") <= 1   # was 217 with a float64 erf
    else:   # another float32 GELU in PyTorch on this CPU: close, not the same bits
        assert _differing("float16") <= 600
        assert _ulps_apart("float16") <= 8


def test_gelu_bfloat16_differences_bounded():
    assert _differing("bfloat16") <= 660


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16", "float64"])
@pytest.mark.parametrize("layout", ["contiguous", "one value", "column", "transposed",
                                    "strided", "2x1"])
def test_gelu_of_inf_follows_pytorchs_loop_by_layout(dtype, layout):
    # PyTorch's CPU GELU turns +inf into NaN in its vectorised loop (contiguous float32 or
    # bfloat16, two values or more) and keeps +inf in its scalar loop (anything else)
    torch = pytest.importorskip("torch")
    inf = float("inf")

    def make(T):
        d = getattr(T, dtype)
        base = T.full((4, 4), inf, dtype=d)
        return {"contiguous": T.tensor([-1.0, inf, 0.5], dtype=d),
                "one value": T.full((1,), inf, dtype=d), "column": base[:, :2],
                "transposed": base.t(), "strided": T.full((8,), inf, dtype=d)[::2],
                "2x1": T.full((2, 1), inf, dtype=d)}[layout]
    for approximate in ("none", "tanh"):
        ours = mt.nn.functional.gelu(make(mt), approximate=approximate).float().numpy()
        theirs = torch.nn.functional.gelu(make(torch), approximate=approximate).float().numpy()
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
        np.testing.assert_array_equal(np.isinf(ours), np.isinf(theirs))
