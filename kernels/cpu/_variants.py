"""Serial twins of parallel kernels: small arrays run without starting threads.

A Numba parallel region costs a few microseconds to start and waits for every worker thread,
which on a busy machine can take far longer than the work itself. So each parallel kernel of
the nn families also exists as `<name>_serial`, compiled from the same Python function
(a `prange` loop runs as a plain loop without parallel=True); callers pick the serial one
below a size threshold (PARALLEL_MIN in minitorch_nn/array_backends/base.py: kernel_for).

The twin is a copy of the function under another qualified name, so that Numba's on-disk
cache (keyed by module and qualified name) keeps the two compilations apart.
"""
from __future__ import annotations

import types

from numba import njit

__all__ = ["parallel_kernel"]


def parallel_kernel(module_globals: dict, **options):
    """Decorator: compile `fn` with parallel=True and add `<name>_serial` to the module.

    `options` go to both `njit` calls (e.g. fastmath flags).
    """

    def decorate(fn):
        twin = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_serial",
                                  fn.__defaults__, fn.__closure__)
        twin.__qualname__ = fn.__qualname__ + "_serial"
        twin.__doc__ = fn.__doc__
        module_globals[twin.__name__] = njit(cache=True, **options)(twin)
        return njit(cache=True, parallel=True, **options)(fn)

    return decorate
