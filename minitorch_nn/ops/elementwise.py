"""Elementwise ops: arithmetic with broadcasting and PyTorch's type promotion.

Each op is one `ArrayFunction` with its forward and backward side by side, and one
declaration (`@op`, `@method_of`: ops/registry.py) naming its public function, Tensor methods,
in-place forms and operators. Binary ops accept
Tensors or Python numbers on either side; backward sums broadcast gradients back to each
input's shape (`sum_to_shape`) and casts them to that input's dtype.
"""
from __future__ import annotations

import numpy as np

from ..array_backends import large_arrays
from ..autograd import function as _function
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import reduce_grad
from ..tensor import Tensor, _wrap
from ._quiet import quiet_numpy
from ._util import binary_operands, grad_cast, shape_mismatch, sum_to_shape, xp_of
from .inplace import apply_inplace, bump, check_inplace, write_result
from .registry import method_of, op


def _sum(x, y):
    """x + y, written into a reused array when both are large numpy arrays of one shape and
    float dtype (array_backends/large_arrays.py: a fresh 64 MB result costs ~6 ms of page
    faults)."""
    if type(x) is np.ndarray and x.nbytes >= large_arrays.MIN_BYTES and type(y) is np.ndarray \
            and x.shape == y.shape and x.dtype == y.dtype and x.dtype.kind == "f":
        return np.add(x, y, out=large_arrays.empty(x.shape, x.dtype))
    return x + y


def _input_grad(g, x):
    """`g` reduced to input `x`'s shape and dtype (x may be a Tensor or a Python number)."""
    if not isinstance(x, Tensor):
        return None
    return grad_cast(sum_to_shape(g, x._data.shape), x._data)


class Add(ArrayFunction):
    wrapped_scalars = (0, 1)   # a number operand is a tensor to PyTorch (autograd/function.py)

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        x, y, _ = binary_operands(a, b)
        ctx.inputs = (a, b)
        ctx.alpha = alpha
        if alpha != 1:
            y = y * alpha
        try:
            return _wrap(_sum(x, y))
        except ValueError as err:
            raise shape_mismatch(err, a, b) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        gb = g if ctx.alpha == 1 else g * ctx.alpha
        return _input_grad(g, a), _input_grad(gb, b), None

    @staticmethod
    def grad_formula(ctx, g):
        a, b = ctx.inputs
        return reduce_grad(g, a), reduce_grad(g if ctx.alpha == 1 else g * ctx.alpha, b), None


def _sub_check(a, b) -> None:
    """PyTorch's sub_check: no subtraction with a bool operand (a Python bool counts)."""
    ba = a.dtype.kind == 0 if isinstance(a, Tensor) else isinstance(a, bool)
    bb = b.dtype.kind == 0 if isinstance(b, Tensor) else isinstance(b, bool)
    if ba and bb:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if ba or bb:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                           "supported. If you are trying to invert a mask, use the `~` or "
                           "`logical_not()` operator instead.")


class Sub(ArrayFunction):
    wrapped_scalars = (0, 1)   # a number operand is a tensor to PyTorch (autograd/function.py)

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        _sub_check(a, b)
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

    @staticmethod
    def grad_formula(ctx, g):
        a, b = ctx.inputs
        return reduce_grad(g, a), reduce_grad(-g * ctx.alpha, b), None


class Mul(ArrayFunction):
    wrapped_scalars = (0, 1)   # a number operand is a tensor to PyTorch (autograd/function.py)

    @staticmethod
    def forward(ctx, a, b):
        x, y, _ = binary_operands(a, b)
        needs = ctx.needs_input_grad
        if needs:   # as PyTorch: each operand is saved only for the other's gradient
            ctx.save_for_backward(a if needs[1] and isinstance(a, Tensor) else None,
                                  b if needs[0] and isinstance(b, Tensor) else None)
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
        ga = _input_grad(g * vb, sa) if ctx.needs_input_grad[0] else None
        gb = _input_grad(g * va, sb) if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def grad_formula(ctx, g):
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        needs = ctx.needs_input_grad
        ga = reduce_grad(g * (b if b is not None else sb), sa) if needs[0] else None
        gb = reduce_grad(g * (a if a is not None else sa), sb) if needs[1] else None
        return ga, gb


class Div(ArrayFunction):
    wrapped_scalars = (1,)   # a number operand is a tensor to PyTorch (autograd/function.py)

    @staticmethod
    def forward(ctx, a, b, rounding_mode=None):
        from .. import dtypes
        x, y, res = binary_operands(a, b)
        if rounding_mode is None:
            if res.kind < 2:   # int / int is true division in the default float dtype
                npd = dtypes.get_default_dtype().np
                x = x.astype(npd) if hasattr(x, "astype") else npd.type(x)
                y = y.astype(npd) if hasattr(y, "astype") else npd.type(y)
            needs = ctx.needs_input_grad
            if needs:   # as PyTorch: the numerator only for the denominator's gradient
                ctx.save_for_backward(a if needs[1] and isinstance(a, Tensor) else None,
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
        ga = _input_grad(g / vb, sa) if ctx.needs_input_grad[0] else None
        gb = _input_grad(-g * va / (vb * vb), sb) if ctx.needs_input_grad[1] else None
        return ga, gb, None

    @staticmethod
    def grad_formula(ctx, g):
        if getattr(ctx, "rounding", False):
            a, b = ctx.scalars
            return reduce_grad(g * 0, a), reduce_grad(g * 0, b), None
        a, b = ctx.saved_tensors
        sa, sb = ctx.scalars
        va = a if a is not None else sa
        vb = b if b is not None else sb
        needs = ctx.needs_input_grad
        ga = reduce_grad(g / vb, sa) if needs[0] else None
        gb = reduce_grad(-g * va / (vb * vb), sb) if needs[1] else None
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

    @staticmethod
    def grad_formula(ctx, g):
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

    @staticmethod
    def grad_formula(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


def _float_array(x: Tensor):
    """x's array, cast to the default float dtype if x is an integer or bool tensor."""
    from .. import dtypes
    if x._data.dtype.kind in "biu":
        return x._data.astype(dtypes.get_default_dtype().np)
    return x._data


# ------------------------------------------------------------------ declarations
@op("add", methods=("add",))
def add(input, other, *, alpha=1):
    return Add.apply(input, other, alpha)


@op("sub", aliases=("subtract",), methods=("sub", "subtract", "__sub__"))
def sub(input, other, *, alpha=1):
    return Sub.apply(input, other, alpha)


@op("mul", aliases=("multiply",), methods=("mul", "multiply"))
def mul(input, other):
    return Mul.apply(input, other)


@op("div", aliases=("divide", "true_divide"),
    methods=("div", "divide", "true_divide", "__truediv__"))
def div(input, other, *, rounding_mode=None):
    return Div.apply(input, other, rounding_mode)


@op("neg", aliases=("negative",), methods=("neg", "negative", "__neg__"))
def neg(input):
    return Neg.apply(input)


@op("exp", methods=("exp",))
def exp(input):
    return Exp.apply(input)


# ------------------------------------------------------------------ operators
@method_of("add", "__add__", "__radd__")
def _add_op(self, other):
    return Add.apply(self, other)


@method_of("mul", "__mul__", "__rmul__")
def _mul_op(self, other):
    return Mul.apply(self, other)


@method_of("sub", "__rsub__")
def _rsub_op(self, other):
    return Sub.apply(other, self)


@method_of("div", "__rtruediv__")
def _rdiv_op(self, other):
    return Div.apply(other, self)


# ------------------------------------------------------------------ in-place forms
@quiet_numpy
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
    """The fast path when nothing is recorded, else the autograd-aware generic path (also
    while an ONNX export traces the ops: the fast path would write behind its back)."""
    done = _fast_inplace(self, other, ufunc, alpha) if _function._tracer is None else None
    return done if done is not None else apply_inplace(self, op, other)


@method_of("add", "add_", "__iadd__")
def add_(self, other, *, alpha=1):
    return _inplace_binary(self, other, _add, lambda s, o: Add.apply(s, o, alpha), alpha)


@method_of("sub", "sub_", "subtract_", "__isub__")
def sub_(self, other, *, alpha=1):
    _sub_check(self, other)
    return _inplace_binary(self, other, _sub, lambda s, o: Sub.apply(s, o, alpha), alpha)


@method_of("mul", "mul_", "multiply_", "__imul__")
def mul_(self, other):
    return _inplace_binary(self, other, _mul, Mul.apply)


@method_of("div", "div_", "divide_", "true_divide_", "__itruediv__")
def div_(self, other, *, rounding_mode=None):
    if rounding_mode is None and self.dtype.kind >= 2:
        return _inplace_binary(self, other, _div, lambda s, o: Div.apply(s, o, None))
    return apply_inplace(self, lambda s, o: Div.apply(s, o, rounding_mode), other)


@method_of("neg", "neg_", "negative_")
def neg_(self):
    return apply_inplace(self, Neg.apply)


@method_of("exp", "exp_")
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


