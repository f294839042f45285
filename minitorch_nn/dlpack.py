"""DLPack: zero-copy exchange of tensors with numpy, CuPy, PyTorch and other libraries.

`minitorch_nn.from_dlpack(obj)` accepts anything with `__dlpack__` (a numpy or CuPy array, a
PyTorch tensor, ...) or a legacy DLPack capsule, and returns a Tensor over the same memory.
Our tensors export themselves with `__dlpack__` / `__dlpack_device__`, delegating to the
backend array. As in PyTorch, a tensor that requires grad refuses to be exported.
"""
from __future__ import annotations

import numpy as np

from .ops.registry import method_of, op
from .tensor import Tensor, _wrap

_CPU, _CUDA = 1, 2   # DLDeviceType codes


class _Capsule:
    """Gives a bare (legacy) DLPack capsule the protocol methods numpy expects."""

    def __init__(self, capsule, device):
        self._capsule, self._device = capsule, device

    def __dlpack__(self, stream=None, **kwargs):
        return self._capsule

    def __dlpack_device__(self):
        return self._device


@op("from_dlpack")
def from_dlpack(ext_tensor) -> Tensor:
    """A Tensor sharing memory with `ext_tensor` (CPU memory → numpy, CUDA memory → CuPy)."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if not hasattr(ext_tensor, "__dlpack__"):
        if type(ext_tensor).__name__ == "PyCapsule":
            ext_tensor = _Capsule(ext_tensor, (_CPU, 0))
        else:
            raise TypeError(f"from_dlpack(): expected an object with __dlpack__ or a DLPack "
                            f"capsule, got {type(ext_tensor).__name__}")
    device_type, _ = ext_tensor.__dlpack_device__()
    if int(device_type) == _CPU:
        return _wrap(np.from_dlpack(ext_tensor))
    if int(device_type) == _CUDA:
        from .array_backends import cuda
        return _wrap(cuda.get_backend()._cupy.from_dlpack(ext_tensor))
    raise RuntimeError(f"from_dlpack(): unsupported device type {device_type} (expected CPU or "
                       "CUDA memory)")


def _check_exportable(t: Tensor) -> None:
    if t.requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    if t._data.dtype.name == "bfloat16":
        raise BufferError("DLPack export of bfloat16 tensors is not supported by numpy: cast "
                          "with .float() first")


@op("to_dlpack")
def to_dlpack(tensor: Tensor):
    """The legacy capsule form (`torch.utils.dlpack.to_dlpack`)."""
    _check_exportable(tensor)
    return tensor._data.__dlpack__()


# The protocol methods: what np.from_dlpack, torch.from_dlpack, ... call on our tensors.
@method_of("to_dlpack", "__dlpack__")
def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
    """Export this tensor's memory as a DLPack capsule (used by np.from_dlpack, ...)."""
    _check_exportable(self)
    kwargs = {"stream": stream}
    if max_version is not None:
        kwargs["max_version"] = max_version
    if dl_device is not None:
        kwargs["dl_device"] = dl_device
    if copy is not None:
        kwargs["copy"] = copy
    return self._data.__dlpack__(**kwargs)


@method_of("to_dlpack", "__dlpack_device__")
def __dlpack_device__(self):
    return self._data.__dlpack_device__()
