"""torch.detach / detach_ / zero_ / fill_ / fill, positive, rsub, is_same_size, is_nonzero and
Tensor.sum_to_size (ops/function_forms.py)."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op
from parity_util import same_error, same_values


def test_detach_function_shares_storage_and_version():
    x = mt.ones(3, requires_grad=True) * 2
    d = mt.detach(x)
    assert not d.requires_grad and d.data_ptr() == x.data_ptr()
    d.add_(1.)
    assert x._version == d._version == 1
    y = mt.ones(2, requires_grad=True) * 3
    assert mt.detach_(y) is y and y.grad_fn is None and not y.requires_grad


def test_zero_fill_inplace_functions():
    same_values(lambda T: T.zero_(T.ones(2, 3)))
    same_values(lambda T: T.fill_(T.ones(2, 3, dtype=T.int64), 7))
    same_values(lambda T: T.fill_(T.ones(2), T.tensor(2.5)))


@pytest.mark.parametrize("value", [3.5, -1, True])
def test_fill_out_of_place(value):
    x = mt.zeros(2, 3)
    out = same_values(lambda T: T.fill(T.zeros(2, 3), value))
    assert out.data_ptr() != x.data_ptr()
    same_values(lambda T: T.fill(T.zeros(2, dtype=T.int32), value))


def test_fill_gradients():
    # the input gets zero, a 0-d tensor value gets the sum of the gradient
    check_op(lambda T, x, v: T.fill(x, v), [(2, 3), ()])
    check_op(lambda T, x: T.fill(x, 2.), [(2, 3)])
    same_error(lambda T: T.fill(T.zeros(2), T.ones(2)))


def test_positive():
    check_op(lambda T, x: T.positive(x), [(2, 3)], ref=lambda a: a)
    same_values(lambda T: T.tensor([1, -2]).positive())
    same_error(lambda T: T.positive(T.tensor([True])))


@pytest.mark.parametrize("alpha", [1, 2.5])
def test_rsub_values_and_gradients(alpha):
    check_op(lambda T, x, y: T.rsub(x, y, alpha=alpha), [(2, 3), (3,)],
             ref=lambda a, b: b - alpha * a)
    check_op(lambda T, x: T.rsub(x, 2.), [(2, 3)], ref=lambda a: 2. - a)
    same_values(lambda T: T.rsub(T.tensor([1, 2]), 5))
    same_error(lambda T: T.rsub(T.tensor([True]), T.tensor([True])))
    same_error(lambda T: T.rsub(T.tensor([1, 2]), T.tensor([3, 4]), alpha=2.5))


def test_is_same_size_and_is_nonzero():
    assert same_values(lambda T: T.is_same_size(T.ones(2, 3), T.zeros(2, 3))) is True
    assert same_values(lambda T: T.ones(2, 3).is_same_size(T.zeros(3, 2))) is False
    assert same_values(lambda T: T.is_nonzero(T.tensor([[0.5]]))) is True
    assert same_values(lambda T: T.tensor(0).is_nonzero()) is False
    same_error(lambda T: T.is_nonzero(T.ones(2)))
    same_error(lambda T: T.is_nonzero(T.ones(0)))


@pytest.mark.parametrize("shape, size", [((2, 3), (1, 3)), ((2, 3), (3,)), ((2, 3), (2, 1)),
                                         ((4, 2, 3), (2, 1)), ((2, 3), (2, 3)), ((2, 3), ())])
def test_sum_to_size_values_and_gradients(shape, size):
    def ref(a):
        lead = a.ndim - len(size)
        out = a.sum(tuple(range(lead))) if lead else a
        dims = tuple(i for i, s in enumerate(size) if s == 1 and out.shape[i] != 1)
        return out.sum(dims, keepdims=True) if dims else out
    check_op(lambda T, x: x.sum_to_size(size), [shape], ref=ref)
    if size:
        check_op(lambda T, x: x.sum_to_size(*size), [shape], ref=ref)


def test_sum_to_size_refuses_a_size_that_does_not_expand():
    same_error(lambda T: T.ones(2, 3).sum_to_size(2))
    same_error(lambda T: T.ones(2, 3).sum_to_size(1, 2, 3, 4))
    same_error(lambda T: T.ones(2, 3).sum_to_size())
    np.testing.assert_equal(mt.ones(2, 3).sum_to_size(3).numpy(), np.full(3, 2.))
