"""Process-wide settings PyTorch scripts set at the top: threads, matmul precision,
deterministic algorithms (torch.set_num_threads, torch.set_float32_matmul_precision, ...).

What each one does here:
  * `set_num_threads(n)`: the threads our parallel Numba kernels use (capped at Numba's pool
    size, NUMBA_NUM_THREADS); `get_num_threads()` returns what was asked, as PyTorch does.
    BLAS (NumPy's matmul) keeps its own pool, sized by OPENBLAS_NUM_THREADS/OMP_NUM_THREADS.
  * `set_num_interop_threads(n)`: recorded; nothing here runs ops on an inter-op pool.
  * `set_float32_matmul_precision`: recorded and tied to `torch.backends.cuda.matmul.
    allow_tf32` as in PyTorch ("highest" <-> False); our matmuls always compute in float32.
  * `use_deterministic_algorithms`: recorded; every CPU kernel here is deterministic.
"""
from __future__ import annotations

import os

from ._user_warning import warn_user
__all__ = ["set_num_threads", "get_num_threads", "set_num_interop_threads",
           "get_num_interop_threads", "set_float32_matmul_precision",
           "get_float32_matmul_precision", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled"]

_STATE = {"threads": None, "interop_threads": None, "matmul_precision": "highest",
          "deterministic": False, "deterministic_warn_only": False}
_PRECISIONS = ("highest", "high", "medium")


def _positive_int(fn: str, n) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"{fn} expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"{fn} expects a positive integer")
    return n


def set_num_threads(n: int) -> None:
    """The number of threads the parallel CPU kernels use."""
    _STATE["threads"] = _positive_int("set_num_threads", n)
    import numba                      # imported on use: not needed to import the package
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))


def get_num_threads() -> int:
    """What `set_num_threads` was given, else the CPU count (Numba's pool size)."""
    if _STATE["threads"] is not None:
        return _STATE["threads"]
    import numba
    return numba.get_num_threads()


def set_num_interop_threads(n: int) -> None:
    """Recorded only (see the module docstring); PyTorch's error for a second call kept."""
    n = _positive_int("set_num_interop_threads", n)
    if _STATE["interop_threads"] is not None:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work "
                           "has started or set_num_interop_threads called")
    _STATE["interop_threads"] = n


def get_num_interop_threads() -> int:
    return _STATE["interop_threads"] or (os.cpu_count() or 1)


def set_float32_matmul_precision(precision: str) -> None:
    """"highest", "high" or "medium"; another value warns and changes nothing (PyTorch)."""
    if precision not in _PRECISIONS:
        warn_user(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                  "setFloat32MatmulPrecision call has no effect.", UserWarning)
        return
    _STATE["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _STATE["matmul_precision"]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    if not isinstance(mode, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must "
                        f"be bool, not {type(mode).__name__}")
    _STATE["deterministic"] = mode
    _STATE["deterministic_warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _STATE["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _STATE["deterministic_warn_only"]
