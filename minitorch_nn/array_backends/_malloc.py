"""Keep freed activation-sized buffers in the process heap instead of unmapping them (glibc).

Why: glibc's malloc serves every block above its mmap threshold (128 KiB at start, raised
after each free to the freed size, so a block of the same size is still at or above it) with
a fresh `mmap`, and gives it back with `munmap` on free. A training step allocates and frees
the same few MiB-sized arrays every time (activations, im2col columns, gradients), so each of
their pages is faulted in and zeroed by the kernel again on every step. In the W2 CNN step
(docs/benchmarks.md) that was about half of the step: 12 ms against 7 ms with the thresholds
below. PyTorch's users get the same effect by preloading jemalloc or tcmalloc.

What: `tune()` sets M_MMAP_THRESHOLD to 32 MiB (glibc's own upper bound for its dynamic
threshold on 64-bit) and M_TRIM_THRESHOLD to 64 MiB, so blocks below 32 MiB come from the
heap and up to 64 MiB of free memory at its top stays mapped for the next step. Larger arrays
are mapped and unmapped as before. The change is process-wide; it is skipped when the C
library is not glibc, or when the user configured glibc's malloc through its own environment
(any MALLOC_* tunable or GLIBC_TUNABLES): to keep glibc's defaults, set for instance
MALLOC_MMAP_THRESHOLD_=131072. Results never depend on it, only the time spent in page faults.
"""
from __future__ import annotations

import os

__all__ = ["tune", "MMAP_THRESHOLD", "TRIM_THRESHOLD"]

MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 64 << 20
_M_TRIM_THRESHOLD = -1   # mallopt parameter numbers from glibc's malloc.h
_M_MMAP_THRESHOLD = -3

_ENV_KEYS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
             "GLIBC_TUNABLES")


def _is_glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (AttributeError, ValueError, OSError):
        return False


def tune() -> bool:
    """Set the two thresholds where that is safe and wanted; True when they were set."""
    if any(key in os.environ for key in _ENV_KEYS) or not _is_glibc():
        return False
    import ctypes   # only here: most of the cost of this module is this import
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) \
        and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
