"""fmax, fmin, nextafter, isposinf, isneginf, isreal (ops/ieee_pointwise.py)."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op
from parity_util import same_error, same_values

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_values_and_gradients(name):
    check_op(lambda T, x, y: getattr(T, name)(x, y), [(3, 4), (4,)], ref=getattr(np, name))
    check_op(lambda T, x, y: getattr(x, name)(y), [(2, 3), (2, 3)], ref=getattr(np, name))


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_ignore_nan_and_route_gradients_like_pytorch(name):
    a = np.array([1., NAN, 2., NAN, 3.])
    b = np.array([NAN, 0., 2., NAN, -1.])    # a tie at 2: all to input
    check_op(lambda T, x, y: getattr(T, name)(x, y), [], arrays=[a, b], grad=False,
             ref=getattr(np, name))

    def grads(T):
        x = T.tensor(a, requires_grad=True)
        y = T.tensor(b, requires_grad=True)
        getattr(T, name)(x, y).backward(T.arange(1., 6., dtype=T.float64))
        return x.grad, y.grad
    same_values(grads)


@pytest.mark.parametrize("name", ["fmax", "fmin"])
@pytest.mark.parametrize("dtypes", [("int64", "int64"), ("int32", "int64"), ("int64", "float32"),
                                    ("float16", "float16"), ("bool", "bool"),
                                    ("float64", "float32")])
def test_fmax_fmin_dtype_promotion(name, dtypes):
    same_values(lambda T: getattr(T, name)(
        T.tensor([1, 0, 3]).to(getattr(T, dtypes[0])),
        T.tensor([2, 0, 1]).to(getattr(T, dtypes[1]))))


@pytest.mark.parametrize("name", ["fmax", "fmin", "nextafter"])
def test_binary_ieee_errors_match_pytorch(name):
    same_error(lambda T: getattr(T, name)(T.ones(2), 1.0))
    same_error(lambda T: getattr(T, name)(T.ones(2), T.ones(3)))
    if name != "nextafter":
        same_error(lambda T: getattr(T, name)(T.ones(2, dtype=T.complex64),
                                              T.ones(2, dtype=T.complex64)))


def test_fmax_double_backward():
    x = mt.tensor([1., 3., 2.], dtype=mt.float64, requires_grad=True)
    y = mt.tensor([2., 1., 5.], dtype=mt.float64, requires_grad=True)
    assert mt.autograd.gradgradcheck(lambda a, b: mt.fmax(a, b) ** 2, [x, y])


def test_nextafter_values_dtypes_and_gradient():
    check_op(lambda T, x, y: T.nextafter(x, y), [(3, 4), (4,)], ref=np.nextafter, grad=False)
    check_op(lambda T, x, y: T.nextafter(x, y), [(3, 4), (4,)], dtype=np.float32,
             ref=np.nextafter, atol=0, rtol=0, grad=False)
    for d in ("float16", "float32", "float64"):
        same_values(lambda T, d=d: T.nextafter(T.tensor([1., 0., -1.], dtype=getattr(T, d)),
                                               T.tensor([2., -1., -1.], dtype=getattr(T, d))),
                    atol=0, rtol=0)
    same_values(lambda T: T.nextafter(T.tensor([1, 2]), T.tensor([2.5, 0.])))

    def grads(T):   # PyTorch: the gradient passes to input, zero for other
        x = T.tensor([1., 2.], requires_grad=True)
        o = T.tensor([3., 0.], requires_grad=True)
        T.nextafter(x, o).sum().backward()
        return x.grad, o.grad
    same_values(grads)


def test_nextafter_refuses_integers_and_works_in_place():
    same_error(lambda T: T.nextafter(T.tensor([1]), T.tensor([2])))
    same_error(lambda T: T.nextafter(T.tensor([True]), T.tensor([True])))
    same_values(lambda T: T.tensor([1., 2.]).nextafter_(T.tensor([0., 3.])), atol=0, rtol=0)


@pytest.mark.parametrize("name, ref", [("isposinf", np.isposinf), ("isneginf", np.isneginf)])
def test_isposinf_isneginf(name, ref):
    a = np.array([INF, -INF, NAN, 0., 1e308 * 10, -1.])
    check_op(lambda T, x: getattr(T, name)(x), [], arrays=[a], ref=ref, grad=False)
    check_op(lambda T, x: getattr(x, name)(), [], arrays=[a.astype(np.float16)], ref=ref,
             grad=False)
    same_values(lambda T: getattr(T, name)(T.tensor([1, -2])))
    same_values(lambda T: getattr(T, name)(T.tensor([True])))
    same_values(lambda T: getattr(T, name)(T.tensor([INF, -INF], dtype=T.bfloat16)))
    same_error(lambda T: getattr(T, name)(T.tensor([1j])))


def test_isreal():
    same_values(lambda T: T.isreal(T.tensor([1 + 0j, 1j, -2 + 0j])))
    same_values(lambda T: T.tensor([1., NAN]).isreal())
    same_values(lambda T: T.isreal(T.tensor([[1, 2]])))
    same_error(lambda T: T.isreal([1]), exact=False)
