"""device: where a tensor lives, parsed from 'cpu', 'cuda', 'cuda:1' or (type, index).

Like Chainer's device spec parser: one small immutable class, accepted wherever PyTorch
accepts a device, with PyTorch's repr (`device(type='cuda', index=0)`).
"""
from __future__ import annotations

import builtins as _builtins
import re

__all__ = ["device", "set_default_device", "get_default_device"]

builtins_type = _builtins.type   # the class below has a parameter named `type`

_KNOWN_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                "privateuseone")
_SPEC = re.compile(r"([a-zA-Z_]+)(?::([1-9]\d*|0))?")   # PyTorch's grammar: type[:index]


def _parse(spec: str) -> tuple:
    """'cuda:1' -> ('cuda', 1), 'cpu' -> ('cpu', None), with PyTorch's errors."""
    if not spec:
        raise RuntimeError("Device string must not be empty")
    match = _SPEC.fullmatch(spec)
    if match is None:
        raise RuntimeError(f"Invalid device string: '{spec}'")
    name, index = match.group(1), match.group(2)
    if name not in _KNOWN_TYPES:
        raise RuntimeError(f"Expected one of {', '.join(_KNOWN_TYPES)} device type at start of "
                           f"device string: {spec}")
    return name, None if index is None else int(index)


def _check_index(index) -> None:
    if not isinstance(index, int) or isinstance(index, bool):
        raise TypeError(f"device(): argument 'index' (position 2) must be int, not "
                        f"{type(index).__name__}")
    if index < 0:
        raise RuntimeError("Device index must not be negative")


class device:
    """A device: `type` ('cpu' or 'cuda') and `index` (None means 'the current one').

        >>> device("cuda:1")
        device(type='cuda', index=1)
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index: int | None = None):
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): argument 'type' (position 1) must be str, not "
                                "torch.device")
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool) and index is None:
            type, index = _accelerator(), type   # device(0) is the accelerator's device 0
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({builtins_type(type).__name__}), but expected one of: "
                            "(torch.device device), (str type, int index = -1)")
        name, parsed = _parse(type)
        if parsed is not None and index is not None:
            raise RuntimeError(f"type (string) must not include an index because index was "
                               f"passed explicitly: {type}")
        if index is not None:
            _check_index(index)
        self.type, self.index = name, parsed if index is None else index

    def __eq__(self, other) -> bool:
        if not isinstance(other, device):
            return NotImplemented   # like PyTorch: device('cpu') == 'cpu' is False
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


# Where factories (zeros, randn, tensor, ...) put a tensor when no `device=` is given:
# `set_default_device` changes it for the whole process, as torch.set_default_device does.
_DEFAULT = {"device": CPU}


def set_default_device(device) -> None:
    """Make `device` the default of every factory's `device=` (None: back to cpu)."""
    _DEFAULT["device"] = CPU if device is None else to_device(device)


def get_default_device() -> device:
    """The device factories use when given none (`cuda` reads as `cuda:<current>`)."""
    dev = _DEFAULT["device"]
    if dev.type == "cuda" and dev.index is None:
        return device("cuda", cupy_module().cuda.Device().id)   # CuPy's current device
    return dev


def to_device(spec) -> device:
    """Parse anything PyTorch accepts as a device (None means the default device, cpu
    unless `set_default_device` changed it)."""
    if spec is None:
        return _DEFAULT["device"]
    if type(spec) is device:
        return spec
    return device(spec)


def _accelerator() -> str:
    """The type an integer device means: 'cuda' when a GPU is usable (PyTorch's rule)."""
    if cuda_device_count() == 0:
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return "cuda"


# ---------------------------------------------------------------------- the GPU probe
# Here rather than in array_backends/cuda.py, which builds devices: `device(0)` must know whether
# a GPU exists, and array_backends.cuda asks the same question through these two functions.
def cupy_module():
    """The cupy module, or None without CuPy. Imported on first call, not with the
    package: importing CuPy takes about a second and needs no GPU work until one is used."""
    try:
        import cupy
    except ImportError:
        return None
    return cupy


def cuda_device_count() -> int:
    """How many GPUs CuPy sees: 0 without CuPy, a driver or a GPU."""
    cupy = cupy_module()
    if cupy is None:
        return 0
    try:
        return cupy.cuda.runtime.getDeviceCount()
    except Exception:   # CuPy installed but no driver / no GPU
        return 0
