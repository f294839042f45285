"""`cupy.cuda` of the fake: one device, a memory pool that counts honestly, allocators.

The pool keeps CuPy's accounting: every allocation is rounded up to 512 bytes; a freed
block goes back to the pool (still counted by `total_bytes()`, no longer by `used_bytes()`)
until `free_all_blocks()`; a later allocation of the same rounded size reuses it. Blocks are
freed when the last fake array over them is garbage collected (a weakref finalizer), as
CuPy frees device memory when the last `ndarray` referencing it dies.

Allocations go through the current allocator (`set_allocator` / `get_allocator`), a
function `size -> MemoryPointer`, as in CuPy; the default is the default pool's `malloc`.
"""
from __future__ import annotations

import types
import weakref

__all__ = ["Device", "Memory", "MemoryPointer", "MemoryPool", "OutOfMemoryError", "Stream",
           "alloc", "get_allocator", "set_allocator", "get_current_stream", "is_available",
           "runtime", "memory", "get_device_id", "PinnedMemoryPool"]

DEVICE_COUNT = 1
_ALIGN = 512   # CuPy's allocation unit


class CUDARuntimeError(RuntimeError):
    """cupy_backends.cuda.api.runtime.CUDARuntimeError."""


class OutOfMemoryError(MemoryError):
    """cupy.cuda.memory.OutOfMemoryError."""


# ------------------------------------------------------------------ runtime and devices
_current = [0]


def _check_device(index: int) -> None:
    if not 0 <= index < DEVICE_COUNT:
        raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")


def _get_device_count() -> int:
    return DEVICE_COUNT


def _get_device() -> int:
    return _current[0]


def _set_device(device: int) -> None:
    _check_device(device)
    _current[0] = device


def _device_synchronize() -> None:
    """Nothing runs asynchronously here."""


def _mem_get_info() -> tuple[int, int]:
    total = 80 * 1024 ** 3
    return total - get_default_memory_pool().total_bytes(), total


def _get_device_properties(device: int) -> dict:
    _check_device(device)
    return {"name": b"Fake GPU (tests/fake_cupy, numpy)", "major": 9, "minor": 0,
            "totalGlobalMem": 80 * 1024 ** 3}


runtime = types.SimpleNamespace(
    getDeviceCount=_get_device_count, getDevice=_get_device, setDevice=_set_device,
    getDeviceProperties=_get_device_properties,
    deviceSynchronize=_device_synchronize, memGetInfo=_mem_get_info,
    CUDARuntimeError=CUDARuntimeError, is_hip=False,
    runtimeGetVersion=lambda: 13000, driverGetVersion=lambda: 13000)


class Device:
    """`cupy.cuda.Device(i)`: `.id`, a context manager that makes it current, `synchronize`."""

    def __init__(self, device=None):
        self.id = _current[0] if device is None else int(getattr(device, "id", device))
        self._previous: list[int] = []

    def use(self) -> None:
        _set_device(self.id)

    def __enter__(self):
        _check_device(self.id)
        self._previous.append(_current[0])
        _current[0] = self.id
        return self

    def __exit__(self, *exc):
        _current[0] = self._previous.pop()

    def synchronize(self) -> None:
        _check_device(self.id)

    @property
    def compute_capability(self) -> str:
        return "90"

    def __eq__(self, other) -> bool:
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<CUDA Device {self.id}>"


def get_device_id() -> int:
    return _current[0]


def is_available() -> bool:
    return DEVICE_COUNT > 0


class Stream:
    """The null stream only: everything is synchronous."""

    def __init__(self):
        self.ptr = 0   # the handle (cudaStream_t) NCCL calls take: the null stream's

    def synchronize(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


Stream.null = Stream()


def get_current_stream() -> Stream:
    return Stream.null


# ------------------------------------------------------------------ memory
class Memory:
    """One device allocation of `size` bytes (rounded); `root` is the numpy buffer behind it."""

    __slots__ = ("size", "device_id", "root", "__weakref__")

    def __init__(self, size: int):
        self.size = size
        self.device_id = _current[0]
        self.root = None   # set by the array that takes this memory

    @property
    def ptr(self) -> int:
        if self.root is None:
            return 0
        return self.root.__array_interface__["data"][0]


class MemoryPointer:
    """A pointer into a Memory: `.mem`, `.ptr`, `.device_id` (as in CuPy)."""

    __slots__ = ("mem", "offset")

    def __init__(self, mem: Memory, offset: int):
        self.mem, self.offset = mem, offset

    @property
    def ptr(self) -> int:
        return self.mem.ptr + self.offset

    @property
    def device_id(self) -> int:
        return self.mem.device_id

    def __int__(self) -> int:
        return self.ptr


class MemoryPool:
    """CuPy's MemoryPool accounting (see the module docstring)."""

    def __init__(self):
        self._used = 0
        self._free: dict[int, int] = {}   # rounded size -> cached blocks
        self._limit = 0

    def malloc(self, size: int) -> MemoryPointer:
        size = int(size)
        if size == 0:
            return MemoryPointer(Memory(0), 0)
        rounded = -(-size // _ALIGN) * _ALIGN
        cached = self._free.get(rounded, 0)
        if self._limit and not cached and self.total_bytes() + rounded > self._limit:
            raise OutOfMemoryError(f"Out of memory allocating {rounded:,} bytes (allocated "
                                   f"so far: {self.total_bytes():,} bytes, limit set to: "
                                   f"{self._limit:,} bytes).")
        if cached:
            self._free[rounded] = cached - 1
        self._used += rounded
        mem = Memory(rounded)
        weakref.finalize(mem, self._release, rounded)
        return MemoryPointer(mem, 0)

    def _release(self, rounded: int) -> None:
        self._used -= rounded
        self._free[rounded] = self._free.get(rounded, 0) + 1

    def used_bytes(self) -> int:
        return self._used

    def free_bytes(self) -> int:
        return sum(size * n for size, n in self._free.items())

    def total_bytes(self) -> int:
        return self._used + self.free_bytes()

    def n_free_blocks(self) -> int:
        return sum(self._free.values())

    def free_all_blocks(self, stream=None) -> None:
        self._free.clear()

    def set_limit(self, size=None, fraction=None) -> None:
        self._limit = int(size or 0)

    def get_limit(self) -> int:
        return self._limit


class PinnedMemoryPool:
    def free_all_blocks(self) -> None:
        pass

    def n_free_blocks(self) -> int:
        return 0


_DEFAULT_POOL = MemoryPool()
_PINNED_POOL = PinnedMemoryPool()


def get_default_memory_pool() -> MemoryPool:
    return _DEFAULT_POOL


def get_default_pinned_memory_pool() -> PinnedMemoryPool:
    return _PINNED_POOL


def _malloc_unpooled(size: int) -> MemoryPointer:
    """`set_allocator(None)`: plain cudaMalloc, outside any pool (nothing counted)."""
    return MemoryPointer(Memory(int(size)), 0)


_allocator = [_DEFAULT_POOL.malloc]


def set_allocator(allocator=None) -> None:
    """Allocate through `allocator(size) -> MemoryPointer` (None: no pool)."""
    _allocator[0] = _malloc_unpooled if allocator is None else allocator


def get_allocator():
    return _allocator[0]


def alloc(size: int) -> MemoryPointer:
    """Allocate `size` bytes on the current device through the current allocator."""
    return _allocator[0](size)


memory = types.SimpleNamespace(
    alloc=alloc, set_allocator=set_allocator, get_allocator=get_allocator, Memory=Memory,
    MemoryPointer=MemoryPointer, MemoryPool=MemoryPool, OutOfMemoryError=OutOfMemoryError)
