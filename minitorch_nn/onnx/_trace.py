"""Recording one forward pass: every built-in op call (`ArrayFunction.apply`) while exporting.

`ArrayFunction.apply` checks one module attribute, `autograd.function._tracer`; while an export
runs it is a `Tracer`, whose `run` clears it, runs the op as usual, restores it, keeps
(Function class, args, kwargs, result) and turns the call into ONNX nodes at once, while the
tensors still hold the values (and versions) they have at that point. Ops called inside
another op's forward are therefore not recorded: the outer call is the unit that maps to ONNX.
An op that has no mapping stops the trace at once (OnnxExporterError naming it), so nothing is
written. With constant folding on, a call whose tensor arguments are all constants (a causal
mask made inside forward, `ones(L, L).tril()`) is not turned into nodes: its result becomes a
Constant, whether or not the op has a mapping.
"""
from __future__ import annotations

import sys

from ..autograd import function as _function
from ..autograd.op_hook import OpHook
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


class Tracer(OpHook):
    """The hook object `ArrayFunction.apply` hands every top-level op call to."""

    def __init__(self, mapped, on_record, foldable=None, on_fold=None):
        self.records: list[Record] = []
        self._mapped = mapped         # Function class -> handler; others stop the trace
        self._on_record = on_record   # builds the ONNX nodes of a call right after it ran
        self._foldable = foldable     # (args, kwargs) -> True if every tensor is a constant
        self._on_fold = on_fold       # makes a folded call's results Constants (False: no)

    def run(self, cls, args, kwargs):
        op_name = _caller_name()
        handler = self._mapped.get(cls)
        fold = self._foldable is not None and self._foldable(args, kwargs)
        if handler is None and not fold:
            raise _not_supported(cls, op_name)
        out = self.call(cls, args, kwargs)
        rec = Record(cls, args, kwargs, out, op_name)
        if not (fold and self._on_fold(rec)):   # on_fold refuses results of dynamic size
            if handler is None:
                raise _not_supported(cls, op_name)
            self._on_record(rec, handler, fold)
        self.records.append(rec)
        return out

    def __enter__(self):
        if isinstance(_function._tracer, Tracer):
            raise OnnxExporterError("torch.onnx.export cannot run inside another export")
        return super().__enter__()


def _not_supported(cls, op_name) -> OnnxExporterError:
    return OnnxExporterError(
        f"Exporting the operator {op_label(cls, op_name)} to ONNX is not supported yet by "
        f"minitorch_nn.onnx.export (see docs/export.md for the ops that map).")


def _caller_name() -> str | None:
    """The name of the op function that called `apply` (`relu`, `cumsum`, ...)."""
    try:
        return sys._getframe(3).f_code.co_name
    except ValueError:   # pragma: no cover - no such frame
        return None
