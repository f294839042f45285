"""Recording one forward pass: every built-in op call (`ArrayFunction.apply`) while exporting.

`ArrayFunction.apply` checks one module attribute, `autograd.function._tracer`; while an export
runs it is a `Tracer`, whose `run` clears it, runs the op as usual, restores it, keeps
(Function class, args, kwargs, result) and turns the call into ONNX nodes at once, while the
tensors still hold the values (and versions) they have at that point. Ops called inside
another op's forward are therefore not recorded: the outer call is the unit that maps to ONNX.
An op that has no mapping stops the trace at once (OnnxExporterError naming it), so nothing is
written.
"""
from __future__ import annotations

import sys

from ..autograd import function as _function
from ._base import OnnxExporterError


class Record:
    """One op call: its Function class, positional and keyword arguments and its result."""

    __slots__ = ("cls", "args", "kwargs", "out", "op_name")

    def __init__(self, cls, args, kwargs, out, op_name):
        self.cls, self.args, self.kwargs, self.out, self.op_name = cls, args, kwargs, out, op_name


def op_label(cls, op_name: str | None) -> str:
    """`'cumsum' (Function Cumsum in minitorch_nn.ops.scan)`: how errors name an op."""
    where = f"Function {cls.__name__} in {cls.__module__}"
    return f"'{op_name}' ({where})" if op_name else where


class Tracer:
    """The hook object `ArrayFunction.apply` hands every top-level op call to."""

    def __init__(self, mapped, on_record):
        self.records: list[Record] = []
        self._mapped = mapped         # Function class -> handler; others stop the trace
        self._on_record = on_record   # builds the ONNX nodes of a call right after it ran

    def run(self, cls, args, kwargs):
        op_name = _caller_name()
        if cls not in self._mapped:
            raise OnnxExporterError(
                f"Exporting the operator {op_label(cls, op_name)} to ONNX is not supported "
                f"yet by minitorch_nn.onnx.export (see docs/export.md for the ops that map).")
        _function._tracer = None
        try:
            out = cls.apply(*args, **kwargs)
        finally:
            _function._tracer = self
        rec = Record(cls, args, kwargs, out, op_name)
        self._on_record(rec, self._mapped[cls])
        self.records.append(rec)
        return out

    def __enter__(self):
        if _function._tracer is not None:
            raise OnnxExporterError("torch.onnx.export cannot run inside another export")
        _function._tracer = self
        return self

    def __exit__(self, *exc):
        _function._tracer = None
        return False


def _caller_name() -> str | None:
    """The name of the op function that called `apply` (`relu`, `cumsum`, ...)."""
    try:
        return sys._getframe(3).f_code.co_name
    except ValueError:   # pragma: no cover - no such frame
        return None
