"""`OpHook`: the base of every tool that sees each built-in op call.

`ArrayFunction.apply` checks one module attribute, `autograd.function._tracer`; when it is set,
the call goes to that object's `run(cls, args, kwargs)` instead. The ONNX exporter, its
grown-size run, the profiler and `testing.compare` all use this one slot, so they must chain:
a hook remembers the one installed before it (`outer`), runs each op with that one in place
(so an outer tool still sees the op, and ops called inside the op are not seen twice), and
puts it back when it leaves. A subclass writes `run`, usually around `self.call(...)`.
"""
from __future__ import annotations

import contextlib

from . import function as _function


class OpHook:
    """Installed with `with hook:`; `run(cls, args, kwargs)` sees each top-level op call."""

    outer = None   # the hook that was installed before this one (or None)

    def run(self, cls, args, kwargs):
        return self.call(cls, args, kwargs)

    def call(self, cls, args, kwargs):
        """Run the op as usual, with the outer hook (if any) in place."""
        with self.paused():
            return cls.apply(*args, **kwargs)

    @contextlib.contextmanager
    def paused(self):
        """Op calls inside the block go to the outer hook, not to this one."""
        _function._tracer = self.outer
        try:
            yield
        finally:
            _function._tracer = self

    def __enter__(self):
        self.outer = _function._tracer
        _function._tracer = self
        return self

    def __exit__(self, *exc):
        _function._tracer = self.outer
        return False
