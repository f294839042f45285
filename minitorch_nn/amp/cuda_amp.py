"""`minitorch_nn.cuda.amp` (torch.cuda.amp): deprecated aliases of minitorch_nn.amp for CUDA.

minitorch_nn.cuda is a single module, so it imports this one as its `amp` attribute and
registers it as sys.modules["minitorch_nn.cuda.amp"].
"""
from __future__ import annotations

from ..array_backends import cuda as _cuda
from ._deprecated import CudaAutocast as autocast
from ._deprecated import CudaGradScaler as GradScaler
from ._deprecated import cuda_custom_bwd as custom_bwd
from ._deprecated import cuda_custom_fwd as custom_fwd

__all__ = ["amp_definitely_not_available", "autocast", "custom_bwd", "custom_fwd",
           "GradScaler"]


def amp_definitely_not_available() -> bool:
    """True when CUDA autocast cannot run here (no usable GPU)."""
    return not _cuda.is_available()
