"""Tiny array helpers used by autograd nodes that do not belong to one op family."""
from __future__ import annotations

from .array_backends import backend_of

__all__ = ["zeros_like_array"]


def zeros_like_array(like, shape, dtype):
    """Zeros of `shape`/`dtype` on the same backend as the array `like`."""
    return backend_of(like).xp.zeros(shape, dtype)
