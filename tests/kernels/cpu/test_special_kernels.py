"""The special-function kernels (kernels/cpu/special.py) against PyTorch over dense grids.

Each ufunc runs in float64 on a grid spanning its domain (dense near 0, logarithmic out to
the extremes, both signs) plus the edge values (+-0, +-inf, nan, poles, domain ends), and must
agree with torch's float64 result to about 1e-14 relative where PyTorch itself is that
accurate; where it is not (trigamma 5e-10, ndtr's left tail, erfcx's left tail), the kernel
is compared with mpmath at high precision instead.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from minitorch_nn.kernels.cpu import special as K
from op_harness import requires_torch, torch

INF, NAN = math.inf, math.nan
EDGES = np.array([0.0, -0.0, INF, -INF, NAN, -1.0, -2.0, -3.0, -50.0, 1.0, 2.0, 0.5, -0.5,
                  1e-300, -1e-300, 5e-324, 1e300, -1e300])


def _grid(low, high, n=20001):
    """A linear grid on [low, high], logarithmic grids to +-1e300 and the edge values."""
    logs = np.logspace(-300, 300, 2001)
    return np.concatenate([np.linspace(low, high, n), logs, -logs, EDGES])


def _quiet(fn, *args):
    with np.errstate(all="ignore"):
        return np.asarray(fn(*args), dtype=np.float64)


def _assert_matches(ours, theirs, rtol, atol=1e-300, where=None):
    """Same nan and inf pattern, and close elsewhere (relative, with a tiny absolute floor)."""
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg="nan pattern")
    finite = np.isfinite(theirs)
    np.testing.assert_array_equal(ours[~finite & ~np.isnan(theirs)],
                                  theirs[~finite & ~np.isnan(theirs)], err_msg="infinities")
    bad = ~np.isclose(ours[finite], theirs[finite], rtol=rtol, atol=atol)
    assert not bad.any(), (f"{bad.sum()} mismatches, first at x={where[finite][bad][:3]}: "
                           f"{ours[finite][bad][:3]} vs {theirs[finite][bad][:3]}")


UNARY = [   # kernel, torch function, grid, rtol, absolute floor (torch's own cancellation)
    ("erf", "erf", (-8, 8), 1e-15, 1e-300),
    ("erfc", "erfc", (-8, 30), 1e-13, 1e-300),
    ("erfcx", "special.erfcx", (-26, 100), 1e-13, 1e-300),
    ("lgamma", "lgamma", (-30, 60), 1e-13, 1e-15),      # zeros of lgamma at 1 and 2
    ("digamma", "digamma", (-30, 60), 1e-13, 1e-14),    # the root of digamma at 1.46
    ("i0", "i0", (-50, 50), 1e-14, 1e-300),
    ("i0e", "special.i0e", (-100, 100), 1e-14, 1e-300),
    ("i1", "special.i1", (-50, 50), 1e-14, 1e-300),
    ("i1e", "special.i1e", (-100, 100), 1e-14, 1e-300),
    # PyTorch's right tail log1p(-erfc(x/sqrt 2)/2) carries the rounding of x/sqrt 2 (2e-13)
    ("log_ndtr", "special.log_ndtr", (-40, 40), 1e-12, 1e-300),
]


@requires_torch
@pytest.mark.parametrize("name,ref,span,rtol,atol", UNARY, ids=[u[0] for u in UNARY])
def test_unary_kernel_against_pytorch_on_a_dense_grid(name, ref, span, rtol, atol):
    x = _grid(*span)
    fn = torch
    for part in ref.split("."):
        fn = getattr(fn, part)
    ours = _quiet(getattr(K, name), x)
    theirs = fn(torch.from_numpy(x)).numpy()
    _assert_matches(ours, theirs, rtol, atol, where=x)


@requires_torch
def test_erfinv_and_ndtri_on_their_domains():
    y = np.concatenate([np.linspace(-1, 1, 40001), 1 - np.logspace(-16, -1, 3001),
                        -1 + np.logspace(-16, -1, 3001), np.logspace(-320, 0, 3001),
                        [1.5, -1.5, INF, -INF, NAN, 0.0, -0.0]])
    _assert_matches(_quiet(K.erfinv, y), torch.erfinv(torch.from_numpy(y)).numpy(), 1e-14,
                    where=y)
    p = np.concatenate([np.linspace(0, 1, 40001), np.logspace(-320, 0, 3001),
                        1 - np.logspace(-16, -1, 3001), [1.5, -0.5, INF, -INF, NAN]])
    _assert_matches(_quiet(K.ndtri, p), torch.special.ndtri(torch.from_numpy(p)).numpy(),
                    1e-14, where=p)


def test_erfinv_inverts_erf_and_ndtri_inverts_ndtr():
    """Where the round trip is well conditioned (erf and ndtr not close to 1)."""
    x = np.linspace(-1.5, 1.5, 20001)
    np.testing.assert_allclose(K.erfinv(K.erf(x)), x, rtol=1e-13, atol=1e-15)
    z = np.linspace(-37, 1, 20001)
    np.testing.assert_allclose(K.ndtri(K.ndtr(z)), z, rtol=1e-12, atol=1e-14)


def _polygamma_grid():
    """PyTorch sums |x| terms for x < 0 (hours at -1e10 + 0.3): negatives down to -1000."""
    logs = np.logspace(-300, 300, 2001)
    return np.concatenate([np.linspace(-20.3, 40, 8001), logs, -logs[logs < 1e3],
                           np.linspace(-1000.5, -25.5, 977) + 0.3, EDGES])


@requires_torch
@pytest.mark.parametrize("n", [2, 3, 4, 7, 12])
def test_polygamma_orders_against_pytorch(n):
    x = _polygamma_grid()
    ours = _quiet(K.polygamma, float(n), x)
    theirs = torch.polygamma(n, torch.from_numpy(x)).numpy()
    _assert_matches(ours, theirs, 1e-13, 1e-300, where=x)


@requires_torch
@pytest.mark.parametrize("s", [1.0, 1.5, 2.0, 3.0, 4.5, 10.0, 0.5])
def test_zeta_against_pytorch(s):
    q = _polygamma_grid()
    ours = _quiet(K.zeta, s, q)
    theirs = torch.special.zeta(torch.tensor(s, dtype=torch.float64), torch.from_numpy(q))
    _assert_matches(ours, theirs.numpy(), 1e-13, 1e-300, where=q)


@requires_torch
def test_trigamma_against_pytorch_at_its_accuracy():
    """PyTorch's trigamma is accurate to 5e-10 (6 recurrence steps, 4 series terms)."""
    x = _polygamma_grid()
    ours = _quiet(K.polygamma, 1.0, x)
    theirs = torch.polygamma(1, torch.from_numpy(x)).numpy()
    _assert_matches(ours, theirs, 1e-9, 1e-300, where=x)


MP_POINTS = {   # where PyTorch is not accurate enough (or too slow) to judge: mpmath
    "trigamma": [0.1, 0.5, 1.3, 3.7, 9.9, 10.1, 55.0, 1e4, -0.3, -2.7],
    "polygamma3": [-30.5, -31.3, -100.25, -12345.678, -29.9],
    "ndtr": [-38.0, -30.17358, -20.0, -8.0, -1.5, -0.5, 0.0, 2.0, 9.0],
    "erfcx": [-26.0, -23.839035, -10.1, -5.3, -0.5, 0.0, 3.3, 11.9, 12.1, 25.0, 1e5],
    "log_ndtr": [-1e4, -40.0, -5.0, 0.0, 3.0, 30.0, 37.0],
}


def _mp(name, x):
    import mpmath
    v = mpmath.mpf(x)
    if name == "trigamma":
        return mpmath.psi(1, v)
    if name == "polygamma3":
        return mpmath.psi(3, v)
    if name == "ndtr":
        return mpmath.ncdf(v)
    if name == "erfcx":
        return mpmath.exp(v * v) * mpmath.erfc(v)
    return mpmath.log(mpmath.ncdf(v)) if x <= 0 else -mpmath.ncdf(-v)   # log1p(-ndtr(-x))


@pytest.mark.parametrize("name", list(MP_POINTS))
def test_against_mpmath_where_pytorch_is_loose(name):
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(30):
        for x in MP_POINTS[name]:
            ours = (K.polygamma(1.0, x) if name == "trigamma" else
                    K.polygamma(3.0, x) if name == "polygamma3" else getattr(K, name)(x))
            exact = float(_mp(name, x))
            if name == "log_ndtr" and x > 0:   # log1p(-q) = -q (1 + q/2 + ...) for tiny q
                exact = float(mpmath.log1p(_mp(name, x)))
            assert abs(ours - exact) <= 4e-15 * abs(exact), (name, x, ours, exact)


def test_bernoulli_coefficients_are_exact():
    """The series constants: B2..B12 of the asymptotic expansions."""
    from fractions import Fraction
    b = K._bernoulli(14)
    assert b[:3] == [Fraction(1), Fraction(1, 2), Fraction(1, 6)]
    assert b[4] == Fraction(-1, 30) and b[12] == Fraction(-691, 2730) and b[3] == 0


def test_signed_zeros_and_poles():
    with np.errstate(all="ignore"):
        assert K.digamma(0.0) == -INF and K.digamma(-0.0) == INF
        assert math.isnan(K.digamma(-3.0)) and math.isnan(K.digamma(-INF))
        assert K.lgamma(-2.0) == INF and K.lgamma(-INF) == INF
        assert math.copysign(1, K.i1e(-INF)) == -1 and K.i1e(INF) == 0
        assert math.isnan(K.i0(INF)) and K.i0e(-INF) == 0
        assert K.erfinv(1.0) == INF and K.erfinv(-1.0) == -INF and math.isnan(K.erfinv(1.1))
        assert K.ndtri(0.0) == -INF and K.ndtri(1.0) == INF
        assert K.polygamma(2.0, 0.0) == -INF and K.polygamma(3.0, -2.0) == INF
        assert math.isnan(K.zeta(0.5, 1.0)) and K.zeta(1.0, 2.0) == INF


def test_zeta_matches_the_riemann_values():
    assert K.zeta(2.0, 1.0) == pytest.approx(math.pi ** 2 / 6, rel=1e-15)
    assert K.zeta(4.0, 1.0) == pytest.approx(math.pi ** 4 / 90, rel=1e-15)
    assert K.zeta(3.0, 2.0) == pytest.approx(1.2020569031595942 - 1, rel=1e-14)


def test_any_layout_and_zero_size():
    x = np.linspace(-3, 3, 24).reshape(4, 6).T      # non-contiguous
    np.testing.assert_array_equal(K.i1(x), K.i1(np.ascontiguousarray(x)))
    assert K.erf(np.empty((0, 3))).shape == (0, 3)
