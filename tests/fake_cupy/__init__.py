"""A numpy-backed stand-in for CuPy: runs minitorch_nn's GPU code paths on a CPU.

Installed as `sys.modules["cupy"]` by the test setup only (`pytest --fake-gpu` or
MINITORCH_FAKE_GPU=1; see install.py), never by minitorch_nn. It is strict where CuPy and
numpy differ (see _core.py), so a bug that would hit a real GPU shows up here:
numpy arrays mixed into device operations, implicit host conversions, numpy scalars where
CuPy returns 0-d arrays, numpy-only functions (only CuPy's names exist: _names.py),
unsupported ufunc methods and dtypes. Device memory is counted by a CuPy-like pool
(cuda.py), and CUDA kernels launched through kernels/cuda/_launch.py run in the C++
emulation of tests/kernels/cuda_emulation.

It verifies code paths, not GPU speed nor every quirk of real CuPy (numerics, streams,
asynchronous errors, NVRTC compilation are not modelled).
"""
from __future__ import annotations

import importlib
import types

import numpy as np

from . import _core, _names, cuda
from ._core import SETTINGS, from_host, ndarray, ufunc, unwrap_kwargs, wrap
from ._core import unwrap as _unwrap   # `unwrap` is CuPy's (numpy's) phase unwrapping

IS_FAKE = True
__version__ = "14.0.0"

get_default_memory_pool = cuda.get_default_memory_pool
get_default_pinned_memory_pool = cuda.get_default_pinned_memory_pool


def is_available() -> bool:
    return cuda.is_available()


# ------------------------------------------------------------------ host <-> device
def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    if type(obj) is ndarray:
        if ndmin > obj.ndim:
            obj = obj.reshape((1,) * (ndmin - obj.ndim) + obj.shape)
        if not copy and (dtype is None or np.dtype(dtype) == obj.dtype):
            return obj
        return obj.astype(obj.dtype if dtype is None else dtype, order=order)
    return from_host(obj, dtype, order, ndmin)


def asarray(a, dtype=None, order=None, *, copy=None, blocking=False):
    """Device arrays as they are (cast if asked); anything else copied to the device."""
    if type(a) is ndarray:
        if dtype is not None and np.dtype(dtype) != a.dtype:
            return a.astype(dtype, order=order or "K")
        if copy:
            return a.copy(order or "K")
        if order in ("C", "F") and not a.flags[f"{order}_CONTIGUOUS"]:
            return a.copy(order)
        return a
    return from_host(a, dtype, order or "K")


asanyarray = asarray


def ascontiguousarray(a, dtype=None):
    if type(a) is not ndarray:
        raise TypeError(f"Argument 'a' has incorrect type (expected cupy._core.core."
                        f"_ndarray_base, got {type(a).__name__})")
    return wrap(np.ascontiguousarray(a._a, dtype), (a,))


def asnumpy(a, stream=None, order="C", out=None, *, blocking=True) -> np.ndarray:
    if type(a) is ndarray:
        return a.get(order=order, out=out)
    if out is not None:
        out[...] = a
        return out
    return np.asarray(a, order=order)


def get_array_module(*args):
    import sys
    if any(type(a) is ndarray for a in args):
        return sys.modules[__name__]
    return np


def from_dlpack(array, *, device=None, copy=None) -> ndarray:
    """Device memory only: a fake array (or its capsule) is shared, host memory refused."""
    if type(array) is ndarray:
        return array
    if isinstance(array, _core._CudaCapsule):
        return array.array
    device_type = int(array.__dlpack_device__()[0]) if hasattr(array, "__dlpack_device__") else 1
    if device_type != 2:
        raise BufferError("from_dlpack: the object is not in CUDA device memory "
                          f"(DLPack device type {device_type})")
    capsule = array.__dlpack__()
    if isinstance(capsule, _core._CudaCapsule):
        return capsule.array
    raise BufferError("from_dlpack: cannot import this capsule into the fake GPU")


def fromDlpack(dltensor) -> ndarray:
    """CuPy's deprecated name, with its one parameter."""
    return from_dlpack(dltensor)


class RawModule:
    """Not available: kernels are launched through kernels/cuda/_launch.py's runtime, which
    the test setup replaces by the CPU emulation."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("fake CuPy has no NVRTC: install the emulated runtime "
                                  "(tests/fake_cupy/install.py) instead of compiling")


RawKernel = ElementwiseKernel = ReductionKernel = RawModule


# ------------------------------------------------------------------ forwarding to numpy
def _forward(np_fn, name: str):
    """A CuPy routine computed by numpy: fake arrays in, fake arrays out, no host arrays."""
    def fn(*args, **kwargs):
        result = np_fn(*_unwrap(args), **unwrap_kwargs(kwargs))
        return wrap(result, args + tuple(kwargs.values()))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = getattr(np_fn, "__doc__", None)
    return fn


def _fake_of(np_obj, name: str):
    if isinstance(np_obj, np.ufunc):
        return ufunc(np_obj)
    if isinstance(np_obj, type) or not callable(np_obj):
        return np_obj   # dtypes, scalar types, finfo, constants
    return _forward(np_obj, name)


def _namespace(module_name: str, names, np_module) -> types.ModuleType:
    module = types.ModuleType(module_name)
    for name in names:
        obj = getattr(np_module, name, None)
        if obj is not None:
            setattr(module, name, _fake_of(obj, name))
    return module


def __getattr__(name: str):
    """CuPy's top-level names that numpy also has, made on first use; others are missing."""
    if name in _names.TOP and hasattr(np, name):
        value = _fake_of(getattr(np, name), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cupy' has no attribute '{name}'")


linalg = _namespace("cupy.linalg", _names.LINALG, np.linalg)
linalg.LinAlgError = np.linalg.LinAlgError
fft = _namespace("cupy.fft", _names.FFT, np.fft)
lib = types.ModuleType("cupy.lib")
lib.stride_tricks = _namespace("cupy.lib.stride_tricks", ("as_strided", "sliding_window_view"),
                               np.lib.stride_tricks)

# not `from . import random`: that asks this module's __getattr__ first, which would
# answer numpy.random (a name CuPy also has); import_module loads the submodule.
random = importlib.import_module(f"{__name__}.random")  # needs the functions above

for _name in sorted(_names.TOP):
    if isinstance(getattr(np, _name, None), np.ufunc):
        _core.UFUNCS[_name] = __getattr__(_name)
_core.UFUNCS["divmod"] = __getattr__("divmod")


def _module_for(np_module_name: str):
    """The fake module matching a numpy module ('numpy.linalg' -> cupy.linalg), as CuPy's
    __array_function__ looks functions up."""
    import sys
    module = sys.modules[__name__]
    for part in np_module_name.split(".")[1:]:
        module = getattr(module, part, None)
        if module is None:
            return None
    return module


def _special_ufunc(name: str):
    from . import _cupyx
    return getattr(_cupyx.scipy.special, name, None)


_core.NAMESPACE.update(matmul=__getattr__("matmul"), _module_for=_module_for,
                       _special_ufunc=_special_ufunc)
