"""Vectorizable math for float32 kernels: exp, erfc, the normal cdf/pdf, log1p, row max.

Numba compiles `math.exp` to a call into the C library, one element at a time; LLVM cannot
turn such calls into SIMD instructions (that needs Intel's SVML, which is not available here).
For float32 the functions below use only arithmetic, `floor` and a bit cast, so loops that call
them vectorize (AVX2/AVX-512), as PyTorch's Sleef-based kernels do. float64 keeps the C library
(full double precision): `exp_fast(x)` picks the implementation from the argument's type when
the kernel is compiled.

- exp: Cephes' expf: x = n ln2 + r, |r| <= ln2/2, a degree-6 polynomial for e^r, and 2^n built
  from its exponent bits. Max relative error ~2e-7; exp(-inf) = 0, exp(nan) = nan, overflow
  gives inf, results below ~1.2e-38 flush to 0.
- erfc: Numerical Recipes' erfcc (fractional error < 1.2e-7 everywhere), built on exp.
- normal_cdf_pdf (gelu): Phi(-|x|) = e^{-x^2/2} P(|x|) / Q(|x|), a rational fit of degree 4/5,
  with x^2 split exactly by an FMA and a degree-5 exp for x <= 0: relative error < 1e-6 in
  both tails (no 1 + erf cancellation), one exp and one division, shared by gelu's backward.
- log1p (softplus): exponent and mantissa from the bits, a degree-6 polynomial for the
  logarithm of the mantissa, and the rounding of 1 + x added back: relative error < 3e-7.
- row_max: max of a 1-D array, compiled with no-NaN fast-math so it becomes a SIMD reduction
  (a NaN in the row still ends as a NaN result once the caller computes exp(x - max)).

Use them from kernels compiled with error_model="numpy" (a float division by zero must give
inf, not raise: a function that may raise is not inlined and its loop not vectorized), and
loop over unsigned indices (`range(np.uint64(n))`) so Numba emits no negative-index checks.
Caveat for development: Numba's cache of a kernel module does not notice edits to this file;
clear kernels/cpu/__pycache__ after changing it.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core.errors import NumbaIRAssumptionWarning
from numba.extending import intrinsic, overload

# A kernel that inlines exp_fast or tanh_fast more than once per loop (the LSTM gates, the
# cross-entropy rows) makes Numba's pedantic SSA check report variables of the inlined copies
# as "not in scope" and ask for a bug report, on the first (uncached) compilation. The compiled
# kernels are right (their tests check them against NumPy and PyTorch); the warning would only
# confuse users. Calling the functions through njit functions of their own avoids it but stops
# the loops vectorizing.
warnings.filterwarnings("ignore", message=r".*variable '_(exp|tanh)_fast_impl.*' is not in scope",
                        category=NumbaIRAssumptionWarning)

__all__ = ["exp_fast", "expm1_fast", "tanh_fast", "erfc_fast", "normal_cdf_pdf", "log1p_fast",
           "row_max", "row_sum", "row_dot", "row_dot3", "row_sqdev", "sum_exp", "like", "FAST"]


@intrinsic
def _int32_as_float32(typingctx, value):
    """Reinterpret the bits of an int32 as a float32 (LLVM bitcast)."""
    if value != types.int32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return types.float32(types.int32), codegen



@intrinsic
def _float32_as_int32(typingctx, value):
    """Reinterpret the bits of a float32 as an int32 (LLVM bitcast)."""
    if value != types.float32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))

    return types.int32(types.float32), codegen

@intrinsic
def _fma_f32(typingctx, a, b, c):
    """a * b + c rounded once (LLVM's fma: one instruction on CPUs with FMA)."""
    if not (a == b == c == types.float32):
        return None

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return types.float32(types.float32, types.float32, types.float32), codegen


# fast-math flags for kernels: contraction to FMA and reciprocals, but no reassociation (it
# would regroup (x - max) - logsum into x - (max + logsum) and lose precision) and no
# nnan/ninf (NaN and inf must propagate exactly). Reductions use the helpers below instead.
FAST = {"contract", "nsz", "arcp"}
_REDUCE = {"reassoc", "contract", "nsz", "arcp"}

# float32 constants (a Python float would promote float32 arithmetic to float64)
_ZERO = np.float32(0.0)
_HALF = np.float32(0.5)
_ONE = np.float32(1.0)
_TWO = np.float32(2.0)
_INF = np.float32(np.inf)
_LOG2E = np.float32(1.44269504088896341)
_LN2_HI = np.float32(0.693359375)
_LN2_LO = np.float32(-2.12194440e-4)
_EXP_LO = np.float32(-87.33654)
_EXP_HI = np.float32(88.72283)
_P0 = np.float32(1.9875691500e-4)
_P1 = np.float32(1.3981999507e-3)
_P2 = np.float32(8.3334519073e-3)
_P3 = np.float32(4.1665795894e-2)
_P4 = np.float32(1.6666665459e-1)
_P5 = np.float32(5.0000001201e-1)


@njit(cache=True, error_model="numpy", inline="always")
def _exp_reduced_f32(xc):
    """(y, k) with e**xc = y * 2**k, for xc in [_EXP_LO, _EXP_HI]: xc = k ln2 + r with
    |r| <= ln2/2 (ln2 in two parts, so r is exact) and a degree-6 polynomial for y = e**r."""
    n = np.floor(xc * _LOG2E + _HALF)
    r = xc - n * _LN2_HI - n * _LN2_LO
    z = r * r
    y = (((((_P0 * r + _P1) * r + _P2) * r + _P3) * r + _P4) * r + _P5) * z + r + _ONE
    return y, np.int32(n)


@njit(cache=True, error_model="numpy", inline="always")
def _pow2_f32(k):
    """2**k for an int32 k in [-126, 127], built from its exponent bits."""
    return _int32_as_float32(np.int32((k + np.int32(127)) << np.int32(23)))


@njit(cache=True, error_model="numpy", inline="always")
def _exp_f32(x):
    y, k = _exp_reduced_f32(min(max(x, _EXP_LO), _EXP_HI))
    hi = np.int32(k > np.int32(127))            # k = 128: scale by 2^127 and then by 2
    out = y * _pow2_f32(k - hi) * (_ONE + np.float32(hi))
    # Special cases as selects (no branch, no division): below the range 0, above it inf,
    # nan fails both tests and gives x + inf = nan.
    out = out if x >= _EXP_LO else _ZERO
    return out if x <= _EXP_HI else x + _INF


# e^r on |r| <= ln2/2 as 1 + r (1 + r (C2 + r (C3 + r (C4 + r C5)))): degree 5, minimax relative
# error 1.1e-7 (fitted with numpy), two multiply-adds fewer than Cephes' degree 7
_C2, _C3, _C4, _C5 = (np.float32(c) for c in (
    4.999923110e-01, 1.666711420e-01, 4.189005494e-02, 8.312488906e-03))


@njit(cache=True, error_model="numpy", inline="always")
def _exp_nonpositive_f32(w, w_lo):
    """e**(w + w_lo) for a finite w <= 0 and a w_lo below w's rounding error (0 below -87.34):
    a cheaper exp for the normal distribution, without overflow handling."""
    wc = max(w, _EXP_LO)
    n = np.floor(wc * _LOG2E + _HALF)
    r = wc - n * _LN2_HI - n * _LN2_LO + w_lo
    y = ((((_C5 * r + _C4) * r + _C3) * r + _C2) * r + _ONE) * r + _ONE
    out = y * _pow2_f32(np.int32(n))
    return _ZERO if w < _EXP_LO else out


def exp_fast(x):
    """e**x (pure Python stand-in; inside kernels the overload below is used)."""
    return math.exp(x)


@overload(exp_fast, inline="always")
def _exp_fast_impl(x):
    if x == types.float32:
        return lambda x: _exp_f32(x)
    return lambda x: math.exp(x)


@njit(cache=True, error_model="numpy", inline="always")
def _expm1_f32(x):
    """e^x - 1: a Taylor series near 0 (no cancellation), exp - 1 elsewhere."""
    if abs(x) < _HALF:
        return x * (_ONE + x * (np.float32(1 / 2) + x * (np.float32(1 / 6) + x * (
            np.float32(1 / 24) + x * (np.float32(1 / 120) + x * (np.float32(1 / 720) + x * (
                np.float32(1 / 5040) + x * np.float32(1 / 40320))))))))
    return _exp_f32(x) - _ONE


def expm1_fast(x):
    """e**x - 1 (pure Python stand-in; inside kernels the overload below is used)."""
    return math.expm1(x)


@overload(expm1_fast, inline="always")
def _expm1_fast_impl(x):
    if x == types.float32:
        return lambda x: _expm1_f32(x)
    return lambda x: math.expm1(x)


@njit(cache=True, error_model="numpy", inline="always")
def _tanh_f32(u):
    """tanh(u) = sign(u) (1 - 2 / (e^{2|u|} + 1)); |u| < 0.5 via expm1 (no cancellation)."""
    a = abs(u)
    a = np.float32(10.0) if a > np.float32(10.0) else a   # tanh(10) == 1 in float32; nan stays
    e = _expm1_f32(_TWO * a)
    t = e / (e + _TWO)
    return t if u >= _ZERO else -t


def tanh_fast(x):
    """tanh (pure Python stand-in; inside kernels the overload below is used)."""
    return math.tanh(x)


@overload(tanh_fast, inline="always")
def _tanh_fast_impl(x):
    if x == types.float32:
        return lambda x: _tanh_f32(x)
    return lambda x: math.tanh(x)


_ERFC = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807,
         -1.13520398, 1.48851587, -0.82215223, 0.17087277)
_E = tuple(np.float32(c) for c in _ERFC)
E0, E1, E2, E3, E4, E5, E6, E7, E8, E9 = _E


@njit(cache=True, error_model="numpy", inline="always")
def _erfc_f32(u):
    z = abs(u)
    t = _ONE / (_ONE + _HALF * z)
    poly = E0 + t * (E1 + t * (E2 + t * (E3 + t * (E4 + t * (E5 + t * (E6 + t * (
        E7 + t * (E8 + t * E9))))))))
    r = t * _exp_f32(-z * z + poly)
    return r if u >= _ZERO else _TWO - r


def erfc_fast(x):
    """1 - erf(x) (pure Python stand-in; inside kernels the overload below is used)."""
    return math.erfc(x)


@overload(erfc_fast, inline="always")
def _erfc_fast_impl(x):
    if x == types.float32:
        return lambda x: _erfc_f32(x)
    return lambda x: math.erfc(x)


# Phi(-a) = e^{-a^2/2} R(a) for a >= 0, R(a) = erfcx(a / sqrt 2) / 2 as a rational function
# P(a) / Q(a) of degree 4/5: a minimax fit of the relative error over [0, 13.5] (5e-9 in
# exact arithmetic, ~4e-7 evaluated in float32; fitted with numpy against scipy's erfcx).
_NDTR_P = tuple(np.float32(c) for c in (
    5.000000000e-01, 4.361431003e-01, 1.816434860e-01, 4.009726271e-02, 4.036877770e-03))
_NDTR_Q = tuple(np.float32(c) for c in (
    1.670171142e+00, 1.195886493e+00, 4.652689993e-01, 1.005161405e-01, 1.011881325e-02))
NP0, NP1, NP2, NP3, NP4 = _NDTR_P
NQ1, NQ2, NQ3, NQ4, NQ5 = _NDTR_Q
_NDTR_AMAX = np.float32(13.5)          # e^{-13.5^2/2} is below float32's range: Phi(-a) = 0
_INV_SQRT_2PI = np.float32(0.3989422804014327)


@njit(cache=True, error_model="numpy", inline="always")
def _normal_cdf_pdf_f32(x):
    a = min(abs(x), _NDTR_AMAX)        # clamped: keeps P, Q and a*a finite (x = +-inf too)
    sq = a * a
    sq_lo = _fma_f32(a, a, -sq)         # a^2 = sq + sq_lo exactly: e^{-a^2/2} stays accurate
    e = _exp_nonpositive_f32(-_HALF * sq, -_HALF * sq_lo)   # to 1e-7 for large a
    p = (((NP4 * a + NP3) * a + NP2) * a + NP1) * a + NP0
    q = ((((NQ5 * a + NQ4) * a + NQ3) * a + NQ2) * a + NQ1) * a + _ONE
    tail = e * p / q                    # Phi(-|x|), relative error < 1e-6 down to 1e-38
    return (tail if x < _ZERO else _ONE - tail), e * _INV_SQRT_2PI


def normal_cdf_pdf(x):
    """(Phi(x), phi(x)): the standard normal distribution's cdf and density (pure Python
    stand-in; inside kernels the overload below is used)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0)), math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


@overload(normal_cdf_pdf, inline="always")
def _normal_cdf_pdf_impl(x):
    if x == types.float32:
        return lambda x: _normal_cdf_pdf_f32(x)
    s12, isq = 1.0 / math.sqrt(2.0), 1.0 / math.sqrt(2.0 * math.pi)
    return lambda x: (0.5 * math.erfc(-x * s12), math.exp(-0.5 * x * x) * isq)


# log(1 + f) on [sqrt(1/2) - 1, sqrt(2) - 1] as f - f^2/2 + f^3 (L0 + L1 f + ... + L6 f^6):
# minimax relative error 3e-8 (fitted with numpy), the form of Cephes' logf
L0, L1, L2, L3, L4, L5, L6 = (np.float32(c) for c in (
    3.333390951e-01, -2.500133514e-01, 1.996307075e-01, -1.657761633e-01, 1.491471231e-01,
    -1.426719725e-01, 8.700226247e-02))
_SQRT_HALF_BITS = np.int32(0x3F3504F3)   # the bits of float32 sqrt(1/2)


@njit(cache=True, error_model="numpy", inline="always")
def _log1p_f32(t):
    """log(1 + t) for t >= 0: u = 1 + t = 2^k m with m in [sqrt(1/2), sqrt(2)) from the bits,
    log u = k ln2 + log m by the polynomial, plus (t - (u - 1)) / u, the first-order term of
    the rounding of u (so tiny t gives t). +inf gives inf, nan gives nan."""
    u = _ONE + t
    bits = _float32_as_int32(u)
    k = np.int32(bits - _SQRT_HALF_BITS) >> np.int32(23)
    f = _int32_as_float32(np.int32(bits - (k << np.int32(23)))) - _ONE
    z = f * f
    poly = ((((((L6 * f + L5) * f + L4) * f + L3) * f + L2) * f + L1) * f + L0) * f * z
    kf = np.float32(k)
    r = kf * _LN2_HI + (f - _HALF * z + poly + (kf * _LN2_LO + (t - (u - _ONE)) / u))
    return r if t < _INF else t


def log1p_fast(x):
    """log(1 + x) (pure Python stand-in; inside kernels the overload below is used; the
    float32 version takes x >= 0)."""
    return math.log1p(x)


@overload(log1p_fast, inline="always")
def _log1p_fast_impl(x):
    if x == types.float32:
        return lambda x: _log1p_f32(x)
    return lambda x: math.log1p(x)


@njit(cache=True, error_model="numpy", fastmath={"nnan", "nsz", "reassoc"})
def row_max(row):
    """The largest element of a non-empty 1-D array, as a SIMD reduction."""
    m = row[0]
    for j in range(np.uint64(row.shape[0])):
        v = row[j]
        m = m if m > v else v
    return m


def like(x, v):
    """v converted to the float type of x (pure Python stand-in for the overload below)."""
    return type(x)(v)


@overload(like, inline="always")
def _like_impl(x, v):
    if x == types.float32:
        return lambda x, v: np.float32(v)
    return lambda x, v: np.float64(v)


@njit(cache=True, error_model="numpy", fastmath=_REDUCE)
def row_sum(a):
    """sum of a 1-D array in float64, as a SIMD reduction."""
    s = 0.0
    for j in range(np.uint64(a.shape[0])):
        s += a[j]
    return s


@njit(cache=True, error_model="numpy", fastmath=_REDUCE)
def row_dot(a, b):
    """sum(a * b) of two 1-D arrays in float64, as a SIMD reduction."""
    s = 0.0
    for j in range(np.uint64(a.shape[0])):
        s += a[j] * b[j]
    return s


@njit(cache=True, error_model="numpy", fastmath=_REDUCE)
def sum_exp(a, m):
    """sum(exp(a - m)) of a 1-D array in float64, as a SIMD reduction."""
    s = 0.0
    for j in range(np.uint64(a.shape[0])):
        s += exp_fast(a[j] - m)
    return s


@njit(cache=True, error_model="numpy", fastmath=_REDUCE)
def row_dot3(a, b, c):
    """sum(a * b * c) of three 1-D arrays in float64, as a SIMD reduction."""
    s = 0.0
    for j in range(np.uint64(a.shape[0])):
        s += a[j] * b[j] * c[j]
    return s


@njit(cache=True, error_model="numpy", fastmath=_REDUCE)
def row_sqdev(a, mu):
    """sum((a - mu)**2) of a 1-D array in float64 (mu a float64), as a SIMD reduction."""
    s = 0.0
    for j in range(np.uint64(a.shape[0])):
        t = a[j] - mu
        s += t * t
    return s
