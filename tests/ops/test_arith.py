"""Powers and integer-style division (minitorch_nn/ops/arith.py): pow, floor_divide,
remainder, fmod: NumPy reference, gradcheck, PyTorch.

Beyond the op-by-op harness runs: pow's special gradients (x ** 0, base 0), result dtypes and
errors against PyTorch, ops without a derivative. Split from tests/ops/test_unary.py, where
the in-place forms (pow_, remainder_, fmod_, **=, //=, %=) and the docstring examples of both
families are checked.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, make_arrays, requires_torch, torch
from unary_util import _same_as_torch, _outcome


# ------------------------------------------------------------------ pow
@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1, -1.5, 0, 1])
def test_pow_tensor_scalar(exponent):
    check_op(lambda T, x: x ** exponent, [(3, 4)], ref=lambda a: a ** exponent, positive=True)
    check_op(lambda T, x: T.pow(x, exponent), [(4,)], ref=lambda a: a ** exponent,
             positive=True)


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 1, 3), (4, 1)],
                                    [(), (3,)]])
def test_pow_tensor_tensor_broadcast(shapes):
    check_op(lambda T, x, y: T.pow(x, y), shapes, ref=np.power, positive=True)
    check_op(lambda T, x, y: x ** y, shapes, ref=np.power, positive=True)


@pytest.mark.parametrize("base", [2.0, 0.5, 3])
def test_pow_scalar_base(base):
    check_op(lambda T, x: base ** x, [(2, 3)], ref=lambda a: base ** a)
    check_op(lambda T, x: T.pow(base, x), [(4,)], ref=lambda a: base ** a)


@requires_torch
@pytest.mark.parametrize("expr", [
    lambda T, x: x ** 0, lambda T, x: x ** 0.5, lambda T, x: x ** -1.0, lambda T, x: x ** 3,
    lambda T, x: x ** 1.5, lambda T, x: 0.0 ** x, lambda T, x: 2.0 ** x, lambda T, x: (-2.0) ** x,
    lambda T, x: T.pow(x, T.tensor([0.0, 0.5, 1.0, 2.0, 0.0, -1.0])),
    lambda T, x: T.pow(T.tensor([0.0, 0.0, -1.0, 2.0, 0.0, 1.0]), x),
], ids=["x**0", "x**0.5", "x**-1", "x**3", "x**1.5", "0**x", "2**x", "(-2)**x", "x**t", "t**x"])
def test_pow_gradients_at_special_points_match_pytorch(expr):
    _same_as_torch(expr, ([0.0, -2.0, 0.0, 1.0, 3.0, -0.5], "float32", True))


@requires_torch
def test_pow_both_gradients_at_zero_base_match_pytorch():
    _same_as_torch(lambda T, b, e: b ** e, ([0.0, 0.0, -1.0, 2.0], "float64", True),
                   ([0.0, 0.5, 0.0, -1.0], "float64", True))


@requires_torch
@pytest.mark.parametrize("expr", [
    lambda T: T.tensor([1, 2, 3]) ** 2, lambda T: T.tensor([1, 2, 3]) ** 2.5,
    lambda T: 2 ** T.tensor([1, 2, -1]), lambda T: 2.5 ** T.tensor([1, 2]),
    lambda T: T.tensor([1, 2, 3]) ** T.tensor([2, 0, 1]),
    lambda T: T.tensor([1, 2, 3]) ** T.tensor(2.0),
    lambda T: T.tensor([1, -1, -1, 2, 0]) ** T.tensor([-1, -1, -2, -3, -1]),
    lambda T: T.tensor([1, 2], dtype=T.int32) ** 2, lambda T: T.tensor([True, False]) ** 2,
    lambda T: T.tensor([True, False]) ** True, lambda T: T.tensor([2], dtype=T.uint8) ** 10,
    lambda T: T.tensor([2.0], dtype=T.float16) ** 2.5,
    lambda T: T.tensor([2.0]) ** T.tensor(3.0, dtype=T.float64),
    lambda T: T.tensor([1, 2, 3]) ** -1, lambda T: T.tensor([True]) ** T.tensor([True]),
    lambda T: T.square(T.tensor([True, False])),
], ids=lambda f: "")
def test_pow_dtype_rules_match_pytorch(expr):
    mine, theirs = _outcome(mt, expr), _outcome(torch, expr)
    assert mine[:2] == theirs[:2]
    if mine[0] == "ok":
        np.testing.assert_allclose(mine[2], theirs[2], rtol=2e-3)


def test_pow_negative_integer_exponent_error():
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not "
                                           "allowed"):
        mt.tensor([1, 2]) ** -1
    assert (mt.tensor([1, -1, -1, 2, 0]) ** mt.tensor([-1, -1, -2, -3, -1])).tolist() == \
        [1, -1, 1, 0, 0]


def test_pow_broadcast_error_is_pytorchs():
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of "
                                           r"tensor b \(2\) at non-singleton dimension 1"):
        mt.ones(2, 3) ** mt.ones(3, 2)


# ------------------------------------------------------------------ floor_divide, remainder, fmod
DIVISION_CASES = [
    lambda T: T.tensor([-7.0, 7.0, 5.5, -5.5]) // 2, lambda T: T.tensor([-7, 7]) // 2,
    lambda T: 7 // T.tensor([-2, 2]), lambda T: T.tensor([-7, 7]) // 2.0,
    lambda T: 5.5 // T.tensor([2]), lambda T: T.floor_divide(T.tensor([5]), T.tensor([2.0])),
    lambda T: T.tensor([1.0, -2.0]) // 0, lambda T: T.tensor([5.0], dtype=T.float16) // 2,
    lambda T: T.tensor([-7.0, 7.0, 5.5, -5.5]) % 3, lambda T: T.tensor([-7, 7]) % -3,
    lambda T: 5 % T.tensor([3, -3]), lambda T: 5.5 % T.tensor([3, -3]),
    lambda T: T.remainder(T.tensor([-7, 7, -7, 7]), T.tensor([2, -2, -2, 2])),
    lambda T: T.tensor([-7.5, 7.5]) % -2, lambda T: T.tensor([1.0, 2.0]) % 0,
    lambda T: T.fmod(T.tensor([-7, 7]), -3), lambda T: T.fmod(T.tensor([-7, 7]), 2.5),
    lambda T: T.fmod(T.tensor([1.0, -2.0]), 0.0), lambda T: T.remainder(5, T.tensor([3, -3])),
    lambda T: T.tensor([True]) % 1,
]


@requires_torch
@pytest.mark.parametrize("expr", DIVISION_CASES, ids=lambda f: "")
def test_division_like_values_and_dtypes_match_pytorch(expr):
    mine, theirs = _outcome(mt, expr), _outcome(torch, expr)
    assert mine[:2] == theirs[:2]
    np.testing.assert_allclose(mine[2], theirs[2], equal_nan=True)


def test_integer_division_by_zero_and_bool_errors():
    for expr in (lambda: mt.tensor([1, 2]) // 0, lambda: mt.tensor([1, 2]) % 0,
                 lambda: mt.fmod(mt.tensor([5]), mt.tensor([0]))):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            expr()
    with pytest.raises(NotImplementedError, match="div_floor_cpu.*Bool"):
        mt.tensor([True]) // mt.tensor([True])
    with pytest.raises(NotImplementedError, match="remainder_cpu.*Bool"):
        mt.tensor([True]) % mt.tensor([True])
    with pytest.raises(TypeError, match="fmod"):
        mt.fmod(5, mt.tensor([3]))


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 1, 3), (4, 1)]])
@pytest.mark.parametrize("name,ref", [("remainder", np.remainder), ("fmod", np.fmod)])
def test_remainder_fmod_gradients(name, ref, shapes):
    arrays = make_arrays(shapes, low=-3.0, high=3.0)
    arrays[1] = np.where(np.abs(arrays[1]) < 0.5, 0.75, arrays[1])   # keep away from 0
    check_op(lambda T, x, y: getattr(T, name)(x, y), shapes, ref=ref, arrays=arrays)
    check_op(lambda T, x: getattr(x, name)(1.5), shapes[:1], ref=lambda a: ref(a, 1.5),
             low=-3.0, high=3.0)
    check_op(lambda T, x: x % -1.25, shapes[:1], ref=lambda a: np.remainder(a, -1.25))


def test_ops_without_derivative_raise_at_backward():
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    for expr, op in ((lambda: x // 2, "floor_divide"), (lambda: 5 % x, "remainder")):
        y = expr()
        assert y.requires_grad
        with pytest.raises(RuntimeError, match=f"derivative for aten::{op} is not "
                                               "implemented"):
            y.backward(mt.ones(2))
