"""Pointwise math: exp2, logaddexp(2), xlogy, nan_to_num, heaviside, signbit, copysign, frexp,
ldexp and float_power (addcmul, addcdiv and lerp: ops/ternary_pointwise.py, imported at the
end; sgn: ops/complex.py).

PyTorch's conventions, checked against torch 2.13:
  * integer and bool inputs of the float functions give the default float dtype;
    float16/bfloat16 are computed in float32 and rounded once; float_power always computes in
    float64 (complex128 for complex operands);
  * xlogy(0, y) = 0 unless y is nan;
  * copysign's gradient is copysign(1, y) * sign-of-x ratio, 0 at x = 0, and 0 for y;
  * frexp's exponent is int32 with no gradient; d mantissa / dx = 2 ** -exponent;
  * ldexp of a float tensor by an integer exponent is exact (no overflow of 2 ** other on the
    way); otherwise it is `input * 2. ** other`, each step rounded in its own dtype. Its
    gradient is PyTorch's `grad * pow(2, other)`: integer pow for an integer exponent, so a
    negative integer exponent gives input a zero gradient (as PyTorch, not d/dx = 2 ** e);
  * xlogy's gradient w.r.t. x is grad * log(y), 0 where x == 0 and y <= 0 (PyTorch's);
  * heaviside has no derivative (its backward raises, as PyTorch's).
"""
from __future__ import annotations

import contextlib
import math

import numpy as np

from .. import dtypes as _dt, return_types
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import reduce_grad
from ..tensor import Tensor, _wrap
from ._nn_util import compute_array
from ._util import binary_operands, check_tensor, grad_cast, shape_mismatch, xp_of
from .arith import _half_scaled, _int_power, pow as _pow
from .comparison import _Number
from .elementwise import _float_array, _input_grad
from .inplace import _legacy_name, apply_inplace
from .registry import method_of, op

# The in-place forms PyTorch also exports at top level (torch.exp2_, ...): declared below.
__all__ = ["exp2_", "xlogy_", "nan_to_num_", "ldexp_"]

_LN2 = math.log(2.0)


# ------------------------------------------------------------------ shared helpers
def _not_implemented(kernel: str, dtype) -> NotImplementedError:
    """PyTorch's error for a dtype an op has no kernel for."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{_legacy_name(dtype)}\'')


def _float_operands(a, b) -> tuple:
    """Both operands in PyTorch's result dtype, int/bool promoted to the default float."""
    x, y, res = binary_operands(a, b)
    if res.kind < 2:
        res = _dt.get_default_dtype()
        x, y = x.astype(res.np), y.astype(res.np)
    return x, y, res


def _computed(res, fn, *arrays):
    """`fn(*arrays)` with half types computed in float32, then rounded once to `res`."""
    out = fn(*[compute_array(a) if hasattr(a, "dtype") else a for a in arrays])
    return xp_of(out).asarray(out).astype(res.np, copy=False)


@contextlib.contextmanager
def _broadcasting(*operands):
    """numpy's broadcasting ValueError as PyTorch's RuntimeError naming the sizes."""
    try:
        yield
    except ValueError as err:
        raise shape_mismatch(err, *operands) from None


def _require_tensor_or_number(value, fn: str, name: str, position: int) -> None:
    if not isinstance(value, (Tensor,) + _Number):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor or "
                        f"Number, not {type(value).__name__}")


# ------------------------------------------------------------------ exp2
class Exp2(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        a = _float_array(x)
        out = _wrap(xp_of(a).exp2(compute_array(a)).astype(a.dtype, copy=False))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return _half_scaled(g * out._data, _LN2)   # PyTorch: grad * result * ln 2

    @staticmethod
    def grad_formula(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * _LN2


# ------------------------------------------------------------------ logaddexp, logaddexp2
def _logaddexp_complex(xp, x, y):
    """log(exp(x) + exp(y)) for complex arrays, shifted by the operand of larger real part."""
    big = xp.where(x.real >= y.real, x, y)
    small = xp.where(x.real >= y.real, y, x)
    return big + xp.log1p(xp.exp(small - big))


class Logaddexp(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        x, y, res = binary_operands(a, b)
        ctx.save_for_backward(a, b)
        with _broadcasting(a, b):
            if res.kind == 3:
                return _wrap(_computed(res, lambda u, v: _logaddexp_complex(xp_of(u), u, v),
                                       x, y))
            return _wrap(_computed(res, xp_of(x).logaddexp, x, y))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        x, y, _ = binary_operands(a, b)
        xp = xp_of(g)
        ga = _input_grad(g / (1 + xp.exp(y - x)), a) if ctx.needs_input_grad[0] else None
        gb = _input_grad(g / (1 + xp.exp(x - y)), b) if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def grad_formula(ctx, g):
        a, b = ctx.saved_tensors
        ga = reduce_grad(g / (1 + (b - a).exp()), a) if ctx.needs_input_grad[0] else None
        gb = reduce_grad(g / (1 + (a - b).exp()), b) if ctx.needs_input_grad[1] else None
        return ga, gb


class Logaddexp2(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        x, y, res = binary_operands(a, b)
        ctx.save_for_backward(a, b)
        with _broadcasting(a, b):
            return _wrap(_computed(res, xp_of(x).logaddexp2, x, y))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        x, y, _ = binary_operands(a, b)
        xp = xp_of(g)
        ga = _input_grad(g / (1 + xp.exp2(y - x)), a) if ctx.needs_input_grad[0] else None
        gb = _input_grad(g / (1 + xp.exp2(x - y)), b) if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def grad_formula(ctx, g):
        a, b = ctx.saved_tensors
        ga = reduce_grad(g / (1 + (b - a).exp2()), a) if ctx.needs_input_grad[0] else None
        gb = reduce_grad(g / (1 + (a - b).exp2()), b) if ctx.needs_input_grad[1] else None
        return ga, gb


# ------------------------------------------------------------------ xlogy
def _xlogy_array(x, y):
    """x * log(y), 0 where x == 0 unless y is nan (PyTorch's xlogy). Half types: log(y)
    rounded to the half type, then the product rounded (PyTorch's CPU kernel)."""
    xp = xp_of(x) if hasattr(x, "shape") else xp_of(y)
    log_y = xp.log(compute_array(y)).astype(y.dtype, copy=False)
    return xp.where((x == 0) & ~xp.isnan(y), 0, x * log_y)


class Xlogy(ArrayFunction):
    """xlogy(tensor, tensor): XlogyBackward0; the scalar forms below name their nodes."""

    @staticmethod
    def forward(ctx, a, b):
        x, y, res = _float_operands(a, b)
        if res.kind == 3:
            raise _not_implemented("xlogy_cpu", res)
        ctx.save_for_backward(a if isinstance(a, Tensor) else None,
                              b if isinstance(b, Tensor) else None)
        ctx.scalars = (a, b)
        with _broadcasting(a, b):
            out = _xlogy_array(x, y)
        return _wrap(xp_of(out).asarray(out).astype(res.np, copy=False))

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.scalars
        a, b = ctx.saved_tensors
        x, y, _ = _float_operands(a if a is not None else sa, b if b is not None else sb)
        ga = gb = None
        xp = xp_of(g)
        if ctx.needs_input_grad[0]:   # PyTorch's: grad * log(other), 0 where x == 0 >= other
            ga = xp.where((x == 0) & (y <= 0), 0, g * xp.log(y)).astype(g.dtype, copy=False)
            ga = _input_grad(ga, a)
        if ctx.needs_input_grad[1]:
            gb = _input_grad(g * x / y, b)
        return ga, gb

    @staticmethod
    def grad_formula(ctx, g):
        from .selection import where
        sa, sb = ctx.scalars
        a, b = ctx.saved_tensors
        x = a if a is not None else sa
        y = b if b is not None else sb
        ga = gb = None
        if ctx.needs_input_grad[0]:   # PyTorch: xlogy(grad, other), 0 where self == 0 >= other
            slope = (Xlogy if isinstance(y, Tensor) else XlogyScalarOther).apply(g, y)
            ga = reduce_grad(where((x == 0) & (y <= 0), 0, slope), a)
        if ctx.needs_input_grad[1]:
            gb = reduce_grad(g * x / y, b)
        return ga, gb


class XlogyScalarSelf(Xlogy):
    node_name = "XlogyBackward1"


class XlogyScalarOther(Xlogy):
    node_name = "XlogyBackward2"


# ------------------------------------------------------------------ nan_to_num
def _finfo(np_dtype):
    if np_dtype.name == "bfloat16":
        import ml_dtypes
        return ml_dtypes.finfo(np_dtype)
    return np.finfo(np_dtype)


def _replace_nonfinite(a, nan, posinf, neginf):
    """a (a real float array) with nan, +inf and -inf replaced, the values rounded to a's
    dtype (so a posinf beyond the dtype's range is inf again, as PyTorch)."""
    xp = xp_of(a)
    info = _finfo(a.dtype)
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    with np.errstate(over="ignore"):
        values = [a.dtype.type(v) for v in (nan, hi, lo)]
    inf = xp.isinf(a)
    out = xp.where(xp.isnan(a), values[0], a)
    out = xp.where(inf & (a > 0), values[1], out)
    return xp.where(inf & (a < 0), values[2], out).astype(a.dtype, copy=False)


class NanToNum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        a = x._data
        ctx.save_for_backward(x)
        if a.dtype.kind in "biu":
            return _wrap(a.copy())
        if a.dtype.kind == "c":
            return _wrap(_replace_nonfinite(a.real, nan, posinf, neginf)
                         + 1j * _replace_nonfinite(a.imag, nan, posinf, neginf))
        return _wrap(_replace_nonfinite(a, nan, posinf, neginf))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return xp_of(g).where(xp_of(g).isfinite(x._data), g, 0), None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        from .selection import where
        (x,) = ctx.saved_tensors
        return where(x.isfinite(), g, 0), None, None, None


# ------------------------------------------------------------------ heaviside
class Heaviside(ArrayFunction):
    """No derivative in PyTorch: the node is recorded, its backward raises."""

    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, a, b):
        x, v = a._data, b._data
        xp = xp_of(x)
        try:
            out = xp.where(x == 0, v, (x > 0).astype(x.dtype))
        except ValueError as err:
            raise shape_mismatch(err, a, b) from None
        return _wrap(out.astype(x.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::heaviside is not implemented")


# ------------------------------------------------------------------ copysign
class Copysign(ArrayFunction):
    """copysign(tensor, tensor): CopysignBackward0; with a number `other`: ...Backward1."""

    @staticmethod
    def forward(ctx, a, b):
        x, y, res = _float_operands(a, b)
        if res.kind == 3:
            raise _not_implemented("copysign_cpu", res)
        with _broadcasting(a, b):
            out = _wrap(_computed(res, xp_of(x).copysign, x, y))
        ctx.save_for_backward(a, out)
        ctx.other = b
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        b = ctx.other
        xp = xp_of(g)
        ga = gb = None
        if ctx.needs_input_grad[0]:   # PyTorch: grad * (result / self), 0 where self == 0
            x = a._data
            ratio = xp.where(x == 0, 0, out._data / xp.where(x == 0, 1, x))
            ga = _input_grad((g * ratio).astype(g.dtype, copy=False), a)
        if isinstance(b, Tensor) and ctx.needs_input_grad[1]:
            gb = grad_cast(xp.zeros(b._data.shape, dtype=g.dtype), b._data)
        return ga, gb

    @staticmethod
    def grad_formula(ctx, g):
        from .selection import where
        a, out = ctx.saved_tensors
        b = ctx.other
        ga = gb = None
        if ctx.needs_input_grad[0]:   # PyTorch: grad * (result / self), 0 where self == 0
            zero = a == 0
            ga = reduce_grad(g * where(zero, 0, out / where(zero, 1, a)), a)
        if isinstance(b, Tensor) and ctx.needs_input_grad[1]:   # a constant zero, as PyTorch
            gb = _wrap(xp_of(g._data).zeros(b._data.shape, dtype=b._data.dtype))
        return ga, gb


class CopysignScalar(Copysign):
    node_name = "CopysignBackward1"


# ------------------------------------------------------------------ frexp, ldexp
class Frexp(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        a = x._data
        mantissa, exponent = xp_of(a).frexp(compute_array(a))
        exponent = exponent.astype(np.int32, copy=False)
        ctx.save_for_backward(_wrap(exponent))
        return _wrap(mantissa.astype(a.dtype, copy=False)), _wrap(exponent)

    @staticmethod
    def backward(ctx, g, _g_exponent):
        (exponent,) = ctx.saved_tensors   # PyTorch: grad / exponent.exp2()
        return g / xp_of(g).exp2(exponent._data).astype(g.dtype)

    @staticmethod
    def grad_formula(ctx, g, _g_exponent):
        (exponent,) = ctx.saved_tensors   # the exponent is an integer: a constant
        return g / _wrap(xp_of(g._data).exp2(exponent._data).astype(g._data.dtype))


class Ldexp(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        x, _, res = _float_operands(a, b)
        e = b._data
        xp = xp_of(x)
        with _broadcasting(a, b):
            if a.dtype.kind == 2 and e.dtype.kind in "iu":   # exact: PyTorch's ldexp kernel
                e = xp.clip(e, -(2 ** 31 - 1), 2 ** 31 - 1).astype(np.int32)
                out = _computed(res, xp.ldexp, x, e)
            else:   # PyTorch: self * pow(2., other), each step rounded in its own dtype
                out = x * _power_of_two(e, None).astype(res.np, copy=False)
        out = _wrap(xp.asarray(out).astype(res.np, copy=False))
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:   # grad * 2 ** other
            ga = _input_grad(g * _power_of_two(b._data, g.dtype), a)
        if ctx.needs_input_grad[1]:   # grad * result * ln 2
            gb = _input_grad(_half_scaled(g * out._data, _LN2), b)
        return ga, gb

    @staticmethod
    def grad_formula(ctx, g):
        a, b, out = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:   # grad * 2 ** other (an integer exponent: a constant)
            two = 2 ** b if b.is_floating_point() else _wrap(_power_of_two(b._data, g._data.dtype))
            ga = reduce_grad(g * two, a)
        if ctx.needs_input_grad[1]:   # grad * result * ln 2
            gb = reduce_grad(g * out * _LN2, b)
        return ga, gb


def _power_of_two(e, dtype):
    """`pow(2, e)` as PyTorch computes it, cast to `dtype` (None: kept). For the gradient an
    integer e uses integer pow (2 ** -k = 0, wrapping in e's dtype), as PyTorch's backward
    does; in the forward (dtype None) an integer or bool e gives the default float dtype. A
    float e is rounded in its own dtype (float16: 2 ** 16 = inf)."""
    xp = xp_of(e)
    if e.dtype.kind in "biu":
        if dtype is None:
            d = _dt.get_default_dtype().np
            return xp.exp2(e.astype(d))
        if e.dtype.kind == "b":
            return xp.where(e, 2, 1).astype(dtype)
        return _int_power(xp, e.dtype.type(2), e).astype(dtype)
    p = xp.exp2(compute_array(e)).astype(e.dtype, copy=False)
    return p if dtype is None else p.astype(dtype)


# ------------------------------------------------------------------ declarations
@op("exp2", methods=("exp2",))
def exp2(input: Tensor) -> Tensor:
    """2 ** input elementwise (int/bool inputs: the default float dtype)."""
    check_tensor(input, "input", "exp2")
    return Exp2.apply(input)


def _float_binary(fn_cls, name: str, kernel: str, complex_ok: bool):
    def binary(input: Tensor, other: Tensor) -> Tensor:
        check_tensor(input, "input", name)
        check_tensor(other, "other", name, 2)
        res = _dt.result_type(input, other)
        if res.kind < 2 or (res.kind == 3 and not complex_ok):
            raise _not_implemented(kernel, res)
        return fn_cls.apply(input, other)

    binary.__name__ = binary.__qualname__ = name
    return binary


logaddexp = op("logaddexp", methods=("logaddexp",))(
    _float_binary(Logaddexp, "logaddexp", "logaddexp_cpu", True))
logaddexp.__doc__ = "log(exp(input) + exp(other)) without overflow; float tensors only."
logaddexp2 = op("logaddexp2", methods=("logaddexp2",))(
    _float_binary(Logaddexp2, "logaddexp2", "logaddexp2_cpu", False))
logaddexp2.__doc__ = "log2(2 ** input + 2 ** other) without overflow; real float tensors only."


@op("xlogy", methods=("xlogy",))
def xlogy(input, other) -> Tensor:
    """input * log(other), 0 where input == 0 unless other is nan (the 0 * log 0 = 0 of
    entropy formulas); either side may be a Python number."""
    if not isinstance(input, Tensor):
        check_tensor(other, "other", "xlogy", 2)
        _require_tensor_or_number(input, "xlogy", "self", 1)
        return XlogyScalarSelf.apply(input, other)
    _require_tensor_or_number(other, "xlogy", "other", 2)
    return (Xlogy if isinstance(other, Tensor) else XlogyScalarOther).apply(input, other)


@op("nan_to_num", methods=("nan_to_num",))
def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """nan, +inf and -inf replaced by `nan`, `posinf`, `neginf` (default: 0 and the dtype's
    largest and lowest finite values); integer and bool tensors are returned as a copy."""
    check_tensor(input, "input", "nan_to_num")
    values = [0.0 if nan is None else nan, posinf, neginf]
    for i, (name, v) in enumerate(zip(("nan", "posinf", "neginf"), values)):
        if v is not None:
            if isinstance(v, Tensor):
                v = v.item()
            if not isinstance(v, (int, float)):
                raise TypeError(f"nan_to_num(): argument '{name}' must be float, not "
                                f"{type(v).__name__}")
            values[i] = float(v)
    return NanToNum.apply(input, *values)


@op("heaviside", methods=("heaviside",))
def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """The step function: 0 where input < 0, 1 where input > 0, `values` where input == 0.
    Both tensors must have one dtype (PyTorch's rule; no promotion)."""
    check_tensor(input, "input", "heaviside")
    check_tensor(values, "values", "heaviside", 2)
    if input.dtype.kind == 3 or values.dtype.kind == 3:
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different "
                           "dtypes.")
    return Heaviside.apply(input, values)


@op("signbit", methods=("signbit",))
def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set: negative numbers, -0.0 and negative nans (bool)."""
    check_tensor(input, "input", "signbit")
    a = input._data
    if a.dtype.kind == "c":
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    if a.dtype.kind in "biu":
        return _wrap(a < 0)
    return _wrap(xp_of(a).signbit(compute_array(a)))


@op("copysign", methods=("copysign",))
def copysign(input: Tensor, other) -> Tensor:
    """|input| with the sign of `other` (a tensor or a number); int inputs give floats."""
    if not isinstance(input, Tensor):
        raise TypeError(f"copysign() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(other).__name__}), but expected one "
                        "of: (Tensor input, Tensor other), (Tensor input, Number other)")
    _require_tensor_or_number(other, "copysign", "other", 2)
    return (Copysign if isinstance(other, Tensor) else CopysignScalar).apply(input, other)


@op("frexp", methods=("frexp",))
def frexp(input: Tensor):
    """(mantissa, exponent) with input = mantissa * 2 ** exponent, 0.5 <= |mantissa| < 1
    (0, inf and nan keep exponent 0); the exponent is int32."""
    check_tensor(input, "input", "frexp")
    if input.dtype.kind != 2:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    mantissa, exponent = Frexp.apply(input)
    return _FREXP(mantissa, exponent)


@op("ldexp", methods=("ldexp",))
def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """input * 2 ** other (promoted to a float dtype as PyTorch does)."""
    check_tensor(input, "input", "ldexp")
    check_tensor(other, "other", "ldexp", 2)
    if input.dtype.kind == 2 and other.dtype.kind == 0:   # PyTorch's kernel has no bool
        raise _not_implemented("ldexp_cpu_exp", other.dtype)
    return Ldexp.apply(input, other)


@op("float_power", methods=("float_power",))
def float_power(input, exponent) -> Tensor:
    """input ** exponent computed in float64 (complex128 if either side is complex)."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError(f"float_power() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(exponent).__name__}), but expected "
                        "one of: (Tensor input, Tensor exponent), (Number self, Tensor "
                        "exponent), (Tensor input, Number exponent)")
    for value, name, position in ((input, "input", 1), (exponent, "exponent", 2)):
        _require_tensor_or_number(value, "float_power", name, position)
    dtype = _float_power_dtype(input, exponent)
    return _pow(*(v.to(dtype) if isinstance(v, Tensor) else _number_as(v, dtype)
                  for v in (input, exponent)))


def _float_power_dtype(*operands):
    complex_ = any(v.dtype.kind == 3 if isinstance(v, Tensor) else isinstance(v, complex)
                   for v in operands)
    return _dt.complex128 if complex_ else _dt.float64


def _number_as(value, dtype):
    return complex(value) if dtype is _dt.complex128 else float(value)


_FREXP = return_types.frexp


# ------------------------------------------------------------------ in-place forms
@method_of("exp2", "exp2_", export=True)
def exp2_(self: Tensor) -> Tensor:
    return apply_inplace(self, exp2)


@method_of("xlogy", "xlogy_", export=True)
def xlogy_(self: Tensor, other) -> Tensor:
    return apply_inplace(self, xlogy, other)


@method_of("nan_to_num", "nan_to_num_", export=True)
def nan_to_num_(self: Tensor, nan: float = 0.0, posinf: float | None = None,
                neginf: float | None = None) -> Tensor:
    return apply_inplace(self, lambda s: nan_to_num(s, nan, posinf, neginf))


@method_of("ldexp", "ldexp_", export=True)
def ldexp_(self: Tensor, other: Tensor) -> Tensor:
    return apply_inplace(self, ldexp, other)


@method_of("heaviside", "heaviside_")
def heaviside_(self: Tensor, values: Tensor) -> Tensor:
    return apply_inplace(self, heaviside, values)


@method_of("copysign", "copysign_")
def copysign_(self: Tensor, other) -> Tensor:
    return apply_inplace(self, copysign, other)


@method_of("float_power", "float_power_")
def float_power_(self: Tensor, exponent) -> Tensor:
    dtype = _float_power_dtype(self, exponent)
    if self.dtype is not dtype:
        raise RuntimeError(f"the base given to float_power_ has dtype "
                           f"{_legacy_name(self.dtype)} but the operation's result requires "
                           f"dtype {_legacy_name(dtype)}")
    return apply_inplace(self, float_power, exponent)
