"""Shared by tests/ops/test_indexing.py, test_scatter_gather.py and test_masked.py."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import torch


X = (3, 4, 2)
MASK = np.random.default_rng(3).uniform(size=X) > 0.5
ROW_MASK = np.array([True, False, True])


def same_error(fn, match=None):
    """`fn(T)` raises the same error class in both libraries; equal messages unless `match`."""
    with pytest.raises(Exception) as ours:
        fn(mt)
    if torch is None:
        return
    with pytest.raises(Exception) as theirs:
        fn(torch)
    assert ours.type is theirs.type, f"{ours.type} vs PyTorch {theirs.type}"
    if match is None:
        assert str(ours.value) == str(theirs.value).split("\n")[0]
    else:
        assert ours.match(match) and theirs.match(match)


def long(T, values):
    return T.tensor(values, dtype=T.int64)
