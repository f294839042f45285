"""torch.backends.mkldnn: oneDNN (MKL-DNN): not used here; CPU kernels are Numba's."""
from __future__ import annotations

__all__ = ["is_available"]


def is_available() -> bool:
    return False
