"""torch.backends.cuda: cuBLAS matmul flags and the scaled-dot-product-attention switches.

`matmul.allow_tf32` is the legacy spelling of `torch.set_float32_matmul_precision`: True
means "high", False "highest" (settings.py holds the value). Our GPU matmuls go through CuPy
in float32 either way. The SDPA switches are recorded: F.scaled_dot_product_attention here
has one implementation (the math one), whichever are enabled.
"""
from __future__ import annotations

import contextlib

from .. import settings as _settings

__all__ = ["matmul", "is_built", "flash_sdp_enabled", "enable_flash_sdp", "math_sdp_enabled",
           "enable_math_sdp", "mem_efficient_sdp_enabled", "enable_mem_efficient_sdp",
           "cudnn_sdp_enabled", "enable_cudnn_sdp", "sdp_kernel"]


class _Matmul:
    """`torch.backends.cuda.matmul`: attribute-style flags."""

    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True

    @property
    def allow_tf32(self) -> bool:
        return _settings.get_float32_matmul_precision() != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value: bool) -> None:
        _settings.set_float32_matmul_precision("high" if value else "highest")


matmul = _Matmul()


def is_built() -> bool:
    """Whether this build can use CUDA at all: True when CuPy is installed (cuda extra)."""
    from ..device import cupy_module
    return cupy_module() is not None


_SDP = {"flash": True, "math": True, "mem_efficient": True, "cudnn": True}


def flash_sdp_enabled() -> bool:
    return _SDP["flash"]


def enable_flash_sdp(enabled: bool) -> None:
    _SDP["flash"] = bool(enabled)


def math_sdp_enabled() -> bool:
    return _SDP["math"]


def enable_math_sdp(enabled: bool) -> None:
    _SDP["math"] = bool(enabled)


def mem_efficient_sdp_enabled() -> bool:
    return _SDP["mem_efficient"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    _SDP["mem_efficient"] = bool(enabled)


def cudnn_sdp_enabled() -> bool:
    return _SDP["cudnn"]


def enable_cudnn_sdp(enabled: bool) -> None:
    _SDP["cudnn"] = bool(enabled)


@contextlib.contextmanager
def sdp_kernel(enable_flash: bool = True, enable_math: bool = True,
               enable_mem_efficient: bool = True, enable_cudnn: bool = True):
    """The switches set for a `with` block, restored after (PyTorch's deprecated form)."""
    saved = dict(_SDP)
    _SDP.update(flash=enable_flash, math=enable_math, mem_efficient=enable_mem_efficient,
                cudnn=enable_cudnn)
    try:
        yield
    finally:
        _SDP.update(saved)
