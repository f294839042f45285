"""Tensor factories: tensor, zeros, ones, full, empty, arange, linspace, eye and `_like` forms.

Every factory takes `dtype`, `device` and `requires_grad` keywords as PyTorch's do, and
allocates directly on the target backend.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ._user_warning import warn_user
from . import dtypes as _dt
from .array_backends import backend_for_device
from .device import to_device
from .ops._util import check_tensor
from .ops.registry import method_of, op
from .tensor import Tensor, _wrap, as_array


def _finish(data, requires_grad: bool) -> Tensor:
    t = _wrap(data)
    if requires_grad:
        if data.dtype.kind not in "fc" and data.dtype.name != "bfloat16":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t._requires_grad = True
    return t


def _shape(size, fn: str = "empty") -> tuple:
    """`zeros(2, 3)`, `zeros((2, 3))` and `zeros([2, 3])` all mean shape (2, 3).

    `fn` names the factory in PyTorch's TypeError / RuntimeError messages.
    """
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    elif len(size) == 1 and not _is_int(size[0]):
        raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size[0]).__name__}")
    shape = []
    for pos, s in enumerate(size, 1):
        if isinstance(s, Tensor) and s.dtype.kind == 1 and s.numel() == 1:
            s = s.item()
        if not _is_int(s):
            raise TypeError(f"{fn}(): argument 'size' failed to unpack the object at pos {pos} "
                            f"with error \"type must be tuple of ints,but got "
                            f"{type(s).__name__}\"")
        shape.append(int(s))
    for s in shape:
        if s < 0:
            if fn == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {shape}")
    return tuple(shape)


def _is_int(value) -> bool:
    if isinstance(value, Tensor):
        return value.dtype.kind == 1 and value.numel() == 1
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _backend(device):
    return backend_for_device(to_device(device))


def _float_dtype(dtype):
    return _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)


_COPY_CONSTRUCT = ("To copy construct from a tensor, it is recommended to use "
                   "sourceTensor.detach().clone() or "
                   "sourceTensor.detach().clone().requires_grad_(True), rather than {}.")


@op("tensor")
def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of `data` (nested lists, numbers, numpy arrays, Tensors).

        >>> tensor([[1, 2], [3, 4]]).dtype
        torch.int64
    """
    if isinstance(data, Tensor):   # PyTorch warns: the copy leaves the graph
        warn_user(_COPY_CONSTRUCT.format("torch.tensor(sourceTensor)"), UserWarning)
    return _copied(data, dtype, device, requires_grad)


def _copied(data, dtype, device, requires_grad) -> Tensor:
    if device is None and isinstance(data, Tensor):
        device = data.device
    dt = None if dtype is None else _dt.to_dtype(dtype)
    arr = as_array(data, dt, _backend(device))
    if isinstance(data, (Tensor, np.ndarray)) or arr is data:
        arr = arr.copy()
    return _finish(arr, requires_grad)


@op("as_tensor")
def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like `tensor`, but shares memory with a Tensor or numpy array when it can."""
    dt = None if dtype is None else _dt.to_dtype(dtype)
    if isinstance(data, Tensor):
        if (dt is None or dt is data.dtype) and (device is None or
                                                 to_device(device) == data.device):
            return data
        return data.to(device=device, dtype=dt)
    return _wrap(as_array(data, dt, _backend(device)))


@op("asarray")
def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None) -> Tensor:
    """`obj` as a tensor, sharing memory when it can (a copy with `copy=True`).

    As in PyTorch 2.13, a tensor keeps its autograd history by default (`requires_grad=None`
    follows `obj`, with a warning when that means True); `requires_grad=False` detaches.
    """
    if not isinstance(obj, Tensor):
        t = _copied(obj, dtype, device, False) if copy else as_tensor(obj, dtype, device)
        return t.requires_grad_(True) if requires_grad else t
    if requires_grad is None and obj.requires_grad:
        warn_user("torch.asarray: unspecified requires_grad now defaults to "
                  "obj.requires_grad instead of False. Pass requires_grad=False explicitly "
                  "to get the old behavior and silence this warning.", UserWarning)
    t = obj.detach() if requires_grad is False else obj
    converted = t.to(device=device, dtype=None if dtype is None else _dt.to_dtype(dtype))
    if copy and converted is t:
        converted = converted.clone()
    if requires_grad and not converted.requires_grad:
        converted.requires_grad_(True)
    return converted


@op("from_numpy")
def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with `ndarray` (writes show on both sides)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dt.from_numpy_dtype(ndarray.dtype)
    return _wrap(ndarray)


def _filled(size, value, dtype, device, requires_grad, fn: str = "empty") -> Tensor:
    shape = _shape(size, fn)
    backend = _backend(device)
    arr = backend.xp.full(shape, value, dtype.np) if value is not None \
        else backend.xp.empty(shape, dtype.np)
    return _finish(arr, requires_grad)


@op("zeros")
def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    return _filled(size, 0, _float_dtype(dtype), device, requires_grad, "zeros")


@op("ones")
def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    return _filled(size, 1, _float_dtype(dtype), device, requires_grad, "ones")


@op("empty")
def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None) -> Tensor:
    return _filled(size, None, _float_dtype(dtype), device, requires_grad)


@op("empty_strided")
def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _filled((tuple(size),), None, _float_dtype(dtype), device, requires_grad)


@op("full")
def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False) -> Tensor:
    """A tensor of `size` filled with `fill_value`; the dtype follows the value (3 -> int64)."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if not isinstance(fill_value, numbers.Number):
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not "
                        f"{type(fill_value).__name__}")
    if dtype is None:
        dtype = _dt.result_type(fill_value)
    return _filled((tuple(size),), fill_value, _dt.to_dtype(dtype), device, requires_grad,
                   "full")


def _like(input, dtype, device, fn: str = "empty_like"):
    check_tensor(input, "input", fn)
    return (input.dtype if dtype is None else _dt.to_dtype(dtype),
            input.device if device is None else device)


@op("zeros_like")
def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    dt, dev = _like(input, dtype, device, "zeros_like")
    return _filled((input.shape,), 0, dt, dev, requires_grad)


@op("ones_like")
def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    dt, dev = _like(input, dtype, device, "ones_like")
    return _filled((input.shape,), 1, dt, dev, requires_grad)


@op("empty_like")
def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    dt, dev = _like(input, dtype, device, "empty_like")
    return _filled((input.shape,), None, dt, dev, requires_grad)


@op("full_like")
def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    dt, dev = _like(input, dtype, device, "full_like")
    return _filled((input.shape,), fill_value, dt, dev, requires_grad)


def _number(x, name: str, fn: str = "arange", position: int | None = None):
    """A Python number from a number or a one-element tensor, else PyTorch's TypeError."""
    if isinstance(x, Tensor):
        return x.item()
    if not isinstance(x, numbers.Number):
        where = "" if position is None else f" (position {position})"
        raise TypeError(f"{fn}(): argument '{name}'{where} must be Number, not "
                        f"{type(x).__name__}")
    return x


def _trunc(x) -> int:
    """A number cast to an integer the C++ way (toward zero)."""
    return int(x) if not isinstance(x, complex) else int(x.real)


def _c_number(x) -> str:
    """A double printed as C++ streams print it in PyTorch's messages (0, 2.5, inf)."""
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


@op("arange")
def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False) -> Tensor:
    """Values from `start` to `end` (exclusive) by `step`; int64 unless an argument is a float.

    Computed as PyTorch computes it: the length is ceil((end - start) / step) in double
    precision, and value i is `start + i * step` in the accumulation type (double for floats,
    int64 after truncating the bounds for integer dtypes).

        >>> arange(1, 2.5, 0.5)
        tensor([1.0000, 1.5000, 2.0000])
    """
    end_position = 2
    if end is None:
        start, end, end_position = 0, start, 1
    start = _number(start, "start", position=1)
    end = _number(end, "end", position=end_position)
    step = _number(step, "step", position=3)
    if dtype is None:
        dtype = _dt.result_type(start, end, step)
        if dtype.kind == 0:
            dtype = _dt.int64
    dtype = _dt.to_dtype(dtype)
    if dtype.kind in (0, 3):
        raise NotImplementedError(f"\"arange_cpu\" not implemented for "
                                  f"'{_dt_legacy(dtype)}'")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    for v in (start, end):
        if isinstance(v, float) and not math.isfinite(v):
            raise RuntimeError(f"unsupported range: {_c_number(start)} -> {_c_number(end)}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is _dt.int64:
        start, end, step = _trunc(start), _trunc(end), _trunc(step)
        if step == 0:
            raise ValueError("step must be nonzero")
        sign = 1 if step > 0 else -1
        span = end - start + step - sign
        n = abs(span) // abs(step) * (1 if (span >= 0) == (step > 0) else -1)
        host = start + np.arange(max(n, 0), dtype=np.int64) * step
    else:
        n = math.ceil((float(end) - float(start)) / float(step))
        if dtype.kind == 1:
            host = _trunc(start) + np.arange(n, dtype=np.int64) * _trunc(step)
        else:
            host = _arange_floats(float(start), float(step), n, dtype)
    arr = _backend(device).from_host(host.astype(dtype.np), to_device(device))
    return _finish(arr, requires_grad)


_SIMD_BYTES = 32   # PyTorch's CPU kernels fill AVX2 vectors: 8 floats, 4 doubles, 16 halves


def _arange_floats(start: float, step: float, n: int, dtype) -> np.ndarray:
    """Float arange values exactly as PyTorch's CPU kernel rounds them.

    The kernel fills pairs of SIMD vectors: each vector's first value is `start + k * step`
    (a fused multiply-add, rounded to the dtype) and its lanes add `j * step` to that; the
    elements after the last full pair are `start + i * step`. The accumulation type is double
    for float32/float64 and float for float16/bfloat16; a wider numpy type emulates the FMA.
    (Beyond 32768 elements PyTorch splits the work across threads; values may then differ in
    the last bit.)
    """
    out_type = dtype.np.type
    if dtype.itemsize <= 2:
        start, step = np.float32(start), np.float32(step)

        def fused(first, i):
            return (np.float64(first) + np.float64(step) * i).astype(np.float32)
        lane = fused
    else:
        def fused(first, i):
            return np.longdouble(first) + np.longdouble(step) * i
        if dtype.itemsize == 4:
            def lane(first, j):
                return np.float64(first) + np.float64(step) * j   # not fused in the kernel
        else:
            lane = fused
    width = _SIMD_BYTES // dtype.itemsize
    idx = np.arange(n)
    vectorized = n // (2 * width) * (2 * width)
    chunk, j = np.divmod(idx[:vectorized], width)
    firsts = fused(start, chunk * width).astype(out_type)
    head = lane(firsts.astype(np.float64), j).astype(out_type)
    tail = fused(start, idx[vectorized:]).astype(out_type)
    return np.concatenate([head, tail])


def _dt_legacy(d) -> str:
    return d._legacy[:-len("Tensor")]


@op("range")
def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Deprecated in PyTorch: like arange but includes `end`; float by default."""
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    host = start + np.arange(n, dtype=np.float64) * step
    dt = _float_dtype(dtype)
    return _finish(_backend(device).from_host(host.astype(dt.np), to_device(device)),
                   requires_grad)


@op("linspace")
def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    """`steps` evenly spaced values from `start` to `end`, both included.

    PyTorch's formula, in the output dtype: value i is `start + i * step` in the first half
    and `end - (steps - 1 - i) * step` in the second, so both ends come out exact.

        >>> linspace(0, 1, 5)
        tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    start, end = _number(start, "start", "linspace"), _number(end, "end", "linspace")
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool):
        raise TypeError(f"linspace(): argument 'steps' (position 3) must be int, not "
                        f"{type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if dtype is not None:
        dt = _dt.to_dtype(dtype)
    elif isinstance(start, complex) or isinstance(end, complex):
        dt = _dt.get_default_dtype().to_complex()
    else:
        dt = _dt.get_default_dtype()
    if dt.kind == 0 and steps > 1:   # PyTorch's kernel (run for 2+ steps) has no bool form
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    host = _linspace_values(start, end, int(steps), dt)
    return _finish(_backend(device).from_host(host.astype(dt.np), to_device(device)),
                   requires_grad)


def _linspace_values(start, end, steps: int, dt) -> np.ndarray:
    """PyTorch's linspace kernel in numpy, bit for bit on float16/bfloat16/float32/float64.

    float16 and bfloat16 round after every operation (c10::Half arithmetic); float32 and
    float64 evaluate `start + step * i` with one rounding (the fused multiply-add the kernel
    compiles to), which a wider type emulates; integers truncate the bounds and step in double.
    """
    if dt.kind <= 1:
        kind, first, last = np.float64, float(_trunc(start)), float(_trunc(end))
    else:
        kind = dt.np.type
        first, last = kind(start), kind(end)
    if steps <= 1:
        return np.full(steps, first, dtype=kind)
    step = kind(kind(last - first) / kind(steps - 1))
    idx = np.arange(steps)
    before = idx.astype(kind)
    after = (steps - idx - 1).astype(kind)
    if dt.kind >= 2 and dt.itemsize <= 2:
        head = first + (step * before).astype(kind)
        tail = last - (step * after).astype(kind)
    else:
        wide = {4: np.float64, 8: np.longdouble}.get(dt.itemsize, np.clongdouble)
        if dt.kind == 3:
            wide = np.complex128 if dt.itemsize == 8 else np.clongdouble
        head = wide(first) + wide(step) * before.astype(wide)
        tail = wide(last) - wide(step) * after.astype(wide)
    values = np.where(idx < steps // 2, head, tail)
    return np.trunc(values) if dt.kind <= 1 else values


@op("logspace")
def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    dt = _float_dtype(dtype)
    if dt.kind == 0 and int(steps) > 1:   # as linspace: no bool kernel in PyTorch
        raise NotImplementedError("\"logspace_cpu\" not implemented for 'Bool'")
    host = np.logspace(start, end, int(steps), base=base)
    return _finish(_backend(device).from_host(host.astype(dt.np), to_device(device)),
                   requires_grad)


@op("eye")
def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad=False) -> Tensor:
    """A 2-D tensor with ones on the diagonal (n rows, m columns, m defaults to n)."""
    sizes = []
    for pos, (name, v) in enumerate((("n", n), ("m", m)), 1):
        if v is None:
            continue
        if isinstance(v, Tensor) and v.dtype.kind == 1 and v.numel() == 1:
            v = v.item()   # PyTorch accepts integer tensors where an int is expected
        if not isinstance(v, numbers.Integral) or isinstance(v, bool):
            raise TypeError(f"eye(): argument '{name}' (position {pos}) must be int, not "
                            f"{type(v).__name__}")
        if v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
        sizes.append(int(v))
    n, m = sizes[0], sizes[-1]
    dt = _float_dtype(dtype)
    arr = _backend(device).xp.eye(n, m, dtype=dt.np)
    return _finish(arr, requires_grad)


@op("scalar_tensor")
def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return tensor(s, dtype=_float_dtype(dtype), device=device, requires_grad=requires_grad)


# ------------------------------------------------------------------ Tensor.new_* methods
def _new_kwargs(self, dtype, device):
    return {"dtype": self.dtype if dtype is None else dtype,
            "device": self.device if device is None else device}


@method_of("tensor", "new_tensor")
def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    if isinstance(data, Tensor):
        warn_user(_COPY_CONSTRUCT.format("tensor.new_tensor(sourceTensor)"), UserWarning)
    kwargs = _new_kwargs(self, dtype, device)
    return _copied(data, kwargs["dtype"], kwargs["device"], requires_grad)


@method_of("zeros", "new_zeros")
def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    return zeros(*size, requires_grad=requires_grad, **_new_kwargs(self, dtype, device))


@method_of("ones", "new_ones")
def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    return ones(*size, requires_grad=requires_grad, **_new_kwargs(self, dtype, device))


@method_of("empty", "new_empty")
def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    return empty(*size, requires_grad=requires_grad, **_new_kwargs(self, dtype, device))


@method_of("full", "new_full")
def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, requires_grad=requires_grad,
                **_new_kwargs(self, dtype, device))

