"""addcmul, addcdiv and lerp: pointwise ops of three operands (imported by ops/pointwise_math.py).

PyTorch's conventions, checked against torch 2.13:
  * addcmul(input, t1, t2, value=v) = input + v * t1 * t2, addcdiv = input + v * t1 / t2,
    in the dtype all three promote to; float16/bfloat16 computed in float32, rounded once;
    `value` is cast to that dtype (truncated for integers; complex refused for real results);
    addcdiv refuses two integer tensors (PyTorch dropped integer division there);
  * lerp(start, end, w) = start + w * (end - start), computed as end - (end - start) * (1 - w)
    for |w| >= 0.5 so that w = 1 gives exactly `end` (with PyTorch's fused multiply-add in
    float32 and the half types); a tensor weight gets a gradient
    (end - start), node LerpBackward1 (LerpBackward0 for a number weight).
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import reduce_grad
from ..tensor import Tensor, _wrap
from ._nn_util import compute_array
from ._util import check_tensor, shape_mismatch, xp_of
from .comparison import _require_operand
from .elementwise import _input_grad
from .inplace import apply_inplace
from .registry import method_of, op
from .unary import _not_implemented

_C10_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>"}


def _scalar_for(value, res):
    """`value` as PyTorch casts a Scalar argument to the result dtype `res`."""
    if isinstance(value, complex) and res.kind != 3:
        raise RuntimeError(f"value cannot be converted to type {_C10_NAMES[res.name]} "
                           "without overflow")
    if res.kind == 1:
        return int(value)
    return value


def _operand_arrays(res, *tensors):
    """The tensors' arrays in `res` (half types in float32 for the arithmetic)."""
    return [compute_array(t._data.astype(res.np, copy=False)) for t in tensors]


# ------------------------------------------------------------------ addcmul, addcdiv
class Addcmul(ArrayFunction):
    @staticmethod
    def forward(ctx, input, tensor1, tensor2, value, res):
        x, a, b = _operand_arrays(res, input, tensor1, tensor2)
        try:
            out = x + value * a * b
        except ValueError as err:
            raise shape_mismatch(err, input, tensor1, tensor2) from None
        needs = ctx.needs_input_grad
        if needs:   # each factor is saved only for the other's gradient
            ctx.save_for_backward(tensor1 if needs[2] else None, tensor2 if needs[1] else None)
        ctx.meta = (input, tensor1, tensor2, value, res)
        return _wrap(out.astype(res.np, copy=False))

    @staticmethod
    def backward(ctx, g):
        input, t1, t2, value, res = ctx.meta
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        gi = _input_grad(g, input) if need[0] else None
        g1 = _input_grad(g * (b._data.astype(res.np) * value), t1) if need[1] else None
        g2 = _input_grad(g * (a._data.astype(res.np) * value), t2) if need[2] else None
        return gi, g1, g2, None, None

    @staticmethod
    def grad_formula(ctx, g):
        input, t1, t2, value, res = ctx.meta
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        gi = reduce_grad(g, input) if need[0] else None
        g1 = reduce_grad(g * (b * value), t1) if need[1] else None
        g2 = reduce_grad(g * (a * value), t2) if need[2] else None
        return gi, g1, g2, None, None


class Addcdiv(ArrayFunction):
    @staticmethod
    def forward(ctx, input, tensor1, tensor2, value, res):
        x, a, b = _operand_arrays(res, input, tensor1, tensor2)
        try:
            out = x + value * a / b   # PyTorch's order: (value * t1) / t2
        except ValueError as err:
            raise shape_mismatch(err, input, tensor1, tensor2) from None
        ctx.save_for_backward(tensor1, tensor2)
        ctx.meta = (input, value, res)
        return _wrap(out.astype(res.np, copy=False))

    @staticmethod
    def backward(ctx, g):
        input, value, res = ctx.meta
        t1, t2 = ctx.saved_tensors
        a, b = t1._data.astype(res.np), t2._data.astype(res.np)
        need = ctx.needs_input_grad
        gi = _input_grad(g, input) if need[0] else None
        g1 = _input_grad(g * (value / b), t1) if need[1] else None
        g2 = _input_grad(-g * (value * a / (b * b)), t2) if need[2] else None
        return gi, g1, g2, None, None

    @staticmethod
    def grad_formula(ctx, g):
        input, value, res = ctx.meta
        t1, t2 = ctx.saved_tensors
        need = ctx.needs_input_grad
        gi = reduce_grad(g, input) if need[0] else None
        g1 = reduce_grad(g * (value / t2), t1) if need[1] else None
        g2 = reduce_grad(-g * (value * t1 / (t2 * t2)), t2) if need[2] else None
        return gi, g1, g2, None, None


def _addc_operands(fn: str, input, tensor1, tensor2, value):
    check_tensor(input, "input", fn)
    check_tensor(tensor1, "tensor1", fn, 2)
    check_tensor(tensor2, "tensor2", fn, 3)
    _require_operand(value, fn, "value", 4)
    res = _dt.result_type(input, tensor1, tensor2)
    if res.kind == 0:
        raise NotImplementedError(f'"{fn}_cpu_out" not implemented for \'Bool\'')
    return res, _scalar_for(value, res)


@op("addcmul", methods=("addcmul",))
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """input + value * tensor1 * tensor2 (broadcast), in the dtype the three promote to."""
    res, value = _addc_operands("addcmul", input, tensor1, tensor2, value)
    return Addcmul.apply(input, tensor1, tensor2, value, res)


@op("addcdiv", methods=("addcdiv",))
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """input + value * tensor1 / tensor2 (broadcast); true division, so two integer tensors
    are refused (PyTorch's error: it no longer truncates)."""
    if isinstance(tensor1, Tensor) and isinstance(tensor2, Tensor) \
            and tensor1.dtype.kind < 2 and tensor2.dtype.kind < 2:
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
            ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) "
            "for float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    res, value = _addc_operands("addcdiv", input, tensor1, tensor2, value)
    return Addcdiv.apply(input, tensor1, tensor2, value, res)


@method_of("addcmul", "addcmul_")
def addcmul_(self: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    return apply_inplace(self, lambda s, a, b: addcmul(s, a, b, value=value), tensor1, tensor2)


@method_of("addcdiv", "addcdiv_")
def addcdiv_(self: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    return apply_inplace(self, lambda s, a, b: addcdiv(s, a, b, value=value), tensor1, tensor2)


# ------------------------------------------------------------------ lerp
class Lerp(ArrayFunction):
    """lerp with a number weight (LerpBackward0); LerpTensor (LerpBackward1) reuses it."""

    @staticmethod
    def forward(ctx, start, end, weight):
        dtype = start._data.dtype
        s, e = compute_array(start._data), compute_array(end._data)   # half: in float32
        if isinstance(weight, Tensor):
            w = compute_array(weight._data.astype(dtype, copy=False))
        else:   # a number weight is rounded to the compute dtype first, as PyTorch's opmath
            w = s.dtype.type(weight)
        try:
            out = _lerp_array(s, e, w)
        except ValueError as err:
            raise shape_mismatch(err, start, end, weight) from None
        ctx.save_for_backward(start, end, weight if isinstance(weight, Tensor) else None)
        ctx.weight = weight
        return _wrap(out.astype(dtype, copy=False))

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

    @staticmethod
    def grad_formula(ctx, g):
        start, end, weight = ctx.saved_tensors
        w = ctx.weight if weight is None else weight
        need = ctx.needs_input_grad
        gs = reduce_grad(g * (1 - w), start) if need[0] else None
        ge = reduce_grad(g * w, end) if need[1] else None
        gw = None
        if weight is not None and need[2]:
            gw = reduce_grad(g * (end - start), weight)
        return gs, ge, gw


def _lerp_array(s, e, w):
    """PyTorch's vectorized CPU lerp: fma(coeff, end - start, base) with coeff = w, base =
    start where |w| < 0.5, else coeff = w - 1, base = end (exact at w = 0 and w = 1). The
    fused multiply-add is emulated for float32 in float64 (the product is exact there)."""
    xp = xp_of(s)
    small = abs(w) < 0.5
    diff = e - s
    coeff = xp.where(small, w, w - 1).astype(diff.dtype, copy=False)
    base = xp.where(small, s, e)
    if diff.dtype == np.float32:
        wide = np.float64
        return (coeff.astype(wide) * diff.astype(wide) + base.astype(wide)).astype(diff.dtype)
    return coeff * diff + base


class LerpTensor(Lerp):
    """lerp with a tensor weight: node LerpBackward1."""

    node_name = "LerpBackward1"


@op("lerp", methods=("lerp",))
def lerp(input: Tensor, end: Tensor, weight) -> Tensor:
    """`input + weight * (end - input)`; `weight` is a number or a tensor (broadcast).

    `input` and `end` must share a float dtype; so must a tensor weight with dims (a 0-dim
    weight is cast, as PyTorch does).

    >>> lerp(tensor([0., 10.]), tensor([10., 0.]), 0.25)
    tensor([2.5000, 7.5000])
    """
    check_tensor(input, "input", "lerp")
    check_tensor(end, "end", "lerp", 2)
    _require_operand(weight, "lerp", "weight", 3)
    for name, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t.dtype is not input.dtype and (name == "end" or t.ndim):
            raise RuntimeError(f"expected dtype {_C10_NAMES[input.dtype.name]} for `{name}` "
                               f"but got dtype {_C10_NAMES[t.dtype.name]}")
    tensor_weight = isinstance(weight, Tensor)
    if input.dtype.kind < 2:
        kernel = "lerp_kernel_tensor" if tensor_weight else "lerp_kernel_scalar"
        raise _not_implemented(kernel, input)
    if not tensor_weight:
        weight = _scalar_for(weight, input.dtype)
    return (LerpTensor if tensor_weight else Lerp).apply(input, end, weight)


@method_of("lerp", "lerp_")
def lerp_(self: Tensor, end: Tensor, weight) -> Tensor:
    return apply_inplace(self, lerp, end, weight)

