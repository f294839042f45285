"""Backends: one per device type, each an array namespace (`xp`) plus a table of kernels.

Code above this layer never imports numpy or cupy for computing: it asks a backend for `xp`
and for named kernels, so the same op code runs on the CPU (numpy + Numba) and on the GPU
(CuPy). `backend_of(array)` and `xp_of(array)` find them from the array's type in one dict
lookup; `kernel_for(array, family, name)` is the one road to a kernel (base.py).
"""
from __future__ import annotations

import numpy as np

from . import cpu, cuda
from .base import _BY_ARRAY_TYPE, Backend, PARALLEL_MIN, kernel_for, route_kernels

__all__ = ["Backend", "backend_of", "backend_for_device", "xp_of", "kernel_for",
           "route_kernels", "PARALLEL_MIN", "cpu", "cuda"]


def backend_of(array) -> Backend:
    """The backend that owns `array` (numpy array → cpu, cupy array → cuda)."""
    try:
        return _BY_ARRAY_TYPE[type(array)]
    except KeyError:
        raise TypeError(f"no backend holds arrays of type {type(array).__name__}") from None


def xp_of(array):
    """The array namespace (numpy or cupy) that owns `array`; numpy for the scalars numpy
    returns from 0-d math (np.float32(...))."""
    try:
        return _BY_ARRAY_TYPE[type(array)].xp
    except KeyError:
        if isinstance(array, np.generic):
            return np
        raise TypeError(f"no backend holds arrays of type {type(array).__name__}") from None


def backend_for_device(dev) -> Backend:
    """The backend for a parsed `device` (raises a clear error for cuda without a GPU)."""
    if dev.type == "cpu":
        return cpu.BACKEND
    if dev.type == "cuda":
        return cuda.get_backend()   # CuPy is imported here, on first use
    raise RuntimeError(f"minitorch_nn has no backend for device type '{dev.type}': "
                       "use 'cpu' or 'cuda'")
