"""Grids and index sets (minitorch_nn/ops/grids.py): meshgrid, cartesian_prod, combinations,
tril_indices / triu_indices, block_diag and vander, against NumPy, gradcheck and PyTorch."""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.ops import grids
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


# ------------------------------------------------------------------ meshgrid
@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("shapes", [[(3,), (2,)], [(3,), (2,), (4,)], [(3,)], [(3,), ()],
                                    [(2,), (0,)], [(1,), (1,)]])
def test_meshgrid(indexing, shapes):
    check(lambda T, *xs: T.meshgrid(*xs, indexing=indexing), shapes,
          ref=lambda *xs: np.meshgrid(*[np.atleast_1d(x) for x in xs], indexing=indexing))
    check(lambda T, *xs: T.meshgrid(list(xs), indexing=indexing), shapes,
          ref=lambda *xs: np.meshgrid(*[np.atleast_1d(x) for x in xs], indexing=indexing))


def test_meshgrid_gives_broadcast_views():
    x = mt.arange(3.0, requires_grad=True)
    a, b = mt.meshgrid(x, mt.arange(2.0), indexing="ij")
    assert a.grad_fn.name() == "ExpandBackward0"
    assert a._base is x and a.stride() == (1, 0)
    a, b = mt.meshgrid(x, mt.arange(2.0), indexing="xy")
    assert a.shape == (2, 3) and a.stride() == (0, 1)


def test_meshgrid_int_and_bool():
    check_op(lambda T, x, y: T.meshgrid(x, y, indexing="ij"), [],
             arrays=[np.arange(3), np.arange(2)],
             ref=lambda x, y: np.meshgrid(x, y, indexing="ij"))
    check_op(lambda T, x, y: T.meshgrid(x, y, indexing="xy"), [],
             arrays=[np.array([True, False]), np.array([False])],
             ref=lambda x, y: np.meshgrid(x, y, indexing="xy"))


def test_meshgrid_without_indexing_warns_once_and_is_ij(monkeypatch):
    monkeypatch.setattr(grids, "_MESHGRID_WARNED", [False])
    with pytest.warns(UserWarning, match="required to pass the indexing argument"):
        a, b = mt.meshgrid(mt.arange(3), mt.arange(2))
    assert a.shape == (3, 2) and b.tolist() == [[0, 1]] * 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")        # PyTorch warns once per process (WARN_ONCE)
        mt.meshgrid(mt.arange(3), mt.arange(2))
        mt.meshgrid(mt.arange(3), indexing="xy")


@pytest.mark.parametrize("call", [
    lambda T: T.meshgrid(T.zeros(2), T.zeros(2, 2), indexing="ij"),
    lambda T: T.meshgrid(T.zeros(2), T.arange(2), indexing="ij"),
    lambda T: T.meshgrid(T.zeros(2), T.zeros(2), indexing="foo"),
    lambda T: T.meshgrid(indexing="ij"),
    lambda T: T.meshgrid([], indexing="ij"),
    lambda T: T.meshgrid(T.zeros(2), 3, indexing="ij"),
])
def test_meshgrid_errors(call):
    same_error(call, match=r"meshgrid|Tensor|element 1")


# ------------------------------------------------------------------ cartesian_prod
@pytest.mark.parametrize("shapes", [[(2,), (3,)], [(2,), (3,), (2,)], [(2,), (0,)],
                                    [(1,), (3,)]])
def test_cartesian_prod(shapes):
    check(lambda T, *xs: T.cartesian_prod(*xs), shapes,
          ref=lambda *xs: np.array(list(itertools.product(*xs))).reshape(-1, len(xs)))


def test_cartesian_prod_of_one_tensor_is_that_tensor():
    x = mt.arange(3.0)
    assert mt.cartesian_prod(x) is x
    check_op(lambda T, x: T.cartesian_prod(x), [(3,)], ref=lambda x: x)


def test_cartesian_prod_ints():
    check_op(lambda T, x, y: T.cartesian_prod(x, y), [], arrays=[np.arange(2), np.arange(3)],
             ref=lambda x, y: np.array(list(itertools.product(x, y))))


@pytest.mark.parametrize("call", [
    lambda T: T.cartesian_prod(T.zeros(2, 2)),
    lambda T: T.cartesian_prod(T.zeros(2), T.tensor(1.0)),
    lambda T: T.cartesian_prod(),
    lambda T: T.cartesian_prod(T.zeros(2), T.arange(2)),
    lambda T: T.cartesian_prod([T.zeros(2), T.zeros(2)]),
])
def test_cartesian_prod_errors(call):
    same_error(call, match=r"1D vector|meshgrid|element 0")


# ------------------------------------------------------------------ combinations
@pytest.mark.parametrize("n,r,rep", [(4, 2, False), (4, 3, False), (4, 3, True), (3, 2, True),
                                     (4, 1, False), (4, 5, False), (1, 2, False), (0, 2, False),
                                     (4, 0, False), (3, 4, True)])
def test_combinations(n, r, rep):
    pick = itertools.combinations_with_replacement if rep else itertools.combinations

    def ref(x):
        if r == 0:
            return np.zeros((0,))
        return np.array(list(pick(x, r))).reshape(-1, r)
    check(lambda T, x: T.combinations(x, r, rep), [(n,)], ref=ref)
    check(lambda T, x: T.combinations(x, r=r, with_replacement=rep), [(n,)], ref=ref)


def test_combinations_ints_and_repeated_gradient():
    check_op(lambda T, x: T.combinations(x, with_replacement=True), [],
             arrays=[np.arange(3)],
             ref=lambda x: np.array(list(itertools.combinations_with_replacement(x, 2))))
    x = mt.arange(3.0, requires_grad=True)
    y = mt.combinations(x)
    assert y.grad_fn.name() == "StackBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]     # each element is in n-1 pairs


@pytest.mark.parametrize("call", [
    lambda T: T.combinations(T.zeros(2, 2)),
    lambda T: T.combinations(T.tensor(1.0)),
    lambda T: T.combinations(T.zeros(3), -1),
    lambda T: T.combinations([1, 2]),
])
def test_combinations_errors(call):
    same_error(call, match=r"1D vector|non-negative|input")


# ------------------------------------------------------------------ tril / triu indices
def _factory_matches(fn, ref) -> mt.Tensor:
    """A factory (no tensor input, so check_op's cuda rerun does not apply) against NumPy
    and PyTorch: values, shape and dtype."""
    out = fn(mt)
    np.testing.assert_array_equal(out.numpy(), ref)
    if torch is not None:
        theirs = fn(torch)
        assert str(out.dtype) == str(theirs.dtype) and tuple(out.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(out.numpy(), theirs.numpy())
    return out


@pytest.mark.parametrize("row,col,offset", [(3, 3, 0), (3, 4, 1), (4, 3, -1), (3, 4, -5),
                                            (3, 3, 10), (3, 3, -10), (0, 4, 0), (4, 0, 0),
                                            (1, 1, 0)])
@pytest.mark.parametrize("name", ["tril", "triu"])
def test_tril_triu_indices(row, col, offset, name):
    fn = getattr(np, f"{name}_indices")
    ref = np.stack(fn(row, offset, col)).reshape(2, -1)
    out = _factory_matches(lambda T: getattr(T, f"{name}_indices")(row, col, offset), ref)
    assert out.dtype == mt.int64
    kw = getattr(mt, f"{name}_indices")(row=row, col=col, offset=offset, dtype=mt.int32)
    assert kw.dtype == mt.int32 and kw.tolist() == ref.tolist()


@pytest.mark.skipif(not mt.cuda.is_available(), reason="needs a (real or fake) GPU")
def test_tril_triu_indices_on_cuda():
    for fn in (mt.tril_indices, mt.triu_indices):
        out = fn(3, 4, 1, device="cuda")
        assert out.device.type == "cuda"
        assert out.cpu().tolist() == fn(3, 4, 1).tolist()


def test_tril_indices_select_the_triangle():
    x = mt.arange(12.0).reshape(3, 4)
    r, c = mt.tril_indices(3, 4, 1)
    lower = mt.ones(3, 4).tril(1) != 0
    assert x[r, c].tolist() == x[lower].tolist()        # the triangle, in row-major order
    r, c = mt.triu_indices(3, 4, -1)
    assert x[r, c].tolist() == x[mt.ones(3, 4).triu(-1) != 0].tolist()
    assert mt.tril_indices(3, 3, device="cpu").device.type == "cpu"


@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
@pytest.mark.parametrize("call", [
    lambda T, f: getattr(T, f)(-1, 3),
    lambda T, f: getattr(T, f)(3, -3),
    lambda T, f: getattr(T, f)(3, 3, dtype=T.float32),
    lambda T, f: getattr(T, f)(3, 3, dtype=T.int16),
    lambda T, f: getattr(T, f)(3.0, 3),
    lambda T, f: getattr(T, f)(3, 3, requires_grad=True),
])
def test_indices_errors(name, call):
    same_error(lambda T: call(T, name), match=r"row|col|not implemented|floating point")


# ------------------------------------------------------------------ block_diag
def _np_block_diag(*xs):
    blocks = [x if x.ndim == 2 else x.reshape(1, -1) for x in xs]
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)),
                   np.result_type(*xs))
    r = c = 0
    for b in blocks:
        out[r:r + b.shape[0], c:c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    return out


@pytest.mark.parametrize("shapes", [[(2, 3), (3,), ()], [(2, 2)], [(0, 3), (2, 0)],
                                    [(1, 1), (2, 3), (3, 2)], [(4,), (2, 1)]])
def test_block_diag(shapes):
    check(lambda T, *xs: T.block_diag(*xs), shapes, ref=_np_block_diag)


def test_block_diag_dtypes_and_node():
    check_op(lambda T, x, y: T.block_diag(x, y), [],
             arrays=[np.ones(2, np.float16), np.array([1], np.int32)], grad=False,
             ref=_np_block_diag)
    check_op(lambda T, x, y: T.block_diag(x, y), [],
             arrays=[np.array([True]), np.array([False, True])], ref=_np_block_diag)
    check_op(lambda T, x, y: T.block_diag(x, y), [(2,), ()], dtype=np.float32, seed=3,
             ref=lambda x, y: _np_block_diag(x, y))
    out = check_op(lambda T, x, y: T.block_diag(x, y), [], arrays=[
        np.ones((2, 2)), np.arange(2, dtype=np.int64)], ref=_np_block_diag)[0]
    assert out.grad_fn.name() == "BlockDiagBackward0"


def test_block_diag_mixed_dtype_gradients_keep_input_dtypes():
    x = mt.ones(2, 2, dtype=mt.float32, requires_grad=True)
    y = mt.ones(3, dtype=mt.float64, requires_grad=True)
    mt.block_diag(x, y).sum().backward()
    assert x.grad.dtype == mt.float32 and y.grad.dtype == mt.float64
    assert y.grad.shape == (3,)


def test_block_diag_of_nothing():
    _factory_matches(lambda T: T.block_diag(), np.zeros((1, 0)))


@pytest.mark.parametrize("call", [lambda T: T.block_diag(T.zeros(2, 2, 2)),
                                  lambda T: T.block_diag([T.zeros(2)])])
def test_block_diag_errors(call):
    same_error(call, match=r"2 or fewer dimensions|element 0")


# ------------------------------------------------------------------ vander
@pytest.mark.parametrize("shape,N", [((3,), None), ((3,), 2), ((3,), 4), ((3,), 1), ((3,), 0),
                                     ((0,), None), ((1,), 3)])
@pytest.mark.parametrize("increasing", [False, True])
def test_vander(shape, N, increasing):
    ref = lambda x: np.vander(x, N, increasing)  # noqa: E731
    # PyTorch 2.13's own vander backward fails (it edits the cumprod input in place), so the
    # gradient is checked by gradcheck and an analytic formula, not against PyTorch's
    check(lambda T, x: T.vander(x, N, increasing), [shape], ref=ref, grad=False)
    check(lambda T, x: T.vander(x, N=N, increasing=increasing), [shape], ref=ref, grad=False)
    x = mt.tensor(np.random.default_rng(0).uniform(-2, 2, shape), requires_grad=True)
    if x.numel() and (N is None or N > 0):
        assert mt.autograd.gradcheck(lambda t: mt.vander(t, N, increasing), [x])


def test_vander_gradient_is_exact_at_zero():
    a = np.array([0.0, 2.0, -3.0])
    x = mt.tensor(a, requires_grad=True)
    mt.vander(x, 4).sum().backward()      # d/dx (x^3 + x^2 + x + 1) = 3x^2 + 2x + 1
    np.testing.assert_allclose(x.grad.numpy(), 3 * a ** 2 + 2 * a + 1)


def test_vander_dtypes():
    for arr in (np.arange(3), np.arange(3, dtype=np.int32), np.array([True, False])):
        out = check_op(lambda T, x: T.vander(x), [], arrays=[arr],
                       ref=lambda x: np.vander(x.astype(np.int64)))[0]
        assert out.dtype == mt.int64
    check_op(lambda T, x: T.vander(x, 3), [], arrays=[np.array([0.5, 2.0], np.float16)],
             ref=lambda x: np.vander(x, 3), grad=False, atol=1e-3)


@pytest.mark.parametrize("call", [lambda T: T.vander(T.zeros(2, 2)),
                                  lambda T: T.vander(T.tensor(1.0)),
                                  lambda T: T.vander(T.zeros(3), -1),
                                  lambda T: T.vander(T.zeros(3), 1.5)])
def test_vander_errors(call):
    same_error(call, match=r"one-dimensional|non-negative|N")


@requires_torch
def test_vander_node_name_not_increasing():
    x = mt.zeros(3, requires_grad=True)
    assert mt.vander(x).grad_fn.name() == torch.vander(torch.zeros(3).requires_grad_()) \
        .grad_fn.name()
