"""numpy's own OpenBLAS, opened with ctypes: where it is, and stopping its worker threads.

numpy's wheels ship OpenBLAS (numpy.libs/libscipy_openblas64_*.so). After each multithreaded
product its worker threads keep spinning, waiting for the next one, for about 2^28 cycles
(a tenth of a second); a Numba parallel kernel started meanwhile waits for workers that share
the cores with them. On 2 cores that made parallel kernels slower than serial ones
(array_backends/base.py, `_parallel_is_safe`), so they were off by default.

OpenBLAS exports `blas_thread_shutdown_` (meant for fork handlers): it wakes its workers,
lets them exit and joins them; the next product starts them again (exec_blas re-initialises
the pool when it finds it down). Stopping them before a parallel kernel on a large array keeps
the two pools from running at once: measured on an Intel Xeon (2 cores, 2026-12-07), gelu
forward and backward on 2^24 floats took 21 ms with the parallel kernels against 42 ms
serially, while a stop and restart costs ~90 us (a 512x512 product: 1.02 ms, then 1.12 ms with
a stop after each). Only done while this process runs one Python thread: another one could be
inside a BLAS call (numpy releases the GIL), and its workers must not be stopped under it.
"""
from __future__ import annotations

import ctypes
import glob
import os
import threading

import numpy as np

__all__ = ["numpy_openblas", "can_stop_threads", "stop_threads", "stopping_threads_first"]

_OPENED: list = []


def numpy_openblas():
    """The OpenBLAS of numpy's wheel as a ctypes.CDLL (the copy numpy loaded), or None where
    numpy uses another BLAS or ships none of its own."""
    if not _OPENED:
        libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
        found = None
        for path in sorted(glob.glob(os.path.join(libs, "*openblas*.so*"))):
            try:
                found = ctypes.CDLL(path)
                break
            except OSError:
                continue
        _OPENED.append(found)
    return _OPENED[0]


def _shutdown():
    lib = numpy_openblas()
    return None if lib is None else getattr(lib, "blas_thread_shutdown_", None)


def can_stop_threads() -> bool:
    return _shutdown() is not None


def stop_threads() -> bool:
    """Stop OpenBLAS's worker threads if no other Python thread could be using them; whether
    they were stopped."""
    shutdown = _shutdown()
    if shutdown is None or threading.active_count() != 1:
        return False
    shutdown()
    return True


def stopping_threads_first(kernel):
    """`kernel` (a Numba parallel kernel), calling stop_threads() before each run."""
    def run(*args, **kwargs):
        stop_threads()
        return kernel(*args, **kwargs)
    run.kernel = kernel
    run.__name__ = getattr(kernel, "__name__", "kernel")
    return run
