"""torch.compile and torch.compiler: accepted, and run eagerly.

There is no graph compiler here. `torch.compile(model)` checks its arguments as PyTorch does
and returns something that runs the same code, op by op, with the same results:
  * a Module comes back wrapped in `OptimizedModule`, as in PyTorch, so code that depends on the
    wrapper keeps working: its state_dict keys start with "_orig_mod." (scripts that strip
    that prefix before saving work unchanged) and `compiled._orig_mod` is the module;
  * a function comes back as a function calling it (`functools.wraps` keeps its name);
  * `torch.compile(mode=...)` with no model is a decorator.
"""
from __future__ import annotations

import functools

from .nn.modules.module import Module

__all__ = ["compile", "OptimizedModule", "disable", "is_compiling", "is_dynamo_compiling",
           "reset", "list_backends"]

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


class OptimizedModule(Module):
    """What `torch.compile(module)` returns: the module under `_orig_mod`, called as is."""

    def __init__(self, mod: Module):
        super().__init__()
        self._orig_mod = mod

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.__dict__["_modules"]["_orig_mod"], name)


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor",
            mode=None, options=None, disable: bool = False):
    """`model` (a Module or function) to run eagerly; without `model`, a decorator."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if model is None:
        return functools.partial(compile, fullgraph=fullgraph, dynamic=dynamic,
                                 backend=backend, mode=mode, options=options, disable=disable)
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    if isinstance(model, Module):
        return OptimizedModule(model)

    @functools.wraps(model)
    def compiled(*args, **kwargs):
        return model(*args, **kwargs)
    compiled._torchdynamo_orig_callable = model
    return compiled


def disable(fn=None, recursive: bool = True, *, reason=None):
    """A decorator that keeps `fn` out of compilation: here, `fn` itself."""
    if fn is None:
        return functools.partial(disable, recursive=recursive, reason=reason)
    return fn


def is_compiling() -> bool:
    """False: code never runs inside a compiler trace here."""
    return False


is_dynamo_compiling = is_compiling


def reset() -> None:
    """Clears compilation caches in PyTorch; there are none here."""


def list_backends(exclude_tags=("debug", "experimental")) -> list:
    """The backends `compile` accepts by name (each runs eagerly here)."""
    return ["cudagraphs", "inductor", "openxla", "tvm"]
