"""tensor_split, hsplit, vsplit, dsplit (ops/sectioning.py): numpy's array_split/hsplit/...
as reference, views of the input, gradients, PyTorch's errors."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op
from parity_util import same_error, same_values


@pytest.mark.parametrize("spec, dim", [(3, 0), (4, 1), (1, 1), (7, 0), ([1, 3], 1),
                                       ((0, 2, 2), 0), ([5, 1], 1), ([-2], 1)])
def test_tensor_split_values_and_gradients(spec, dim):
    check_op(lambda T, x: T.tensor_split(x, spec, dim), [(5, 4)],
             ref=lambda a: np.array_split(a, spec, axis=dim))


def test_tensor_split_method_keywords_and_tensor_forms():
    same_values(lambda T: T.arange(7).tensor_split(3))
    same_values(lambda T: T.tensor_split(T.arange(7), sections=2))
    same_values(lambda T: T.tensor_split(T.arange(7), indices=[2, 4]))
    same_values(lambda T: T.tensor_split(T.arange(7), T.tensor(3)))
    same_values(lambda T: T.tensor_split(T.arange(7), T.tensor([1, 5])))
    same_values(lambda T: T.tensor_split(T.arange(12).view(3, 4), [1], dim=-1))


def test_tensor_split_pieces_are_views():
    x = mt.arange(6.)
    pieces = mt.tensor_split(x, 3)
    pieces[1][0] = 100.
    assert x.tolist()[2] == 100. and all(p._base is x for p in pieces)


@pytest.mark.parametrize("expr", [
    lambda T: T.tensor_split(T.arange(7), 0),
    lambda T: T.tensor_split(T.tensor(1.), 2),
    lambda T: T.tensor_split(T.arange(7), T.tensor([[1]])),
    lambda T: T.tensor_split(T.arange(7), T.tensor(1.)),
    lambda T: T.tensor_split(T.arange(7), 3, 5)])
def test_tensor_split_errors_match_pytorch(expr):
    same_error(expr)


def test_tensor_split_bad_argument_type():
    same_error(lambda T: T.tensor_split(T.arange(7), [1.5]), match="invalid combination",
               exact=False)


@pytest.mark.parametrize("name, shape, spec", [
    ("hsplit", (4,), 2), ("hsplit", (3, 4), 2), ("hsplit", (3, 4), [1, 3]),
    ("vsplit", (4, 3), 2), ("vsplit", (4, 3), [1]), ("dsplit", (2, 3, 4), 2),
    ("dsplit", (2, 3, 4), [3])])
def test_numpy_style_splits_values_and_gradients(name, shape, spec):
    check_op(lambda T, x: getattr(T, name)(x, spec), [shape],
             ref=lambda a: getattr(np, name)(a, spec))
    same_values(lambda T: getattr(T.ones(shape), name)(spec))


@pytest.mark.parametrize("expr", [
    lambda T: T.hsplit(T.zeros(()), 2), lambda T: T.hsplit(T.zeros(4), 3),
    lambda T: T.vsplit(T.zeros(4), 2), lambda T: T.dsplit(T.zeros(4, 4), 2),
    lambda T: T.vsplit(T.zeros(4, 4), 0)])
def test_numpy_style_split_errors_match_pytorch(expr):
    same_error(expr)


def test_hsplit_refuses_a_tensor_of_indices():
    same_error(lambda T: T.hsplit(T.zeros(4, 4), T.tensor([1])), match="invalid combination",
               exact=False)
