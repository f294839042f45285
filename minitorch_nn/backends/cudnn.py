"""torch.backends.cudnn: cuDNN's switches. There is no cuDNN here (GPU convolutions are our
own CUDA kernels), so `is_available()` is False and the flags are recorded only; they read and
write as PyTorch's do, and `flags(...)` sets them for a `with` block."""
from __future__ import annotations

import contextlib

__all__ = ["enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32",
           "is_available", "version", "flags"]

enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    return False


def version():
    """cuDNN's version number, None when it is not available (as PyTorch reports)."""
    return None


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True, fp32_precision="none", depthwise_kernel="auto"):
    """Set the flags for the block and restore the previous values after it."""
    module = globals()
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    saved = {name: module[name] for name in names}
    module.update(enabled=enabled, benchmark=benchmark, benchmark_limit=benchmark_limit,
                  deterministic=deterministic, allow_tf32=allow_tf32)
    try:
        yield
    finally:
        module.update(saved)
