"""Shape ops added for issue 11 (minitorch_nn/ops/shape.py, views.py): repeat_interleave,
rot90, take_along_dim, Tensor.unfold, and torch.take; against NumPy, gradcheck and PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch
from shape_util import same_error


def check(fn, shapes, **kw):
    """check_op, without the gradient checks where an input or the output has no elements:
    gradcheck's Jacobians are then (0, 0) on one side only and never compare equal
    (autograd/gradcheck.py), though the op's gradient is right (an empty tensor)."""
    arrays = kw.get("arrays")
    probe_in = [mt.from_numpy(np.asarray(a)) for a in arrays] if arrays is not None else \
        [mt.zeros(s, dtype=mt.float64) for s in shapes]
    probe = fn(mt, *probe_in)
    sizes = [t.numel() for t in probe_in] + [probe.numel()]
    return check_op(fn, shapes, grad=kw.pop("grad", True) and min(sizes) > 0, **kw)


def _long(values):
    return np.array(values, dtype=np.int64)


# ------------------------------------------------------------------ repeat_interleave
@pytest.mark.parametrize("shape,r,dim", [((2, 3), 2, None), ((2, 3), 2, 1), ((2, 3), 3, -2),
                                         ((2, 3), 0, 0), ((3,), 1, 0), ((), 3, None),
                                         ((0, 3), 2, 0), ((2, 1, 2), 2, 1)])
def test_repeat_interleave_int(shape, r, dim):
    check(lambda T, x: T.repeat_interleave(x, r, dim), [shape],
          ref=lambda x: np.repeat(x, r, axis=dim))
    check(lambda T, x: x.repeat_interleave(r, dim=dim), [shape],
          ref=lambda x: np.repeat(x, r, axis=dim))


@pytest.mark.parametrize("shape,reps,dim", [((2, 3), [1, 2], 0), ((2, 3), [1, 2, 0], -1),
                                            ((2, 3), [2], 1), ((2, 3), 2, 1),
                                            ((2, 3), [1, 0, 2, 1, 1, 3], None),
                                            ((2, 3), [0, 0], 0), ((3,), [3, 1, 2], 0)])
def test_repeat_interleave_tensor(shape, reps, dim):
    rep = _long(reps)
    check(lambda T, x, r: T.repeat_interleave(x, r, dim=dim), [shape, rep.shape],
          arrays=[np.random.default_rng(0).uniform(-1, 1, shape), rep],
          ref=lambda x, r: np.repeat(x, np.broadcast_to(r, (x.size if dim is None else
                                                            x.shape[dim],)), axis=dim))


def test_repeat_interleave_output_size_int32_and_node_names():
    check_op(lambda T, x, r: T.repeat_interleave(x, r, dim=0, output_size=3), [],
             arrays=[np.arange(6.0).reshape(2, 3), np.array([1, 2], np.int32)],
             ref=lambda x, r: np.repeat(x, r, axis=0))
    check_op(lambda T, x: T.repeat_interleave(x, 2, dim=0, output_size=4), [(2, 3)],
             ref=lambda x: np.repeat(x, 2, axis=0))
    x = mt.zeros(2, 3, requires_grad=True)
    assert mt.repeat_interleave(x, 2).grad_fn.name() == "ViewBackward0"
    assert mt.repeat_interleave(x, mt.tensor([1, 2]), 0).grad_fn.name() == \
        "IndexSelectBackward0"


def test_repeat_interleave_int_and_bool_input():
    check_op(lambda T, x: T.repeat_interleave(x, 2), [], arrays=[np.array([True, False])],
             ref=lambda x: np.repeat(x, 2))
    check_op(lambda T, x: T.repeat_interleave(x, 2, 1), [], arrays=[np.arange(6).reshape(2, 3)],
             ref=lambda x: np.repeat(x, 2, 1))
    check_op(lambda T, x: T.repeat_interleave(x, 2), [(3,)], dtype=np.float16, grad=False,
             ref=lambda x: np.repeat(x, 2))


@pytest.mark.parametrize("reps,out", [([1, 2, 3], None), ([1, 0, 2], None), ([1, 0, 2], 3),
                                      ([], None), ([4], None)])
@pytest.mark.parametrize("dtype", [np.int64, np.int32])
def test_repeat_interleave_one_argument_form(reps, out, dtype):
    r = np.array(reps, dtype)
    got = check_op(lambda T, r: T.repeat_interleave(r, output_size=out), [], arrays=[r],
                   ref=lambda r: np.repeat(np.arange(r.size), r))[0]
    assert got.dtype == mt.from_numpy(r).dtype


@pytest.mark.parametrize("call", [
    lambda T: T.repeat_interleave(T.zeros(2, 3), -1, dim=0),
    lambda T: T.repeat_interleave(T.zeros(2, 3), 2, dim=2),
    lambda T: T.repeat_interleave(T.zeros(2, 3), 2, dim=0, output_size=5),
    lambda T: T.repeat_interleave(T.zeros(2, 3), T.tensor([1, 2, 3])),
    lambda T: T.repeat_interleave(T.zeros(2, 3), T.tensor([1, 2]), dim=1),
    lambda T: T.repeat_interleave(T.zeros(2, 3), T.tensor([1, 2, 3]), dim=-2),
    lambda T: T.repeat_interleave(T.zeros(2, 3), T.tensor([1, -2]), dim=0),
    lambda T: T.repeat_interleave(T.zeros(2, 3), T.tensor([1.0, 2.0]), dim=0),
    lambda T: T.repeat_interleave(T.zeros(2, 3), T.tensor([[1, 2]]), dim=0),
    lambda T: T.repeat_interleave(T.zeros(2, 3), T.tensor([1, 2]), dim=0, output_size=4),
    lambda T: T.repeat_interleave(T.zeros(2, 3), 2.0),
    lambda T: T.repeat_interleave(T.zeros(()), 3, dim=0),
    lambda T: T.repeat_interleave(T.zeros(()), 3, dim=-1),
    lambda T: T.repeat_interleave(T.zeros(()), T.tensor([2]), dim=0),
    lambda T: T.repeat_interleave(T.tensor([1.0, 2.0])),
    lambda T: T.repeat_interleave(T.tensor([True, False])),
    lambda T: T.repeat_interleave(T.tensor([[1, 2]])),
    lambda T: T.repeat_interleave(T.tensor([1, -1])),
    lambda T: T.repeat_interleave(T.tensor([1, 2]), output_size=4),
])
def test_repeat_interleave_errors(call):
    same_error(call, match=r"[Rr]epeats|repeat_interleave|output_size|allocated size|"
                           r"Dimension|not implemented")


# ------------------------------------------------------------------ rot90
@pytest.mark.parametrize("k", [0, 1, 2, 3, 4, -1, -3, 5])
@pytest.mark.parametrize("shape,dims", [((2, 3), (0, 1)), ((2, 3), (1, 0)),
                                        ((2, 3, 4), (2, 0)), ((2, 3, 4), (-1, 1)),
                                        ((0, 3), (0, 1)), ((1, 1), (0, 1))])
def test_rot90(k, shape, dims):
    check(lambda T, x: T.rot90(x, k, dims), [shape], ref=lambda x: np.rot90(x, k, dims))
    check(lambda T, x: x.rot90(k, list(dims)), [shape], ref=lambda x: np.rot90(x, k, dims))


def test_rot90_defaults_dtypes_and_copy():
    check_op(lambda T, x: T.rot90(x), [(2, 3)], ref=np.rot90)
    check_op(lambda T, x: x.rot90(), [], arrays=[np.arange(6).reshape(2, 3)], ref=np.rot90)
    check_op(lambda T, x: T.rot90(x, 1, dims=[0, 1]), [],
             arrays=[np.array([[True, False]])], ref=np.rot90)
    check_op(lambda T, x: T.rot90(x, 3), [(2, 3)], dtype=np.float16, grad=False,
             ref=lambda x: np.rot90(x, 3))
    x = mt.arange(4.0).reshape(2, 2)
    y = mt.rot90(x, 0)
    y.add_(1)
    assert x.tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert mt.rot90(x.requires_grad_(), 2).grad_fn.name() == "Rot90Backward0"


@requires_torch
@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_rot90_strides_match_pytorch(k):
    a = np.arange(24.0).reshape(2, 3, 4)
    assert mt.rot90(mt.from_numpy(a), k, (0, 2)).stride() == \
        torch.rot90(torch.from_numpy(a), k, (0, 2)).stride()


@pytest.mark.parametrize("call", [
    lambda T: T.rot90(T.zeros(2, 3), 1, (0, 0)),
    lambda T: T.rot90(T.zeros(2, 3), 1, (0, -2)),
    lambda T: T.rot90(T.zeros(2, 3), 1, (0,)),
    lambda T: T.rot90(T.zeros(2, 3), 1, (0, 1, 2)),
    lambda T: T.rot90(T.zeros(3), 1),
    lambda T: T.rot90(T.zeros(2, 3), 1, (0, 2)),
    lambda T: T.rot90(T.zeros(2, 3, 4), 1, (5, 0)),
    lambda T: T.rot90(T.zeros(2, 3), 1.5),
    lambda T: T.rot90(T.zeros(2, 3), True),
    lambda T: T.rot90(T.zeros(2, 3), 1, 0),
])
def test_rot90_errors(call):
    same_error(call, match=r"rotation dims|total dims|Dimension out of range|argument '(k|dims)'")


# ------------------------------------------------------------------ take_along_dim
def _np_take_along(x, idx, dim):
    if dim is None:
        return x.reshape(-1)[idx.reshape(-1)]
    dim %= x.ndim
    shape = np.broadcast_shapes(x.shape[:dim] + (1,) + x.shape[dim + 1:],
                                idx.shape[:dim] + (1,) + idx.shape[dim + 1:])
    xs = shape[:dim] + (x.shape[dim],) + shape[dim + 1:]
    ids = shape[:dim] + (idx.shape[dim],) + shape[dim + 1:]
    return np.take_along_axis(np.broadcast_to(x, xs), np.broadcast_to(idx, ids), dim)


@pytest.mark.parametrize("shape,index,dim", [
    ((3, 4), [[0], [2], [1]], 1), ((3, 4), [[0, 3]], 1), ((3, 4), [[2, 0, 1, 1]], 0),
    ((3, 4), [[0, 3, 3], [1, 1, 0], [2, 2, 2]], -1), ((3, 1), [[0, 0, 0]] * 3, 0),
    ((2, 1, 3), [[[0]] * 4], 0), ((2, 1, 3), [[[0]] * 4], 2), ((2, 1, 3), [[[0]] * 4], 1),
    ((3, 4), [0, 11, 5], None), ((3, 4), [[0, 11], [5, 5]], None), ((0, 3), [], 0),
])
def test_take_along_dim(shape, index, dim):
    idx = _long(index)
    if idx.ndim == 1 and len(shape) == 2 and dim is not None:
        idx = idx.reshape(1, -1)
    if idx.size == 0:
        idx = np.zeros((0, 1), np.int64)      # broadcasts to (0, 3)
    fn = (lambda T, x, i: T.take_along_dim(x, i, dim)) if dim is not None else \
        (lambda T, x, i: T.take_along_dim(x, i))
    check(fn, [shape, idx.shape], ref=lambda x, i: _np_take_along(x, i, dim),
          arrays=[np.random.default_rng(1).uniform(-1, 1, shape), idx])
    check(lambda T, x, i: x.take_along_dim(i, dim=dim), [shape, idx.shape],
          ref=lambda x, i: _np_take_along(x, i, dim),
          arrays=[np.random.default_rng(1).uniform(-1, 1, shape), idx])


def test_take_along_dim_sorts_like_argsort():
    x = np.random.default_rng(3).uniform(-1, 1, (3, 5))
    check_op(lambda T, x, i: T.take_along_dim(x, i, dim=1), [],
             arrays=[x, np.argsort(x, axis=1)], ref=lambda x, i: np.sort(x, axis=1))


def test_take_along_dim_int_bool_and_0d():
    check_op(lambda T, x, i: T.take_along_dim(x, i, 1), [],
             arrays=[np.arange(6).reshape(2, 3), _long([[2], [0]])],
             ref=lambda x, i: np.take_along_axis(x, i, 1))
    check_op(lambda T, x, i: T.take_along_dim(x, i), [],
             arrays=[np.array([True, False]), _long([1])], ref=lambda x, i: x[i])
    check_op(lambda T, x, i: T.take_along_dim(x, i), [],
             arrays=[np.array(2.5), np.array(0)], ref=lambda x, i: x.reshape(1))


@pytest.mark.parametrize("index,dim", [([[0], [4], [1]], 1), ([[0], [-1], [1]], 1),
                                       ([[0], [-5], [1]], 1), ([[3, 0, 0, 0]], 0)])
def test_take_along_dim_out_of_range_raises(index, dim):
    """PyTorch 2.13 reads a wrong element here without an error (its broadcast gather path
    skips the bounds check); we raise gather's error instead of reading out of bounds."""
    x = mt.arange(12.0).reshape(3, 4)
    with pytest.raises(RuntimeError, match="out of bounds for dimension"):
        mt.take_along_dim(x, mt.tensor(index), dim)


@pytest.mark.parametrize("call", [
    lambda T: T.take_along_dim(T.zeros(3, 4), T.tensor([[0, 3]]), dim=0),
    lambda T: T.take_along_dim(T.zeros(3, 4), T.tensor([0, 2]), dim=1),
    lambda T: T.take_along_dim(T.zeros(3, 4), T.tensor([[[0]]]), dim=1),
    lambda T: T.take_along_dim(T.zeros(3, 4), T.tensor([[0, 1]] * 2), dim=1),
    lambda T: T.take_along_dim(T.zeros(3, 4), T.tensor([[0]], dtype=T.int32), dim=1),
    lambda T: T.take_along_dim(T.zeros(3, 4), T.tensor([[0.0]]), dim=1),
    lambda T: T.take_along_dim(T.zeros(3, 4), T.tensor([[0]]), dim=2),
    lambda T: T.take_along_dim(T.zeros(3, 4), T.tensor([0, 12])),
    lambda T: T.take_along_dim(T.zeros(3, 4), T.tensor([0, -1])),
    lambda T: T.take_along_dim(T.zeros(3, 4), T.tensor([0.0])),
    lambda T: T.take_along_dim(T.zeros(3, 4), [0]),
    lambda T: T.take_along_dim([1.0], T.tensor([0])),
    lambda T: T.take_along_dim(T.tensor(2.0), T.tensor(0), dim=0),
])
def test_take_along_dim_errors(call):
    same_error(call, match=r"size of tensor|same number of dimensions|should be Long|"
                           r"Dimension|out of bounds|int32/int64|must be Tensor")


# ------------------------------------------------------------------ Tensor.unfold
@pytest.mark.parametrize("shape,args", [((7,), (0, 2, 1)), ((7,), (0, 3, 2)), ((7,), (0, 7, 1)),
                                        ((7,), (0, 0, 1)), ((7,), (-1, 2, 10)),
                                        ((3, 5), (1, 2, 2)), ((3, 5), (0, 2, 1)),
                                        ((3, 5), (1, 5, 3)), ((2, 3, 4), (-2, 2, 1)),
                                        ((), (0, 1, 1)), ((), (0, 0, 1)), ((0, 3), (0, 0, 1)),
                                        ((0, 3), (1, 2, 1)), ((3, 9), (1, 4, 2))])
def test_unfold(shape, args):
    def ref(x):
        d, size, step = args
        if x.ndim == 0:
            return x.reshape(1)[:size]
        d %= x.ndim
        w = np.lib.stride_tricks.sliding_window_view(x, size, axis=d)
        return np.take(w, np.arange(0, w.shape[d], step), axis=d)
    check(lambda T, x: x.unfold(*args), [shape], ref=ref)
    check(lambda T, x: x.unfold(dimension=args[0], size=args[1], step=args[2]), [shape],
          ref=ref)


def test_unfold_is_a_view_with_pytorchs_strides():
    x = mt.arange(15.0).reshape(3, 5)
    u = x.unfold(1, 2, 2)
    assert u.stride() == (5, 2, 1)
    u[0, 0, 0] = 100.0
    assert x[0, 0].item() == 100.0
    assert x.t().unfold(0, 2, 1).stride() == (1, 5, 1)
    y = mt.zeros(3, 5, requires_grad=True)
    assert y.unfold(1, 2, 1).grad_fn.name() == "UnfoldBackward0"


def test_unfold_overlapping_windows_gradient_counts_each_use():
    x = mt.zeros(2, 5, requires_grad=True)
    x.unfold(1, 3, 1).sum().backward()
    assert x.grad.tolist() == [[1.0, 2.0, 3.0, 2.0, 1.0]] * 2
    check_op(lambda T, x: (x.unfold(0, 4, 1) ** 2).sum(-1), [(6, 2)])   # size > windows


def test_unfold_int_bool_half():
    check_op(lambda T, x: x.unfold(0, 2, 1), [], arrays=[np.arange(5)],
             ref=lambda x: np.lib.stride_tricks.sliding_window_view(x, 2))
    check_op(lambda T, x: x.unfold(0, 2, 2), [], arrays=[np.array([True, False, True])],
             ref=lambda x: x[:2].reshape(1, 2))
    check_op(lambda T, x: x.unfold(1, 2, 1), [(2, 3)], dtype=np.float16, grad=False,
             ref=lambda x: np.lib.stride_tricks.sliding_window_view(x, 2, axis=1))


@pytest.mark.parametrize("call", [
    lambda T: T.arange(7.0).unfold(0, 8, 1),
    lambda T: T.arange(7.0).unfold(0, -1, 1),
    lambda T: T.arange(7.0).unfold(0, 2, 0),
    lambda T: T.arange(7.0).unfold(0, 2, -1),
    lambda T: T.arange(7.0).unfold(1, 2, 1),
    lambda T: T.tensor(3.0).unfold(0, 2, 1),
    lambda T: T.zeros(0, 3).unfold(0, 1, 1),
    lambda T: T.arange(7.0).unfold(0, 2.0, 1),
])
def test_unfold_errors(call):
    same_error(call)


# ------------------------------------------------------------------ torch.take (existing)
@pytest.mark.parametrize("shape,index", [((2, 3), [[1, 2], [-1, 0]]), ((4,), [3, -4, 0]),
                                         ((2, 3), []), ((), [0])])
def test_take(shape, index):
    idx = _long(index)
    check(lambda T, x, i: T.take(x, i), [shape, idx.shape],
          arrays=[np.random.default_rng(2).uniform(-1, 1, shape), idx],
          ref=lambda x, i: x.reshape(-1)[i])
    check(lambda T, x, i: x.take(i), [shape, idx.shape],
          arrays=[np.random.default_rng(2).uniform(-1, 1, shape), idx],
          ref=lambda x, i: x.reshape(-1)[i])


@pytest.mark.parametrize("call", [
    lambda T: T.take(T.zeros(2, 3), T.tensor([6])),
    lambda T: T.take(T.zeros(2, 3), T.tensor([-7])),
    lambda T: T.take(T.zeros(2, 3), T.tensor([1.0])),
])
def test_take_errors(call):
    same_error(call)
