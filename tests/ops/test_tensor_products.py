"""kron and inner (ops/tensor_products.py): numpy.kron / numpy.inner references."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op
from parity_util import same_error, same_values


@pytest.mark.parametrize("shapes", [[(2, 3), (3, 2)], [(2,), (3,)], [(2, 2), (3,)],
                                    [(3,), (2, 1, 2)], [(), (2, 3)], [(2, 1, 2), (1, 3, 1)]])
def test_kron_values_and_gradients(shapes):
    # contiguous: PyTorch's kron (an _unsafe_view) refuses some transposed inputs
    check_op(lambda T, a, b: T.kron(a.contiguous(), b.contiguous()), shapes, ref=np.kron)
    check_op(lambda T, a, b: a.contiguous().kron(b.contiguous()), shapes, ref=np.kron)
    a, b = (np.random.default_rng(2).normal(size=s) for s in shapes)
    a = np.asarray(a)
    order = tuple(range(a.ndim))[::-1]
    a_t = mt.from_numpy(a.transpose(order).copy()).permute(order)   # strided
    np.testing.assert_allclose(mt.kron(a_t, mt.from_numpy(b)).numpy(), np.kron(a, b))


def test_kron_promotes_dtypes():
    same_values(lambda T: T.kron(T.tensor([1, 2]), T.tensor([0.5, 1.0])))
    same_values(lambda T: T.kron(T.tensor([[1, 2]], dtype=T.int32), T.tensor([[3], [4]])))


@pytest.mark.parametrize("shapes", [[(3,), (3,)], [(2, 3), (4, 3)], [(2, 1, 3), (3,)],
                                    [(), (2, 3)], [(2, 3), ()]])
def test_inner_values_and_gradients(shapes):
    check_op(lambda T, a, b: T.inner(a, b), shapes, ref=np.inner)
    check_op(lambda T, a, b: a.inner(b), shapes, ref=np.inner)


def test_inner_errors_and_dtypes():
    same_error(lambda T: T.inner(T.ones(2, 3), T.ones(4)))
    same_error(lambda T: T.kron(T.ones(2), [1.]), exact=False)
    same_values(lambda T: T.inner(T.tensor([1, 2]), T.tensor([3, 4])))
