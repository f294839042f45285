"""ops/decompositions.py: cholesky, qr, svd, svdvals, eigh, eigvalsh, eig, eigvals (and the
old torch.cholesky / torch.qr / torch.svd). Gradients of singular vectors and eigenvectors
are checked through gauge-invariant functions (reconstructions, |U|^2, eigenvalues), as
PyTorch's documentation prescribes.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.ops._linalg_common import LinAlgError
from op_harness import check_op, requires_torch, to_mt, to_torch, torch


def both_raise(call, exc=RuntimeError, same_message=True):
    with pytest.raises(exc) as ours:
        call(mt)
    if torch is None:
        return ours.value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            call(torch)
    assert isinstance(theirs.value, exc), f"torch raised {type(theirs.value)}"
    if same_message:
        assert str(ours.value) == str(theirs.value)
    return ours.value


def _spd(T, x):
    """A symmetric positive-definite matrix from any square x (differentiable)."""
    n = x.shape[-1]
    return x @ x.mT + n * T.eye(n, dtype=x.dtype, device=x.device)


def _sym(T, x):
    return x + x.mT


# ---------------------------------------------------------------------------- cholesky
@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 4, 4), (0, 2, 2)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(shape, upper):
    def ref(a):
        s = a @ a.swapaxes(-1, -2) + shape[-1] * np.eye(shape[-1])
        low = np.linalg.cholesky(s) if s.size else s
        return low.swapaxes(-1, -2) if upper else low
    check_op(lambda T, x: T.linalg.cholesky(_spd(T, x), upper=upper), [shape], ref=ref)
    check_op(lambda T, x: tuple(T.linalg.cholesky_ex(_spd(T, x), upper=upper)), [shape])


def test_cholesky_reads_one_triangle():
    a = np.array([[4.0, 100.0], [2.0, 3.0]])       # upper entry ignored for upper=False
    check_op(lambda T, x: T.linalg.cholesky(x), [a.shape], arrays=[a], grad=False,
             ref=lambda x: np.linalg.cholesky(np.tril(x) + np.tril(x, -1).T))
    check_op(lambda T, x: T.linalg.cholesky(x, upper=True), [a.shape], arrays=[a.T],
             grad=False, ref=lambda x: np.linalg.cholesky(np.tril(x.T) + np.tril(x.T, -1).T).T)


def test_old_cholesky_warns_and_names_its_node():
    x = mt.tensor(np.eye(3) * 4, requires_grad=True)
    with pytest.warns(UserWarning, match="torch.cholesky is deprecated"):
        low = mt.cholesky(x)
    assert low.grad_fn.name() == "CholeskyBackward0"
    with pytest.warns(UserWarning):
        up = x.cholesky(upper=True)
    np.testing.assert_allclose(up.detach().numpy(), 2 * np.eye(3))


def test_cholesky_not_positive_definite():
    err = both_raise(lambda T: T.linalg.cholesky(-T.eye(3)))
    assert isinstance(err, LinAlgError)
    two = np.stack([np.eye(3), np.diag([1.0, -1, 1])])
    both_raise(lambda T: T.linalg.cholesky(T.tensor(two)))
    both_raise(lambda T: T.linalg.cholesky_ex(-T.eye(2), check_errors=True))
    out = mt.linalg.cholesky_ex(mt.tensor(np.stack([np.eye(3), np.diag([1.0, 1, -1])])))
    assert type(out).__name__ == "linalg_cholesky_ex" and out.info.tolist() == [0, 3]
    assert out.info.dtype == mt.int32


@pytest.mark.parametrize("make,exc", [
    (lambda T: T.linalg.cholesky(T.ones(2, 3)), RuntimeError),
    (lambda T: T.linalg.cholesky(T.ones(3)), RuntimeError),
    (lambda T: T.linalg.cholesky(T.ones(3, 3, dtype=T.int64)), RuntimeError),
    (lambda T: T.linalg.cholesky(T.ones(3, 3, dtype=T.float16)), NotImplementedError),
])
def test_cholesky_errors(make, exc):
    both_raise(make, exc)


# ---------------------------------------------------------------------------- qr
@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 5), (2, 4, 2), (1, 1), (0, 3), (3, 0)])
@pytest.mark.parametrize("mode", ["reduced", "complete"])
def test_qr(shape, mode):
    def ref(a):
        if a.size == 0:
            return None
        return np.linalg.qr(a, mode=mode)
    grad = mode == "reduced" or shape[-2] <= shape[-1]
    grad = grad and 0 not in shape
    check_op(lambda T, x: tuple(T.linalg.qr(x, mode)), [shape], grad=grad,
             ref=None if 0 in shape else ref)


def test_qr_mode_r_and_old_qr():
    a = np.random.default_rng(0).standard_normal((4, 3))
    out = mt.linalg.qr(mt.tensor(a), mode="r")
    assert type(out).__name__ == "linalg_qr" and out.Q.shape == (0,)
    np.testing.assert_allclose(out.R.numpy(), np.linalg.qr(a, mode="r"), atol=1e-12)
    with pytest.warns(UserWarning, match="torch.qr is deprecated"):
        old = mt.qr(mt.tensor(a), some=False)
    assert type(old).__name__ == "qr" and old.Q.shape == (4, 4)
    with pytest.warns(UserWarning):
        q, r = mt.tensor(a).qr()
    np.testing.assert_allclose((q @ r).numpy(), a, atol=1e-12)


def test_qr_backward_refusals():
    x = mt.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match="not computed when mode='r'"):
        mt.linalg.qr(x, mode="r").R.sum().backward()
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete'"):
        mt.linalg.qr(x, mode="complete").Q.sum().backward()


@pytest.mark.parametrize("make,exc", [
    (lambda T: T.linalg.qr(T.ones(3, 3), "foo"), RuntimeError),
    (lambda T: T.linalg.qr(T.ones(3)), RuntimeError),
    (lambda T: T.linalg.qr(T.ones(3, 3, dtype=T.int64)), RuntimeError),
    (lambda T: T.linalg.qr(T.ones(3, 3, dtype=T.bfloat16)), NotImplementedError),
])
def test_qr_errors(make, exc):
    both_raise(make, exc)


# ---------------------------------------------------------------------------- svd
def _svd_invariants(T, x, full=False):
    u, s, vh = T.linalg.svd(x, full_matrices=full)
    k = s.shape[-1]
    u, vh = u[..., :, :k], vh[..., :k, :]
    return (u * s.unsqueeze(-2)) @ vh, s, (u * u).sum(-2), u @ u.mT, vh.mT @ vh


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (3, 3), (2, 4, 2), (1, 1)])
def test_svd_gauge_invariant_functions(shape):
    def ref(a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        return (u * s[..., None, :]) @ vh, s
    check_op(lambda T, x: _svd_invariants(T, x), [shape], ref=ref)
    check_op(lambda T, x: _svd_invariants(T, x, True), [shape])


def test_svd_shapes_types_and_zero_size():
    a = np.random.default_rng(0).standard_normal((2, 4, 3))
    out = mt.linalg.svd(mt.tensor(a))
    assert type(out).__name__ == "linalg_svd" and out._fields == ("U", "S", "Vh")
    assert out.U.shape == (2, 4, 4) and out.S.shape == (2, 3) and out.Vh.shape == (2, 3, 3)
    for shape in [(0, 3), (3, 0), (2, 0, 0)]:
        for full in (True, False):
            ours = mt.linalg.svd(mt.zeros(*shape), full_matrices=full)
            if torch is not None:
                theirs = torch.linalg.svd(torch.zeros(*shape), full_matrices=full)
                assert [tuple(t.shape) for t in ours] == [tuple(t.shape) for t in theirs]


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3), (0, 2)])
def test_svdvals(shape):
    ref = (lambda a: np.linalg.svd(a, compute_uv=False)) if 0 not in shape else None
    check_op(lambda T, x: T.linalg.svdvals(x), [shape], ref=ref, grad=0 not in shape)


def test_old_svd_returns_v():
    a = np.random.default_rng(1).standard_normal((4, 3))
    check_op(lambda T, x: (lambda r: ((r.U * r.S.unsqueeze(-2)) @ r.V.mT, r.S))(T.svd(x)),
             [a.shape], arrays=[a], ref=lambda x: (x, np.linalg.svd(x, compute_uv=False)))
    r = mt.tensor(a).svd(some=False)
    assert type(r).__name__ == "svd" and r.U.shape == (4, 4) and r.V.shape == (3, 3)
    r = mt.svd(mt.tensor(a, requires_grad=True), compute_uv=False)
    assert r.U.shape == (4, 4) and not r.U.numpy().any() and r.V.shape == (3, 3)
    assert r.S.grad_fn.name() == "LinalgSvdBackward0" and not r.U.requires_grad


def test_svd_errors():
    both_raise(lambda T: T.linalg.svd(T.ones(3)))
    both_raise(lambda T: T.linalg.svdvals(T.ones(3)))
    both_raise(lambda T: T.linalg.svd(T.ones(3, 3, dtype=T.int64)))
    both_raise(lambda T: T.linalg.svd(T.ones(3, 3, dtype=T.float16)), NotImplementedError)
    err = both_raise(lambda T: T.linalg.svd(T.full((3, 3), float("nan"))))
    assert isinstance(err, LinAlgError)


# ---------------------------------------------------------------------------- eigh
@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 4, 4), (0, 2, 2)])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh(shape, uplo):
    def ref(a):
        s = a + a.swapaxes(-1, -2)
        w, v = np.linalg.eigh(s) if s.size else (np.zeros(s.shape[:-1]), s)
        return w, v * v, (v * w[..., None, :]) @ v.swapaxes(-1, -2)

    def fn(T, x):
        w, v = T.linalg.eigh(_sym(T, x), uplo)
        return w, v * v, (v * w.unsqueeze(-2)) @ v.mT
    check_op(fn, [shape], ref=ref, grad=0 not in shape)
    check_op(lambda T, x: T.linalg.eigvalsh(_sym(T, x), UPLO=uplo), [shape],
             ref=lambda a: ref(a)[0], grad=0 not in shape)


def test_eigh_reads_one_triangle():
    a = np.array([[2.0, 7.0], [1.0, 3.0]])
    for uplo, s in (("L", np.array([[2.0, 1.0], [1.0, 3.0]])),
                    ("U", np.array([[2.0, 7.0], [7.0, 3.0]]))):
        out = mt.linalg.eigh(mt.tensor(a), UPLO=uplo)
        assert type(out).__name__ == "linalg_eigh"
        np.testing.assert_allclose(out.eigenvalues.numpy(), np.linalg.eigvalsh(s))


def test_eigh_errors():
    both_raise(lambda T: T.linalg.eigh(T.ones(2, 3)))
    both_raise(lambda T: T.linalg.eigh(T.ones(3, 3), "X"))
    both_raise(lambda T: T.linalg.eigh(T.ones(3, 3, dtype=T.int64)), NotImplementedError)
    both_raise(lambda T: T.linalg.eigvalsh(T.ones(3, 3, dtype=T.float16)), NotImplementedError)


# ---------------------------------------------------------------------------- eig
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1)])
def test_eig(shape):
    a = np.random.default_rng(2).standard_normal(shape)
    ours = mt.linalg.eig(mt.tensor(a))
    assert type(ours).__name__ == "linalg_eig" and ours.eigenvalues.dtype == mt.complex128
    w, v = ours.eigenvalues.numpy(), ours.eigenvectors.numpy()
    np.testing.assert_allclose(a.astype(complex) @ v, v * w[..., None, :], atol=1e-10)
    np.testing.assert_allclose(np.sort_complex(mt.linalg.eigvals(mt.tensor(a)).numpy()
                                               .reshape(-1)),
                               np.sort_complex(np.linalg.eigvals(a).reshape(-1)), atol=1e-10)
    f32 = mt.linalg.eigvals(mt.tensor(a, dtype=mt.float32))
    assert f32.dtype == mt.complex64


@requires_torch
def test_eig_matches_pytorch_with_gradients():
    a = np.random.default_rng(3).standard_normal((2, 3, 3))
    results = []
    for lib, conv in ((mt, to_mt), (torch, to_torch)):
        x = conv(a, True)
        w, v = lib.linalg.eig(x)
        loss = (w.abs() ** 2).sum() + (v.abs() ** 2 * w.abs().unsqueeze(-2)).sum()
        loss.backward()
        results.append((w.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], atol=1e-10)
    np.testing.assert_allclose(results[0][1], results[1][1], atol=1e-8)


def test_eig_errors():
    both_raise(lambda T: T.linalg.eig(T.ones(2, 3)))
    both_raise(lambda T: T.linalg.eig(T.ones(3, 3, dtype=T.int64)))
    both_raise(lambda T: T.linalg.eigvals(T.ones(3, 3, dtype=T.float16)), NotImplementedError)


# ---------------------------------------------------------------------------- complex
@requires_torch
def test_complex_decompositions_match_pytorch():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((2, 4, 3)) + 1j * rng.standard_normal((2, 4, 3))
    cases = [lambda T, x: T.linalg.cholesky(x.mH @ x),
             lambda T, x: T.linalg.qr(x)[0].abs() ** 2 + 0 * T.linalg.qr(x)[1].sum(),
             lambda T, x: T.linalg.qr(x)[1].abs(),
             lambda T, x: T.linalg.svdvals(x),
             lambda T, x: _svd_invariants(T, x)[0],
             lambda T, x: T.linalg.eigh(x.mH @ x)[1].abs() ** 2,
             lambda T, x: T.linalg.eigvalsh(x.mH @ x)]
    for case in cases:
        grads = []
        for lib, conv in ((mt, to_mt), (torch, to_torch)):
            x = conv(a, True)
            y = case(lib, x)
            (y.abs() ** 2).sum().backward()
            grads.append((y.detach().numpy(), x.grad.numpy()))
        np.testing.assert_allclose(grads[0][0], grads[1][0], atol=1e-10)
        np.testing.assert_allclose(grads[0][1], grads[1][1], atol=1e-8)
