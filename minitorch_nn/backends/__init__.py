"""Backends: one per device type, each an array namespace (`xp`) plus a table of kernels.

Code above this layer never imports numpy or cupy for computing: it asks a backend for `xp`
and for named kernels, so the same op code runs on the CPU (numpy + Numba) and on the GPU
(CuPy). `backend_of(array)` finds the backend from the array's type in one dict lookup.
"""
from __future__ import annotations

from . import cpu
from .base import Backend

__all__ = ["Backend", "backend_of", "backend_for_device", "cpu"]

_BY_ARRAY_TYPE: dict[type, Backend] = {cpu.BACKEND.array_type: cpu.BACKEND}


def _cuda_backend() -> Backend:
    from . import cuda   # imports cupy: only when a cuda device is asked for
    backend = cuda.get_backend()
    _BY_ARRAY_TYPE[backend.array_type] = backend
    return backend


def backend_of(array) -> Backend:
    """The backend that owns `array` (numpy array → cpu, cupy array → cuda)."""
    try:
        return _BY_ARRAY_TYPE[type(array)]
    except KeyError:
        raise TypeError(f"no backend holds arrays of type {type(array).__name__}") from None


def backend_for_device(dev) -> Backend:
    """The backend for a parsed `device` (raises a clear error for cuda without a GPU)."""
    if dev.type == "cpu":
        return cpu.BACKEND
    if dev.type == "cuda":
        return _cuda_backend()
    raise RuntimeError(f"minitorch_nn has no backend for device type '{dev.type}': "
                       "use 'cpu' or 'cuda'")
