"""Ops that have no meaning for complex numbers (order, rounding, clamping) refuse complex
input with PyTorch's exception class and message, instead of computing something."""
from __future__ import annotations

import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch

CALLS = {
    "clamp": lambda T, z: T.clamp(z, 0, 1),
    "clamp_min": lambda T, z: T.clamp_min(z, 0),
    "clamp_max": lambda T, z: z.clamp(max=1),
    "relu": lambda T, z: T.relu(z),
    "relu_": lambda T, z: z.clone().relu_(),
    "hardtanh": lambda T, z: T.nn.functional.hardtanh(z),
    "floor": lambda T, z: z.floor(),
    "ceil": lambda T, z: z.ceil(),
    "trunc": lambda T, z: z.trunc(),
    "round": lambda T, z: z.round(),
    "round_decimals": lambda T, z: z.round(decimals=2),
    "frac": lambda T, z: z.frac(),
    "maximum": lambda T, z: T.maximum(z, z),
    "minimum": lambda T, z: T.minimum(z, z),
    "lt": lambda T, z: z < z,
    "le": lambda T, z: z <= 1,
    "gt": lambda T, z: T.gt(z, 0),
    "ge": lambda T, z: z >= z,
    "lt_complex_number": lambda T, z: T.lt(T.ones(2), 1j),
    "abs_": lambda T, z: z.clone().abs_(),
    "remainder": lambda T, z: z % 2,
    "fmod": lambda T, z: T.fmod(z, 2),
    "floor_divide": lambda T, z: z // 2,
}
EXPECTED = {   # PyTorch 2.13's class and message (checked against it below when installed)
    "clamp": (NotImplementedError, "clamp is not supported for complex types"),
    "floor": (NotImplementedError, "floor is not supported for complex inputs"),
    "round": (NotImplementedError, "\"round_vml_cpu\" not implemented for 'ComplexFloat'"),
    "maximum": (RuntimeError, "maximum not implemented for complex tensors."),
    "lt": (NotImplementedError, "\"lt_cpu\" not implemented for 'ComplexFloat'"),
    "abs_": (RuntimeError, "In-place abs is not supported for complex tensors."),
    "floor_divide": (NotImplementedError, "\"div_floor_cpu\" not implemented for 'ComplexFloat'"),
}


def _z(T):
    return T.tensor([[1 + 2j, -3 + 0.5j], [0.25 - 1j, 2 + 2j]])


def _error(T, name):
    with pytest.raises(Exception) as info:
        CALLS[name](T, _z(T))
    return type(info.value).__name__, str(info.value)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_refused_with_pytorchs_error(name):
    cls, message = EXPECTED[name]
    assert _error(mt, name) == (cls.__name__, message)


@requires_torch
@pytest.mark.parametrize("name", sorted(CALLS))
def test_same_error_as_pytorch(name):
    assert _error(mt, name) == _error(torch, name)


def test_real_inputs_still_work():
    x = mt.tensor([-1.5, 0.5])
    assert mt.clamp(x, 0, 1).tolist() == [0.0, 0.5] and (x < 0).tolist() == [True, False]
    assert mt.maximum(x, -x).tolist() == [1.5, 0.5] and (x // 1).tolist() == [-2.0, 0.0]
