"""A reuse cache for large numpy arrays: fresh memory costs as much as the work on it.

glibc keeps freed blocks below 32 MiB mapped for the next step (_malloc.py), but serves every
larger array with a fresh `mmap`, whose pages the kernel faults in and zeroes on first write:
for a 64 MB float32 array (2^24 values) about 6 ms, as long as computing gelu over it. A
training step makes the same large arrays every time (an activation, its gradient), so ops
that write a large result take it from here (`empty`): an array of that shape and dtype that
nothing uses any more, else a new one, which the cache keeps for next time.

"Nothing uses it" is decided by reference counting, not by a free() call numpy never makes:
the cache holds one reference to each of its arrays, and an array is free when that is the
only one left (views hold their base, so an array with a live view is never handed out
twice). The engine's `.grad` hand-over (autograd/engine.py `_sole_owner`) discounts the
cache's reference with `held`.

At most MAX_ARRAYS arrays and MAX_BYTES bytes stay cached; idle ones beyond that are dropped,
oldest first. This is the memory a caching allocator keeps (PyTorch's CUDA allocator does the
same on the GPU). Set MINITORCH_LARGE_ARRAY_CACHE=0 to turn it off (every array fresh, as
numpy makes them).
"""
from __future__ import annotations

import os
import sys
import threading

import numpy as np

__all__ = ["empty", "empty_for", "held", "clear", "MIN_BYTES", "MAX_ARRAYS", "MAX_BYTES"]

MIN_BYTES = 32 << 20       # smaller arrays stay in glibc's heap between steps (_malloc.py)
MAX_ARRAYS = 16
MAX_BYTES = 1 << 30
ENABLED = os.environ.get("MINITORCH_LARGE_ARRAY_CACHE", "1") != "0"

_arrays: list[np.ndarray] = []
_lock = threading.Lock()   # two threads must never be handed the same free array


def _refs_in_loop() -> int:
    """sys.getrefcount of an array seen as `empty` sees it: held by `_arrays` and the loop
    variable. Measured once, so the figure fits this interpreter's reference counting."""
    probe = [np.empty(0)]
    for a in probe:
        return sys.getrefcount(a)
    return 0


_FREE = _refs_in_loop()


def empty(shape: tuple, dtype) -> np.ndarray:
    """An uninitialised C-contiguous numpy array (np.empty's contract), reused when large."""
    dtype = np.dtype(dtype)
    count = 1
    for n in shape:
        count *= n
    if not ENABLED or count * dtype.itemsize < MIN_BYTES:
        return np.empty(shape, dtype)
    with _lock:
        found = _free_array(shape, dtype)
        if found is None:
            found = np.empty(shape, dtype)
            _arrays.append(found)
            _evict()
        return found


def _free_array(shape: tuple, dtype):
    """A cached array of this shape and dtype that only the cache references, or None. (A
    function of its own: its loop variable must not outlive the search, or it would hold an
    array for a while.)"""
    for a in _arrays:
        if sys.getrefcount(a) == _FREE and a.shape == shape and a.dtype == dtype:
            return a
    return None


def empty_for(xp, shape: tuple, dtype):
    """`empty` for numpy arrays; other array libraries (CuPy keeps its own memory pool) make
    their own."""
    return empty(shape, dtype) if xp is np else xp.empty(shape, dtype)


def held(array) -> bool:
    """Whether the cache holds a reference to `array` (itself, not a view of it)."""
    return any(a is array for a in _arrays)


def clear() -> None:
    """Drop every cached array (those still in use live on with their users)."""
    with _lock:
        _arrays.clear()


def _evict() -> None:
    """Keep at most MAX_ARRAYS arrays and MAX_BYTES bytes, dropping idle ones, oldest first."""
    total = sum(a.nbytes for a in _arrays)
    k = 0
    while (len(_arrays) > MAX_ARRAYS or total > MAX_BYTES) and k < len(_arrays):
        a = _arrays[k]
        if sys.getrefcount(a) == _FREE:   # the list and the name `a`, as in `empty`'s loop
            total -= a.nbytes
            del _arrays[k]
        else:
            k += 1
