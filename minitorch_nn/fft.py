"""torch.fft: discrete Fourier transforms and their helpers (fftfreq, fftshift).

Each function is an op declared with `@op(..., namespace="fft")` in minitorch_nn/ops/fft.py;
this module only gathers them, as nn/functional.py does.
"""

from .ops.registry import public_ops as _public_ops

_OPS = _public_ops("fft")
globals().update(_OPS)
__all__ = sorted(_OPS)
del _OPS
