"""Legacy tensor types and autograd.Variable behave as PyTorch's."""
from __future__ import annotations

import pytest

import minitorch_nn as mt
from op_harness import torch

LIBS = [mt] + ([torch] if torch is not None else [])


@pytest.mark.parametrize("T", LIBS, ids=lambda T: T.__name__)
def test_legacy_constructors_and_isinstance(T):
    t = T.FloatTensor(2, 3)
    assert t.shape == (2, 3) and t.dtype == T.float32
    assert isinstance(t, T.FloatTensor) and not isinstance(t, T.LongTensor)
    d = T.LongTensor([1, 2])
    assert d.dtype == T.int64 and d.tolist() == [1, 2]
    assert T.DoubleTensor([1.5]).dtype == T.float64
    assert isinstance(T.ones(2, dtype=T.bool), T.BoolTensor)
    assert T.ByteTensor(3).dtype == T.uint8


@pytest.mark.parametrize("T", LIBS, ids=lambda T: T.__name__)
def test_variable_returns_the_tensor(T):
    x = T.ones(2)
    v = T.autograd.Variable(x, requires_grad=True)
    assert v.requires_grad and isinstance(v, T.Tensor)
    assert isinstance(x, T.autograd.Variable)
