"""Vectorizable math for float32 kernels: exp, erfc, row max.

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

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

__all__ = ["exp_fast", "expm1_fast", "tanh_fast", "erfc_fast", "row_max", "row_sum", "row_dot",
           "row_dot3", "row_sqdev", "sum_exp", "like", "FAST"]


@intrinsic
def _int32_as_float32(typingctx, value):
    """Reinterpret the bits of an int32 as a float32 (LLVM bitcast)."""
    if value != types.int32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return types.float32(types.int32), codegen


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
def _exp_f32(x):
    xc = min(max(x, _EXP_LO), _EXP_HI)
    n = np.floor(xc * _LOG2E + _HALF)
    r = xc - n * _LN2_HI - n * _LN2_LO
    z = r * r
    y = (((((_P0 * r + _P1) * r + _P2) * r + _P3) * r + _P4) * r + _P5) * z + r + _ONE
    k = np.int32(n)
    hi = np.int32(k > np.int32(127))            # n = 128: scale by 2^127 and then by 2
    bits = np.int32((k - hi + np.int32(127)) << np.int32(23))
    out = y * _int32_as_float32(bits) * (_ONE + np.float32(hi))
    # Branch-free special cases: below the range x 0 (gives 0), above it / 0 (gives inf),
    # nan fails both tests (0 / 0 gives nan).
    return out * np.float32(x >= _EXP_LO) / np.float32(x <= _EXP_HI)


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
