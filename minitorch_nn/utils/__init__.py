"""Utilities (`torch.utils`): `utils.data` (datasets, DataLoader) and `utils.dlpack`."""
from __future__ import annotations

from . import data, dlpack

__all__ = ["data", "dlpack"]
