"""torch.backends.mkl: Intel MKL: NumPy's BLAS here is whatever NumPy was built with (often OpenBLAS)."""
from __future__ import annotations

__all__ = ["is_available"]


def is_available() -> bool:
    return False
