"""Matrix products (minitorch_nn/ops/products.py): matmul, mm, bmm, mv, dot, outer, addmm,
baddbmm and their in-place forms; integer and low-precision dtypes.

Each op runs through `check_op` (NumPy reference, float64 gradcheck, PyTorch values and
gradients) on several shape combinations; hypothesis draws broadcast batch shapes for matmul.
Split from tests/ops/test_linalg.py, where the products' errors and node names are checked.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_nn as mt
from minitorch_nn.ops import products
from op_harness import check_op, make_arrays, requires_torch, to_mt, to_torch, torch


# ------------------------------------------------------------------ matmul and friends
MATMUL_SHAPES = [
    [(3,), (3,)],                   # dot
    [(3,), (3, 4)],                 # vector @ matrix
    [(2, 3), (3,)],                 # mv
    [(2, 3), (3, 4)],               # mm
    [(4, 2, 3), (4, 3, 5)],         # bmm, same batch
    [(4, 2, 3), (3, 5)],            # batch @ matrix (a linear layer)
    [(2, 3), (4, 3, 5)],            # matrix @ batch
    [(4, 2, 3), (3,)],              # batch @ vector
    [(3,), (4, 3, 5)],              # vector @ batch
    [(3, 1, 2, 3), (2, 3, 2)],      # broadcast batch dims both ways
    [(1, 2, 3), (4, 3, 2)],         # size-1 batch dim broadcast
    [(2, 1, 2, 3), (1, 3, 3, 2)],
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    check_op(lambda T, a, b: T.matmul(a, b), shapes, ref=np.matmul)


@pytest.mark.parametrize("shapes", [[(2, 3), (3, 4)], [(3,), (4, 3, 5)], [(3, 1, 2, 3), (2, 3, 2)]],
                         ids=str)
def test_matmul_operator_and_method(shapes):
    check_op(lambda T, a, b: a @ b, shapes, ref=np.matmul)
    check_op(lambda T, a, b: a.matmul(b), shapes, ref=np.matmul)


def test_matmul_broadcast_shape_from_pytorch_docs():
    out = mt.matmul(mt.rand(7, 1, 3, 4), mt.rand(5, 4, 2))
    assert tuple(out.shape) == (7, 5, 3, 2)


def test_matmul_gradient_is_summed_over_broadcast_batch_dims():
    a = mt.ones(4, 2, 3, requires_grad=True)
    w = mt.ones(3, 5, requires_grad=True)
    (a @ w).sum().backward()
    assert tuple(w.grad.shape) == (3, 5)
    np.testing.assert_allclose(w.grad.numpy(), np.full((3, 5), 8.0))   # 4 batches x 2 rows
    np.testing.assert_allclose(a.grad.numpy(), np.full((4, 2, 3), 5.0))


def test_matmul_operator_refuses_numbers_like_pytorch():
    x = mt.ones(2, 2)
    with pytest.raises(TypeError, match="unsupported operand type"):
        x @ 2
    with pytest.raises(TypeError, match="unsupported operand type"):
        2 @ x
    assert products._rmatmul_method(x, mt.ones(3, 2)).shape == (3, 2)


def test_mm_bmm_mv_dot():
    check_op(lambda T, a, b: T.mm(a, b), [(2, 3), (3, 4)], ref=np.matmul)
    check_op(lambda T, a, b: a.mm(b), [(1, 3), (3, 1)], ref=np.matmul)
    check_op(lambda T, a, b: T.bmm(a, b), [(3, 2, 4), (3, 4, 2)], ref=np.matmul)
    check_op(lambda T, a, b: a.bmm(b), [(1, 2, 4), (1, 4, 3)], ref=np.matmul)
    check_op(lambda T, a, b: T.mv(a, b), [(2, 3), (3,)], ref=np.matmul)
    check_op(lambda T, a, b: T.dot(a, b), [(4,), (4,)], ref=np.dot)
    check_op(lambda T, a, b: a.dot(b), [(1,), (1,)], ref=np.dot)
    check_op(lambda T, a, b: T.vdot(a, b), [(4,), (4,)], ref=np.vdot)


def test_user_notes_bmm_shape_and_2d_error():
    c = mt.rand((10, 2, 5))
    d = mt.rand((10, 5, 2))
    assert tuple(mt.bmm(c, d).shape) == (10, 2, 2)
    with pytest.raises(RuntimeError, match="batch1 must be a 3D tensor"):
        mt.bmm(mt.rand(2, 5), mt.rand(5, 2))


def test_outer_and_ger():
    check_op(lambda T, a, b: T.outer(a, b), [(3,), (4,)], ref=np.outer)
    check_op(lambda T, a, b: T.ger(a, b), [(3,), (2,)], ref=np.outer)
    check_op(lambda T, a, b: a.outer(b), [(1,), (2,)], ref=np.outer)


@requires_torch
def test_outer_promotes_dtypes_like_pytorch():
    a = np.arange(3, dtype=np.float32)
    b = np.arange(4, dtype=np.int64)
    ours = mt.outer(to_mt(a), to_mt(b))
    theirs = torch.outer(to_torch(a), to_torch(b))
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1.5)])
@pytest.mark.parametrize("in_shape", [(2, 4), (4,), (1, 4), (2, 1), ()], ids=str)
def test_addmm(in_shape, beta, alpha):
    check_op(lambda T, c, a, b: T.addmm(c, a, b, beta=beta, alpha=alpha),
             [in_shape, (2, 3), (3, 4)], ref=lambda c, a, b: beta * c + alpha * (a @ b))


def test_addmm_beta_zero_ignores_nan_input():
    out = mt.addmm(mt.full((2, 2), float("nan")), mt.ones(2, 3), mt.ones(3, 2), beta=0)
    np.testing.assert_array_equal(out.numpy(), np.full((2, 2), 3.0))


@pytest.mark.parametrize("in_shape", [(3, 2, 4), (2, 4), (4,), (3, 1, 1)], ids=str)
def test_baddbmm(in_shape):
    check_op(lambda T, c, a, b: T.baddbmm(c, a, b, beta=0.5, alpha=2.0),
             [in_shape, (3, 2, 5), (3, 5, 4)],
             ref=lambda c, a, b: 0.5 * c + 2.0 * np.matmul(a, b))
    check_op(lambda T, c, a, b: c.baddbmm(a, b), [in_shape, (3, 2, 5), (3, 5, 4)],
             ref=lambda c, a, b: c + np.matmul(a, b))


def test_inplace_addmm_and_baddbmm():
    check_op(lambda T, c, a, b: (c * 1).addmm_(a, b, beta=2, alpha=0.5), [(2, 4), (2, 3), (3, 4)],
             ref=lambda c, a, b: 2 * c + 0.5 * (a @ b))
    check_op(lambda T, c, a, b: (c * 1).baddbmm_(a, b), [(2, 2, 4), (2, 2, 3), (2, 3, 4)],
             ref=lambda c, a, b: c + np.matmul(a, b))
    x = mt.zeros(2, 2)
    x.addmm_(mt.ones(2, 3), mt.ones(3, 2))
    assert x._version == 1 and x.tolist() == [[3.0, 3.0], [3.0, 3.0]]


# ------------------------------------------------------------------ dtypes
@requires_torch
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8"])
@pytest.mark.parametrize("shapes", [[(2, 3), (3, 4)], [(3,), (3,)], [(2, 3), (3,)],
                                    [(2, 2, 3), (2, 3, 4)], [(2, 2, 3), (3, 2)]], ids=str)
def test_integer_matmul_matches_pytorch(dtype, shapes):
    rng = np.random.default_rng(0)
    a, b = (rng.integers(0, 4, size=s).astype(dtype) for s in shapes)
    ours = mt.matmul(to_mt(a), to_mt(b))
    theirs = torch.matmul(to_torch(a), to_torch(b))
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@requires_torch
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_low_precision_matmul_keeps_dtype(dtype):
    a, b = make_arrays([(2, 3, 4), (4, 5)], dtype=np.float32)
    ours = mt.matmul(to_mt(a).to(getattr(mt, dtype)), to_mt(b).to(getattr(mt, dtype)))
    theirs = torch.matmul(to_torch(a).to(getattr(torch, dtype)),
                          to_torch(b).to(getattr(torch, dtype)))
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours.float().numpy(), theirs.float().numpy(), rtol=2e-2,
                               atol=2e-2)


def test_bfloat16_matmul_and_einsum_gradients_keep_dtype():
    a = mt.ones(2, 3, dtype=mt.bfloat16, requires_grad=True)
    b = mt.ones(3, 2, dtype=mt.bfloat16, requires_grad=True)
    (a @ b).sum().backward()
    assert a.grad.dtype is mt.bfloat16 and b.grad.dtype is mt.bfloat16
    e = mt.einsum("ij,jk->ik", a, b)
    assert e.dtype is mt.bfloat16 and e.tolist() == [[3.0, 3.0], [3.0, 3.0]]


# ------------------------------------------------------------------ hypothesis: broadcasting
@st.composite
def matmul_shapes(draw):
    """Two operand shapes that matmul accepts: 1-D or batched, batch dims broadcastable."""
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    batch = draw(st.lists(st.integers(1, 3), max_size=3))

    def operand_batch():
        keep = draw(st.integers(0, len(batch)))
        dims = batch[len(batch) - keep:]
        return tuple(1 if draw(st.booleans()) else d for d in dims)

    a = (k,) if draw(st.integers(0, 4)) == 0 else operand_batch() + (m, k)
    b = (k,) if draw(st.integers(0, 4)) == 0 else operand_batch() + (k, n)
    return [a, b]


@settings(max_examples=25, deadline=None)
@given(shapes=matmul_shapes())
def test_matmul_broadcast_shapes_match_numpy(shapes):
    a, b = make_arrays(shapes, seed=len(shapes[0]) * 7 + len(shapes[1]))
    out = mt.matmul(to_mt(a), to_mt(b))
    expected = np.matmul(a, b)
    assert tuple(out.shape) == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    check_op(lambda T, x, y: T.matmul(x, y), shapes, ref=np.matmul)
