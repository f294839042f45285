"""Elementwise ops: arithmetic with broadcasting and PyTorch's type promotion.

Each op is one `ArrayFunction` with its forward and backward side by side. Binary ops accept
Tensors or Python numbers on either side; backward sums broadcast gradients back to each
input's shape (`sum_to_shape`) and casts them to that input's dtype.
"""
from __future__ import annotations

from ..amp.autocast_mode import AUTOCAST as _AMP, autocast_call
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._util import binary_operands, grad_cast, shape_mismatch, sum_to_shape, xp_of
from .inplace import apply_inplace, bump, check_inplace, write_result

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "neg",
           "negative", "exp"]


def _input_grad(g, x):
    """`g` reduced to input `x`'s shape and dtype (x may be a Tensor or a Python number)."""
    if not isinstance(x, Tensor):
        return None
    return grad_cast(sum_to_shape(g, x._data.shape), x._data)


class Add(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b, alpha=1):
        x, y, _ = binary_operands(a, b)
        ctx.inputs = (a, b)
        ctx.alpha = alpha
        if alpha != 1:
            y = y * alpha
        try:
            return _wrap(x + y)
        except ValueError as err:
            raise shape_mismatch(err, a, b) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        gb = g if ctx.alpha == 1 else g * ctx.alpha
        return _input_grad(g, a), _input_grad(gb, b), None


class Sub(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b, alpha=1):
        x, y, _ = binary_operands(a, b)
        ctx.inputs = (a, b)
        ctx.alpha = alpha
        if alpha != 1:
            y = y * alpha
        try:
            return _wrap(x - y)
        except ValueError as err:
            raise shape_mismatch(err, a, b) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        return _input_grad(g, a), _input_grad(-g * ctx.alpha, b), None


class Mul(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        x, y, _ = binary_operands(a, b)
        ctx.save_for_backward(a if isinstance(a, Tensor) else None,
                              b if isinstance(b, Tensor) else None)
        ctx.scalars = (a, b)
        try:
            return _wrap(x * y)
        except ValueError as err:
            raise shape_mismatch(err, a, b) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        va = a._data if a is not None else sa
        vb = b._data if b is not None else sb
        ga = _input_grad(g * vb, a) if ctx.needs_input_grad[0] else None
        gb = _input_grad(g * va, b) if ctx.needs_input_grad[1] else None
        return ga, gb


class Div(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b, rounding_mode=None):
        from .. import dtypes
        x, y, res = binary_operands(a, b)
        if rounding_mode is None:
            if res.kind < 2:   # int / int is true division in the default float dtype
                npd = dtypes.get_default_dtype().np
                x = x.astype(npd) if hasattr(x, "astype") else npd.type(x)
                y = y.astype(npd) if hasattr(y, "astype") else npd.type(y)
            ctx.save_for_backward(a if isinstance(a, Tensor) else None,
                                  b if isinstance(b, Tensor) else None)
            ctx.scalars = (a, b)
            try:
                return _wrap(x / y)
            except ValueError as err:
                raise shape_mismatch(err, a, b) from None
        ctx.rounding = True
        ctx.scalars = (a, b)
        return _wrap(_rounded_div(x, y, rounding_mode, res))

    @staticmethod
    def backward(ctx, g):
        if getattr(ctx, "rounding", False):   # rounded division: zero gradient, as PyTorch
            a, b = ctx.scalars
            return _input_grad(g * 0, a), _input_grad(g * 0, b), None
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        va = a._data if a is not None else sa
        vb = b._data if b is not None else sb
        ga = _input_grad(g / vb, a) if ctx.needs_input_grad[0] else None
        gb = _input_grad(-g * va / (vb * vb), b) if ctx.needs_input_grad[1] else None
        return ga, gb, None


def _rounded_div(x, y, mode, res):
    import numpy as np
    if mode == "trunc":
        out = np.trunc(x / y) if res.kind >= 2 else _int_trunc_div(x, y)
    elif mode == "floor":
        out = np.floor_divide(x, y)
    else:
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or "
                           f"'floor' but found '{mode}'")
    return np.asarray(out).astype(res.np, copy=False)


def _int_trunc_div(x, y):
    import numpy as np
    q = np.floor_divide(x, y)
    r = np.remainder(x, y)
    return q + ((r != 0) & ((x < 0) != (y < 0)))


class Neg(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == 0:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        return _wrap(-x._data)

    @staticmethod
    def backward(ctx, g):
        return -g


class Exp(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = _wrap(xp_of(x._data).exp(_float_array(x)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out._data


def _float_array(x: Tensor):
    """x's array, cast to the default float dtype if x is an integer or bool tensor."""
    from .. import dtypes
    if x._data.dtype.kind in "biu":
        return x._data.astype(dtypes.get_default_dtype().np)
    return x._data


# ------------------------------------------------------------------ public functions
def add(input, other, *, alpha=1):
    return Add.apply(input, other, alpha)


def sub(input, other, *, alpha=1):
    return Sub.apply(input, other, alpha)


def mul(input, other):
    return Mul.apply(input, other)


def div(input, other, *, rounding_mode=None):
    return Div.apply(input, other, rounding_mode)


def neg(input):
    return Neg.apply(input)


def exp(input):
    if _AMP.on and _AMP.active():
        return autocast_call("exp", exp, input)
    return Exp.apply(input)


subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg


# ------------------------------------------------------------------ in-place forms
def _fast_inplace(self, other, ufunc, alpha=1):
    """`self op= other` straight into self's storage when no graph is recorded."""
    if check_inplace(self, other):
        return None
    x, y, res = binary_operands(self, other)
    if alpha != 1:
        y = y * alpha
    write_result(self, ufunc(x, y), res)
    bump(self)
    return self


def _inplace_binary(self, other, ufunc, op, alpha=1):
    """The fast path when nothing is recorded, else the autograd-aware generic path."""
    done = _fast_inplace(self, other, ufunc, alpha)
    return done if done is not None else apply_inplace(self, op, other)


def add_(self, other, *, alpha=1):
    return _inplace_binary(self, other, _add, lambda s, o: Add.apply(s, o, alpha), alpha)


def sub_(self, other, *, alpha=1):
    return _inplace_binary(self, other, _sub, lambda s, o: Sub.apply(s, o, alpha), alpha)


def mul_(self, other):
    return _inplace_binary(self, other, _mul, Mul.apply)


def div_(self, other, *, rounding_mode=None):
    if rounding_mode is None and self.dtype.kind >= 2:
        return _inplace_binary(self, other, _div, lambda s, o: Div.apply(s, o, None))
    return apply_inplace(self, lambda s, o: Div.apply(s, o, rounding_mode), other)


def neg_(self):
    return apply_inplace(self, Neg.apply)


def exp_(self):
    return apply_inplace(self, Exp.apply)


def _add(x, y):
    return x + y


def _sub(x, y):
    return x - y


def _mul(x, y):
    return x * y


def _div(x, y):
    return x / y


def _radd(self, other):
    return Add.apply(self, other)


def _rmul(self, other):
    return Mul.apply(self, other)


def _rsub(self, other):
    return Sub.apply(other, self)


def _rdiv(self, other):
    return Div.apply(other, self)


METHODS = {
    "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul, "div": div,
    "divide": div, "true_divide": div, "neg": neg, "negative": neg, "exp": exp,
    "add_": add_, "sub_": sub_, "mul_": mul_, "div_": div_, "neg_": neg_, "exp_": exp_,
    "__add__": _radd, "__radd__": _radd, "__iadd__": add_,
    "__sub__": sub, "__rsub__": _rsub, "__isub__": sub_,
    "__mul__": _rmul, "__rmul__": _rmul, "__imul__": mul_,
    "__truediv__": div, "__rtruediv__": _rdiv, "__itruediv__": div_,
    "__neg__": neg,
}
