"""gcd and lcm with their in-place forms (ops/integer_math.py)."""
from __future__ import annotations

import numpy as np
import pytest

from op_harness import check_op
from parity_util import same_error, same_values

A = np.array([[-4, 0, 6, 12], [7, -9, 0, 1]])
B = np.array([6, 0, -9, 18])


@pytest.mark.parametrize("name", ["gcd", "lcm"])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.int8, np.uint8])
def test_gcd_lcm_values_against_numpy(name, dtype):
    a, b = np.abs(A).astype(dtype), np.abs(B).astype(dtype)
    if dtype != np.uint8:
        a, b = A.astype(dtype), B.astype(dtype)
    check_op(lambda T, x, y: getattr(T, name)(x, y), [], arrays=[a, b],
             ref=getattr(np, name))


@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_lcm_promote_and_have_inplace_forms(name):
    same_values(lambda T: getattr(T, name)(T.tensor([4, 6], dtype=T.int32), T.tensor([6, 4])))
    same_values(lambda T: getattr(T.tensor([4, -6]), name)(T.tensor([6, 4])))
    same_values(lambda T: getattr(T.tensor([4, -6]), name + "_")(T.tensor([6, 4])))
    same_values(lambda T: getattr(T, name + "_")(T.tensor([4, 10]), T.tensor([6, 4])))


@pytest.mark.parametrize("name", ["gcd", "lcm"])
@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("int64", "float32"),
                                    ("bool", "bool"), ("float16", "float16")])
def test_gcd_lcm_refuse_non_integer_dtypes(name, dtypes):
    same_error(lambda T: getattr(T, name)(T.ones(2, dtype=getattr(T, dtypes[0])),
                                          T.ones(2, dtype=getattr(T, dtypes[1]))))


@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_lcm_argument_errors(name):
    same_error(lambda T: getattr(T, name)(T.tensor([1]), 1.0))
    same_error(lambda T: getattr(T, name)(T.tensor([1, 2]), T.tensor([1, 2, 3])))
    same_error(lambda T: getattr(T.tensor([1.5]), name + "_")(T.tensor([2])))
