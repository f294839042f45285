"""Shared by the tests/autograd files (split from tests/test_autograd.py).

Tests take `T` (minitorch_nn, and PyTorch when installed) so each assertion is also proved
against PyTorch; error messages are matched by substring.
"""
from __future__ import annotations

import pytest

import minitorch_nn as mt

try:
    import torch
except ImportError:
    torch = None

LIBS = [pytest.param(mt, id="mt"),
        pytest.param(torch, id="torch",
                     marks=pytest.mark.skipif(torch is None, reason="PyTorch not installed"))]

SECOND_TIME = "Trying to backward through the graph a second time"
LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
MODIFIED = "one of the variables needed for gradient computation has been modified by an " \
           "inplace operation"


def raises_like(fn, exc, match):
    for T in (mt, torch):
        if T is not None:
            with pytest.raises(exc, match=match or None):
                fn(T)


def custom_square(T):
    """A correct custom Function: x**2 * k, saving its input."""
    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return x * x * k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x * ctx.k, None
    return Square
