"""isin (ops/membership.py): numpy.isin as reference, PyTorch's scalar forms and errors."""
from __future__ import annotations

import numpy as np
import pytest

from op_harness import check_op
from parity_util import same_error, same_values


@pytest.mark.parametrize("invert", [False, True])
@pytest.mark.parametrize("assume_unique", [False, True])
def test_isin_against_numpy(invert, assume_unique):
    e = np.array([[1, 2, 5], [3, 4, 2]])
    t = np.array([2, 3, 7])
    check_op(lambda T, x, y: T.isin(x, y, assume_unique=assume_unique, invert=invert), [],
             arrays=[e, t], ref=lambda a, b: np.isin(a, b, invert=invert))


def test_isin_promotes_and_takes_numbers():
    same_values(lambda T: T.isin(T.tensor([1.5, 2.0]), T.tensor([2, 3])))
    same_values(lambda T: T.isin(T.tensor([1, 2]), T.tensor([1.5, 2.0])))
    same_values(lambda T: T.isin(T.tensor([[1, 2], [3, 4]]), 2))
    same_values(lambda T: T.isin(3, T.tensor([2, 3])))
    same_values(lambda T: T.isin(T.tensor(2), T.tensor([[1, 2]]), invert=True))
    same_values(lambda T: T.isin(T.zeros(0), T.tensor([1.])))
    same_values(lambda T: T.isin(T.tensor([float("nan"), 1.]), T.tensor([float("nan"), 1.])))


@pytest.mark.parametrize("expr", [
    lambda T: T.isin(T.tensor([1j]), T.tensor([1j])),
    lambda T: T.isin(T.tensor([True]), T.tensor([True])),
    lambda T: T.isin(T.tensor([1]), T.tensor([True])),
    lambda T: T.isin(T.tensor([1.]), T.tensor([1j]))])
def test_isin_refuses_complex_and_bool(expr):
    same_error(expr)


def test_isin_argument_types():
    same_error(lambda T: T.isin(1, 2), match="invalid combination", exact=False)
    same_error(lambda T: T.isin(T.tensor([1]), [1, 2]), match="invalid combination",
               exact=False)
