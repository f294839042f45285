"""Joining and splitting (minitorch_nn/ops/joining.py): cat / stack / hstack / vstack and
split / chunk / unbind, checked against NumPy, gradcheck and PyTorch; hypothesis tests over
random shapes.

Split from tests/ops/test_shape.py; the errors and grad node names of every shape, view and
joining op are checked there.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch


# ------------------------------------------------------------------ cat / stack
@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_cat(dim):
    shapes = [list((2, 3, 4)) for _ in range(3)]
    for i, s in enumerate(shapes):
        s[dim] = i + 1
    check_op(lambda T, x, y, z: T.cat([x, y, z], dim=dim), [tuple(s) for s in shapes],
             ref=lambda x, y, z: np.concatenate([x, y, z], axis=dim))
    check_op(lambda T, x, y, z: T.cat((x, y, z), dim), [tuple(s) for s in shapes],
             ref=lambda x, y, z: np.concatenate([x, y, z], axis=dim))


def test_cat_aliases_and_legacy_empty():
    check_op(lambda T, x, y: T.concat([x, y], dim=1), [(2, 3), (2, 1)],
             ref=lambda x, y: np.concatenate([x, y], 1))
    check_op(lambda T, x, y: T.concatenate([x, y], axis=1), [(2, 3), (2, 1)],
             ref=lambda x, y: np.concatenate([x, y], 1))
    check_op(lambda T, x, y: T.cat([x, y], 1), [(0,), (2, 3)], ref=lambda x, y: y,
             grad_inputs=[1])


def test_cat_promotes_dtypes():
    out = mt.cat([mt.zeros(2, dtype=mt.float32), mt.ones(2, dtype=mt.float64)])
    assert out.dtype is mt.float64 and out.tolist() == [0, 0, 1, 1]
    out = mt.cat([mt.tensor([1, 2]), mt.tensor([0.5])])
    assert out.dtype is mt.float32
    a = mt.ones(2, dtype=mt.float32, requires_grad=True)
    b = mt.ones(1, dtype=mt.float64, requires_grad=True)
    mt.cat([a, b]).sum().backward()
    assert a.grad.dtype is mt.float32 and b.grad.dtype is mt.float64


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2, -3])
def test_stack(dim):
    check_op(lambda T, x, y: T.stack([x, y], dim=dim), [(2, 3), (2, 3)],
             ref=lambda x, y: np.stack([x, y], axis=dim))
    if -2 <= dim <= 1:
        check_op(lambda T, x, y, z: T.stack((x, y, z), dim), [(4,), (4,), (4,)],
                 ref=lambda x, y, z: np.stack([x, y, z], axis=dim))


def test_stack_of_scalars_and_promotion():
    check_op(lambda T, x, y: T.stack([x, y]), [(), ()], ref=lambda x, y: np.stack([x, y]))
    out = mt.stack([mt.zeros(2), mt.zeros(2, dtype=mt.float64)])
    assert out.dtype is mt.float64


def test_hstack_vstack_atleast():
    check_op(lambda T, x, y: T.hstack([x, y]), [(3,), (2,)], ref=lambda x, y: np.hstack([x, y]))
    check_op(lambda T, x, y: T.hstack([x, y]), [(2, 3), (2, 1)],
             ref=lambda x, y: np.hstack([x, y]))
    check_op(lambda T, x, y: T.vstack([x, y]), [(3,), (2, 3)],
             ref=lambda x, y: np.vstack([x, y]))
    check_op(lambda T, x: T.atleast_2d(x), [(3,)], ref=np.atleast_2d)
    check_op(lambda T, x: T.atleast_3d(x), [(2, 3)], ref=np.atleast_3d)
    check_op(lambda T, x: T.atleast_1d(x), [()], ref=np.atleast_1d)


@requires_torch
def test_user_notes_cat_negative_dim_matches_positive():
    data = mt.rand([2, 3])
    assert mt.cat([data, data], dim=-1).tolist() == mt.cat([data, data], dim=1).tolist()
    tdata = torch.from_numpy(data.numpy().copy())
    assert repr(mt.cat([data, data], dim=-1)) == repr(torch.cat([tdata, tdata], dim=-1))


@requires_torch
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_user_notes_stack_int_tensors_repr(dim):
    a = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    b = [[11, 22, 33], [44, 55, 66], [77, 88, 99]]
    ours = mt.stack([mt.tensor(a), mt.tensor(b)], dim=dim)
    theirs = torch.stack([torch.tensor(a), torch.tensor(b)], dim=dim)
    assert repr(ours) == repr(theirs)
    assert ours.dtype is mt.int64


# ------------------------------------------------------------------ split / chunk / unbind
@pytest.mark.parametrize("size,dim", [(2, 0), (1, 1), (3, -1), (5, 2), ([1, 3], -1),
                                      ((2, 0, 1), 0)])
def test_split(size, dim):
    def ref(x):
        n = x.shape[dim]
        if isinstance(size, int):
            cuts = list(range(size, n, size))
        else:
            cuts = list(np.cumsum(size)[:-1])
        return np.split(x, cuts, axis=dim)
    check_op(lambda T, x: T.split(x, size, dim), [(3, 2, 4)], ref=ref)
    check_op(lambda T, x: x.split(size, dim=dim), [(3, 2, 4)], ref=ref)


@pytest.mark.parametrize("n,chunks", [(5, 3), (5, 4), (6, 4), (4, 4), (2, 5)])
def test_chunk(n, chunks):
    expected = np.array_split(np.zeros(n), math.ceil(n / math.ceil(n / chunks)))
    ours = check_op(lambda T, x: T.chunk(x, chunks), [(n, 2)],
                    ref=lambda x: np.split(x, np.cumsum([len(e) for e in expected])[:-1]))
    assert len(ours) == len(expected)


def test_chunk_of_empty_gives_chunks_pieces():
    assert len(mt.zeros(0).chunk(2)) == 2
    assert len(mt.zeros(0).split(2)) == 1


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unbind(dim):
    check_op(lambda T, x: T.unbind(x, dim), [(2, 3, 2)],
             ref=lambda x: [np.take(x, i, axis=dim) for i in range(x.shape[dim])])
    check_op(lambda T, x: x.unbind(dim), [(2, 3, 2)],
             ref=lambda x: [np.take(x, i, axis=dim) for i in range(x.shape[dim])])


def test_split_outputs_used_partially_get_zero_grads():
    check_op(lambda T, x: x.split(1)[1] * 2, [(3, 2)], ref=lambda x: x[1:2] * 2)
    check_op(lambda T, x: x.unbind(1)[0], [(3, 2)], ref=lambda x: x[:, 0])


# ------------------------------------------------------------------ hypothesis
@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple),
       extra=st.lists(st.integers(0, 3), min_size=1, max_size=3), data=st.data())
def test_cat_matches_numpy(shape, extra, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    arrays = []
    for i, n in enumerate(extra):
        s = list(shape)
        s[dim] = n
        arrays.append(np.full(s, float(i)))
    out = mt.cat([mt.from_numpy(a) for a in arrays], dim=dim)
    np.testing.assert_array_equal(out.numpy(), np.concatenate(arrays, axis=dim))


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(0, 3), max_size=3).map(tuple), n=st.integers(1, 3),
       data=st.data())
def test_stack_matches_numpy(shape, n, data):
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)))
    arrays = [np.full(shape, float(i)) for i in range(n)]
    out = mt.stack([mt.from_numpy(a) for a in arrays], dim=dim)
    np.testing.assert_array_equal(out.numpy(), np.stack(arrays, axis=dim))
