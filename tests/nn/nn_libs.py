"""Shared by the tests/nn files: run each test on minitorch_nn and (when installed) on torch.

A test parametrized with `@libs` receives `T` (the library module): the same assertions then
prove what PyTorch does and that minitorch_nn does the same.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn

try:
    import torch
except ImportError:   # the torch half of each test is skipped
    torch = None

__all__ = ["LIBS", "libs", "torch", "is_torch", "values", "copy_params"]

LIBS = [pytest.param(minitorch_nn, id="minitorch_nn"),
        pytest.param(torch, id="torch",
                     marks=pytest.mark.skipif(torch is None, reason="PyTorch not installed"))]

libs = pytest.mark.parametrize("T", LIBS)


def is_torch(T) -> bool:
    return T is not minitorch_nn


def values(t) -> np.ndarray:
    """A tensor of either library as a float64 numpy array."""
    return np.asarray(t.detach().cpu().double().numpy())


def copy_params(src, dst) -> None:
    """Copy every parameter/buffer value of module `src` into `dst` (either library)."""
    T = torch if torch is not None and isinstance(dst, torch.nn.Module) else minitorch_nn
    with T.no_grad():
        for (name, a), (_, b) in zip(src.state_dict().items(), dst.state_dict().items()):
            b.copy_(T.tensor(values(a), dtype=b.dtype))
