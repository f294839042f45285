"""Tensor factories: tensor, zeros, ones, full, empty, arange, linspace, eye and `_like` forms.

Every factory takes `dtype`, `device` and `requires_grad` keywords as PyTorch's do, and
allocates directly on the target backend.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from . import dtypes as _dt
from .backends import backend_for_device
from .device import to_device
from .tensor import Tensor, _wrap, as_array

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty",
           "zeros_like", "ones_like", "full_like", "empty_like", "arange", "range", "linspace",
           "logspace", "eye", "scalar_tensor", "empty_strided"]


def _finish(data, requires_grad: bool) -> Tensor:
    t = _wrap(data)
    if requires_grad:
        if data.dtype.kind not in "fc" and data.dtype.name != "bfloat16":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t._requires_grad = True
    return t


def _shape(size) -> tuple:
    """`zeros(2, 3)`, `zeros((2, 3))` and `zeros([2, 3])` all mean shape (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if len(size) == 1 and isinstance(size[0], Tensor):
        size = tuple(size[0].tolist())
    shape = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            raise TypeError(f"size must be a tuple of ints, but got an element of type "
                            f"{type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        shape.append(int(s))
    return tuple(shape)


def _backend(device):
    return backend_for_device(to_device(device))


def _float_dtype(dtype):
    return _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of `data` (nested lists, numbers, numpy arrays, Tensors)."""
    if device is None and isinstance(data, Tensor):
        device = data.device
    dt = None if dtype is None else _dt.to_dtype(dtype)
    arr = as_array(data, dt, _backend(device))
    if isinstance(data, (Tensor, np.ndarray)) or arr is data:
        arr = arr.copy()
    return _finish(arr, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like `tensor`, but shares memory with a Tensor or numpy array when it can."""
    dt = None if dtype is None else _dt.to_dtype(dtype)
    if isinstance(data, Tensor):
        if (dt is None or dt is data.dtype) and (device is None or
                                                 to_device(device) == data.device):
            return data
        return data.to(device=device, dtype=dt)
    return _wrap(as_array(data, dt, _backend(device)))


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False) -> Tensor:
    t = tensor(obj, dtype=dtype, device=device) if copy else as_tensor(obj, dtype, device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with `ndarray` (writes show on both sides)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dt.from_numpy_dtype(ndarray.dtype)
    return _wrap(ndarray)


def _filled(size, value, dtype, device, requires_grad) -> Tensor:
    shape = _shape(size)
    backend = _backend(device)
    arr = backend.xp.full(shape, value, dtype.np) if value is not None \
        else backend.xp.empty(shape, dtype.np)
    return _finish(arr, requires_grad)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    return _filled(size, 0, _float_dtype(dtype), device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    return _filled(size, 1, _float_dtype(dtype), device, requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None) -> Tensor:
    return _filled(size, None, _float_dtype(dtype), device, requires_grad)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _filled((tuple(size),), None, _float_dtype(dtype), device, requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = _dt.result_type(fill_value)
    return _filled((tuple(size) if not isinstance(size, int) else (size,),), fill_value,
                   _dt.to_dtype(dtype), device, requires_grad)


def _like(input, dtype, device):
    if not isinstance(input, Tensor):
        raise TypeError(f"expected a Tensor as input, got {type(input).__name__}")
    return (input.dtype if dtype is None else _dt.to_dtype(dtype),
            input.device if device is None else device)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return _filled((input.shape,), 0, dt, dev, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return _filled((input.shape,), 1, dt, dev, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return _filled((input.shape,), None, dt, dev, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return _filled((input.shape,), fill_value, dt, dev, requires_grad)


def _number(x, name: str):
    if isinstance(x, Tensor):
        return x.item()
    if not isinstance(x, numbers.Number):
        raise TypeError(f"arange(): argument '{name}' must be Number, not {type(x).__name__}")
    return x


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False) -> Tensor:
    """Values from `start` to `end` (exclusive) by `step`; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    start, end, step = _number(start, "start"), _number(end, "end"), _number(step, "step")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = _dt.result_type(start, end, step)
    dtype = _dt.to_dtype(dtype)
    n = max(0, math.ceil((end - start) / step))
    host = (start + np.arange(n, dtype=np.float64 if dtype.kind >= 2 else np.int64) * step)
    arr = _backend(device).from_host(host.astype(dtype.np), to_device(device))
    return _finish(arr, requires_grad)


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Deprecated in PyTorch: like arange but includes `end`; float by default."""
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    host = start + np.arange(n, dtype=np.float64) * step
    dt = _float_dtype(dtype)
    return _finish(_backend(device).from_host(host.astype(dt.np), to_device(device)),
                   requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    if not isinstance(steps, numbers.Integral) or steps < 0:
        raise RuntimeError(f"linspace(): number of steps must be non-negative, got {steps}")
    dt = _float_dtype(dtype)
    host = np.linspace(_number(start, "start"), _number(end, "end"), int(steps))
    return _finish(_backend(device).from_host(host.astype(dt.np), to_device(device)),
                   requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    dt = _float_dtype(dtype)
    host = np.logspace(start, end, int(steps), base=base)
    return _finish(_backend(device).from_host(host.astype(dt.np), to_device(device)),
                   requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad=False) -> Tensor:
    """A 2-D tensor with ones on the diagonal (n rows, m columns, m defaults to n)."""
    for name, v in (("n", n), ("m", m)):
        if v is None:
            continue
        if not isinstance(v, numbers.Integral) or isinstance(v, bool):
            raise TypeError(f"eye(): argument '{name}' must be int, not {type(v).__name__}")
        if v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    dt = _float_dtype(dtype)
    arr = _backend(device).xp.eye(n, n if m is None else m, dtype=dt.np)
    return _finish(arr, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return tensor(s, dtype=_float_dtype(dtype), device=device, requires_grad=requires_grad)


# ------------------------------------------------------------------ Tensor.new_* methods
def _new_kwargs(self, dtype, device):
    return {"dtype": self.dtype if dtype is None else dtype,
            "device": self.device if device is None else device}


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    return tensor(data, requires_grad=requires_grad, **_new_kwargs(self, dtype, device))


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    return zeros(*size, requires_grad=requires_grad, **_new_kwargs(self, dtype, device))


def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    return ones(*size, requires_grad=requires_grad, **_new_kwargs(self, dtype, device))


def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    return empty(*size, requires_grad=requires_grad, **_new_kwargs(self, dtype, device))


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, requires_grad=requires_grad,
                **_new_kwargs(self, dtype, device))


METHODS = {"new_tensor": new_tensor, "new_zeros": new_zeros, "new_ones": new_ones,
           "new_empty": new_empty, "new_full": new_full}
