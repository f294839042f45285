"""unravel_index (ops/unravel.py): numpy.unravel_index as reference, PyTorch's wrapping of
out-of-range indices and its errors."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from parity_util import same_error, same_values


@pytest.mark.parametrize("shape", [(2, 4), (3,), (2, 3, 4), [5, 1, 2]])
def test_unravel_index_against_numpy(shape):
    idx = np.arange(int(np.prod(shape))).reshape(-1, 2) if np.prod(shape) % 2 == 0 \
        else np.arange(int(np.prod(shape)))
    out = mt.unravel_index(mt.from_numpy(idx), shape)
    for o, e in zip(out, np.unravel_index(idx, shape)):
        np.testing.assert_array_equal(o.numpy(), e)
        assert o.dtype == mt.int64
    same_values(lambda T: T.unravel_index(T.from_numpy(idx), shape))


def test_unravel_index_forms_and_wrapping():
    same_values(lambda T: T.unravel_index(T.tensor(3), 4))
    same_values(lambda T: T.unravel_index(T.tensor([8, -1, -9]), (2, 4)))
    same_values(lambda T: T.unravel_index(T.tensor([1, 2], dtype=T.int32), T.Size([2, 3])))
    same_values(lambda T: T.unravel_index(T.tensor([1]), ()))


@pytest.mark.parametrize("expr", [
    lambda T: T.unravel_index(T.tensor([1.]), (2, 4)),
    lambda T: T.unravel_index(T.tensor([True]), (2,)),
    lambda T: T.unravel_index(T.tensor([1]), (2, -4)),
    lambda T: T.unravel_index(T.tensor([1]), 2.5),
    lambda T: T.unravel_index(T.tensor([0]), (2, 0))])
def test_unravel_index_errors_match_pytorch(expr):
    same_error(expr)
