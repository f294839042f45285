"""Comparisons, logical and bitwise ops, and maximum/minimum (PyTorch's "comparison ops").

Comparisons (`==`, `<`, `torch.isclose`, ...) return bool tensors and record no graph: they
have no gradient. maximum/minimum are differentiable and follow PyTorch's convention (checked
against torch 2.13): the larger (smaller) input gets the gradient, a tie splits it 0.5 / 0.5.
where and clamp are in ops/selection.py, lerp in ops/ternary_pointwise.py.

Each op is declared once (`@op`, `@method_of`: ops/registry.py) with its Tensor methods,
in-place forms and operators. Defining `__eq__` would make Tensor unhashable: tensor.py's
class body keeps `__hash__` (identity, as PyTorch).
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._util import (_device_mismatch, binary_operands, check_tensor, refuse_complex,
                    shape_mismatch, xp_of)
from .elementwise import _input_grad
from .inplace import _legacy_name, apply_inplace
from .registry import method_of, op
from .unary import _not_implemented

_Number = (bool, int, float, complex)


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

    ordered = name in ("lt", "le", "gt", "ge")   # complex numbers have no order

    def compare(input: Tensor, other) -> Tensor:
        check_tensor(input, "input", name)
        _require_operand(other, name)
        if ordered and (input._data.dtype.kind == "c" or isinstance(other, complex) or
                        (isinstance(other, Tensor) and other._data.dtype.kind == "c")):
            refuse_complex(f"{name}_cpu", input, other)
        return _wrap(_binary(getattr(xp_of(input._data), xp_name), input, other))

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = (f"`input {name} other` elementwise (broadcast, Python numbers allowed), "
                       "as a bool tensor.")
    return compare


eq = op("eq", methods=("eq",))(_comparison("equal", "eq"))
ne = op("ne", aliases=("not_equal",), methods=("ne", "not_equal"))(
    _comparison("not_equal", "ne"))
lt = op("lt", aliases=("less",), methods=("lt", "less"))(_comparison("less", "lt"))
le = op("le", aliases=("less_equal",), methods=("le", "less_equal"))(
    _comparison("less_equal", "le"))
gt = op("gt", aliases=("greater",), methods=("gt", "greater"))(_comparison("greater", "gt"))
ge = op("ge", aliases=("greater_equal",), methods=("ge", "greater_equal"))(
    _comparison("greater_equal", "ge"))
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


_eq_op = method_of("eq", "__eq__")(_operator(eq))
_ne_op = method_of("ne", "__ne__")(_operator(ne))
_lt_op = method_of("lt", "__lt__")(_operator(lt))
_le_op = method_of("le", "__le__")(_operator(le))
_gt_op = method_of("gt", "__gt__")(_operator(gt))
_ge_op = method_of("ge", "__ge__")(_operator(ge))


@op("equal", methods=("equal",))
def equal(input: Tensor, other: Tensor) -> bool:
    """True if both tensors have the same shape and the same values (nan is never equal)."""
    check_tensor(input, "input", "equal")
    check_tensor(other, "other", "equal", 2)
    if input.shape != other.shape:
        return False
    x, y, _ = binary_operands(input, other)
    return bool(xp_of(input._data).all(x == y))


@op("isclose", methods=("isclose",))
def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol * |other| elementwise; infinities must be equal.

    Both tensors must have the same dtype (PyTorch: "Float did not match Double").

    >>> isclose(tensor([1., 2.]), tensor([1.000001, 2.1]))
    tensor([ True, False])
    """
    check_tensor(input, "input", "isclose")
    check_tensor(other, "other", "isclose", 2)
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


@op("allclose", methods=("allclose",))
def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True if `isclose` holds everywhere."""
    return bool(isclose(input, other, rtol, atol, equal_nan).all().item())


def _inexact(t: Tensor) -> bool:
    return t.dtype.kind >= 2


@op("isnan", methods=("isnan",))
def isnan(input: Tensor) -> Tensor:
    """True where `input` is nan (never for integer and bool tensors)."""
    check_tensor(input, "input", "isnan")
    a = input._data
    xp = xp_of(a)
    return _wrap(xp.isnan(a) if _inexact(input) else xp.zeros(a.shape, dtype=bool))


@op("isinf", methods=("isinf",))
def isinf(input: Tensor) -> Tensor:
    """True where `input` is +inf or -inf."""
    check_tensor(input, "input", "isinf")
    a = input._data
    xp = xp_of(a)
    return _wrap(xp.isinf(a) if _inexact(input) else xp.zeros(a.shape, dtype=bool))


@op("isfinite", methods=("isfinite",))
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


@op("logical_not", methods=("logical_not",))
def logical_not(input: Tensor) -> Tensor:
    check_tensor(input, "input", "logical_not")
    return _wrap(~_truth(input._data))


def _logical(xp_name: str, name: str):
    """`torch.<name>(input, other)` on the truth values of two tensors of any dtypes."""

    def op(input: Tensor, other: Tensor) -> Tensor:
        check_tensor(input, "input", name)
        check_tensor(other, "other", name, 2)
        fn = getattr(xp_of(input._data), xp_name)
        try:
            return _wrap(fn(_truth(input._data), _truth(other._data)))
        except ValueError as err:
            raise shape_mismatch(err, input, other) from None

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {name} of the truth values (nonzero is True): a bool tensor."
    return op


logical_and = op("logical_and", methods=("logical_and",))(
    _logical("logical_and", "logical_and"))
logical_or = op("logical_or", methods=("logical_or",))(_logical("logical_or", "logical_or"))
logical_xor = op("logical_xor", methods=("logical_xor",))(
    _logical("logical_xor", "logical_xor"))


def _bitwise(xp_name: str, name: str):
    """`torch.<name>(input, other)` on bool and integer tensors (Python ints allowed)."""

    def op(input, other) -> Tensor:
        if not isinstance(input, Tensor):
            check_tensor(other, "other", name, 2)
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


bitwise_and = op("bitwise_and", methods=("bitwise_and",))(
    _bitwise("bitwise_and", "bitwise_and"))
bitwise_or = op("bitwise_or", methods=("bitwise_or",))(_bitwise("bitwise_or", "bitwise_or"))
bitwise_xor = op("bitwise_xor", methods=("bitwise_xor",))(
    _bitwise("bitwise_xor", "bitwise_xor"))


@op("bitwise_not", methods=("bitwise_not",))
def bitwise_not(input: Tensor) -> Tensor:
    """`~input`: logical not for bool tensors, two's complement not for integers."""
    check_tensor(input, "input", "bitwise_not")
    if _inexact(input):
        raise _not_implemented("bitwise_not_cpu", input)
    return _wrap(xp_of(input._data).invert(input._data))


@method_of("bitwise_not", "__invert__")
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


_and_op = method_of("bitwise_and", "__and__")(_bitwise_operator(bitwise_and))
_rand_op = method_of("bitwise_and", "__rand__")(_bitwise_operator(bitwise_and, True))
_or_op = method_of("bitwise_or", "__or__")(_bitwise_operator(bitwise_or))
_ror_op = method_of("bitwise_or", "__ror__")(_bitwise_operator(bitwise_or, True))
_xor_op = method_of("bitwise_xor", "__xor__")(_bitwise_operator(bitwise_xor))
_rxor_op = method_of("bitwise_xor", "__rxor__")(_bitwise_operator(bitwise_xor, True))


def _shift(name: str, kernel: str, left: bool):
    """`torch.<name>(input, other)`: shifts of integer tensors with PyTorch's rules: a left
    shift by a negative amount or by >= the bit width gives 0; a right shift by such an amount
    fills with the sign bit (signed) or gives 0 (unsigned)."""

    def shift(input, other) -> Tensor:
        if not isinstance(input, Tensor):
            check_tensor(other, "other", name, 2)
            _require_operand(input, name, "input", 1)
        else:
            _require_operand(other, name)
        res = _dt.result_type(input, other)
        if res.kind != 1:   # bool, floating and complex: no shift kernel in PyTorch
            raise NotImplementedError(f'"{kernel}_cpu" not implemented for '
                                      f"'{_legacy_name(res)}'")
        x, y, _ = binary_operands(input, other)
        tensor = input if isinstance(input, Tensor) else other
        xp = xp_of(tensor._data)
        npd = np.dtype(res.np)
        bits = npd.itemsize * 8 - (0 if left or npd.kind == "u" else 1)
        y = xp.asarray(y)
        wide = y.astype(np.dtype(f"u{npd.itemsize}"), copy=False) >= bits   # negative: huge
        y = xp.where(wide, 0 if left else bits, y).astype(npd, copy=False)
        try:
            out = (xp.left_shift if left else xp.right_shift)(x, y)
        except ValueError as err:
            raise shape_mismatch(err, input, other) from None
        if left:
            out = xp.where(wide, npd.type(0), out)
        return _wrap(xp.asarray(out, dtype=npd))

    shift.__name__ = shift.__qualname__ = name
    shift.__doc__ = f"Elementwise {name} of integer tensors (promoted as PyTorch does)."
    return shift


bitwise_left_shift = op("bitwise_left_shift", methods=("bitwise_left_shift",))(
    _shift("bitwise_left_shift", "lshift", True))
bitwise_right_shift = op("bitwise_right_shift", methods=("bitwise_right_shift",))(
    _shift("bitwise_right_shift", "rshift", False))


def _shift_operator(fn, symbol: str, reflected: bool = False):
    def op(self, other):
        if not isinstance(other, (Tensor,) + _Number):
            return NotImplemented
        return fn(other, self) if reflected else fn(self, other)

    op.__name__ = op.__qualname__ = f"__{'r' if reflected else ''}{symbol}__"
    return op


_lshift_op = method_of("bitwise_left_shift", "__lshift__")(
    _shift_operator(bitwise_left_shift, "lshift"))
_rlshift_op = method_of("bitwise_left_shift", "__rlshift__")(
    _shift_operator(bitwise_left_shift, "lshift", True))
_rshift_op = method_of("bitwise_right_shift", "__rshift__")(
    _shift_operator(bitwise_right_shift, "rshift"))
_rrshift_op = method_of("bitwise_right_shift", "__rrshift__")(
    _shift_operator(bitwise_right_shift, "rshift", True))


# ------------------------------------------------------------------ maximum / minimum
class Maximum(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _wrap(_binary(xp_of(a._data).maximum, a, b))   # nan propagates

    @staticmethod
    def backward(ctx, g):
        return _extremum_backward(ctx, g, larger_wins=True)

    @staticmethod
    def grad_formula(ctx, g):
        return _extremum_formula(ctx, g, larger_wins=True)


class Minimum(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _wrap(_binary(xp_of(a._data).minimum, a, b))

    @staticmethod
    def backward(ctx, g):
        return _extremum_backward(ctx, g, larger_wins=False)

    @staticmethod
    def grad_formula(ctx, g):
        return _extremum_formula(ctx, g, larger_wins=False)


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


def _extremum_formula(ctx, g, larger_wins: bool):
    """_extremum_backward with recorded Tensor ops (the masks are constants); PyTorch's
    where(a == b, g / 2, g).masked_fill_(lost, 0), through Tensor methods."""
    from ..autograd.higher_order import reduce_grad
    a, b = ctx.saved_tensors
    x, y, _ = binary_operands(a, b)
    a_lost, b_lost = (x < y, x > y) if larger_wins else (x > y, x < y)
    shared = (g / 2).where(_wrap(x == y), g)
    ga = gb = None
    if ctx.needs_input_grad[0]:
        ga = reduce_grad(shared.masked_fill(_wrap(a_lost), 0), a)
    if ctx.needs_input_grad[1]:
        gb = reduce_grad(shared.masked_fill(_wrap(b_lost), 0), b)
    return ga, gb


@op("maximum", methods=("maximum",))
def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum of two tensors (broadcast); nan wins.

    >>> maximum(tensor([1., 5.]), tensor([3., 2.]))
    tensor([3., 5.])
    """
    check_tensor(input, "input", "maximum")
    check_tensor(other, "other", "maximum", 2)
    _no_complex_extremum("maximum", input, other)
    return Maximum.apply(input, other)


@op("minimum", methods=("minimum",))
def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum of two tensors (broadcast); nan wins."""
    check_tensor(input, "input", "minimum")
    check_tensor(other, "other", "minimum", 2)
    _no_complex_extremum("minimum", input, other)
    return Minimum.apply(input, other)


def _no_complex_extremum(name: str, a: Tensor, b: Tensor) -> None:
    if a.is_complex() or b.is_complex():
        raise RuntimeError(f"{name} not implemented for complex tensors.")


# ------------------------------------------------------------------ in-place forms
def _inplace(fn):
    def op_(self: Tensor, *args) -> Tensor:
        return apply_inplace(self, fn, *args)

    op_.__name__ = op_.__qualname__ = fn.__name__ + "_"
    op_.__doc__ = f"In-place {fn.__name__}: the result is written into self (cast to its dtype)."
    return op_


eq_ = method_of("eq", "eq_")(_inplace(eq))
ne_ = method_of("ne", "ne_", "not_equal_")(_inplace(ne))
lt_ = method_of("lt", "lt_", "less_")(_inplace(lt))
le_ = method_of("le", "le_", "less_equal_")(_inplace(le))
gt_ = method_of("gt", "gt_", "greater_")(_inplace(gt))
ge_ = method_of("ge", "ge_", "greater_equal_")(_inplace(ge))
logical_not_ = method_of("logical_not", "logical_not_")(_inplace(logical_not))
logical_and_ = method_of("logical_and", "logical_and_")(_inplace(logical_and))
logical_or_ = method_of("logical_or", "logical_or_")(_inplace(logical_or))
logical_xor_ = method_of("logical_xor", "logical_xor_")(_inplace(logical_xor))
bitwise_not_ = method_of("bitwise_not", "bitwise_not_")(_inplace(bitwise_not))
bitwise_and_ = method_of("bitwise_and", "bitwise_and_", "__iand__")(_inplace(bitwise_and))
bitwise_or_ = method_of("bitwise_or", "bitwise_or_", "__ior__")(_inplace(bitwise_or))
bitwise_xor_ = method_of("bitwise_xor", "bitwise_xor_", "__ixor__")(_inplace(bitwise_xor))


def _shift_inplace(fn):
    def op_(self: Tensor, other) -> Tensor:
        if isinstance(other, (Tensor,) + _Number):   # PyTorch checks the cast first
            res = _dt.result_type(self, other)
            if not _dt.can_cast(res, self.dtype):
                raise RuntimeError(f"result type {_legacy_name(res)} can't be cast to the "
                                   f"desired output type {_legacy_name(self.dtype)}")
        return apply_inplace(self, fn, other)

    op_.__name__ = op_.__qualname__ = fn.__name__ + "_"
    op_.__doc__ = f"In-place {fn.__name__}: the result is written into self."
    return op_


bitwise_left_shift_ = method_of("bitwise_left_shift", "bitwise_left_shift_", "__ilshift__")(
    _shift_inplace(bitwise_left_shift))
bitwise_right_shift_ = method_of("bitwise_right_shift", "bitwise_right_shift_", "__irshift__")(
    _shift_inplace(bitwise_right_shift))
