"""select_scatter, slice_scatter, diagonal_scatter, as_strided_scatter (ops/view_scatter.py):
NumPy references, gradients for input and src, PyTorch parity."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op
from parity_util import same_error, same_values


def _np_replace(a, src, index):
    out = a.copy()
    out[index] = src
    return out


@pytest.mark.parametrize("dim, index", [(0, 1), (1, -1), (-1, 0)])
def test_select_scatter(dim, index):
    src_shape = tuple(n for i, n in enumerate((3, 4)) if i != dim % 2)
    idx = (slice(None),) * (dim % 2) + (index,)
    check_op(lambda T, x, s: T.select_scatter(x, s, dim, index), [(3, 4), src_shape],
             ref=lambda a, s: _np_replace(a, s, idx))


@pytest.mark.parametrize("dim, start, end, step", [(0, 0, 2, 1), (1, 1, None, 2),
                                                   (1, -2, None, 1), (0, None, None, 1),
                                                   (1, 1, 10, 1)])
def test_slice_scatter(dim, start, end, step):
    idx = (slice(None),) * dim + (slice(start, end, step),)
    src_shape = np.zeros((3, 4))[idx].shape
    check_op(lambda T, x, s: T.slice_scatter(x, s, dim, start, end, step), [(3, 4), src_shape],
             ref=lambda a, s: _np_replace(a, s, idx))
    check_op(lambda T, x, s: x.slice_scatter(s, dim=dim, start=start, end=end, step=step),
             [(3, 4), src_shape])


@pytest.mark.parametrize("offset, dim1, dim2", [(0, 0, 1), (1, 0, 1), (-1, 0, 1), (0, 1, 2),
                                                (1, -1, 0)])
def test_diagonal_scatter(offset, dim1, dim2):
    n = np.zeros((3, 4, 5)).diagonal(offset, dim1, dim2).shape
    check_op(lambda T, x, s: T.diagonal_scatter(x, s, offset, dim1, dim2), [(3, 4, 5), n])


@pytest.mark.parametrize("size, stride, offset", [((2, 2), (1, 2), None), ((2,), (3,), 1),
                                                  ((3, 2), (4, 1), 0)])
def test_as_strided_scatter(size, stride, offset):
    def ref(a, s):
        out = np.ascontiguousarray(a).copy()
        flat = out.ravel()
        view = np.lib.stride_tricks.as_strided(flat[offset or 0:], size,
                                               tuple(k * 8 for k in stride))
        view[...] = s
        return out
    # src's gradient against PyTorch; input's by gradcheck only (see the test below)
    check_op(lambda T, x, s: T.as_strided_scatter(x.contiguous(), s, size, stride, offset),
             [(3, 4), size], ref=ref, grad_inputs=(1,))
    x = mt.randn(3, 4, dtype=mt.float64, requires_grad=True)
    src = mt.randn(*size, dtype=mt.float64)
    assert mt.autograd.gradcheck(
        lambda t: mt.as_strided_scatter(t, src, size, stride, offset), [x])


def test_as_strided_scatter_input_gradient_is_the_true_one():
    # PyTorch 2.13's as_strided_scatter_backward gives `input` the gradient of the replaced
    # region (its own gradcheck fails); the derivative is the gradient with that region zeroed
    x = mt.zeros(3, 4, dtype=mt.float64, requires_grad=True)
    g = np.arange(12.).reshape(3, 4)
    mt.as_strided_scatter(x, mt.ones(2, 2, dtype=mt.float64), (2, 2), (1, 2)) \
        .backward(mt.from_numpy(g.copy()))
    expected = g.copy()
    expected[0] = 0
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_as_strided_scatter_keeps_the_inputs_layout_and_starts_at_its_copy():
    same_values(lambda T: T.as_strided_scatter(T.zeros(3, 4).t(), T.ones(2), (2,), (1,)))
    same_values(lambda T: T.as_strided_scatter(T.zeros(6)[2:], T.ones(2), (2,), (1,)))


def test_scatter_results_are_copies_and_cast_src():
    x = mt.zeros(2, 3)
    out = mt.select_scatter(x, mt.ones(3, dtype=mt.float64), 0, 0)
    assert x.sum().item() == 0 and out.dtype == mt.float32
    same_values(lambda T: T.slice_scatter(T.zeros(3, 4), T.ones(3, 2, dtype=T.int64), 1, 2))


@pytest.mark.parametrize("expr", [
    lambda T: T.select_scatter(T.zeros(3, 4), T.ones(3), 0, 1),
    lambda T: T.select_scatter(T.zeros(3, 4), T.ones(4), 0, 5),
    lambda T: T.slice_scatter(T.zeros(3, 4), T.ones(3, 2), dim=1, start=1),
    lambda T: T.slice_scatter(T.zeros(3, 4), T.ones(3, 0), dim=1, step=0),
    lambda T: T.diagonal_scatter(T.zeros(3, 4), T.ones(2)),
    lambda T: T.as_strided_scatter(T.zeros(3, 4), T.ones(3), (2, 2), (1, 2)),
    lambda T: T.as_strided_scatter(T.zeros(3, 4), T.ones(2), (2,), (1,), 20)])
def test_scatter_errors_match_pytorch(expr):
    same_error(expr)
