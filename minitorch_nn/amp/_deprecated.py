"""The deprecated spellings `torch.cuda.amp.*` and `torch.cpu.amp.*`, with PyTorch's
FutureWarnings. `minitorch_nn.cuda.amp` and `minitorch_nn.cpu.amp` are built from here."""
from __future__ import annotations

import functools

from .._user_warning import warn_user
from .. import dtypes as _dt
from . import autocast_mode as _mode
from .grad_scaler import GradScaler as _GradScaler

__all__ = ["CudaAutocast", "CpuAutocast", "CudaGradScaler", "CpuGradScaler", "cuda_custom_fwd",
           "cuda_custom_bwd"]


def _warn(old: str, new: str) -> None:
    warn_user(f"`torch.{old}(args...)` is deprecated. Please use `torch.{new}` instead.",
              FutureWarning)


class CudaAutocast(_mode.autocast):
    """torch.cuda.amp.autocast(enabled=True, dtype=float16, cache_enabled=True)."""

    def __init__(self, enabled: bool = True, dtype: _dt.dtype = _dt.float16,
                 cache_enabled: bool = True) -> None:
        _warn("cuda.amp.autocast", "amp.autocast('cuda', args...)")
        super().__init__("cuda", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)


class CpuAutocast(_mode.autocast):
    """torch.cpu.amp.autocast(enabled=True, dtype=bfloat16, cache_enabled=True)."""

    def __init__(self, enabled: bool = True, dtype: _dt.dtype = _dt.bfloat16,
                 cache_enabled: bool = True) -> None:
        _warn("cpu.amp.autocast", "amp.autocast('cpu', args...)")
        super().__init__("cpu", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)


class CudaGradScaler(_GradScaler):
    """torch.cuda.amp.GradScaler(...): GradScaler("cuda", ...)."""

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 enabled: bool = True) -> None:
        _warn("cuda.amp.GradScaler", "amp.GradScaler('cuda', args...)")
        super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)


class CpuGradScaler(_GradScaler):
    """torch.cpu.amp.GradScaler(...): GradScaler("cpu", ...)."""

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 enabled: bool = True) -> None:
        _warn("cpu.amp.GradScaler", "amp.GradScaler('cpu', args...)")
        super().__init__("cpu", init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)


for _cls, _name in ((CudaAutocast, "autocast"), (CpuAutocast, "autocast"),
                    (CudaGradScaler, "GradScaler"), (CpuGradScaler, "GradScaler")):
    _cls.__name__ = _cls.__qualname__ = _name


def cuda_custom_fwd(fwd=None, *, cast_inputs=None):
    """torch.cuda.amp.custom_fwd: amp.custom_fwd(device_type='cuda')."""
    _warn("cuda.amp.custom_fwd", "amp.custom_fwd(args..., device_type='cuda')")
    return functools.partial(_mode.custom_fwd, device_type="cuda")(fwd=fwd,
                                                                 cast_inputs=cast_inputs)


def cuda_custom_bwd(bwd):
    """torch.cuda.amp.custom_bwd: amp.custom_bwd(device_type='cuda')."""
    _warn("cuda.amp.custom_bwd", "amp.custom_bwd(args..., device_type='cuda')")
    return functools.partial(_mode.custom_bwd, device_type="cuda")(bwd)
