"""Linear algebra ops: products, transposes (views), einsum and tensordot.

Each op runs through `check_op` (NumPy reference, float64 gradcheck, PyTorch values and
gradients) on several shape combinations; errors are compared with PyTorch's own; hypothesis
draws broadcast batch shapes for matmul and random einsum equations.
"""
from __future__ import annotations

import doctest
import string

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_nn as mt
from minitorch_nn.ops import linalg
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
    assert linalg._rmatmul_method(x, mt.ones(3, 2)).shape == (3, 2)


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
    assert x._version.value == 1 and x.tolist() == [[3.0, 3.0], [3.0, 3.0]]


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


# ------------------------------------------------------------------ errors vs PyTorch
def _msg(err: BaseException) -> str:
    return str(err).splitlines()[0]


ERROR_CASES = {
    # matmul: each path (dot, mv, mm, folded mm/mv, bmm) has its own wording
    "mm shapes": lambda T: T.ones(2, 5) @ T.ones(3, 4),
    "batched sizes": lambda T: T.matmul(T.ones(2, 3, 5), T.ones(2, 3, 4)),
    "folded mm": lambda T: T.matmul(T.ones(2, 3, 5), T.ones(3, 4)),
    "batched 2d@3d": lambda T: T.matmul(T.ones(3, 5), T.ones(2, 3, 4)),
    "1d@1d size": lambda T: T.matmul(T.ones(5), T.ones(4)),
    "1d@2d size": lambda T: T.matmul(T.ones(5), T.ones(4, 3)),
    "2d@1d size": lambda T: T.matmul(T.ones(3, 5), T.ones(4)),
    "folded mv": lambda T: T.matmul(T.ones(2, 3, 5), T.ones(4)),
    "1d@3d": lambda T: T.matmul(T.ones(5), T.ones(2, 4, 3)),
    "batch broadcast": lambda T: T.matmul(T.ones(7, 2, 3, 4), T.ones(5, 4, 2)),
    "batch broadcast 3d": lambda T: T.matmul(T.ones(3, 2, 3), T.ones(2, 3, 2)),
    "0d": lambda T: T.matmul(T.ones(()), T.ones(3)),
    "0d right": lambda T: T.matmul(T.ones(3), T.ones(())),
    "dtype mm": lambda T: T.matmul(T.ones(2, 3), T.ones(3, 4, dtype=T.float64)),
    "dtype dot": lambda T: T.matmul(T.ones(3), T.ones(3, dtype=T.float64)),
    "dtype 1d@2d": lambda T: T.matmul(T.ones(3), T.ones(3, 2, dtype=T.float64)),
    "dtype mv": lambda T: T.matmul(T.ones(2, 3, dtype=T.float64), T.ones(3)),
    "dtype bmm": lambda T: T.matmul(T.ones(2, 2, 3), T.ones(2, 3, 2, dtype=T.float64)),
    "dtype int": lambda T: T.matmul(T.ones(2, 3, dtype=T.int32), T.ones(3, 2, dtype=T.int64)),
    "dtype half": lambda T: T.matmul(T.ones(2, 3, dtype=T.float16), T.ones(3, 2)),
    "dtype bf16": lambda T: T.matmul(T.ones(2, 3, dtype=T.bfloat16), T.ones(3, 2)),
    "dtype int8/uint8": lambda T: T.matmul(T.ones(2, 3, dtype=T.int8),
                                           T.ones(3, 2, dtype=T.uint8)),
    "dtype bool/float": lambda T: T.matmul(T.ones(2, 3, dtype=T.bool), T.ones(3, 2)),
    "bool mm": lambda T: T.matmul(T.ones(2, 3, dtype=T.bool), T.ones(3, 2, dtype=T.bool)),
    "bool bmm": lambda T: T.matmul(T.ones(2, 2, 3, dtype=T.bool),
                                   T.ones(2, 3, 2, dtype=T.bool)),
    "bool dot": lambda T: T.matmul(T.ones(3, dtype=T.bool), T.ones(3, dtype=T.bool)),
    "bool mv": lambda T: T.mv(T.ones(2, 3, dtype=T.bool), T.ones(3, dtype=T.bool)),
    "matmul non-tensor": lambda T: T.matmul(T.ones(2, 3), 2),
    "mm non-tensor": lambda T: T.mm(T.ones(2, 3), 2),
    "mm non-tensor input": lambda T: T.mm(2, T.ones(2, 3)),
    # mm / bmm / mv / dot / outer
    "mm 1d self": lambda T: T.mm(T.ones(3), T.ones(3, 2)),
    "mm 1d mat2": lambda T: T.mm(T.ones(2, 3), T.ones(3)),
    "mm 3d": lambda T: T.mm(T.ones(2, 2, 3), T.ones(3, 2)),
    "mm shapes 2": lambda T: T.mm(T.ones(2, 3), T.ones(4, 2)),
    "mm dtype": lambda T: T.mm(T.ones(2, 3), T.ones(3, 2, dtype=T.float64)),
    "mm complex": lambda T: T.mm(T.ones(2, 2, dtype=T.complex64), T.ones(2, 2)),
    "bmm 2d": lambda T: T.bmm(T.ones(2, 3), T.ones(3, 2)),
    "bmm 2d batch2": lambda T: T.bmm(T.ones(2, 2, 3), T.ones(3, 2)),
    "bmm sizes": lambda T: T.bmm(T.ones(2, 4, 5), T.ones(3, 4, 6)),
    "bmm inner": lambda T: T.bmm(T.ones(2, 4, 5), T.ones(2, 4, 6)),
    "bmm no broadcast": lambda T: T.bmm(T.ones(2, 4, 5), T.ones(1, 5, 6)),
    "bmm dtype": lambda T: T.bmm(T.ones(2, 4, 5), T.ones(2, 5, 6, dtype=T.float64)),
    "bmm dtype 2": lambda T: T.bmm(T.ones(2, 4, 5, dtype=T.float64), T.ones(2, 5, 6)),
    "bmm dtype long": lambda T: T.bmm(T.ones(2, 2, 3), T.ones(2, 3, 2, dtype=T.int64)),
    "bmm size before dtype": lambda T: T.bmm(T.ones(2, 2, 3),
                                             T.ones(2, 4, 2, dtype=T.float64)),
    "mv sizes": lambda T: T.mv(T.ones(2, 3), T.ones(4)),
    "mv 1d": lambda T: T.mv(T.ones(3), T.ones(3)),
    "mv 2d vec": lambda T: T.mv(T.ones(2, 3), T.ones(3, 1)),
    "mv dtype": lambda T: T.mv(T.ones(2, 3), T.ones(3, dtype=T.float64)),
    "mv dtype long": lambda T: T.mv(T.ones(2, 3), T.ones(3, dtype=T.int64)),
    "dot 2d": lambda T: T.dot(T.ones(2, 3), T.ones(2, 3)),
    "dot size": lambda T: T.dot(T.ones(3), T.ones(4)),
    "dot dtype": lambda T: T.dot(T.ones(3), T.ones(3, dtype=T.float64)),
    "dot dtype before size": lambda T: T.dot(T.ones(3), T.ones(4, dtype=T.float64)),
    "dot bool": lambda T: T.dot(T.ones(3, dtype=T.bool), T.ones(3, dtype=T.bool)),
    "vdot 2d": lambda T: T.vdot(T.ones(3, 1), T.ones(3)),
    "vdot dtype": lambda T: T.vdot(T.ones(3), T.ones(3, dtype=T.float64)),
    "outer 2d": lambda T: T.outer(T.ones(3, 1), T.ones(4)),
    "outer 2d vec2": lambda T: T.outer(T.ones(2), T.ones(3, 1)),
    # transposes
    "t 3d": lambda T: T.ones(2, 3, 4).t(),
    "mT 1d": lambda T: T.ones(3).mT,
    "mH 1d": lambda T: T.ones(3).mH,
    "H 3d": lambda T: T.ones(2, 3, 4).H,
    "H 1d": lambda T: T.ones(3).H,
    # addmm / baddbmm
    "addmm mat1 1d": lambda T: T.addmm(T.ones(2, 2), T.ones(3), T.ones(3, 2)),
    "addmm mat2 1d": lambda T: T.addmm(T.ones(2, 2), T.ones(2, 3), T.ones(3)),
    "addmm shapes": lambda T: T.addmm(T.ones(2, 2), T.ones(2, 3), T.ones(4, 2)),
    "addmm self dtype": lambda T: T.addmm(T.ones(2, 2, dtype=T.float64), T.ones(2, 3),
                                          T.ones(3, 2)),
    "addmm mat dtype": lambda T: T.addmm(T.ones(2, 2), T.ones(2, 3, dtype=T.float64),
                                         T.ones(3, 2)),
    "addmm expand": lambda T: T.addmm(T.ones(3, 4), T.ones(2, 3), T.ones(3, 4)),
    "addmm expand ndim": lambda T: T.addmm(T.ones(2, 2, 2), T.ones(2, 3), T.ones(3, 2)),
    "addmm bool": lambda T: T.addmm(T.ones(2, 2, dtype=T.bool), T.ones(2, 3, dtype=T.bool),
                                    T.ones(3, 2, dtype=T.bool)),
    "baddbmm expand": lambda T: T.baddbmm(T.ones(4, 2, 2), T.ones(3, 2, 3), T.ones(3, 3, 2)),
    # einsum
    "einsum fewer operands": lambda T: T.einsum("ij,jk->ik", T.ones(2, 3)),
    "einsum more operands": lambda T: T.einsum("ij->", T.ones(3, 3), T.ones(3)),
    "einsum bad output": lambda T: T.einsum("ij,jk->iz", T.ones(2, 3), T.ones(3, 4)),
    "einsum repeated output": lambda T: T.einsum("ij,jk->ikk", T.ones(2, 3), T.ones(3, 4)),
    "einsum ndim": lambda T: T.einsum("ijk,jk->ik", T.ones(2, 3), T.ones(3, 4)),
    "einsum ndim ellipsis": lambda T: T.einsum("...ijk->...", T.ones(2, 3)),
    "einsum digit": lambda T: T.einsum("i1->i", T.ones(2, 3)),
    "einsum double arrow": lambda T: T.einsum("ij->i->j", T.ones(2, 3)),
    "einsum bad output char": lambda T: T.einsum("ij->i>", T.ones(3, 3)),
    "einsum lone dot": lambda T: T.einsum("i.j->i", T.ones(2, 3)),
    "einsum two ellipses": lambda T: T.einsum("...i...j", T.ones(3, 3)),
    "einsum output dot": lambda T: T.einsum("i->..", T.ones(3)),
    "einsum output two ellipses": lambda T: T.einsum("...i->...i...", T.ones(3)),
    "einsum sizes": lambda T: T.einsum("i,i", T.ones(3), T.ones(4)),
    "einsum repeated sizes": lambda T: T.einsum("ii->i", T.ones(2, 3)),
    "einsum dtype": lambda T: T.einsum("ij,jk", T.ones(2, 3), T.ones(3, 4, dtype=T.float64)),
    "einsum dtype 2": lambda T: T.einsum("ij,jk", T.ones(2, 3, dtype=T.float64), T.ones(3, 4)),
    "einsum no operands": lambda T: T.einsum("ij", []),
    "einsum non-tensor": lambda T: T.einsum("ij", T.ones(3, 3), 2),
    "einsum equation type": lambda T: T.einsum(2, T.ones(3, 3)),
    # tensordot
    "tensordot sizes": lambda T: T.tensordot(T.ones(2, 3), T.ones(4, 4), dims=1),
    "tensordot sizes 2": lambda T: T.tensordot(T.ones(2, 3, 4), T.ones(3, 5, 5), dims=2),
    "tensordot lists": lambda T: T.tensordot(T.ones(2, 3, 4), T.ones(3, 4, 5),
                                             dims=([1, 2], [0, 2])),
    "tensordot lengths": lambda T: T.tensordot(T.ones(2, 3, 4), T.ones(3, 4, 5),
                                               dims=([1, 2], [0])),
    "tensordot dim range": lambda T: T.tensordot(T.ones(2, 3, 4), T.ones(3, 4, 5),
                                                 dims=([1, 5], [0, 1])),
    "tensordot repeated": lambda T: T.tensordot(T.ones(2, 3, 4), T.ones(3, 4, 5),
                                                dims=([1, 1], [0, 0])),
    "tensordot negative": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 4), dims=-1),
    "tensordot too many": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 4), dims=3),
    "tensordot float dims": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 4), dims=2.0),
    "tensordot dtype": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 4, dtype=T.float64),
                                             dims=1),
}

@requires_torch
@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_errors_match_pytorch(case):
    fn = ERROR_CASES[case]
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(Exception) as ours:
        fn(mt)
    assert type(ours.value) is type(theirs.value), (ours.value, theirs.value)
    assert _msg(ours.value) == _msg(theirs.value)


def test_errors_without_pytorch():
    """The same contract, stated as substrings (runs even where PyTorch is absent)."""
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(2x5 and 3x4\)"):
        mt.ones(2, 5) @ mt.ones(3, 4)
    with pytest.raises(RuntimeError, match=r"Expected size for first two dimensions of batch2 "
                                           r"tensor to be: \[2, 4\] but got: \[3, 4\]\."):
        mt.bmm(mt.ones(2, 3, 4), mt.ones(3, 4, 6))
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        mt.bmm(mt.ones(2, 3, 4), mt.ones(2, 4, 6, dtype=mt.float64))
    with pytest.raises(RuntimeError, match="self must be a matrix"):
        mt.mm(mt.ones(3), mt.ones(3, 2))
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 2D tensors"):
        mt.dot(mt.ones(2, 2), mt.ones(2, 2))
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but "
                                           "got: float != double"):
        mt.ones(2, 3) @ mt.ones(3, 2, dtype=mt.float64)
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions, "
                                           "but self is 3D"):
        mt.ones(2, 3, 4).t()


@requires_torch
def test_einsum_ellipsis_broadcast_error():
    """Not byte-identical on purpose: PyTorch's text lacks a space ("operand 1has")."""
    fn = lambda T: T.einsum("...i,...i", T.ones(2, 3), T.ones(4, 3))  # noqa: E731
    with pytest.raises(RuntimeError, match="does not broadcast with previously seen ellipsis"):
        fn(torch)
    with pytest.raises(RuntimeError, match=r"dimension 0 covered by ellipsis in operand 1 "
                                           r"has size 4 which does not broadcast"):
        fn(mt)


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


# ------------------------------------------------------------------ einsum
EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),                     # implicit output
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),                                # trace
    ("iij->ji", [(2, 2, 3)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 2, 4)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]),
    ("...ij,...jk", [(2, 1, 2, 3), (3, 3, 2)]),
    ("...ij->...ji", [(2, 3, 4)]),
    ("ij...,j...->i", [(2, 3, 4, 2), (3, 1, 2)]),    # '...' summed away (NumPy refuses)
    ("ijk,ikl,ilm->ijm", [(2, 2, 3), (2, 3, 2), (2, 2, 3)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),                 # size-1 broadcast of a named label
    ("i,i", [(3,), (1,)]),
    ("bA,aB", [(2, 3), (3, 2)]),                    # implicit order: upper case first
    ("i j , j k -> i k", [(2, 3), (3, 2)]),          # spaces are ignored
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_patterns(equation, shapes):
    check_op(lambda T, *xs: T.einsum(equation, *xs), shapes,
             ref=lambda *xs: _np_einsum(equation, xs))


def _np_einsum(equation, arrays):
    """np.einsum, except that NumPy cannot sum '...' away: it keeps it and sums after."""
    equation = equation.replace(" ", "")
    lhs, _, rhs = equation.partition("->")
    if "->" in equation and "..." in lhs and "..." not in rhs:
        out = np.einsum(f"{lhs}->{rhs}...", *arrays)
        return out.reshape(out.shape[:len(rhs)] + (-1,)).sum(-1)
    return np.einsum(equation, *arrays)


def test_einsum_accepts_a_list_of_operands_and_repeated_operands():
    check_op(lambda T, a, b: T.einsum("ij,jk->ik", [a, b]), [(2, 3), (3, 2)],
             ref=lambda a, b: a @ b)
    check_op(lambda T, a: T.einsum("i,i->", a, a), [(4,)], ref=lambda a: a @ a)


def test_einsum_output_does_not_alias_its_input():
    x = mt.zeros(2, 3)
    y = mt.einsum("ij->ji", x)
    y.add_(1)
    assert x.tolist() == [[0.0] * 3] * 2 and x._version.value == 0


def test_einsum_integer_and_int_result():
    x = mt.tensor([[1, 2], [3, 4]])
    out = mt.einsum("ij,jk->ik", x, x)
    assert out.dtype is mt.int64 and out.tolist() == [[7, 10], [15, 22]]


@st.composite
def einsum_problems(draw):
    """A random equation over 1-3 operands with its operand shapes (no repeated labels)."""
    letters = "abcde"
    sizes = {c: draw(st.integers(1, 3)) for c in letters}
    n_ops = draw(st.integers(1, 3))
    terms = [draw(st.lists(st.sampled_from(letters), min_size=0, max_size=3, unique=True))
             for _ in range(n_ops)]
    used = sorted(set("".join("".join(t) for t in terms)))
    order = draw(st.permutations(used))
    out = order[:draw(st.integers(0, len(order)))]
    equation = ",".join("".join(t) for t in terms) + "->" + "".join(out)
    return equation, [tuple(sizes[c] for c in t) for t in terms]


@settings(max_examples=25, deadline=None)
@given(problem=einsum_problems())
def test_einsum_random_equations_match_numpy_and_pytorch(problem):
    equation, shapes = problem
    check_op(lambda T, *xs: T.einsum(equation, *xs), shapes,
             ref=lambda *xs: np.einsum(equation, *xs))


def test_tensordot():
    check_op(lambda T, a, b: T.tensordot(a, b, dims=2), [(2, 3, 4), (3, 4, 2)],
             ref=lambda a, b: np.tensordot(a, b, axes=2))
    check_op(lambda T, a, b: T.tensordot(a, b), [(2, 3, 4), (3, 4, 2)],
             ref=lambda a, b: np.tensordot(a, b, axes=2))
    check_op(lambda T, a, b: T.tensordot(a, b, dims=([1, 0], [0, 2])), [(2, 3, 4), (3, 4, 2)],
             ref=lambda a, b: np.tensordot(a, b, axes=([1, 0], [0, 2])))
    check_op(lambda T, a, b: T.tensordot(a, b, dims=0), [(2,), (3,)],
             ref=lambda a, b: np.tensordot(a, b, axes=0))


# ------------------------------------------------------------------ transposes are views
def test_transposes_values_and_gradients():
    check_op(lambda T, x: x.t(), [(2, 3)], ref=lambda x: x.T)
    check_op(lambda T, x: T.t(x), [(3,)], ref=lambda x: x)
    check_op(lambda T, x: x.t(), [()], ref=lambda x: x)
    check_op(lambda T, x: x.T, [(2, 3)], ref=lambda x: x.T)
    check_op(lambda T, x: x.mT, [(2, 3, 4)], ref=lambda x: x.swapaxes(-1, -2))
    check_op(lambda T, x: x.mH, [(2, 3, 4)], ref=lambda x: x.swapaxes(-1, -2))
    check_op(lambda T, x: x.H, [(2, 3)], ref=lambda x: x.T)
    check_op(lambda T, x: (x.t() * 2) @ x, [(2, 3)], ref=lambda x: (x.T * 2) @ x)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_T_reverses_all_dims_with_pytorch_warning():
    x = mt.ones(2, 3, 4)
    with pytest.warns(UserWarning, match="x.T` on tensors of dimension other than 2"):
        assert tuple(x.T.shape) == (4, 3, 2)
    with pytest.warns(UserWarning, match="Tensor.T is deprecated on 0-D tensors"):
        mt.ones(()).T
    check_op(lambda T, x: x.T, [(2, 3, 4)], ref=lambda x: x.T)


def test_0d_mT_and_H_return_self_with_warning():
    x = mt.ones(())
    with pytest.warns(UserWarning, match="Tensor.mT is deprecated on 0-D tensors"):
        assert x.mT is x
    with pytest.warns(UserWarning, match="Tensor.H is deprecated on 0-D tensors"):
        assert x.H is x


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("make", [lambda x: x.t(), lambda x: mt.t(x), lambda x: x.T,
                                  lambda x: x.mT, lambda x: x.H, lambda x: x.mH],
                         ids=["t", "torch.t", "T", "mT", "H", "mH"])
def test_transposes_share_storage_and_version_counter(make):
    x = mt.from_numpy(np.arange(6.0).reshape(2, 3))
    y = make(x)
    assert tuple(y.shape) == (3, 2)
    assert y._base is x and y._version is x._version
    assert np.shares_memory(y.numpy(), x.numpy())
    y.add_(1)
    assert x._version.value == y._version.value == 1
    np.testing.assert_array_equal(x.numpy(), np.arange(1.0, 7.0).reshape(2, 3))
    np.testing.assert_array_equal(y.numpy(), x.numpy().T)


def test_view_of_view_keeps_the_root_base():
    x = mt.zeros(2, 3)
    y = x.t().t()
    assert y._base is x
    y.add_(2)
    assert x.tolist() == [[2.0] * 3] * 2


@requires_torch
def test_inplace_on_transposed_view_flows_gradient_like_pytorch():
    def run(T):
        leaf = T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        base = leaf * 1
        v = base.t()
        v.mul_(T.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
        (base * base).sum().backward()
        return leaf.grad.numpy(), base.detach().numpy()

    (g1, b1), (g2, b2) = run(mt), run(torch)
    np.testing.assert_allclose(b1, b2)
    np.testing.assert_allclose(g1, g2)


def test_saved_operand_modified_in_place_raises_at_backward():
    a = mt.ones(2, 3, requires_grad=True)
    w = mt.ones(3, 2)
    out = a @ w
    w.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_inplace_on_transposed_input_is_caught_too():
    a = mt.ones(2, 3, requires_grad=True)
    w = mt.ones(2, 3)
    out = a @ w.t()
    w.t().mul_(2)   # same storage, same counter
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


# ------------------------------------------------------------------ graph node names
@requires_torch
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name,fn,shapes", [
    ("MmBackward0", lambda T, a, b: a @ b, [(2, 3), (3, 2)]),
    ("MvBackward0", lambda T, a, b: a @ b, [(2, 3), (3,)]),
    ("DotBackward0", lambda T, a, b: a @ b, [(3,), (3,)]),
    ("BmmBackward0", lambda T, a, b: T.bmm(a, b), [(2, 2, 3), (2, 3, 2)]),
    ("AddmmBackward0", lambda T, a, b: T.addmm(b[0], a, b), [(2, 3), (3, 3)]),
    ("VdotBackward0", lambda T, a, b: T.vdot(a, b), [(3,), (3,)]),
    ("TBackward0", lambda T, a, b: a.t(), [(2, 3), (1,)]),
    ("PermuteBackward0", lambda T, a, b: a.T, [(2, 3), (1,)]),
    ("TransposeBackward0", lambda T, a, b: a.mT, [(2, 2, 3), (1,)]),
])
def test_grad_fn_names_match_pytorch(name, fn, shapes):
    mt_in = [to_mt(a, True) for a in make_arrays(shapes)]
    th_in = [to_torch(a, True) for a in make_arrays(shapes)]
    assert type(fn(mt, *mt_in).grad_fn).__name__ == name
    assert type(fn(torch, *th_in).grad_fn).__name__ == name


def test_no_graph_without_grad():
    a, b = mt.ones(2, 3), mt.ones(3, 2)
    assert (a @ b).grad_fn is None and not (a @ b).requires_grad
    with mt.no_grad():
        x = mt.ones(2, 3, requires_grad=True)
        assert (x @ b).grad_fn is None and x.t().grad_fn is None


def test_docstring_examples():
    result = doctest.testmod(linalg, verbose=False)
    assert result.attempted >= 4 and result.failed == 0


def test_public_names_exported():
    for name in linalg.__all__:
        assert getattr(mt, name) is getattr(linalg, name)
    for name in ["mm", "bmm", "mv", "dot", "vdot", "outer", "ger", "matmul", "t", "addmm",
                 "baddbmm", "addmm_", "baddbmm_", "T", "mT", "H", "mH", "__matmul__",
                 "__rmatmul__"]:
        assert hasattr(mt.Tensor, name), name
    assert set(string.ascii_letters) == set(linalg._SUBSCRIPTS)
