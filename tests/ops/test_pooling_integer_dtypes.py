"""Integer pooling, as PyTorch's CPU kernels have it: max_pool2d for every integer dtype,
avg_pool2d/avg_pool1d for int64 only (C integer division, truncating toward zero), the other
integer dtypes refused with PyTorch's NotImplementedError."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch

F = mt.nn.functional
DATA = [[[[1, 2, -7], [3, 5, 4], [-9, 0, 6]]]]
INTS = ["int8", "int16", "int32", "int64", "uint8"]
CALLS = {
    "avg": lambda F, a: F.avg_pool2d(a, 2, 1),
    "avg_pad": lambda F, a: F.avg_pool2d(a, 2, 1, 1),
    "avg_no_pad_count": lambda F, a: F.avg_pool2d(a, 2, 2, 1, count_include_pad=False),
    "avg_divisor": lambda F, a: F.avg_pool2d(a, 2, 1, divisor_override=3),
    "avg1d": lambda F, a: F.avg_pool1d(a[0, 0], 2),
    "max": lambda F, a: F.max_pool2d(a, 2, 1),
    "max_pad_indices": lambda F, a: F.max_pool2d(a, 2, 1, 1, return_indices=True),
    "max_unbatched": lambda F, a: F.max_pool2d(a[0], 2, 1),
    "max_ceil": lambda F, a: F.max_pool2d(a, 2, 2, ceil_mode=True),
}


def _outcome(lib, call, dtype):
    x = lib.from_numpy(np.array(DATA).astype(dtype))   # uint8: NumPy's wrap-around
    try:
        r = call(lib.nn.functional, x)
    except NotImplementedError as e:
        return "NotImplementedError", str(e)
    r = r if isinstance(r, tuple) else (r,)
    return [(t.tolist(), str(t.dtype)) for t in r]


def test_int64_average_truncates_toward_zero():
    x = mt.tensor([[[[1, 2], [3, 5]]]])
    assert F.avg_pool2d(x, 2).tolist() == [[[[2]]]]          # 11 / 4 = 2.75
    assert F.avg_pool2d(-x, 2).tolist() == [[[[-2]]]]        # -2.75 -> -2, not floor's -3
    assert F.avg_pool2d(x, 2).dtype is mt.int64


def test_max_pool_of_an_integer_is_exact():
    big = np.iinfo(np.int64).max
    x = mt.tensor([[[[big, big - 1], [-big, 0]]]])
    assert F.max_pool2d(x, 2).item() == big                  # no float round trip


def test_a_tie_with_padding_goes_to_the_first_real_element():
    x = mt.tensor([[[[-128, -128]]]], dtype=mt.int8)
    _, idx = F.max_pool2d(x, (1, 2), padding=(0, 1), return_indices=True)
    assert idx.tolist() == [[[[0, 1]]]]


@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool"])
def test_avg_pool_refuses_other_integer_dtypes(dtype):
    with pytest.raises(NotImplementedError, match='"avg_pool2d" not implemented for'):
        F.avg_pool2d(mt.ones(1, 1, 2, 2, dtype=getattr(mt, dtype)), 2)


def test_max_pool_refuses_bool():
    with pytest.raises(NotImplementedError, match="\"max_pool2d\" not implemented for 'Bool'"):
        F.max_pool2d(mt.ones(1, 1, 2, 2, dtype=mt.bool), 2)


@requires_torch
@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("name", sorted(CALLS))
def test_integer_pooling_matches_pytorch(name, dtype):
    assert _outcome(mt, CALLS[name], dtype) == _outcome(torch, CALLS[name], dtype)
