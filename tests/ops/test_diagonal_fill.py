"""Tensor.fill_diagonal_ (ops/diagonal_fill.py): numpy.fill_diagonal as reference, in place
through an as_strided view, gradients through the write."""
from __future__ import annotations

import numpy as np
import pytest

from op_harness import check_op
from parity_util import same_error, same_values


@pytest.mark.parametrize("shape, wrap", [((3, 4), False), ((4, 3), False), ((7, 3), True),
                                         ((7, 3), False), ((3, 3, 3), False), ((5, 2), True),
                                         ((2, 2), True)])
def test_fill_diagonal_against_numpy(shape, wrap):
    def ref(a):
        a = a.copy()
        np.fill_diagonal(a, 5., wrap=wrap)
        return a

    def fn(T, x):
        y = x * 1
        assert y.fill_diagonal_(5., wrap=wrap) is y
        return y
    check_op(fn, [shape], ref=ref)


def test_fill_diagonal_on_views_and_integer_tensors():
    same_values(lambda T: T.zeros(4, 6)[:, 1:4].fill_diagonal_(1.))
    same_values(lambda T: T.zeros(3, 5).t().fill_diagonal_(2., wrap=True))
    same_values(lambda T: T.zeros(3, 3, dtype=T.int64).fill_diagonal_(7))

    def base_sees_it(T):
        base = T.zeros(4, 4)
        base[1:, 1:].fill_diagonal_(3.)
        return base
    same_values(base_sees_it)


@pytest.mark.parametrize("expr", [lambda T: T.zeros(2, 3, 2).fill_diagonal_(1),
                                  lambda T: T.zeros(2).fill_diagonal_(1),
                                  lambda T: T.ones(2, 2, requires_grad=True).fill_diagonal_(0)])
def test_fill_diagonal_errors_match_pytorch(expr):
    same_error(expr)
