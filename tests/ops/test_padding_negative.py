"""ops/padding.py: F.pad with negative (cropping) pads in every mode, and its errors."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch

MODES = ["constant", "reflect", "replicate", "circular"]
CASES = [((2, 3, 5), (-1, 2)), ((2, 3, 5), (2, -1)), ((1, 2, 4, 5), (-1, 1, 2, -2)),
         ((1, 2, 3, 4, 5), (1, -2, 0, 1, -1, 1)), ((2, 3, 5), (-2, -1)),
         ((1, 2, 4, 5), (0, 0, -1, -1))]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,pad", CASES, ids=str)
def test_negative_pad_values_and_grads(shape, pad, mode):
    def ref(x):
        widths = [(0, 0)] * x.ndim
        for i in range(len(pad) // 2):
            widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
        if mode == "circular":   # crop, then wrap what is left
            sl = tuple(slice(max(-b, 0), x.shape[d] - max(-a, 0))
                       for d, (b, a) in enumerate(widths))
            return np.pad(x[sl], [(max(b, 0), max(a, 0)) for b, a in widths], mode="wrap")
        np_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge"}[mode]
        full = np.pad(x, [(max(b, 0), max(a, 0)) for b, a in widths], mode=np_mode)
        sl = tuple(slice(max(-b, 0), full.shape[d] - max(-a, 0))
                   for d, (b, a) in enumerate(widths))
        return full[sl]
    check_op(lambda T, x: T.nn.functional.pad(x, pad, mode=mode), [shape], ref=ref)


def test_constant_negative_pad_with_value():
    check_op(lambda T, x: T.nn.functional.pad(x, (-1, 2, 1, -2), value=3.5), [(2, 4, 5)])
    check_op(lambda T, x: T.constant_pad_nd(x, (-1, 2, 1, -2, 1, 0), -1.0), [(2, 4, 5)])


@requires_torch
@pytest.mark.parametrize("dtype", ["int64", "bool", "float16"])
@pytest.mark.parametrize("mode", MODES)
def test_dtypes(dtype, mode):
    a = (np.arange(30).reshape(1, 2, 3, 5) % 3)
    res = []
    for T in (torch, mt):
        try:
            y = T.nn.functional.pad(T.tensor(a).to(getattr(T, dtype)), (-1, 2, 1, -1), mode)
            res.append((str(y.dtype), y.float().tolist()))
        except Exception as e:   # noqa: BLE001 - the class is compared
            res.append(type(e).__name__)
    assert res[0] == res[1]


@requires_torch
@pytest.mark.parametrize("shape,pad,mode", [
    ((1, 2, 4), (4, 0), "reflect"), ((1, 2, 4), (0, 5), "reflect"),
    ((1, 2, 3, 4), (1, 1, 3, 0), "reflect"), ((1, 2, 4), (5, 0), "circular"),
    ((1, 2, 4), (-5, 0), "constant"), ((1, 2, 4), (1, 2, 3), "constant"),
    ((1, 2, 4), (1, 1, 1, 1, 1, 1, 1, 1), "constant"), ((2, 4), (1, 1), "bogus"),
    ((1, 2, 4), (1, 1), "reflect"), ((1, 2, 2, 2, 2, 2), (1, 1), "reflect"),
    ((1, 2, 4), (-3, -2), "replicate"), ((4,), (1, 1), "replicate"),
], ids=str)
def test_errors_like_pytorch(shape, pad, mode):
    errors = []
    for T in (torch, mt):
        try:
            y = T.nn.functional.pad(T.ones(shape), pad, mode=mode)
            errors.append(tuple(y.shape))
        except Exception as e:   # noqa: BLE001 - compared below
            errors.append((type(e), str(e)[:40]))
    assert type(errors[0]) is type(errors[1])
    if isinstance(errors[0], tuple) and isinstance(errors[0][0], type):
        assert errors[0][0] is errors[1][0], errors
    else:
        assert errors[0] == errors[1]
