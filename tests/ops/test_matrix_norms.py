"""ops/matrix_norms.py: torch.linalg.vector_norm, matrix_norm and norm, through
op_harness.check_op (NumPy reference, float64 gradcheck, PyTorch values and gradients) and
PyTorch's errors for bad inputs.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, torch

INF = math.inf


def both_raise(call, exc=RuntimeError, same_message=True):
    with pytest.raises(exc) as ours:
        call(mt)
    if torch is None:
        return
    with pytest.raises(Exception) as theirs:
        call(torch)
    assert isinstance(theirs.value, exc), f"torch raised {type(theirs.value)}"
    if same_message:
        assert str(ours.value) == str(theirs.value)


def _np_matrix_norm(ord, dim, keepdim):
    def ref(a):
        out = np.linalg.norm(np.moveaxis(a, dim, (-2, -1)), ord=ord, axis=(-2, -1))
        if keepdim:
            for d in sorted(x % a.ndim for x in dim):
                out = np.expand_dims(out, d)
        return out
    return ref


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, INF, -INF])
@pytest.mark.parametrize("dim,keepdim", [((-2, -1), False), ((2, 0), True), ((0, 1), False)])
def test_matrix_norm(ord, dim, keepdim):
    check_op(lambda T, x: T.linalg.matrix_norm(x, ord, dim, keepdim), [(2, 3, 4)],
             ref=_np_matrix_norm(ord, dim, keepdim))


@pytest.mark.parametrize("shape", [(0, 3), (2, 3, 0), (1, 1)])
@pytest.mark.parametrize("ord", ["fro", "nuc", 1, 2, INF])
def test_matrix_norm_small_and_empty(shape, ord):
    ref = _np_matrix_norm(ord, (-2, -1), False) if 0 not in shape else \
        (lambda a: np.zeros(a.shape[:-2]))
    check_op(lambda T, x: T.linalg.matrix_norm(x, ord), [shape], ref=ref,
             grad=0 not in shape)


def test_matrix_norm_dtype_and_float32():
    x = np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32)
    check_op(lambda T, t: T.linalg.matrix_norm(t, 2, dtype=T.float64), [x.shape], arrays=[x],
             ref=lambda a: np.linalg.norm(a.astype(np.float64), 2), grad=False)
    check_op(lambda T, t: T.linalg.matrix_norm(t, 1), [x.shape], arrays=[x], grad=False,
             ref=lambda a: np.linalg.norm(a, 1), atol=1e-5)
    h = x.astype(np.float16)
    check_op(lambda T, t: T.linalg.matrix_norm(t), [h.shape], arrays=[h], grad=False,
             atol=1e-2, rtol=1e-2)


@pytest.mark.parametrize("ord", [2, 1, 0, INF, -INF, 3.5, 0.5, -1])
@pytest.mark.parametrize("dim,keepdim", [(None, False), ((0, 2), True), (-1, False),
                                         ([1], False)])
def test_vector_norm(ord, dim, keepdim):
    def ref(a):
        axes = tuple(range(a.ndim)) if dim is None else \
            tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
        b = np.abs(a)
        if ord == INF:
            out = b.max(axis=axes, keepdims=keepdim)
        elif ord == -INF:
            out = b.min(axis=axes, keepdims=keepdim)
        elif ord == 0:
            out = (b != 0).sum(axis=axes, keepdims=keepdim).astype(a.dtype)
        else:
            out = (b ** ord).sum(axis=axes, keepdims=keepdim) ** (1 / ord)
        return out
    check_op(lambda T, x: T.linalg.vector_norm(x, ord, dim, keepdim), [(2, 3, 4)], ref=ref,
             grad=ord != 0)


@pytest.mark.parametrize("ord,dim", [(None, None), (None, 1), (3, 0), ("fro", (0, 1)),
                                     ("nuc", (1, 2)), (2, (0, 2)), (-INF, (-1, 0))])
def test_norm_with_dim(ord, dim):
    check_op(lambda T, x: T.linalg.norm(x, ord, dim), [(2, 3, 4)])


@pytest.mark.parametrize("shape,ord", [((3, 4), 2), ((3, 4), "nuc"), ((3, 4), None),
                                       ((5,), 3), ((5,), INF), ((2, 3, 4), None)])
def test_norm_without_dim(shape, ord):
    def ref(a):
        if ord is None:
            return np.linalg.norm(a.reshape(-1))
        return np.linalg.norm(a, ord)
    check_op(lambda T, x: T.linalg.norm(x, ord, keepdim=True), [shape],
             ref=lambda a: np.reshape(ref(a), (1,) * a.ndim))


def test_norm_grad_fn_names():
    x = mt.ones(3, 3, requires_grad=True)
    assert mt.linalg.vector_norm(x).grad_fn.name() == "LinalgVectorNormBackward0"
    assert mt.linalg.matrix_norm(x).grad_fn.name() == "LinalgVectorNormBackward0"
    assert mt.linalg.matrix_norm(x, "nuc").grad_fn.name() == "SumBackward1"
    assert mt.linalg.matrix_norm(x, 2).grad_fn.name() == "AmaxBackward0"
    assert mt.linalg.matrix_norm(x, -1).grad_fn.name() == "AminBackward0"


@pytest.mark.parametrize("make,exc", [
    (lambda T: T.linalg.matrix_norm(T.ones(3, 3), 3), RuntimeError),
    (lambda T: T.linalg.matrix_norm(T.ones(3, 3), "foo"), RuntimeError),
    (lambda T: T.linalg.matrix_norm(T.ones(3)), RuntimeError),
    (lambda T: T.linalg.matrix_norm(T.ones(2, 3, 4), dim=(0, 0)), RuntimeError),
    (lambda T: T.linalg.matrix_norm(T.ones(2, 3, 4), dim=(0, 5)), IndexError),
    (lambda T: T.linalg.matrix_norm(T.ones(3, 3, dtype=T.int64)), RuntimeError),
    (lambda T: T.linalg.matrix_norm(T.ones(3, 3, dtype=T.float16), 2), RuntimeError),
    (lambda T: T.linalg.matrix_norm(T.ones(3, 3, dtype=T.float64), dtype=T.float32),
     RuntimeError),
    (lambda T: T.linalg.matrix_norm(T.zeros(0, 3), -2), IndexError),
    (lambda T: T.linalg.norm(T.ones(3), "fro"), RuntimeError),
    (lambda T: T.linalg.norm(T.ones(2, 2, 2), 2), RuntimeError),
    (lambda T: T.linalg.norm(T.ones(2, 2, 2), 2, dim=(0, 1, 2)), RuntimeError),
    (lambda T: T.linalg.norm(T.ones(2, 2), "fro", dim=1), RuntimeError),
    (lambda T: T.linalg.vector_norm(T.ones(3, dtype=T.int64)), RuntimeError),
    (lambda T: T.linalg.vector_norm(T.ones(3), dtype=T.int64), RuntimeError),
])
def test_norm_errors(make, exc):
    both_raise(make, exc, same_message=exc is not IndexError)


def test_vector_norm_ord_type():
    both_raise(lambda T: T.linalg.vector_norm(T.ones(3), "fro"), TypeError)
