"""`minitorch_nn.cuda`: is a GPU usable, how many, its random generators (cuda_random.py),
and CuPy memory-pool statistics.

`minitorch_nn.cuda.amp` (torch.cuda.amp, deprecated aliases) is amp/cuda_amp.py, registered
in sys.modules under that name so `import minitorch_nn.cuda.amp` works on this module.
"""
from __future__ import annotations

import sys

from .amp import cuda_amp as amp
from .array_backends import cuda as _cuda
from .cuda_random import (get_rng_state, get_rng_state_all, initial_seed, manual_seed,
                          manual_seed_all, seed, seed_all, set_rng_state, set_rng_state_all)
from .device import device as _parse_device

__all__ = ["is_available", "device_count", "synchronize", "manual_seed", "manual_seed_all",
           "seed", "seed_all", "initial_seed", "get_rng_state", "get_rng_state_all",
           "set_rng_state", "set_rng_state_all",
           "current_device", "set_device", "memory_allocated", "max_memory_allocated",
           "reset_peak_memory_stats", "memory_reserved", "empty_cache", "get_device_name",
           "get_device_capability", "is_bf16_supported"]

is_available = _cuda.is_available
device_count = _cuda.device_count
sys.modules[__name__ + ".amp"] = amp


def _cupy():
    return _cuda.get_backend()._cupy


def synchronize(device=None) -> None:
    _cupy().cuda.Device().synchronize()


def current_device() -> int:
    return _cupy().cuda.Device().id


def set_device(device) -> None:
    """Make GPU `device` (an int, "cuda:1" or a device) the current one: where "cuda"
    tensors go and NCCL communicators live (torchrun scripts pass LOCAL_RANK). A negative
    index does nothing, as in PyTorch."""
    index = _index(device)
    if index >= 0:
        _cupy().cuda.Device(index).use()




def memory_allocated(device=None) -> int:
    """Bytes held by live GPU arrays (CuPy's pool `used_bytes`, in 512-byte blocks)."""
    return _cupy().get_default_memory_pool().used_bytes()


def max_memory_allocated(device=None) -> int:
    """The highest `memory_allocated()` since start or `reset_peak_memory_stats()`."""
    return _cuda.get_backend().peak_bytes


def reset_peak_memory_stats(device=None) -> None:
    """Start the peak of `max_memory_allocated()` again from the current allocation."""
    _cuda.get_backend().peak_bytes = memory_allocated()


def memory_reserved(device=None) -> int:
    """Bytes CuPy's pool holds: live arrays plus freed blocks kept for reuse."""
    return _cupy().get_default_memory_pool().total_bytes()


def empty_cache() -> None:
    if is_available():
        _cupy().get_default_memory_pool().free_all_blocks()


def _index(device=None) -> int:
    """The GPU index of `device`: None (the current GPU), an int, "cuda:1" or a device."""
    if device is None:
        return current_device()
    if isinstance(device, int):
        return device
    dev = _parse_device(device)
    if dev.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {dev}")
    return current_device() if dev.index is None else dev.index


def get_device_name(device=None) -> str:
    """The GPU's name, e.g. "NVIDIA H100 80GB HBM3"."""
    name = _cupy().cuda.runtime.getDeviceProperties(_index(device))["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def get_device_capability(device=None) -> tuple[int, int]:
    """The GPU's compute capability as (major, minor), e.g. (9, 0) for an H100."""
    digits = str(_cupy().cuda.Device(_index(device)).compute_capability)
    return int(digits[:-1]), int(digits[-1])


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Whether bfloat16 tensors work on the GPU: CuPy must hold bfloat16 arrays (v14+ with
    ml_dtypes), and without `including_emulation` the GPU must compute bfloat16 natively
    (compute capability 8.0 or newer). False without a GPU, as PyTorch."""
    if not is_available():
        return False
    import ml_dtypes
    try:
        _cupy().zeros(1, dtype=ml_dtypes.bfloat16)
    except Exception:   # CuPy before v14: no bfloat16 arrays at all
        return False
    return including_emulation or get_device_capability()[0] >= 8
