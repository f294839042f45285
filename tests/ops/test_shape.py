"""Shape ops (minitorch_nn/ops/shape.py): expand / broadcast_to / broadcast_tensors, repeat /
tile, flip / roll, checked against NumPy, gradcheck and PyTorch.

Also, for every shape, view (tests/ops/test_views.py) and joining (tests/ops/test_joining.py)
op: grad node names and PyTorch's error messages.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch
from shape_util import contiguous, same_error


# ------------------------------------------------------------------ expand
@pytest.mark.parametrize("shape,size", [((3, 1), (3, 4)), ((3, 1), (2, 3, 4)),
                                        ((3, 1), (-1, 5)), ((1,), (2, 2, -1)), ((), (2, 3))])
def test_expand(shape, size):
    def ref(x):
        target = tuple(x.shape[i - (len(size) - x.ndim)] if s == -1 else s
                       for i, s in enumerate(size))
        return np.broadcast_to(x, target)
    check_op(lambda T, x: x.expand(*size), [shape], ref=ref)
    check_op(lambda T, x: x.expand(size), [shape], ref=ref)


def test_expand_as_broadcast_to_and_broadcast_tensors():
    check_op(lambda T, x, y: x.expand_as(y), [(3, 1), (2, 3, 4)],
             ref=lambda x, y: np.broadcast_to(x, y.shape))
    check_op(lambda T, x: T.broadcast_to(x, (2, 3, 4)), [(3, 1)],
             ref=lambda x: np.broadcast_to(x, (2, 3, 4)))
    check_op(lambda T, x, y: T.broadcast_tensors(x, y), [(3, 1), (4,)],
             ref=lambda x, y: np.broadcast_arrays(x, y))
    assert mt.broadcast_shapes((3, 1), (4,), (2, 1, 1)) == (2, 3, 4)


def test_expanded_tensor_refuses_in_place_writes():
    x = mt.zeros(3, 1).expand(3, 4)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        x.add_(1)


# ------------------------------------------------------------------ repeat / tile
@pytest.mark.parametrize("shape,reps", [((2, 3), (2, 1)), ((2, 3), (1, 2, 3)), ((3,), (2,)),
                                        ((), (2, 3)), ((2, 1), (2, 2))])
def test_repeat(shape, reps):
    check_op(lambda T, x: x.repeat(*reps), [shape], ref=lambda x: np.tile(x, reps))
    check_op(lambda T, x: x.repeat(reps), [shape], ref=lambda x: np.tile(x, reps))


@pytest.mark.parametrize("reps", [(2,), (2, 3), (1, 2, 2)])
def test_tile(reps):
    check_op(lambda T, x: T.tile(x, reps), [(2, 3)], ref=lambda x: np.tile(x, reps))
    check_op(lambda T, x: x.tile(reps), [(2, 3)], ref=lambda x: np.tile(x, reps))


# ------------------------------------------------------------------ flip / roll
@pytest.mark.parametrize("dims", [(0,), (1,), (0, 1), (-1,), (0, 2)])
def test_flip(dims):
    check_op(lambda T, x: T.flip(x, dims), [(2, 3, 2)], ref=lambda x: np.flip(x, dims))
    check_op(lambda T, x: x.flip(*dims), [(2, 3, 2)], ref=lambda x: np.flip(x, dims))
    check_op(lambda T, x: x.flip(dims), [(2, 3, 2)], ref=lambda x: np.flip(x, dims))


def test_fliplr_flipud():
    check_op(lambda T, x: T.fliplr(x), [(2, 3)], ref=np.fliplr)
    check_op(lambda T, x: T.flipud(x), [(2, 3)], ref=np.flipud)


def test_flip_returns_a_copy():
    x = mt.arange(3.0)
    y = x.flip(0)
    y.add_(10)
    assert x.tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("shifts,dims", [(1, None), (-2, None), (1, 0), (2, -1), ((1, 2), (0, 1)),
                                         ((1, -1), (1, 0)), (5, 1)])
def test_roll(shifts, dims):
    check_op(lambda T, x: T.roll(x, shifts, dims), [(2, 3)],
             ref=lambda x: np.roll(x, shifts, axis=dims))
    check_op(lambda T, x: x.roll(shifts, dims), [(2, 3)],
             ref=lambda x: np.roll(x, shifts, axis=dims))


# ------------------------------------------------------------------ grad node names
@requires_torch
@pytest.mark.parametrize("fn", [
    lambda T, x: x.view(6, 4), lambda T, x: x.reshape(-1), lambda T, x: x.flatten(),
    lambda T, x: x.unsqueeze(0), lambda T, x: x.squeeze(), lambda T, x: x.transpose(0, 1),
    lambda T, x: x.permute(2, 0, 1), lambda T, x: x.movedim(0, 2),
    lambda T, x: x.expand(2, 2, 3, 4), lambda T, x: x.repeat(1, 2, 1),
    lambda T, x: T.cat([x, x]), lambda T, x: T.stack([x, x]), lambda T, x: x.narrow(1, 0, 2),
    lambda T, x: x.flip(0), lambda T, x: x.roll(1, 0), lambda T, x: x.select(0, 1),
    lambda T, x: x.diagonal(), lambda T, x: x.transpose(0, 1).reshape(-1),
    lambda T, x: x.split(1)[0], lambda T, x: x.unbind(0)[0], lambda T, x: x.chunk(2, 1)[1],
])
def test_grad_fn_names_match_pytorch(fn):
    arr = contiguous((2, 3, 4))[0]
    ours = fn(mt, mt.from_numpy(arr.copy()).requires_grad_())
    theirs = fn(torch, torch.from_numpy(arr.copy()).requires_grad_())
    assert ours.grad_fn.name() == theirs.grad_fn.name()


# ------------------------------------------------------------------ errors vs PyTorch
@requires_torch
@pytest.mark.parametrize("fn", [
    lambda T: T.rand(2, 3).view(-1, 4),
    lambda T: T.rand(2, 3).view(-1, -1),
    lambda T: T.rand(2, 3).view(-2, 3),
    lambda T: T.rand(2, 3).reshape(4, -1),
    lambda T: T.zeros(0, 3).view(0, -1),
    lambda T: T.rand(2, 3).transpose(0, 1).view(6),
    lambda T: T.rand(2, 3).expand(3, 3),
    lambda T: T.rand(2, 3).expand(-1, 2, 3),
    lambda T: T.rand(2, 3).repeat(2),
    lambda T: T.cat([T.rand(2, 3), T.rand(2, 2)]),
    lambda T: T.cat([T.rand(2, 3), T.rand(1, 3)], dim=1),
    lambda T: T.cat([T.tensor(1.0), T.rand(2)]),
    lambda T: T.cat([T.rand(2, 3), T.rand(2, 3, 1)]),
    lambda T: T.cat([T.rand(2)], dim=1),
    lambda T: T.cat([]),
    lambda T: T.cat([T.rand(2), 1]),
    lambda T: T.cat(T.rand(2)),
    lambda T: T.stack([T.rand(2), T.rand(3)]),
    lambda T: T.stack([]),
    lambda T: T.stack([T.rand(2)], dim=3),
    lambda T: T.stack([T.rand(2)], dim=-3),
    lambda T: T.rand(2, 3).squeeze(2),
    lambda T: T.rand(2, 3).squeeze((0, 0)),
    lambda T: T.rand(2, 3).unsqueeze(3),
    lambda T: T.rand(2, 3).unsqueeze(-4),
    lambda T: T.rand(2, 3).permute(0),
    lambda T: T.rand(2, 3).permute(0, 0),
    lambda T: T.rand(2, 3).transpose(0, 2),
    lambda T: T.rand(2, 3).flatten(1, 0),
    lambda T: T.rand(2, 3).unflatten(1, (2, 2)),
    lambda T: T.rand(2, 3).unflatten(1, ()),
    lambda T: T.rand(2, 3).narrow(1, 2, 2),
    lambda T: T.rand(2, 3).narrow(1, 4, 0),
    lambda T: T.rand(2, 3).narrow(0, 0, -1),
    lambda T: T.rand(2, 3).select(0, 5),
    lambda T: T.rand(2, 3).split(0),
    lambda T: T.rand(2, 3).split([1, 2]),
    lambda T: T.rand(2, 3).chunk(0),
    lambda T: T.rand(2, 3).roll((1, 2), (0,)),
    lambda T: T.rand(2, 3).roll(1, 5),
    lambda T: T.rand(2, 3).flip(0, 0),
    lambda T: T.rand(2, 3).movedim((0, 1), (1, 1)),
    lambda T: T.rand(2, 3).unbind(2),
    lambda T: T.rand(2, 3).diagonal(0, 1, 1),
])
def test_errors_match_pytorch(fn):
    same_error(fn)


@requires_torch
def test_error_messages_with_variable_parts():
    same_error(lambda T: T.rand(2, 3).expand(3), match="the number of sizes provided \\(1\\)")
    same_error(lambda T: T.rand(2, 3).view(2, 3.0), match="type must be tuple of ints")
    same_error(lambda T: T.rand(2, 3).movedim((0, 1), 1), match="movedim")
    same_error(lambda T: T.rand(2, 3).permute(), match="missing 1 required positional")
    same_error(lambda T: T.rand(2, 3).flip(), match="missing 1 required positional")
