"""torch.return_types: every named tuple, with PyTorch's field names, both constructors,
repr, and pickling."""
from __future__ import annotations

import pickle

import pytest

import minitorch_nn as mt
from minitorch_nn import return_types
from op_harness import requires_torch, torch


@pytest.mark.parametrize("name", return_types.__all__)
def test_both_constructors_and_fields(name):
    cls = getattr(return_types, name)
    values = tuple(range(len(cls._fields)))
    a, b = cls(*values), cls(values)
    assert a == b == values and type(a) is type(b) is cls
    assert repr(a).startswith(f"torch.return_types.{name}(\n{cls._fields[0]}=0,")


def test_ops_return_them_and_they_pickle():
    r = mt.max(mt.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1)
    assert type(r) is mt.return_types.max and r.indices.tolist() == [1, 0]
    back = pickle.loads(pickle.dumps(r))
    assert type(back) is mt.return_types.max and back.values.tolist() == [5.0, 7.0]


@requires_torch
@pytest.mark.parametrize("name", return_types.__all__)
def test_field_names_are_pytorchs(name):
    assert getattr(return_types, name)._fields == getattr(torch.return_types, name).__match_args__
