"""ops/linalg_functions.py: inv, det, slogdet, solves, lstsq, pinv, matrix_rank (torch.linalg
and the old top-level names), through op_harness.check_op (NumPy reference, float64
gradcheck, PyTorch values and gradients) and PyTorch's errors for bad inputs.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.ops._linalg_common import LinAlgError
from op_harness import check_op, requires_torch, to_mt, to_torch, torch

RNG = np.random.default_rng(0)


def _noncontig(a):
    a = np.asarray(a)
    if a.ndim < 2:
        return a.copy()
    return np.ascontiguousarray(a.swapaxes(-1, -2)).swapaxes(-1, -2)


def well(shape, seed=0, dtype=np.float64):
    """Random (batches of) square matrices plus n * I: far from singular; non-contiguous."""
    a = np.random.default_rng(seed).uniform(-1, 1, size=shape)
    if shape[-1]:
        a = a + shape[-1] * np.eye(shape[-1])
    return _noncontig(a.astype(dtype))


def rand(shape, seed=1, dtype=np.float64):
    return _noncontig(np.random.default_rng(seed).uniform(-1, 1, size=shape).astype(dtype))


def both_raise(call, exc=RuntimeError, same_message=True):
    """`call(T)` raises the same exception class (and message) in minitorch_nn and torch."""
    with pytest.raises(exc) as ours:
        call(mt)
    if torch is None:
        return ours.value
    with pytest.raises(Exception) as theirs:
        call(torch)
    assert isinstance(theirs.value, exc), f"torch raised {type(theirs.value)}"
    if same_message:
        assert str(ours.value) == str(theirs.value)
    return ours.value


# ---------------------------------------------------------------------------- inverse
@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 4, 4), (0, 3, 3), (2, 0, 0)])
def test_inv(shape):
    check_op(lambda T, x: T.linalg.inv(x), [shape], arrays=[well(shape)], ref=np.linalg.inv)


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)])
def test_inv_ex_and_inverse(shape):
    def ref(a):
        return np.linalg.inv(a), np.zeros(a.shape[:-2], dtype=np.int32)
    check_op(lambda T, x: tuple(T.linalg.inv_ex(x)), [shape], arrays=[well(shape)], ref=ref)
    check_op(lambda T, x: T.inverse(x), [shape], arrays=[well(shape)], ref=np.linalg.inv)
    check_op(lambda T, x: x.inverse(), [shape], arrays=[well(shape)], ref=np.linalg.inv)


def test_inv_float32_and_grad_fn():
    x = mt.tensor(well((3, 3)), dtype=mt.float32, requires_grad=True)
    y = mt.linalg.inv(x)
    assert y.dtype == mt.float32 and y.grad_fn.name() == "LinalgInvExBackward0"
    np.testing.assert_allclose(y.detach().numpy() @ x.detach().numpy(), np.eye(3), atol=1e-5)


def test_inv_singular_raises_linalg_error():
    err = both_raise(lambda T: T.linalg.inv(T.zeros(3, 3, dtype=T.float64)))
    assert isinstance(err, LinAlgError)
    a = np.stack([np.eye(3), np.diag([1.0, 0.0, 1.0])])
    both_raise(lambda T: T.linalg.inv(T.tensor(a)))
    both_raise(lambda T: T.linalg.inv_ex(T.tensor(a), check_errors=True))


def test_inv_ex_reports_info():
    a = np.stack([np.eye(3), np.diag([1.0, 0.0, 1.0]), np.zeros((3, 3))])
    out = mt.linalg.inv_ex(mt.tensor(a))
    assert type(out).__name__ == "linalg_inv_ex" and out._fields == ("inverse", "info")
    assert out.info.dtype == mt.int32 and out.info.tolist() == [0, 2, 1]
    if torch is not None:
        assert torch.linalg.inv_ex(torch.tensor(a)).info.tolist() == out.info.tolist()
    np.testing.assert_allclose(out.inverse[0].numpy(), np.eye(3))


@pytest.mark.parametrize("make", [
    lambda T: T.linalg.inv(T.ones(2, 3)),                       # not square
    lambda T: T.linalg.inv(T.ones(3)),                          # 1-D
    lambda T: T.linalg.inv(T.ones(3, 3, dtype=T.int64)),        # integer
    lambda T: T.linalg.inv(T.ones(3, 3, dtype=T.float16)),      # low precision
    lambda T: T.inverse(T.ones(2, 3)),
])
def test_inv_errors(make):
    both_raise(make)


def test_inv_type_errors():
    both_raise(lambda T: T.linalg.inv([1.0]), TypeError)
    both_raise(lambda T: T.inverse([1.0]), TypeError)


# ---------------------------------------------------------------------------- determinants
@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (2, 4, 4), (0, 2, 2), (0, 0)])
def test_det(shape):
    grad = shape != (0, 0)     # the harness's gradcheck cannot size a 0-element input
    check_op(lambda T, x: T.linalg.det(x), [shape], ref=np.linalg.det, grad=grad)
    check_op(lambda T, x: T.det(x), [shape], ref=np.linalg.det, grad=grad)


def _cofactors(a):
    n = a.shape[-1]
    return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1))
                      for j in range(n)] for i in range(n)])


def test_det_gradient_at_singular_matrices():
    """The gradient of det is the cofactor matrix, also where A^-1 does not exist (PyTorch
    2.13 answers 0 at exactly singular matrices of rank n-1: we keep the true derivative)."""
    rank2 = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    rank1 = np.outer([1.0, 2.0, -1.0], [0.5, 1.0, 3.0])
    for a in (rank2, rank1, np.zeros((3, 3))):
        x = to_mt(a, True)
        assert mt.autograd.gradcheck(lambda t: t.det(), [x])
        x.det().backward()
        np.testing.assert_allclose(x.grad.numpy(), _cofactors(a), atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (0, 2, 2)])
def test_slogdet(shape):
    def ref(a):
        return np.linalg.slogdet(a)
    check_op(lambda T, x: tuple(T.linalg.slogdet(x)), [shape], ref=ref)
    check_op(lambda T, x: tuple(T.slogdet(x)), [shape], ref=ref)
    check_op(lambda T, x: tuple(x.slogdet()), [shape], ref=ref)


def test_slogdet_types():
    x = mt.tensor(well((3, 3)))
    out = mt.linalg.slogdet(x)
    assert type(out).__name__ == "linalg_slogdet" and out._fields == ("sign", "logabsdet")
    old = mt.slogdet(x)
    assert type(old).__name__ == "slogdet"
    zero = mt.linalg.slogdet(mt.zeros(2, 2))
    assert zero.sign.item() == 0 and zero.logabsdet.item() == -np.inf


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_logdet(shape):
    # some determinants negative: NaN, as PyTorch gives
    def ref(a):
        s, l = np.linalg.slogdet(a)
        return np.where(s < 0, np.nan, l)
    a = rand(shape, seed=3) + 2 * np.eye(shape[-1])
    check_op(lambda T, x: T.logdet(x), [shape], arrays=[a], ref=ref)
    check_op(lambda T, x: x.logdet(), [shape], arrays=[a], ref=ref)


def test_logdet_negative_is_nan():
    x = mt.tensor([[-1.0, 0.0], [0.0, 2.0]])
    assert np.isnan(mt.logdet(x).item())
    assert mt.logdet(mt.zeros(2, 2)).item() == -np.inf


@pytest.mark.parametrize("make,exc", [
    (lambda T: T.linalg.det(T.ones(2, 3)), RuntimeError),
    (lambda T: T.linalg.det(T.ones(3)), RuntimeError),
    (lambda T: T.linalg.det(T.ones(3, 3, dtype=T.int64)), RuntimeError),
    (lambda T: T.linalg.det(T.ones(3, 3, dtype=T.float16)), NotImplementedError),
    (lambda T: T.linalg.slogdet(T.ones(3, 3, dtype=T.int64)), RuntimeError),
    (lambda T: T.linalg.slogdet(T.ones(3, 3, dtype=T.bfloat16)), RuntimeError),
    (lambda T: T.linalg.slogdet(T.ones(2, 3)), RuntimeError),
    (lambda T: T.logdet(T.ones(3, 3, dtype=T.bool)), RuntimeError),
    (lambda T: T.logdet(T.ones(3, 3, dtype=T.float16)), RuntimeError),
])
def test_det_errors(make, exc):
    both_raise(make, exc)


# ---------------------------------------------------------------------------- solves
@pytest.mark.parametrize("a_shape,b_shape,left", [((3, 3), (3, 2), True),
                                                  ((2, 3, 3), (3,), True),
                                                  ((3, 3), (2, 4, 3), False)])
def test_solve_ex(a_shape, b_shape, left):
    def ref(a, b):
        x = np.linalg.solve(a, b[..., None])[..., 0] if b.ndim == 1 else \
            np.linalg.solve(a, b) if left else \
            np.linalg.solve(a.swapaxes(-1, -2), b.swapaxes(-1, -2)).swapaxes(-1, -2)
        return x, np.zeros(a.shape[:-2], np.int32)
    check_op(lambda T, A, B: tuple(T.linalg.solve_ex(A, B, left=left)), [a_shape, b_shape],
             arrays=[well(a_shape), rand(b_shape)], ref=ref if b_shape != (3,) else None)


def test_solve_singular():
    both_raise(lambda T: T.linalg.solve(T.zeros(3, 3), T.ones(3, 2)))
    both_raise(lambda T: T.linalg.solve(T.zeros(2, 3, 3), T.ones(3, 2)))
    both_raise(lambda T: T.linalg.solve_ex(T.zeros(3, 3), T.ones(3, 2), check_errors=True))
    out = mt.linalg.solve_ex(mt.zeros(3, 3), mt.ones(3, 2))
    assert type(out).__name__ == "linalg_solve_ex" and out.info.item() == 1


@pytest.mark.parametrize("make,exc", [
    (lambda T: T.linalg.solve(T.ones(3, 3, dtype=T.int64), T.ones(3, dtype=T.int64)),
     RuntimeError),
    (lambda T: T.linalg.solve(T.ones(3, 3, dtype=T.float16), T.ones(3, 2, dtype=T.float16)),
     NotImplementedError),
    (lambda T: T.linalg.solve(T.ones(3, 3), T.ones(2, 2)), RuntimeError),
])
def test_solve_errors(make, exc):
    both_raise(make, exc)


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unit", [False, True])
def test_solve_triangular(upper, left, unit):
    a_shape = (2, 3, 3)
    b_shape = (3, 2) if left else (2, 3)

    def ref(a, b):
        t = np.triu(a) if upper else np.tril(a)
        if unit:
            t = t * (1 - np.eye(3)) + np.eye(3)
        if left:
            return np.linalg.solve(t, b)
        return np.linalg.solve(t.swapaxes(-1, -2), b.swapaxes(-1, -2)).swapaxes(-1, -2)
    check_op(lambda T, A, B: T.linalg.solve_triangular(A, B, upper=upper, left=left,
                                                       unitriangular=unit),
             [a_shape, b_shape], arrays=[well(a_shape), rand(b_shape)], ref=ref)


def test_solve_triangular_zero_size_and_zero_diagonal():
    check_op(lambda T, A, B: T.linalg.solve_triangular(A, B, upper=True), [(0, 0), (0, 2)])
    t = mt.tensor([[1.0, 2.0], [0.0, 0.0]])
    out = mt.linalg.solve_triangular(t, mt.ones(2, 1), upper=True)   # no error: inf / nan
    assert not np.isfinite(out.numpy()).all()


@pytest.mark.parametrize("make,exc", [
    (lambda T: T.linalg.solve_triangular(T.ones(3, 3), T.ones(2, 3), upper=True),
     RuntimeError),
    (lambda T: T.linalg.solve_triangular(T.ones(3, 3), T.ones(3, 2), upper=True, left=False),
     RuntimeError),
    (lambda T: T.linalg.solve_triangular(T.ones(3, 3), T.ones(3), upper=True), RuntimeError),
    (lambda T: T.linalg.solve_triangular(T.ones(2, 3), T.ones(3, 2), upper=True),
     RuntimeError),
    (lambda T: T.linalg.solve_triangular(T.ones(3, 3, dtype=T.int64),
                                         T.ones(3, 3, dtype=T.int64), upper=True),
     NotImplementedError),
])
def test_solve_triangular_errors(make, exc):
    both_raise(make, exc)


def test_solve_triangular_needs_upper():
    both_raise(lambda T: T.linalg.solve_triangular(T.ones(3, 3), T.ones(3, 2)), TypeError,
               same_message=False)


# ---------------------------------------------------------------------------- pinv, rank
def _pinv_ref(rtol=None, hermitian=False):
    def ref(a):
        if rtol is None:
            return np.linalg.pinv(a, rcond=np.finfo(a.dtype).eps * max(a.shape[-2:]),
                                  hermitian=hermitian)
        return np.linalg.pinv(a, rcond=rtol, hermitian=hermitian)
    return ref


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3), (1, 1), (0, 3), (2, 0, 2)])
def test_pinv(shape):
    check_op(lambda T, x: T.linalg.pinv(x), [shape], ref=_pinv_ref())
    check_op(lambda T, x: T.pinverse(x), [shape], ref=_pinv_ref(1e-15))
    check_op(lambda T, x: x.pinverse(), [shape], ref=_pinv_ref(1e-15))


def test_pinv_hermitian_and_tolerances():
    def sym(T, x):
        return x + x.mT
    check_op(lambda T, x: T.linalg.pinv(sym(T, x), hermitian=True), [(2, 3, 3)],
             ref=lambda a: np.linalg.pinv(a + a.swapaxes(-1, -2), hermitian=True))
    # a tolerance that drops the smallest singular value: pinv of a rank-2 approximation (its
    # gradient, PyTorch's formula too, is that of the untruncated pinv: no gradcheck)
    a = rand((4, 3))
    s = np.linalg.svd(a, compute_uv=False)
    rtol = (s[1] + s[2]) / 2 / s[0]
    check_op(lambda T, x: T.linalg.pinv(x, rtol=rtol), [(4, 3)], arrays=[a],
             ref=_pinv_ref(rtol), grad=False)
    check_op(lambda T, x: T.linalg.pinv(x, atol=(s[1] + s[2]) / 2), [(4, 3)], arrays=[a],
             ref=_pinv_ref(rtol), grad=False)


@pytest.mark.parametrize("make", [
    lambda T: T.linalg.pinv(T.ones(3, 3, dtype=T.int64)),
    lambda T: T.linalg.pinv(T.ones(3)),
    lambda T: T.linalg.pinv(T.ones(3, 3, dtype=T.float16)),
])
def test_pinv_errors(make):
    both_raise(make)


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3), (0, 3)])
def test_matrix_rank(shape):
    a = rand(shape)
    if a.size:
        a[..., -1] = a[..., 0]          # rank deficient
    check_op(lambda T, x: T.linalg.matrix_rank(x), [shape], arrays=[a],
             ref=lambda x: np.linalg.matrix_rank(x) if x.size else
             np.zeros(x.shape[:-2], np.int64), grad=False)


def test_matrix_rank_tolerances_and_hermitian():
    a = np.diag([3.0, 1.0, 1e-3, 0.0])
    check_op(lambda T, x: T.linalg.matrix_rank(x, atol=0.01), [a.shape], arrays=[a],
             ref=lambda x: np.array(2), grad=False)
    check_op(lambda T, x: T.linalg.matrix_rank(x, rtol=0.1), [a.shape], arrays=[a],
             ref=lambda x: np.array(2), grad=False)
    check_op(lambda T, x: T.linalg.matrix_rank(x, hermitian=True), [a.shape], arrays=[-a],
             ref=lambda x: np.array(3), grad=False)


def test_matrix_rank_errors():
    both_raise(lambda T: T.linalg.matrix_rank(T.ones(3)))
    both_raise(lambda T: T.linalg.matrix_rank(T.ones(3, 3, dtype=T.int64)))


# ---------------------------------------------------------------------------- lstsq
def _lstsq_solution(a, b):
    if b.ndim == a.ndim - 1:
        return np.linalg.pinv(a) @ b[..., None][..., 0]
    return np.linalg.pinv(a) @ b


@pytest.mark.parametrize("a_shape,b_shape", [((5, 3), (5, 2)), ((3, 5), (3, 2)),
                                             ((2, 4, 3), (1, 4, 1)), ((2, 4, 3), (2, 4))])
@pytest.mark.parametrize("driver", [None, "gels", "gelsd", "gelss"])
def test_lstsq(a_shape, b_shape, driver):
    if driver == "gels" and a_shape[-2] < a_shape[-1]:
        pytest.skip("gels needs a full-rank tall matrix")

    def fn(T, A, B):
        out = T.linalg.lstsq(A, B, driver=driver)
        if driver is None:     # the default driver is the device's (CUDA: gels, no rank)
            return out.solution
        return out.solution, out.residuals, out.rank   # singular_values: no gradient
    check_op(fn, [a_shape, b_shape], grad_inputs=(0, 1))
    a, b = rand(a_shape, 1), rand(b_shape, 2)
    ours = mt.linalg.lstsq(mt.tensor(a), mt.tensor(b), driver=driver)
    if driver in ("gelsd", "gelss"):
        np.testing.assert_allclose(ours.singular_values.numpy(),
                                   np.linalg.svd(a, compute_uv=False), atol=1e-12)
    else:
        assert ours.singular_values.shape == (0,)
    expected = np.linalg.pinv(a) @ (b[..., None] if b.ndim == a.ndim - 1 else b)
    if b.ndim == a.ndim - 1:
        expected = expected[..., 0]
    np.testing.assert_allclose(ours.solution.numpy(), expected, atol=1e-10)
    assert type(ours).__name__ == "linalg_lstsq" and len(ours) == 4


def test_lstsq_default_driver_is_gelsy_on_the_cpu():
    out = mt.linalg.lstsq(mt.tensor(rand((5, 3))), mt.tensor(rand((5, 2))))
    assert out.residuals.shape == (0,) and out.rank.item() == 3
    assert out.singular_values.shape == (0,)


def test_lstsq_empty_right_hand_side():
    # (PyTorch 2.13's LAPACK call fails on it: no differential)
    out = mt.linalg.lstsq(mt.tensor(well((4, 4))), mt.zeros(4, 0, dtype=mt.float64))
    assert out.solution.shape == (4, 0)


def test_lstsq_rank_deficient():
    a = rand((5, 3))
    a[:, 2] = a[:, 1]
    check_op(lambda T, A, B: tuple(T.linalg.lstsq(A, B, driver="gelsd")), [(5, 3), (5, 2)],
             arrays=[a, rand((5, 2))], grad=False)


@pytest.mark.parametrize("make", [
    lambda T: T.linalg.lstsq(T.ones(3, 3), T.ones(2, 3)),
    lambda T: T.linalg.lstsq(T.ones(3, 3), T.ones(3, 3, dtype=T.float64)),
    lambda T: T.linalg.lstsq(T.ones(3, 3, dtype=T.int64), T.ones(3, 3, dtype=T.int64)),
    lambda T: T.linalg.lstsq(T.ones(3), T.ones(3)),
    lambda T: T.linalg.lstsq(T.ones(3, 3), T.ones(2, 2, 3, 3)),
    lambda T: T.linalg.lstsq(T.ones(3, 3), T.ones(3, 3), driver="foo"),
])
def test_lstsq_errors(make):
    both_raise(make)


# ---------------------------------------------------------------------------- complex
@requires_torch
def test_complex_values_and_gradients_match_pytorch():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((2, 3, 3)) + 1j * rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((2, 3, 2)) + 1j * rng.standard_normal((2, 3, 2))
    cases = [lambda T, x, y: T.linalg.inv(x),
             lambda T, x, y: T.linalg.det(x),
             lambda T, x, y: T.linalg.slogdet(x)[1],
             lambda T, x, y: T.linalg.slogdet(x)[0] - 1,
             lambda T, x, y: T.linalg.solve(x, y),
             lambda T, x, y: T.linalg.solve_triangular(x, y, upper=False),
             lambda T, x, y: T.linalg.pinv(y)]
    for case in cases:
        ours_in = [to_mt(a, True), to_mt(b, True)]
        theirs_in = [to_torch(a, True), to_torch(b, True)]
        ours = case(mt, *ours_in)
        theirs = case(torch, *theirs_in)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-10)
        (ours.abs() ** 2).sum().backward()
        (theirs.abs() ** 2).sum().backward()
        for o, t in zip(ours_in, theirs_in):
            if t.grad is None:
                assert o.grad is None
            else:
                np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), atol=1e-8)


def test_linalg_error_is_a_runtime_error_exported_by_torch_linalg():
    assert issubclass(LinAlgError, RuntimeError)
    assert mt.linalg.LinAlgError is LinAlgError
