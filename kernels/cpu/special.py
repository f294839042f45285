"""Special-function kernels: erf family, gamma family, Bessel i0/i1, normal distribution.

NumPy has none of these and SciPy is not a dependency, so each is a Numba ufunc
(`@vectorize`, any shape and layout; compiled, or loaded from the cache, on its first call,
so importing this module costs little) over a scalar function written here:
  * erf, erfc, lgamma: the C library (math.erf/erfc/lgamma);
  * erfcx = exp(x^2) erfc(x): exp(x^2) with x^2 split exactly (xh^2 + xl(x + xh)) below 12,
    the asymptotic series 1/(x sqrt(pi)) sum (-1)^k (2k-1)!!/(2x^2)^k above;
  * erfinv, ndtri: a series start and Halley steps on erf(x) = y near 0; in the tails Newton on
    log erfc(x) = log q (computed as log erfcx(x) - x^2, no underflow), started at
    sqrt(-log q), which lies right of the root, so the iteration decreases monotonically;
  * digamma: reflection (psi(1-x) - pi/tan(pi r), r the fractional part), the recurrence
    psi(x) = psi(x+1) - 1/x up to x >= 10, then the asymptotic series in Bernoulli numbers;
  * trigamma: reflection with pi^2/sin^2(pi x) (as PyTorch: poles at negative integers give
    huge finite values, at 0 inf), recurrence up to 10, asymptotic series;
  * polygamma(n >= 2) = (-1)^(n+1) n! zeta(n+1, x), zeta the Hurwitz zeta by Euler-Maclaurin
    summation (with PyTorch's conventions at q <= 0 and q = inf); below x = -30 the reflection
    formula with derivatives of cot (PyTorch's sum would take |x| steps there);
  * i0, i1 (and the scaled i0e, i1e): the power series up to |x| = 20, above it Hankel's
    asymptotic series e^x/sqrt(2 pi x) sum_k (-1)^k a_k(nu)/x^k (error ~ e^-2x);
  * ndtr = erfc(-x/sqrt 2)/2 (erfcx(t) exp(-x^2/2) in the left tail), log_ndtr
    (log(erfcx(-t)/2) - t^2 in the left tail).
Edge values follow PyTorch (checked against torch 2.13): digamma(0) = -inf, digamma(-n) = nan,
i0(+-inf) = nan, i0e(+-inf) = 0, polygamma(n >= 2, inf) = nan, erfinv(+-1) = +-inf, ...
Accuracy: about 1e-15 relative against PyTorch/SciPy in float64 (tests/kernels/cpu/
test_special_kernels.py). Callers pass float64 arrays; lower precisions are cast by the op.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from numba import njit, vectorize

__all__ = ["erf", "erfc", "erfcx", "erfinv", "lgamma", "digamma", "polygamma", "zeta", "i0",
           "i0e", "i1", "i1e", "ndtr", "ndtri", "log_ndtr"]

_PI = math.pi
_SQRT_PI = math.sqrt(math.pi)
_SQRTPI_2 = math.sqrt(math.pi) / 2.0
_SQRT2 = math.sqrt(2.0)
_SQRT1_2 = 1.0 / math.sqrt(2.0)
_LN2 = math.log(2.0)
_INF = math.inf
_NAN = math.nan
_EPS = 1.0e-17    # series stop: a term below this fraction of the sum no longer matters
_REFLECT = 30.0   # polygamma and zeta below -_REFLECT: reflection, not a |x|-term sum


def _bernoulli(count: int) -> list:
    """B_0 .. B_(count-1), exact (Akiyama-Tanigawa), B_1 = +1/2 convention."""
    a, out = [Fraction(0)] * count, []
    for m in range(count):
        a[m] = Fraction(1, m + 1)
        for j in range(m, 0, -1):
            a[j - 1] = j * (a[j - 1] - a[j])
        out.append(a[0])
    return out


_B = _bernoulli(20)
# psi(x) ~ ln x - 1/(2x) - sum_k B_2k / (2k x^2k)
_PSI_C = tuple(float(_B[2 * k] / (2 * k)) for k in range(1, 9))
# psi1(x) ~ 1/x + 1/(2x^2) + sum_k B_2k / x^(2k+1)
_PSI1_C = tuple(float(_B[2 * k]) for k in range(1, 10))
# Euler-Maclaurin for zeta: B_2j / (2j)!
_EM_C = tuple(float(_B[2 * j] / math.factorial(2 * j)) for j in range(1, 10))


# ------------------------------------------------------------------ erf family
@njit(cache=True, error_model="numpy")
def _exp_square(x):
    """exp(x*x) without the rounding of x*x: x = xh + xl with xh of 24 bits, xh*xh exact."""
    xh = np.float64(np.float32(x))
    xl = x - xh
    return math.exp(xh * xh) * math.exp(xl * (x + xh))


@njit(cache=True, error_model="numpy")
def _erfcx(x):
    if x != x:
        return x
    if x < 0.0:
        if x < -26.7:
            return _INF
        return 2.0 * _exp_square(x) - _erfcx_positive(-x)
    return _erfcx_positive(x)


@njit(cache=True, error_model="numpy")
def _erfcx_positive(x):
    if x < 12.0:
        return _exp_square(x) * math.erfc(x)
    if x == _INF:
        return 0.0
    z = 1.0 / (2.0 * x * x)
    term, total = 1.0, 1.0
    for k in range(1, 16):
        term *= -(2 * k - 1) * z
        total += term
    return total / (x * _SQRT_PI)


@njit(cache=True, error_model="numpy")
def _erfinv_central(y):
    """erfinv(y) for |y| <= 0.5: Maclaurin start, Halley steps on erf(x) - y."""
    y2 = y * y
    x = _SQRTPI_2 * y * (1.0 + y2 * (_PI / 12.0 + y2 * (7.0 * _PI ** 2 / 480.0
                                                         + y2 * 127.0 * _PI ** 3 / 40320.0)))
    for _ in range(8):
        d = (math.erf(x) - y) / (2.0 / _SQRT_PI * math.exp(-x * x))
        step = d / (1.0 + x * d)
        x -= step
        if abs(step) <= 1e-17 * abs(x):
            break
    return x


@njit(cache=True, error_model="numpy")
def _erfcinv_tail(q):
    """x >= 0 with erfc(x) = q, for 0 <= q <= 0.5: Newton on log erfc(x) = log q."""
    if q == 0.0:
        return _INF
    logq = math.log(q)
    x = math.sqrt(-logq)       # erfc(x) < exp(-x^2) = q: right of the root
    for _ in range(100):
        e = _erfcx(x)
        step = (math.log(e) - x * x - logq) * _SQRTPI_2 * e
        x += step
        if abs(step) <= 2e-16 * x:
            break
    return x


@njit(cache=True, error_model="numpy")
def _erfinv(y):
    if y != y or y > 1.0 or y < -1.0:
        return _NAN
    if abs(y) <= 0.5:
        return _erfinv_central(y)
    x = _erfcinv_tail(1.0 - abs(y))        # 1 - |y| is exact for |y| >= 0.5
    return x if y > 0 else -x


@njit(cache=True, error_model="numpy")
def _ndtri(p):
    if p != p or p < 0.0 or p > 1.0:
        return _NAN
    if 0.25 <= p <= 0.75:
        return _SQRT2 * _erfinv_central(2.0 * p - 1.0)   # 2p - 1 is exact here
    if p < 0.25:
        return -_SQRT2 * _erfcinv_tail(2.0 * p)
    return _SQRT2 * _erfcinv_tail(2.0 * (1.0 - p))


@njit(cache=True, error_model="numpy")
def _ndtr(x):
    """erfc(-x/sqrt 2)/2; in the left tail erfcx(t) exp(-x^2/2), the square split exactly
    (the rounding of t = -x/sqrt 2 would cost 2 t^2 ulps through erfc)."""
    if x >= -1.0:
        return 0.5 * math.erfc(-x * _SQRT1_2)
    if x < -40.0:
        return 0.0              # below the smallest subnormal
    xh = np.float64(np.float32(x))
    tail = math.exp(-0.5 * xh * xh) * math.exp(-0.5 * (x - xh) * (x + xh))
    return 0.5 * _erfcx(-x * _SQRT1_2) * tail


@njit(cache=True, error_model="numpy")
def _log_ndtr(x):
    if x > 1.0:
        return math.log1p(-_ndtr(-x))        # 1 - ndtr(x), exact in the tail
    t = x * _SQRT1_2
    if x < -1.0:
        return math.log(_erfcx(-t) / 2.0) - t * t
    return math.log1p(-math.erfc(t) / 2.0)


# ------------------------------------------------------------------ gamma family
@njit(cache=True, error_model="numpy")
def _digamma(x):
    if x == 0.0:
        return math.copysign(_INF, -x)     # psi(+0) = -inf, psi(-0) = +inf
    if x != x:
        return x
    result = 0.0
    if x < 0.0:
        if x == math.floor(x):            # poles (and -inf)
            return _NAN
        r = x - math.trunc(x)             # tan(pi r) is exact-er than tan(pi x)
        result = -_PI / math.tan(_PI * r)
        x = 1.0 - x
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    if x == _INF:
        return _INF
    z = 1.0 / (x * x)
    series = 0.0
    for k in range(len(_PSI_C) - 1, -1, -1):
        series = series * z + _PSI_C[k]
    return result + math.log(x) - 0.5 / x - series * z


@njit(cache=True, error_model="numpy")
def _trigamma(x):
    if x != x:
        return x
    sign, result = 1.0, 0.0
    if x < 0.5:                            # psi1(x) = pi^2 / sin^2(pi x) - psi1(1 - x)
        s = math.sin(_PI * x)
        result = -(_PI * _PI) / (s * s)
        x = 1.0 - x
        sign = -1.0
    while x < 10.0:
        result += 1.0 / (x * x)
        x += 1.0
    if x == _INF:
        return sign * result
    z = 1.0 / (x * x)
    series = 0.0
    for k in range(len(_PSI1_C) - 1, -1, -1):
        series = series * z + _PSI1_C[k]
    return sign * (result + 1.0 / x + 0.5 * z + series * z / x)


@njit(cache=True, error_model="numpy")
def _zeta(s, q):
    """Hurwitz zeta sum_k (q + k)^-s by Euler-Maclaurin (PyTorch's edge conventions)."""
    if s == 1.0:
        return _INF                      # even for q = nan, as PyTorch
    if s != s or q != q:
        return _NAN
    if s < 1.0:
        return _NAN
    if q <= 0.0:
        if q == math.floor(q):
            return _INF
        if s != math.floor(s):
            return _NAN
        if q < -_REFLECT:   # zeta(s, q) = (-1)^s psi^(s-1)(q) / (s-1)!, by reflection
            sign = 1.0 if s % 2.0 == 0.0 else -1.0
            return sign * _polygamma_reflected(s - 1.0, q) / math.gamma(s)
    if q == _INF:
        return _NAN
    return _zeta_sum(s, q)


@njit(cache=True, error_model="numpy")
def _zeta_sum(s, q):
    """Euler-Maclaurin for zeta(s, q): q > -_REFLECT, and s integer where q < 0."""
    total, a, k = 0.0, q, 0
    while k < 9 or a < 9.0:
        term = a ** -s
        total += term
        a += 1.0
        k += 1
        if abs(term) < _EPS * abs(total):
            return total
    b = a ** -s
    total += a * b / (s - 1.0) + 0.5 * b
    rising, power = s, b / a
    for j in range(len(_EM_C)):
        t = _EM_C[j] * rising * power
        total += t
        if abs(t) < _EPS * abs(total):
            break
        rising *= (s + 2 * j + 1) * (s + 2 * j + 2)
        power /= a * a
    return total


@njit(cache=True, error_model="numpy")
def _polygamma(n, x):
    if n == 0.0:
        return _digamma(x)
    if n == 1.0:
        return _trigamma(x)
    if x < -_REFLECT and x != math.floor(x):
        return _polygamma_reflected(n, x)
    sign = 1.0 if n % 2.0 == 1.0 else -1.0
    return sign * math.gamma(n + 1.0) * _zeta(n + 1.0, x)


@njit(cache=True, error_model="numpy")
def _polygamma_reflected(n, x):
    """psi^(n)(x) for x << 0 (not an integer), from psi(1-x) - psi(x) = pi cot(pi x)
    differentiated n times: psi^(n)(x) = (-1)^n psi^(n)(1-x) - pi^(n+1) cot^(n)(pi x), where
    cot^(n) = D_n(cot), D_0(c) = c, D_(k+1)(c) = -(1 + c^2) D_k'(c) (a polynomial in c).
    The sum over (x + k)^-s would take |x| steps to reach the asymptotic region."""
    m = int(n)
    coef = np.zeros(m + 2)
    coef[1] = 1.0
    for k in range(m):                       # coef <- -(1 + c^2) * d/dc coef
        deriv = np.zeros(m + 2)
        for j in range(1, k + 2):
            deriv[j - 1] = j * coef[j]
        coef[:] = 0.0
        for j in range(k + 1):
            coef[j] -= deriv[j]
            coef[j + 2] -= deriv[j]
    r = x - math.floor(x + 0.5)              # cot(pi x) = cot(pi r), r in [-1/2, 1/2]
    c = math.sin(_PI * (0.5 - abs(r))) / math.sin(_PI * r)   # cos(pi r): exactly 0 at 1/2
    poly = 0.0
    for j in range(m + 1, -1, -1):
        poly = poly * c + coef[j]
    sign = 1.0 if m % 2 == 1 else -1.0     # psi^(n)(1-x) = sign n! zeta(n+1, 1-x)
    mirrored = sign * math.gamma(n + 1.0) * _zeta_sum(n + 1.0, 1.0 - x)
    return (mirrored if m % 2 == 0 else -mirrored) - _PI ** (n + 1.0) * poly


# ------------------------------------------------------------------ Bessel I0, I1
@njit(cache=True, error_model="numpy")
def _bessel_series(ax, nu):
    """I_nu(ax) for nu in {0, 1}, ax <= 20: sum_k (ax/2)^(2k+nu) / (k! (k+nu)!)."""
    y = 0.25 * ax * ax
    term, total, k = 1.0, 1.0, 1
    while k < 500:
        term *= y / (k * (k + nu))
        total += term
        if term < _EPS * total:
            break
        k += 1
    return total * 0.5 * ax if nu == 1 else total


@njit(cache=True, error_model="numpy")
def _bessel_scaled_asym(ax, nu):
    """e^-ax I_nu(ax) for ax > 20: Hankel's series, truncated at its smallest term."""
    mu = 4.0 * nu * nu
    term, total = 1.0, 1.0
    for k in range(1, 80):
        nxt = term * -(mu - (2 * k - 1) ** 2) / (8.0 * k * ax)
        if abs(nxt) >= abs(term) or abs(nxt) < _EPS * abs(total):
            break                # diverging from here, or no longer changing the sum
        term = nxt
        total += term
    return total / math.sqrt(2.0 * _PI * ax)


@njit(cache=True, error_model="numpy")
def _bessel(x, nu, scaled):
    ax = abs(x)
    if ax != ax:
        return x
    if ax == _INF:
        if not scaled:
            return _NAN
        return 0.0 if (nu == 0 or x > 0) else -0.0
    if ax <= 20.0:
        value = _bessel_series(ax, nu)
        if scaled:
            value *= math.exp(-ax)
    else:
        value = _bessel_scaled_asym(ax, nu)
        if not scaled:
            value *= math.exp(ax)
    return -value if (nu == 1 and x < 0) else value


# ------------------------------------------------------------------ the ufuncs
@vectorize(cache=True)
def erf(x):
    return math.erf(x)


@vectorize(cache=True)
def erfc(x):
    return math.erfc(x)


@vectorize(cache=True)
def erfcx(x):
    return _erfcx(x)


@vectorize(cache=True)
def erfinv(x):
    return _erfinv(x)


@vectorize(cache=True)
def lgamma(x):
    return math.lgamma(x)


@vectorize(cache=True)
def digamma(x):
    return _digamma(x)


@vectorize(cache=True)
def polygamma(n, x):
    """polygamma(n, x) for integer-valued n >= 0 (the op checks n)."""
    return _polygamma(n, x)


@vectorize(cache=True)
def zeta(s, q):
    return _zeta(s, q)


@vectorize(cache=True)
def i0(x):
    return _bessel(x, 0, False)


@vectorize(cache=True)
def i0e(x):
    return _bessel(x, 0, True)


@vectorize(cache=True)
def i1(x):
    return _bessel(x, 1, False)


@vectorize(cache=True)
def i1e(x):
    return _bessel(x, 1, True)


@vectorize(cache=True)
def ndtr(x):
    return _ndtr(x)


@vectorize(cache=True)
def ndtri(x):
    return _ndtri(x)


@vectorize(cache=True)
def log_ndtr(x):
    return _log_ndtr(x)
