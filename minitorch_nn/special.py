"""torch.special: special functions (erf family, gamma family, Bessel i0/i1, ndtr, ...).

Each function is an op declared with `@op(..., namespace="special")` where it is written
(minitorch_nn/ops/special_functions.py and the families it reuses); this module only
gathers them, as nn/functional.py does.
"""

from .ops.registry import public_ops as _public_ops

_OPS = _public_ops("special")
globals().update(_OPS)
__all__ = sorted(_OPS)
del _OPS
