"""Indexing (minitorch_nn/ops/indexing.py): x[i], x[i] = v, index_put, iteration.

Every op is checked against NumPy (where NumPy agrees with PyTorch), by gradcheck and against
PyTorch; plus view semantics of basic indexing, version counters and PyTorch's errors.
Gather / scatter / index_select / index_add / take: tests/ops/test_scatter_gather.py; masked
ops and nonzero: tests/ops/test_masked.py.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minitorch_nn as mt
from indexing_util import X, MASK, ROW_MASK, same_error, long
from op_harness import check_op, requires_torch, torch


# ------------------------------------------------------------------ x[index]: basic
BASIC = [0, -1, 2, (1, 2), (1, -1, 0), slice(1, None), slice(None, None, 2), slice(0, 10),
         (slice(None), 1), (slice(None), slice(1, 3), 1), None, (None, 0), (0, None),
         Ellipsis, (Ellipsis, 1), (0, Ellipsis, None), (slice(None), None, slice(None, None, 3)),
         (slice(2, 0),), (Ellipsis, None), (None, Ellipsis, None, 0)]


@pytest.mark.parametrize("index", BASIC, ids=str)
def test_getitem_basic(index):
    empty = np.zeros(X)[index].size == 0
    out = check_op(lambda T, x: x[index], [X], ref=lambda x: x[index], grad=not empty)
    assert out[0]._base is not None


def test_getitem_0d():
    check_op(lambda T, x: x[None], [()], ref=lambda x: x[None])
    check_op(lambda T, x: x[...], [()], ref=lambda x: x[...])


# ------------------------------------------------------------------ x[index]: advanced
ADVANCED = {
    "list": lambda T: [2, 0],
    "list_dup": lambda T: [1, 1, 0],
    "neg_list": lambda T: [-1, 0],
    "tensor": lambda T: long(T, [2, 0, 2]),
    "tensor_2d": lambda T: long(T, [[0, 1], [2, 2]]),
    "pair": lambda T: (long(T, [0, 2]), long(T, [1, 3])),
    "slice_then_list": lambda T: (slice(None), [3, 0, 3]),
    "list_then_slice": lambda T: ([1, 2], slice(1, 3)),
    "ellipsis_list": lambda T: (Ellipsis, [1, 0]),
    "mask": lambda T: T.tensor(MASK),
    "row_mask": lambda T: T.tensor(ROW_MASK),
    "list_bool": lambda T: [True, False, True],
    "mask_2d_prefix": lambda T: T.tensor(MASK[:, :, 0]),
    "slice_mask": lambda T: (slice(None), T.tensor(MASK[0])),
    "true": lambda T: True,
    "bool_tensor_0d": lambda T: T.tensor(True),
    "separated": lambda T: ([0, 2], slice(None), [1, 0]),
    "none_and_list": lambda T: (None, [0, 1], slice(None), [1, 0]),
    "step_slice_and_list": lambda T: (slice(None, None, 2), [3, 1]),
    "int_tensor_0d": lambda T: long(T, 1),
    "int32_index": lambda T: T.tensor([0, 2], dtype=T.int32),
}


class _NumpyAsT:
    """Enough of a `T` namespace to build the index objects as numpy arrays."""

    int64 = np.int64
    int32 = np.int32
    ones = staticmethod(lambda *shape: np.ones(shape))
    zeros = staticmethod(lambda *shape: np.zeros(shape))

    @staticmethod
    def tensor(values, dtype=None):
        return np.asarray(values, dtype=dtype)


@pytest.mark.parametrize("name", sorted(ADVANCED))
def test_getitem_advanced(name):
    index_fn = ADVANCED[name]
    np_index = index_fn(_NumpyAsT)
    out = check_op(lambda T, x: x[index_fn(T)], [X], ref=lambda x: x[np_index])
    if name != "int_tensor_0d":
        assert out[0]._base is None


def test_getitem_int_next_to_index_array_follows_pytorch_not_numpy():
    """PyTorch applies ints first: x[0, :, [0, 1]] on (2, 3, 4) is (3, 2); numpy gives (2, 3)."""
    out = check_op(lambda T, x: x[0, :, [0, 1]], [(2, 3, 4)],
                   ref=lambda x: x[0][:, [0, 1]])
    assert out[0].shape == (3, 2)
    check_op(lambda T, x: x[[0, 1], 0, [1, 2]], [(2, 3, 4)], ref=lambda x: x[[0, 1], 0, [1, 2]])
    check_op(lambda T, x: x[:, 1, [0, 0]], [(2, 3, 4)], ref=lambda x: x[:, 1][:, [0, 0]])


def test_getitem_false_gives_empty():
    x = mt.rand(2, 3)
    assert x[False].shape == (0, 2, 3)
    assert x[[]].shape == (0, 3)
    assert x[mt.tensor([], dtype=mt.int64)].shape == (0, 3)


def test_getitem_duplicate_indices_accumulate_gradient():
    x = mt.zeros(3, requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]
    y = mt.zeros(2, 2, requires_grad=True)
    y[mt.tensor([[0, 0], [0, 1]])].sum().backward()
    assert y.grad.tolist() == [[3.0, 3.0], [1.0, 1.0]]


def test_list_of_sequences_means_a_tuple():
    x = mt.arange(6.0).view(2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert x[[[0, 1], [1, 2]]].tolist() == [1.0, 5.0]
        assert x[[slice(None), 1]].tolist() == [1.0, 4.0]


# ------------------------------------------------------------------ views and names
def test_basic_index_is_a_view_sharing_version():
    x = mt.arange(12.0).view(3, 4)
    v = x[1, 1:]
    assert v._version_counter is x._version_counter
    v.add_(100)
    assert x._version == 1
    assert x[1].tolist() == [4.0, 105.0, 106.0, 107.0]
    v0 = x[0]
    v0.add_(1)
    assert x._version == 2


def test_advanced_index_is_a_copy():
    x = mt.arange(6.0)
    y = x[[0, 1]]
    y.add_(10)
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0] and x._version == 0


def test_inplace_on_getitem_view_of_nonleaf_routes_gradients():
    a = mt.rand(2, 3, requires_grad=True)
    x = a * 1
    v = x[0]
    v.mul_(2)
    x.sum().backward()
    assert a.grad.tolist() == [[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]]


@requires_torch
@pytest.mark.parametrize("index", [0, (0, 1), slice(1, None), (slice(None), 0), None,
                                   Ellipsis, (Ellipsis, 0), slice(None), (slice(None),) * 2,
                                   (0, slice(None)), (0, None), (None, 0), [0, 1],
                                   (slice(0, 1), [0, 1]), ([0], 0)], ids=str)
def test_getitem_node_names_match_pytorch(index):
    arr = np.arange(6.0).reshape(2, 3)
    ours = mt.tensor(arr, requires_grad=True)[index]
    theirs = torch.tensor(arr, requires_grad=True)[index]
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    assert (ours._base is None) == (theirs._base is None)


# ------------------------------------------------------------------ getitem errors
@requires_torch
@pytest.mark.parametrize("fn", [
    lambda T: T.rand(2, 3)[5],
    lambda T: T.rand(2, 3)[-3],
    lambda T: T.rand(2, 3)[0, 5],
    lambda T: T.rand(2, 3)[::-1],
    lambda T: T.rand(2, 3)[::0],
    lambda T: T.rand(2, 3)[0, 0, 0],
    lambda T: T.rand(2, 3)[1.5],
    lambda T: T.rand(2, 3)[[0, 5]],
    lambda T: T.rand(2, 3)[T.tensor([0, 5])],
    lambda T: T.rand(2, 3)[:, T.tensor([-4])],
    lambda T: T.rand(2, 3, 4)[[0], :, [5]],
    lambda T: T.rand(2, 3, 4)[0, :, [5]],
    lambda T: T.rand(2, 3, 4)[None, :, [3]],
    lambda T: T.rand(2, 3)[T.tensor([True, False, True])],
    lambda T: T.rand(2, 3)[T.ones(3, 3, dtype=T.bool)],
    lambda T: T.rand(2, 3)[T.tensor([0.0, 1.0])],
    lambda T: T.tensor(3.0)[0],
])
def test_getitem_errors_match_pytorch(fn):
    same_error(fn)


# ------------------------------------------------------------------ x[index] = value
SET_CASES = [
    (0, lambda T: 1.5),
    ((1, 2), lambda T: -1),
    (slice(1, None), lambda T: T.tensor([1.0, 2.0])),
    ((slice(None), 0), lambda T: T.tensor([[7.0], [8.0], [9.0]])),
    (Ellipsis, lambda T: T.tensor(3.0)),
    ((slice(None, None, 2), 1), lambda T: T.tensor([1.0, 2.0])),
    (0, lambda T: T.ones(1, 1, 4, 2)),
    ([2, 0], lambda T: T.tensor([5.0, 6.0])),
    ((slice(None), [3, 1]), lambda T: T.zeros(3, 2, 2)),
    ("mask", lambda T: 0.0),
    ("mask", lambda T: T.tensor(4.0)),
    ("row_mask", lambda T: T.tensor([1.0, 2.0])),
    ((0, [1, 2], 1), lambda T: T.tensor([5.0, 6.0])),
    (None, lambda T: 2.0),
]


def _resolve(index, T):
    if index == "mask":
        return T.tensor(MASK)
    if index == "row_mask":
        return T.tensor(ROW_MASK)
    return index


@pytest.mark.parametrize("case", range(len(SET_CASES)))
def test_setitem_values_and_gradients(case):
    index, value_fn = SET_CASES[case]

    def fn(T, x, w):
        y = x * 1
        value = value_fn(T)
        if isinstance(value, (mt.Tensor,) + ((torch.Tensor,) if torch else ())):
            value = value.double().to(w.device) * w.sum()   # a value that requires grad
        y[_resolve(index, T)] = value
        return y

    def ref(x, w):
        y = x.copy()
        value = value_fn(_NumpyAsT)
        if isinstance(value, np.ndarray):
            value = value * w.sum()
        np_index = _resolve(index, _NumpyAsT)
        if isinstance(np_index, tuple) and isinstance(np_index[0], int) and \
                any(isinstance(i, list) for i in np_index):
            y[np_index[0]][np_index[1:]] = value   # PyTorch applies ints first
        else:
            y[np_index] = value
        return y
    check_op(fn, [X, (2,)], ref=ref)


def test_setitem_bumps_version_and_casts_into_dtype():
    x = mt.zeros(2, 3)
    x[0] = 1
    assert x._version == 1 and x.tolist() == [[1.0] * 3, [0.0] * 3]
    i = mt.zeros(3, dtype=mt.int64)
    i[0] = 1.7
    i[1:] = mt.tensor([2.9, -1.5])
    assert i.tolist() == [1, 2, -1] and i.dtype is mt.int64 and i._version == 2


def test_setitem_on_leaf_without_grad_with_value_requiring_grad():
    z = mt.zeros(2, 3)
    w = mt.ones(3, requires_grad=True)
    z[0] = w
    assert z.grad_fn is not None and z.requires_grad and z._version == 1
    z.sum().backward()
    assert w.grad.tolist() == [1.0, 1.0, 1.0]


def test_setitem_on_leaf_requiring_grad():
    w = mt.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w[0] = 2.0
    with mt.no_grad():
        w[0] = 2.0
    assert w.tolist() == [2.0, 1.0, 1.0] and w._version == 1 and w.grad_fn is None


@requires_torch
def test_setitem_through_a_view_of_a_nonleaf_matches_pytorch():
    arr = np.arange(1.0, 7.0).reshape(2, 3)
    grads = []
    for T in (mt, torch):
        a = T.tensor(arr, requires_grad=True)
        w = T.tensor([10.0, 20.0], requires_grad=True)
        x = a * a
        x[1][1:] = w * w
        (x * T.tensor(arr)).sum().backward()
        grads.append((a.grad.numpy().copy(), w.grad.numpy().copy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0])
    np.testing.assert_allclose(grads[0][1], grads[1][1])


def test_setitem_mask_with_0d_value_of_other_dtype():
    x = mt.zeros(3)
    x[mt.tensor([True, False, True])] = mt.tensor(2.0, dtype=mt.float64)
    assert x.tolist() == [2.0, 0.0, 2.0] and x.dtype is mt.float32


def test_setitem_with_overlapping_source():
    x = mt.arange(5.0)
    x[1:] = x[:-1]
    assert x.tolist() == [0.0, 0.0, 1.0, 2.0, 3.0]


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda T: T.zeros(2, 3).__setitem__(0, T.zeros(2)),
    lambda T: T.zeros(2, 3).__setitem__((slice(None), 0), T.zeros(3)),
    lambda T: T.zeros(2, 3).__setitem__([0, 1], T.zeros(3, 3)),
    lambda T: T.zeros(2, 3).__setitem__(T.tensor([[True, False, True]] * 2), T.zeros(2)),
    lambda T: T.zeros(2, 3).__setitem__(0, "x"),
    lambda T: T.zeros(2, 3).__setitem__(0, [1, 2, 3]),
    lambda T: T.zeros(2, 3).__setitem__(5, 1.0),
    lambda T: T.zeros(3, dtype=T.float64).__setitem__([0], T.tensor([1.0])),
    lambda T: T.zeros(3, dtype=T.float64).__setitem__([0], T.tensor(1.0)),
    lambda T: T.zeros(3).__setitem__(T.tensor([True, False, True]), T.tensor([1, 2])),
])
def test_setitem_errors_match_pytorch(fn):
    same_error(fn)


@requires_torch
def test_setitem_value_with_too_many_dims():
    same_error(lambda T: T.zeros(2, 3).__setitem__(0, T.zeros(2, 3)),
               match="number of sizes provided \\(1\\) must be greater or equal")


def test_index_put():
    check_op(lambda T, x, v: x.index_put((long(T, [0, 2]), long(T, [1, 1])), v), [X, (2,)],
             ref=lambda x, v: _np_put(x, ([0, 2], [1, 1]), v))
    check_op(lambda T, x, v: (x * 1).index_put_((long(T, [0, 0]),), v, accumulate=True),
             [X, (4, 2)], ref=lambda x, v: _np_put(x, ([0, 0],), v, True))


def _np_put(x, index, v, accumulate=False):
    y = x.copy()
    if accumulate:
        np.add.at(y, index, v)
    else:
        y[index] = v
    return y


# ------------------------------------------------------------------ take / nonzero / iter
def test_iteration_unbinds_dim_0():
    x = mt.arange(6.0).view(2, 3)
    rows = list(x)
    assert [r.tolist() for r in rows] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert rows[0]._version_counter is x._version_counter
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(mt.tensor(1.0))


# ------------------------------------------------------------------ hypothesis
def _basic_items(shape):
    """A strategy of basic index tuples (ints, positive-step slices, None, Ellipsis)."""
    def item(n):
        ints = st.integers(-n, n - 1) if n else st.nothing()
        slices = st.builds(slice, st.none() | st.integers(-n - 2, n + 2),
                           st.none() | st.integers(-n - 2, n + 2), st.none() | st.integers(1, 3))
        return ints | slices
    per_dim = [item(n) for n in shape]
    return st.tuples(*per_dim).flatmap(
        lambda t: st.tuples(st.integers(0, len(t)), st.booleans(), st.booleans()).map(
            lambda extra: _decorate(t, *extra)))


def _decorate(items, cut, none, ellipsis):
    items = list(items)
    if none:
        items.insert(cut, None)
    if ellipsis:
        items = items[:cut] + [Ellipsis]
    return tuple(items)


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(0, 4), min_size=1, max_size=3).map(tuple), data=st.data())
def test_getitem_basic_matches_numpy_and_is_a_view(shape, data):
    arr = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    index = data.draw(_basic_items(shape))
    x = mt.from_numpy(arr.copy())
    out = x[index]
    expected = arr[index]
    np.testing.assert_array_equal(out.numpy(), expected)
    assert out._version_counter is x._version_counter
    if out.numel():
        out.fill_(-1)
        arr[index] = -1
        np.testing.assert_array_equal(x.numpy(), arr)


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), data=st.data())
def test_getitem_index_arrays_match_numpy(shape, data):
    arr = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    dim = data.draw(st.integers(0, len(shape) - 1))
    idx = data.draw(st.lists(st.integers(-shape[dim], shape[dim] - 1), max_size=5))
    index = (slice(None),) * dim + (idx,)
    x = mt.from_numpy(arr).requires_grad_()
    out = x[index]
    np.testing.assert_array_equal(out.detach().numpy(), arr[index])
    out.sum().backward()
    expected = np.zeros(shape)
    np.add.at(expected, index, 1.0)
    np.testing.assert_array_equal(x.grad.numpy(), expected)
