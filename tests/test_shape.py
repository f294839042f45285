"""Shape ops: views and copies, checked against NumPy, gradcheck and PyTorch.

Also: view semantics (shared memory and version counter, in-place on views routing gradients
like PyTorch), PyTorch's error messages, and hypothesis tests over random shapes.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minitorch_nn as mt
from op_harness import check_op, make_arrays, requires_torch, torch


def contiguous(*shapes, seed=0):
    """Random C-contiguous float64 arrays (`view` refuses most non-contiguous inputs)."""
    return make_arrays(shapes, seed=seed, noncontiguous=False)


def same_error(fn, match=None):
    """`fn(T)` raises the same error class in PyTorch and minitorch_nn.

    With `match=None` the messages must be equal (PyTorch's first line); otherwise both must
    match the regex `match`.
    """
    with pytest.raises(Exception) as ours:
        fn(mt)
    if torch is None:
        if match is not None:
            assert ours.match(match)
        return
    with pytest.raises(Exception) as theirs:
        fn(torch)
    assert ours.type is theirs.type, f"{ours.type} vs PyTorch {theirs.type}"
    if match is None:
        assert str(ours.value) == str(theirs.value).split("\n")[0]
    else:
        assert ours.match(match) and theirs.match(match)


# ------------------------------------------------------------------ reshape family
@pytest.mark.parametrize("shape,new", [((2, 3), (6,)), ((2, 3), (3, -1)), ((2, 3, 4), (4, 6)),
                                       ((6,), (1, 2, 3, 1)), ((), (1, 1)), ((1,), ())])
def test_view_and_reshape_of_contiguous(shape, new):
    arr = contiguous(shape)
    out = check_op(lambda T, x: x.view(new), None, arrays=arr,
                   ref=lambda x: x.reshape(new))
    assert out[0]._base is not None
    if new:
        check_op(lambda T, x: x.view(*new), None, arrays=arr, ref=lambda x: x.reshape(new))
    check_op(lambda T, x: T.reshape(x, new), None, arrays=arr, ref=lambda x: x.reshape(new))
    check_op(lambda T, x: x.reshape(new), None, arrays=arr, ref=lambda x: x.reshape(new))


def test_reshape_of_noncontiguous_copies_and_keeps_gradients():
    out = check_op(lambda T, x: x.reshape(-1), [(3, 4)], ref=lambda x: x.reshape(-1))
    assert out[0]._base is None
    assert out[0].grad_fn.name() == "UnsafeViewBackward0"
    # a transposed tensor can be viewed when the new shape only splits its dims
    check_op(lambda T, x: x.transpose(0, 1).view(2, 2, 3), None, arrays=contiguous((3, 4)),
             ref=lambda x: x.T.reshape(2, 2, 3))


def test_view_as_reshape_as_ravel():
    check_op(lambda T, x, y: x.view_as(y), None, arrays=contiguous((2, 6), (3, 4)),
             ref=lambda x, y: x.reshape(3, 4))
    check_op(lambda T, x, y: x.reshape_as(y), [(2, 6), (3, 4)],
             ref=lambda x, y: x.reshape(3, 4))
    check_op(lambda T, x: T.ravel(x), [(2, 3)], ref=np.ravel)
    check_op(lambda T, x: x.view((4, 3)), None, arrays=contiguous((2, 6)),
             ref=lambda x: x.reshape(4, 3))
    check_op(lambda T, x: x.view([12]), None, arrays=contiguous((2, 6)),
             ref=lambda x: x.reshape(12))


@pytest.mark.parametrize("start,end", [(0, -1), (1, -1), (0, 1), (-2, -1), (1, 1)])
def test_flatten(start, end):
    def ref(x):
        s, e = start % 3, end % 3
        return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1:])
    check_op(lambda T, x: T.flatten(x, start, end), [(2, 3, 4)], ref=ref)
    check_op(lambda T, x: x.flatten(start_dim=start, end_dim=end), [(2, 3, 4)], ref=ref)


def test_flatten_corner_cases():
    x = mt.rand(2, 3)
    assert x.flatten(1, 1) is x
    s = mt.tensor(1.0).flatten()
    assert s.shape == (1,) and s._base is not None
    with pytest.raises(RuntimeError, match="start_dim cannot come after end_dim"):
        x.flatten(1, 0)


@pytest.mark.parametrize("dim,sizes", [(1, (2, 3)), (-1, (3, -1)), (0, (1, 2))])
def test_unflatten(dim, sizes):
    def ref(x):
        d = dim % x.ndim
        return x.reshape(x.shape[:d] + tuple(sizes) + x.shape[d + 1:])
    check_op(lambda T, x: x.unflatten(dim, sizes), [(2, 6)], ref=ref)
    check_op(lambda T, x: T.unflatten(x, dim, sizes), [(2, 6)], ref=ref)


# ------------------------------------------------------------------ squeeze / unsqueeze
@pytest.mark.parametrize("dim", [None, 0, 2, -1, (0, 2), (1,), 1])
def test_squeeze(dim):
    def ref(x):
        if dim is None:
            return np.squeeze(x)
        dims = (dim,) if isinstance(dim, int) else dim
        dims = tuple(d % x.ndim for d in dims if x.shape[d] == 1)
        return np.squeeze(x, dims)
    if dim is None:
        check_op(lambda T, x: x.squeeze(), [(1, 3, 1, 2)], ref=ref)
        check_op(lambda T, x: T.squeeze(x), [(1, 3, 1, 2)], ref=ref)
    else:
        check_op(lambda T, x: T.squeeze(x, dim), [(1, 3, 1, 2)], ref=ref)
        check_op(lambda T, x: x.squeeze(dim), [(1, 3, 1, 2)], ref=ref)


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_unsqueeze(dim):
    check_op(lambda T, x: x.unsqueeze(dim), [(2, 3)], ref=lambda x: np.expand_dims(x, dim))
    check_op(lambda T, x: T.unsqueeze(x, dim), [(2, 3)],
             ref=lambda x: np.expand_dims(x, dim))


def test_squeeze_unsqueeze_0d():
    check_op(lambda T, x: x.unsqueeze(0), [()], ref=lambda x: x.reshape(1))
    check_op(lambda T, x: x.unsqueeze(-1).squeeze(), [()], ref=lambda x: x)
    check_op(lambda T, x: x.squeeze(0), [()], ref=lambda x: x)


# ------------------------------------------------------------------ transpose / permute
@pytest.mark.parametrize("name", ["transpose", "swapaxes", "swapdims"])
@pytest.mark.parametrize("d0,d1", [(0, 1), (0, -1), (2, 1), (1, 1)])
def test_transpose(name, d0, d1):
    check_op(lambda T, x: getattr(x, name)(d0, d1), [(2, 3, 4)],
             ref=lambda x: np.swapaxes(x, d0, d1))
    check_op(lambda T, x: getattr(T, name)(x, d0, d1), [(2, 3, 4)],
             ref=lambda x: np.swapaxes(x, d0, d1))


@pytest.mark.parametrize("dims", [(2, 0, 1), (0, 1, 2), (-1, -3, 1)])
def test_permute(dims):
    ref = lambda x: np.transpose(x, dims)  # noqa: E731
    check_op(lambda T, x: x.permute(*dims), [(2, 3, 4)], ref=ref)
    check_op(lambda T, x: x.permute(dims), [(2, 3, 4)], ref=ref)
    check_op(lambda T, x: T.permute(x, dims), [(2, 3, 4)], ref=ref)


@pytest.mark.parametrize("src,dst", [(0, 2), (-1, 0), ((0, 1), (2, 0)), ([2], [1])])
def test_movedim(src, dst):
    ref = lambda x: np.moveaxis(x, src, dst)  # noqa: E731
    check_op(lambda T, x: T.movedim(x, src, dst), [(2, 3, 4)], ref=ref)
    check_op(lambda T, x: x.moveaxis(src, dst), [(2, 3, 4)], ref=ref)


def test_diagonal():
    check_op(lambda T, x: x.diagonal(5), [(3, 4)], ref=lambda x: np.diagonal(x, 5), grad=False)
    for offset, d1, d2 in [(0, 0, 1), (1, 0, 1), (-1, 0, 1), (0, -1, 0), (2, 1, 2)]:
        check_op(lambda T, x: x.diagonal(offset, d1, d2), [(3, 4, 5)],
                 ref=lambda x: np.diagonal(x, offset, d1, d2))
        check_op(lambda T, x: T.diagonal(x, offset=offset, dim1=d1, dim2=d2), [(3, 4, 5)],
                 ref=lambda x: np.diagonal(x, offset, d1, d2))


def test_diagonal_is_a_writable_view():
    x = mt.zeros(3, 3)
    x.diagonal().add_(1)
    assert x.tolist() == np.eye(3).tolist()
    assert x._version.value == 1


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


# ------------------------------------------------------------------ narrow / select
@pytest.mark.parametrize("dim,start,length", [(0, 1, 2), (1, 0, 3), (-1, -2, 2), (1, 3, 0)])
def test_narrow(dim, start, length):
    def ref(x):
        s = start % x.shape[dim] if start < 0 else start
        return np.take(x, range(s, s + length), axis=dim)
    grad = length > 0   # gradcheck cannot handle empty outputs
    check_op(lambda T, x: x.narrow(dim, start, length), [(3, 3)], ref=ref, grad=grad)
    check_op(lambda T, x: T.narrow(x, dim, start, length), [(3, 3)], ref=ref, grad=grad)


@pytest.mark.parametrize("dim,index", [(0, 1), (1, -1), (-1, 0)])
def test_select(dim, index):
    check_op(lambda T, x: x.select(dim, index), [(2, 3)],
             ref=lambda x: np.take(x, index, axis=dim))
    check_op(lambda T, x: T.select(x, dim, index), [(2, 3)],
             ref=lambda x: np.take(x, index, axis=dim))


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


# ------------------------------------------------------------------ view semantics
VIEWS = {
    "view": lambda x: x.view(6, 2), "reshape": lambda x: x.reshape(3, 4),
    "flatten": lambda x: x.flatten(), "unflatten": lambda x: x.unflatten(1, (2, 2)),
    "squeeze": lambda x: x.unsqueeze(0).squeeze(0), "unsqueeze": lambda x: x.unsqueeze(1),
    "transpose": lambda x: x.transpose(0, 1), "permute": lambda x: x.permute(1, 0),
    "movedim": lambda x: x.movedim(0, 1), "narrow": lambda x: x.narrow(1, 1, 2),
    "select": lambda x: x.select(0, 1), "split": lambda x: x.split(2, 1)[1],
    "chunk": lambda x: x.chunk(3)[2], "unbind": lambda x: x.unbind(1)[3],
    "diagonal": lambda x: x.diagonal(1), "view_as": lambda x: x.view_as(mt.zeros(4, 3)),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_views_share_memory_and_version(name):
    x = mt.arange(12.0).view(3, 4)
    v = VIEWS[name](x)
    assert v._base is not None and v._version is x._version
    before = x.clone()
    v.mul_(0)
    assert x._version.value == 1
    changed = (x.numpy() != before.numpy()).sum()
    assert changed > 0 or (before.numpy() * 0 == before.numpy()).all()
    np.testing.assert_array_equal(v.numpy(), 0)


def test_expand_is_a_view():
    x = mt.zeros(3, 1)
    e = x.expand(3, 4)
    assert e._base is x and e._version is x._version
    x.add_(1)
    assert e.tolist() == [[1.0] * 4] * 3


@pytest.mark.parametrize("name", ["repeat", "cat", "stack", "flip", "roll", "tile"])
def test_copies_do_not_share_memory(name):
    x = mt.arange(4.0).view(2, 2)
    fn = {"repeat": lambda t: t.repeat(1, 1), "cat": lambda t: mt.cat([t]),
          "stack": lambda t: mt.stack([t]), "flip": lambda t: t.flip(0),
          "roll": lambda t: t.roll(0), "tile": lambda t: t.tile((1,))}[name]
    y = fn(x)
    assert y._base is None
    y.add_(100)
    assert x.tolist() == [[0.0, 1.0], [2.0, 3.0]] and x._version.value == 0


def test_reshape_of_noncontiguous_is_not_a_view():
    x = mt.arange(6.0).view(2, 3).transpose(0, 1)
    y = x.reshape(6)
    assert y._base is None
    y.add_(1)
    assert x.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]


def test_view_of_view_edits_reach_the_root():
    x = mt.zeros(2, 3, 4)
    v = x.permute(2, 0, 1)[1].reshape(6)
    v.fill_(5)
    assert (x.numpy()[:, :, 1] == 5).all() and x.numpy().sum() == 30
    assert x._version.value == 1


def test_inplace_on_view_of_nonleaf_routes_gradients():
    a = mt.rand(2, 3, requires_grad=True)
    x = a * 1
    v = x[0]
    v.mul_(2)
    x.sum().backward()
    assert a.grad.tolist() == [[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]]


@requires_torch
@pytest.mark.parametrize("make_view", [
    lambda x: x.select(0, 1), lambda x: x.narrow(1, 1, 2), lambda x: x.transpose(0, 1),
    lambda x: x.view(-1), lambda x: x.unsqueeze(0), lambda x: x.permute(1, 0),
    lambda x: x.diagonal(), lambda x: x.unflatten(1, (3, 1)), lambda x: x[:, 1:][0],
    lambda x: x.transpose(0, 1).narrow(0, 1, 1).squeeze(0),
])
def test_inplace_on_views_matches_pytorch_gradients(make_view):
    arr = np.arange(1.0, 7.0).reshape(2, 3)
    grads = []
    for T in (mt, torch):
        a = T.tensor(arr.copy(), requires_grad=True)
        w = T.tensor(np.full(make_view(T.tensor(arr)).shape, 3.0), requires_grad=True)
        x = a * a
        v = make_view(x)
        v.mul_(w)
        (x * T.tensor(arr)).sum().backward()
        grads.append((a.grad.numpy().copy(), w.grad.numpy().copy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0])
    np.testing.assert_allclose(grads[0][1], grads[1][1])


def test_view_of_leaf_requiring_grad_refuses_inplace():
    a = mt.rand(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf Variable that requires grad"):
        a.view(6).add_(1)


def test_saved_tensor_modified_through_a_view_is_detected():
    a = mt.rand(3, requires_grad=True)
    e = mt.exp(a)
    e.view(3, 1).add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        e.sum().backward()


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


# ------------------------------------------------------------------ hypothesis
shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)


@settings(max_examples=25, deadline=None)
@given(shape=shapes, data=st.data())
def test_reshape_matches_numpy(shape, data):
    n = math.prod(shape)
    arr = np.arange(n, dtype=np.float64).reshape(shape)
    divisors = [d for d in range(1, n + 1) if n % d == 0] or [0]
    first = data.draw(st.sampled_from(divisors))
    new = (first, -1) if n else (0, data.draw(st.integers(1, 3)))
    transposed = data.draw(st.booleans()) and arr.ndim >= 2
    src = arr.T if transposed else arr
    x = mt.from_numpy(arr)
    x = x.permute(*reversed(range(arr.ndim))) if transposed else x
    assert x.reshape(new).numpy().tolist() == src.reshape(new).tolist()


@settings(max_examples=25, deadline=None)
@given(shape=shapes, data=st.data())
def test_permute_matches_numpy(shape, data):
    arr = np.random.default_rng(0).standard_normal(shape)
    perm = data.draw(st.permutations(range(len(shape))))
    out = mt.from_numpy(arr).permute(*perm) if perm else mt.from_numpy(arr).permute(())
    np.testing.assert_array_equal(out.numpy(), np.transpose(arr, perm))
    assert out._base is not None


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


@requires_torch
def test_inplace_on_reshape_view_of_non_c_contiguous_base_matches_pytorch():
    """The base's layout is column-major here: the reshape view only exists in that layout."""
    arr = np.arange(6.0).reshape(2, 3)
    grads = []
    for T in (mt, torch):
        a = T.tensor(arr.copy(), requires_grad=True)
        x = a.transpose(0, 1) * 1          # a (3, 2) tensor stored column-major
        v = x.transpose(0, 1).view(-1)
        v.mul_(T.arange(6.0))
        (x * T.arange(6.0).view(3, 2)).sum().backward()
        grads.append(a.grad.numpy().copy())
    np.testing.assert_allclose(grads[0], grads[1])
