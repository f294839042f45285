"""Utilities (`torch.utils`): `utils.data` (datasets, DataLoader), `utils.dlpack`,
`utils.checkpoint` (recompute in backward). `utils.tensorboard` is imported on use (it needs
the optional `tensorboard` package)."""
from __future__ import annotations

from . import checkpoint, data, dlpack

__all__ = ["checkpoint", "data", "dlpack"]
