"""`minitorch_nn.cpu` (torch.cpu): the CPU device module; `cpu.amp` holds the deprecated
`torch.cpu.amp.autocast` / `GradScaler` spellings."""
from __future__ import annotations

from . import amp

__all__ = ["amp", "is_available", "device_count", "current_device", "synchronize"]


def is_available() -> bool:
    """The CPU is always available."""
    return True


def device_count() -> int:
    return 1


def current_device() -> str:
    return "cpu"


def synchronize(device=None) -> None:
    """Nothing to wait for: CPU ops finish before they return."""
