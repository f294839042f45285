"""torch.linalg: matrix functions (inverse, determinants, decompositions, solves, norms).

Each function is an op declared with `@op(..., namespace="linalg")` where it is written
(minitorch_nn/ops/linalg*.py); this module only gathers them, as nn/functional.py does.
"""

from .ops._linalg_common import LinAlgError
from .ops.registry import public_ops as _public_ops

_OPS = _public_ops("linalg")
globals().update(_OPS)
__all__ = sorted([*_OPS, "LinAlgError"])
del _OPS
