"""torch.backends.openmp: OpenMP: Numba's parallel kernels use its own threading layer (which may be OpenMP)."""
from __future__ import annotations

__all__ = ["is_available"]


def is_available() -> bool:
    return False
