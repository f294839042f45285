"""torch.fft (ops/fft.py): NumPy references, finite-difference gradients (PyTorch's complex
convention) and PyTorch differentials, through complex_util.check_complex."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from complex_util import check_complex, crandn, same_error
from op_harness import check_op, requires_torch, torch

C64, C128, F32, F64 = np.complex64, np.complex128, np.float32, np.float64
NORMS = [None, "backward", "ortho", "forward"]


def _np_norm(norm):
    return "backward" if norm is None else norm


# ====================================================================== 1-D transforms
@pytest.mark.parametrize("name", ["fft", "ifft"])
@pytest.mark.parametrize("dtype", [C128, F64, C64, F32])
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n,dim", [(None, -1), (None, 0), (3, -1), (7, 1), (1, 0)])
def test_c2c(name, dtype, norm, n, dim):
    a = crandn((4, 5), dtype, 0)
    tol = 1e-5 if dtype in (C64, F32) else 1e-9
    check_complex(lambda T, x: getattr(T.fft, name)(x, n, dim, norm), [a],
                  ref=lambda x: getattr(np.fft, name)(x, n, dim, _np_norm(norm)), atol=tol,
                  numeric=dtype in (C128, F64))


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n,dim", [(None, -1), (None, 0), (4, -1), (8, 1), (1, 1)])
@pytest.mark.parametrize("dtype", [F64, F32])
def test_rfft(norm, n, dim, dtype):
    a = crandn((3, 5), dtype, 1)
    tol = 1e-5 if dtype == F32 else 1e-9
    check_complex(lambda T, x: T.fft.rfft(x, n=n, dim=dim, norm=norm), [a],
                  ref=lambda x: np.fft.rfft(x, n, dim, _np_norm(norm)), atol=tol,
                  numeric=dtype == F64)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n,dim", [(None, -1), (None, 0), (4, -1), (5, -1), (9, 1), (2, 0)])
@pytest.mark.parametrize("dtype", [C128, F64, C64])
def test_irfft(norm, n, dim, dtype):
    a = crandn((3, 5), dtype, 2)
    tol = 1e-5 if dtype == C64 else 1e-9
    check_complex(lambda T, x: T.fft.irfft(x, n=n, dim=dim, norm=norm), [a],
                  ref=lambda x: np.fft.irfft(x, n, dim, _np_norm(norm)), atol=tol,
                  numeric=dtype != C64)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [None, 4, 5])
def test_hfft_ihfft(norm, n):
    a = crandn((2, 4), C128, 3)
    r = crandn((2, 5), F64, 4)
    check_complex(lambda T, x: T.fft.hfft(x, n=n, norm=norm), [a],
                  ref=lambda x: np.fft.hfft(x, n, -1, _np_norm(norm)), atol=1e-9)
    check_complex(lambda T, x: T.fft.ihfft(x, n=n, norm=norm), [r],
                  ref=lambda x: np.fft.ihfft(x, n, -1, _np_norm(norm)), atol=1e-9)


def test_integer_and_bool_inputs():
    for a in [np.arange(6, dtype=np.int64).reshape(2, 3), np.array([True, False, True])]:
        check_complex(lambda T, x: (T.fft.fft(x), T.fft.rfft(x), T.fft.ihfft(x)), [a],
                      ref=lambda x: (np.fft.fft(x), np.fft.rfft(x), np.fft.ihfft(x)),
                      atol=1e-5, grad=False)


# ====================================================================== n-D transforms
_ND = [(None, None), ((3, 4), None), ((-1, 6), None), ((5,), None), (None, (0,)),
       (None, (-1, 0)), ((2, 3), (0, 2))]


@pytest.mark.parametrize("name", ["fftn", "ifftn"])
@pytest.mark.parametrize("s,dim", _ND)
@pytest.mark.parametrize("dtype", [C128, F64])
def test_fftn(name, s, dim, dtype):
    a = crandn((2, 3, 4), dtype, 5)
    check_complex(lambda T, x: getattr(T.fft, name)(x, s=s, dim=dim, norm="ortho"), [a],
                  ref=lambda x: getattr(np.fft, name)(x, _np_s(x, s, dim),
                                                      _np_dim(x, s, dim), "ortho"),
                  atol=1e-9)


def _np_s(x, s, dim):
    if s is None:
        return None
    dims = dim if dim is not None else range(x.ndim - len(s), x.ndim)
    return [x.shape[d] if n == -1 else n for d, n in zip(dims, s)]


def _np_dim(x, s, dim):
    """numpy's axes (given explicitly: numpy 2 deprecates s without axes)."""
    if dim is not None:
        return dim
    return None if s is None else list(range(x.ndim - len(s), x.ndim))


@pytest.mark.parametrize("s,dim", _ND)
@pytest.mark.parametrize("norm", [None, "forward"])
def test_rfftn_irfftn(s, dim, norm):
    a = crandn((2, 3, 4), F64, 6)
    c = crandn((2, 3, 4), C128, 7)
    check_complex(lambda T, x: T.fft.rfftn(x, s=s, dim=dim, norm=norm), [a],
                  ref=lambda x: np.fft.rfftn(x, _np_s(x, s, dim), _np_dim(x, s, dim),
                                             _np_norm(norm)),
                  atol=1e-9)
    check_complex(lambda T, x: T.fft.irfftn(x, s=s, dim=dim, norm=norm), [c],
                  ref=lambda x: np.fft.irfftn(x, _np_s(x, s, dim), _np_dim(x, s, dim),
                                              _np_norm(norm)),
                  atol=1e-9)


@pytest.mark.parametrize("name", ["fft2", "ifft2", "rfft2", "irfft2"])
@pytest.mark.parametrize("dtype", [F32, C64, F64])
def test_2d(name, dtype):
    if name == "rfft2" and dtype == C64:
        pytest.skip("rfft2 takes real input")
    a = crandn((2, 3, 4), dtype, 8)
    tol = 1e-9 if dtype == F64 else 1e-5
    check_complex(lambda T, x: (getattr(T.fft, name)(x), getattr(T.fft, name)(x, s=(2, 6))),
                  [a], ref=lambda x: (getattr(np.fft, name)(x), getattr(np.fft, name)(x, (2, 6))),
                  atol=tol, numeric=dtype == F64)


@requires_torch
def test_result_dtypes_and_nodes():
    calls = {"fft": lambda T, x: T.fft.fft(x), "ifft": lambda T, x: T.fft.ifft(x),
             "rfft": lambda T, x: T.fft.rfft(x), "irfft": lambda T, x: T.fft.irfft(x),
             "hfft": lambda T, x: T.fft.hfft(x), "ihfft": lambda T, x: T.fft.ihfft(x),
             "fftn": lambda T, x: T.fft.fftn(x), "ifft2": lambda T, x: T.fft.ifft2(x),
             "irfftn": lambda T, x: T.fft.irfftn(x), "rfft2": lambda T, x: T.fft.rfft2(x)}
    for name, call in calls.items():
        for dtype in ["float32", "float64", "complex64", "complex128"]:
            if name in ("rfft", "ihfft", "rfft2") and dtype.startswith("complex"):
                continue
            outs = []
            for T in (mt, torch):
                x = T.ones(3, 4, dtype=getattr(T, dtype)).requires_grad_()
                y = call(T, x)
                outs.append((str(y.dtype), y.grad_fn.name(), y.is_conj()))
            assert outs[0] == outs[1], (name, dtype, outs)


def test_fft_roundtrips():
    x = mt.randn(3, 8, dtype=mt.float64)
    np.testing.assert_allclose(mt.fft.irfft(mt.fft.rfft(x), n=8).numpy(), x.numpy(), atol=1e-12)
    np.testing.assert_allclose(mt.fft.ifftn(mt.fft.fftn(x)).real.numpy(), x.numpy(),
                               atol=1e-12)


# ====================================================================== helpers
@pytest.mark.parametrize("n", [0, 1, 4, 5, -1, -2])
@pytest.mark.parametrize("d", [1.0, 0.3])
def test_fftfreq(n, d):
    for name in ["fftfreq", "rfftfreq"]:
        if n < 0 and name == "fftfreq":
            continue
        out = getattr(mt.fft, name)(n, d)
        ref = np.arange(int(n / 2) + 1) / (n * d) if n < 0 else \
            getattr(np.fft, name)(n, d) if n else \
            (np.zeros(0) if name == "fftfreq" else np.array([np.nan]))   # numpy: n > 0 only
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6)
        if torch is not None:
            th = getattr(torch.fft, name)(n, d)
            assert str(out.dtype) == str(th.dtype)
            np.testing.assert_array_equal(out.numpy(), th.numpy())
            th = getattr(torch.fft, name)(n, d, dtype=torch.float64, requires_grad=True)
            out = getattr(mt.fft, name)(n, d, dtype=mt.float64, requires_grad=True)
            assert out.requires_grad and str(out.dtype) == str(th.dtype)
            np.testing.assert_array_equal(out.detach().numpy(), th.detach().numpy())


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
@pytest.mark.parametrize("shape,dim", [((5,), None), ((4, 5), None), ((4, 5), 1),
                                       ((4, 5), (0, -1)), ((3, 0), 0), ((1, 6), -1)])
def test_shifts(name, shape, dim):
    check_op(lambda T, x: getattr(T.fft, name)(x, dim=dim), [shape],
             ref=lambda x: getattr(np.fft, name)(x, axes=dim))
    check_op(lambda T, x: getattr(T.fft, name)(x, dim), [shape], dtype=np.int64, grad=False)


# ====================================================================== bad input
def test_errors():
    x = lambda T: T.ones(4, 6)   # noqa: E731
    cases = [
        (lambda T: T.fft.fft(x(T), n=0), "(0)"),
        (lambda T: T.fft.fft(x(T), n=-1), "(-1)"),
        (lambda T: T.fft.fft(x(T), dim=2), "range"),
        (lambda T: T.fft.fft(x(T), dim=(0,)), "dim"),
        (lambda T: T.fft.fft(x(T), norm="bad"), "bad"),
        (lambda T: T.fft.fft(T.tensor(1.0)), "no dimensions"),
        (lambda T: T.fft.fft(T.ones(0)), "(0)"),
        (lambda T: T.fft.fft(x(T).half()), "Half"),
        (lambda T: T.fft.fft([1.0, 2.0]), "input"),
        (lambda T: T.fft.fft2(T.ones(3)), "range"),
        (lambda T: T.fft.fftn(x(T), s=(2,), dim=(0, 1)), "same length"),
        (lambda T: T.fft.fftn(x(T), dim=(0, 0)), "unique"),
        (lambda T: T.fft.fftn(x(T), s=(3, 4, 5)), "3 values"),
        (lambda T: T.fft.rfft(T.ones(3, dtype=T.complex64)), "real input"),
        (lambda T: T.fft.ihfft(T.ones(3, dtype=T.complex64)), "real input"),
        (lambda T: T.fft.irfft(T.ones(1, dtype=T.complex64)), "(0)"),
        (lambda T: T.fft.irfft(T.ones(0, dtype=T.complex64)), "(-2)"),
        (lambda T: T.fft.fftfreq(5.0), "'n'"),
        (lambda T: T.fft.fftfreq(-1), "negative"),
        (lambda T: T.fft.rfftfreq(-4), "negative"),
        (lambda T: T.fft.fftshift(T.tensor(1.0)), "shifts"),
    ]
    for call, text in cases:
        e = same_error(call)
        assert text in str(e), (text, e)
