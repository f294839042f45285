"""Comparisons, logical and bitwise ops, and the selecting ops: where, maximum/minimum, clamp.

Comparisons (`==`, `<`, `torch.isclose`, ...) return bool tensors and record no graph: they
have no gradient. The selecting ops are differentiable and follow PyTorch's conventions
(each checked against torch 2.13):
  * where(c, a, b): the gradient goes to `a` where c is True and to `b` elsewhere;
  * maximum/minimum: a tie splits the gradient 0.5 / 0.5;
  * clamp: gradient 1 where min <= x <= max (bounds inclusive); min > max gives max. Tensor
    bounds broadcast and get the gradient where they are the result (min only if min < max);
  * lerp(start, end, w) = start + w * (end - start), computed as end - (end - start) * (1 - w)
    for w >= 0.5 so that w = 1 gives exactly `end`.
Defining `__eq__` would make Tensor unhashable, so `__hash__` (identity, as PyTorch) is
installed with the operators.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._util import binary_operands, check_tensor, xp_of
from .elementwise import _input_grad
from .inplace import _legacy_name, apply_inplace
from ._util import _device_mismatch, shape_mismatch
from .unary import _node_name, _not_implemented

__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
    "not_equal", "equal", "allclose", "isclose", "isnan", "isinf", "isfinite",
    "logical_not", "logical_and", "logical_or", "logical_xor",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "where", "maximum", "minimum", "clamp", "clip", "clamp_min", "clamp_max",
    "clamp_", "clip_", "clamp_min_", "clamp_max_", "lerp",
]

_Number = (bool, int, float, complex)


def _require_tensor(value, fn: str, name: str, position: int) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not "
                        f"{type(value).__name__}")


def _require_operand(value, fn: str, name: str = "other", position: int = 2) -> None:
    if not isinstance(value, (Tensor,) + _Number):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor or "
                        f"Number, not {type(value).__name__}")


def _binary(xp_fn, a, b):
    """`xp_fn(a, b)` in PyTorch's promoted dtype, with PyTorch's broadcasting error."""
    x, y, _ = binary_operands(a, b)
    try:
        return xp_fn(x, y)
    except ValueError as err:
        raise shape_mismatch(err, a, b) from None


# ------------------------------------------------------------------ comparisons
def _comparison(xp_name: str, name: str):
    """`torch.<name>(input, other)`: elementwise comparison giving a bool tensor."""

    def compare(input: Tensor, other) -> Tensor:
        _require_tensor(input, name, "input", 1)
        _require_operand(other, name)
        return _wrap(_binary(getattr(xp_of(input._data), xp_name), input, other))

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = (f"`input {name} other` elementwise (broadcast, Python numbers allowed), "
                       "as a bool tensor.")
    return compare


eq = _comparison("equal", "eq")
ne = _comparison("not_equal", "ne")
lt = _comparison("less", "lt")
le = _comparison("less_equal", "le")
gt = _comparison("greater", "gt")
ge = _comparison("greater_equal", "ge")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _operator(fn):
    """The dunder form of comparison `fn`: NotImplemented for other types (so `t == 'a'` is
    False and `t < 'a'` a TypeError, as Python and PyTorch do)."""

    def op(self, other):
        if not isinstance(other, (Tensor,) + _Number):
            return NotImplemented
        return fn(self, other)

    op.__name__ = op.__qualname__ = f"__{fn.__name__}__"
    return op


def _tensor_hash(self) -> int:
    """Tensors hash by identity (PyTorch's rule), also after `__eq__` is defined."""
    return id(self)


def equal(input: Tensor, other: Tensor) -> bool:
    """True if both tensors have the same shape and the same values (nan is never equal)."""
    _require_tensor(input, "equal", "input", 1)
    _require_tensor(other, "equal", "other", 2)
    if input.shape != other.shape:
        return False
    x, y, _ = binary_operands(input, other)
    return bool(xp_of(input._data).all(x == y))


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol * |other| elementwise; infinities must be equal.

    Both tensors must have the same dtype (PyTorch: "Float did not match Double").

    >>> isclose(tensor([1., 2.]), tensor([1.000001, 2.1]))
    tensor([ True, False])
    """
    _require_tensor(input, "isclose", "input", 1)
    _require_tensor(other, "isclose", "other", 2)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{_legacy_name(input.dtype)} did not match "
                           f"{_legacy_name(other.dtype)}")
    for name, value in (("rtol", rtol), ("atol", atol)):
        if value < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {value}")
    a, b = input._data, other._data
    if type(a) is not type(b):
        _device_mismatch(input, other)
    xp = xp_of(a)
    try:
        close = a == b
    except ValueError as err:
        raise shape_mismatch(err, input, other) from None
    if input.dtype.kind < 2:   # int/bool: errors are measured in the default float dtype
        default = _dt.get_default_dtype().np
        a, b = a.astype(default), b.astype(default)
    elif equal_nan:
        close = close | (xp.isnan(a) & xp.isnan(b))
    with np.errstate(invalid="ignore", over="ignore"):
        actual = xp.abs(a - b)
        close = close | (xp.isfinite(actual) & (actual <= atol + xp.abs(rtol * b)))
    return _wrap(close)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True if `isclose` holds everywhere."""
    return bool(isclose(input, other, rtol, atol, equal_nan).all().item())


def _inexact(t: Tensor) -> bool:
    return t.dtype.kind >= 2


def isnan(input: Tensor) -> Tensor:
    """True where `input` is nan (never for integer and bool tensors)."""
    check_tensor(input, "input", "isnan")
    a = input._data
    xp = xp_of(a)
    return _wrap(xp.isnan(a) if _inexact(input) else xp.zeros(a.shape, dtype=bool))


def isinf(input: Tensor) -> Tensor:
    """True where `input` is +inf or -inf."""
    check_tensor(input, "input", "isinf")
    a = input._data
    xp = xp_of(a)
    return _wrap(xp.isinf(a) if _inexact(input) else xp.zeros(a.shape, dtype=bool))


def isfinite(input: Tensor) -> Tensor:
    """True where `input` is neither inf nor nan (always for integer and bool tensors)."""
    check_tensor(input, "input", "isfinite")
    a = input._data
    xp = xp_of(a)
    return _wrap(xp.isfinite(a) if _inexact(input) else xp.ones(a.shape, dtype=bool))


# ------------------------------------------------------------------ logical and bitwise
def _truth(a):
    """Each element as a bool: nonzero (nan included) is True."""
    return a if a.dtype.kind == "b" else a != 0


def logical_not(input: Tensor) -> Tensor:
    check_tensor(input, "input", "logical_not")
    return _wrap(~_truth(input._data))


def _logical(xp_name: str, name: str):
    """`torch.<name>(input, other)` on the truth values of two tensors of any dtypes."""

    def op(input: Tensor, other: Tensor) -> Tensor:
        _require_tensor(input, name, "input", 1)
        _require_tensor(other, name, "other", 2)
        fn = getattr(xp_of(input._data), xp_name)
        try:
            return _wrap(fn(_truth(input._data), _truth(other._data)))
        except ValueError as err:
            raise shape_mismatch(err, input, other) from None

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {name} of the truth values (nonzero is True): a bool tensor."
    return op


logical_and = _logical("logical_and", "logical_and")
logical_or = _logical("logical_or", "logical_or")
logical_xor = _logical("logical_xor", "logical_xor")


def _bitwise(xp_name: str, name: str):
    """`torch.<name>(input, other)` on bool and integer tensors (Python ints allowed)."""

    def op(input, other) -> Tensor:
        if not isinstance(input, Tensor):
            _require_tensor(other, name, "other", 2)
            _require_operand(input, name, "input", 1)
        else:
            _require_operand(other, name)
        res = _dt.result_type(input, other)
        if res.kind >= 2:
            raise NotImplementedError(f'"{name}_cpu" not implemented for '
                                      f"'{_legacy_name(res)}'")
        tensor = input if isinstance(input, Tensor) else other
        return _wrap(_binary(getattr(xp_of(tensor._data), xp_name), input, other))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {name} of bool or integer tensors (promoted as PyTorch does)."
    return op


bitwise_and = _bitwise("bitwise_and", "bitwise_and")
bitwise_or = _bitwise("bitwise_or", "bitwise_or")
bitwise_xor = _bitwise("bitwise_xor", "bitwise_xor")


def bitwise_not(input: Tensor) -> Tensor:
    """`~input`: logical not for bool tensors, two's complement not for integers."""
    check_tensor(input, "input", "bitwise_not")
    if _inexact(input):
        raise _not_implemented("bitwise_not_cpu", input)
    return _wrap(xp_of(input._data).invert(input._data))


def _invert(self: Tensor) -> Tensor:
    if _inexact(self):
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not(self)


def _bitwise_operator(fn, reflected: bool = False):
    def op(self, other):
        if not isinstance(other, (Tensor,) + _Number):
            return NotImplemented
        return fn(other, self) if reflected else fn(self, other)

    prefix = "__r" if reflected else "__"
    op.__name__ = op.__qualname__ = f"{prefix}{fn.__name__.split('_')[1]}__"
    return op


# ------------------------------------------------------------------ where
class Where(ArrayFunction):
    @staticmethod
    def forward(ctx, condition, input, other):
        c = _condition_array(condition)
        x, y, _ = binary_operands(input, other)
        try:
            out = xp_of(c).where(c, x, y)
        except ValueError as err:
            raise shape_mismatch(err, condition, input, other) from None
        ctx.save_for_backward(condition)
        ctx.inputs = (input, other)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        (condition,) = ctx.saved_tensors
        c = _condition_array(condition)
        input, other = ctx.inputs
        xp = xp_of(g)
        gi = _input_grad(xp.where(c, g, 0), input) if ctx.needs_input_grad[1] else None
        go = _input_grad(xp.where(c, 0, g), other) if ctx.needs_input_grad[2] else None
        return None, gi, go


def _condition_array(condition: Tensor):
    """The bool array of a where() condition (uint8 accepted with PyTorch's warning)."""
    c = condition._data
    if c.dtype.kind == "b":
        return c
    if c.dtype == np.uint8:
        return c.astype(bool)
    raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                       f"with dtype {_legacy_name(condition.dtype)}")


def where(condition: Tensor, input=None, other=None):
    """`input` where `condition` is True, else `other` (tensors or numbers, broadcast).

    With the condition alone, the indices of its True elements (`nonzero(as_tuple=True)`).

    >>> where(tensor([True, False]), tensor([1., 2.]), 0.)
    tensor([1., 0.])
    """
    _require_tensor(condition, "where", "condition", 1)
    if input is None and other is None:
        xp = xp_of(condition._data)
        return tuple(_wrap(i.astype(np.int64, copy=False))
                     for i in xp.nonzero(condition._data))
    _require_operand(input, "where", "input", 2)
    _require_operand(other, "where", "other", 3)
    if condition._data.dtype == np.uint8:
        warnings.warn("where received a uint8 condition tensor. This behavior is deprecated "
                      "and will be removed in a future version of PyTorch. Use a boolean "
                      "condition instead.", UserWarning, stacklevel=2)
    return Where.apply(condition, input, other)


def _where_method(self: Tensor, condition: Tensor, other) -> Tensor:
    """`self.where(condition, other)` is `where(condition, self, other)`."""
    return where(condition, self, other)


# ------------------------------------------------------------------ maximum / minimum
class Maximum(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _wrap(_binary(xp_of(a._data).maximum, a, b))   # nan propagates

    @staticmethod
    def backward(ctx, g):
        return _extremum_backward(ctx, g, larger_wins=True)


class Minimum(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _wrap(_binary(xp_of(a._data).minimum, a, b))

    @staticmethod
    def backward(ctx, g):
        return _extremum_backward(ctx, g, larger_wins=False)


def _extremum_backward(ctx, g, larger_wins: bool):
    """The winner gets the gradient, a tie gives each half (PyTorch: where(a == b, g / 2, g),
    zeroed where the input lost; with a nan both sides keep the full gradient)."""
    a, b = ctx.saved_tensors
    x, y, _ = binary_operands(a, b)
    xp = xp_of(g)
    half = g / 2
    a_lost, b_lost = (x < y, x > y) if larger_wins else (x > y, x < y)
    ga = gb = None
    if ctx.needs_input_grad[0]:
        ga = _input_grad(xp.where(a_lost, 0, xp.where(x == y, half, g)), a)
    if ctx.needs_input_grad[1]:
        gb = _input_grad(xp.where(b_lost, 0, xp.where(x == y, half, g)), b)
    return ga, gb


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum of two tensors (broadcast); nan wins.

    >>> maximum(tensor([1., 5.]), tensor([3., 2.]))
    tensor([3., 5.])
    """
    _require_tensor(input, "maximum", "input", 1)
    _require_tensor(other, "maximum", "other", 2)
    return Maximum.apply(input, other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum of two tensors (broadcast); nan wins."""
    _require_tensor(input, "minimum", "input", 1)
    _require_tensor(other, "minimum", "other", 2)
    return Minimum.apply(input, other)


# ------------------------------------------------------------------ clamp
_C_INT_NAMES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t",
                "int64": "int64_t"}


def _bound_value(value, res):
    """A Python bound as a scalar of the result dtype; integer overflow is an error."""
    if value is None:
        return None
    if res.kind == 1:
        info = np.iinfo(res.np)
        if not info.min <= value <= info.max:
            raise RuntimeError(f"value cannot be converted to type {_C_INT_NAMES[res.name]} "
                               "without overflow")
    return res.np.type(value)


class Clamp(ArrayFunction):
    """clamp with number bounds (ClampBackward1); ClampMin / ClampMax below reuse it."""

    @staticmethod
    def forward(ctx, x, min, max):
        res = _dt.result_type(x, *(b for b in (min, max) if b is not None))
        a = x._data if x._data.dtype == res.np else x._data.astype(res.np)
        xp = xp_of(a)
        lo, hi = _bound_value(min, res), _bound_value(max, res)
        out = a
        if lo is not None:
            out = xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, hi)   # after max: min > max gives max, as PyTorch
        ctx.save_for_backward(x)
        ctx.bounds = (lo, hi)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        a = x._data
        lo, hi = ctx.bounds
        if lo is not None and hi is not None:
            active = (a >= lo) & (a <= hi)   # bounds inclusive
        elif lo is not None:
            active = a >= lo
        else:
            active = a <= hi
        return xp_of(g).where(active, g, 0), None, None


class ClampMin(Clamp):
    """clamp_min(x, number): node ClampMinBackward0."""


class ClampMax(Clamp):
    """clamp_max(x, number): node ClampMaxBackward0."""


class ClampTensor(ArrayFunction):
    """clamp with tensor bounds (ClampBackward0): every operand broadcasts and may get a
    gradient; a missing bound is None."""

    @staticmethod
    def forward(ctx, x, min, max):
        res = _dt.result_type(x, *(b for b in (min, max) if b is not None))
        a, lo, hi = (_as_dtype(t, res) for t in (x, min, max))
        xp = xp_of(a)
        try:
            out = a if lo is None else xp.maximum(a, lo)
            out = out if hi is None else xp.minimum(out, hi)
        except ValueError as err:
            raise shape_mismatch(err, x, min, max) from None
        ctx.save_for_backward(x, min, max)
        ctx.res = res
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        x, min, max = ctx.saved_tensors
        a, lo, hi = (_as_dtype(t, ctx.res) for t in (x, min, max))
        xp = xp_of(g)
        if lo is not None and hi is not None:   # PyTorch's clamp_backward_min_max
            x_active = (a >= lo) & (a <= hi)
            lo_active = (a < lo) & (lo < hi)
            hi_active = (a > hi) | (hi < lo)
        elif lo is not None:
            x_active, lo_active, hi_active = a >= lo, a < lo, None
        else:
            x_active, lo_active, hi_active = a <= hi, None, a > hi
        grads = []
        for t, active, needed in zip((x, min, max), (x_active, lo_active, hi_active),
                                     ctx.needs_input_grad):
            grads.append(_input_grad(xp.where(active, g, 0), t) if needed else None)
        return tuple(grads)


class ClampMinTensor(ClampTensor):
    """clamp_min(x, tensor): node ClampMinBackward1."""


class ClampMaxTensor(ClampTensor):
    """clamp_max(x, tensor): node ClampMaxBackward1."""


_node_name(Clamp, "ClampBackward1")
_node_name(ClampTensor, "ClampBackward0")
_node_name(ClampMinTensor, "ClampMinBackward1")
_node_name(ClampMaxTensor, "ClampMaxBackward1")


def _as_dtype(t, res):
    if t is None:
        return None
    return t._data if t._data.dtype == res.np else t._data.astype(res.np)


def clamp(input: Tensor, min=None, max=None) -> Tensor:
    """Limit `input` to [min, max]; either bound may be None, a number or a tensor.

    >>> clamp(tensor([-1., 0.5, 2.]), 0, 1)
    tensor([0.0000, 0.5000, 1.0000])
    """
    check_tensor(input, "input", "clamp")
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        _check_bounds_kind(input, min, max)
        return ClampTensor.apply(input, min, max)
    _check_bounds_kind(input, min, max)
    return Clamp.apply(input, min, max)


def _check_bounds_kind(input, min, max) -> None:
    """Both bounds numbers (or None), or both tensors (or None): PyTorch has no mixed form."""
    given = [b for b in (min, max) if b is not None]
    tensors = sum(isinstance(b, Tensor) for b in given)
    numbers = sum(isinstance(b, _Number) for b in given)
    if tensors + numbers != len(given) or (tensors and numbers):
        kinds = ", ".join([type(input).__name__] +
                          [f"{n}={type(b).__name__}" for n, b in (("min", min), ("max", max))
                           if b is not None])
        raise TypeError(f"clamp() received an invalid combination of arguments - got ({kinds})"
                        ", but expected one of:\n * (Tensor input, Tensor min = None, Tensor max"
                        " = None)\n * (Tensor input, Number min = None, Number max = None)")


def clamp_min(input: Tensor, min) -> Tensor:
    """`clamp(input, min=min)` (node ClampMinBackward0/1)."""
    check_tensor(input, "input", "clamp_min")
    if isinstance(min, Tensor):
        return ClampMinTensor.apply(input, min, None)
    _require_operand(min, "clamp_min", "min")
    return ClampMin.apply(input, min, None)


def clamp_max(input: Tensor, max) -> Tensor:
    """`clamp(input, max=max)` (node ClampMaxBackward0/1)."""
    check_tensor(input, "input", "clamp_max")
    if isinstance(max, Tensor):
        return ClampMaxTensor.apply(input, None, max)
    _require_operand(max, "clamp_max", "max")
    return ClampMax.apply(input, None, max)


def clamp_(input: Tensor, min=None, max=None) -> Tensor:
    """In-place clamp (an int tensor refuses float bounds: the result would be float)."""
    return apply_inplace(input, clamp, min, max)


def clamp_min_(input: Tensor, min) -> Tensor:
    return apply_inplace(input, clamp_min, min)


def clamp_max_(input: Tensor, max) -> Tensor:
    return apply_inplace(input, clamp_max, max)


clip, clip_ = clamp, clamp_


# ------------------------------------------------------------------ lerp
class Lerp(ArrayFunction):
    """lerp with a number weight (LerpBackward0); LerpTensor (LerpBackward1) reuses it."""

    @staticmethod
    def forward(ctx, start, end, weight):
        s, e = start._data, end._data
        w = weight._data.astype(s.dtype, copy=False) if isinstance(weight, Tensor) else weight
        xp = xp_of(s)
        try:
            diff = e - s
            if isinstance(weight, Tensor):
                out = xp.where(w < 0.5, s + w * diff, e - diff * (1 - w))
            elif w < 0.5:
                out = s + w * diff
            else:
                out = e - diff * (1 - w)
        except ValueError as err:
            raise shape_mismatch(err, start, end, weight) from None
        ctx.save_for_backward(start, end, weight if isinstance(weight, Tensor) else None)
        ctx.weight = weight
        return _wrap(out.astype(s.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        start, end, weight = ctx.saved_tensors
        w = ctx.weight if weight is None else weight._data.astype(g.dtype, copy=False)
        need = ctx.needs_input_grad
        gs = _input_grad(g * (1 - w), start) if need[0] else None
        ge = _input_grad(g * w, end) if need[1] else None
        gw = None
        if weight is not None and need[2]:
            gw = _input_grad(g * (end._data - start._data), weight)
        return gs, ge, gw


class LerpTensor(Lerp):
    """lerp with a tensor weight: node LerpBackward1."""


_node_name(LerpTensor, "LerpBackward1")

_C10_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>"}


def lerp(input: Tensor, end: Tensor, weight) -> Tensor:
    """`input + weight * (end - input)`; `weight` is a number or a tensor (broadcast).

    `input` and `end` must share a float dtype; so must a tensor weight with dims (a 0-dim
    weight is cast, as PyTorch does).

    >>> lerp(tensor([0., 10.]), tensor([10., 0.]), 0.25)
    tensor([2.5000, 7.5000])
    """
    _require_tensor(input, "lerp", "input", 1)
    _require_tensor(end, "lerp", "end", 2)
    _require_operand(weight, "lerp", "weight", 3)
    for name, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t.dtype is not input.dtype and (name == "end" or t.ndim):
            raise RuntimeError(f"expected dtype {_C10_NAMES[input.dtype.name]} for `{name}` "
                               f"but got dtype {_C10_NAMES[t.dtype.name]}")
    tensor_weight = isinstance(weight, Tensor)
    if input.dtype.kind < 2:
        kernel = "lerp_kernel_tensor" if tensor_weight else "lerp_kernel_scalar"
        raise _not_implemented(kernel, input)
    return (LerpTensor if tensor_weight else Lerp).apply(input, end, weight)


def lerp_(self: Tensor, end: Tensor, weight) -> Tensor:
    return apply_inplace(self, lerp, end, weight)


# ------------------------------------------------------------------ in-place forms
def _inplace(fn):
    def op_(self: Tensor, *args) -> Tensor:
        return apply_inplace(self, fn, *args)

    op_.__name__ = op_.__qualname__ = fn.__name__ + "_"
    op_.__doc__ = f"In-place {fn.__name__}: the result is written into self (cast to its dtype)."
    return op_


_INPLACE_NAMES = ("eq", "ne", "lt", "le", "gt", "ge", "logical_not", "logical_and",
                  "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
                  "bitwise_not")
_ALIASES = {"greater": gt, "greater_equal": ge, "less": lt, "less_equal": le, "not_equal": ne}

METHODS = {name: globals()[name] for name in __all__
           if name not in ("equal", "allclose", "isclose", "where")}
METHODS.update({"equal": equal, "allclose": allclose, "isclose": isclose,
                "where": _where_method, "lerp_": lerp_})
METHODS.update({name + "_": _inplace(globals()[name]) for name in _INPLACE_NAMES})
METHODS.update({name + "_": _inplace(fn) for name, fn in _ALIASES.items()})
METHODS.update({
    "__eq__": _operator(eq), "__ne__": _operator(ne), "__lt__": _operator(lt),
    "__le__": _operator(le), "__gt__": _operator(gt), "__ge__": _operator(ge),
    "__hash__": _tensor_hash, "__invert__": _invert,
    "__and__": _bitwise_operator(bitwise_and), "__rand__": _bitwise_operator(bitwise_and, True),
    "__or__": _bitwise_operator(bitwise_or), "__ror__": _bitwise_operator(bitwise_or, True),
    "__xor__": _bitwise_operator(bitwise_xor), "__rxor__": _bitwise_operator(bitwise_xor, True),
    "__iand__": METHODS["bitwise_and_"], "__ior__": METHODS["bitwise_or_"],
    "__ixor__": METHODS["bitwise_xor_"],
})
