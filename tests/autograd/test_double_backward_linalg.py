"""Second and third derivatives of the torch.linalg functions and decompositions (inv, det,
slogdet, solve, cholesky, eigh, svd, qr, pinv, lstsq, solve_triangular, matrix_exp, the
matrix norms), against finite differences and PyTorch (double_backward.py); eig and eigvals
are in test_double_backward_eig.py.

Inputs are well-conditioned float64 matrices; decompositions get inputs where they are
differentiable (symmetric positive-definite for cholesky, symmetric for eigh, distinct
eigen- / singular values), and the functions of singular vectors are sign-invariant (U*U,
U @ Vh), so LAPACK's sign choices cannot differ between the two libraries.
"""
from __future__ import annotations

import numpy as np
import pytest

from double_backward import check_double_backward

import minitorch_nn as mt


def _rand(*shape, seed=0):
    return np.random.default_rng(seed + 11 * len(shape) + sum(shape)).uniform(-1, 1, shape)


def _square(*shape, seed=0):
    """A well-conditioned square matrix (batch): random plus a shifted identity."""
    n = shape[-1]
    return _rand(*shape, seed=seed) + 2.5 * np.eye(n)


def _spd(T, a):
    n = a.shape[-1]
    return a @ a.mT + n * T.eye(n, dtype=a.dtype)


def _sym(T, a):
    return a + a.mT


# ---------------------------------------------------------------------- inverse
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)])
@pytest.mark.parametrize("name", ["inv", "inv_ex", "inverse"])
def test_inv(shape, name):
    fns = {"inv": lambda T, a: T.linalg.inv(a),
           "inv_ex": lambda T, a: T.linalg.inv_ex(a)[0],
           "inverse": lambda T, a: T.inverse(a)}
    check_double_backward(fns[name], _square(*shape), third=True)


# ---------------------------------------------------------------------- determinants
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3), (1, 1)])
def test_det(shape):
    third = shape[-1] > 1            # a 1x1 det has a constant first derivative in PyTorch
    check_double_backward(lambda T, a: T.linalg.det(a), _square(*shape), third=third)
    check_double_backward(lambda T, a: T.det(a) * 2, _rand(*shape, seed=3) - 1.5 * np.eye(
        shape[-1]), third=third)


def _singular3():
    u, _ = np.linalg.qr(_rand(3, 3))
    v, _ = np.linalg.qr(_rand(3, 3, seed=1))
    return u @ np.diag([2.0, 0.5, 0.0]) @ v.T


def test_det_singular():
    """Rank n-1 matrices (and one regular, in a batch): PyTorch's SVD branch."""
    singular = _singular3()
    check_double_backward(lambda T, a: T.linalg.det(a), singular)
    batch = np.stack([singular, _square(3, 3)])
    check_double_backward(lambda T, a: T.linalg.det(a), batch)


def test_det_singular_third_order_against_finite_differences():
    """At an exactly singular matrix PyTorch's third derivative of det is off (its SVD
    branch); ours equals the central difference of the (PyTorch-equal) second order."""
    from double_backward import _second_order
    fn = lambda T, a: T.linalg.det(a)
    a0 = _singular3()

    def second(a):
        out = _second_order(mt, fn, [mt.tensor(a, requires_grad=True)], 0, False)
        return sum(float(x.sum()) for x in out if x is not None)

    third = _second_order(mt, fn, [mt.tensor(a0, requires_grad=True)], 0, True)[2]
    fd = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            e = np.zeros((3, 3))
            e[i, j] = 1e-5
            fd[i, j] = (second(a0 + e) - second(a0 - e)) / 2e-5
    np.testing.assert_allclose(third, fd, atol=1e-4)   # PyTorch is off by 0.35


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)])
def test_slogdet(shape):
    a = _square(*shape)
    a[..., 0, :] *= -1                       # a negative determinant
    check_double_backward(lambda T, x: T.linalg.slogdet(x)[1], a, third=True)
    check_double_backward(lambda T, x: T.slogdet(x), a)
    check_double_backward(lambda T, x: T.logdet(x @ x.mT), a)


# ---------------------------------------------------------------------- solves
SOLVE_CASES = [((3, 3), (3,), True), ((3, 3), (3, 2), True), ((2, 3, 3), (2, 3), True),
               ((2, 3, 3), (3,), True), ((2, 3, 3), (3, 2), True), ((3, 3), (2, 3, 2), True),
               ((3, 3), (2, 3), False), ((2, 3, 3), (4, 3), False)]


@pytest.mark.parametrize("sa,sb,left", SOLVE_CASES)
def test_solve(sa, sb, left):
    check_double_backward(lambda T, a, b: T.linalg.solve(a, b, left=left), _square(*sa),
                          _rand(*sb, seed=1), third=len(sa) == 2)


def test_solve_ex_and_constant_operand():
    check_double_backward(lambda T, a, b: T.linalg.solve_ex(a, b)[0], _square(2, 3, 3),
                          _rand(2, 3, 2, seed=1), third=True)
    check_double_backward(lambda T, a, b: T.linalg.solve(a, b), _square(3, 3),
                          _rand(3, 2, seed=1), no_grad=(1,), third=True)
    check_double_backward(lambda T, a, b: T.linalg.solve(a, b), _square(3, 3),
                          _rand(3, 2, seed=1), no_grad=(0,))


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unit", [False, True])
def test_solve_triangular(upper, left, unit):
    b = _rand(3, 2, seed=1) if left else _rand(2, 3, seed=1)
    check_double_backward(lambda T, a, x: T.linalg.solve_triangular(
        a, x, upper=upper, left=left, unitriangular=unit), _square(3, 3), b,
        third=upper and left)


def test_solve_triangular_broadcast():
    check_double_backward(lambda T, a, x: T.linalg.solve_triangular(a, x, upper=False),
                          _square(3, 3), _rand(2, 3, 2, seed=1))


# ---------------------------------------------------------------------- cholesky
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(shape, upper):
    check_double_backward(lambda T, a: T.linalg.cholesky(_spd(T, a), upper=upper),
                          _rand(*shape), third=not upper)
    check_double_backward(lambda T, a: T.linalg.cholesky_ex(_spd(T, a), upper=upper)[0],
                          _rand(*shape, seed=2))


# ---------------------------------------------------------------------- eigh
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_eigh(shape):
    def fn(T, a):
        w, v = T.linalg.eigh(_sym(T, a))
        return w, v * v, (v * w.unsqueeze(-2)) @ v.mT
    check_double_backward(fn, _rand(*shape), third=len(shape) == 2)
    check_double_backward(lambda T, a: T.linalg.eigvalsh(_sym(T, a)), _rand(*shape, seed=1),
                          third=True)
    check_double_backward(lambda T, a: T.linalg.eigh(_sym(T, a), UPLO="U")[0] ** 2,
                          _rand(*shape, seed=2))


# ---------------------------------------------------------------------- svd
SVD_SHAPES = [(3, 3), (4, 3), (3, 4), (2, 4, 3), (2, 2, 4)]


@pytest.mark.parametrize("shape", SVD_SHAPES)
def test_svd(shape):
    def fn(T, a):
        u, s, vh = T.linalg.svd(a, full_matrices=False)
        return s, u * u, vh * vh, u @ vh
    check_double_backward(fn, _rand(*shape), third=len(shape) == 2)


@pytest.mark.parametrize("shape", SVD_SHAPES)
def test_svd_partial_outputs(shape):
    def only_u(T, a):
        u, s, vh = T.linalg.svd(a, full_matrices=False)
        return u * u
    def only_vh(T, a):
        return T.linalg.svd(a, full_matrices=False)[2] ** 2
    check_double_backward(only_u, _rand(*shape, seed=1))
    check_double_backward(only_vh, _rand(*shape, seed=2))


@pytest.mark.parametrize("shape", SVD_SHAPES)
def test_svdvals(shape):
    check_double_backward(lambda T, a: T.linalg.svdvals(a), _rand(*shape), third=True)


def test_svd_full_matrices_square_and_torch_svd():
    check_double_backward(lambda T, a: T.linalg.svd(a)[1], _rand(3, 3))
    def old(T, a):
        u, s, v = T.svd(a)
        return s, u @ v.mT
    check_double_backward(old, _rand(4, 3))


# ---------------------------------------------------------------------- qr
@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4), (2, 4, 3), (2, 2, 4)])
def test_qr(shape):
    def fn(T, a):
        q, r = T.linalg.qr(a)
        return q * q, r * r, q @ r.diagonal(0, -2, -1).diag_embed()
    check_double_backward(fn, _rand(*shape), third=len(shape) == 2)


def test_qr_complete_square_and_r_only_errors():
    def fn(T, a):
        q, r = T.linalg.qr(a, mode="complete")
        return q * q, r * r
    check_double_backward(fn, _rand(3, 3))
    a = mt.tensor(_rand(4, 3), requires_grad=True)
    q, r = mt.linalg.qr(a, mode="complete")
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete'"):
        mt.autograd.grad(q.sum(), a, create_graph=True)


# ---------------------------------------------------------------------- pinv / lstsq
@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4), (2, 4, 3)])
def test_pinv(shape):
    check_double_backward(lambda T, a: T.linalg.pinv(a), _rand(*shape), third=len(shape) == 2)


def test_pinv_hermitian_and_pinverse():
    check_double_backward(lambda T, a: T.linalg.pinv(_sym(T, a), hermitian=True),
                          _rand(3, 3))
    check_double_backward(lambda T, a: T.pinverse(a), _rand(3, 4))


LSTSQ_CASES = [((4, 3), (4, 2)), ((4, 3), (4,)), ((3, 3), (3, 2)), ((2, 4, 3), (2, 4, 2)),
               ((2, 4, 3), (2, 4)), ((3, 4), (3, 2))]


@pytest.mark.parametrize("sa,sb", LSTSQ_CASES)
def test_lstsq(sa, sb):
    check_double_backward(lambda T, a, b: T.linalg.lstsq(a, b).solution, _rand(*sa),
                          _rand(*sb, seed=1), third=sa == (4, 3) and len(sb) == 2)


def test_lstsq_residuals():
    def fn(T, a, b):
        out = T.linalg.lstsq(a, b, driver="gelsd")
        return out.solution, out.residuals
    check_double_backward(fn, _rand(5, 3), _rand(5, 2, seed=1))


# ---------------------------------------------------------------------- matrix_exp
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3), (1, 1)])
def test_matrix_exp(shape):
    check_double_backward(lambda T, a: T.linalg.matrix_exp(a), _rand(*shape),
                          third=len(shape) == 2)
    check_double_backward(lambda T, a: T.matrix_exp(a * 3), _rand(*shape, seed=1))


# ---------------------------------------------------------------------- norms
@pytest.mark.parametrize("ord", ["fro", "nuc", 2, -2])
@pytest.mark.parametrize("shape,dim,keepdim", [((3, 4), (-2, -1), False),
                                               ((2, 3, 4), (-2, -1), True),
                                               ((3, 2, 4), (0, 2), False)])
def test_matrix_norm(ord, shape, dim, keepdim):
    check_double_backward(lambda T, a: T.linalg.matrix_norm(a, ord, dim, keepdim),
                          _rand(*shape), third=ord == "nuc" and len(shape) == 2)


@pytest.mark.parametrize("shape,dim,keepdim", [((3, 4), (0, 1), False),
                                               ((2, 3, 4), (1, 2), True),
                                               ((3, 2, 4), (2, 0), False)])
def test_nuclear_norm(shape, dim, keepdim):
    check_double_backward(lambda T, a: T.norm(a, "nuc", dim, keepdim), _rand(*shape),
                          third=len(shape) == 2)
    check_double_backward(lambda T, a: T.linalg.norm(a, "nuc", dim), _rand(*shape, seed=1))


# ---------------------------------------------------------------------- complex inputs
def _c(T, re, im):
    return T.complex(re, im)


def _hpd(T, re, im):
    a = _c(T, re, im)
    n = a.shape[-1]
    return a @ a.mH + n * T.eye(n, dtype=a.dtype)


def _real(T, z):
    return T.view_as_real(z.resolve_conj())


def _svd_parts(T, u, s, vh):
    return s, _real(T, u @ vh), (u * u.conj()).real


COMPLEX_CASES = {
    "inv": lambda T, r, i: _real(T, T.linalg.inv(_c(T, r, i))),
    "det": lambda T, r, i: _real(T, T.linalg.det(_c(T, r, i))),
    "slogdet": lambda T, r, i: (T.linalg.slogdet(_c(T, r, i))[1],
                                _real(T, T.linalg.slogdet(_c(T, r, i))[0])),
    "solve": lambda T, r, i: _real(T, T.linalg.solve(_c(T, r, i), _c(T, r[..., :2], i[..., :2]))),
    "solve_right": lambda T, r, i: _real(T, T.linalg.solve(
        _c(T, r, i), _c(T, r[..., :2, :], i[..., :2, :]), left=False)),
    "solve_triangular": lambda T, r, i: _real(T, T.linalg.solve_triangular(
        _c(T, r, i), _c(T, r[..., :2], i[..., :2]), upper=True)),
    "cholesky": lambda T, r, i: _real(T, T.linalg.cholesky(_hpd(T, r, i))),
    "eigh": lambda T, r, i: (lambda w, v: (w, (v * v.conj()).real))(
        *T.linalg.eigh(_hpd(T, r, i))),
    "eigvalsh": lambda T, r, i: T.linalg.eigvalsh(_hpd(T, r, i)),
    "svd": lambda T, r, i: _svd_parts(T, *T.linalg.svd(_c(T, r, i), full_matrices=False)),
    "svdvals": lambda T, r, i: T.linalg.svdvals(_c(T, r, i)),
    "qr": lambda T, r, i: (lambda q, rr: _real(T, q @ rr))(*T.linalg.qr(_c(T, r, i))),
    "pinv": lambda T, r, i: _real(T, T.linalg.pinv(_c(T, r, i))),
    "lstsq": lambda T, r, i: _real(T, T.linalg.lstsq(
        _c(T, r, i), _c(T, r[..., :2], i[..., :2])).solution),
    "matrix_exp": lambda T, r, i: _real(T, T.linalg.matrix_exp(_c(T, r, i))),
    "matrix_norm_nuc": lambda T, r, i: T.linalg.matrix_norm(_c(T, r, i), "nuc"),
    "norm_nuc": lambda T, r, i: T.norm(_c(T, r, i), "nuc", (1, 2)),
}


@pytest.mark.parametrize("name", sorted(COMPLEX_CASES))
def test_complex(name):
    third = name in ("inv", "det", "solve", "cholesky", "svd", "eigh")
    check_double_backward(COMPLEX_CASES[name], _square(2, 3, 3), _rand(2, 3, 3, seed=5),
                          third=third)


def test_complex_svd_first_derivative_matches_pytorch():
    """The fast backward's i Im(diag(U^H gU)) / S term (it was halved)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    w = rng.standard_normal((3, 3, 2))
    grads = []
    for T in (mt, torch):
        x = T.tensor(a, requires_grad=True)
        u, s, vh = T.linalg.svd(x, full_matrices=False)
        (g,) = T.autograd.grad((T.view_as_real(u @ vh) * T.tensor(w)).sum(), x)
        grads.append(np.asarray(g.detach().numpy()))
    np.testing.assert_allclose(grads[0], grads[1], atol=1e-12)
