"""`minitorch_nn.cpu.amp` (torch.cpu.amp): deprecated aliases of minitorch_nn.amp for the CPU."""
from __future__ import annotations

from ..amp._deprecated import CpuAutocast as autocast
from ..amp._deprecated import CpuGradScaler as GradScaler

__all__ = ["autocast", "GradScaler"]
