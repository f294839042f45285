"""The Backend contract, and the one road from op code to a kernel.

A backend is an array namespace (`xp`: numpy or cupy), the package of its kernels
(kernels/cpu or kernels/cuda), allocation and transfers. Code above finds a backend from an
array's type (`backend_of`) and a kernel from an array (`kernel_for`): both live here, with
the one kernel cache.

`kernel_for(array, family, name)` answers "which kernel, if any, computes `name` of
`kernels/<device>/<family>.py` on this array":
- the device: the backend that owns arrays of `type(array)` (or the package a test routed
  them to with `route_kernels`);
- the dtype gate: the Numba kernels take float32/float64; a CUDA family takes the element
  types it is instantiated for (`KERNELS.takes(dtype)`: most add float16 and bfloat16);
- the serial twin: below PARALLEL_MIN elements a parallel Numba kernel's `<name>_serial`
  (above it, while OpenBLAS runs threads, the parallel kernel stops them first:
  `_parallel_is_safe`);
- None when the device, the dtype or the family has no such kernel: the caller's `xp` code
  runs (float16 on the CPU, the few CPU-only fast paths on the GPU).
The answer is cached per (array type, dtype, family, name, serial); a non-float numpy
array is answered None before any lookup (the common case of integer and bool tensors).
`Backend.kernel(family, name)` reads the same cache for callers that checked the arrays
themselves. Kernel modules are imported on first use: Numba and CuPy compile then, so
`import minitorch_nn` stays fast.
"""
from __future__ import annotations

import importlib
import os

import numpy as np

from . import openblas

__all__ = ["Backend", "kernel_for", "route_kernels", "PARALLEL_MIN"]


class Backend:
    """An array namespace, named kernels, allocation and transfers for one device type."""

    name = "base"
    array_type: type = object

    def __init__(self, xp, kernel_package: str):
        self.xp = xp
        self.kernel_package = kernel_package

    def kernel(self, family: str, name: str):
        """Kernel `name` of this backend's `kernels/<device>/<family>.py`, e.g.
        ('optim', 'adam_update'), whatever the arrays' dtype: for callers that checked the
        arrays themselves (and tests). LookupError when this device has no such kernel."""
        key = (self, family, name)
        fn = _KERNELS.get(key)
        if fn is None:
            fn = _load(self.kernel_package, family, name)
            if fn is None:
                raise LookupError(f"{self.kernel_package}.{family} has no kernel {name!r}")
            _KERNELS[key] = fn
        return fn

    def device_of(self, array):
        raise NotImplementedError

    def from_host(self, array, device):
        raise NotImplementedError

    def to_host(self, array):
        raise NotImplementedError

    def dtype_error(self, dtype, err: Exception) -> Exception:
        """The error to raise when the array library refused `dtype` (`err` by default)."""
        return err


# The backend of each array type: numpy.ndarray -> cpu, cupy.ndarray -> cuda (on first use).
_BY_ARRAY_TYPE: dict[type, Backend] = {}


def register(backend: Backend) -> Backend:
    """Make `backend` the owner of arrays of `backend.array_type`."""
    _BY_ARRAY_TYPE[backend.array_type] = backend
    return backend


# ---------------------------------------------------------------------- the kernel lookup
def _parallel_is_safe() -> bool:
    """Whether Numba's parallel kernels may run without fighting the BLAS threads.

    A Numba parallel region waits for all its worker threads. OpenBLAS's (and MKL/OpenMP's)
    threads keep spinning for a while after each matrix product, holding the cores those
    workers need: measured on 2 cores, a small CNN training step took 45 ms with parallel
    kernels against 13 ms with serial ones. So parallel kernels run on every array of
    PARALLEL_MIN elements or more only when the BLAS runs one thread or was told to stop
    spinning quickly (OPENBLAS_THREAD_TIMEOUT <= 8, which must be set before numpy is
    imported). Otherwise, where numpy's OpenBLAS can be told to stop its threads
    (array_backends/openblas.py) and MINITORCH_STOP_BLAS_THREADS is not "0", arrays of
    LARGE_PARALLEL_MIN elements or more run the parallel kernels after stopping them (work
    large enough to pay the threads' restart), and everything else runs the serial twins.
    """
    env = os.environ
    if env.get("OPENBLAS_NUM_THREADS") == "1" or env.get("OMP_NUM_THREADS") == "1":
        return True
    timeout = env.get("OPENBLAS_THREAD_TIMEOUT", "")
    return timeout.isdigit() and int(timeout) <= 8


# Arrays with fewer elements than this run the serial twin of a parallel kernel (starting
# threads costs more than the work; kernels/cpu/_variants.py). See _parallel_is_safe.
# LARGE_PARALLEL_MIN (2M elements, 8 MB of float32): the parallel kernels' share of W4b's
# gelu is 2x faster on an Intel Xeon's 2 cores; no array of the model workloads W1, W2, W7,
# W8 or W9 is that large, and their steps did not change (benchmarks, 2026-12-07).
LARGE_PARALLEL_MIN = 1 << 21
_STOP_BLAS_FIRST = (not _parallel_is_safe() and openblas.can_stop_threads()
                    and os.environ.get("MINITORCH_STOP_BLAS_THREADS", "1") != "0")
PARALLEL_MIN = (1 << 15 if _parallel_is_safe() else
                LARGE_PARALLEL_MIN if _STOP_BLAS_FIRST else 1 << 62)

_NUMBA_CHARS = "fd"   # numpy type chars of float32 and float64: what the Numba kernels take
_ndarray = np.ndarray
_MISSING = object()

# The one kernel cache: (array type, dtype char, family, name, serial) -> kernel or None
# for kernel_for, (backend, family, name) -> kernel for Backend.kernel.
_KERNELS: dict = {}

# Which kernel package serves arrays of a type, when it is not their backend's own (a test
# seam: tests/kernels/cuda_emulation routes numpy arrays to the CUDA launchers, run emulated).
_ROUTES: dict[type, str] = {}


def kernel_for(array, family: str, name: str):
    """Kernel `name` of `kernels/<device>/<family>.py` for `array`, or None (see the module
    docstring: device, dtype gate, serial twin)."""
    dtype = array.dtype
    if dtype.char not in _NUMBA_CHARS and type(array) is _ndarray and not _ROUTES:
        return None   # the common CPU case, decided without a lookup
    key = (type(array), dtype.char, family, name, array.size < PARALLEL_MIN)
    fn = _KERNELS.get(key, _MISSING)
    if fn is _MISSING:
        fn = _KERNELS[key] = _resolve(key[0], dtype, family, name, key[4])
    return fn


def _resolve(array_type: type, dtype, family: str, name: str, serial: bool):
    package = _ROUTES.get(array_type)
    if package is None:
        backend = _BY_ARRAY_TYPE.get(array_type)
        if backend is None:
            return None
        package = backend.kernel_package
    module = _family(package, family)
    fn = getattr(module, name, None)
    if fn is None or not _takes(module, dtype):
        return None
    if serial:
        return getattr(module, name + "_serial", fn)
    return threaded(fn) if hasattr(module, name + "_serial") else fn


def threaded(kernel):
    """A parallel Numba kernel as callers must run it: after stopping OpenBLAS's threads
    where that is the policy (`_parallel_is_safe`)."""
    return openblas.stopping_threads_first(kernel) if _STOP_BLAS_FIRST else kernel


def _family(package: str, family: str):
    """The module `<package>.<family>`, or None when that device lacks the family (the CPU
    has no dropout kernels)."""
    try:
        return importlib.import_module(f"{package}.{family}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{package}.{family}":
            raise
        return None


def _load(package: str, family: str, name: str):
    return getattr(_family(package, family), name, None)


def _takes(module, dtype) -> bool:
    """Whether the kernels of `module` take arrays of `dtype`: a CUDA family says so
    (`KERNELS.takes`), the Numba kernels take float32 and float64."""
    family = getattr(module, "KERNELS", None)
    if family is None:
        return dtype.char in _NUMBA_CHARS
    return family.takes(dtype)


class route_kernels:
    """Context manager (a test seam): arrays of `array_type` take their kernels from
    `package`.

    `with route_kernels(np.ndarray, "minitorch_nn.kernels.cuda"): ...` makes every op and
    optimizer run its CUDA launchers on numpy arrays (with an emulated launch runtime:
    tests/kernels/cuda). The kernel cache is emptied on entry and exit.
    """

    def __init__(self, array_type: type, package: str):
        self.array_type, self.package = array_type, package

    def __enter__(self):
        self.previous = _ROUTES.get(self.array_type)
        _ROUTES[self.array_type] = self.package
        _KERNELS.clear()
        return self

    def __exit__(self, *exc):
        if self.previous is None:
            _ROUTES.pop(self.array_type, None)
        else:
            _ROUTES[self.array_type] = self.previous
        _KERNELS.clear()
