"""Diagonal construction (minitorch_nn/ops/diagonal.py): diag, diag_embed, diagflat, trace,
checked against NumPy, gradcheck and PyTorch; node names, dtypes and PyTorch's errors."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch
from shape_util import same_error


def _np_diag_embed(x, offset=0, dim1=-2, dim2=-1):
    """Reference: zeros with x's last dim on diagonal `offset` of the new dims (dim1, dim2)."""
    n = x.shape[-1] + abs(offset)
    ndim = x.ndim + 1
    d1, d2 = dim1 % ndim, dim2 % ndim
    out = np.zeros(x.shape[:-1] + (n, n), x.dtype)
    for i in range(x.shape[-1]):
        r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
        out[..., r, c] = x[..., i]
    # the two new dims are last in `out`: move them to (d1, d2)
    lo, hi = sorted((d1, d2))
    out = np.moveaxis(out, (-2, -1), (lo, hi))
    return out if d1 < d2 else out.swapaxes(lo, hi)


def check(fn, shapes, **kw):
    """check_op, without the gradient checks where an input or the output has no elements:
    gradcheck's Jacobians are then (0, 0) on one side only and never compare equal
    (autograd/gradcheck.py), though the op's gradient is right (an empty tensor)."""
    probe = fn(mt, *[mt.zeros(s, dtype=mt.float64) for s in shapes])
    sizes = [int(np.prod(s)) for s in shapes] + [probe.numel()]
    return check_op(fn, shapes, grad=kw.pop("grad", True) and min(sizes) > 0, **kw)


# ------------------------------------------------------------------ diag
@pytest.mark.parametrize("shape", [(3,), (1,), (0,)])
@pytest.mark.parametrize("k", [0, 1, -2])
def test_diag_of_a_vector(shape, k):
    check(lambda T, x: T.diag(x, k), [shape], ref=lambda x: np.diag(x, k))
    check(lambda T, x: x.diag(diagonal=k), [shape], ref=lambda x: np.diag(x, k))


@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (1, 1), (0, 3)])
@pytest.mark.parametrize("k", [0, 2, -1, 5, -5])
def test_diag_of_a_matrix(shape, k):
    check(lambda T, x: T.diag(x, k), [shape], ref=lambda x: np.diag(x, k))


def test_diag_int_bool_half_and_node_names():
    check_op(lambda T, x: T.diag(x), [], arrays=[np.array([1, 2, 3])], ref=np.diag)
    check_op(lambda T, x: T.diag(x, 1), [], arrays=[np.array([True, False])],
             ref=lambda x: np.diag(x, 1))
    check_op(lambda T, x: T.diag(x), [(2, 3)], dtype=np.float16, grad=False,
             ref=np.diag, atol=1e-3)
    x = mt.zeros(3, requires_grad=True)
    assert mt.diag(x).grad_fn.name() == "DiagEmbedBackward0"
    assert mt.diag(x.view(1, 3)).grad_fn.name() == "DiagonalBackward0_copy"


def test_diag_of_a_matrix_is_a_copy():
    x = mt.arange(4.0).reshape(2, 2)
    mt.diag(x).add_(10)
    assert x.tolist() == [[0.0, 1.0], [2.0, 3.0]]


def test_diag_errors():
    same_error(lambda T: T.diag(T.zeros(2, 2, 2)))
    same_error(lambda T: T.diag(T.tensor(1.0)))
    same_error(lambda T: T.diag("a"))
    same_error(lambda T: T.diag(T.zeros(2), 1.5), match="diagonal")


# ------------------------------------------------------------------ diag_embed
@pytest.mark.parametrize("shape,args", [((3,), ()), ((2, 3), ()), ((2, 3), (1, 0, 2)),
                                        ((2, 3), (-1, -1, 0)), ((2, 1, 3), (2, 1, -1)),
                                        ((0, 2), ()), ((2, 0), (1,)), ((1,), (-1, 1, 0))])
def test_diag_embed(shape, args):
    check(lambda T, x: T.diag_embed(x, *args), [shape],
             ref=lambda x: _np_diag_embed(x, *args))
    check(lambda T, x: x.diag_embed(*args), [shape],
             ref=lambda x: _np_diag_embed(x, *args))


def test_diag_embed_dtypes():
    check_op(lambda T, x: T.diag_embed(x, 1), [], arrays=[np.arange(6, dtype=np.int32)
                                                         .reshape(2, 3)],
             ref=lambda x: _np_diag_embed(x, 1))
    check_op(lambda T, x: T.diag_embed(x), [(2, 2)], dtype=np.float16, grad=False,
             ref=_np_diag_embed, atol=1e-3)


def test_diag_embed_errors():
    same_error(lambda T: T.diag_embed(T.zeros(3, 4), 0, 1, 1))
    same_error(lambda T: T.diag_embed(T.zeros(3, 4), 0, 3, 1))
    same_error(lambda T: T.diag_embed(T.tensor(1.0)))
    same_error(lambda T: T.diag_embed([1, 2]), match="input")


# ------------------------------------------------------------------ diagflat
@pytest.mark.parametrize("shape", [(3,), (2, 3), (), (0,), (2, 1, 2)])
@pytest.mark.parametrize("k", [0, 1, -2])
def test_diagflat(shape, k):
    check(lambda T, x: T.diagflat(x, k), [shape], ref=lambda x: np.diagflat(x, k))
    check(lambda T, x: x.diagflat(offset=k), [shape], ref=lambda x: np.diagflat(x, k))


def test_diagflat_int_and_errors():
    check_op(lambda T, x: T.diagflat(x), [], arrays=[np.array([[1, 2], [3, 4]])],
             ref=np.diagflat)
    same_error(lambda T: T.diagflat(3), match="input")
    same_error(lambda T: T.diagflat(T.zeros(2), "1"), match="offset")


# ------------------------------------------------------------------ trace
@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (1, 1), (0, 2), (2, 2)])
def test_trace(shape):
    check(lambda T, x: T.trace(x), [shape], ref=np.trace)
    check(lambda T, x: x.trace(), [shape], ref=np.trace)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.int8])
def test_trace_of_ints_is_int64(dtype):
    a = (np.arange(9) % 7).astype(dtype).reshape(3, 3)
    out = check_op(lambda T, x: T.trace(x), [], arrays=[a], ref=np.trace)[0]
    assert out.dtype == mt.int64


def test_trace_half_accumulates_in_float32():
    a = np.full((300, 300), 1.0, np.float16)      # 300 ones: float16 partial sums would stall
    check_op(lambda T, x: T.trace(x), [], arrays=[a], grad=False, ref=lambda x: np.float16(300))
    assert mt.trace(mt.from_numpy(a)).dtype == mt.float16


def test_trace_node_and_gradient_is_the_identity():
    x = mt.zeros(2, 3, requires_grad=True)
    y = mt.trace(x)
    assert y.grad_fn.name() == "TraceBackward0"
    y.backward()
    assert x.grad.tolist() == np.eye(2, 3).tolist()


@pytest.mark.parametrize("shape", [(3,), (), (2, 2, 2)])
def test_trace_needs_a_matrix(shape):
    same_error(lambda T: T.trace(T.zeros(shape)))


def test_trace_errors():
    same_error(lambda T: T.trace(T.ones(2, 2, dtype=T.bool)))
    same_error(lambda T: T.trace("a"))


@requires_torch
def test_diag_offset_non_contiguous_grad_matches_pytorch():
    a = np.arange(20.0).reshape(4, 5).T.copy().T     # non-contiguous
    x, y = mt.from_numpy(a).requires_grad_(), torch.from_numpy(a).requires_grad_()
    mt.diag(x, -1).sum().backward()
    torch.diag(y, -1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.grad.numpy())
