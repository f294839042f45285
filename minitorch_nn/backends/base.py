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
        self._kernel_package = kernel_package
        self._kernels: dict[str, object] = {}

    def kernel(self, name: str):
        """The kernel `name`, e.g. 'relu_backward', from `kernels/<device>/<module>.py`."""
        fn = self._kernels.get(name)
        if fn is None:
            module = importlib.import_module(self._kernel_package)
            fn = getattr(module, name)
            self._kernels[name] = fn
        return fn

    def device_of(self, array):
        raise NotImplementedError

    def from_host(self, array, device):
        raise NotImplementedError

    def to_host(self, array):
        raise NotImplementedError
