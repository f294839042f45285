"""`minitorch_nn.utils.dlpack`, where PyTorch keeps `to_dlpack` / `from_dlpack`."""
from __future__ import annotations

from ..dlpack import from_dlpack, to_dlpack

__all__ = ["from_dlpack", "to_dlpack"]
