"""Masked ops: masked_fill, masked_select, masked_scatter, and nonzero / argwhere (where a
tensor is nonzero).

A mask is a bool tensor broadcast against the input. masked_fill's gradient is zero where the
mask is set (and, for a 0-d value tensor, the sum of the gradient there); masked_select's
writes the gradient back at the selected places; masked_scatter's is zero there for the input
and, for the source, the gradient at those places for its first elements.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import sum_to
from ..tensor import Tensor, _wrap
from ._nn_util import broadcast_shape
from ._util import check_tensor, sum_to_shape, xp_of
from .indexing import _on_device_of
from .inplace import _legacy_name, apply_inplace
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

    @staticmethod
    def grad_formula(ctx, g):
        from .selection import Where
        shape, mask, vdtype = ctx.meta
        m = _wrap(mask)
        gx = sum_to(Where.apply(m, 0, g), shape) if ctx.needs_input_grad[0] else None
        gv = None
        if vdtype is not None and ctx.needs_input_grad[2]:
            gv = Where.apply(m, g, 0).sum()
            gv = gv if gv._data.dtype == vdtype else gv.to(_dt.from_numpy_dtype(vdtype))
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

    @staticmethod
    def grad_formula(ctx, g):
        shape, m = ctx.meta
        z = _wrap(xp_of(g._data).zeros(m.shape, g._data.dtype))
        return sum_to(MaskedScatter.apply(z, m, g, None), shape), None


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


# ------------------------------------------------------------------ masked_scatter
class MaskedScatter(ArrayFunction):
    """`x` (broadcast with the mask) with the first elements of `source`, in order, written
    where the mask is True. Grad to x: zero there (summed back to x's shape); grad to source:
    the grad at those places for its first elements, zero for the rest."""

    @staticmethod
    def forward(ctx, x, mask, source, mask_tensor):
        xp = xp_of(x._data)
        shape = np.broadcast_shapes(x._data.shape, mask.shape)
        m = xp.broadcast_to(mask, shape)
        n = int(m.sum())
        vals = source._data.reshape(-1)
        if vals.size < n:
            raise RuntimeError("Number of elements of source < number of ones in mask")
        out = xp.broadcast_to(x._data, shape).copy()
        out[m] = vals[:n]
        ctx.save_for_backward(mask_tensor)
        ctx.meta = (x._data.shape, m, n, source._data.shape)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors   # PyTorch's error if the mask was edited in place
        shape, m, n, s_shape = ctx.meta
        xp = xp_of(g)
        gx = sum_to_shape(xp.where(m, 0, g), shape) if ctx.needs_input_grad[0] else None
        gsrc = None
        if ctx.needs_input_grad[2]:
            gsrc = xp.zeros(int(np.prod(s_shape)), g.dtype)
            gsrc[:n] = g[m]
            gsrc = gsrc.reshape(s_shape)
        return gx, None, gsrc, None

    @staticmethod
    def grad_formula(ctx, g):
        from .selection import Where
        ctx.saved_tensors
        shape, m, n, s_shape = ctx.meta
        gx = sum_to(Where.apply(_wrap(m), 0, g), shape) if ctx.needs_input_grad[0] else None
        gsrc = None
        if ctx.needs_input_grad[2]:
            gsrc = MaskedSelect.apply(g, m)
            rest = int(np.prod(s_shape)) - n
            if rest:
                from .joining import cat
                gsrc = cat([gsrc, _wrap(xp_of(g._data).zeros(rest, g._data.dtype))])
            gsrc = gsrc.reshape(s_shape)
        return gx, None, gsrc, None


def _expand_error(mask_shape: tuple, shape: tuple, device: str) -> RuntimeError:
    """PyTorch's error when the mask of an in-place op does not expand to self's shape."""
    if len(mask_shape) > len(shape):
        return RuntimeError(f"expand({device}BoolType{{{list(mask_shape)}}}, size="
                            f"{list(shape)}): the number of sizes provided ({len(shape)}) must "
                            f"be greater or equal to the number of dimensions in the tensor "
                            f"({len(mask_shape)})")
    for i in range(1, len(mask_shape) + 1):
        if mask_shape[-i] not in (1, shape[-i]):
            return RuntimeError(f"The expanded size of the tensor ({shape[-i]}) must match the "
                                f"existing size ({mask_shape[-i]}) at non-singleton dimension "
                                f"{len(shape) - i}.  Target sizes: {list(shape)}.  Tensor "
                                f"sizes: {list(mask_shape)}")
    return None


def _masked_scatter_args(input: Tensor, mask, source, in_place: bool):
    """PyTorch's checks of masked_scatter, in its order; returns the mask array."""
    check_tensor(mask, "mask", "masked_scatter", 1)
    check_tensor(source, "source", "masked_scatter", 2)
    m, shape = mask._data, input._data.shape
    if in_place:
        error = _expand_error(m.shape, shape, input.device.type.upper())
        if error is not None:
            raise error
    elif m.shape != shape:
        broadcast_shape(m.shape, shape)   # PyTorch's RuntimeError (mask is "a")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got{_legacy_name(input.dtype)} and {_legacy_name(source.dtype)}")
    if mask.dtype is not _dt.bool:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {_legacy_name(mask.dtype)}")
    return _on_device_of(m, input._data)


def _kept_mask(mask: Tensor, like: Tensor):
    """The mask tensor to save for backward (its version is checked), if on like's device."""
    return mask if type(mask._data) is type(like._data) else None


@op("masked_scatter", methods=("masked_scatter",))
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """`input` (broadcast with `mask`) with the elements of `source`, taken in order, written
    where `mask` is True; source needs at least as many elements as the mask has Trues.

        >>> torch.zeros(3).masked_scatter(torch.tensor([True, False, True]), torch.ones(2))
        tensor([1., 0., 1.])
    """
    m = _masked_scatter_args(input, mask, source, False)
    return MaskedScatter.apply(input, m, source, _kept_mask(mask, input))


@method_of("masked_scatter", "masked_scatter_")
def masked_scatter_(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    m = _masked_scatter_args(self, mask, source, True)
    return apply_inplace(self, lambda s, v: MaskedScatter.apply(s, m, v, _kept_mask(mask, s)),
                         source)
