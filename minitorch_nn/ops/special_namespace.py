"""torch.special's own functions: erfcx, i0e, i1, i1e, ndtr, ndtri, log_ndtr, entr, xlog1py,
zeta.

(The torch.special names of other ops, erf, expit, gammaln, psi, softmax, ..., are declared
in ops/special_functions.py, which imports this module.) The values come from
kernels/cpu/special.py through `special_array` (ops/_special_arrays.py). Gradients and node
names are PyTorch's: erfcx' = 2x erfcx(x) - 2/sqrt(pi), i0e' = i1e - sgn(x) i0e,
i1' = i0 - i1/x (1/2 at 0), i1e' = i0e - i1e (sgn(x) + 1/x) (1/2 at 0),
ndtri' = sqrt(2 pi) exp(ndtri^2/2), log_ndtr' = exp(-(log_ndtr + x^2/2)) / sqrt(2 pi),
entr' = -(1 + log x); ndtr is composite in PyTorch ((1 + erf(x/sqrt 2)) / 2), so its node is
MulBackward1 (the value here is the erfc form, accurate in the left tail). erfcx, ndtri and
log_ndtr (and zeta) have no float16/bfloat16 kernel in PyTorch: NotImplementedError, as
there. zeta(x, q) is differentiable in q only: -x zeta(x + 1, q) (PyTorch's error for x).
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import reduce_grad
from ..tensor import Tensor, _wrap
from ._nn_util import broadcast_shape, compute_array
from ._util import binary_operands, check_tensor, sum_to_shape, xp_of
from ._special_arrays import chain, float_input, special_array, special_binary
from .inplace import _legacy_name
from .registry import op

__all__: list[str] = []

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


# ------------------------------------------------------------------ special-only functions
class SpecialErfcx(ArrayFunction):
    """exp(x^2) erfc(x), without the overflow and underflow of the product."""

    @staticmethod
    def forward(ctx, x):
        out = _wrap(special_array("erfcx", float_input(x, "erfcx_cpu", half=False)))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return chain(g, x, lambda xp, a, y: 2.0 * a * y - _TWO_OVER_SQRT_PI, out)

    @staticmethod
    def grad_formula(ctx, g):
        x, out = ctx.saved_tensors
        return g * (2.0 * x * out - _TWO_OVER_SQRT_PI)


class SpecialI0E(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = _wrap(special_array("i0e", float_input(x, "i0e_cpu")))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return chain(g, x, lambda xp, a, y: special_array("i1e", a) - xp.sign(a) * y, out)

    @staticmethod
    def grad_formula(ctx, g):
        x, out = ctx.saved_tensors
        return g * (SpecialI1E.apply(x) - x.sgn() * out)


class SpecialI1(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = _wrap(special_array("i1", float_input(x, "i1_cpu")))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return chain(g, x, lambda xp, a, y: _near_zero_half(
            xp, a, lambda s: special_array("i0", s) - y / s), out)

    @staticmethod
    def grad_formula(ctx, g):   # i1'(x) = i0(x) - i1(x) / x, 1/2 at 0: differentiable again
        x, out = ctx.saved_tensors
        big = x.abs() > float(np.finfo(x._data.dtype).eps)
        safe = x.where(big, float(np.finfo(x._data.dtype).eps))
        return g * (safe.i0() - out / safe).where(big, 0.5)


class SpecialI1E(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = _wrap(special_array("i1e", float_input(x, "i1e_cpu")))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return chain(g, x, lambda xp, a, y: _near_zero_half(
            xp, a, lambda s: special_array("i0e", s) - y * (xp.sign(s) + 1 / s)), out)

    @staticmethod
    def grad_formula(ctx, g):   # PyTorch's i1e_backward: 1/2 at 0, `safe` elsewhere
        x, out = ctx.saved_tensors
        eps = float(np.finfo(x._data.dtype).eps)
        big = x.abs() > eps
        safe = x.where(big, eps)
        slope = SpecialI0E.apply(safe) - out * (safe.sgn() + safe.reciprocal())
        return g * slope.where(big, 0.5)


def _near_zero_half(xp, a, slope):
    """slope(x) where |x| > machine epsilon, else 1/2 (the limit at 0 of i1' and i1e')."""
    eps = np.finfo(a.dtype).eps
    big = xp.abs(a) > eps
    return xp.where(big, slope(xp.where(big, a, eps)), 0.5)


class SpecialNdtr(ArrayFunction):
    """The standard normal CDF; PyTorch's node is its composite's last, MulBackward1."""

    node_name = "MulBackward1"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _wrap(special_array("ndtr", float_input(x, "erf_vml_cpu")))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return chain(g, x, lambda xp, a: xp.exp(-0.5 * a * a) / _SQRT_2PI)

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ((x * x) * -0.5).exp() * (1.0 / _SQRT_2PI)


class SpecialNdtri(ArrayFunction):
    """The inverse of ndtr on [0, 1] (-inf at 0, inf at 1, nan outside)."""

    @staticmethod
    def forward(ctx, x):
        out = _wrap(special_array("ndtri", float_input(x, "ndtri_cpu", half=False)))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return chain(g, x, lambda xp, a, y: _SQRT_2PI * xp.exp(0.5 * y * y), out)

    @staticmethod
    def grad_formula(ctx, g):
        x, out = ctx.saved_tensors
        return g * _SQRT_2PI * (out * out * 0.5).exp()


class SpecialLogNdtr(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = _wrap(special_array("log_ndtr", float_input(x, "log_ndtr_cpu", half=False)))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return chain(g, x, lambda xp, a, y: xp.exp(-(y + 0.5 * a * a)) / _SQRT_2PI, out)

    @staticmethod
    def grad_formula(ctx, g):
        x, out = ctx.saved_tensors
        return g / _SQRT_2PI * (-(out + x * x * 0.5)).exp()


class SpecialEntr(ArrayFunction):
    """-x log x for x > 0, 0 at 0, -inf for x < 0."""

    @staticmethod
    def forward(ctx, x):
        a = float_input(x, "entr_cpu")
        ctx.save_for_backward(x)
        work = compute_array(a)
        xp = xp_of(work)
        positive = xp.where(work > 0, work, 1)
        out = xp.where(work > 0, -work * xp.log(positive), xp.where(work == 0, 0, -xp.inf))
        out = xp.where(xp.isnan(work), work, out)
        return _wrap(out.astype(a.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return chain(g, x, lambda xp, a: -(1 + xp.log(a)))

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g * -(x.log() + 1)


class SpecialXlog1py(ArrayFunction):
    """x * log1p(y), 0 where x == 0 (unless y is nan)."""

    node_name = "SpecialXlog1PyBackward0"

    @staticmethod
    def forward(ctx, input, other):
        x, y, res = _float_operands(ctx, input, other)
        return _wrap(_xlog1py(x, y).astype(res.np, copy=False))

    @staticmethod
    def backward(ctx, g):
        input, other, x, y = ctx.meta
        xp, gw = xp_of(g), compute_array(g)
        grads = []
        if isinstance(input, Tensor) and input.requires_grad:
            gx = xp.where((x == 0) & (y <= -1), 0, _xlog1py(gw, y))
            grads.append(sum_to_shape(gx, input._data.shape).astype(input._data.dtype))
        else:
            grads.append(None)
        if isinstance(other, Tensor) and other.requires_grad:
            gy = gw * x / (y + 1)
            grads.append(sum_to_shape(gy, other._data.shape).astype(other._data.dtype))
        else:
            grads.append(None)
        return tuple(grads)

    @staticmethod
    def grad_formula(ctx, g):
        """PyTorch's: xlog1py(g, other) masked to 0 where input == 0 and other <= -1;
        g * input / (other + 1)."""
        input, other, x, y = ctx.meta
        gx = gy = None
        if isinstance(input, Tensor) and ctx.needs_input_grad[0]:
            gx = SpecialXlog1py.apply(g, other)
            if isinstance(other, Tensor) or other <= -1:
                gx = gx.where(~_wrap(xp_of(g._data).asarray((x == 0) & (y <= -1))), 0)
            gx = reduce_grad(gx, input)
        if isinstance(other, Tensor) and ctx.needs_input_grad[1]:
            gy = reduce_grad(g * input / (other + 1), other)
        return gx, gy


class SpecialZeta(ArrayFunction):
    """The Hurwitz zeta function sum_k (q + k)^-x; differentiable in q only (as PyTorch)."""

    @staticmethod
    def forward(ctx, input, other):
        x, y, res = _float_operands(ctx, input, other)
        return _wrap(special_binary("zeta", x, y, res.np))

    @staticmethod
    def backward(ctx, g):
        input, other, x, y = ctx.meta
        if isinstance(input, Tensor) and input.requires_grad:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        if not (isinstance(other, Tensor) and other.requires_grad):
            return None, None
        slope = -x * special_binary("zeta", x + 1, y, y.dtype)
        gy = compute_array(g) * slope
        return None, sum_to_shape(gy, other._data.shape).astype(other._data.dtype)

    @staticmethod
    def grad_formula(ctx, g):
        input, other, x, y = ctx.meta
        if isinstance(input, Tensor) and input.requires_grad:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        if not (isinstance(other, Tensor) and other.requires_grad):
            return None, None
        return None, reduce_grad(g * -input * SpecialZeta.apply(input + 1, other), other)


def _float_operands(ctx, input, other):
    """The operands of a binary special function in their compute dtype (PyTorch's result
    dtype, integers: the default float; half types in float32), remembered in ctx."""
    x, y, res = binary_operands(input, other)
    if not res.is_floating_point:
        res = _dt.get_default_dtype()
    x, y = _as_float(x, res), _as_float(y, res)
    ctx.save_for_backward(*(t for t in (input, other) if isinstance(t, Tensor)))
    ctx.meta = (input, other, x, y)
    return x, y, res


def _check_binary(name: str, input, other, *, half: bool = True) -> None:
    """PyTorch's errors for a binary special function: two numbers (TypeError), complex or
    (half False) half types (NotImplementedError), shapes that do not broadcast."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"special_{name}() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(other).__name__}), but expected one "
                        f"of: (Tensor input, Tensor other), (Number self, Tensor other), "
                        f"(Tensor input, Number other)")
    res = _dt.result_type(input, other)
    if res.is_complex or (not half and res.np.itemsize == 2 and res.is_floating_point):
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_legacy_name(res)}\'')
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        broadcast_shape(tuple(input.shape), tuple(other.shape))


def _as_float(v, res):
    """An operand of xlog1py in its compute dtype (half types: float32); scalars as scalars."""
    compute = np.dtype(np.float32 if res.np.itemsize == 2 else res.np)
    if isinstance(v, np.generic):
        return compute.type(v)
    return v.astype(compute, copy=False)


def _xlog1py(x, y):
    xp = xp_of(x) if not isinstance(x, np.generic) else xp_of(y)
    return xp.where((x == 0) & ~xp.isnan(y), 0, x * xp.log1p(y))


# ------------------------------------------------------------------ declarations
def _one_input(fn_cls, name: str, doc: str):
    """torch.special.<name>(input) for a one-tensor function."""

    def special_op(input: Tensor) -> Tensor:
        check_tensor(input, "input", f"special_{name}")
        return fn_cls.apply(input)

    special_op.__name__ = special_op.__qualname__ = name
    special_op.__doc__ = doc
    return special_op


def _special(name: str, kernels=()):
    return op(name, namespace="special", kernels=kernels)


erfcx = _special("erfcx", ("cpu:special.erfcx",))(_one_input(
    SpecialErfcx, "erfcx", "The scaled complementary error function exp(x^2) erfc(x)."))
i0e = _special("i0e", ("cpu:special.i0e", "cpu:special.i1e"))(_one_input(
    SpecialI0E, "i0e", "exp(-|x|) i0(x), the exponentially scaled Bessel function of order 0."))
i1 = _special("i1", ("cpu:special.i1", "cpu:special.i0"))(_one_input(
    SpecialI1, "i1", "The modified Bessel function of the first kind, order 1."))
i1e = _special("i1e", ("cpu:special.i1e", "cpu:special.i0e"))(_one_input(
    SpecialI1E, "i1e", "exp(-|x|) i1(x), the exponentially scaled Bessel function of order 1."))
ndtr = _special("ndtr", ("cpu:special.ndtr",))(_one_input(
    SpecialNdtr, "ndtr", "The standard normal CDF (1 + erf(x / sqrt 2)) / 2."))
ndtri = _special("ndtri", ("cpu:special.ndtri",))(_one_input(
    SpecialNdtri, "ndtri", "The inverse of ndtr: x with ndtr(x) = p (the normal quantile)."))
log_ndtr = _special("log_ndtr", ("cpu:special.log_ndtr",))(_one_input(
    SpecialLogNdtr, "log_ndtr", "log(ndtr(x)), accurate in both tails."))
entr = _special("entr")(_one_input(
    SpecialEntr, "entr", "The elementwise entropy -x log x (0 at 0, -inf for x < 0)."))


@_special("xlog1py")
def xlog1py(input, other) -> Tensor:
    """x * log1p(y), 0 where x == 0 and y is not nan (as xlogy); one side may be a number."""
    _check_binary("xlog1py", input, other)
    return SpecialXlog1py.apply(input, other)


@_special("zeta", ("cpu:special.zeta",))
def zeta(input, other) -> Tensor:
    """The Hurwitz zeta function zeta(x, q) = sum_k (q + k)^-x (inf at x = 1, nan for x < 1);
    one side may be a number."""
    _check_binary("zeta", input, other, half=False)
    return SpecialZeta.apply(input, other)
