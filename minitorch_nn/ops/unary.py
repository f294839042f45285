"""Unary math ops, powers and integer-style division: forward and backward side by side.

Conventions copied from PyTorch (each was checked against torch 2.13):
  * float functions (sqrt, log, sin, sigmoid, ...) give integer and bool inputs the default
    float dtype; abs, sign, relu, floor, ceil, round and trunc keep integer dtypes;
  * subgradients: relu'(0) = 0, abs'(0) = 0, sign' = 0, sqrt'(0) = inf; rounding ops have a
    zero gradient, frac's is 1 (frac(x) = x - trunc(x));
  * pow: `x ** 0` has a zero gradient; the exponent's gradient `out * log(base)` is 0 where
    base == 0 and exponent >= 0; integer tensors refuse negative Python integer exponents;
  * remainder takes the sign of the divisor (Python's %), fmod the sign of the dividend;
    integer division by zero raises; floor_divide (and a remainder whose dividend is a Python
    number) are recorded but have no derivative: backward raises, as in PyTorch.
Nodes carry PyTorch's names (`SqrtBackward0`, `PowBackward1`, ...): where PyTorch numbers the
variants of one op, a subclass gets the number with `_node_name`.
"""
from __future__ import annotations

import math

import numpy as np

from ..amp.autocast_mode import AUTOCAST as _AMP, autocast_call, autocast_listed
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._util import binary_operands, check_tensor, grad_cast, shape_mismatch, xp_of
from .elementwise import _float_array, _input_grad
from .inplace import _legacy_name, apply_inplace

__all__ = [
    "abs", "absolute", "reciprocal", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt",
    "sin", "cos", "tan", "tanh", "sigmoid", "relu", "sign", "square", "floor", "ceil", "round",
    "trunc", "fix", "frac", "pow", "floor_divide", "remainder", "fmod",
    "abs_", "absolute_", "reciprocal_", "log_", "log2_", "log10_", "log1p_", "expm1_", "sqrt_",
    "rsqrt_", "sin_", "cos_", "tan_", "tanh_", "sigmoid_", "relu_", "square_", "floor_",
    "ceil_", "round_", "trunc_", "fix_", "frac_",
]

_Number = (bool, int, float, complex)


# ------------------------------------------------------------------ shared helpers
def _node_name(fn_cls, name: str) -> None:
    """Name `fn_cls`'s graph node as PyTorch does when it is not `<Class>Backward0`."""
    fn_cls._backward_cls.__name__ = name
    fn_cls._backward_cls.__qualname__ = name


def _not_implemented(kernel: str, t) -> NotImplementedError:
    """PyTorch's error for a dtype an op has no kernel for (`"abs_cpu" ... for 'Bool'`)."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{_legacy_name(t.dtype)}\'')


def _check_int_divisor(y, res) -> None:
    """Integer division by zero raises in PyTorch (numpy would return 0 with a warning)."""
    if res.kind == 1 and not (y != 0).all():   # y may be an array or a numpy scalar
        raise RuntimeError("ZeroDivisionError")


def _no_derivative(op: str) -> RuntimeError:
    return RuntimeError(f"derivative for aten::{op} is not implemented")


# ------------------------------------------------------------------ float-valued functions
class Reciprocal(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore"):
            out = _wrap(1 / _float_array(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        o = out._data
        with np.errstate(over="ignore", invalid="ignore"):
            return -g * (o * o)


class Log(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _wrap(xp_of(x._data).log(_float_array(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / x._data


class Log2(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _wrap(xp_of(x._data).log2(_float_array(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (x._data * math.log(2.0))


class Log10(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _wrap(xp_of(x._data).log10(_float_array(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (x._data * math.log(10.0))


class Log1P(ArrayFunction):   # PyTorch's node: Log1PBackward0
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _wrap(xp_of(x._data).log1p(_float_array(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (1 + x._data)


class Expm1(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            out = _wrap(xp_of(x._data).expm1(_float_array(x)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out._data + 1)


class Sqrt(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            out = _wrap(xp_of(x._data).sqrt(_float_array(x)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return g / (2 * out._data)   # inf at 0, as PyTorch


class Rsqrt(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        xp = xp_of(x._data)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _wrap(1 / xp.sqrt(_float_array(x)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        o = out._data
        with np.errstate(invalid="ignore", over="ignore"):
            return -0.5 * g * (o * o * o)


class Sin(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _wrap(xp_of(x._data).sin(_float_array(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * xp_of(g).cos(x._data)


class Cos(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _wrap(xp_of(x._data).cos(_float_array(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * xp_of(g).sin(x._data)


class Tan(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = _wrap(xp_of(x._data).tan(_float_array(x)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        o = out._data
        return g * (1 + o * o)


class Tanh(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = _wrap(xp_of(x._data).tanh(_float_array(x)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return _fused_backward("tanh_backward", g, out._data)


class Sigmoid(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        xp = xp_of(x._data)
        with np.errstate(over="ignore"):   # exp(-x) overflows to inf for x << 0: 1/inf = 0
            out = _wrap(1 / (1 + xp.exp(-_float_array(x))))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return _fused_backward("sigmoid_backward", g, out._data)


_FUSED_MIN_SIZE = 1 << 14   # below this, numpy's three passes cost about as much as a call


def _fused_backward(name: str, g, out):
    """`g * out * (1 - out)` (sigmoid) or `g * (1 - out * out)` (tanh).

    One Numba pass (kernels/cpu/elementwise.py) replaces numpy's three passes and their
    temporaries on large contiguous float32/float64 CPU arrays; everything else uses numpy.
    """
    if (g.size >= _FUSED_MIN_SIZE and isinstance(g, np.ndarray) and g.dtype == out.dtype
            and g.dtype.name in ("float32", "float64") and g.shape == out.shape
            and g.flags.c_contiguous and out.flags.c_contiguous):
        from ..backends import backend_of
        kernel = backend_of(g).kernel("elementwise", name)
        result = np.empty_like(g)
        kernel(g.reshape(-1), out.reshape(-1), result.reshape(-1))
        return result
    if name == "sigmoid_backward":
        return g * (out * (1 - out))
    return g * (1 - out * out)


# ------------------------------------------------------------------ dtype-keeping functions
class Abs(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        if x._data.dtype.kind == "b":
            raise _not_implemented("abs_cpu", x)
        ctx.save_for_backward(x)
        return _wrap(xp_of(x._data).abs(x._data))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        a = x._data
        if a.dtype.kind == "c":   # d|x| is x / |x| (PyTorch's convention), 0 at 0
            xp = xp_of(a)
            mag = xp.abs(a)
            return g * xp.where(mag == 0, 0, a / xp.where(mag == 0, 1, mag))
        return g * _sign_array(a)   # abs'(0) = 0


def _sign_array(a):
    """-1, 0 or 1 in a's dtype; 0 for 0, -0. and nan (PyTorch's sign, unlike numpy's for nan)."""
    if a.dtype.kind == "b":
        return a.copy()
    return (a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)


class Sign(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        return _wrap(_sign_array(x._data))

    @staticmethod
    def backward(ctx, g):
        return xp_of(g).zeros_like(g)


class Relu(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        if x._data.dtype.kind == "b":
            raise RuntimeError("Boolean inputs not supported for relu")
        a = x._data
        out = _wrap(xp_of(a).maximum(a, a.dtype.type(0)))   # keeps nan, as PyTorch
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors   # PyTorch's threshold_backward: relu'(0) = 0, nan passes
        o = out._data
        if (g.size >= _THRESHOLD_MIN_SIZE and isinstance(g, np.ndarray) and g.dtype == o.dtype
                and g.dtype.char in "fd" and g.shape == o.shape and g.flags.c_contiguous
                and o.flags.c_contiguous):
            from ..backends import backend_of
            result = np.empty_like(g)
            backend_of(g).kernel("elementwise", "threshold_backward")(
                g.reshape(-1), o.reshape(-1), result.reshape(-1))
            return result
        return xp_of(g).where(o <= 0, 0, g)


# numpy.where mispredicts a branch per element once arrays outgrow the caches' easy cases;
# from this size the one-pass Numba kernel is several times faster (kernels/cpu/elementwise.py)
_THRESHOLD_MIN_SIZE = 1 << 12


class _Rounding(ArrayFunction):
    """floor / ceil / trunc / round: integer inputs come back as a copy; gradient zero."""

    @staticmethod
    def backward(ctx, g):
        return xp_of(g).zeros_like(g), None


def _rounded(x: Tensor, xp_name: str, kernel: str, *args):
    if x._data.dtype.kind == "b":
        raise _not_implemented(kernel, x)
    a = x._data
    if a.dtype.kind in "iu":
        return _wrap(a.copy())
    return _wrap(getattr(xp_of(a), xp_name)(a, *args))


class Floor(_Rounding):
    @staticmethod
    def forward(ctx, x):
        return _rounded(x, "floor", "floor_vml_cpu")


class Ceil(_Rounding):
    @staticmethod
    def forward(ctx, x):
        return _rounded(x, "ceil", "ceil_vml_cpu")


class Trunc(_Rounding):
    @staticmethod
    def forward(ctx, x):
        return _rounded(x, "trunc", "trunc_vml_cpu")


class Round(_Rounding):
    """Round half to even; `decimals` rounds at 10**-decimals (numpy and PyTorch agree)."""

    @staticmethod
    def forward(ctx, x, decimals=0):
        if decimals == 0:
            return _rounded(x, "round", "round_vml_cpu")
        if x.dtype.kind < 2:
            raise _not_implemented("round_cpu", x)
        return _wrap(xp_of(x._data).round(x._data, decimals))


class RoundDecimals(Round):
    """round(x, decimals=d): the same op; PyTorch names its node RoundBackward1."""


_node_name(RoundDecimals, "RoundBackward1")


class Frac(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind < 2:
            raise _not_implemented("frac_cpu", x)
        a = x._data
        return _wrap(a - xp_of(a).trunc(a))

    @staticmethod
    def backward(ctx, g):
        return g   # frac(x) = x - trunc(x): slope 1


# ------------------------------------------------------------------ pow
def _int_power(xp, x, y):
    """Integer `x ** y`, with PyTorch's values for negative exponents (numpy refuses them):
    1 ** -n = 1, (-1) ** -n = +-1 by parity, any other base ** -n = 0 (truncated)."""
    negative = y < 0
    if not negative.any():
        return xp.power(x, y)
    out = xp.power(x, xp.where(negative, 0, y))
    odd = (y % 2) == 1
    small = xp.where(x == 1, 1, xp.where(x == -1, xp.where(odd, -1, 1), 0))
    return xp.where(negative, small, out).astype(out.dtype)


def _power(x, y, res, operands):
    """`x ** y` for arrays/scalars already in the result dtype `res`."""
    xp = xp_of(x) if not np.isscalar(x) else xp_of(y)
    if res.kind == 0:   # bool tensor ** Python bool: x ** True = x, x ** False = True
        return xp.logical_or(x, xp.logical_not(y))
    try:
        with np.errstate(all="ignore"):
            if res.kind == 1:
                return _int_power(xp, x, y)
            return xp.power(x, y)
    except ValueError as err:
        raise shape_mismatch(err, *operands) from None


class Pow(ArrayFunction):
    """tensor ** number (PowBackward0)."""

    @staticmethod
    def forward(ctx, base, exponent):
        x, y, res = binary_operands(base, exponent)
        if res.kind == 1 and isinstance(exponent, int) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        ctx.save_for_backward(base)
        ctx.exponent = exponent
        return _wrap(_power(x, y, res, (base,)))

    @staticmethod
    def backward(ctx, g):
        (base,) = ctx.saved_tensors
        e = ctx.exponent
        if e == 0:
            return xp_of(g).zeros_like(g), None
        with np.errstate(all="ignore"):
            grad = g * (e * xp_of(g).power(base._data, e - 1))
        return grad_cast(grad, base._data), None


class PowTensor(ArrayFunction):
    """tensor ** tensor, broadcast (PowBackward1)."""

    @staticmethod
    def forward(ctx, base, exponent):
        x, y, res = binary_operands(base, exponent)
        if res.kind == 0:
            raise NotImplementedError("\"pow\" not implemented for 'Bool'")
        out = _wrap(_power(x, y, res, (base, exponent)))
        ctx.save_for_backward(base, exponent, out)
        return out

    @staticmethod
    def backward(ctx, g):
        base, exponent, out = ctx.saved_tensors
        x, y, _ = binary_operands(base, exponent)
        xp = xp_of(g)
        gb = ge = None
        with np.errstate(all="ignore"):
            if ctx.needs_input_grad[0]:
                gb = xp.where(y == 0, 0, g * (y * xp.power(x, y - 1)))
                gb = _input_grad(gb.astype(g.dtype, copy=False), base)
            if ctx.needs_input_grad[1]:
                ge = xp.where((x == 0) & (y >= 0), 0, g * (out._data * xp.log(x)))
                ge = _input_grad(ge.astype(g.dtype, copy=False), exponent)
        return gb, ge


_node_name(PowTensor, "PowBackward1")


class PowScalarBase(ArrayFunction):
    """number ** tensor (PowBackward2): only the exponent gets a gradient."""

    @staticmethod
    def forward(ctx, base, exponent):
        x, y, res = binary_operands(base, exponent)
        out = _wrap(_power(x, y, res, (exponent,)))
        ctx.save_for_backward(exponent, out)
        ctx.base = base
        return out

    @staticmethod
    def backward(ctx, g):
        exponent, out = ctx.saved_tensors
        b = ctx.base
        log_b = math.log(b) if b > 0 else (-math.inf if b == 0 else math.nan)
        with np.errstate(invalid="ignore"):
            grad = g * (out._data * log_b)
        if b == 0:   # 0 ** e: zero gradient where e >= 0 (not 0 * -inf = nan)
            grad = xp_of(g).where(exponent._data >= 0, 0, grad).astype(g.dtype, copy=False)
        return None, grad_cast(grad, exponent._data)


_node_name(PowScalarBase, "PowBackward2")


# ------------------------------------------------------------------ division-like ops
class FloorDivide(ArrayFunction):
    """`a // b`: PyTorch records it but has no derivative (backward raises)."""

    @staticmethod
    def forward(ctx, a, b):
        x, y, res = binary_operands(a, b)
        if res.kind == 0:
            raise NotImplementedError("\"div_floor_cpu\" not implemented for 'Bool'")
        xp = xp_of(x) if not np.isscalar(x) else xp_of(y)
        _check_int_divisor(y, res)
        try:
            with np.errstate(all="ignore"):
                return _wrap(xp.floor_divide(x, y))
        except ValueError as err:
            raise shape_mismatch(err, a, b) from None

    @staticmethod
    def backward(ctx, g):
        raise _no_derivative("floor_divide")


class Remainder(ArrayFunction):
    """remainder(tensor, number) (RemainderBackward0); the result has the divisor's sign."""

    @staticmethod
    def forward(ctx, a, b):
        return _modulo(ctx, a, b, "remainder", "remainder_cpu", "floor")

    @staticmethod
    def backward(ctx, g):
        return _modulo_backward(ctx, g)


class RemainderTensor(Remainder):
    """remainder(tensor, tensor): the same op; PyTorch names its node RemainderBackward1."""


class RemainderScalarSelf(ArrayFunction):
    """remainder(number, tensor): recorded without a derivative (backward raises)."""

    @staticmethod
    def forward(ctx, a, b):
        return _modulo(ctx, a, b, "remainder", "remainder_cpu", "floor")

    @staticmethod
    def backward(ctx, g):
        raise _no_derivative("remainder")


class Fmod(ArrayFunction):
    """fmod(tensor, number) (FmodBackward0); the result has the dividend's sign (C's fmod)."""

    @staticmethod
    def forward(ctx, a, b):
        return _modulo(ctx, a, b, "fmod", "fmod_cpu", "trunc")

    @staticmethod
    def backward(ctx, g):
        return _modulo_backward(ctx, g)


class FmodTensor(Fmod):
    """fmod(tensor, tensor): the same op; PyTorch names its node FmodBackward1."""


_node_name(RemainderTensor, "RemainderBackward1")
_node_name(FmodTensor, "FmodBackward1")


def _modulo(ctx, a, b, xp_name: str, kernel: str, rounding: str):
    """Forward of remainder / fmod; saves what `_modulo_backward` needs."""
    x, y, res = binary_operands(a, b)
    if res.kind == 0:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    xp = xp_of(x) if not np.isscalar(x) else xp_of(y)
    _check_int_divisor(y, res)
    try:
        with np.errstate(all="ignore"):
            out = getattr(xp, xp_name)(x, y)
    except ValueError as err:
        raise shape_mismatch(err, a, b) from None
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        ctx.save_for_backward(a, b)
        ctx.rounding = rounding
    ctx.inputs = (a, b)
    return _wrap(out)


def _modulo_backward(ctx, g):
    """d/da = 1; d/db = -round(a / b) with floor (remainder) or trunc (fmod)."""
    a, b = ctx.inputs
    ga = _input_grad(g, a) if ctx.needs_input_grad[0] else None
    gb = None
    if isinstance(b, Tensor) and ctx.needs_input_grad[1]:
        a, b = ctx.saved_tensors
        x, y, _ = binary_operands(a, b)
        xp = xp_of(g)
        with np.errstate(all="ignore"):
            q = getattr(xp, ctx.rounding)(x / y)
        gb = _input_grad((-g * q).astype(g.dtype, copy=False), b)
    return ga, gb


# ------------------------------------------------------------------ public functions
def _unary(fn_cls, name: str):
    """The public function `torch.<name>(input)` for a one-tensor op."""
    listed = autocast_listed(name)    # on an autocast op list (exp, log, ...): hooked

    def op(input: Tensor) -> Tensor:
        if listed and _AMP.on and _AMP.active():
            return autocast_call(name, op, input)
        check_tensor(input, "input", name)
        return fn_cls.apply(input)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {name} of `input` (PyTorch's torch.{name})."
    return op


reciprocal = _unary(Reciprocal, "reciprocal")
log = _unary(Log, "log")
log2 = _unary(Log2, "log2")
log10 = _unary(Log10, "log10")
log1p = _unary(Log1P, "log1p")
expm1 = _unary(Expm1, "expm1")
sqrt = _unary(Sqrt, "sqrt")
rsqrt = _unary(Rsqrt, "rsqrt")
sin = _unary(Sin, "sin")
cos = _unary(Cos, "cos")
tan = _unary(Tan, "tan")
tanh = _unary(Tanh, "tanh")
sigmoid = _unary(Sigmoid, "sigmoid")
relu = _unary(Relu, "relu")
abs = _unary(Abs, "abs")
sign = _unary(Sign, "sign")
floor = _unary(Floor, "floor")
ceil = _unary(Ceil, "ceil")
trunc = _unary(Trunc, "trunc")
frac = _unary(Frac, "frac")
absolute, fix = abs, trunc


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Round half to even; `decimals` keeps that many digits (negative: tens, hundreds)."""
    check_tensor(input, "input", "round")
    if decimals == 0:
        return Round.apply(input)
    return RoundDecimals.apply(input, decimals)


def square(input: Tensor) -> Tensor:
    """`input ** 2` (integer and bool inputs give int64, as PyTorch; node PowBackward0)."""
    if _AMP.on and _AMP.active():
        return autocast_call("pow", square, input)
    check_tensor(input, "input", "square")
    return Pow.apply(input, 2)


def pow(input, exponent) -> Tensor:
    """`input ** exponent`: tensor ** number, tensor ** tensor (broadcast) or number ** tensor.

    >>> pow(tensor([1., 2., 3.]), 2)
    tensor([1., 4., 9.])
    """
    if _AMP.on and _AMP.active():
        return autocast_call("pow", pow, input, exponent)
    if isinstance(input, Tensor):
        if isinstance(exponent, Tensor):
            return PowTensor.apply(input, exponent)
        _check_number(exponent, "pow", "exponent")
        return Pow.apply(input, exponent)
    if isinstance(exponent, Tensor) and isinstance(input, _Number):
        return PowScalarBase.apply(input, exponent)
    raise TypeError(f"pow() received an invalid combination of arguments - got "
                    f"({type(input).__name__}, {type(exponent).__name__}), but expected "
                    "(Tensor input, Tensor exponent), (Tensor input, Number exponent) or "
                    "(Number self, Tensor exponent)")


def _check_number(value, fn: str, name: str) -> None:
    if not isinstance(value, _Number):
        raise TypeError(f"{fn}(): argument '{name}' must be Tensor or Number, not "
                        f"{type(value).__name__}")


def floor_divide(input, other) -> Tensor:
    """`input // other` rounded toward minus infinity (not differentiable, as in PyTorch)."""
    if not isinstance(input, Tensor):
        check_tensor(other, "other", "floor_divide")
        _check_number(input, "floor_divide", "input")
    else:
        _check_operand(other, "floor_divide")
    return FloorDivide.apply(input, other)


def remainder(input, other) -> Tensor:
    """Python's `%`: the result has the sign of the divisor.

    >>> remainder(tensor([-7, 7]), 3)
    tensor([2, 1])
    """
    if not isinstance(input, Tensor):
        check_tensor(other, "other", "remainder")
        _check_number(input, "remainder", "input")
        return RemainderScalarSelf.apply(input, other)
    _check_operand(other, "remainder")
    return (RemainderTensor if isinstance(other, Tensor) else Remainder).apply(input, other)


def fmod(input: Tensor, other) -> Tensor:
    """C's fmod: the result has the sign of the dividend.

    >>> fmod(tensor([-7, 7]), 3)
    tensor([-1,  1])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"fmod() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(other).__name__}), but expected "
                        "(Tensor input, Tensor other) or (Tensor input, Number other)")
    _check_operand(other, "fmod")
    return (FmodTensor if isinstance(other, Tensor) else Fmod).apply(input, other)


def _check_operand(other, fn: str) -> None:
    if not isinstance(other, (Tensor,) + _Number):
        raise TypeError(f"{fn}(): argument 'other' must be Tensor or Number, not "
                        f"{type(other).__name__}")


# ------------------------------------------------------------------ in-place forms
def _inplace(op, name: str):
    """`Tensor.<name>_()`: op computed out of place, written back by `apply_inplace`."""

    def op_(self: Tensor) -> Tensor:
        return apply_inplace(self, op)

    op_.__name__ = op_.__qualname__ = name + "_"
    op_.__doc__ = f"In-place {name}: writes {name}(self) into self and returns self."
    return op_


abs_, reciprocal_, log_ = _inplace(abs, "abs"), _inplace(reciprocal, "reciprocal"), \
    _inplace(log, "log")
log2_, log10_, log1p_ = _inplace(log2, "log2"), _inplace(log10, "log10"), \
    _inplace(log1p, "log1p")
expm1_, sqrt_, rsqrt_ = _inplace(expm1, "expm1"), _inplace(sqrt, "sqrt"), \
    _inplace(rsqrt, "rsqrt")
sin_, cos_, tan_ = _inplace(sin, "sin"), _inplace(cos, "cos"), _inplace(tan, "tan")
tanh_, sigmoid_, relu_ = _inplace(tanh, "tanh"), _inplace(sigmoid, "sigmoid"), \
    _inplace(relu, "relu")
sign_, square_, floor_ = _inplace(sign, "sign"), _inplace(square, "square"), \
    _inplace(floor, "floor")
ceil_, trunc_, frac_ = _inplace(ceil, "ceil"), _inplace(trunc, "trunc"), \
    _inplace(frac, "frac")
absolute_, fix_ = abs_, trunc_


def round_(self: Tensor, *, decimals: int = 0) -> Tensor:
    return apply_inplace(self, lambda s: round(s, decimals=decimals))


def pow_(self: Tensor, exponent) -> Tensor:
    return apply_inplace(self, pow, exponent)


def floor_divide_(self: Tensor, other) -> Tensor:
    return apply_inplace(self, floor_divide, other)


def remainder_(self: Tensor, other) -> Tensor:
    return apply_inplace(self, remainder, other)


def fmod_(self: Tensor, other) -> Tensor:
    return apply_inplace(self, fmod, other)


# ------------------------------------------------------------------ operators
def _pow_op(self, other):
    if not isinstance(other, (Tensor,) + _Number):
        return NotImplemented
    return pow(self, other)


def _rpow_op(self, other):
    if _AMP.on and _AMP.active():
        return autocast_call("pow", _rpow_op, self, other)
    if not isinstance(other, _Number):
        return NotImplemented
    return PowScalarBase.apply(other, self)


def _floordiv_op(self, other):
    if not isinstance(other, (Tensor,) + _Number):
        return NotImplemented
    return FloorDivide.apply(self, other)


def _rfloordiv_op(self, other):
    if not isinstance(other, _Number):
        return NotImplemented
    return FloorDivide.apply(other, self)


def _mod_op(self, other):
    if not isinstance(other, (Tensor,) + _Number):
        return NotImplemented
    return remainder(self, other)


def _rmod_op(self, other):
    if not isinstance(other, _Number):
        return NotImplemented
    return RemainderScalarSelf.apply(other, self)


METHODS = {
    "abs": abs, "absolute": abs, "reciprocal": reciprocal, "log": log, "log2": log2,
    "log10": log10, "log1p": log1p, "expm1": expm1, "sqrt": sqrt, "rsqrt": rsqrt, "sin": sin,
    "cos": cos, "tan": tan, "tanh": tanh, "sigmoid": sigmoid, "relu": relu, "sign": sign,
    "square": square, "floor": floor, "ceil": ceil, "round": round, "trunc": trunc, "fix": trunc,
    "frac": frac, "pow": pow, "floor_divide": floor_divide, "remainder": remainder,
    "fmod": fmod,
    "abs_": abs_, "absolute_": abs_, "reciprocal_": reciprocal_, "log_": log_, "log2_": log2_,
    "log10_": log10_, "log1p_": log1p_, "expm1_": expm1_, "sqrt_": sqrt_, "rsqrt_": rsqrt_,
    "sin_": sin_, "cos_": cos_, "tan_": tan_, "tanh_": tanh_, "sigmoid_": sigmoid_,
    "relu_": relu_, "sign_": sign_, "square_": square_, "floor_": floor_, "ceil_": ceil_,
    "round_": round_, "trunc_": trunc_, "fix_": trunc_, "frac_": frac_, "pow_": pow_,
    "floor_divide_": floor_divide_, "remainder_": remainder_, "fmod_": fmod_,
    "__pow__": _pow_op, "__rpow__": _rpow_op, "__ipow__": pow_,
    "__floordiv__": _floordiv_op, "__rfloordiv__": _rfloordiv_op, "__ifloordiv__": floor_divide_,
    "__mod__": _mod_op, "__rmod__": _rmod_op, "__imod__": remainder_,
    "__abs__": abs,
}
