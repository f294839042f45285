"""Masked ops (minitorch_nn/ops/masked.py): masked_fill, masked_select, nonzero.

Every op is checked against NumPy (where NumPy agrees with PyTorch), by gradcheck and against
PyTorch, and PyTorch's errors. Split from tests/ops/test_indexing.py.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from indexing_util import X, MASK, ROW_MASK, same_error
from op_harness import check_op, requires_torch


# ------------------------------------------------------------------ masked ops
@pytest.mark.parametrize("mask", [MASK, MASK[0], MASK[:, :1, :], np.array(True)], ids=str)
def test_masked_fill(mask):
    check_op(lambda T, x: x.masked_fill(T.tensor(mask), 2.5), [X],
             ref=lambda x: np.where(mask, 2.5, x))
    check_op(lambda T, x, v: T.masked_fill(x, T.tensor(mask), v), [X, ()],
             ref=lambda x, v: np.where(mask, v, x))
    check_op(lambda T, x, v: (x * 1).masked_fill_(T.tensor(mask), v), [X, ()],
             ref=lambda x, v: np.where(mask, v, x))


def test_masked_fill_broadcasts_input_out_of_place_and_keeps_dtype():
    check_op(lambda T, x: x.masked_fill(T.tensor(MASK), 0.0), [(4, 2)],
             ref=lambda x: np.where(MASK, 0.0, x))
    out = mt.tensor([1, 2]).masked_fill(mt.tensor([True, False]), 2.5)
    assert out.dtype is mt.int64 and out.tolist() == [2, 2]


@pytest.mark.parametrize("mask", [MASK, MASK[0], ROW_MASK[:, None, None]], ids=str)
def test_masked_select(mask):
    check_op(lambda T, x: T.masked_select(x, T.tensor(mask)), [X],
             ref=lambda x: np.broadcast_to(x, np.broadcast_shapes(x.shape, mask.shape))[
                 np.broadcast_to(mask, np.broadcast_shapes(x.shape, mask.shape))])
    check_op(lambda T, x: x.masked_select(T.tensor(mask)), [X],
             ref=lambda x: np.broadcast_to(x, np.broadcast_shapes(x.shape, mask.shape))[
                 np.broadcast_to(mask, np.broadcast_shapes(x.shape, mask.shape))])


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda T: T.rand(2, 3).masked_fill(T.ones(2, 3, dtype=T.bool), T.tensor([1.0])),
    lambda T: T.rand(2, 3).masked_fill(T.ones(2, 3), 1.0),
    lambda T: T.rand(2, 3).masked_fill_(T.ones(2, 2, 3, dtype=T.bool), 1.0),
    lambda T: T.rand(2, 3).masked_select(T.ones(3)),
    lambda T: T.rand(3).masked_fill(T.ones(3, dtype=T.int64), 1.0),
    lambda T: T.rand(3).masked_fill(T.ones(3, dtype=T.uint8), 1.0),
])
def test_masked_errors_match_pytorch(fn):
    same_error(fn)


# ------------------------------------------------------------------ take / nonzero / iter
@pytest.mark.parametrize("arr", [MASK, MASK.astype(np.float32) * 3, np.array(2.0), np.array(0),
                                 np.zeros((2, 0))], ids=str)
def test_nonzero(arr):
    check_op(lambda T, x: T.nonzero(x), None, arrays=[arr], ref=np.argwhere, grad=False)
    check_op(lambda T, x: x.nonzero(as_tuple=True), None, arrays=[arr],
             ref=lambda x: np.nonzero(np.atleast_1d(x)), grad=False)
    check_op(lambda T, x: T.argwhere(x), None, arrays=[arr], ref=np.argwhere, grad=False)
