"""Special functions: erf, erfc, erfinv, lgamma, digamma, polygamma, i0, logit, sinc,
mvlgamma (torch.X, Tensor.X and the in-place forms), and the torch.special names of these and
of other ops (expit = sigmoid, gammaln = lgamma, psi = digamma, multigammaln = mvlgamma,
softmax, log_softmax, logsumexp, round, log1p, expm1, exp2, xlogy).

The values come from the Numba ufuncs of kernels/cpu/special.py (NumPy has no erf/lgamma,
SciPy is not a dependency), computed in float64 and rounded once to the result dtype, or on
CuPy arrays from cupyx.scipy.special (ops/_special_arrays.py). Conventions copied from
PyTorch 2.13:
  * integer and bool inputs give the default float dtype; float16/bfloat16 stay so;
  * gradients: erf' = 2/sqrt(pi) exp(-x^2), erfinv' = sqrt(pi)/2 exp(erfinv(x)^2),
    lgamma' = digamma, digamma' = polygamma(1), polygamma(n)' = polygamma(n+1), i0' = i1,
    logit' = 1/(x(1-x)) (nan outside [0, 1]; 0 outside [eps, 1-eps] when eps is given),
    sinc'(0) = 0, mvlgamma' = sum_j digamma(x - j/2);
  * edge values as PyTorch's (digamma(0) = -inf, digamma(-n) = nan, i0(inf) = nan, ...:
    see kernels/cpu/special.py).
torch.special's own functions (erfcx, i0e, i1, i1e, ndtr, ndtri, log_ndtr, entr, xlog1py)
live in ops/special_namespace.py, imported at the end of this module.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import compute_array
from ._special_arrays import chain, float_input, special_array
from ._util import check_tensor, xp_of
from .activation import log_softmax as _log_softmax, softmax as _softmax
from .elementwise import _float_array
from .inplace import apply_inplace
from .pointwise_math import exp2 as _exp2, xlogy as _xlogy
from .reduction import logsumexp as _logsumexp
from .registry import method_of, op
from .unary import expm1 as _expm1, log1p as _log1p, round as _round, sigmoid as _sigmoid

__all__: list[str] = []

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0


def _special_of(name: str, *params):
    """derivative(xp, a) = special function `name` of a (for `chain`)."""
    return lambda xp, a, *rest: special_array(name, a, *params)


# ------------------------------------------------------------------ the functions
class Erf(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _wrap(special_array("erf", float_input(x, "erf_vml_cpu")))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return chain(g, x, lambda xp, a: _TWO_OVER_SQRT_PI * xp.exp(-a * a))

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ((-x * x).exp() * _TWO_OVER_SQRT_PI)


class Erfc(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _wrap(special_array("erfc", float_input(x, "erfc_vml_cpu")))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return chain(g, x, lambda xp, a: -_TWO_OVER_SQRT_PI * xp.exp(-a * a))

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ((-x * x).exp() * -_TWO_OVER_SQRT_PI)


class Erfinv(ArrayFunction):
    """erfinv'(x) = sqrt(pi)/2 exp(erfinv(x)^2), from the saved result."""

    @staticmethod
    def forward(ctx, x):
        out = _wrap(special_array("erfinv", float_input(x, "erfinv_vml_cpu")))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return chain(g, x, lambda xp, a, y: _SQRT_PI_OVER_2 * xp.exp(y * y), out)

    @staticmethod
    def grad_formula(ctx, g):
        _, out = ctx.saved_tensors
        return g * ((out * out).exp() * _SQRT_PI_OVER_2)


class Lgamma(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _wrap(special_array("lgamma", float_input(x, "lgamma_vml_cpu")))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return chain(g, x, _special_of("digamma"))

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g * Digamma.apply(x)


class Digamma(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _wrap(special_array("digamma", float_input(x, "digamma")))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return chain(g, x, _special_of("polygamma", 1.0))

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g * Polygamma.apply(x, 1)


class Polygamma(ArrayFunction):
    @staticmethod
    def forward(ctx, x, n):
        ctx.save_for_backward(x)
        ctx.n = n
        kernel = ("digamma", "trigamma")[n] if n < 2 else "polygamma"
        return _wrap(special_array("polygamma", float_input(x, kernel), float(n)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return chain(g, x, _special_of("polygamma", float(ctx.n + 1))), None

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g * Polygamma.apply(x, ctx.n + 1), None


class I0(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _wrap(special_array("i0", float_input(x, "i0_vml_cpu")))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return chain(g, x, _special_of("i1"))

    @staticmethod
    def grad_formula(ctx, g):
        from .special_namespace import SpecialI1
        (x,) = ctx.saved_tensors
        return g * SpecialI1.apply(x)


class Logit(ArrayFunction):
    """log(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps >= 0 is given."""

    @staticmethod
    def forward(ctx, x, eps):
        a = float_input(x, "logit_cpu")
        ctx.save_for_backward(x)
        ctx.eps = eps
        work = compute_array(a)
        if eps is not None and eps >= 0:
            work = xp_of(work).clip(work, eps, 1.0 - eps)
        return _wrap((xp_of(work).log(work / (1 - work))).astype(a.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return chain(g, x, lambda xp, a: _logit_slope(xp, a, ctx.eps)), None

    @staticmethod
    def grad_formula(ctx, g):
        from .selection import where
        (x,) = ctx.saved_tensors   # PyTorch's infinitely differentiable logit backward
        eps = ctx.eps
        slope = g / (x * (1 - x))
        if eps is None or eps < 0:
            return where((x < 0) | (x > 1), math.nan, slope), None
        return where((x < eps) | (x > 1 - eps), 0, slope), None


def _logit_slope(xp, a, eps):
    """1/(x(1-x)); outside [0, 1] nan (no eps) or, with eps >= 0, 0 outside [eps, 1-eps]."""
    slope = 1 / (a * (1 - a))
    if eps is None or eps < 0:
        return xp.where((a < 0) | (a > 1), xp.nan, slope)
    return xp.where((a < eps) | (a > 1 - eps), 0, slope)


class Sinc(ArrayFunction):
    """sin(pi x) / (pi x), 1 at 0; its gradient is 0 at 0."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        a = _float_array(x)
        work = compute_array(a)
        xp = xp_of(work)
        product = math.pi * work
        safe = xp.where(work == 0, 1, product)
        out = xp.where(work == 0, 1, xp.sin(safe) / safe)
        return _wrap(out.astype(a.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return chain(g, x, _sinc_slope)

    @staticmethod
    def grad_formula(ctx, g):
        from .selection import where
        (x,) = ctx.saved_tensors   # PyTorch's sinc_backward (nan second derivative at 0, as its)
        p = x * math.pi
        squared = x * x * math.pi
        return where(squared == 0, 0, g * (p * p.cos() - p.sin()) / squared)


def _sinc_slope(xp, a):
    p = math.pi * a
    safe = xp.where(a == 0, 1, a)
    slope = (p * xp.cos(p) - xp.sin(p)) / (math.pi * safe * safe)
    return xp.where(a == 0, 0, slope)


class Mvlgamma(ArrayFunction):
    """The multivariate log-gamma of dimension p: sum_j lgamma(x - j/2) + p(p-1)/4 log(pi)."""

    @staticmethod
    def forward(ctx, x, p):
        a = float_input(x, "arange_cpu")
        ctx.save_for_backward(x)
        ctx.p = p
        work = a.astype(np.float64) if xp_of(a) is np else compute_array(a)
        total = sum(special_array("lgamma", work - 0.5 * j) for j in range(p))
        total = total + p * (p - 1) / 4.0 * math.log(math.pi)
        return _wrap(xp_of(a).asarray(total).astype(a.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return chain(g, x, lambda xp, a: sum(special_array("digamma", a - 0.5 * j)
                                             for j in range(ctx.p))), None

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g * sum(Digamma.apply(x - 0.5 * j) for j in range(ctx.p)), None


# ------------------------------------------------------------------ declarations
def _one_input(fn_cls, name: str, doc: str):
    """The public function `torch.<name>(input)` of a one-tensor special function."""

    def special_op(input: Tensor) -> Tensor:
        check_tensor(input, "input", name)
        return fn_cls.apply(input)

    special_op.__name__ = special_op.__qualname__ = name
    special_op.__doc__ = doc
    return special_op


def _in_place(fn, name: str):
    """`Tensor.<name>_()`: `fn` computed out of place and written back into self."""

    def op_(self: Tensor, *args, **kwargs) -> Tensor:
        return apply_inplace(self, lambda s: fn(s, *args, **kwargs))

    op_.__name__ = op_.__qualname__ = name + "_"
    op_.__doc__ = f"In-place {name}: writes {name}(self) into self and returns self."
    return op_


erf = op("erf", methods=("erf",), kernels=("cpu:special.erf",))(_one_input(
    Erf, "erf", "The error function 2/sqrt(pi) int_0^x exp(-t^2) dt."))
erfc = op("erfc", methods=("erfc",), kernels=("cpu:special.erfc",))(_one_input(
    Erfc, "erfc", "The complementary error function 1 - erf(x), accurate in the right tail."))
erfinv = op("erfinv", methods=("erfinv",), kernels=("cpu:special.erfinv",))(_one_input(
    Erfinv, "erfinv", "The inverse error function on [-1, 1] (+-inf at +-1, nan outside)."))
lgamma = op("lgamma", methods=("lgamma",), kernels=("cpu:special.lgamma",))(_one_input(
    Lgamma, "lgamma", "log|Gamma(x)| (inf at the poles 0, -1, -2, ...)."))
digamma = op("digamma", methods=("digamma",), kernels=("cpu:special.digamma",))(_one_input(
    Digamma, "digamma", "The digamma function psi(x) = Gamma'(x)/Gamma(x) (nan at -1, -2, ...)."))
i0 = op("i0", methods=("i0",), kernels=("cpu:special.i0",))(_one_input(
    I0, "i0", "The modified Bessel function of the first kind, order 0."))
sinc = op("sinc", methods=("sinc",))(_one_input(
    Sinc, "sinc", "The normalized sinc sin(pi x) / (pi x), 1 at x = 0."))


@op("polygamma", methods=(), kernels=("cpu:special.polygamma",))
def polygamma(n: int, input: Tensor) -> Tensor:
    """The n-th derivative of digamma: (-1)^(n+1) n! zeta(n+1, x) for n >= 2."""
    n = _check_int(n, "polygamma", "n", 1)
    check_tensor(input, "input", "polygamma", 2)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return Polygamma.apply(input, n)


@op("logit", methods=("logit",))
def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(x / (1 - x)); with eps (>= 0) x is first clamped to [eps, 1 - eps]."""
    check_tensor(input, "input", "logit")
    if eps is not None and (isinstance(eps, bool) or not isinstance(eps, (int, float))):
        raise TypeError(f"logit(): argument 'eps' (position 2) must be float, not "
                        f"{type(eps).__name__}")
    return Logit.apply(input, None if eps is None else float(eps))


@op("mvlgamma", methods=("mvlgamma",), kernels=("cpu:special.lgamma",
                                                "cpu:special.digamma"))
def mvlgamma(input: Tensor, p: int) -> Tensor:
    """The multivariate log-gamma function of dimension p, elementwise."""
    check_tensor(input, "input", "mvlgamma")
    if input._data.dtype == np.bool_:
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    return Mvlgamma.apply(input, _check_p(p, "mvlgamma"))


def _check_int(value, fn: str, name: str, position: int) -> int:
    """`value` as an int, or PyTorch's TypeError naming the argument."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be int, not "
                        f"{type(value).__name__}")
    return int(value)


def _check_p(p, fn: str) -> int:
    p = _check_int(p, fn, "p", 2)
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    return p


@method_of("polygamma", "polygamma")
def _polygamma_method(self: Tensor, n: int) -> Tensor:
    return polygamma(n, self)


@method_of("polygamma", "polygamma_")
def polygamma_(self: Tensor, n: int) -> Tensor:
    return apply_inplace(self, lambda s: polygamma(n, s))


erf_ = method_of("erf", "erf_", export=True)(_in_place(erf, "erf"))
erfc_ = method_of("erfc", "erfc_", export=True)(_in_place(erfc, "erfc"))
erfinv_ = method_of("erfinv", "erfinv_")(_in_place(erfinv, "erfinv"))
lgamma_ = method_of("lgamma", "lgamma_")(_in_place(lgamma, "lgamma"))
digamma_ = method_of("digamma", "digamma_")(_in_place(digamma, "digamma"))
i0_ = method_of("i0", "i0_", export=True)(_in_place(i0, "i0"))
sinc_ = method_of("sinc", "sinc_", export=True)(_in_place(sinc, "sinc"))
logit_ = method_of("logit", "logit_", export=True)(_in_place(logit, "logit"))
mvlgamma_ = method_of("mvlgamma", "mvlgamma_")(_in_place(mvlgamma, "mvlgamma"))


# ------------------------------------------------------------------ torch.special names
# torch.special.erf is torch.erf, expit is sigmoid, gammaln is lgamma, ...: one wrapper each
# (the same values, nodes and errors).
@op("erf", namespace="special")
def special_erf(input: Tensor) -> Tensor:
    """torch.special.erf: torch.erf."""
    return erf(input)


@op("erfc", namespace="special")
def special_erfc(input: Tensor) -> Tensor:
    """torch.special.erfc: torch.erfc."""
    return erfc(input)


@op("erfinv", namespace="special")
def special_erfinv(input: Tensor) -> Tensor:
    """torch.special.erfinv: torch.erfinv."""
    return erfinv(input)


@op("gammaln", namespace="special")
def special_gammaln(input: Tensor) -> Tensor:
    """torch.special.gammaln: log|Gamma(x)|, torch.lgamma."""
    return lgamma(input)


@op("digamma", namespace="special", aliases=("psi",))
def special_digamma(input: Tensor) -> Tensor:
    """torch.special.digamma (and psi): torch.digamma."""
    return digamma(input)


@op("polygamma", namespace="special")
def special_polygamma(n: int, input: Tensor) -> Tensor:
    """torch.special.polygamma(n, input): torch.polygamma."""
    return polygamma(n, input)


@op("multigammaln", namespace="special")
def special_multigammaln(input: Tensor, p: int) -> Tensor:
    """torch.special.multigammaln(input, p): torch.mvlgamma."""
    return mvlgamma(input, p)


@op("i0", namespace="special")
def special_i0(input: Tensor) -> Tensor:
    """torch.special.i0: torch.i0."""
    return i0(input)


@op("sinc", namespace="special")
def special_sinc(input: Tensor) -> Tensor:
    """torch.special.sinc: torch.sinc (normalized: sin(pi x) / (pi x))."""
    return sinc(input)


@op("logit", namespace="special")
def special_logit(input: Tensor, eps: float | None = None) -> Tensor:
    """torch.special.logit(input, eps=None): torch.logit."""
    return logit(input, eps)


@op("expit", namespace="special")
def special_expit(input: Tensor) -> Tensor:
    """torch.special.expit: the logistic sigmoid 1 / (1 + exp(-x)), torch.sigmoid."""
    check_tensor(input, "input", "special_expit")
    return _sigmoid(input)


@op("log1p", namespace="special")
def special_log1p(input: Tensor) -> Tensor:
    """torch.special.log1p: torch.log1p."""
    return _log1p(input)


@op("expm1", namespace="special")
def special_expm1(input: Tensor) -> Tensor:
    """torch.special.expm1: torch.expm1."""
    return _expm1(input)


@op("exp2", namespace="special")
def special_exp2(input: Tensor) -> Tensor:
    """torch.special.exp2: 2 ** x, torch.exp2."""
    return _exp2(input)


@op("xlogy", namespace="special")
def special_xlogy(input, other) -> Tensor:
    """torch.special.xlogy: x * log(y), 0 where x == 0; torch.xlogy."""
    return _xlogy(input, other)


@op("round", namespace="special")
def special_round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """torch.special.round: torch.round (half to even)."""
    return _round(input, decimals=decimals)


@op("softmax", namespace="special")
def special_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """torch.special.softmax(input, dim, *, dtype=None): torch.softmax."""
    return _softmax(input, dim, dtype=dtype)


@op("log_softmax", namespace="special")
def special_log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """torch.special.log_softmax(input, dim, *, dtype=None): torch.log_softmax."""
    return _log_softmax(input, dim, dtype=dtype)


@op("logsumexp", namespace="special")
def special_logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """torch.special.logsumexp(input, dim, keepdim=False): torch.logsumexp."""
    return _logsumexp(input, dim, keepdim)


from . import special_namespace  # noqa: E402,F401  (torch.special's own functions)
