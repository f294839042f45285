"""Masked ops: masked_fill, masked_select, and nonzero / argwhere (where a tensor is nonzero).

A mask is a bool tensor broadcast against the input. masked_fill's gradient is zero where the
mask is set (and, for a 0-d value tensor, the sum of the gradient there); masked_select's
writes the gradient back at the selected places.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import broadcast_shape
from ._util import check_tensor, sum_to_shape, xp_of
from .indexing import _on_device_of
from .inplace import apply_inplace
from .registry import method_of, op


# ------------------------------------------------------------------ masked ops
_CPP_NAMES = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "float16": "c10::Half", "bfloat16": "c10::BFloat16",
              "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _mask_array(mask, fn: str, message: str):
    check_tensor(mask, "mask", fn)
    if mask.dtype is not _dt.bool:
        name = mask.dtype.name
        raise RuntimeError(message.format(dtype=_CPP_NAMES.get(name, name)))
    return mask._data


class MaskedFill(ArrayFunction):
    """`where(mask, value, x)` in x's dtype, broadcast; grad to a 0-d value tensor is the sum."""

    @staticmethod
    def forward(ctx, x, mask, value):
        xp = xp_of(x._data)
        v = value._data if isinstance(value, Tensor) else value
        v = xp.asarray(v).astype(x._data.dtype)
        out = xp.where(mask, v, x._data)
        vmeta = value._data.dtype if isinstance(value, Tensor) else None
        ctx.meta = (x._data.shape, mask, vmeta)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        shape, mask, vdtype = ctx.meta
        xp = xp_of(g)
        gx = sum_to_shape(xp.where(mask, 0, g), shape) if ctx.needs_input_grad[0] else None
        gv = None
        if vdtype is not None and ctx.needs_input_grad[2]:
            gv = xp.where(mask, g, 0).sum().astype(vdtype)
        return gx, None, gv


def _fill_value(value):
    if isinstance(value, Tensor) and value.dim() != 0:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.dim()} dimension(s).")
    return value


@op("masked_fill", methods=("masked_fill",))
def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """`input` with `value` (a number or 0-d tensor) wherever `mask` (bool, broadcast) is True.

        >>> torch.zeros(3).masked_fill(torch.tensor([True, False, True]), 5.0)
        tensor([5., 0., 5.])
    """
    m = _mask_array(mask, "masked_fill", "masked_fill_ only supports boolean masks, but got "
                                         "mask with dtype {dtype}")
    if m.shape != input._data.shape:
        broadcast_shape(m.shape, input._data.shape)   # PyTorch's RuntimeError (mask is "a")
    return MaskedFill.apply(input, _on_device_of(m, input._data), _fill_value(value))


@method_of("masked_fill", "masked_fill_")
def masked_fill_(self: Tensor, mask: Tensor, value) -> Tensor:
    m = _on_device_of(_mask_array(mask, "masked_fill_", "masked_fill_ only supports boolean "
                                                        "masks, but got mask with dtype "
                                                        "{dtype}"), self._data)
    if m.shape != self._data.shape:
        broadcast_shape(self._data.shape, m.shape)    # PyTorch's RuntimeError (self is "a")
    value = _fill_value(value)
    return apply_inplace(self, lambda s, v: MaskedFill.apply(s, m, v), value)


class MaskedSelect(ArrayFunction):
    @staticmethod
    def forward(ctx, x, mask):
        xp = xp_of(x._data)
        shape = np.broadcast_shapes(x._data.shape, mask.shape)
        m = xp.broadcast_to(mask, shape)
        ctx.meta = (x._data.shape, m)
        return _wrap(xp.broadcast_to(x._data, shape)[m])

    @staticmethod
    def backward(ctx, g):
        shape, m = ctx.meta
        z = xp_of(g).zeros(m.shape, g.dtype)
        z[m] = g
        return sum_to_shape(z, shape), None


@op("masked_select", methods=("masked_select",))
def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of `input` where `mask` (bool, broadcast together) is True, as 1-D."""
    m = _mask_array(mask, "masked_select", "masked_select: expected BoolTensor for mask")
    if m.shape != input._data.shape:
        broadcast_shape(m.shape, input._data.shape)   # PyTorch's RuntimeError (mask is "a")
    return MaskedSelect.apply(input, _on_device_of(m, input._data))


# ------------------------------------------------------------------ nonzero
@op("nonzero", methods=("nonzero",))
def nonzero(input: Tensor, *, out=None, as_tuple: bool = False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or a tuple of 1-D ones."""
    xp = xp_of(input._data)
    arr = input._data.reshape(1) if input._data.ndim == 0 else input._data
    found = xp.nonzero(arr)
    if as_tuple:
        return tuple(_wrap(i.astype(np.int64)) for i in found)
    stacked = xp.stack(found, axis=1).astype(np.int64) if found else xp.zeros((0, 0), np.int64)
    if input._data.ndim == 0:
        stacked = stacked[:, :0]
    return _wrap(stacked)


@op("argwhere", methods=("argwhere",))
def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)
