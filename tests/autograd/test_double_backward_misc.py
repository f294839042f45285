"""Second and third derivatives against PyTorch (tests/autograd/double_backward.py) of the
remaining ops: the FFT primitives (C2C, R2C, C2R), cummax/cummin, logcumsumexp, the
torch.special functions, fmod/remainder, block_diag, max_unpool and quantile; and the ops
PyTorch cannot differentiate twice (pdist, floor_divide, remainder(number, tensor),
nn.CrossMapLRN2d), which raise in both libraries."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from double_backward import check_double_backward

rng = np.random.default_rng(1416)


def _u(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, shape)


def _vr(T, z):
    """A complex result as real numbers (the harness differentiates real outputs)."""
    return T.view_as_real(z.resolve_conj())


# ------------------------------------------------------------------ fft
def _cplx(T, x, y):
    return T.complex(x, y)


FFT_CASES = {   # name: (fn, third)
    "fft_c2c": (lambda T, x, y: _vr(T, T.fft.fft(_cplx(T, x, y))) ** 2, True),
    "ifft_c2c_n_ortho": (lambda T, x, y: _vr(T, T.fft.ifft(_cplx(T, x, y), n=6,
                                                           norm="ortho")) ** 2, False),
    "fftn_trim_forward": (lambda T, x, y: _vr(T, T.fft.fftn(_cplx(T, x, y), s=(2, 3),
                                                            norm="forward")) ** 2, True),
    "ifft2_dim0": (lambda T, x, y: _vr(T, T.fft.ifftn(_cplx(T, x, y), dim=0)) * x[:, :, None],
                   False),
    "fft_real_r2c_full": (lambda T, x, y: _vr(T, T.fft.fft(x * y)) ** 2, True),
    "ifft_real_n": (lambda T, x, y: _vr(T, T.fft.ifft(x * y, n=5)) ** 2, False),
    "rfft": (lambda T, x, y: _vr(T, T.fft.rfft(x * y)) ** 2, True),
    "rfft_dim0_n": (lambda T, x, y: _vr(T, T.fft.rfft(x * y, n=2, dim=0)) ** 2, False),
    "rfft2_ortho": (lambda T, x, y: _vr(T, T.fft.rfft2(x * y, norm="ortho")) ** 2, False),
    "ihfft": (lambda T, x, y: _vr(T, T.fft.ihfft(x * y)) ** 2, True),
    "irfft": (lambda T, x, y: T.fft.irfft(_cplx(T, x, y)) ** 2, True),
    "irfft_odd_n_forward": (lambda T, x, y: T.fft.irfft(_cplx(T, x, y), n=7,
                                                        norm="forward") ** 2, False),
    "irfftn_s": (lambda T, x, y: T.fft.irfftn(_cplx(T, x, y), s=(4, 5)) ** 2, True),
    "hfft": (lambda T, x, y: T.fft.hfft(_cplx(T, x, y)) * x.sum(), False),
    "irfft_linear": (lambda T, x, y: T.fft.irfft(_cplx(T, x, y), norm="ortho"), False),
}


@pytest.mark.parametrize("name", list(FFT_CASES))
def test_fft(name):
    fn, third = FFT_CASES[name]
    check_double_backward(fn, _u(3, 4), _u(3, 4), third=third)


# ------------------------------------------------------------------ scans
@pytest.mark.parametrize("fn", ["cummax", "cummin"])
@pytest.mark.parametrize("shape, dim", [((3, 4), 1), ((3, 4), 0), ((5,), 0), ((2, 3, 2), -1)])
def test_cummax_cummin(fn, shape, dim):
    check_double_backward(lambda T, x: getattr(T, fn)(x, dim)[0] ** 2, _u(*shape),
                          third=dim == 1)


@pytest.mark.parametrize("fn", ["cummax", "cummin"])
def test_cummax_cummin_ties_and_0d(fn):
    x = np.array([[1.0, 3.0, 3.0, 2.0], [0.5, 0.5, -1.0, -1.0]])   # ties: the later index
    check_double_backward(lambda T, t: getattr(T, fn)(t, 1).values * t, x, gradgrad=False)
    check_double_backward(lambda T, t: getattr(T, fn)(t.sum(), 0)[0] ** 2, _u(2, 3))


@pytest.mark.parametrize("shape, dim", [((3, 4), 1), ((3, 4), 0), ((5,), -1), ((), 0)])
def test_logcumsumexp(shape, dim):
    check_double_backward(lambda T, x: T.logcumsumexp(x, dim) ** 2, _u(*shape, lo=-2, hi=2),
                          third=True)


def test_logcumsumexp_complex():
    check_double_backward(lambda T, x, y: _vr(T, T.logcumsumexp(T.complex(x, y), 1)),
                          _u(3, 4), _u(3, 4), third=True)


# ------------------------------------------------------------------ torch.special
SPECIAL = {   # name: inputs
    "erfcx": _u(3, 4, lo=-2, hi=2),
    "i0e": _u(3, 4, lo=-3, hi=3),
    "i1e": _u(3, 4, lo=-3, hi=3),
    "ndtr": _u(3, 4, lo=-3, hi=3),
    "ndtri": _u(3, 4, lo=0.05, hi=0.95),
    "log_ndtr": _u(3, 4, lo=-4, hi=3),
    "entr": _u(3, 4, lo=0.1, hi=2),
}


@pytest.mark.parametrize("name", list(SPECIAL))
def test_special_unary(name):
    check_double_backward(lambda T, x: getattr(T.special, name)(x), SPECIAL[name], third=True)


def test_special_i1e_at_zero():
    """PyTorch's i1e_backward: slope 1/2 where |x| <= eps."""
    check_double_backward(lambda T, x: T.special.i1e(x), np.array([0.0, 1e-17, -0.5, 1.5]),
                          third=True)


@pytest.mark.parametrize("xs, ys", [((3, 4), (3, 4)), ((1, 4), (3, 4)), ((3, 4), (4,))])
def test_special_xlog1py(xs, ys):
    check_double_backward(lambda T, x, y: T.special.xlog1py(x, y), _u(*xs, lo=-2, hi=2),
                          _u(*ys, lo=-0.5, hi=2), third=True)


def test_special_xlog1py_numbers_and_mask():
    check_double_backward(lambda T, x: T.special.xlog1py(x, 0.7), _u(3, 4), third=True)
    check_double_backward(lambda T, y: T.special.xlog1py(1.5, y), _u(3, 4, lo=-0.5, hi=2),
                          third=True)
    # x == 0 where y <= -1: the input's gradient is masked to 0 (log1p(y) is nan there)
    x, y = np.array([0.0, 0.5, 0.0]), np.array([-1.5, 0.3, 0.2])
    check_double_backward(lambda T, a, b: T.special.xlog1py(a, b), x, y, gradgrad=False)


def test_special_zeta():
    q = _u(3, 4, lo=0.3, hi=2)
    check_double_backward(lambda T, x, t: T.special.zeta(x, t), _u(3, 4, lo=1.5, hi=4), q,
                          no_grad=(0,), third=True)
    check_double_backward(lambda T, t: T.special.zeta(3.0, t), q, third=True)


# ------------------------------------------------------------------ fmod / remainder
def _signed(*shape):
    return _u(*shape, lo=0.4, hi=1.3) * np.where(rng.uniform(size=shape) < 0.5, -1, 1)


@pytest.mark.parametrize("fn", ["fmod", "remainder"])
@pytest.mark.parametrize("xs, ys", [((3, 4), (3, 4)), ((3, 1), (3, 4)), ((3, 4), (4,))])
def test_fmod_remainder_tensor(fn, xs, ys):
    check_double_backward(lambda T, x, y: getattr(T, fn)(x, y) * (x + y),
                          _u(*xs, lo=-3, hi=3), _signed(*ys), third=True)


@pytest.mark.parametrize("fn", ["fmod", "remainder"])
def test_fmod_remainder_one_side(fn):
    x, y = _u(3, 4, lo=-3, hi=3), _signed(3, 4)
    check_double_backward(lambda T, a: getattr(T, fn)(a, -0.7) ** 2, x, third=True)
    check_double_backward(lambda T, a, b: getattr(T, fn)(a, b) ** 2, x, y, no_grad=(0,))
    check_double_backward(lambda T, a, b: getattr(T, fn)(a, b) ** 2, x, y, no_grad=(1,))
    check_double_backward(lambda T, a, b: a % b * b, x, y)


# ------------------------------------------------------------------ block_diag, max_unpool
def test_block_diag():
    check_double_backward(lambda T, a, b, c: T.block_diag(a, b, c) ** 2, _u(2, 3), _u(3),
                          np.array(0.7), third=True)
    check_double_backward(lambda T, a: T.block_diag(a) * 3, _u(2, 2))


UNPOOL = {   # name: (fn, input, indices)
    "1d": (lambda T, x, i: T.nn.functional.max_unpool1d(x, i, 2), _u(1, 2, 3),
           np.array([[[0, 3, 5], [1, 2, 4]]])),
    "2d": (lambda T, x, i: T.nn.functional.max_unpool2d(x, i, 2), _u(2, 2, 2, 2),
           np.array([[[[0, 3], [10, 13]], [[5, 6], [8, 15]]]] * 2)),
    "3d": (lambda T, x, i: T.nn.functional.max_unpool3d(x, i, (2, 2, 1)), _u(1, 1, 2, 2, 1),
           np.array([[[[[0], [5]], [[9], [14]]]]])),
}


@pytest.mark.parametrize("name", list(UNPOOL))
def test_max_unpool(name):
    fn, x, idx = UNPOOL[name]
    check_double_backward(lambda T, t: fn(T, t, T.tensor(idx)) ** 2, x, third=True)


def test_max_unpool_duplicate_index():
    """A position named twice: the forward keeps one value, both gradients gather there
    (not the exact derivative, so no finite differences), and the second derivative is a
    scatter-add, as PyTorch's."""
    idx = np.array([[[[0, 0], [10, 13]], [[5, 6], [8, 15]]]])
    check_double_backward(lambda T, t: T.nn.functional.max_unpool2d(t, T.tensor(idx), 2) ** 2,
                          _u(1, 2, 2, 2), gradgrad=False, third=True)


# ------------------------------------------------------------------ quantile
Q = np.array([0.1, 0.35, 0.9])


@pytest.mark.parametrize("dim, keepdim", [(None, False), (None, True), (1, False), (0, True),
                                          (-1, True)])
@pytest.mark.parametrize("q", [Q, np.array(0.3)])
def test_quantile(dim, keepdim, q):
    check_double_backward(lambda T, x, t: T.quantile(x, t, dim=dim, keepdim=keepdim) ** 2,
                          _u(3, 5), q, third=dim == 1)


@pytest.mark.parametrize("interpolation", ["lower", "higher", "midpoint", "nearest"])
def test_quantile_interpolation(interpolation):
    check_double_backward(lambda T, x, t: T.quantile(x, t, dim=1,
                                                     interpolation=interpolation) ** 2,
                          _u(3, 5), Q)


def test_quantile_number_q_and_nan():
    x = _u(3, 5)
    check_double_backward(lambda T, t: T.quantile(t, 0.4, dim=0) ** 2, x, third=True)
    x[1, 2] = np.nan
    check_double_backward(lambda T, t, q: T.nanquantile(t, q, dim=1), x, Q, third=True)
    # a NaN row: PyTorch's d/dgrad of q's gradient is 0 * nan there; ours too (no FD check)
    check_double_backward(lambda T, t, q: T.quantile(t, q, dim=1), x, Q, gradgrad=False)


# ------------------------------------------------------------------ no double backward
def _raise_twice(make, x, match):
    torch = pytest.importorskip("torch")
    for T in (mt, torch):
        xt = T.tensor(x, requires_grad=True)
        (g,) = T.autograd.grad(make(T, xt).sum(), xt, create_graph=True)
        with pytest.raises(RuntimeError, match=match):
            g.sum().backward()


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
def test_pdist_has_no_double_backward(p):
    """PyTorch has no derivative for _pdist_backward: the second derivative raises."""
    _raise_twice(lambda T, t: T.nn.functional.pdist(t, p), _u(3, 4),
                 "derivative for .*not implemented")


@pytest.mark.parametrize("make", [lambda T, x: T.floor_divide(x, x.detach() + 2),
                                  lambda T, x: T.remainder(2.5, x)])
def test_floor_divide_and_number_remainder_have_no_derivative(make):
    """No first derivative in PyTorch, so create_graph raises at once in both."""
    torch = pytest.importorskip("torch")
    for T in (mt, torch):
        xt = T.tensor(_u(3, 4, lo=0.5, hi=2), requires_grad=True)
        with pytest.raises(RuntimeError, match="derivative for aten::.* is not implemented"):
            T.autograd.grad(make(T, xt).sum(), xt, create_graph=True)


def test_cross_map_lrn2d_cannot_be_differentiated_twice():
    """PyTorch's legacy Function computes its backward with out= ops: create_graph=True raises
    at once, with the same error here."""
    torch = pytest.importorskip("torch")
    x = _u(1, 3, 2, 2, lo=0.1, hi=1)
    for T in (mt, torch):
        xt = T.tensor(x, requires_grad=True)
        with pytest.raises(RuntimeError, match=r"mul\(\): functions with out=\.\.\. arguments "
                                               "don't support automatic differentiation"):
            T.autograd.grad(T.nn.CrossMapLRN2d(3)(xt).sum(), xt, create_graph=True)


@pytest.mark.parametrize("size, align", [((2, 1, 3, 4), False), ((2, 1, 2, 3, 2), True)])
def test_affine_grid(size, align):
    """affine_grid is linear in theta: its formula is the same products, recorded."""
    theta = np.random.default_rng(0).normal(size=(2, len(size) - 2, len(size) - 1))
    check_double_backward(lambda T, t: T.nn.functional.affine_grid(t, size, align_corners=align)
                          ** 2, theta, third=True)
