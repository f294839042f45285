"""Helpers shared by tests/ops/test_shape.py, test_views.py and test_joining.py."""
from __future__ import annotations

import pytest

import minitorch_nn as mt
from op_harness import make_arrays, torch


def contiguous(*shapes, seed=0):
    """Random C-contiguous float64 arrays (`view` refuses most non-contiguous inputs)."""
    return make_arrays(shapes, seed=seed, noncontiguous=False)


def same_error(fn, match=None):
    """`fn(T)` raises the same error class in PyTorch and minitorch_nn.

    With `match=None` the messages must be equal (PyTorch's first line); otherwise both must
    match the regex `match`.
    """
    with pytest.raises(Exception) as ours:
        fn(mt)
    if torch is None:
        if match is not None:
            assert ours.match(match)
        return
    with pytest.raises(Exception) as theirs:
        fn(torch)
    assert ours.type is theirs.type, f"{ours.type} vs PyTorch {theirs.type}"
    if match is None:
        assert str(ours.value) == str(theirs.value).split("\n")[0]
    else:
        assert ours.match(match) and theirs.match(match)
