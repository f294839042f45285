"""Helpers around Modules (`torch.nn.utils`): hook handles for now."""
from __future__ import annotations

from . import hooks

__all__ = ["hooks"]
