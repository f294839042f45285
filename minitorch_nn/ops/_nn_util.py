"""Helpers shared by the nn op families (activation, convolution, pooling, norms, losses).

- `kernel_for(array, family, name)`: the kernel for `array`'s device when it can take one
  (a float32/float64 array: the Numba kernel of kernels/cpu for numpy, the CUDA launcher of
  kernels/cuda, same name and arguments, for CuPy), else None, so callers fall back to `xp`
  code (float16, bfloat16, kernels one device lacks).
- `compute_array(array)`: float16/bfloat16 widened to float32 for the arithmetic (PyTorch's
  CPU kernels also accumulate half types in float); the result is cast back with `astype`.
- `require_float`: PyTorch's NotImplementedError for integer inputs to float-only ops.
- `reduction_of` / `reduce_loss`: the loss `reduction` argument, legacy flags included.
- `int_tuple`: `kernel_size=3` or `(3, 3)` as a tuple of ints of the wanted length.
"""
from __future__ import annotations

import importlib
import os
import warnings

import numpy as np

from ..backends import cpu as _cpu
from ..tensor import Tensor
from .inplace import _legacy_name

__all__ = ["kernel_for", "route_kernels", "acc_dtype", "compute_array", "require_float",
           "reduction_of", "reduce_loss", "int_tuple", "type_name", "broadcast_shape",
           "PARALLEL_MIN"]

_CPU_BACKEND = _cpu.BACKEND
_KERNEL_CHARS = "fd"   # numpy type chars of float32 and float64

def _parallel_is_safe() -> bool:
    """Whether Numba's parallel kernels may run without fighting the BLAS threads.

    A Numba parallel region waits for all its worker threads. OpenBLAS's (and MKL/OpenMP's)
    threads keep spinning for a while after each matrix product, holding the cores those
    workers need: measured on 2 cores, a small CNN training step took 45 ms with parallel
    kernels against 13 ms with serial ones. So parallel kernels are used only when the BLAS
    runs one thread or was told to stop spinning quickly (OPENBLAS_THREAD_TIMEOUT <= 8,
    which must be set before numpy is imported); otherwise every kernel runs its serial twin.
    """
    env = os.environ
    if env.get("OPENBLAS_NUM_THREADS") == "1" or env.get("OMP_NUM_THREADS") == "1":
        return True
    timeout = env.get("OPENBLAS_THREAD_TIMEOUT", "")
    return timeout.isdigit() and int(timeout) <= 8


# Arrays with fewer elements than this run the serial twin of a parallel kernel (starting
# threads costs more than the work; kernels/cpu/_variants.py). See _parallel_is_safe.
PARALLEL_MIN = 1 << 15 if _parallel_is_safe() else 1 << 62

_resolved: dict = {}
_MISSING = object()

# Which kernel package serves arrays of a type, when it is not the backend's own (a test
# seam: tests/cuda_emulation routes numpy arrays to the CUDA launchers, run emulated).
_ROUTES: dict[type, str] = {}


def kernel_for(array, family: str, name: str):
    """Kernel `name` of `kernels/<device>/<family>.py` for `array`, or None.

    The Numba kernels take float32/float64 arrays; the CUDA kernels also float16 and
    bfloat16 where their family is instantiated for them (computing in float). On the CPU,
    below PARALLEL_MIN elements the serial twin `<name>_serial` is used when it exists.
    None also when the device has no kernel of that name (the GPU lacks a few CPU-only fast
    paths): the caller's xp code runs.
    """
    dtype = array.dtype
    if dtype.char not in _KERNEL_CHARS and type(array) is np.ndarray and not _ROUTES:
        return None   # the common CPU case, decided without a lookup
    key = (type(array), dtype.char, family, name, array.size < PARALLEL_MIN)
    fn = _resolved.get(key, _MISSING)
    if fn is _MISSING:
        fn = _resolved[key] = _find_kernel(key[0], dtype, family, name, serial=key[4])
    return fn


def _find_kernel(array_type: type, dtype, family: str, name: str, serial: bool):
    package = _ROUTES.get(array_type)
    if package is None:
        backend = _CPU_BACKEND if array_type is np.ndarray else _backend_of_type(array_type)
        if backend is None:
            return None
        package = backend.kernel_package
    try:
        module = importlib.import_module(f"{package}.{family}")
    except ModuleNotFoundError as exc:   # a family one device does not have (CPU dropout)
        if exc.name != f"{package}.{family}":
            raise
        return None
    fn = getattr(module, name, None)
    if fn is None or not _takes(module, dtype):
        return None
    if serial:
        fn = getattr(module, name + "_serial", fn)
    return fn


def _takes(module, dtype) -> bool:
    """Whether the kernels of `module` take arrays of `dtype`. A CUDA family lists its
    element types (`KERNELS.dtypes`); the Numba kernels take float32 and float64."""
    family = getattr(module, "KERNELS", None)
    if family is None:
        return dtype.char in _KERNEL_CHARS
    from ..kernels.cuda._launch import CTYPE_OF_DTYPE
    return CTYPE_OF_DTYPE.get(dtype.name) in family.dtypes


def _backend_of_type(array_type: type):
    from ..backends import _BY_ARRAY_TYPE
    return _BY_ARRAY_TYPE.get(array_type)


class route_kernels:
    """Context manager: arrays of `array_type` take their kernels from `package`.

    `with route_kernels(np.ndarray, "minitorch_nn.kernels.cuda"): ...` makes every op run its
    CUDA launchers on numpy arrays (with an emulated launch runtime: tests/cuda_emulation).
    """

    def __init__(self, array_type: type, package: str):
        self.array_type, self.package = array_type, package

    def __enter__(self):
        self.previous = _ROUTES.get(self.array_type)
        _ROUTES[self.array_type] = self.package
        _resolved.clear()
        return self

    def __exit__(self, *exc):
        if self.previous is None:
            _ROUTES.pop(self.array_type, None)
        else:
            _ROUTES[self.array_type] = self.previous
        _resolved.clear()


def acc_dtype(dtype):
    """The dtype sums and statistics are kept in: float32 for float16/bfloat16, else `dtype`
    (the kernels' accumulation type A; PyTorch's `acc_type`)."""
    if dtype.itemsize == 2 and (dtype.kind == "f" or dtype.name == "bfloat16"):
        return np.dtype(np.float32)
    return dtype


def compute_array(array):
    """`array` itself, or a float32 copy when it is float16/bfloat16 (computed in float)."""
    if array.dtype.itemsize == 2 and (array.dtype.kind == "f" or array.dtype.name == "bfloat16"):
        return array.astype(np.float32)
    return array


def require_float(x: Tensor, kernel_name: str) -> None:
    """PyTorch's error for an integer or bool tensor given to a float-only op."""
    if not x.is_floating_point():
        raise NotImplementedError(f'"{kernel_name}" not implemented for '
                                  f"'{_legacy_name(x.dtype)}'")


def type_name(x: Tensor) -> str:
    """PyTorch's scalar type name of x ("Float", "Long", ...) for error messages."""
    return _legacy_name(x.dtype)


_REDUCTIONS = ("none", "mean", "sum")


def reduction_of(size_average=None, reduce=None, reduction: str = "mean") -> str:
    """The reduction string, honouring PyTorch's deprecated `size_average`/`reduce` flags."""
    if size_average is not None or reduce is not None:
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      "reduction='{}' instead.".format(_legacy_reduction(size_average, reduce)),
                      UserWarning, stacklevel=3)
        return _legacy_reduction(size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _legacy_reduction(size_average, reduce) -> str:
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def reduce_loss(loss, reduction: str):
    """Apply `reduction` to an elementwise loss array (mean of an empty array is nan)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if loss.size == 0:
        return loss.dtype.type(np.nan) * loss.sum()
    return loss.mean()


def int_tuple(value, n: int, name: str) -> tuple:
    """An int or a sequence of ints as an n-tuple of ints (`kernel_size=3` → (3, 3))."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            return (int(value[0]),) * n
        if len(value) == n:
            return tuple(int(v) for v in value)
        raise RuntimeError(f"{name} must be a single int or a tuple of {n} ints, "
                           f"got {tuple(value)}")
    raise TypeError(f"{name} must be an int or a tuple of ints, got {type(value).__name__}")


def broadcast_shape(a: tuple, b: tuple) -> tuple:
    """The broadcast of shapes a and b, with PyTorch's error when they do not broadcast."""
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {i}")
        out.append(y if x == 1 else x)
    return tuple(out)
