"""View ops (minitorch_nn/ops/views.py): reshape / view / flatten / unflatten, squeeze /
unsqueeze, transpose / permute / movedim / diagonal, narrow / select, checked against NumPy,
gradcheck and PyTorch; view semantics (shared memory and version counter, in-place on views
routing gradients like PyTorch); hypothesis tests over random shapes.

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
from shape_util import contiguous


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
    assert x._version == 1


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
    assert v._base is not None and v._version_counter is x._version_counter
    before = x.clone()
    v.mul_(0)
    assert x._version == 1
    changed = (x.numpy() != before.numpy()).sum()
    assert changed > 0 or (before.numpy() * 0 == before.numpy()).all()
    np.testing.assert_array_equal(v.numpy(), 0)


def test_expand_is_a_view():
    x = mt.zeros(3, 1)
    e = x.expand(3, 4)
    assert e._base is x and e._version_counter is x._version_counter
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
    assert x.tolist() == [[0.0, 1.0], [2.0, 3.0]] and x._version == 0


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
    assert x._version == 1


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


@pytest.mark.parametrize("call, name", [(lambda x: x.squeeze(), "SqueezeBackward0"),
                                        (lambda x: x.squeeze(0), "SqueezeBackward1"),
                                        (lambda x: x.squeeze((0, 2)), "SqueezeBackward2")])
def test_squeeze_nodes_are_numbered_as_pytorch(call, name):
    assert call(mt.ones(1, 2, 1, requires_grad=True)).grad_fn.name() == name


@requires_torch
@pytest.mark.parametrize("make", [
    lambda T: T.zeros(3, 4), lambda T: T.zeros(3, 4).t(), lambda T: T.zeros(3, 4)[:, ::2],
    lambda T: T.zeros(()), lambda T: T.zeros(2, 3, 4).permute(2, 0, 1)])
def test_unsqueeze_strides_are_pytorch_s(make):
    """The new dim's stride is size * stride of the dim it goes before (1 at the end), as
    PyTorch's; numpy's newaxis would give 0. Also through unsqueeze_ and after a write."""
    ours, theirs = make(mt), make(torch)
    for dim in range(-ours.dim() - 1, ours.dim() + 1):
        assert ours.unsqueeze(dim).stride() == theirs.unsqueeze(dim).stride(), dim
        assert ours.unsqueeze(dim).is_contiguous() == theirs.unsqueeze(dim).is_contiguous()
    inplace = make(mt)
    inplace.unsqueeze_(0)
    assert inplace.stride() == make(torch).unsqueeze_(0).stride()
    view = ours.unsqueeze(-1)
    view.add_(1)   # a view: the write reaches the base
    assert ours.sum().item() == ours.numel()


@requires_torch
@pytest.mark.parametrize("make", [
    lambda T: T.zeros(0, 3), lambda T: T.empty(2, 0, 4), lambda T: T.ones(0),
    lambda T: T.zeros(3, 0), lambda T: T.zeros(0, 1, 5), lambda T: T.zeros(2, 3)[:0],
    lambda T: T.zeros(4, 0, 2).reshape(0, 8), lambda T: T.zeros(0, 3).unsqueeze(1),
    lambda T: T.randn(0, 2), lambda T: T.full((2, 0), 1.0)])
def test_empty_tensor_strides_are_pytorch_s(make):
    """numpy 2 gives a new zero-size array strides of 0; stride() reports PyTorch's."""
    assert make(mt).stride() == make(torch).stride()
    assert make(mt).is_contiguous() == make(torch).is_contiguous()
