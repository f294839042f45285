"""Arithmetic core: + - * / with broadcasting, scalars on either side, promotion, in-place."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 1, 3), (4, 1)],
                                    [(), (3,)]])
@pytest.mark.parametrize("name,ref", [("add", np.add), ("sub", np.subtract),
                                      ("mul", np.multiply), ("div", np.divide)])
def test_binary_ops(name, ref, shapes):
    check_op(lambda T, x, y: getattr(T, name)(x, y), shapes, ref=ref, low=0.5, high=2.0)


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_operators_with_python_scalars(op):
    f = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
         "/": lambda a, b: a / b}[op]
    check_op(lambda T, x: f(x, 2.5), [(2, 3)], ref=lambda x: f(x, 2.5), positive=True)
    check_op(lambda T, x: f(2.5, x), [(2, 3)], ref=lambda x: f(2.5, x), positive=True)


def test_add_alpha_and_neg_exp():
    check_op(lambda T, x, y: T.add(x, y, alpha=3), [(4,), (4,)], ref=lambda x, y: x + 3 * y)
    check_op(lambda T, x, y: T.sub(x, y, alpha=2), [(4,), (4,)], ref=lambda x, y: x - 2 * y)
    check_op(lambda T, x: -x, [(3, 2)], ref=np.negative)
    check_op(lambda T, x: T.exp(x), [(3, 2)], ref=np.exp)


@pytest.mark.parametrize("a,b,expected", [
    (mt.tensor([1, 2]), 1.5, mt.float32),
    (mt.tensor([1, 2]), mt.tensor([1, 2]), mt.int64),
    (mt.tensor([1.0], dtype=mt.float16), mt.tensor(2.0, dtype=mt.float64), mt.float16),
    (mt.tensor([1], dtype=mt.int8), 1000, mt.int8),
    (mt.tensor([1.0], dtype=mt.float16), mt.tensor([1]), mt.float16),
    (mt.tensor([1], dtype=mt.uint8), mt.tensor(3), mt.uint8),
    (mt.tensor([True]), mt.tensor([True]), mt.bool),
    (mt.tensor([1.0], dtype=mt.bfloat16), mt.tensor([1.0], dtype=mt.float16), mt.float32),
])
def test_type_promotion_matches_pytorch(a, b, expected):
    assert (a * b).dtype is expected


def test_int_true_division_gives_default_float():
    x = mt.tensor([1, 2])
    assert (x / x).dtype is mt.float32
    assert mt.div(mt.tensor([-7, 7]), 2, rounding_mode="floor").tolist() == [-4, 3]
    assert mt.div(mt.tensor([-7, 7]), 2, rounding_mode="trunc").tolist() == [-3, 3]


def test_inplace_bumps_version_and_forbids_leaf():
    x = mt.zeros(3)
    x.add_(1)
    x.mul_(2)
    assert x._version == 2 and x.tolist() == [2.0, 2.0, 2.0]
    leaf = mt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf.add_(1)
    with mt.no_grad():
        leaf.add_(1)
    assert leaf.tolist() == [2.0, 2.0] and leaf._version == 1


def test_inplace_int_tensor_refuses_float_result():
    x = mt.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
        x.add_(1.5)


def test_inplace_mul_records_gradients_of_both_operands():
    a = mt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = mt.tensor([4.0, 5.0, 6.0], requires_grad=True)
    x = a * 1
    x.mul_(y)
    x.sum().backward()
    assert a.grad.tolist() == [4.0, 5.0, 6.0]
    assert y.grad.tolist() == [1.0, 2.0, 3.0]


@requires_torch
def test_inplace_then_backward_error_message_matches_pytorch():
    for T in (mt, torch):
        a = T.rand(3, requires_grad=True)
        e = a.exp()
        e.add_(1)
        with pytest.raises(RuntimeError, match="output 0 of Exp, is at version 1; expected "
                                               "version 0 instead"):
            e.sum().backward()


@requires_torch
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_shapes_that_do_not_broadcast_raise_pytorchs_error(op):
    for T in (mt, torch):
        with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the "
                                               r"size of tensor b \(2\) at non-singleton "
                                               r"dimension 1"):
            getattr(T, op)(T.ones(2, 3), T.ones(2))
