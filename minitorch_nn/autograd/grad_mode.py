"""Grad mode: a thread-local switch read once per op (is a graph recorded or not?)."""
from __future__ import annotations

import functools
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode"]


class _State(threading.local):
    enabled = True


_state = _State()


def is_grad_enabled() -> bool:
    return _state.enabled


class _GradModeContext:
    """Base of the grad-mode context managers; also usable as a decorator (like PyTorch)."""

    _mode = True

    def __enter__(self):
        self._prev = _state.enabled
        _state.enabled = self._mode

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return type(self)()


class no_grad(_GradModeContext):
    """Ops inside record no graph: results have requires_grad=False and no grad_fn."""

    _mode = False


class enable_grad(_GradModeContext):
    """Turn recording back on inside a no_grad block."""

    _mode = True


class inference_mode(_GradModeContext):
    """Like no_grad (minitorch_nn has no separate inference tensors)."""

    def __init__(self, mode: bool = True):
        self._mode = not mode

    def clone(self):
        return inference_mode(not self._mode)


class set_grad_enabled(_GradModeContext):
    """`set_grad_enabled(False)` switches at once; as a context manager it restores on exit."""

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): mode must be a bool, got {type(mode).__name__}")
        self._prev = _state.enabled
        self._mode = mode
        _state.enabled = mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def clone(self):
        return set_grad_enabled(self._mode)
