"""The Backend contract: what every device's backend provides to the layers above."""
from __future__ import annotations

import importlib

__all__ = ["Backend"]


class Backend:
    """An array namespace, named kernels, allocation and transfers for one device type.

    `kernel(name)` imports the kernel module lazily (Numba and CuPy compile on first use, so
    `import minitorch_nn` stays fast) and caches the function.
    """

    name = "base"
    array_type: type = object

    def __init__(self, xp, kernel_package: str):
        self.xp = xp
        self.kernel_package = kernel_package
        self._kernels: dict[str, object] = {}

    def kernel(self, family: str, name: str):
        """Kernel `name` of `kernels/<device>/<family>.py`, e.g. ('activation', 'relu_bwd')."""
        key = (family, name)
        fn = self._kernels.get(key)
        if fn is None:
            module = importlib.import_module(f"{self.kernel_package}.{family}")
            fn = getattr(module, name)
            self._kernels[key] = fn
        return fn

    # Numba kernels take float32/float64; float16 and bfloat16 go through numpy instead.
    KERNEL_DTYPES = ("float32", "float64")

    def has_kernel_dtype(self, array) -> bool:
        return array.dtype.name in self.KERNEL_DTYPES

    def device_of(self, array):
        raise NotImplementedError

    def from_host(self, array, device):
        raise NotImplementedError

    def to_host(self, array):
        raise NotImplementedError

    def dtype_error(self, dtype, err: Exception) -> Exception:
        """The error to raise when the array library refused `dtype` (`err` by default)."""
        return err
