"""Inverse trigonometric and hyperbolic functions, atan2, hypot and angle conversion.

(sin, cos, tan and tanh live in ops/unary.py.) PyTorch's conventions, checked against torch 2.13:
  * integer and bool inputs give the default float dtype; float16/bfloat16 are computed in
    float32 and rounded once; complex inputs work where PyTorch's do (the engine conjugates the
    derivative: autograd/function.py);
  * outside the domain the result is nan (acosh(0.5), asin(2)), silently;
  * derivatives are PyTorch's formulas as written, so their limits are PyTorch's too:
    asin'(+-1) = inf, acos'(+-1) = -inf, acosh'(1) = inf, atanh'(+-1) = inf; atan2's gradient at
    (0, 0) is 0 (PyTorch zeroes the infinite 1 / (x^2 + y^2)), hypot's is nan there (0 / 0).
"""
from __future__ import annotations

import math

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import reduce_grad
from ..tensor import Tensor, _wrap
from ._nn_util import compute_array
from ._util import binary_operands, check_tensor, shape_mismatch, xp_of
from .arith import _half_scaled
from .elementwise import _float_array, _input_grad
from .inplace import _legacy_name, apply_inplace
from .registry import method_of, op

# The in-place forms PyTorch also exports at top level (torch.asin_, ...): declared below with
# `method_of(..., export=True)`, listed here for `from ... import *`.
__all__ = ["asin_", "acos_", "atan_", "sinh_", "cosh_", "asinh_", "acosh_", "atanh_",
           "arcsin_", "arccos_", "arctan_", "arcsinh_", "arccosh_", "arctanh_", "rad2deg_",
           "deg2rad_"]

_RAD2DEG = 180.0 / math.pi
_DEG2RAD = math.pi / 180.0


# ------------------------------------------------------------------ shared helpers
def _evaluate(x: Tensor, ufunc: str) -> Tensor:
    """`xp.<ufunc>(x)` in x's float dtype (default float dtype for int/bool); half types are
    computed in float32 and rounded once."""
    a = _float_array(x)
    return _wrap(getattr(xp_of(a), ufunc)(compute_array(a)).astype(a.dtype, copy=False))


def _half_ufunc(a, ufunc: str):
    """`xp.<ufunc>(a)` for a backward formula: half types in float32, rounded once."""
    return getattr(xp_of(a), ufunc)(compute_array(a)).astype(a.dtype, copy=False)


def _rsqrt(a):
    """1 / sqrt(a) rounded once (PyTorch's rsqrt), nan below 0, inf at 0."""
    c = compute_array(a)
    return (1 / xp_of(a).sqrt(c)).astype(a.dtype, copy=False)


def _float_result(a, b) -> tuple:
    """Both operands' arrays in PyTorch's float result dtype (int/bool: the default float)."""
    x, y, res = binary_operands(a, b)
    if res.kind < 2:
        res = _dt.get_default_dtype()
        x, y = x.astype(res.np), y.astype(res.np)
    return x, y, res


def _not_implemented(kernel: str, dtype) -> NotImplementedError:
    return NotImplementedError(f'"{kernel}" not implemented for \'{_legacy_name(dtype)}\'')


# ------------------------------------------------------------------ inverse trigonometric
class Asin(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _evaluate(x, "arcsin")

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        a = x._data
        return g * _rsqrt(-a * a + 1)   # PyTorch: grad * (-self * self + 1).rsqrt()

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (-x * x + 1).rsqrt()


class Acos(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _evaluate(x, "arccos")

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        a = x._data
        return g * -_rsqrt(-a * a + 1)

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g * -(-x * x + 1).rsqrt()


class Atan(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _evaluate(x, "arctan")

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        a = x._data
        return g / (a * a + 1)

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * x + 1)


# ------------------------------------------------------------------ hyperbolic
class Sinh(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _evaluate(x, "sinh")

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * _half_ufunc(x._data, "cosh")

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cosh()


class Cosh(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _evaluate(x, "cosh")

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * _half_ufunc(x._data, "sinh")

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.sinh()


class Asinh(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _evaluate(x, "arcsinh")

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        a = x._data
        return g * _rsqrt(a * a + 1)   # PyTorch: grad * (self.pow(2) + 1).rsqrt()

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x * x + 1).rsqrt()


class Acosh(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _evaluate(x, "arccosh")

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        a = x._data
        if a.dtype.kind == "c":   # PyTorch's complex branch: rsqrt(z - 1) * rsqrt(z + 1)
            return g * (_rsqrt(a - 1) * _rsqrt(a + 1))
        return g * _rsqrt(a * a - 1)   # real: also finite for x < -1, as PyTorch's

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        if x.is_complex():
            return g * ((x - 1).rsqrt() * (x + 1).rsqrt())
        return g * (x * x - 1).rsqrt()


class Atanh(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _evaluate(x, "arctanh")

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        a = x._data
        return g / (1 - a * a)

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 - x * x)


# ------------------------------------------------------------------ angle conversion
class Rad2Deg(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        return _wrap(_half_scaled(_float_array(x), _RAD2DEG))

    @staticmethod
    def backward(ctx, g):
        return _half_scaled(g, _RAD2DEG)

    @staticmethod
    def grad_formula(ctx, g):
        return g * _RAD2DEG


class Deg2Rad(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        return _wrap(_half_scaled(_float_array(x), _DEG2RAD))

    @staticmethod
    def backward(ctx, g):
        return _half_scaled(g, _DEG2RAD)

    @staticmethod
    def grad_formula(ctx, g):
        return g * _DEG2RAD


# ------------------------------------------------------------------ two-argument functions
class Atan2(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        x, y, res = _float_result(a, b)
        if res.kind == 3:
            raise _not_implemented("atan2_cpu", res)
        try:
            out = xp_of(x).arctan2(compute_array(x), compute_array(y))
        except ValueError as err:
            raise shape_mismatch(err, a, b) from None
        ctx.save_for_backward(a, b)
        return _wrap(out.astype(res.np, copy=False))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        x, y, _ = _float_result(a, b)
        xp = xp_of(g)
        recip = 1 / (x * x + y * y)
        recip = xp.where(xp.isinf(recip), 0, recip).astype(recip.dtype, copy=False)
        ga = _input_grad(g * y * recip, a) if ctx.needs_input_grad[0] else None
        gb = _input_grad(g * -x * recip, b) if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def grad_formula(ctx, g):
        from .selection import where
        a, b = ctx.saved_tensors
        recip = (a * a + b * b).reciprocal()
        recip = where(recip.isinf(), 0, recip)   # 0 at (0, 0), as the array backward
        ga = reduce_grad(g * b * recip, a) if ctx.needs_input_grad[0] else None
        gb = reduce_grad(g * -a * recip, b) if ctx.needs_input_grad[1] else None
        return ga, gb


class Hypot(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        x, y, res = binary_operands(a, b)
        if res.kind != 2:
            raise _not_implemented("hypot_cpu", res)
        try:
            out = xp_of(x).hypot(compute_array(x), compute_array(y))
        except ValueError as err:
            raise shape_mismatch(err, a, b) from None
        out = _wrap(out.astype(res.np, copy=False))
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        x, y, _ = binary_operands(a, b)
        r = out._data
        ga = _input_grad(g * x / r, a) if ctx.needs_input_grad[0] else None
        gb = _input_grad(g * y / r, b) if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def grad_formula(ctx, g):
        a, b, out = ctx.saved_tensors
        ga = reduce_grad(g * a / out, a) if ctx.needs_input_grad[0] else None
        gb = reduce_grad(g * b / out, b) if ctx.needs_input_grad[1] else None
        return ga, gb


# ------------------------------------------------------------------ declarations
def _unary(fn_cls, name: str, doc: str):
    """The public function `torch.<name>(input)` of a one-tensor op."""

    def unary_op(input: Tensor) -> Tensor:
        check_tensor(input, "input", name)
        return fn_cls.apply(input)

    unary_op.__name__ = unary_op.__qualname__ = name
    unary_op.__doc__ = doc
    return unary_op


asin = op("asin", aliases=("arcsin",), methods=("asin", "arcsin"))(_unary(
    Asin, "asin", "Elementwise arcsine in [-pi/2, pi/2]; nan outside [-1, 1]."))
acos = op("acos", aliases=("arccos",), methods=("acos", "arccos"))(_unary(
    Acos, "acos", "Elementwise arccosine in [0, pi]; nan outside [-1, 1]."))
atan = op("atan", aliases=("arctan",), methods=("atan", "arctan"))(_unary(
    Atan, "atan", "Elementwise arctangent in (-pi/2, pi/2)."))
sinh = op("sinh", methods=("sinh",))(_unary(Sinh, "sinh", "Elementwise hyperbolic sine."))
cosh = op("cosh", methods=("cosh",))(_unary(Cosh, "cosh", "Elementwise hyperbolic cosine."))
asinh = op("asinh", aliases=("arcsinh",), methods=("asinh", "arcsinh"))(_unary(
    Asinh, "asinh", "Elementwise inverse hyperbolic sine."))
acosh = op("acosh", aliases=("arccosh",), methods=("acosh", "arccosh"))(_unary(
    Acosh, "acosh", "Elementwise inverse hyperbolic cosine; nan below 1."))
atanh = op("atanh", aliases=("arctanh",), methods=("atanh", "arctanh"))(_unary(
    Atanh, "atanh", "Elementwise inverse hyperbolic tangent; +-inf at +-1, nan beyond."))
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


def _real_only(fn_cls, name: str, doc: str):
    def convert(input: Tensor) -> Tensor:
        check_tensor(input, "input", name)
        if input.dtype.kind == 3:
            raise RuntimeError(f"{name} is not supported for complex tensors.")
        return fn_cls.apply(input)

    convert.__name__ = convert.__qualname__ = name
    convert.__doc__ = doc
    return convert


rad2deg = op("rad2deg", methods=("rad2deg",))(_real_only(
    Rad2Deg, "rad2deg", "Radians to degrees: `input * 180 / pi` (real tensors only)."))
deg2rad = op("deg2rad", methods=("deg2rad",))(_real_only(
    Deg2Rad, "deg2rad", "Degrees to radians: `input * pi / 180` (real tensors only)."))


@op("atan2", aliases=("arctan2",), methods=("atan2", "arctan2"))
def atan2(input: Tensor, other: Tensor) -> Tensor:
    """The angle of the point (other, input): arctan(input / other) in the right quadrant,
    in [-pi, pi]; both tensors (broadcast), no Python numbers (as PyTorch)."""
    check_tensor(input, "input", "atan2")
    check_tensor(other, "other", "atan2", 2)
    return Atan2.apply(input, other)


@op("hypot", methods=("hypot",))
def hypot(input: Tensor, other: Tensor) -> Tensor:
    """sqrt(input ** 2 + other ** 2) without overflow; float tensors only (as PyTorch)."""
    check_tensor(input, "input", "hypot")
    check_tensor(other, "other", "hypot", 2)
    return Hypot.apply(input, other)


arctan2 = atan2


# ------------------------------------------------------------------ in-place forms
def _inplace(fn, name: str):
    def op_(self: Tensor) -> Tensor:
        return apply_inplace(self, fn)

    op_.__name__ = op_.__qualname__ = name + "_"
    op_.__doc__ = f"In-place {name}: writes {name}(self) into self (a float tensor)."
    return op_


def _no_inplace_derivative(fn_cls, name: str):
    """asinh_/acosh_/atanh_: PyTorch records them as `<Op>Backward1`, a node whose backward
    raises NotImplementedError (it has no derivative for these in-place forms); so do we."""

    def backward(ctx, g):
        raise NotImplementedError(f"the derivative for 'inplace version of {name}' is not "
                                  "implemented.")

    node_cls = type(fn_cls.__name__ + "Inplace", (fn_cls,), {
        "node_name": fn_cls.__name__ + "Backward1", "backward": staticmethod(backward),
        "grad_formula": None, "__module__": __name__})   # create_graph: the same error

    def op_(self: Tensor) -> Tensor:
        check_tensor(self, "self", name + "_")
        return apply_inplace(self, node_cls.apply)

    op_.__name__ = op_.__qualname__ = name + "_"
    op_.__doc__ = f"In-place {name}: writes {name}(self) into self (no derivative, as PyTorch)."
    return op_


def _declare_inplace(fn, name: str, alias: str | None = None, fn_cls=None):
    """`Tensor.<name>_` (and `<alias>_`), also exported as `torch.<name>_` (PyTorch has them);
    with `fn_cls`, the in-place form that has no derivative (`_no_inplace_derivative`)."""
    body = _inplace(fn, name) if fn_cls is None else _no_inplace_derivative(fn_cls, name)
    inplace = method_of(name, name + "_", export=True)(body)
    if alias:
        method_of(name, alias + "_", export=True)(inplace)
    return inplace


asin_ = arcsin_ = _declare_inplace(asin, "asin", "arcsin")
acos_ = arccos_ = _declare_inplace(acos, "acos", "arccos")
atan_ = arctan_ = _declare_inplace(atan, "atan", "arctan")
sinh_ = _declare_inplace(sinh, "sinh")
cosh_ = _declare_inplace(cosh, "cosh")
asinh_ = arcsinh_ = _declare_inplace(asinh, "asinh", "arcsinh", fn_cls=Asinh)
acosh_ = arccosh_ = _declare_inplace(acosh, "acosh", "arccosh", fn_cls=Acosh)
atanh_ = arctanh_ = _declare_inplace(atanh, "atanh", "arctanh", fn_cls=Atanh)
rad2deg_ = _declare_inplace(rad2deg, "rad2deg")
deg2rad_ = _declare_inplace(deg2rad, "deg2rad")


@method_of("atan2", "atan2_", "arctan2_")
def atan2_(self: Tensor, other: Tensor) -> Tensor:
    return apply_inplace(self, atan2, other)


@method_of("hypot", "hypot_")
def hypot_(self: Tensor, other: Tensor) -> Tensor:
    return apply_inplace(self, hypot, other)
