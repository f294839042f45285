"""Joining ops added or completed for issue 11 (minitorch_nn/ops/joining.py): dstack,
column_stack, row_stack, atleast_1d/2d/3d (and the empty-list errors of hstack / vstack);
against NumPy, gradcheck and PyTorch, with PyTorch's node names and errors."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch
from shape_util import same_error


def check(fn, shapes, **kw):
    """check_op, without the gradient checks where an input or an output has no elements:
    gradcheck's Jacobians are then (0, 0) on one side only and never compare equal
    (autograd/gradcheck.py), though the op's gradient is right (an empty tensor)."""
    probe = fn(mt, *[mt.zeros(s, dtype=mt.float64) for s in shapes])
    outs = probe if isinstance(probe, tuple) else (probe,)
    sizes = [int(np.prod(s)) for s in shapes] + [o.numel() for o in outs]
    return check_op(fn, shapes, grad=kw.pop("grad", True) and min(sizes) > 0, **kw)


# ------------------------------------------------------------------ dstack
@pytest.mark.parametrize("shapes", [[(3,), (3,)], [(2, 3), (2, 3)], [(2, 3, 1), (2, 3, 2)],
                                    [(), ()], [(3,)], [(2, 3, 2, 2), (2, 3, 1, 2)],
                                    [(1, 3), (3,)]])
def test_dstack(shapes):
    check_op(lambda T, *xs: T.dstack(xs), shapes, ref=lambda *xs: np.dstack(xs))
    check_op(lambda T, *xs: T.dstack(list(xs)), shapes, ref=lambda *xs: np.dstack(xs))


def test_dstack_promotes_and_takes_out():
    check_op(lambda T, x, y: T.dstack((x, y)), [],
             arrays=[np.arange(3.0), np.arange(3)], ref=lambda x, y: np.dstack((x, y)))
    out = mt.empty(0)
    r = mt.dstack([mt.ones(2), mt.zeros(2)], out=out)
    assert r is out and out.shape == (1, 2, 2)
    assert mt.dstack([mt.zeros(2, requires_grad=True)]).grad_fn.name() == "CatBackward0"


@pytest.mark.parametrize("call", [lambda T: T.dstack([]), lambda T: T.dstack(T.zeros(3)),
                                  lambda T: T.dstack([T.zeros(3), T.zeros(4)]),
                                  lambda T: T.dstack([T.zeros(3), 1])])
def test_dstack_errors(call):
    same_error(call, match=r"dstack|Sizes of tensors|tuple of Tensors|element 1")


# ------------------------------------------------------------------ column_stack
@pytest.mark.parametrize("shapes", [[(3,), (3,)], [(3,), (3, 2)], [(), ()], [(3,)],
                                    [(3, 2, 2), (3, 1, 2)], [(0,), (0, 2)], [(1,), ()]])
def test_column_stack(shapes):
    check(lambda T, *xs: T.column_stack(xs), shapes, ref=lambda *xs: np.column_stack(xs))


def test_column_stack_dtypes():
    check_op(lambda T, x, y: T.column_stack([x, y]), [],
             arrays=[np.array([True, False]), np.array([1, 2], np.int32)],
             ref=lambda x, y: np.column_stack([x, y]))
    check_op(lambda T, x, y: T.column_stack([x, y]), [(3,), (3,)], dtype=np.float16,
             grad=False, ref=lambda x, y: np.column_stack([x, y]))


@pytest.mark.parametrize("call", [lambda T: T.column_stack([]),
                                  lambda T: T.column_stack(T.zeros(3)),
                                  lambda T: T.column_stack([T.zeros(3), T.zeros(2)])])
def test_column_stack_errors(call):
    same_error(call, match=r"column_stack|Sizes of tensors|tuple of Tensors")


# ------------------------------------------------------------------ row_stack / hstack / vstack
@pytest.mark.parametrize("shapes", [[(3,), (3,)], [(3,), (2, 3)], [(), ()], [(0, 3), (3,)]])
def test_row_stack_is_vstack(shapes):
    check(lambda T, *xs: T.row_stack(xs), shapes, ref=lambda *xs: np.vstack(xs))
    check(lambda T, *xs: T.vstack(xs), shapes, ref=lambda *xs: np.vstack(xs))
    assert mt.row_stack is mt.vstack


@pytest.mark.parametrize("fn", ["hstack", "vstack", "row_stack"])
def test_stacks_refuse_an_empty_list(fn):
    same_error(lambda T: getattr(T, fn)([]))


def test_hstack_0d():
    check_op(lambda T, x, y: T.hstack([x, y]), [(), (2,)], ref=lambda x, y: np.hstack([x, y]))


# ------------------------------------------------------------------ atleast_nd
@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 1), (2, 1, 1, 2), (0,)])
def test_atleast(n, shape):
    np_fn = getattr(np, f"atleast_{n}d")
    check(lambda T, x: getattr(T, f"atleast_{n}d")(x), [shape], ref=np_fn)
    check(lambda T, x, y: getattr(T, f"atleast_{n}d")(x, y), [shape, (2,)],
             ref=lambda x, y: np_fn(x, y))
    check(lambda T, x, y: getattr(T, f"atleast_{n}d")([x, y]), [shape, ()],
             ref=lambda x, y: np_fn(x, y))


@requires_torch
@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 1)])
def test_atleast_nodes_views_and_identity_match_pytorch(n, shape):
    x = mt.zeros(shape, requires_grad=True)
    y = torch.zeros(shape, requires_grad=True)
    ours, theirs = getattr(mt, f"atleast_{n}d")(x), getattr(torch, f"atleast_{n}d")(y)
    assert (ours is x) == (theirs is y)
    name = theirs.grad_fn.name() if theirs.grad_fn is not None else None
    assert (ours.grad_fn.name() if ours.grad_fn is not None else None) == name
    assert (ours._base is not None) == (theirs._base is not None)


def test_atleast_return_types():
    x = mt.zeros(())
    assert isinstance(mt.atleast_1d(x), mt.Tensor)
    assert isinstance(mt.atleast_1d((x,)), tuple) and len(mt.atleast_1d((x,))) == 1
    assert isinstance(mt.atleast_2d(x, x), tuple)
    assert mt.atleast_3d() == ()


@pytest.mark.parametrize("n", [1, 2, 3])
def test_atleast_errors(n):
    same_error(lambda T: getattr(T, f"atleast_{n}d")(3), match=r"atleast_\dd|Tensor")
    same_error(lambda T: getattr(T, f"atleast_{n}d")([1, 2]), match=r"element 0")
