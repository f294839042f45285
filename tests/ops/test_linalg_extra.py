"""ops/linalg_extra.py: triu/tril, matrix_exp, solve, householder_product, geqrf, weight norm.

Each op goes through op_harness.check_op (NumPy reference, float64 gradcheck, PyTorch values
and gradients), plus PyTorch's errors for bad inputs.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.ops import linalg_extra as le
from op_harness import check_op, requires_torch, torch


def _solve(T, A, B):
    return le.linalg_solve(A, B) if T is mt else T.linalg.solve(A, B)


def _householder(T, A, tau):
    return le.householder_product(A, tau) if T is mt else T.linalg.householder_product(A, tau)


def _well_conditioned(shape, seed=0):
    """Random square matrices plus n * I: far from singular."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, size=shape)
    return a + shape[-1] * np.eye(shape[-1])


# ---------------------------------------------------------------------------- triu / tril
@pytest.mark.parametrize("diagonal", [0, 1, -1, 5])
@pytest.mark.parametrize("shape", [(3, 4), (2, 4, 3)])
def test_triu(shape, diagonal):
    check_op(lambda T, x: T.triu(x, diagonal), [shape], ref=lambda x: np.triu(x, diagonal))


@pytest.mark.parametrize("diagonal", [0, 1, -2])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 3)])
def test_tril(shape, diagonal):
    check_op(lambda T, x: T.tril(x, diagonal), [shape], ref=lambda x: np.tril(x, diagonal))


def test_triu_tril_methods_and_grad_fn_names():
    x = mt.ones(3, 3, requires_grad=True)
    assert type(x.triu(1).grad_fn).__name__ == "TriuBackward0"
    assert type(x.tril().grad_fn).__name__ == "TrilBackward0"
    assert x.triu(1).sum().item() == 3.0


def test_triu_tril_in_place():
    x = mt.ones(3, 3)
    out = x.triu_(1)
    assert out is x and x.numpy().tolist() == [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
    assert x._version == 1
    y = mt.ones(3, 3)
    y.tril_()
    assert y.numpy().tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]


def test_triu_in_place_records_a_graph():
    a = mt.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = a * 1
    b.triu_()
    b.sum().backward()
    assert a.grad.numpy().tolist() == [[1, 1], [0, 1]]


@pytest.mark.parametrize("lib", ["mt", "torch"])
def test_triu_needs_a_matrix(lib):
    T = mt if lib == "mt" else pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="triu: input tensor must have at least 2 "
                                           "dimensions"):
        T.triu(T.ones(3))
    with pytest.raises(RuntimeError, match="tril: input tensor must have at least 2 "
                                           "dimensions"):
        T.ones(3).tril()


# ---------------------------------------------------------------------------- matrix_exp
def _expm_ref(a):
    """exp(A) by a long Taylor series after scaling (fine for the small test matrices)."""
    a = np.asarray(a, dtype=np.float64)
    s = 6
    x = a / 2 ** s
    out = np.broadcast_to(np.eye(a.shape[-1]), a.shape).copy()
    term = out.copy()
    for k in range(1, 30):
        term = term @ x / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out


@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 4, 4)])
def test_matrix_exp(shape):
    check_op(lambda T, x: T.matrix_exp(x), [shape], ref=_expm_ref)


def test_matrix_exp_of_large_norm_and_float32():
    a = np.random.default_rng(1).standard_normal((5, 5)) * 8
    ours = mt.matrix_exp(mt.tensor(a)).numpy()
    np.testing.assert_allclose(ours, _expm_ref(a), rtol=1e-8)
    f32 = mt.tensor(a[:3, :3] / 8, dtype=mt.float32).matrix_exp()
    assert f32.dtype == mt.float32
    np.testing.assert_allclose(f32.numpy(), _expm_ref(a[:3, :3] / 8), rtol=1e-5)


def test_matrix_exp_of_skew_symmetric_is_orthogonal():
    a = np.random.default_rng(2).standard_normal((4, 4))
    q = mt.matrix_exp(mt.tensor(a - a.T)).numpy()
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-12)


def test_matrix_exp_grad_fn_name():
    x = mt.zeros(2, 2, requires_grad=True)
    assert type(mt.matrix_exp(x).grad_fn).__name__ == "LinalgMatrixExpBackward0"


@pytest.mark.parametrize("lib", ["mt", "torch"])
def test_matrix_exp_errors(lib):
    T = mt if lib == "mt" else pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match=re.escape(
            "linalg.matrix_exp: A must be batches of square matrices, but they are 2 by 3 "
            "matrices")):
        T.matrix_exp(T.ones(2, 3))
    with pytest.raises(RuntimeError, match="linalg.matrix_exp: The input tensor A must have at "
                                           "least 2 dimensions."):
        T.matrix_exp(T.ones(3))


# ---------------------------------------------------------------------------- solve
@pytest.mark.parametrize("a_shape,b_shape", [((3, 3), (3,)), ((3, 3), (3, 2)),
                                             ((2, 3, 3), (2, 3)), ((2, 3, 3), (3, 1)),
                                             ((3, 3), (2, 3, 4))])
def test_solve(a_shape, b_shape):
    rng = np.random.default_rng(0)
    arrays = [_well_conditioned(a_shape), rng.uniform(-1, 1, size=b_shape)]
    check_op(lambda T, A, B: _solve(T, A, B), None, arrays=arrays)


def test_solve_matches_numpy():
    a = _well_conditioned((3, 3))
    b = np.arange(3.0)
    x = le.linalg_solve(mt.tensor(a), mt.tensor(b)).numpy()
    np.testing.assert_allclose(a @ x, b, atol=1e-12)


@pytest.mark.parametrize("lib", ["mt", "torch"])
def test_solve_errors(lib):
    T = mt if lib == "mt" else pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match=re.escape(
            "linalg.solve: A must be batches of square matrices, but they are 2 by 3 matrices")):
        _solve(T, T.ones(2, 3), T.ones(2))
    with pytest.raises(RuntimeError, match="linalg.solve: Expected A and B to have the same "
                                           "dtype, but found A of type Float and B of type "
                                           "Double instead"):
        _solve(T, T.eye(2), T.ones(2, dtype=T.float64))


# ---------------------------------------------------------------------------- QR pieces
@requires_torch
@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 5, 2)])
def test_geqrf_matches_pytorch(shape):
    a = np.random.default_rng(3).standard_normal(shape)
    ours_a, ours_tau = le.geqrf(mt.tensor(a))
    theirs_a, theirs_tau = torch.geqrf(torch.tensor(a))
    np.testing.assert_allclose(ours_a.numpy(), theirs_a.numpy(), atol=1e-12)
    np.testing.assert_allclose(ours_tau.numpy(), theirs_tau.numpy(), atol=1e-12)


@pytest.mark.parametrize("shape,k", [((4, 3), 3), ((3, 3), 2), ((2, 5, 2), 2)])
def test_householder_product(shape, k):
    rng = np.random.default_rng(4)
    arrays = [rng.uniform(-1, 1, size=shape), rng.uniform(0.5, 1.5, size=shape[:-2] + (k,))]
    check_op(lambda T, A, tau: _householder(T, A, tau), None, arrays=arrays)


def test_householder_product_of_geqrf_is_the_q_of_qr():
    a = np.random.default_rng(5).standard_normal((5, 3))
    h, tau = le.geqrf(mt.tensor(a))
    q = le.householder_product(h, tau).numpy()
    q_ref, _ = np.linalg.qr(a)
    np.testing.assert_allclose(np.abs(q), np.abs(q_ref), atol=1e-12)
    assert le.orgqr is le.householder_product


@pytest.mark.parametrize("lib", ["mt", "torch"])
def test_householder_product_errors(lib):
    T = mt if lib == "mt" else pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match=re.escape(
            "torch.linalg.householder_product: input.shape[-2] must be greater than or equal "
            "to input.shape[-1]")):
        _householder(T, T.ones(2, 3), T.ones(2))
    with pytest.raises(RuntimeError, match=re.escape(
            "torch.linalg.householder_product: input.shape[-1] must be greater than or equal "
            "to tau.shape[-1]")):
        _householder(T, T.ones(3, 2), T.ones(3))


# ---------------------------------------------------------------------------- weight norm
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_norm_except_dim(dim):
    def ref(v):
        if dim == -1:
            return np.linalg.norm(v)
        axes = tuple(d for d in range(3) if d != dim)
        return np.sqrt((v ** 2).sum(axis=axes, keepdims=True))

    check_op(lambda T, v: T.norm_except_dim(v, 2, dim), [(4, 3, 2)], ref=ref)


@pytest.mark.parametrize("dim,g_shape", [(0, (4, 1, 1)), (1, (1, 3, 1)), (-1, ())])
def test_weight_norm_op(dim, g_shape):
    check_op(lambda T, v, g: T._weight_norm(v, g, dim), [(4, 3, 2), g_shape], positive=True)
