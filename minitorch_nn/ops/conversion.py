"""Copies and conversions: clone, contiguous, dtype casts and device moves (differentiable).

Only `clone` is also a torch function; the others are Tensor methods (declared in namespace
"Tensor"): `to` and its shorthands (`float`, `cpu`, `cuda`, ...), `type`, `type_as`, and the
in-place `copy_`, `fill_`, `zero_`. Autocast casts with `Tensor.to` too (a ToCopy node).
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import dtypes as _dt
from .._user_warning import warn_user
from ..autograd.function import ArrayFunction
from ..array_backends import backend_for_device, backend_of
from ..device import device as _device_cls, to_device
from ..tensor import Tensor, _wrap
from ._util import check_tensor
from ._quiet import quiet_numpy
from .broadcast_error import broadcast_error
from .inplace import _writable, apply_inplace, check_inplace, bump, write_result
from .registry import method_of, op


class ToCopy(ArrayFunction):
    """A cast and/or device move; backward casts and moves the gradient back."""

    copies_into_new_tensor = True   # records even for inference inputs (autograd/function.py)

    @staticmethod
    def forward(ctx, x, dtype, dev):
        src = backend_of(x._data)
        arr = x._data
        ctx.src = (arr.dtype, src, x.device)
        if dev is not None and dev != x.device:
            dst = backend_for_device(dev)
            arr = dst.from_host(src.to_host(arr), dev)
        if dtype is not None and arr.dtype != dtype.np:
            if arr.dtype.kind == "c" and not dtype.is_complex:   # PyTorch's warning, not numpy's
                warn_user("Casting complex values to real discards the imaginary part")
            try:
                with warnings.catch_warnings():   # numpy's ComplexWarning: said above instead
                    warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
                    arr = arr.astype(dtype.np)
            except ValueError as err:   # a dtype this device's CuPy lacks (bfloat16 < v14)
                raise backend_of(arr).dtype_error(dtype.np, err) from err
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

    @staticmethod
    def grad_formula(ctx, g):
        in_dtype, src, dev = ctx.src
        if g._data.dtype.kind == "c" and in_dtype.kind != "c":
            from .complex import Real
            g = Real.apply(g)   # the real part, as numpy's cast (without its warning)
        moved = backend_of(g._data) is not src
        if not moved and g._data.dtype == in_dtype:
            return g, None, None
        return ToCopy.apply(g, _dt.from_numpy_dtype(in_dtype), dev if moved else None), \
            None, None


class Clone(ArrayFunction):
    copies_into_new_tensor = True   # records even for inference inputs (autograd/function.py)

    @staticmethod
    def forward(ctx, x, memory_format=None):
        return _wrap(x._data.copy())

    @staticmethod
    def backward(ctx, g):
        return g, None

    @staticmethod
    def grad_formula(ctx, g):
        return g, None


class Contiguous(ArrayFunction):
    """A C-contiguous copy; PyTorch's contiguous() clones, so its node is CloneBackward0."""

    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x):
        return _wrap(backend_of(x._data).xp.ascontiguousarray(x._data))

    @staticmethod
    def backward(ctx, g):
        return g

    @staticmethod
    def grad_formula(ctx, g):
        return g


@op("clone", methods=("clone",))
def clone(input, *, memory_format=None):
    return Clone.apply(input)


@op("contiguous", namespace="Tensor", methods=("contiguous",))
def contiguous(self, memory_format=None):
    if self._data.flags.c_contiguous:
        return self
    return Contiguous.apply(self)


_PY_TYPES = (float, int, bool, complex)   # accepted as dtypes: float64, int64, bool, complex128


def _is_dtype(a) -> bool:
    return isinstance(a, _dt.dtype) or any(a is t for t in _PY_TYPES)


def _is_device(a) -> bool:
    return isinstance(a, (str, _device_cls)) or (isinstance(a, int) and not isinstance(a, bool))


def _to_signature_error(args, kwargs):
    got = ", ".join([_arg_type_name(a) for a in args]
                    + [f"{k}={_arg_type_name(v)}" for k, v in kwargs.items()])
    return TypeError(
        f"to() received an invalid combination of arguments - got ({got}), but expected one "
        "of:\n * (torch.device device = None, torch.dtype dtype = None, bool non_blocking = "
        "False, bool copy = False, *, torch.memory_format memory_format = None)\n * "
        "(torch.dtype dtype, bool non_blocking = False, bool copy = False, *, "
        "torch.memory_format memory_format = None)\n * (Tensor other, bool non_blocking = "
        "False, bool copy = False, *, torch.memory_format memory_format = None)")


def _arg_type_name(a) -> str:
    if isinstance(a, _dt.dtype):
        return "torch.dtype"
    if isinstance(a, _device_cls):
        return "torch.device"
    return "Tensor" if isinstance(a, Tensor) else type(a).__name__


def _parse_to(args, kwargs):
    """Tensor.to's three signatures, as PyTorch parses them:

    to(device=None, dtype=None, non_blocking=False, copy=False, *, memory_format=None)
    to(dtype, non_blocking=False, copy=False, *, memory_format=None)
    to(other, non_blocking=False, copy=False, *, memory_format=None)
    """
    first = args[0] if args else None
    if isinstance(first, Tensor):
        names, rest, dev, dtype = ("non_blocking", "copy"), args[1:], first.device, first.dtype
    elif first is not None and _is_dtype(first):
        names, rest, dev, dtype = ("non_blocking", "copy"), args[1:], None, first
    else:
        names, rest, dev, dtype = ("device", "dtype", "non_blocking", "copy"), args, None, None
    values = dict(zip(names, rest))
    ok = len(rest) <= len(names)
    for key, value in kwargs.items():
        if key == "memory_format":
            continue
        ok = ok and key in names and key not in values
        values[key] = value
    if "device" in names:
        dev, dtype = values.get("device"), values.get("dtype")
    ok = (ok and (dev is None or _is_device(dev)) and (dtype is None or _is_dtype(dtype))
          and all(isinstance(values.get(k, False), bool) for k in ("non_blocking", "copy")))
    if not ok:
        raise _to_signature_error(args, kwargs)
    dev = None if dev is None else to_device(dev)
    if dev is not None and dev.type == "cuda" and dev.index is None:
        dev = _device_cls("cuda", 0)
    dtype = None if dtype is None else _dt.to_dtype(dtype)
    return dev, dtype, values.get("copy", False)


@op("to", namespace="Tensor", methods=("to",))
def to(self, *args, **kwargs):
    """Return self when nothing changes, else a copy with the new dtype and/or device."""
    dev, dtype, copy = _parse_to(args, kwargs)
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


for _method, _dtype in (("float", _dt.float32), ("double", _dt.float64), ("half", _dt.float16),
                        ("bfloat16", _dt.bfloat16), ("long", _dt.int64), ("int", _dt.int32),
                        ("short", _dt.int16), ("char", _dt.int8), ("byte", _dt.uint8),
                        ("bool", _dt.bool), ("cfloat", _dt.complex64),
                        ("cdouble", _dt.complex128)):
    method_of("to", _method, namespace="Tensor")(_cast(_dtype))
del _method, _dtype


@op("cpu", namespace="Tensor", methods=("cpu",))
def cpu(self, memory_format=None):
    return to(self, "cpu")


@op("cuda", namespace="Tensor", methods=("cuda",))
def cuda(self, device=None, non_blocking=False, memory_format=None):
    dev = _device_cls("cuda", 0) if device is None else to_device(
        device if not isinstance(device, int) else f"cuda:{device}")
    return to(self, dev)


_LEGACY_TYPES = {"torch." + d._legacy: d for d in _dt.ALL_DTYPES}


@op("type", namespace="Tensor", methods=("type",))
def type_(self, dtype=None, non_blocking=False, **kwargs):
    """`t.type()` gives 'torch.FloatTensor' ('torch.cuda.FloatTensor' on the GPU);
    `t.type(torch.float64)` casts; 'torch.cuda.DoubleTensor' also moves to the GPU."""
    if dtype is None:
        where = "cuda." if self.device.type == "cuda" else ""
        return f"torch.{where}{self.dtype._legacy}"
    if isinstance(dtype, str):
        legacy = dtype.replace("torch.cuda.", "torch.", 1)
        if legacy not in _LEGACY_TYPES:
            raise ValueError(f"invalid type: '{dtype}'")
        target = "cuda" if dtype.startswith("torch.cuda.") else "cpu"
        return to(self, target, _LEGACY_TYPES[legacy])
    if not isinstance(dtype, _dt.dtype):
        raise ValueError(f"invalid type: '{getattr(dtype, '__name__', dtype)}'")
    return to(self, dtype)


@op("type_as", namespace="Tensor", methods=("type_as",))
def type_as(self, other):
    return to(self, other.dtype)


@op("copy_", namespace="Tensor", methods=("copy_",))
def copy_(self, src, non_blocking=False):
    """Copy `src` (broadcast, cast, moved) into self; differentiable with respect to both."""
    if isinstance(src, (int, float, complex)):   # PyTorch wraps a number as a 0-d tensor
        src = _wrap(backend_of(self._data).xp.asarray(src, dtype=self._data.dtype))
    check_tensor(src, "src", "copy_")
    _check_broadcast(self._data.shape, src._data.shape)
    if check_inplace(self, src):
        return apply_inplace(self, lambda s, o: CopyInto.apply(s, o), src)
    arr = src._data
    if backend_of(arr) is not backend_of(self._data):
        arr = backend_of(self._data).from_host(backend_of(arr).to_host(arr), self.device)
    arr = backend_of(self._data).xp.broadcast_to(arr, self._data.shape)
    if not _writable(self._data):
        write_result(self, arr, self.dtype)
    _assign_cast(self._data, arr)
    bump(self)
    return self


@quiet_numpy
def _assign_cast(dst, arr) -> None:
    """dst[...] = arr cast to dst's dtype (inf/nan/overflow cast silently, as PyTorch)."""
    dst[...] = arr.astype(dst.dtype, copy=False)


def _check_broadcast(dst: tuple, src: tuple) -> None:
    """`src` must broadcast to `dst` (PyTorch's message names the first mismatching dim)."""
    if len(src) > len(dst):
        raise RuntimeError(f"output with shape {list(dst)} doesn't match the broadcast shape "
                           f"{list(src)}")
    for i in range(1, len(src) + 1):
        if src[-i] != dst[-i] and src[-i] != 1:
            raise broadcast_error(dst, src, len(dst) - i)


class CopyInto(ArrayFunction):
    """The out-of-place form of copy_: the result is `src`, shaped and typed like `self`."""

    node_name = "CopyBackwards"
    node_qualified_name = "torch::autograd::CopyBackwards"

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

    @staticmethod
    def grad_formula(ctx, g):
        from ..autograd.higher_order import sum_to
        shape, dtype = ctx.meta
        gsrc = sum_to(g, shape)
        if gsrc._data.dtype != dtype:
            gsrc = ToCopy.apply(gsrc, _dt.from_numpy_dtype(dtype), None)
        return _zeros_of(g), gsrc


def _zeros_of(g: Tensor) -> Tensor:
    """Constant zeros shaped like the Tensor `g` (a gradient that does not depend on g)."""
    return _wrap(backend_of(g._data).xp.zeros(g._data.shape, g._data.dtype))


class FillScalar(ArrayFunction):
    """fill_(number) recorded: the old values get a zero gradient."""

    node_name = "FillBackward2"

    @staticmethod
    def forward(ctx, dst, value):
        xp = backend_of(dst._data).xp
        return _wrap(xp.full(dst._data.shape, value, dtype=dst._data.dtype))

    @staticmethod
    def backward(ctx, g):
        return g * 0, None

    @staticmethod
    def grad_formula(ctx, g):
        return _zeros_of(g), None


class Zero(FillScalar):
    pass


class FillTensor(ArrayFunction):
    """fill_(0-d tensor) recorded: the value gets the sum of the gradient."""

    node_name = "FillBackward3"

    @staticmethod
    def forward(ctx, dst, value):
        xp = backend_of(dst._data).xp
        ctx.value_dtype = value._data.dtype
        return _wrap(xp.full(dst._data.shape, value._data, dtype=dst._data.dtype))

    @staticmethod
    def backward(ctx, g):
        return g * 0, g.sum().astype(ctx.value_dtype)

    @staticmethod
    def grad_formula(ctx, g):
        gv = g.sum()
        if gv._data.dtype != ctx.value_dtype:
            gv = ToCopy.apply(gv, _dt.from_numpy_dtype(ctx.value_dtype), None)
        return _zeros_of(g), gv


@op("fill_", namespace="Tensor", methods=("fill_",))
def fill_(self, value):
    """Set every element to `value` (a number or a 0-d tensor)."""
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.dim()} dimensions.")
        if check_inplace(self, value):
            return apply_inplace(self, FillTensor.apply, value)
        value = value.item()
    return _fill(self, value, FillScalar)


@op("zero_", namespace="Tensor", methods=("zero_",))
def zero_(self):
    """Set every element to zero."""
    return _fill(self, 0, Zero)


def _fill(self, value, fn):
    if check_inplace(self):
        return apply_inplace(self, lambda s: fn.apply(s, value))
    self._data[...] = value
    bump(self)
    return self
