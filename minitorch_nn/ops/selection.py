"""where and clamp: pointwise ops that pick the values of their operands, differentiable with
respect to each tensor operand. (lerp, which blends them, is in ops/ternary_pointwise.py.)

PyTorch's conventions (each checked against torch 2.13):
  * where(c, a, b): the gradient goes to `a` where c is True and to `b` elsewhere;
  * clamp: gradient 1 where min <= x <= max (bounds inclusive); min > max gives max. Tensor
    bounds broadcast and get the gradient where they are the result (min only if min < max).
Each op is declared once (`@op`, `@method_of`: ops/registry.py) with its Tensor methods and
in-place forms.
"""
from __future__ import annotations

import numpy as np

from .._user_warning import warn_user
from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import reduce_grad
from ..tensor import Tensor, _wrap
from ._util import binary_operands, check_tensor, shape_mismatch, xp_of
from .comparison import _Number, _require_operand
from .elementwise import _input_grad
from .inplace import _legacy_name, apply_inplace
from .registry import method_of, op

# The in-place forms PyTorch also exports at top level (torch.clamp_, ...): declared with
# `method_of` under their op, exported from here. The ops are exported by the registry.
__all__ = ["clamp_", "clip_", "clamp_min_", "clamp_max_"]


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

    @staticmethod
    def grad_formula(ctx, g):
        (condition,) = ctx.saved_tensors
        c = _wrap(_condition_array(condition))
        input, other = ctx.inputs
        gi = reduce_grad(Where.apply(c, g, 0), input) if ctx.needs_input_grad[1] else None
        go = reduce_grad(Where.apply(c, 0, g), other) if ctx.needs_input_grad[2] else None
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


@op("where")
def where(condition: Tensor, input=None, other=None):
    """`input` where `condition` is True, else `other` (tensors or numbers, broadcast).

    With the condition alone, the indices of its True elements (`nonzero(as_tuple=True)`).

    >>> where(tensor([True, False]), tensor([1., 2.]), 0.)
    tensor([1., 0.])
    """
    check_tensor(condition, "condition", "where")
    if input is None and other is None:
        xp = xp_of(condition._data)
        return tuple(_wrap(i.astype(np.int64, copy=False))
                     for i in xp.nonzero(condition._data))
    _require_operand(input, "where", "input", 2)
    _require_operand(other, "where", "other", 3)
    if condition._data.dtype == np.uint8:
        warn_user("where received a uint8 condition tensor. This behavior is deprecated "
                  "and will be removed in a future version of PyTorch. Use a boolean "
                  "condition instead.", UserWarning)
    return Where.apply(condition, input, other)


@method_of("where", "where")
def _where_method(self: Tensor, condition: Tensor, other) -> Tensor:
    """`self.where(condition, other)` is `where(condition, self, other)`."""
    return where(condition, self, other)


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


def _refuse_complex(res) -> None:
    """Complex numbers have no order: PyTorch refuses clamp (and relu, hardtanh: clamps)."""
    if res.is_complex:
        raise NotImplementedError("clamp is not supported for complex types")


class Clamp(ArrayFunction):
    """clamp with number bounds (ClampBackward1); ClampMin / ClampMax below reuse it."""

    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, min, max):
        res = _dt.result_type(x, *(b for b in (min, max) if b is not None))
        _refuse_complex(res)
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

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        a = x._data
        lo, hi = ctx.bounds
        if lo is not None and hi is not None:
            active = (a >= lo) & (a <= hi)
        elif lo is not None:
            active = a >= lo
        else:
            active = a <= hi
        return Where.apply(_wrap(active), g, 0), None, None


class ClampMin(Clamp):
    """clamp_min(x, number): node ClampMinBackward0."""


class ClampMax(Clamp):
    """clamp_max(x, number): node ClampMaxBackward0."""


class ClampTensor(ArrayFunction):
    """clamp with tensor bounds (ClampBackward0): every operand broadcasts and may get a
    gradient; a missing bound is None."""

    node_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, x, min, max):
        res = _dt.result_type(x, *(b for b in (min, max) if b is not None))
        _refuse_complex(res)
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

    @staticmethod
    def grad_formula(ctx, g):
        x, min, max = ctx.saved_tensors
        a, lo, hi = (_as_dtype(t, ctx.res) for t in (x, min, max))
        if lo is not None and hi is not None:
            actives = ((a >= lo) & (a <= hi), (a < lo) & (lo < hi), (a > hi) | (hi < lo))
        elif lo is not None:
            actives = (a >= lo, a < lo, None)
        else:
            actives = (a <= hi, None, a > hi)
        return tuple(reduce_grad(Where.apply(_wrap(active), g, 0), t) if needed else None
                     for t, active, needed in zip((x, min, max), actives,
                                                  ctx.needs_input_grad))


class ClampMinTensor(ClampTensor):
    """clamp_min(x, tensor): node ClampMinBackward1."""

    node_name = "ClampMinBackward1"


class ClampMaxTensor(ClampTensor):
    """clamp_max(x, tensor): node ClampMaxBackward1."""

    node_name = "ClampMaxBackward1"


def _as_dtype(t, res):
    if t is None:
        return None
    return t._data if t._data.dtype == res.np else t._data.astype(res.np)


@op("clamp", aliases=("clip",), methods=("clamp", "clip"))
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


@op("clamp_min", methods=("clamp_min",))
def clamp_min(input: Tensor, min) -> Tensor:
    """`clamp(input, min=min)` (node ClampMinBackward0/1)."""
    check_tensor(input, "input", "clamp_min")
    if isinstance(min, Tensor):
        return ClampMinTensor.apply(input, min, None)
    _require_operand(min, "clamp_min", "min")
    return ClampMin.apply(input, min, None)


@op("clamp_max", methods=("clamp_max",))
def clamp_max(input: Tensor, max) -> Tensor:
    """`clamp(input, max=max)` (node ClampMaxBackward0/1)."""
    check_tensor(input, "input", "clamp_max")
    if isinstance(max, Tensor):
        return ClampMaxTensor.apply(input, None, max)
    _require_operand(max, "clamp_max", "max")
    return ClampMax.apply(input, None, max)


@method_of("clamp", "clamp_", "clip_")
def clamp_(input: Tensor, min=None, max=None) -> Tensor:
    """In-place clamp (an int tensor refuses float bounds: the result would be float)."""
    return apply_inplace(input, clamp, min, max)


@method_of("clamp_min", "clamp_min_")
def clamp_min_(input: Tensor, min) -> Tensor:
    return apply_inplace(input, clamp_min, min)


@method_of("clamp_max", "clamp_max_")
def clamp_max_(input: Tensor, max) -> Tensor:
    return apply_inplace(input, clamp_max, max)


clip, clip_ = clamp, clamp_
