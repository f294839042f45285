"""Grad mode: a thread-local switch read once per op (is a graph recorded or not?)."""
from __future__ import annotations

import functools
import inspect

from ..tensor import _grad_state as _state, _inference   # the thread-local switches

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "is_inference_mode_enabled"]


def is_grad_enabled() -> bool:
    return _state.enabled


def is_inference_mode_enabled() -> bool:
    return _inference.on


class _GradModeContext:
    """Base of the grad-mode context managers; also usable as a decorator (like PyTorch).

    `@no_grad()` and `@no_grad` both decorate: given a function instead of no argument, the
    class returns the wrapped function (PyTorch's `_NoParamDecoratorContextManager`).
    """

    _mode = True

    def __enter__(self):
        self._prev = _state.enabled
        _state.enabled = self._mode

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def __call__(self, fn):
        if inspect.isgeneratorfunction(fn):
            return self._wrap_generator(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper

    def _wrap_generator(self, fn):
        """A generator runs each step (not just its creation) under this mode, as in PyTorch."""
        @functools.wraps(fn)
        def generator(*args, **kwargs):
            gen = fn(*args, **kwargs)
            try:
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    except BaseException as err:
                        with self.clone():
                            response = gen.throw(err)
                    else:
                        with self.clone():
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value
        return generator

    def clone(self):
        return type(self)()


class _NoParamDecorator(_GradModeContext):
    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecorator):
    """Ops inside record no graph: results have requires_grad=False and no grad_fn.

        >>> with no_grad():
        ...     y = x * 2        # y.requires_grad is False
    """

    _mode = False


class enable_grad(_NoParamDecorator):
    """Turn recording back on inside a no_grad block."""

    _mode = True


class inference_mode(_GradModeContext):
    """Like no_grad, and tensors created inside are inference tensors (`t.is_inference()`):
    outside inference mode they cannot be saved for backward, updated in place, or made to
    require grad (PyTorch's errors). `inference_mode(False)` turns it off inside."""

    def __init__(self, mode: bool = True):
        self._mode = not mode

    def __enter__(self):
        self._prev = _state.enabled
        self._prev_inference = _inference.on
        _state.enabled = self._mode
        _inference.on = not self._mode

    def __exit__(self, *exc):
        _state.enabled = self._prev
        _inference.on = self._prev_inference
        return False

    def clone(self):
        return inference_mode(not self._mode)


class set_grad_enabled(_GradModeContext):
    """`set_grad_enabled(False)` switches at once; as a context manager it restores on exit."""

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'enabled' (position 1) must be "
                            f"bool, not {type(mode).__name__}")
        self._prev = _state.enabled
        self._mode = mode
        _state.enabled = mode

    def __call__(self, fn):
        _state.enabled = self._prev   # used as a decorator: the switch applies per call only
        return super().__call__(fn)

    def __enter__(self):
        _state.enabled = self._mode

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def clone(self):
        return set_grad_enabled(self._mode)
