"""The CPU backend: numpy arrays, BLAS through numpy, Numba kernels from kernels/cpu."""
from __future__ import annotations

import numpy as np

from ..device import CPU
from . import _malloc
from .base import Backend, register

__all__ = ["BACKEND"]


class CPUBackend(Backend):
    name = "cpu"
    array_type = np.ndarray

    def device_of(self, array):
        return CPU

    def from_host(self, array, device):
        return array

    def to_host(self, array):
        return array


BACKEND = register(CPUBackend(np, "minitorch_nn.kernels.cpu"))
MALLOC_TUNED = _malloc.tune()   # heap reuse for MiB-sized arrays (see _malloc.py)
