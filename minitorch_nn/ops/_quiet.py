"""Keeping numpy's floating-point warnings out of ops, as PyTorch prints none.

numpy warns when array code overflows or meets inf/nan ("overflow encountered in multiply",
"invalid value encountered in cast", ...); PyTorch lets inf and nan flow silently. Every
ArrayFunction's forward already runs with them off (`ArrayFunction.apply`), and so does the
backward pass (autograd/engine.py). `quiet_numpy(fn)` does the same for array code outside an
ArrayFunction (in-place fast paths, helpers that compute before `apply`): the warnings are off
for that call only, the user's own numpy settings untouched.
"""
from __future__ import annotations

import functools

from ..autograd.function import numpy_quiet, numpy_restore

__all__ = ["quiet_numpy"]


def quiet_numpy(fn):
    """`fn` with numpy's floating-point warnings off for the duration of each call."""
    @functools.wraps(fn)
    def quiet(*args, **kwargs):
        token = numpy_quiet()
        try:
            return fn(*args, **kwargs)
        finally:
            numpy_restore(token)
    return quiet
