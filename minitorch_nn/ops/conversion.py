"""Copies and conversions: clone, contiguous, dtype casts and device moves (differentiable)."""
from __future__ import annotations

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..backends import backend_for_device, backend_of
from ..device import device as _device_cls, to_device
from ..tensor import Tensor, _wrap
from .inplace import apply_inplace, check_inplace, bump, write_result

__all__ = ["clone"]


class Clone(ArrayFunction):
    @staticmethod
    def forward(ctx, x, memory_format=None):
        return _wrap(x._data.copy())

    @staticmethod
    def backward(ctx, g):
        return g, None


class Contiguous(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        return _wrap(backend_of(x._data).xp.ascontiguousarray(x._data))

    @staticmethod
    def backward(ctx, g):
        return g


class ToCopy(ArrayFunction):
    """A cast and/or device move; backward casts and moves the gradient back."""

    @staticmethod
    def forward(ctx, x, dtype, dev):
        src = backend_of(x._data)
        arr = x._data
        ctx.src = (arr.dtype, src, x.device)
        if dev is not None and dev != x.device:
            dst = backend_for_device(dev)
            arr = dst.from_host(src.to_host(arr), dev)
        if dtype is not None and arr.dtype != dtype.np:
            arr = arr.astype(dtype.np)
        elif arr is x._data:
            arr = arr.copy()
        return _wrap(arr)

    @staticmethod
    def backward(ctx, g):
        in_dtype, src, dev = ctx.src
        gb = backend_of(g)
        if gb is not src:
            g = src.from_host(gb.to_host(g), dev)
        return g.astype(in_dtype, copy=False), None, None


def clone(input, *, memory_format=None):
    return Clone.apply(input)


def contiguous(self, memory_format=None):
    if self._data.flags.c_contiguous:
        return self
    return Contiguous.apply(self)


def _parse_to(args, kwargs):
    """Tensor.to(...) accepts (dtype), (device[, dtype]), (tensor) and keyword forms."""
    dev = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for a in args:
        if isinstance(a, Tensor):
            dev, dtype = a.device, a.dtype
        elif isinstance(a, _dt.dtype):
            dtype = a
        elif isinstance(a, (str, _device_cls, int)) and not isinstance(a, bool):
            dev = a
        elif a is None:
            continue
        elif isinstance(a, bool):
            continue   # non_blocking / copy given positionally
        else:
            raise TypeError(f"to() received an invalid combination of arguments: got "
                            f"{type(a).__name__}")
    dev = None if dev is None else to_device(dev)
    if dev is not None and dev.type == "cuda" and dev.index is None:
        dev = _device_cls("cuda", 0)
    dtype = None if dtype is None else _dt.to_dtype(dtype)
    return dev, dtype, copy


def to(self, *args, **kwargs):
    """Return self when nothing changes, else a copy with the new dtype and/or device."""
    dev, dtype, copy = _parse_to(args, dict(kwargs))
    same_dev = dev is None or dev == self.device
    same_dtype = dtype is None or dtype.np == self._data.dtype
    if same_dev and same_dtype and not copy:
        return self
    return ToCopy.apply(self, dtype, None if same_dev else dev)


def _cast(dtype):
    def cast(self, memory_format=None):
        return to(self, dtype)
    cast.__name__ = dtype.name
    return cast


def cpu(self, memory_format=None):
    return to(self, "cpu")


def cuda(self, device=None, non_blocking=False, memory_format=None):
    dev = _device_cls("cuda", 0) if device is None else to_device(
        device if not isinstance(device, int) else f"cuda:{device}")
    return to(self, dev)


_LEGACY_TYPES = {"torch." + d._legacy: d for d in _dt.ALL_DTYPES}


def type_(self, dtype=None, non_blocking=False, **kwargs):
    """`t.type()` gives 'torch.FloatTensor'; `t.type(torch.float64)` casts."""
    if dtype is None:
        return "torch." + self.dtype._legacy
    if isinstance(dtype, str):
        if dtype not in _LEGACY_TYPES:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = _LEGACY_TYPES[dtype]
    return to(self, dtype)


def type_as(self, other):
    return to(self, other.dtype)


def copy_(self, src, non_blocking=False):
    """Copy `src` (broadcast, cast, moved) into self; differentiable with respect to both."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    if check_inplace(self, src):
        return apply_inplace(self, lambda s, o: CopyInto.apply(s, o), src)
    arr = src._data
    if backend_of(arr) is not backend_of(self._data):
        arr = backend_of(self._data).from_host(backend_of(arr).to_host(arr), self.device)
    xp = backend_of(self._data).xp
    try:
        arr = xp.broadcast_to(arr, self._data.shape)
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({self.shape}) must match the size of tensor "
                           f"b ({src.shape}) at non-singleton dimension") from None
    if not self._data.flags.writeable:
        write_result(self, arr, self.dtype)
    self._data[...] = arr.astype(self._data.dtype, copy=False)
    bump(self)
    return self


class CopyInto(ArrayFunction):
    """The out-of-place form of copy_: the result is `src`, shaped and typed like `self`."""

    @staticmethod
    def forward(ctx, dst, src):
        xp = backend_of(dst._data).xp
        ctx.meta = (src._data.shape, src._data.dtype)
        arr = xp.broadcast_to(src._data, dst._data.shape).astype(dst._data.dtype)
        return _wrap(arr)

    @staticmethod
    def backward(ctx, g):
        from ._util import sum_to_shape
        shape, dtype = ctx.meta
        return g * 0, sum_to_shape(g, shape).astype(dtype, copy=False)


METHODS = {
    "clone": clone, "contiguous": contiguous, "to": to, "cpu": cpu, "cuda": cuda,
    "type": type_, "type_as": type_as, "copy_": copy_,
    "float": _cast(_dt.float32), "double": _cast(_dt.float64), "half": _cast(_dt.float16),
    "bfloat16": _cast(_dt.bfloat16), "long": _cast(_dt.int64), "int": _cast(_dt.int32),
    "short": _cast(_dt.int16), "char": _cast(_dt.int8), "byte": _cast(_dt.uint8),
    "bool": _cast(_dt.bool), "cfloat": _cast(_dt.complex64), "cdouble": _cast(_dt.complex128),
}


def fill_(self, value):
    """Set every element to `value` (a number or a 0-d tensor)."""
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.dim()} dimensions.")
        if check_inplace(self, value):
            return apply_inplace(self, lambda s, v: CopyInto.apply(s, v), value)
        value = value.item()
    check_inplace(self)
    if self._requires_grad and self.grad_fn is not None and _grad_on():
        return apply_inplace(self, lambda s: CopyInto.apply(s, _scalar_like(s, value)))
    self._data[...] = value
    bump(self)
    return self


def zero_(self):
    return fill_(self, 0)


def _grad_on():
    from ..autograd.grad_mode import is_grad_enabled
    return is_grad_enabled()


def _scalar_like(t, value):
    return _wrap(backend_of(t._data).xp.asarray(value, dtype=t._data.dtype))


METHODS.update({"fill_": fill_, "zero_": zero_})
