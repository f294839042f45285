"""Powers and integer-style division: pow, square, floor_divide, remainder, fmod, with their
in-place forms and operators (`**`, `//`, `%`). Forward and backward side by side.

Conventions copied from PyTorch (each was checked against torch 2.13):
  * pow: `x ** 0` has a zero gradient; the exponent's gradient `out * log(base)` is 0 where
    base == 0 and exponent >= 0; integer tensors refuse negative Python integer exponents;
    square is `input ** 2` (integer and bool inputs give int64; node PowBackward0);
  * remainder takes the sign of the divisor (Python's %), fmod the sign of the dividend;
    integer division by zero raises; floor_divide (and a remainder whose dividend is a Python
    number) are recorded but have no derivative: backward raises, as in PyTorch.
Where PyTorch numbers the variants of one op (`PowBackward1`, `FmodBackward1`), the Function
class names its node with `node_name`.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.higher_order import reduce_grad
from ..tensor import Tensor, _wrap
from ._nn_util import compute_array
from ._util import binary_operands, check_tensor, grad_cast, shape_mismatch, xp_of
from .elementwise import _input_grad
from .inplace import _legacy_name, apply_inplace
from .registry import method_of, op

__all__ = ["square_"]   # in-place form PyTorch also exports (torch.square_): the ops are declared

_Number = (bool, int, float, complex)


def _check_int_divisor(y, res) -> None:
    """Integer division by zero raises in PyTorch (numpy would return 0 with a warning)."""
    if res.kind == 1 and not (y != 0).all():   # y may be an array or a numpy scalar
        raise RuntimeError("ZeroDivisionError")


def _no_derivative(op: str) -> RuntimeError:
    return RuntimeError(f"derivative for aten::{op} is not implemented")


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


def _is_half(a) -> bool:
    return a.dtype.itemsize == 2 and (a.dtype.kind == "f" or a.dtype.name == "bfloat16")


def _half_power(x, e):
    """`x ** e` for a float16/bfloat16 array and a real Python number, as PyTorch's CPU pow
    computes it (checked over every value): in float32, the exponent first rounded to x's
    dtype, the result rounded once; except bfloat16 `x ** 3` and `x ** -2`, which PyTorch
    evaluates as `x * x * x` and `1 / (x * x)`, rounding after each operation."""
    if x.dtype.name == "bfloat16" and e in (3, -2):
        return x * x * x if e == 3 else 1 / (x * x)
    c = x.astype(np.float32)
    if e == 0.5:
        r = np.sqrt(c)
    elif e == -0.5 and x.dtype.name == "bfloat16":   # float16 uses powf: (-0) ** -0.5 = inf
        r = 1 / np.sqrt(c)
    elif e == -1:
        r = 1 / c
    elif e == 2:
        r = c * c
    else:   # PyTorch's pow converts the exponent to the tensor's dtype first
        r = c ** np.float32(x.dtype.type(e))
    return r.astype(x.dtype)


def _half_scaled(a, k):
    """`a * k` for a Python number `k`: float16/bfloat16 arrays in float32, rounded once
    (PyTorch's; numpy would round `k` to the half type first)."""
    c = compute_array(a)
    if c is a:
        return a * k
    return (c * np.float32(k)).astype(a.dtype)


def _real_number(e) -> bool:
    return isinstance(e, (int, float)) and not isinstance(e, bool)


class Pow(ArrayFunction):
    """tensor ** number (PowBackward0)."""

    @staticmethod
    def forward(ctx, base, exponent):
        x, y, res = binary_operands(base, exponent)
        if res.kind == 1 and isinstance(exponent, int) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        ctx.save_for_backward(base)
        ctx.exponent = exponent
        if _real_number(exponent) and not np.isscalar(x) and _is_half(x) \
                and x.dtype == base._data.dtype and isinstance(x, np.ndarray):
            with np.errstate(all="ignore"):
                return _wrap(_half_power(x, exponent))
        return _wrap(_power(x, y, res, (base,)))

    @staticmethod
    def backward(ctx, g):
        (base,) = ctx.saved_tensors
        e = ctx.exponent
        if e == 0:
            return xp_of(g).zeros_like(g), None
        b = base._data
        with np.errstate(all="ignore"):
            if _real_number(e) and _is_half(b) and isinstance(b, np.ndarray):
                # PyTorch: grad * (exponent * self.pow(exponent - 1)), each op rounded
                grad = g * _half_scaled(_half_power(b, e - 1), e)
            else:
                grad = g * (e * xp_of(g).power(b, e - 1))
        return grad_cast(grad, base._data), None

    @staticmethod
    def grad_formula(ctx, g):
        (base,) = ctx.saved_tensors
        e = ctx.exponent
        if e == 0:   # PyTorch: zeros_like(self), a constant
            return _zeros_like(base), None
        return reduce_grad(g * (e * base ** (e - 1)), base), None


class PowTensor(ArrayFunction):
    """tensor ** tensor, broadcast (PowBackward1)."""

    node_name = "PowBackward1"

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

    @staticmethod
    def grad_formula(ctx, g):
        base, exponent, out = ctx.saved_tensors   # Tensor.where: no import of ops/selection
        gb = ge = None
        if ctx.needs_input_grad[0]:   # 0 where exponent == 0
            gb = (g * (exponent * base ** (exponent - 1))).where(~(exponent == 0), 0)
            gb = reduce_grad(gb, base)
        if ctx.needs_input_grad[1]:
            if exponent.is_complex():   # PyTorch: 0 where base == 0 and exponent is real >= 0
                nonneg = (exponent.imag == 0) & (exponent.real >= 0)
            else:
                nonneg = exponent >= 0
            ge = reduce_grad(g * (out * base.log()).where(~((base == 0) & nonneg), 0), exponent)
        return gb, ge


class PowScalarBase(ArrayFunction):
    """number ** tensor (PowBackward2): only the exponent gets a gradient."""

    node_name = "PowBackward2"

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
        with np.errstate(invalid="ignore", over="ignore"):
            grad = g * _half_scaled(out._data, log_b)   # PyTorch: grad * (result * log(b))
        if b == 0:   # 0 ** e: zero gradient where e >= 0 (not 0 * -inf = nan)
            grad = xp_of(g).where(exponent._data >= 0, 0, grad).astype(g.dtype, copy=False)
        return None, grad_cast(grad, exponent._data)

    @staticmethod
    def grad_formula(ctx, g):
        exponent, out = ctx.saved_tensors
        b = ctx.base
        log_b = math.log(b) if b > 0 else (-math.inf if b == 0 else math.nan)
        slope = out * log_b
        if b == 0:   # PyTorch: grad * where(exponent >= 0, 0, result * log(0))
            slope = slope.where(~(exponent >= 0), 0)
        return None, reduce_grad(g * slope, exponent)


def _zeros_like(t: Tensor) -> Tensor:
    """A constant zero Tensor of t's shape, dtype and device (no graph)."""
    return _wrap(xp_of(t._data).zeros_like(t._data))


# ------------------------------------------------------------------ division-like ops
class FloorDivide(ArrayFunction):
    """`a // b`: PyTorch records it but has no derivative (backward raises)."""

    @staticmethod
    def forward(ctx, a, b):
        x, y, res = binary_operands(a, b)
        if res.kind == 0 or res.is_complex:
            raise _no_kernel("div_floor_cpu", res)
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

    @staticmethod
    def grad_formula(ctx, g):
        return _modulo_grad_formula(ctx, g)


class RemainderTensor(Remainder):
    """remainder(tensor, tensor): the same op; PyTorch names its node RemainderBackward1."""

    node_name = "RemainderBackward1"


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

    @staticmethod
    def grad_formula(ctx, g):
        return _modulo_grad_formula(ctx, g)


class FmodTensor(Fmod):
    """fmod(tensor, tensor): the same op; PyTorch names its node FmodBackward1."""

    node_name = "FmodBackward1"


def _no_kernel(kernel: str, res) -> NotImplementedError:
    """PyTorch's error for a dtype the kernel is not built for (bool, complex)."""
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_legacy_name(res)}'")


def _modulo(ctx, a, b, xp_name: str, kernel: str, rounding: str):
    """Forward of remainder / fmod; saves what `_modulo_backward` needs."""
    x, y, res = binary_operands(a, b)
    if res.kind == 0 or res.is_complex:
        raise _no_kernel(kernel, res)
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


def _modulo_grad_formula(ctx, g):
    """_modulo_backward in Tensor ops: grad for a; -grad * a.div(b, rounding) for b, whose
    rounded quotient is a constant (PyTorch's div with rounding_mode has a zero gradient)."""
    a, b = ctx.inputs
    ga = reduce_grad(g, a) if ctx.needs_input_grad[0] else None
    gb = None
    if isinstance(b, Tensor) and ctx.needs_input_grad[1]:
        a, b = ctx.saved_tensors
        x, y, _ = binary_operands(a, b)
        with np.errstate(all="ignore"):
            q = getattr(xp_of(g._data), ctx.rounding)(x / y)
        gb = reduce_grad(-g * _wrap(q.astype(g._data.dtype, copy=False)), b)
    return ga, gb




# ------------------------------------------------------------------ declarations
@op("square", methods=("square",), autocast="pow")
def square(input: Tensor) -> Tensor:
    """`input ** 2` (integer and bool inputs give int64, as PyTorch; node PowBackward0)."""
    check_tensor(input, "input", "square")
    return Pow.apply(input, 2)


@op("pow", methods=("pow",))
def pow(input, exponent) -> Tensor:
    """`input ** exponent`: tensor ** number, tensor ** tensor (broadcast) or number ** tensor.

    >>> pow(tensor([1., 2., 3.]), 2)
    tensor([1., 4., 9.])
    """
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


@op("floor_divide", methods=("floor_divide",))
def floor_divide(input, other) -> Tensor:
    """`input // other` rounded toward minus infinity (not differentiable, as in PyTorch)."""
    if not isinstance(input, Tensor):
        check_tensor(other, "other", "floor_divide")
        _check_number(input, "floor_divide", "input")
    else:
        _check_operand(other, "floor_divide")
    return FloorDivide.apply(input, other)


@op("remainder", methods=("remainder",))
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


@op("fmod", methods=("fmod",))
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
# Each calls the public (autocast-hooked) op, as before the registry; the in-place method
# itself is not cast (PyTorch's autocast lists hold no in-place op).
@method_of("square", "square_")
def square_(self: Tensor) -> Tensor:
    """In-place square: writes square(self) into self and returns self."""
    return apply_inplace(self, square)


@method_of("pow", "pow_", "__ipow__")
def pow_(self: Tensor, exponent) -> Tensor:
    return apply_inplace(self, pow, exponent)


@method_of("floor_divide", "floor_divide_", "__ifloordiv__")
def floor_divide_(self: Tensor, other) -> Tensor:
    return apply_inplace(self, floor_divide, other)


@method_of("remainder", "remainder_", "__imod__")
def remainder_(self: Tensor, other) -> Tensor:
    return apply_inplace(self, remainder, other)


@method_of("fmod", "fmod_")
def fmod_(self: Tensor, other) -> Tensor:
    return apply_inplace(self, fmod, other)


# ------------------------------------------------------------------ operators
# NotImplemented for operands that are neither a Tensor nor a number (Python then tries the
# other side). `**` is cast under autocast like pow (the registry hooks both).
@method_of("pow", "__pow__")
def _pow_op(self, other):
    if isinstance(other, Tensor):
        return PowTensor.apply(self, other)
    if isinstance(other, _Number):
        return Pow.apply(self, other)
    return NotImplemented


@method_of("pow", "__rpow__")
def _rpow_op(self, other):
    if not isinstance(other, _Number):
        return NotImplemented
    return PowScalarBase.apply(other, self)


@method_of("floor_divide", "__floordiv__")
def _floordiv_op(self, other):
    if not isinstance(other, (Tensor,) + _Number):
        return NotImplemented
    return FloorDivide.apply(self, other)


@method_of("floor_divide", "__rfloordiv__")
def _rfloordiv_op(self, other):
    if not isinstance(other, _Number):
        return NotImplemented
    return FloorDivide.apply(other, self)


@method_of("remainder", "__mod__")
def _mod_op(self, other):
    if not isinstance(other, (Tensor,) + _Number):
        return NotImplemented
    return remainder(self, other)


@method_of("remainder", "__rmod__")
def _rmod_op(self, other):
    if not isinstance(other, _Number):
        return NotImplemented
    return RemainderScalarSelf.apply(other, self)
