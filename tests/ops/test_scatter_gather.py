"""Gather and scatter (minitorch_nn/ops/scatter_gather.py): gather, scatter (src, value,
reduce), scatter_add, index_select, index_add, take.

Every op is checked against NumPy (where NumPy agrees with PyTorch), by gradcheck and against
PyTorch; plus version counters and PyTorch's errors. Split from tests/ops/test_indexing.py.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from indexing_util import same_error
from op_harness import check_op, make_arrays, requires_torch


# ------------------------------------------------------------------ gather / scatter
IDX = np.array([[0, 2, 1], [1, 1, 0]])


def _np_gather(x, dim, index):
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return x[tuple(grids)]


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather(dim):
    index = IDX if dim == 0 else IDX % 3
    check_op(lambda T, x, i: T.gather(x, dim, i), None, arrays=[make_arrays([(3, 4)])[0], index],
             ref=lambda x, i: _np_gather(x, dim, i))
    check_op(lambda T, x, i: x.gather(dim, i), None, arrays=[make_arrays([(3, 4)])[0], index],
             ref=lambda x, i: _np_gather(x, dim, i))


def test_gather_0d():
    check_op(lambda T, x, i: x.gather(0, i), None,
             arrays=[np.array(5.0), np.array([0, 0])], ref=lambda x, i: np.array([x, x]))


def _np_scatter(x, dim, index, src, add=False):
    y = x.copy()
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    vals = src[tuple(slice(0, n) for n in index.shape)] if isinstance(src, np.ndarray) \
        else src
    if add:
        np.add.at(y, tuple(grids), vals)
    else:
        y[tuple(grids)] = vals
    return y


UNIQUE = np.array([[0, 2, 1], [1, 0, 2]])   # no repeats along dim 0 or 1: well-defined grads


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scatter_src_and_value(dim):
    x, src = make_arrays([(3, 4), (2, 3)])   # PyTorch's gradient wants src shaped like index
    check_op(lambda T, x, i, s: T.scatter(x, dim, i, s), None, arrays=[x, UNIQUE, src],
             ref=lambda x, i, s: _np_scatter(x, dim, i, s))
    check_op(lambda T, x, i: x.scatter(dim, i, 2.5), None, arrays=[x, UNIQUE],
             ref=lambda x, i: _np_scatter(x, dim, i, 2.5))
    check_op(lambda T, x, i: x.scatter(dim, i, value=-1.0), None, arrays=[x, UNIQUE],
             ref=lambda x, i: _np_scatter(x, dim, i, -1.0))
    check_op(lambda T, x, i, s: (x * 1).scatter_(dim, i, s), None, arrays=[x, UNIQUE, src],
             ref=lambda x, i, s: _np_scatter(x, dim, i, s))


@pytest.mark.parametrize("dim", [0, 1])
@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")   # PyTorch's own
def test_scatter_add(dim):
    x, src = make_arrays([(3, 4), (2, 4)])
    index = IDX if dim == 0 else IDX % 3 + np.array([[0], [1]])
    src = src[:, :3]
    check_op(lambda T, x, i, s: T.scatter_add(x, dim, i, s), None, arrays=[x, index, src],
             ref=lambda x, i, s: _np_scatter(x, dim, i, s, add=True))
    check_op(lambda T, x, i, s: (x * 1).scatter_add_(dim, i, s), None, arrays=[x, index, src],
             ref=lambda x, i, s: _np_scatter(x, dim, i, s, add=True))
    check_op(lambda T, x, i, s: x.scatter(dim, i, s, reduce="add"), None, grad=False,
             arrays=[x, index, src], ref=lambda x, i, s: _np_scatter(x, dim, i, s, add=True))


def test_scatter_src_larger_than_index_forward():
    x, src = make_arrays([(3, 4), (3, 4)])
    check_op(lambda T, x, i, s: x.scatter(0, i, s), None, arrays=[x, UNIQUE, src],
             ref=lambda x, i, s: _np_scatter(x, 0, i, s), grad=False)
    check_op(lambda T, x, i, s: x.scatter_add(1, i, s), None, arrays=[x, UNIQUE, src],
             ref=lambda x, i, s: _np_scatter(x, 1, i, s, add=True), grad=False)


def test_scatter_with_reduce_has_no_derivative():
    x = mt.rand(2, 3, requires_grad=True)
    y = x.scatter(1, mt.tensor([[0]]), 2.0, reduce="multiply")
    assert y[0, 0].item() == pytest.approx(2 * x[0, 0].item())
    with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
        y.sum().backward()


def test_scatter_in_place_bumps_version():
    x = mt.zeros(2, 3)
    x.scatter_(1, mt.tensor([[0], [2]]), 1.0)
    assert x._version == 1 and x.tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    x.scatter_add_(0, mt.tensor([[1, 1, 1]]), mt.ones(1, 3))
    assert x._version == 2 and x.tolist() == [[1.0, 0.0, 0.0], [1.0, 1.0, 2.0]]


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda T: T.rand(2, 3).gather(1, T.tensor([[0, 5]])),
    lambda T: T.rand(2, 3).gather(1, T.tensor([[-1], [0]])),
    lambda T: T.rand(2, 3).gather(1, T.tensor([0, 1])),
    lambda T: T.rand(2, 3).gather(1, T.zeros(3, 3, dtype=T.int64)),
    lambda T: T.rand(2, 3).gather(0, T.tensor([[0]], dtype=T.int16)),
    lambda T: T.rand(2, 3).scatter(1, T.tensor([[0, 1], [1, 0]]), T.rand(1, 1)),
    lambda T: T.rand(2, 3).scatter(1, T.tensor([[0, 1]]), T.rand(2, 2).double()),
    lambda T: T.rand(2, 3).scatter(1, T.tensor([[0, 5]]), 1.0),
    lambda T: T.rand(2, 3).scatter_add(1, T.tensor([[0]]), 1.0),
    lambda T: T.rand(2, 3).scatter(0, T.tensor([[1]]), 2.5, reduce="mean"),
    lambda T: T.rand(2, 3).scatter(0, T.tensor([[0.0]]), 1.0),
    lambda T: T.rand(2, 3).scatter_add(0, T.tensor([[0.0]]), T.rand(2, 3)),
    lambda T: T.rand(2, 3).take(T.tensor([0.0])),
    lambda T: T.rand(2, 3).index_add(0, T.tensor([0.0]), T.rand(1, 3)),
])
def test_gather_scatter_errors_match_pytorch(fn):
    same_error(fn)


# ------------------------------------------------------------------ index_select / index_add
@pytest.mark.parametrize("dim,index", [(0, [2, 0, 2]), (1, [3]), (-1, [0, 1, 0]), (0, 1)])
def test_index_select(dim, index):
    arrays = [make_arrays([(3, 4)])[0], np.array(index)]
    check_op(lambda T, x, i: T.index_select(x, dim, i), None, arrays=arrays,
             ref=lambda x, i: np.take(x, np.atleast_1d(i), axis=dim))
    check_op(lambda T, x, i: x.index_select(dim, i), None, arrays=arrays,
             ref=lambda x, i: np.take(x, np.atleast_1d(i), axis=dim))


@pytest.mark.parametrize("dim,index,alpha", [(0, [2, 0, 2], 1), (1, [3, 3], 2.0)])
def test_index_add(dim, index, alpha):
    src_shape = (len(index), 4) if dim == 0 else (3, len(index))
    x, src = make_arrays([(3, 4), src_shape])

    def ref(x, i, s):
        y = x.copy()
        np.add.at(y, (slice(None),) * dim + (i,), alpha * s)
        return y
    arrays = [x, np.array(index), src]
    check_op(lambda T, x, i, s: T.index_add(x, dim, i, s, alpha=alpha), None, arrays=arrays,
             ref=ref)
    check_op(lambda T, x, i, s: (x * 1).index_add_(dim, i, s, alpha=alpha), None,
             arrays=arrays, ref=ref)


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda T: T.rand(2, 3).index_select(0, T.tensor([[0]])),
    lambda T: T.rand(2, 3).index_select(0, T.tensor([5])),
    lambda T: T.rand(2, 3).index_select(0, T.tensor([0.0])),
    lambda T: T.rand(2, 3).index_select(0, [0]),
    lambda T: T.rand(2, 3).index_add_(0, T.tensor([0, 0]), T.ones(2, 2)),
    lambda T: T.rand(2, 3).index_add(1, T.tensor([0, 0]), T.ones(2, 3)),
    lambda T: T.rand(2, 3).index_add(0, T.tensor([0]), T.ones(1, 3, dtype=T.float64)),
])
def test_index_select_add_errors_match_pytorch(fn):
    same_error(fn)


# ------------------------------------------------------------------ take / nonzero / iter
def test_take():
    arrays = [make_arrays([(3, 4)])[0], np.array([[0, -1], [5, 5]])]
    check_op(lambda T, x, i: T.take(x, i), None, arrays=arrays,
             ref=lambda x, i: np.take(x.reshape(-1), i))
    check_op(lambda T, x, i: x.take(i), None, arrays=arrays,
             ref=lambda x, i: np.take(x.reshape(-1), i))
    same_error(lambda T: T.rand(2, 3).take(T.tensor([6])))
