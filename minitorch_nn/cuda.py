"""`minitorch_nn.cuda`: is a GPU usable, how many, and CuPy memory-pool statistics."""
from __future__ import annotations

from .backends import cuda as _cuda

__all__ = ["is_available", "device_count", "synchronize", "manual_seed", "manual_seed_all",
           "current_device", "memory_allocated", "max_memory_allocated",
           "reset_peak_memory_stats", "memory_reserved", "empty_cache"]

is_available = _cuda.is_available
device_count = _cuda.device_count


def _cupy():
    return _cuda.get_backend()._cupy


def synchronize(device=None) -> None:
    _cupy().cuda.Device().synchronize()


def current_device() -> int:
    return _cupy().cuda.Device().id


def manual_seed(seed: int) -> None:
    """GPU tensors draw from the host generator, so this seeds that one."""
    from .random import manual_seed as seed_all
    seed_all(seed)


manual_seed_all = manual_seed


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
