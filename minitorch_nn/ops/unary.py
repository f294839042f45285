"""Unary math ops: float functions, sign-like and rounding functions, forward and backward
side by side. (Powers and integer-style division live in ops/arith.py.)

Conventions copied from PyTorch (each was checked against torch 2.13):
  * float functions (sqrt, log, sin, sigmoid, ...) give integer and bool inputs the default
    float dtype; abs, sign, relu, floor, ceil, round and trunc keep integer dtypes;
  * subgradients: relu'(0) = 0, abs'(0) = 0, sign' = 0, sqrt'(0) = inf; rounding ops have a
    zero gradient, frac's is 1 (frac(x) = x - trunc(x)).
Nodes carry PyTorch's names (`SqrtBackward0`, `RoundBackward1`, ...): where PyTorch numbers
the variants of one op, the Function class names its node with `node_name`.
Each op is declared once (`@op`, ops/registry.py): the ops on an autocast list (log, tan,
...) are hooked there, so no function here tests for autocast.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import compute_array
from ._util import check_tensor, xp_of
from .arith import _half_scaled
from .elementwise import _float_array
from .inplace import _legacy_name, apply_inplace
from .registry import method_of, op

# The in-place forms PyTorch also exports at top level (torch.relu_, ...): declared with
# `method_of` under their op, exported from here. The ops themselves are exported by the
# registry.
__all__ = [
    "abs_", "reciprocal_", "log_", "log2_", "log10_", "log1p_", "expm1_", "sqrt_",
    "rsqrt_", "sin_", "cos_", "tan_", "tanh_", "sigmoid_", "relu_", "floor_", "ceil_",
    "round_", "trunc_", "fix_", "frac_",
]


# ------------------------------------------------------------------ shared helpers
def _not_implemented(kernel: str, t) -> NotImplementedError:
    """PyTorch's error for a dtype an op has no kernel for (`"abs_cpu" ... for 'Bool'`)."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{_legacy_name(t.dtype)}\'')


# ------------------------------------------------------------------ float-valued functions
class Reciprocal(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore", over="ignore"):
            out = _wrap(1 / _float_array(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        o = out._data
        with np.errstate(over="ignore", invalid="ignore"):
            return -g * _cube_or_square(o, 2)   # PyTorch: -grad * result.pow(2)

    @staticmethod
    def grad_formula(ctx, g):
        (out,) = ctx.saved_tensors
        return -g * (out * out)


class Log(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _wrap(xp_of(x._data).log(_float_array(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            return g / x._data

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x


class Log2(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _wrap(xp_of(x._data).log2(_float_array(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            return g / _half_scaled(x._data, math.log(2.0))   # PyTorch: grad / (self * ln)

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * math.log(2.0))


class Log10(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _wrap(xp_of(x._data).log10(_float_array(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            return g / _half_scaled(x._data, math.log(10.0))   # PyTorch: grad / (self * ln)

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * math.log(10.0))


class Log1P(ArrayFunction):   # PyTorch's node: Log1PBackward0
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _wrap(xp_of(x._data).log1p(_float_array(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            return g / (1 + x._data)

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x + 1)


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
        with np.errstate(over="ignore", invalid="ignore"):
            return g * (out._data + 1)

    @staticmethod
    def grad_formula(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out + 1)


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

    @staticmethod
    def grad_formula(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (2 * out)


class Rsqrt(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        a = _float_array(x)
        c = compute_array(a)   # half types: computed in float32, rounded once
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _wrap((1 / xp_of(a).sqrt(c)).astype(a.dtype, copy=False))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        o = out._data
        with np.errstate(invalid="ignore", over="ignore"):
            return (-0.5 * g) * _cube_or_square(o, 3)   # PyTorch: -0.5 * grad * result.pow(3)

    @staticmethod
    def grad_formula(ctx, g):
        (out,) = ctx.saved_tensors
        return (-0.5 * g) * out ** 3


class Sin(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _wrap(xp_of(x._data).sin(_float_array(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * xp_of(g).cos(x._data)

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cos()


class Cos(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _wrap(xp_of(x._data).cos(_float_array(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * xp_of(g).sin(x._data)

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * x.sin()


class Tan(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore", invalid="ignore"):
            out = _wrap(xp_of(x._data).tan(_float_array(x)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        o = out._data
        with np.errstate(over="ignore", invalid="ignore"):
            return g * (1 + o * o)

    @staticmethod
    def grad_formula(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out * out + 1)


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

    @staticmethod
    def grad_formula(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)


class Sigmoid(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        a = _float_array(x)
        c = compute_array(a)   # half types: computed in float32, rounded once (PyTorch's)
        with np.errstate(over="ignore"):   # exp(-x) overflows to inf for x << 0: 1/inf = 0
            out = _wrap((1 / (1 + xp_of(a).exp(-c))).astype(a.dtype, copy=False))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return _fused_backward("sigmoid_backward", g, out._data)

    @staticmethod
    def grad_formula(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out) * out


_FUSED_MIN_SIZE = 1 << 14   # below this, numpy's three passes cost about as much as a call


def _fused_backward(name: str, g, out):
    """`g * out * (1 - out)` (sigmoid) or `g * (1 - out * out)` (tanh).

    One Numba pass (kernels/cpu/elementwise.py) replaces numpy's three passes and their
    temporaries on large contiguous float32/float64 CPU arrays; everything else uses numpy,
    float16/bfloat16 computed in float32 and rounded once (PyTorch's fused backward kernels).
    """
    if (g.size >= _FUSED_MIN_SIZE and isinstance(g, np.ndarray) and g.dtype == out.dtype
            and g.dtype.name in ("float32", "float64") and g.shape == out.shape
            and g.flags.c_contiguous and out.flags.c_contiguous):
        from ..array_backends import backend_of
        kernel = backend_of(g).kernel("elementwise", name)
        result = np.empty_like(g)
        kernel(g.reshape(-1), out.reshape(-1), result.reshape(-1))
        return result
    dtype = g.dtype
    if dtype.itemsize >= 4 and dtype == out.dtype:   # float32/float64: the formula as it is
        # (inf/nan warnings are filtered for the package: ops/_quiet.py)
        return g * (1 - out) * out if name == "sigmoid_backward" else g * (1 - out * out)
    if name == "sigmoid_backward" and dtype == np.float16 and out.dtype == dtype:
        with np.errstate(over="ignore", invalid="ignore"):   # PyTorch's CPU float16 kernel
            return g * (1 - out) * out                      # rounds after each operation
    g, out = compute_array(g), compute_array(out)
    with np.errstate(over="ignore", invalid="ignore"):
        if name == "sigmoid_backward":
            grad = g * (1 - out) * out   # PyTorch's order of operations
        else:
            grad = g * (1 - out * out)
    return grad.astype(dtype, copy=False)


def _cube_or_square(o, n: int):
    """o ** n (n = 2 or 3) as PyTorch's CPU pow computes it: float16 in float32 rounded once,
    bfloat16 as o * o * o rounded after each product (checked over all values)."""
    if o.dtype == np.float16:
        c = o.astype(np.float32)
        return (c * c if n == 2 else c * c * c).astype(o.dtype)
    return o * o if n == 2 else o * o * o


# ------------------------------------------------------------------ dtype-keeping functions
def _zeros(g: Tensor) -> Tensor:
    """The zero gradient of a piecewise-constant op: a constant (no graph), as PyTorch's."""
    return _wrap(xp_of(g._data).zeros_like(g._data))


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

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        if x.is_complex():   # PyTorch: grad * self.sgn(), differentiable for complex
            return g * x.sgn()
        return g * _wrap(_sign_array(x._data))   # sign' = 0: a constant


def _sign_array(a):
    """-1, 0 or 1 in a's dtype; 0 for 0, -0. and nan (PyTorch's sign, unlike numpy's for nan)."""
    if a.dtype.kind == "b":
        return a.copy()
    return (a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)


class Sign(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        if x._data.dtype.kind == "c":
            raise NotImplementedError("Unlike NumPy, torch.sign is not intended to support "
                                      "complex numbers. Please use torch.sgn instead.")
        return _wrap(_sign_array(x._data))

    @staticmethod
    def backward(ctx, g):
        return xp_of(g).zeros_like(g)

    @staticmethod
    def grad_formula(ctx, g):
        return _zeros(g)


class Relu(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        if x._data.dtype.kind == "b":
            raise RuntimeError("Boolean inputs not supported for relu")
        a = x._data
        if a.dtype.kind == "c":   # PyTorch's relu is a clamp
            raise NotImplementedError("clamp is not supported for complex types")
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
            from ..array_backends import backend_of
            result = np.empty_like(g)
            backend_of(g).kernel("elementwise", "threshold_backward")(
                g.reshape(-1), o.reshape(-1), result.reshape(-1))
            return result
        return xp_of(g).where(o <= 0, 0, g)

    @staticmethod
    def grad_formula(ctx, g):
        (out,) = ctx.saved_tensors   # threshold_backward: linear in g, zero in the result
        return g.where(_wrap(~(out._data <= 0)), 0)


# numpy.where mispredicts a branch per element once arrays outgrow the caches' easy cases;
# from this size the one-pass Numba kernel is several times faster (kernels/cpu/elementwise.py)
_THRESHOLD_MIN_SIZE = 1 << 12


class _Rounding(ArrayFunction):
    """floor / ceil / trunc / round: integer inputs come back as a copy; gradient zero."""

    @staticmethod
    def backward(ctx, g):
        return xp_of(g).zeros_like(g), None

    @staticmethod
    def grad_formula(ctx, g):
        return _zeros(g), None


def _rounded(x: Tensor, xp_name: str, kernel: str, *args):
    if x._data.dtype.kind == "b":
        raise _not_implemented(kernel, x)
    a = x._data
    if a.dtype.kind == "c":   # PyTorch: floor/ceil/trunc name the op, round its kernel
        if xp_name == "round":
            raise _not_implemented(kernel, x)
        raise NotImplementedError(f"{xp_name} is not supported for complex inputs")
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
        if x.dtype.kind < 2 or x._data.dtype.kind == "c":
            raise _not_implemented("round_cpu", x)
        return _wrap(xp_of(x._data).round(x._data, decimals))


class RoundDecimals(Round):
    """round(x, decimals=d): the same op; PyTorch names its node RoundBackward1."""

    node_name = "RoundBackward1"


class Frac(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind < 2 or x._data.dtype.kind == "c":
            raise _not_implemented("frac_cpu", x)
        a = x._data
        return _wrap(a - xp_of(a).trunc(a))

    @staticmethod
    def backward(ctx, g):
        return g   # frac(x) = x - trunc(x): slope 1

    @staticmethod
    def grad_formula(ctx, g):
        return g


# ------------------------------------------------------------------ declarations
def _unary(fn_cls, name: str):
    """The public function `torch.<name>(input)` for a one-tensor op (declared below)."""

    def unary_op(input: Tensor) -> Tensor:
        check_tensor(input, "input", name)
        return fn_cls.apply(input)

    unary_op.__name__ = unary_op.__qualname__ = name
    unary_op.__doc__ = f"Elementwise {name} of `input` (PyTorch's torch.{name})."
    return unary_op


reciprocal = op("reciprocal", methods=("reciprocal",))(_unary(Reciprocal, "reciprocal"))
log = op("log", methods=("log",))(_unary(Log, "log"))
log2 = op("log2", methods=("log2",))(_unary(Log2, "log2"))
log10 = op("log10", methods=("log10",))(_unary(Log10, "log10"))
log1p = op("log1p", methods=("log1p",))(_unary(Log1P, "log1p"))
expm1 = op("expm1", methods=("expm1",))(_unary(Expm1, "expm1"))
sqrt = op("sqrt", methods=("sqrt",))(_unary(Sqrt, "sqrt"))
rsqrt = op("rsqrt", methods=("rsqrt",))(_unary(Rsqrt, "rsqrt"))
sin = op("sin", methods=("sin",))(_unary(Sin, "sin"))
cos = op("cos", methods=("cos",))(_unary(Cos, "cos"))
tan = op("tan", methods=("tan",))(_unary(Tan, "tan"))
tanh = op("tanh", methods=("tanh",))(_unary(Tanh, "tanh"))
sigmoid = op("sigmoid", methods=("sigmoid",))(_unary(Sigmoid, "sigmoid"))
relu = op("relu", methods=("relu",))(_unary(Relu, "relu"))
abs = op("abs", aliases=("absolute",), methods=("abs", "absolute", "__abs__"))(
    _unary(Abs, "abs"))
sign = op("sign", methods=("sign",))(_unary(Sign, "sign"))
floor = op("floor", methods=("floor",))(_unary(Floor, "floor"))
ceil = op("ceil", methods=("ceil",))(_unary(Ceil, "ceil"))
trunc = op("trunc", aliases=("fix",), methods=("trunc", "fix"))(_unary(Trunc, "trunc"))
frac = op("frac", methods=("frac",))(_unary(Frac, "frac"))
absolute, fix = abs, trunc


@op("round", methods=("round",))
def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Round half to even; `decimals` keeps that many digits (negative: tens, hundreds)."""
    check_tensor(input, "input", "round")
    if decimals == 0:
        return Round.apply(input)
    return RoundDecimals.apply(input, decimals)


# ------------------------------------------------------------------ in-place forms
def _inplace(op, name: str):
    """`Tensor.<name>_()`: the public op computed out of place (cast under autocast if the op
    is listed), written back by `apply_inplace`; the method itself is not cast."""

    def op_(self: Tensor) -> Tensor:
        if name == "abs" and self._data.dtype.kind == "c":   # |z| is real: no room in self
            raise RuntimeError("In-place abs is not supported for complex tensors.")
        return apply_inplace(self, op)

    op_.__name__ = op_.__qualname__ = name + "_"
    op_.__doc__ = f"In-place {name}: writes {name}(self) into self and returns self."
    return op_


abs_ = absolute_ = method_of("abs", "abs_", "absolute_")(_inplace(abs, "abs"))
reciprocal_ = method_of("reciprocal", "reciprocal_")(_inplace(reciprocal, "reciprocal"))
log_ = method_of("log", "log_")(_inplace(log, "log"))
log2_ = method_of("log2", "log2_")(_inplace(log2, "log2"))
log10_ = method_of("log10", "log10_")(_inplace(log10, "log10"))
log1p_ = method_of("log1p", "log1p_")(_inplace(log1p, "log1p"))
expm1_ = method_of("expm1", "expm1_")(_inplace(expm1, "expm1"))
sqrt_ = method_of("sqrt", "sqrt_")(_inplace(sqrt, "sqrt"))
rsqrt_ = method_of("rsqrt", "rsqrt_")(_inplace(rsqrt, "rsqrt"))
sin_ = method_of("sin", "sin_")(_inplace(sin, "sin"))
cos_ = method_of("cos", "cos_")(_inplace(cos, "cos"))
tan_ = method_of("tan", "tan_")(_inplace(tan, "tan"))
tanh_ = method_of("tanh", "tanh_")(_inplace(tanh, "tanh"))
sigmoid_ = method_of("sigmoid", "sigmoid_")(_inplace(sigmoid, "sigmoid"))
relu_ = method_of("relu", "relu_")(_inplace(relu, "relu"))
sign_ = method_of("sign", "sign_")(_inplace(sign, "sign"))
floor_ = method_of("floor", "floor_")(_inplace(floor, "floor"))
ceil_ = method_of("ceil", "ceil_")(_inplace(ceil, "ceil"))
trunc_ = fix_ = method_of("trunc", "trunc_", "fix_")(_inplace(trunc, "trunc"))
frac_ = method_of("frac", "frac_")(_inplace(frac, "frac"))


@method_of("round", "round_")
def round_(self: Tensor, *, decimals: int = 0) -> Tensor:
    return apply_inplace(self, lambda s: round(s, decimals=decimals))
