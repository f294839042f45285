"""`record_function(name)`: a named range of your own in the profile (PyTorch's).

    with record_function("forward"):
        out = model(x)

    @record_function("loss")
    def compute_loss(out, y): ...

The range is an event of category "user_annotation" in every profiler recording at the
time; the ops run inside it are its children, so its CPU total covers them. Outside a
profiler it does nothing (two list reads).
"""
from __future__ import annotations

import contextlib

from .recorder import RECORDING

__all__ = ["record_function"]


class record_function(contextlib.ContextDecorator):
    """Context manager and decorator that marks a range named `name`. `args` (a string) is
    accepted as in PyTorch and shown in the trace."""

    def __init__(self, name: str, args: str | None = None):
        if not isinstance(name, str):
            raise TypeError(f"record_function(): argument 'name' must be str, not "
                            f"{type(name).__name__}")
        self.name = name
        self.args = args
        self._entered: list = []   # per entry: [(recorder, event)]; a decorator re-enters

    def __enter__(self):
        meta = {"args": self.args} if self.args else None
        self._entered.append([(r, r.begin(self.name, "user_annotation", metadata=meta))
                              for r in RECORDING if r.on])
        return self

    def __exit__(self, *exc) -> bool:
        for recorder, event in self._entered.pop():
            recorder.end(event)
        return False
