"""The table of ONNX handlers: which function turns a recorded call of which Function
class into ONNX nodes, and what every handler module shares (`handles`, `unsupported`,
operand helpers). The handler modules (_symbolic.py, _symbolic_sequence.py,
_symbolic_attention.py) register with `handles` when imported; the exporter imports them, then
reads `mapping()`.
"""
from __future__ import annotations

import importlib

from ..tensor import Tensor
from ._base import OnnxExporterError
from ._trace import op_label

_HANDLERS: dict[tuple[str, str], object] = {}


def handles(module: str, *names: str):
    """Register `fn` for the Function classes `names` of `minitorch_nn.ops.<module>`."""
    def deco(fn):
        for n in names:
            _HANDLERS[(module, n)] = fn
        return fn
    return deco


def mapping() -> dict:
    """Function class -> handler, for every registered class that exists."""
    table = {}
    for (module, name), fn in _HANDLERS.items():
        cls = getattr(importlib.import_module(f"minitorch_nn.{module}"), name, None)
        if cls is not None:
            table[cls] = fn
    return table


def unsupported(rec, why: str):
    raise OnnxExporterError(f"Exporting the operator {op_label(rec.cls, rec.op_name)} to ONNX "
                            f"is not supported {why}")


def _dt(x):
    return x._data.dtype


def _in(g, a, dtype):
    """Operand `a` (a tensor or a Python number) as a value of numpy dtype `dtype`."""
    if isinstance(a, Tensor):
        return g.cast(g.value(a), _dt(a), dtype)
    return g.scalar(a, dtype)
