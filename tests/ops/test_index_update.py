"""index_fill, index_copy, index_reduce and put, with their in-place forms
(minitorch_nn/ops/index_update.py).

Against NumPy (index_reduce: a loop-by-loop reference), by gradcheck (unique indices, no
ties), against PyTorch (values, dtypes, gradients, also with repeated indices and ties),
PyTorch's errors, and the version counters of the in-place forms.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from index_update_util import np_index_reduce, same_values_and_grads
from indexing_util import same_error
from op_harness import check_op, make_arrays, requires_torch

# PyTorch warns once that index_reduce is in beta
pytestmark = pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta:UserWarning")


def _slices(dim, index):
    return (slice(None),) * dim + (np.atleast_1d(index),)


# ------------------------------------------------------------------ index_fill
def _np_fill(x, dim, index, value):
    y = np.array(x, copy=True)
    np.atleast_1d(y)[_slices(dim, index)] = value
    return y


@pytest.mark.parametrize("dim,index", [(0, [2, 0]), (1, [3, -1, 0]), (-1, 1), (-2, [])])
def test_index_fill(dim, index):
    x = make_arrays([(3, 4)])[0]
    idx = np.array(index, np.int64)
    check_op(lambda T, x, i: T.index_fill(x, dim, i, -1.5), None, arrays=[x, idx],
             ref=lambda x, i: _np_fill(x, dim % 2, i, -1.5))
    check_op(lambda T, x, i: (x * 1).index_fill_(dim, i, 2), None, arrays=[x, idx],
             ref=lambda x, i: _np_fill(x, dim % 2, i, 2))


@pytest.mark.parametrize("dim,index", [(0, [2, 0, 2]), (1, 3), (-1, [])])
def test_index_fill_tensor_value(dim, index):
    """A 0-d value tensor gets the sum of the gradient at the filled places
    (IndexFillBackward1); repeated indices count once."""
    x, v = make_arrays([(3, 4), ()])
    idx = np.array(index, np.int64)
    check_op(lambda T, x, i, v: x.index_fill(dim, i, v), None, arrays=[x, idx, v],
             ref=lambda x, i, v: _np_fill(x, dim % 2, i, v))
    check_op(lambda T, x, i, v: (x * 1).index_fill_(dim, i, v), None, arrays=[x, idx, v],
             ref=lambda x, i, v: _np_fill(x, dim % 2, i, v))


@requires_torch
def test_index_fill_dtypes_and_shapes():
    check_op(lambda T, x, i: x.index_fill(1, i, 2.7), None,
             arrays=[np.arange(6).reshape(2, 3), np.array([0, 2])],
             ref=lambda x, i: _np_fill(x, 1, i, 2))   # a float into int truncates
    check_op(lambda T, x, i: x.index_fill(0, i, True), None,
             arrays=[np.zeros(3, bool), np.array([1])], ref=lambda x, i: _np_fill(x, 0, i, True))
    check_op(lambda T, x, i: x.index_fill(0, i, 0.5), None,
             arrays=[np.ones((2, 3), np.float16), np.array([1])], grad=False,
             ref=lambda x, i: _np_fill(x, 0, i, 0.5))
    check_op(lambda T, x, i: x.index_fill(0, i, -2.0), None, arrays=[np.array(3.0), np.array(0)],
             ref=lambda x, i: np.array(-2.0))
    check_op(lambda T, x, i: x.index_fill(1, i, -2.0), None, grad=False,
             arrays=[np.zeros((0, 3)), np.array([1])], ref=lambda x, i: x)
    # a value tensor of another dtype: its gradient keeps its dtype
    same_values_and_grads(lambda T, x, v: x.float().index_fill(0, T.tensor([0]), v),
                          [np.ones(3), np.array(2.0)], [True, True])


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda T: T.rand(2, 3).index_fill(1, T.tensor([3]), 1.0),
    lambda T: T.rand(2, 3).index_fill(1, T.tensor([-4]), 1.0),
    lambda T: T.rand(2, 3).index_fill(1, T.tensor([[0]]), 1.0),
    lambda T: T.rand(2, 3).index_fill(1, T.tensor([0], dtype=T.int32), 1.0),
    lambda T: T.rand(2, 3).index_fill(1, T.tensor([0.0]), 1.0),
    lambda T: T.rand(2, 3).index_fill(1, T.tensor([0]), T.tensor([1.0, 2.0])),
    lambda T: T.rand(2, 3).index_fill(2, T.tensor([0]), 1.0),
    lambda T: T.rand(2, 3).index_fill_(1, T.tensor([5]), 1.0),
    lambda T: T.tensor(2.0).index_fill(0, T.tensor([1]), 1.0),
])
def test_index_fill_errors_match_pytorch(fn):
    same_error(fn)


@requires_torch
def test_index_fill_type_errors():
    same_error(lambda T: T.rand(2, 3).index_fill(1, T.tensor([0]), "a"), match="index_fill")
    same_error(lambda T: T.rand(2, 3).index_fill(1, [0], 1.0), match="index_fill")


# ------------------------------------------------------------------ index_copy
def _np_copy(x, dim, index, source):
    y = np.array(x, copy=True)
    np.atleast_1d(y)[_slices(dim, index)] = np.atleast_1d(source).reshape(
        np.atleast_1d(y)[_slices(dim, index)].shape)
    return y


@pytest.mark.parametrize("dim,index", [(0, [2, 0]), (1, [3, 1, 0]), (-1, [2]), (1, 0)])
def test_index_copy(dim, index):
    idx = np.array(index, np.int64)
    n = idx.size
    x, src = make_arrays([(3, 4), (n, 4) if dim == 0 else (3, n)])
    check_op(lambda T, x, i, s: T.index_copy(x, dim, i, s), None, arrays=[x, idx, src],
             ref=lambda x, i, s: _np_copy(x, dim % 2, i, s))
    check_op(lambda T, x, i, s: (x * 1).index_copy_(dim, i, s), None, arrays=[x, idx, src],
             ref=lambda x, i, s: _np_copy(x, dim % 2, i, s))


@requires_torch
def test_index_copy_repeats_dtypes_and_shapes():
    x, src = make_arrays([(3, 4), (3, 3)])
    # repeated index: the last slice wins; every repeat gets the gradient (PyTorch's rule)
    same_values_and_grads(lambda T, x, s: x.index_copy(1, T.tensor([1, 3, 1]), s),
                          [x, src], [True, True])
    check_op(lambda T, x, i, s: x.index_copy(0, i, s), None,
             arrays=[np.arange(6).reshape(3, 2), np.array([2]), np.array([[7, 8]])],
             ref=lambda x, i, s: _np_copy(x, 0, i, s))
    check_op(lambda T, x, i, s: x.index_copy(0, i, s), None,
             arrays=[np.zeros(2, bool), np.array([1]), np.array([True])],
             ref=lambda x, i, s: _np_copy(x, 0, i, s))
    check_op(lambda T, x, i, s: x.index_copy(0, i, s), None, grad=False,
             arrays=[np.zeros((2, 2), np.float16), np.array([1]), np.ones((1, 2), np.float16)],
             ref=lambda x, i, s: _np_copy(x, 0, i, s))
    for shapes in [((), (1,), ()), ((), (), ()), ((1,), (), ()), ((), (1,), (1,))]:
        xa, sa = np.full(shapes[0], 3.0), np.full(shapes[2], -1.0)
        same_values_and_grads(lambda T, x, s: x.index_copy(0, T.zeros(shapes[1],
                                                                      dtype=T.int64), s),
                              [xa, sa], [True, True])
    check_op(lambda T, x, i, s: x.index_copy(1, i, s), None, grad=False,
             arrays=[np.zeros((0, 3)), np.array([1, 2]), np.zeros((0, 2))], ref=lambda x, i, s: x)


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda T: T.rand(2, 3).index_copy(1, T.tensor([3, 0]), T.rand(2, 2)),
    lambda T: T.rand(2, 3).index_copy(1, T.tensor([-1, 0]), T.rand(2, 2)),
    lambda T: T.rand(2, 3).index_copy(1, T.tensor([[0, 1]]), T.rand(2, 2)),
    lambda T: T.rand(2, 3).index_copy(1, T.tensor([0, 1], dtype=T.int32), T.rand(2, 2)),
    lambda T: T.rand(2, 3).index_copy(1, T.tensor([0]), T.rand(2, 2)),
    lambda T: T.rand(2, 3).index_copy(1, T.tensor([0, 1]), T.rand(2, 2).double()),
    lambda T: T.rand(2, 3).index_copy(1, T.tensor([0, 1]), T.rand(1, 2)),
    lambda T: T.rand(2, 3, 4).index_copy(1, T.tensor([0]), T.rand(2, 1, 3)),
    lambda T: T.rand(2, 3, 4).index_copy(1, T.tensor([0]), T.rand(2, 1)),
    lambda T: T.rand(2, 3).index_copy(0, T.tensor([0, 1]), T.tensor(1.0)),
    lambda T: T.rand(2, 3).index_copy(0, T.tensor([0]), T.tensor(1.0)),
    lambda T: T.rand(2, 3).index_copy(2, T.tensor([0]), T.rand(2, 1)),
    lambda T: T.rand(2, 3).index_copy_(0, T.tensor([2]), T.rand(1, 3)),
])
def test_index_copy_errors_match_pytorch(fn):
    same_error(fn)


@requires_torch
def test_index_copy_type_errors():
    same_error(lambda T: T.rand(2, 3).index_copy(1, T.tensor([0]), 1.0), match="source")


# ------------------------------------------------------------------ index_reduce
REDUCES = ["prod", "mean", "amax", "amin"]


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim,index", [(0, [2, 0, 2, 1]), (1, [3, 3, 0]), (-1, [1])])
def test_index_reduce(reduce, include_self, dim, index):
    idx = np.array(index, np.int64)
    x, src = make_arrays([(3, 4), (idx.size, 4) if dim == 0 else (3, idx.size)], seed=2)

    def ref(x, i, s):
        return np_index_reduce(x, dim % 2, i, s, reduce, include_self)
    check_op(lambda T, x, i, s: T.index_reduce(x, dim, i, s, reduce,
                                               include_self=include_self),
             None, arrays=[x, idx, src], ref=ref)
    check_op(lambda T, x, i, s: (x * 1).index_reduce_(dim, i, s, reduce=reduce,
                                                      include_self=include_self),
             None, arrays=[x, idx, src], ref=ref)


@requires_torch
@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce_grads_at_ties_and_zeros(reduce, include_self):
    rng = np.random.default_rng(12)
    x = rng.integers(-1, 2, (4, 3)).astype(np.float64)
    src = rng.integers(-1, 2, (4, 5)).astype(np.float64)
    index = np.array([2, 0, 2, 2, 1])
    same_values_and_grads(lambda T, x, s: x.index_reduce(1, T.tensor(index), s, reduce,
                                                         include_self=include_self),
                          [x, src], [True, True])


@pytest.mark.parametrize("reduce", REDUCES)
def test_index_reduce_integers_bool_and_shapes(reduce):
    rng = np.random.default_rng(5)
    x, src = rng.integers(-9, 10, (3, 4)), rng.integers(-9, 10, (3, 5))
    idx = np.array([0, 3, 3, 1, 3])
    for include_self in (True, False):   # integer mean rounds down
        check_op(lambda T, x, i, s: x.index_reduce(1, i, s, reduce, include_self=include_self),
                 None, arrays=[x.astype(np.int32), idx, src.astype(np.int32)],
                 ref=lambda x, i, s: np_index_reduce(x, 1, i, s, reduce, include_self))
    if reduce != "mean":
        check_op(lambda T, x, i, s: x.index_reduce(1, i, s, reduce), None,
                 arrays=[x > 0, idx, src > 0],
                 ref=lambda x, i, s: np_index_reduce(x, 1, i, s, reduce))
    check_op(lambda T, x, i, s: x.index_reduce(0, i, s, reduce), None,
             arrays=[np.array(1.5), np.array(0), np.array(-2.0)],
             ref=lambda x, i, s: np_index_reduce(x, 0, i, s, reduce))
    check_op(lambda T, x, i, s: x.index_reduce(1, i, s, reduce), None, grad=False,
             arrays=[np.ones((0, 3)), np.array([1, 1]), np.zeros((0, 2))], ref=lambda x, i, s: x)
    check_op(lambda T, x, i, s: x.index_reduce(0, i, s, reduce), None, grad=False,
             arrays=[np.ones((2, 3), np.float16), np.array([1, 1]), np.full((2, 3), 0.5,
                                                                           np.float16)],
             ref=lambda x, i, s: np_index_reduce(x, 0, i, s, reduce), atol=1e-3)


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda T: T.rand(2, 3).index_reduce(1, T.tensor([0, 1]), T.rand(2, 2), "sum"),
    lambda T: T.rand(2, 3).index_reduce(1, T.tensor([0, 3]), T.rand(2, 2), "prod"),
    lambda T: T.rand(2, 3).index_reduce(1, T.tensor([-1, 0]), T.rand(2, 2), "amax"),
    lambda T: T.rand(2, 3).index_reduce(1, T.tensor([[0, 1]]), T.rand(2, 2), "prod"),
    lambda T: T.rand(2, 3).index_reduce(1, T.tensor([0, 1, 2]), T.rand(2, 2), "prod"),
    lambda T: T.rand(2, 3).index_reduce(1, T.tensor([0.0, 1.0]), T.rand(2, 2), "prod"),
    lambda T: T.rand(2, 3).index_reduce(1, T.tensor([0, 1]), T.rand(2, 2).double(), "mean"),
    lambda T: T.rand(2, 3).index_reduce(1, T.tensor([0, 1]), T.rand(1, 2), "mean"),
    lambda T: T.rand(2, 3).index_reduce(2, T.tensor([0, 1]), T.rand(2, 2), "mean"),
    lambda T: T.ones(1, 2, dtype=T.bool).index_reduce(1, T.tensor([0]),
                                                      T.ones(1, 1, dtype=T.bool), "mean"),
    lambda T: T.ones(2, dtype=T.complex64).index_reduce(0, T.tensor([0]),
                                                        T.ones(1, dtype=T.complex64), "prod"),
    lambda T: T.tensor(3.0).index_reduce(0, T.tensor([0, 0]), T.tensor([2.0, 5.0]), "prod"),
    lambda T: T.rand(2, 3).index_reduce_(0, T.tensor([2]), T.rand(1, 3), "amin"),
])
def test_index_reduce_errors_match_pytorch(fn):
    same_error(fn)


# ------------------------------------------------------------------ put
def _np_put(x, index, source, accumulate=False):
    y = np.array(x, copy=True)
    flat = y.reshape(-1)
    if accumulate:
        np.add.at(flat, np.asarray(index).reshape(-1), np.asarray(source).reshape(-1))
    else:
        flat[np.asarray(index).reshape(-1)] = np.asarray(source).reshape(-1)
    return flat.reshape(np.shape(x))


@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("index", [[5, 0, -2], [[11, 3], [4, -12]], 7])
def test_put(accumulate, index):
    idx = np.array(index, np.int64)
    x, src = make_arrays([(3, 4), idx.shape])
    check_op(lambda T, x, i, s: T.put(x, i, s, accumulate), None, arrays=[x, idx, src],
             ref=lambda x, i, s: _np_put(x, i, s, accumulate))
    check_op(lambda T, x, i, s: (x * 1).put_(i, s, accumulate=accumulate), None,
             arrays=[x, idx, src], ref=lambda x, i, s: _np_put(x, i, s, accumulate))
    check_op(lambda T, x, i, s: x.put(i, s.reshape(-1), accumulate=accumulate), None,
             arrays=[x, idx, src], ref=lambda x, i, s: _np_put(x, i, s, accumulate))


@requires_torch
def test_put_repeats_dtypes_and_shapes():
    x, src = make_arrays([(3, 4), (4,)])
    for accumulate in (False, True):   # repeats: the last write wins, or they add up
        same_values_and_grads(lambda T, x, s: x.put(T.tensor([1, 1, -1, 11]), s, accumulate),
                              [x, src], [True, True])
    check_op(lambda T, x, i, s: x.put(i, s, accumulate=True), None,
             arrays=[np.array([1, 2], np.int8), np.array([1, 1]), np.array([100, 100], np.int8)],
             ref=lambda x, i, s: _np_put(x, i, s, True))   # wraps around as PyTorch's
    check_op(lambda T, x, i, s: x.put(i, s, accumulate=True), None,
             arrays=[np.array([True, False]), np.array([1, 1]), np.array([True, True])],
             ref=lambda x, i, s: np.array([True, True]))
    check_op(lambda T, x, i, s: x.put(i, s, accumulate=True), None, grad=False,
             arrays=[np.ones(3, np.float16), np.array([1, 1]), np.full(2, 0.25, np.float16)],
             ref=lambda x, i, s: _np_put(x, i, s, True))
    check_op(lambda T, x, i, s: x.put(i, s), None,
             arrays=[np.array(5.0), np.array(0), np.array(2.0)], ref=lambda x, i, s: s)
    for shape in [(0,), (2, 3)]:   # (gradcheck cannot take a 0-size source)
        check_op(lambda T, x, i, s: x.put(i, s), None, grad=False,
                 arrays=[np.ones(shape), np.zeros(0, np.int64), np.zeros(0)],
                 ref=lambda x, i, s: x)
        same_values_and_grads(lambda T, x, s: x.put(T.zeros(0, dtype=T.int64), s),
                              [np.ones(shape), np.zeros(0)], [True, True])


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda T: T.rand(2, 3).put(T.tensor([6]), T.rand(1)),
    lambda T: T.rand(2, 3).put(T.tensor([-7]), T.rand(1)),
    lambda T: T.rand(2, 3).put(T.tensor([0.0]), T.rand(1)),
    lambda T: T.rand(2, 3).put(T.tensor([0], dtype=T.int32), T.rand(1)),
    lambda T: T.rand(2, 3).put(T.tensor([0, 1]), T.rand(3)),
    lambda T: T.rand(2, 3).put(T.tensor([0]), T.rand(1).double()),
    lambda T: T.zeros(0).put(T.tensor([0]), T.rand(1)),
    lambda T: T.rand(2, 3).put_(T.tensor([6]), T.rand(1), accumulate=True),
])
def test_put_errors_match_pytorch(fn):
    same_error(fn)


@requires_torch
def test_put_type_errors():
    same_error(lambda T: T.rand(2, 3).put(T.tensor([0]), 1.0), match="source")
    same_error(lambda T: T.rand(2, 3).put([0], T.rand(1)), match="index")


# ------------------------------------------------------------------ in place and autograd
INPLACE = {
    "index_fill_": lambda T, t, s: t.index_fill_(0, T.tensor([1]), s[0]),
    "index_copy_": lambda T, t, s: t.index_copy_(0, T.tensor([1, 0]), s),
    "index_reduce_": lambda T, t, s: t.index_reduce_(0, T.tensor([1, 1]), s, "amax"),
    "put_": lambda T, t, s: t.put_(T.tensor([1, -2]), s, accumulate=True),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_in_place_bumps_version_and_refuses_leaves(name):
    op = INPLACE[name]
    t = mt.zeros(2)
    assert op(mt, t, mt.ones(2)) is t and t._version == 1
    leaf = mt.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        op(mt, leaf, mt.ones(2))
    assert leaf._version == 0


@requires_torch
@pytest.mark.parametrize("name", list(INPLACE))
def test_in_place_on_views_as_pytorch(name):
    """Written into a view of a non-leaf: the base continues from CopySlices."""
    op = INPLACE[name]

    def run(T, x, s):
        base = x * 1
        op(T, base[1], s * 2)
        return base
    x, s = make_arrays([(3, 2), (2,)])
    same_values_and_grads(run, [x, s], [True, True])


@pytest.mark.parametrize("name", ["index_fill", "index_copy", "index_reduce", "put"])
def test_editing_the_index_after_forward_raises(name):
    x = mt.rand(3, requires_grad=True)
    s = mt.rand(2, requires_grad=True)
    i = mt.tensor([0, 2])
    y = {"index_fill": lambda: x.index_fill(0, i, 1.0),
         "index_copy": lambda: x.index_copy(0, i, s),
         "index_reduce": lambda: x.index_reduce(0, i, s, "prod"),
         "put": lambda: x.put(i, s)}[name]()
    i.add_(0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
