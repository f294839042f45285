"""The CUDA backend: CuPy arrays, cuBLAS through CuPy, CUDA C kernels from kernels/cuda.

Imported only when a cuda device is used. Without CuPy or without a GPU, `get_backend()`
raises a RuntimeError that says so, and the rest of the package keeps working on the CPU.
"""
from __future__ import annotations

from ..device import cuda_device_count as device_count, cupy_module as _cupy, device
from .base import Backend, register

__all__ = ["get_backend", "is_available", "device_count"]

_BACKEND = None


class CudaUnavailableError(RuntimeError, AssertionError):
    """No usable GPU. A RuntimeError, and an AssertionError as PyTorch's CPU builds raise."""


def is_available() -> bool:
    return device_count() > 0


class CudaBackend(Backend):
    name = "cuda"

    def __init__(self, cupy):
        super().__init__(cupy, "minitorch_nn.kernels.cuda")
        self.array_type = cupy.ndarray
        self._cupy = cupy
        self.peak_bytes = 0
        self._track_peak()

    def _track_peak(self) -> None:
        """Allocate through a wrapper of CuPy's current allocator that records the pool's
        highest `used_bytes()` (PyTorch's max_memory_allocated). Used bytes only grow at an
        allocation, so checking right after each one sees the true peak."""
        pool = self._cupy.get_default_memory_pool()
        allocate = self._cupy.cuda.get_allocator()
        self.peak_bytes = pool.used_bytes()

        def tracking_malloc(size):
            memory = allocate(size)
            used = pool.used_bytes()
            if used > self.peak_bytes:
                self.peak_bytes = used
            return memory

        self._cupy.cuda.set_allocator(tracking_malloc)

    def device_of(self, array):
        return device("cuda", array.device.id)

    def from_host(self, array, dev):
        """A device copy of host `array` on `dev` (None or no index: the current device)."""
        try:
            if dev is None or dev.index is None:
                return self._cupy.asarray(array)
            with self._cupy.cuda.Device(dev.index):
                return self._cupy.asarray(array)
        except ValueError as err:
            raise self.dtype_error(array.dtype, err) from err

    def dtype_error(self, dtype, err: Exception) -> Exception:
        """The error to raise when CuPy refused `dtype` (`err`): bfloat16 needs CuPy 14."""
        if getattr(dtype, "name", str(dtype)) == "bfloat16":
            return TypeError(f"bfloat16 tensors on the GPU need CuPy >= 14 with ml_dtypes "
                             f"installed (CuPy {getattr(self._cupy, '__version__', '?')} "
                             f"said: {err}); use float16 or float32 on this GPU setup")
        return err

    def to_host(self, array):
        return self._cupy.asnumpy(array)


def get_backend() -> CudaBackend:
    global _BACKEND
    if _BACKEND is None:
        if not is_available():
            raise CudaUnavailableError(
                "CUDA is not available: no NVIDIA GPU was found or CuPy is not installed "
                "(pip install 'minitorch_nn[cuda]'). Keep the tensor on the cpu.")
        _BACKEND = register(CudaBackend(_cupy()))
    return _BACKEND
