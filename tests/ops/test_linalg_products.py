"""ops/linalg_products.py: matrix_power, cross, multi_dot, vecdot, linalg.diagonal (and the
linalg aliases of matrix_exp and householder_product), through op_harness.check_op and
PyTorch's errors for bad inputs.
"""
from __future__ import annotations

import warnings
from functools import reduce

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, torch


def both_raise(call, exc=RuntimeError, same_message=True):
    with pytest.raises(exc) as ours:
        call(mt)
    if torch is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            call(torch)
    assert isinstance(theirs.value, exc), f"torch raised {type(theirs.value)}"
    if same_message:
        assert str(ours.value) == str(theirs.value)


# ---------------------------------------------------------------------------- matrix_power
@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 6, -1, -3])
@pytest.mark.parametrize("shape", [(3, 3), (2, 2, 2), (0, 2, 2)])
def test_matrix_power(n, shape):
    a = np.random.default_rng(0).uniform(-1, 1, shape) + np.eye(shape[-1])
    check_op(lambda T, x: T.linalg.matrix_power(x, n), [shape], arrays=[a],
             ref=lambda x: np.linalg.matrix_power(x, n), grad=0 not in shape)
    check_op(lambda T, x: x.matrix_power(n), [shape], arrays=[a], grad=0 not in shape,
             ref=lambda x: np.linalg.matrix_power(x, n))


def test_matrix_power_int_and_nodes():
    a = np.arange(9).reshape(3, 3)
    check_op(lambda T, x: T.matrix_power(x, 3), [a.shape], arrays=[a],
             ref=lambda x: np.linalg.matrix_power(x, 3))
    x = mt.ones(3, 3, requires_grad=True)
    assert mt.linalg.matrix_power(x, 0).grad_fn.name() == "torch::autograd::CopyBackwards"
    assert mt.linalg.matrix_power(x, 4).grad_fn.name() == "MmBackward0"


@pytest.mark.parametrize("make,exc", [
    (lambda T: T.linalg.matrix_power(T.ones(2, 3), 2), RuntimeError),
    (lambda T: T.linalg.matrix_power(T.ones(3, 3), 2.0), TypeError),
    (lambda T: T.linalg.matrix_power(T.ones(3, 3, dtype=T.int64), -1), RuntimeError),
    (lambda T: T.linalg.matrix_power(T.zeros(3, 3), -1), RuntimeError),
])
def test_matrix_power_errors(make, exc):
    both_raise(make, exc)


# ---------------------------------------------------------------------------- cross
@pytest.mark.parametrize("shapes,dim", [([(3,), (3,)], -1), ([(4, 3), (4, 3)], 1),
                                        ([(3, 5), (3, 1)], 0), ([(2, 1, 3), (1, 4, 3)], -1),
                                        ([(0, 3), (0, 3)], -1)])
def test_linalg_cross(shapes, dim):
    check_op(lambda T, a, b: T.linalg.cross(a, b, dim=dim), shapes,
             ref=lambda a, b: np.cross(a, b, axis=dim), grad=0 not in shapes[0])
    check_op(lambda T, a, b: T.cross(a, b, dim=dim), shapes, grad=False,
             ref=lambda a, b: np.cross(a, b, axis=dim))


def test_cross_int_half_and_method():
    a = np.arange(6).reshape(2, 3)
    b = a[::-1].copy()
    check_op(lambda T, x, y: x.cross(y, dim=1), [a.shape, b.shape], arrays=[a, b],
             ref=lambda x, y: np.cross(x, y))
    h = [x.astype(np.float16) for x in (a, b)]
    check_op(lambda T, x, y: T.linalg.cross(x, y), [a.shape, b.shape], arrays=h, grad=False)


def test_cross_without_dim_warns_and_takes_first_length_3_dim():
    a = np.random.default_rng(0).standard_normal((3, 4))
    b = np.random.default_rng(1).standard_normal((3, 4))
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
        out = mt.cross(mt.tensor(a), mt.tensor(b))
    np.testing.assert_allclose(out.numpy(), np.cross(a, b, axis=0))


@pytest.mark.parametrize("make,exc", [
    (lambda T: T.linalg.cross(T.ones(3, 4), T.ones(3, 4)), RuntimeError),
    (lambda T: T.linalg.cross(T.ones(2, 3), T.ones(4, 3)), RuntimeError),
    (lambda T: T.linalg.cross(T.ones(3, 3), T.ones(3)), RuntimeError),
    (lambda T: T.linalg.cross(T.ones(3), T.ones(3, dtype=T.float64)), RuntimeError),
    (lambda T: T.linalg.cross(T.ones(3, dtype=T.bool), T.ones(3, dtype=T.bool)),
     NotImplementedError),
    (lambda T: T.cross(T.ones(4, 4), T.ones(4, 4)), RuntimeError),
])
@pytest.mark.filterwarnings("ignore:Using torch.cross without specifying the dim")
def test_cross_errors(make, exc):
    both_raise(make, exc)


def test_cross_dim_out_of_range():
    both_raise(lambda T: T.linalg.cross(T.ones(3), T.ones(3), dim=2), IndexError,
               same_message=False)


# ---------------------------------------------------------------------------- multi_dot
@pytest.mark.parametrize("shapes", [[(3, 4), (4, 2)], [(3,), (3, 4), (4, 5), (5,)],
                                    [(2, 10), (10, 1), (1, 8), (8, 3)], [(3,), (3,)],
                                    [(0, 2), (2, 3), (3, 0)]])
def test_multi_dot(shapes):
    check_op(lambda T, *xs: T.linalg.multi_dot(list(xs)), shapes,
             ref=lambda *xs: reduce(np.matmul, xs), grad=all(0 not in s for s in shapes))


@pytest.mark.parametrize("make,exc", [
    (lambda T: T.linalg.multi_dot([T.ones(3, 3)]), RuntimeError),
    (lambda T: T.linalg.multi_dot([]), RuntimeError),
    (lambda T: T.linalg.multi_dot([T.ones(2, 3, 3), T.ones(3, 3)]), RuntimeError),
    (lambda T: T.linalg.multi_dot([T.ones(3, 3), T.ones(2, 3, 3), T.ones(3, 3)]),
     RuntimeError),
    (lambda T: T.linalg.multi_dot([T.ones(3, 3), T.ones(2, 3)]), RuntimeError),
    (lambda T: T.linalg.multi_dot([T.ones(3, 3), T.ones(3, 3, dtype=T.float64)]),
     RuntimeError),
    (lambda T: T.linalg.multi_dot(T.ones(3, 3)), TypeError),
])
def test_multi_dot_errors(make, exc):
    both_raise(make, exc)


# ---------------------------------------------------------------------------- vecdot
@pytest.mark.parametrize("shapes,dim", [([(3,), (3,)], -1), ([(2, 3), (3,)], -1),
                                        ([(4, 2), (4, 1)], 0), ([(0, 3), (0, 3)], 1)])
def test_vecdot(shapes, dim):
    check_op(lambda T, x, y: T.linalg.vecdot(x, y, dim=dim), shapes,
             ref=lambda x, y: (x * y).sum(axis=dim), grad=0 not in shapes[0])


@pytest.mark.parametrize("make,exc", [
    (lambda T: T.linalg.vecdot(T.ones(3), T.ones(3, dtype=T.float64)), RuntimeError),
    (lambda T: T.linalg.vecdot(T.ones(3, dtype=T.int64), T.ones(3, dtype=T.int64)),
     RuntimeError),
])
def test_vecdot_errors(make, exc):
    both_raise(make, exc)


def test_vecdot_shape_errors():
    both_raise(lambda T: T.linalg.vecdot(T.ones(2, 3), T.ones(4, 3)), same_message=False)
    both_raise(lambda T: T.linalg.vecdot(T.ones(3, 3), T.ones(3, 3), dim=2), IndexError,
               same_message=False)


# ---------------------------------------------------------------------------- aliases
@pytest.mark.parametrize("offset,dim1,dim2", [(0, -2, -1), (1, 0, 2), (-1, 2, 1)])
def test_linalg_diagonal(offset, dim1, dim2):
    check_op(lambda T, x: T.linalg.diagonal(x, offset=offset, dim1=dim1, dim2=dim2),
             [(2, 3, 4)], ref=lambda a: np.diagonal(a, offset, dim1, dim2))


def test_linalg_matrix_exp_and_householder_product_are_the_top_level_ops():
    check_op(lambda T, x: T.linalg.matrix_exp(x), [(2, 3, 3)])
    check_op(lambda T, a, t: T.linalg.householder_product(a, t), [(4, 3), (2,)])
    both_raise(lambda T: T.linalg.matrix_exp(T.ones(3, 3, dtype=T.int64)))
