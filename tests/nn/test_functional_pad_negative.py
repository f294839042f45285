"""F.pad with negative (cropping) pads in reflect / replicate / circular modes (issue 15):
PyTorch crops instead of refusing. reflect/replicate index as if the positive pads were
added, then crop; circular crops first and wraps the cropped content. Output sizes that come
out empty or negative give PyTorch's errors."""
from __future__ import annotations

import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch

MODES = ["reflect", "replicate", "circular"]

CASES = [
    ((1, 2, 5), (-1, -2)), ((1, 1, 4), (-1, 1)), ((1, 1, 4), (1, -1)), ((1, 1, 4), (-2, 3)),
    ((1, 1, 4), (-3, 3)), ((1, 1, 4), (-4, 1)), ((1, 1, 4), (2, -4)), ((1, 1, 4), (-1, -1)),
    ((1, 1, 4), (-4, 0)), ((1, 1, 4), (-2, -2)), ((1, 1, 4), (-3, -2)), ((1, 1, 4), (-5, 1)),
    ((2, 4), (-2, -2)), ((1, 1, 4), (-1, 4)), ((1, 1, 4), (4, -1)),
    ((1, 2, 3, 4), (-1, 1, 1, -1)), ((1, 2, 3, 4), (0, 0, -3, 0)), ((1, 2, 3, 4), (-4, 0, -3, 0)),
    ((1, 2, 3, 4), (-4, 0, 0, 0)), ((1, 2, 3, 4), (1, 0, -3, 0)), ((1, 2, 3, 4), (-5, 0, -4, 0)),
    ((2, 3, 4), (-1, 2, 2, -1)), ((1, 2, 3, 4), (-5, 0, 0, 0)),
    ((1, 2, 2, 3, 4), (-1, 1, 0, -1, 1, 0)), ((1, 1, 2, 3, 4), (0, 0, 0, 0, -2, 0)),
    ((1, 1, 2, 3, 4), (-4, 0, -3, 0, -2, 0)), ((1, 1, 2, 3, 4), (-5, 0, 0, 0, 0, 0)),
    ((2, 2, 3, 4), (1, -1, -1, 2, 1, -1)),
]


def _run(T, shape, pad, mode):
    n = 1
    for s in shape:
        n *= s
    x = T.arange(float(n)).reshape(shape).requires_grad_()
    try:
        y = T.nn.functional.pad(x, pad, mode=mode)
        (y * T.arange(float(y.numel())).reshape(y.shape)).sum().backward()
    except RuntimeError as err:
        return "RuntimeError", str(err)
    if y.numel() == 0:   # PyTorch's 3-D reflect backward leaves such a gradient unwritten
        return tuple(y.shape), y.tolist(), bool((x.grad == 0).all()) if T is mt else True
    return tuple(y.shape), y.tolist(), x.grad.tolist()


def test_reflect_negative_pad_crops():
    x = mt.arange(10.0).reshape(1, 2, 5)
    assert mt.nn.functional.pad(x, (-1, -2), mode="reflect").tolist() == [[[1.0, 2.0],
                                                                           [6.0, 7.0]]]


def test_circular_negative_pad_wraps_cropped_content():
    x = mt.arange(4.0).reshape(1, 1, 4)
    assert mt.nn.functional.pad(x, (-1, 1), mode="circular").tolist() == [[[1.0, 2.0, 3.0,
                                                                            1.0]]]


@pytest.mark.parametrize("mode", MODES)
def test_pad_cropping_to_nothing_is_refused(mode):
    with pytest.raises(RuntimeError):
        mt.nn.functional.pad(mt.zeros(1, 3, 4), (-3, -2), mode=mode)


@requires_torch
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape, pad", CASES, ids=str)
def test_negative_pad_matches_pytorch(shape, pad, mode):
    theirs = _run(torch, shape, pad, mode)
    if theirs[0] == "RuntimeError" and ("memory location" in theirs[1] or "numel" in theirs[1]):
        # PyTorch's circular mode fails on overlapping copies, and its reflect mode on a
        # 2-D negative size overflows numel first: only the class is compared there
        theirs = "RuntimeError"
    ours = _run(mt, shape, pad, mode)
    if theirs == "RuntimeError":
        assert ours[0] == "RuntimeError", ours
        return
    if mode == "circular" and ours[0] == "RuntimeError" and "more than once" in ours[1]:
        # a pad longer than the cropped content: PyTorch reads uninitialized memory there
        assert pad[0] < 0 or pad[1] < 0 or len(pad) > 2
        return
    assert ours == theirs
