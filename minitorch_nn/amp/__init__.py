"""`minitorch_nn.amp` (torch.amp): automatic mixed precision.

- `autocast(device_type, dtype=None, enabled=True, cache_enabled=None)`: regions where listed
  ops run in float16/bfloat16 or float32 by PyTorch's per-device op lists (autocast_mode.py,
  op_lists.py).
- `GradScaler(device="cuda", ...)`: loss scaling for float16 training (grad_scaler.py).
- `custom_fwd` / `custom_bwd`: autocast-aware custom autograd Functions.

See docs/amp.md.
"""
from __future__ import annotations

from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["autocast", "custom_bwd", "custom_fwd", "is_autocast_available", "GradScaler"]
