"""torch.fft: discrete Fourier transforms (numpy.fft on the CPU, cupy.fft on the GPU, via xp).

Every transform is one of PyTorch's three primitives, so graph nodes and gradients are
PyTorch's: FftC2C (complex to complex), FftR2C (real to complex; `onesided` keeps the
n//2 + 1 non-redundant outputs of the last dim) and FftC2R (the Hermitian half to a real
signal). `norm` scales the forward transform by 1 ("backward"), 1/sqrt(n) ("ortho") or
1/n ("forward"). A transform's gradient is its adjoint: the opposite transform with the
dual norm; R2C pads the onesided gradient with zeros first, C2R doubles the bins whose
mirror images were dropped (PyTorch's convention). `n`/`s` zero-pad or trim the input
first, and the gradient is trimmed or padded back. float32 (and int/bool, promoted) give
complex64, float64 complex128; numpy.fft may compute wider, the result is cast back.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import linear_formula
from ..creation import tensor as _tensor
from ..tensor import Tensor, _wrap, _wrap_dim_of_shape
from ._util import check_tensor, xp_of
from .complex import conj
from .inplace import _legacy_name
from .registry import op

_NORMS = ("backward", "ortho", "forward")
_DUAL = {"backward": "forward", "ortho": "ortho", "forward": "backward"}
_COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64),
               np.dtype(np.float64): np.dtype(np.complex128)}
_REAL_OF = {c: r for r, c in _COMPLEX_OF.items()}


# ------------------------------------------------------------------ array helpers
def _resize(a, dims, sizes):
    """`a` zero-padded or trimmed (at the end) to `sizes` along `dims`."""
    xp = xp_of(a)
    index = [slice(None)] * a.ndim
    pad = [(0, 0)] * a.ndim
    for d, n in zip(dims, sizes):
        if n < a.shape[d]:
            index[d] = slice(0, n)
        elif n > a.shape[d]:
            pad[d] = (0, n - a.shape[d])
    a = a[tuple(index)]
    if any(p != (0, 0) for p in pad):
        a = xp.pad(a, pad)
    return a


def _fftn(a, dims, norm, inverse):
    xp = xp_of(a)
    fn = xp.fft.ifftn if inverse else xp.fft.fftn
    return fn(a, axes=dims, norm=norm)


# ------------------------------------------------------------------ the three primitives
class FftC2C(ArrayFunction):
    """Complex to complex; the gradient is the opposite transform with the dual norm."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, x, dims, sizes, norm, inverse):
        a = x._data
        ctx.meta = (a.shape, dims, norm, inverse)
        out = _fftn(_resize(a, dims, sizes), dims, norm, inverse)
        return _wrap(out.astype(a.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        shape, dims, norm, inverse = ctx.meta
        grad = _fftn(g, dims, _DUAL[norm], not inverse).astype(g.dtype, copy=False)
        return _resize(grad, dims, [shape[d] for d in dims]), None, None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        # backward is linear in g: its derivative is the transform itself (`_adjoint_redo`)
        shape, dims, norm, inverse = ctx.meta
        sizes = [g.shape[d] for d in dims]
        redo = _adjoint_redo(lambda t: FftC2C.apply(t, dims, sizes, norm, inverse), True)
        return linear_formula(ctx, g, redo), None, None, None, None


class FftR2C(ArrayFunction):
    """Real to complex (a forward transform); `onesided` keeps n//2 + 1 bins of the last dim.
    The gradient: the dropped bins as zeros, the inverse transform, its real part."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, x, dims, sizes, norm, onesided):
        a = x._data
        ctx.meta = (a.shape, a.dtype, dims, sizes, norm, onesided)
        r = _resize(a, dims, sizes)
        xp = xp_of(r)
        out = xp.fft.rfftn(r, axes=dims, norm=norm) if onesided else \
            xp.fft.fftn(r, axes=dims, norm=norm)
        return _wrap(out.astype(_COMPLEX_OF[a.dtype], copy=False))

    @staticmethod
    def backward(ctx, g):
        shape, dtype, dims, sizes, norm, onesided = ctx.meta
        if onesided:
            g = _resize(g, dims[-1:], sizes[-1:])   # the dropped bins: zero gradient
        grad = _fftn(g, dims, _DUAL[norm], True).real.astype(dtype, copy=False)
        return _resize(grad, dims, [shape[d] for d in dims]), None, None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        shape, dtype, dims, sizes, norm, onesided = ctx.meta
        redo = _adjoint_redo(lambda t: FftR2C.apply(t, dims, sizes, norm, onesided), False)
        return linear_formula(ctx, g, redo), None, None, None, None


class FftC2R(ArrayFunction):
    """The Hermitian half (last dim n//2 + 1) to a real signal of `sizes`, an inverse
    transform. The gradient: a onesided forward transform (dual norm) whose bins with a
    dropped mirror image count twice (PyTorch's fft_c2r_backward)."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, x, dims, sizes, norm):
        a = x._data
        half = list(sizes[:-1]) + [sizes[-1] // 2 + 1]
        ctx.meta = (a.shape, a.dtype, dims, norm)
        out = xp_of(a).fft.irfftn(_resize(a, dims, half), s=sizes, axes=dims, norm=norm)
        return _wrap(out.astype(_REAL_OF[a.dtype], copy=False))

    @staticmethod
    def backward(ctx, g):
        shape, dtype, dims, norm = ctx.meta
        gi = xp_of(g).fft.rfftn(g, axes=dims, norm=_DUAL[norm]).astype(dtype, copy=False)
        double = g.shape[dims[-1]] - gi.shape[dims[-1]]
        if double > 0:
            index = [slice(None)] * gi.ndim
            index[dims[-1]] = slice(1, 1 + double)
            gi[tuple(index)] *= 2
        return _resize(gi, dims, [shape[d] for d in dims]), None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        shape, dtype, dims, norm = ctx.meta
        sizes = [g.shape[d] for d in dims]
        redo = _adjoint_redo(lambda t: FftC2R.apply(t, dims, sizes, norm), True)
        return linear_formula(ctx, g, redo), None, None, None, None


def _adjoint_redo(transform, complex_grad: bool):
    """The `redo` of linear_formula for a transform: the derivative of its backward (a
    linear map of g) is the transform itself. A backward whose result is complex is a node
    the engine conjugates (conj(derivative(conj(gg)))), so the transform is given as
    conj(transform(conj(t))) there, to come out as transform(gg)."""
    if not complex_grad:
        return transform
    return lambda t: conj(transform(conj(t)))


# ------------------------------------------------------------------ argument checks
def _norm(norm) -> str:
    if norm is None:
        return "backward"
    if norm not in _NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _promoted(x: Tensor, fn: str, real_only: bool = False) -> Tensor:
    """`x` as float32/float64/complex: int and bool in the default float dtype; half refused."""
    check_tensor(x, "input", f"fft_{fn}")
    kind = x._data.dtype.kind
    if kind == "c":
        if real_only:
            raise RuntimeError(f"{fn} expects a real input tensor, but got "
                               f"{_legacy_name(x.dtype)}")
        return x
    if kind in "biu":
        return x.to(_dt.get_default_dtype())
    if x._data.dtype not in _COMPLEX_OF:
        raise RuntimeError(f"Unsupported dtype {_legacy_name(x.dtype)}")
    return x


def _as_complex(x: Tensor) -> Tensor:
    if x._data.dtype.kind == "c":
        return x
    return x.to(_dt.complex128 if x._data.dtype == np.float64 else _dt.complex64)


def _check_points(n: int) -> None:
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _one_dim(x: Tensor, n, dim, fn: str):
    """(dims, sizes) of a 1-D transform along `dim` with `n` points (None: the input's)."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"fft_{fn}(): argument 'dim' must be int, not {type(dim).__name__}")
    d = _wrap_dim_of_shape(dim, x._data.ndim)
    size = x._data.shape[d] if n is None else n
    if n is not None and not isinstance(n, (int, np.integer)):
        raise TypeError(f"fft_{fn}(): argument 'n' must be int, not {type(n).__name__}")
    return [d], [size]


def _n_dims(x: Tensor, s, dim, default_dim=None):
    """(dims, sizes) of an n-D transform: PyTorch's rules for `s` and `dim`."""
    ndim = x._data.ndim
    if dim is None and default_dim is not None and s is None:
        dim = default_dim
    if isinstance(dim, (int, np.integer)):
        dim = (dim,)
    if s is not None:
        s = [s] if isinstance(s, (int, np.integer)) else list(s)
        if dim is not None and len(dim) != len(s):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        if len(s) > ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                               f"{ndim} dimensions.")
        if dim is None:
            dim = default_dim if default_dim is not None else range(ndim - len(s), ndim)
    dims = list(range(ndim)) if dim is None else [_wrap_dim_of_shape(d, ndim) for d in dim]
    if len(set(dims)) != len(dims):
        raise RuntimeError("FFT dims must be unique")
    if s is None:
        sizes = [x._data.shape[d] for d in dims]
    else:
        sizes = [x._data.shape[d] if n == -1 else n for d, n in zip(dims, s)]
    return dims, sizes


# ------------------------------------------------------------------ transforms
def _c2c(x: Tensor, dims, sizes, norm, inverse: bool, one_dim: bool = False) -> Tensor:
    for n in sizes:
        _check_points(n)
    if x._data.dtype.kind != "c" and not one_dim:   # PyTorch: fftn of a real input is C2C
        x = _as_complex(x)
    if x._data.dtype.kind != "c":
        # a real 1-D signal: the full R2C; its inverse is conj(R2C) with the dual norm
        if inverse:
            return conj(FftR2C.apply(x, dims, sizes, _DUAL[norm], False))
        return FftR2C.apply(x, dims, sizes, norm, False)
    return FftC2C.apply(x, dims, sizes, norm, inverse)


def _r2c(x: Tensor, dims, sizes, norm) -> Tensor:
    for n in sizes:
        _check_points(n)
    return FftR2C.apply(x, dims, sizes, norm, True)


def _c2r(x: Tensor, dims, sizes, last_given: bool, norm) -> Tensor:
    """irfft-style: the last dim's output size is given, or 2 * (input size - 1)."""
    sizes = list(sizes)
    if not last_given:
        sizes[-1] = 2 * (x._data.shape[dims[-1]] - 1)
    for n in sizes:
        _check_points(n)
    return FftC2R.apply(_as_complex(x), dims, sizes, norm)


@op("fft", namespace="fft")
def fft(input: Tensor, n=None, dim: int = -1, norm=None) -> Tensor:
    """The 1-D discrete Fourier transform along `dim` (n: zero-pad or trim to n points)."""
    x = _promoted(input, "fft")
    dims, sizes = _one_dim(x, n, dim, "fft")
    return _c2c(x, dims, sizes, _norm(norm), False, True)


@op("ifft", namespace="fft")
def ifft(input: Tensor, n=None, dim: int = -1, norm=None) -> Tensor:
    """The 1-D inverse discrete Fourier transform along `dim`."""
    x = _promoted(input, "ifft")
    dims, sizes = _one_dim(x, n, dim, "ifft")
    return _c2c(x, dims, sizes, _norm(norm), True, True)


@op("rfft", namespace="fft")
def rfft(input: Tensor, n=None, dim: int = -1, norm=None) -> Tensor:
    """The FFT of a real signal: the n//2 + 1 non-negative frequencies."""
    x = _promoted(input, "rfft", real_only=True)
    dims, sizes = _one_dim(x, n, dim, "rfft")
    return _r2c(x, dims, sizes, _norm(norm))


@op("irfft", namespace="fft")
def irfft(input: Tensor, n=None, dim: int = -1, norm=None) -> Tensor:
    """The inverse of rfft: a real signal of n points (default 2 * (size - 1))."""
    x = _promoted(input, "irfft")
    dims, sizes = _one_dim(x, n, dim, "irfft")
    return _c2r(x, dims, sizes, n is not None, _norm(norm))


@op("hfft", namespace="fft")
def hfft(input: Tensor, n=None, dim: int = -1, norm=None) -> Tensor:
    """The FFT of a Hermitian-symmetric signal given by its first half: a real spectrum
    (irfft of the conjugate, with the forward transform's scaling)."""
    x = _promoted(input, "hfft")
    dims, sizes = _one_dim(x, n, dim, "hfft")
    return _c2r(conj(_as_complex(x)), dims, sizes, n is not None, _DUAL[_norm(norm)])


@op("ihfft", namespace="fft")
def ihfft(input: Tensor, n=None, dim: int = -1, norm=None) -> Tensor:
    """The inverse of hfft: the first half of the (Hermitian) inverse FFT of a real signal."""
    x = _promoted(input, "ihfft", real_only=True)
    dims, sizes = _one_dim(x, n, dim, "ihfft")
    return conj(_r2c(x, dims, sizes, _DUAL[_norm(norm)]))


@op("fftn", namespace="fft")
def fftn(input: Tensor, s=None, dim=None, norm=None) -> Tensor:
    """The n-D FFT over `dim` (default: all dims, or the last len(s) dims)."""
    x = _promoted(input, "fftn")
    dims, sizes = _n_dims(x, s, dim)
    return _c2c(x, dims, sizes, _norm(norm), False)


@op("ifftn", namespace="fft")
def ifftn(input: Tensor, s=None, dim=None, norm=None) -> Tensor:
    """The n-D inverse FFT over `dim`."""
    x = _promoted(input, "ifftn")
    dims, sizes = _n_dims(x, s, dim)
    return _c2c(x, dims, sizes, _norm(norm), True)


@op("rfftn", namespace="fft")
def rfftn(input: Tensor, s=None, dim=None, norm=None) -> Tensor:
    """The n-D FFT of a real signal; the last transformed dim keeps n//2 + 1 bins."""
    x = _promoted(input, "rfftn", real_only=True)
    dims, sizes = _n_dims(x, s, dim)
    return _r2c(x, dims, sizes, _norm(norm))


@op("irfftn", namespace="fft")
def irfftn(input: Tensor, s=None, dim=None, norm=None) -> Tensor:
    """The inverse of rfftn: a real signal (last dim 2 * (size - 1) unless `s` says)."""
    x = _promoted(input, "irfftn")
    dims, sizes = _n_dims(x, s, dim)
    return _c2r(x, dims, sizes, s is not None, _norm(norm))


@op("fft2", namespace="fft")
def fft2(input: Tensor, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """The 2-D FFT over the last two dims (or `dim`)."""
    return fftn(input, s, dim, norm)


@op("ifft2", namespace="fft")
def ifft2(input: Tensor, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """The 2-D inverse FFT over the last two dims (or `dim`)."""
    return ifftn(input, s, dim, norm)


@op("rfft2", namespace="fft")
def rfft2(input: Tensor, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """The 2-D FFT of a real signal (onesided in the last dim)."""
    return rfftn(input, s, dim, norm)


@op("irfft2", namespace="fft")
def irfft2(input: Tensor, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """The inverse of rfft2."""
    return irfftn(input, s, dim, norm)


# ------------------------------------------------------------------ helpers
def _check_n(n, fn: str) -> None:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"fft_{fn}(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")


def _check_size(size: int) -> None:
    if size < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {size}: [{size}]")


def _freq_tensor(values, n: int, d: float, dtype, device, requires_grad: bool) -> Tensor:
    dt = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    if dt.kind < 2:
        raise RuntimeError(f"fftfreq/rfftfreq need a floating point dtype, got {dt}")
    # PyTorch: arange in the result dtype times 1 / (n * d), that scalar in the same dtype
    scale = 1.0 / (n * d) if n * d else np.inf
    with np.errstate(invalid="ignore"):   # rfftfreq(0): 0 * inf = nan, as PyTorch
        arr = values.astype(dt.np) * dt.np.type(scale)
    out = _tensor(arr, dtype=dt, device=device)
    return out.requires_grad_(True) if requires_grad else out


@op("fftfreq", namespace="fft")
def fftfreq(n: int, d: float = 1.0, *, dtype=None, layout=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """The sample frequencies of an n-point FFT: [0, 1, ..., -(n//2), ..., -1] / (n d)."""
    _check_n(n, "fftfreq")
    _check_size(n)
    values = np.concatenate([np.arange((n + 1) // 2), np.arange(-(n // 2), 0)])
    return _freq_tensor(values, n, d, dtype, device, requires_grad)


@op("rfftfreq", namespace="fft")
def rfftfreq(n: int, d: float = 1.0, *, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """The non-negative sample frequencies of rfft: [0, 1, ..., n//2] / (n d)."""
    _check_n(n, "rfftfreq")
    size = int(n / 2) + 1   # C's division, as PyTorch: rfftfreq(-1) has one element
    _check_size(size)
    return _freq_tensor(np.arange(size), n, d, dtype, device, requires_grad)


def _shift(input: Tensor, dim, fn: str, inverse: bool) -> Tensor:
    check_tensor(input, "input", f"fft_{fn}")
    ndim = input._data.ndim
    if dim is None:
        dims = list(range(ndim))
    elif isinstance(dim, (int, np.integer)):
        dims = [_wrap_dim_of_shape(dim, ndim)]
    else:
        dims = [_wrap_dim_of_shape(d, ndim) for d in dim]
    if not dims:
        raise RuntimeError("`shifts` required")
    shape = input._data.shape
    shifts = [(shape[d] + 1) // 2 if inverse else shape[d] // 2 for d in dims]
    return input.roll(shifts, dims)


@op("fftshift", namespace="fft")
def fftshift(input: Tensor, dim=None) -> Tensor:
    """Roll the zero frequency to the centre of `dim` (default: all dims)."""
    return _shift(input, dim, "fftshift", False)


@op("ifftshift", namespace="fft")
def ifftshift(input: Tensor, dim=None) -> Tensor:
    """The inverse of fftshift."""
    return _shift(input, dim, "ifftshift", True)
