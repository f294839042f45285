"""torch.jit: TorchScript's entry points, accepted and run eagerly.

`script` and `trace` return what runs the same Python code (a Module stays the same module,
so parameters, state_dict and training keep working); the decorators (`ignore`, `unused`,
`export`, `script_if_tracing`) return their function; `is_scripting()`/`is_tracing()` are
False, so code guarded by them takes its eager branch, as it does under PyTorch outside
TorchScript. Nothing here writes or reads TorchScript archives: `save`/`load` raise.
"""
from __future__ import annotations

import contextlib
from typing import Final  # noqa: F401  (torch.jit.Final is typing.Final)

__all__ = ["script", "trace", "trace_module", "ignore", "unused", "export", "annotate",
           "is_scripting", "is_tracing", "script_if_tracing", "interface", "Final",
           "optimized_execution", "fork", "wait", "save", "load", "freeze",
           "optimize_for_inference"]


def script(obj, optimize=None, _frames_up: int = 0, _rcb=None, example_inputs=None):
    """`obj` itself (a Module, function or class): it runs eagerly."""
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace: bool = True,
          check_inputs=None, check_tolerance: float = 1e-05, strict: bool = True,
          example_kwarg_inputs=None, **kwargs):
    """`func` itself; like PyTorch's tracer it runs `func` once on `example_inputs`, so an
    error in the traced code shows up here, at trace time."""
    if example_inputs is not None or example_kwarg_inputs is not None:
        args = example_inputs if isinstance(example_inputs, tuple) else \
            (() if example_inputs is None else (example_inputs,))
        func(*args, **(example_kwarg_inputs or {}))
    return func


def trace_module(mod, inputs, **kwargs):
    """`mod`, after running each named method once on its example inputs."""
    for method, args in inputs.items():
        getattr(mod, method)(*(args if isinstance(args, tuple) else (args,)))
    return mod


def ignore(drop=False, **kwargs):
    """Decorator (with or without arguments): the function, unchanged."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    return fn


def export(fn):
    return fn


def interface(obj):
    return obj


def script_if_tracing(fn):
    return fn


def annotate(the_type, the_value):
    """The value: a type annotation for the TorchScript compiler only."""
    return the_value


def is_scripting() -> bool:
    return False


def is_tracing() -> bool:
    return False


@contextlib.contextmanager
def optimized_execution(should_optimize: bool):
    yield


class _Future:
    """What `fork` returns: the value, already computed (no asynchronous interpreter)."""

    def __init__(self, value):
        self._value = value

    def wait(self):
        return self._value


def fork(func, *args, **kwargs) -> _Future:
    return _Future(func(*args, **kwargs))


def wait(future: _Future):
    return future.wait()


def freeze(mod, preserved_attrs=None, optimize_numerics: bool = True):
    return mod


def optimize_for_inference(mod, other_methods=None):
    return mod


def save(m, f, _extra_files=None) -> None:
    raise RuntimeError("torch.jit.save writes TorchScript archives, which minitorch_nn cannot "
                       "produce: save the state_dict with torch.save instead")


def load(f, map_location=None, _extra_files=None):
    raise RuntimeError("torch.jit.load reads TorchScript archives, which minitorch_nn cannot "
                       "run: load a state_dict saved with torch.save instead")
