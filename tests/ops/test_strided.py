"""as_strided / as_strided_ / new_empty_strided (ops/strided.py), Tensor.itemsize and nbytes:
views over the storage, bounds checks, gradients through the storage, PyTorch parity."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch
from parity_util import same_error, same_values


def _np_as_strided(a, size, stride, offset):
    flat = np.ascontiguousarray(a).ravel()
    return np.lib.stride_tricks.as_strided(flat[offset:], size,
                                           tuple(s * flat.itemsize for s in stride)).copy()


@pytest.mark.parametrize("size, stride, offset", [
    ((2, 2), (1, 2), 0), ((3, 2), (2, 1), 1), ((2, 3), (1, 1), 3), ((4,), (3,), 0),
    ((2, 2, 2), (4, 2, 1), 0), ((3,), (0,), 2), ((0, 2), (1, 1), 12)])
def test_as_strided_values_and_gradient(size, stride, offset):
    # overlapping windows and stride 0 add their gradients up in the storage
    check_op(lambda T, x: T.as_strided(x.contiguous(), size, stride, offset), [(3, 4)],
             ref=lambda a: _np_as_strided(a, size, stride, offset))


def test_as_strided_is_a_view_sharing_storage_and_version():
    base = mt.arange(6.)
    v = mt.as_strided(base, (2, 2), (1, 2))
    assert v._base is base and v.stride() == (1, 2)
    v[1, 1] = 100.
    assert base.tolist() == [0., 1., 2., 100., 4., 5.]
    assert v._version == base._version == 1
    assert same_values(lambda T: T.as_strided(T.arange(12.), (2,), (1,), 5).storage_offset()) == 5
    assert same_values(lambda T: T.as_strided(T.arange(12.)[3:], (2,), (2,)).storage_offset()) == 3


def test_as_strided_default_offset_is_the_inputs_and_reaches_the_whole_storage():
    same_values(lambda T: T.as_strided(T.arange(6.)[2:], (2, 2), (1, 1)))
    same_values(lambda T: T.as_strided(T.arange(6.)[2:], (2, 2), (1, 1), 0))   # before it
    same_values(lambda T: T.arange(12.).view(3, 4).t().as_strided((3,), (5,), 0))
    same_values(lambda T: T.arange(6, dtype=T.float64).view(T.int32).as_strided((2,), (1,), 10))


def test_as_strided_of_views_gradient_matches_pytorch():
    check_op(lambda T, x: T.as_strided(x[1:], (2, 2), (1, 3), 2), [(4, 3)])
    check_op(lambda T, x: x.t().as_strided((3, 2), (1, 1)), [(2, 3)])
    check_op(lambda T, x: T.as_strided(x.expand(3, 4), (2, 2), (1, 1)), [(4,)])


def test_as_strided_double_backward():
    x = mt.randn(6, dtype=mt.float64, requires_grad=True)
    assert mt.autograd.gradgradcheck(lambda t: mt.as_strided(t, (3, 2), (1, 2)) ** 2, [x])


def test_as_strided_never_reads_out_of_bounds():
    err = same_error(lambda T: T.as_strided(T.arange(6.), (10,), (1,)))
    assert "out of bounds for storage of size 24" in str(err)
    same_error(lambda T: T.as_strided(T.arange(6.)[4:], (3,), (1,)))     # past the end
    same_error(lambda T: T.as_strided(T.arange(6.), (2, 2), (3, 3)))     # last element 6
    same_values(lambda T: T.as_strided(T.arange(6.), (0,), (1,), 6))     # empty: anywhere


@pytest.mark.parametrize("args", [((2,), (1, 1)), ((2,), (-1,)), ((-1,), (1,)),
                                  ((2,), (1,), -1)])
def test_as_strided_bad_geometry_errors_match_pytorch(args):
    same_error(lambda T: T.as_strided(T.arange(6.), *args))


def test_as_strided_argument_types():
    same_error(lambda T: T.as_strided(T.arange(6.), (2,), (1,), 1.5))
    same_error(lambda T: T.as_strided([1, 2], (2,), (1,)), exact=False)


def test_as_strided_inplace_relays_the_tensor_and_its_gradient():
    same_values(lambda T: T.arange(6.).as_strided_((2, 2), (1, 2), 1))
    x = mt.arange(6., requires_grad=True)
    y = x * 2
    assert y.as_strided_((2,), (3,)) is y and tuple(y.shape) == (2,)
    y.sum().backward()
    assert x.grad.tolist() == [2., 0., 0., 2., 0., 0.]
    same_error(lambda T: T.ones(3, requires_grad=True).as_strided_((2,), (1,)))


def test_fill_through_an_as_strided_view_reaches_the_base_gradient():
    def fn(T, x):
        y = x * 1
        T.as_strided(y, (3,), (4,)).mul_(3.)
        return y
    check_op(fn, [(3, 3)])


def test_new_empty_strided_has_the_strides_dtype_and_device():
    t = mt.zeros(2, dtype=mt.float64).new_empty_strided((2, 3), (1, 2))
    assert t.stride() == (1, 2) and t.dtype == mt.float64 and tuple(t.shape) == (2, 3)
    u = mt.zeros(2).new_empty_strided((2,), (1,), dtype=mt.int32, requires_grad=False)
    assert u.dtype == mt.int32
    assert mt.zeros(1).new_empty_strided((2,), (1,), requires_grad=True).is_leaf
    if torch is not None:
        assert torch.zeros(2).new_empty_strided((2, 3), (1, 2)).stride() == (1, 2)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "bool", "complex64"])
def test_itemsize_and_nbytes_match_pytorch(dtype):
    def fn(T):
        x = T.zeros(3, 4, dtype=getattr(T, dtype))
        return (x.itemsize, x.nbytes, x[:, :2].nbytes, x[0].expand(2, 4).nbytes)
    assert same_values(fn) == (np.dtype(dtype).itemsize, 12 * np.dtype(dtype).itemsize,
                               6 * np.dtype(dtype).itemsize, 8 * np.dtype(dtype).itemsize)


def _grad_through_expand(T):
    x = T.tensor([1., 2.], dtype=T.float64, requires_grad=True)
    e = x.expand(3, 2)
    w = T.tensor([[1., 2.], [3., 4.]], dtype=T.float64)
    (T.as_strided(e, (2, 2), (1, 0)) * w).sum().backward()
    return x.grad


@requires_torch
def test_as_strided_grad_of_an_overlapping_input_divides_like_pytorch():
    # the input aliases itself (expand): PyTorch divides each shared position's gradient
    same_values(_grad_through_expand)
