"""Tensor printing: repr(t) must be character for character what PyTorch prints.

Two kinds of checks: literal expected strings (copied from PyTorch 2.13, so they run without
PyTorch), and a long table of tensors built the same way in both libraries whose reprs are
compared directly (skipped without PyTorch). Print options are restored after each test.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import minitorch_nn as mt

try:
    import torch
except ImportError:
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


@pytest.fixture(autouse=True)
def _default_print_options():
    yield
    mt.set_printoptions(profile="default")
    if torch is not None:
        torch.set_printoptions(profile="default")


# ------------------------------------------------------------------ literal expectations
LITERAL = [
    (lambda T: T.tensor([1.0, 2.0]), "tensor([1., 2.])"),
    (lambda T: T.tensor([1, 2]), "tensor([1, 2])"),
    (lambda T: T.tensor(3.5), "tensor(3.5000)"),
    (lambda T: T.tensor([True, False]), "tensor([ True, False])"),
    (lambda T: T.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda T: T.tensor([-1.5, 2.25, -3.0]), "tensor([-1.5000,  2.2500, -3.0000])"),
    (lambda T: T.tensor([float("nan"), 1.0, float("inf"), -float("inf")]),
     "tensor([nan, 1., inf, -inf])"),
    (lambda T: T.tensor([1 + 2j, -3.5 - 0.25j]), "tensor([ 1.0000+2.0000j, -3.5000-0.2500j])"),
    (lambda T: T.tensor([1.0, 2.0], dtype=T.float64), "tensor([1., 2.], dtype=torch.float64)"),
    (lambda T: T.tensor([1.0, 2.0], dtype=T.float16), "tensor([1., 2.], dtype=torch.float16)"),
    (lambda T: T.tensor([1.0, 2.0], dtype=T.bfloat16),
     "tensor([1., 2.], dtype=torch.bfloat16)"),
    (lambda T: T.tensor([1, 2], dtype=T.int32), "tensor([1, 2], dtype=torch.int32)"),
    (lambda T: T.zeros(0), "tensor([])"),
    (lambda T: T.zeros(2, 0, dtype=T.int64), "tensor([], size=(2, 0), dtype=torch.int64)"),
    (lambda T: T.tensor([1.0, 2.0], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
    (lambda T: T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True) * 2,
     "tensor([[2., 4.],\n        [6., 8.]], grad_fn=<MulBackward0>)"),
    (lambda T: T.arange(2000.0),
     "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
     "        1.9990e+03])"),
    (lambda T: T.linspace(0, 1, 30),
     "tensor([0.0000, 0.0345, 0.0690, 0.1034, 0.1379, 0.1724, 0.2069, 0.2414, 0.2759,\n"
     "        0.3103, 0.3448, 0.3793, 0.4138, 0.4483, 0.4828, 0.5172, 0.5517, 0.5862,\n"
     "        0.6207, 0.6552, 0.6897, 0.7241, 0.7586, 0.7931, 0.8276, 0.8621, 0.8966,\n"
     "        0.9310, 0.9655, 1.0000])"),
    (lambda T: T.eye(2), "tensor([[1., 0.],\n        [0., 1.]])"),
]


@pytest.mark.parametrize("make, expected", LITERAL, ids=[e for _, e in LITERAL])
def test_repr_literal(make, expected):
    assert repr(make(mt)) == expected
    assert str(make(mt)) == expected


# ------------------------------------------------------------------ differential table
def _np(T, array):
    return T.from_numpy(np.ascontiguousarray(array))


RNG = np.random.RandomState(0)
NORMAL = RNG.randn(5, 7).astype(np.float32)
WIDE = RNG.randn(4, 30).astype(np.float32)
INTS = RNG.randint(-1000, 1000, (30, 30))
HALVES = RNG.randn(3000).astype(np.float16)

CASES = {
    # dtypes and 0-d
    "float": lambda T: T.tensor([1.0, 2.5]),
    "int": lambda T: T.tensor([1, -20, 300]),
    "bool": lambda T: T.tensor([True] * 50),
    "complex": lambda T: T.tensor([1.5 + 2j, -1 - 0.5j]),
    "complex128": lambda T: T.tensor([1 + 2j], dtype=T.complex128),
    "complex_nan": lambda T: T.tensor([1 + 1j, 2.5 - 3j, float("nan") + 0j]),
    "complex_neg_zero": lambda T: T.tensor([complex(1, float("nan")), -0.0j, 1 - 0j, -1e-5j]),
    "complex_sci": lambda T: T.tensor([1e-5 + 1j, 2.5 - 3j]),
    "scalar_float": lambda T: T.tensor(3.5),
    "scalar_int": lambda T: T.tensor(3),
    "scalar_bool": lambda T: T.tensor(True),
    "scalar_complex": lambda T: T.tensor(-1 - 2j),
    "scalar_tiny": lambda T: T.tensor(1e-10),
    "scalar_huge": lambda T: T.tensor(1e20),
    "scalar_neg": lambda T: T.tensor(-0.5),
    "scalar_big_int": lambda T: T.tensor(2 ** 40),
    # empty shapes
    "empty": lambda T: T.zeros(0),
    "empty_2d": lambda T: T.zeros(2, 0),
    "empty_3d_f64": lambda T: T.zeros(0, 3, dtype=T.float64),
    "empty_int32": lambda T: T.zeros(0, dtype=T.int32),
    "empty_int64": lambda T: T.zeros(0, dtype=T.int64),
    "empty_bool": lambda T: T.zeros(0, dtype=T.bool),
    "empty_complex": lambda T: T.zeros(2, 0, dtype=T.complex64),
    "empty_grad": lambda T: T.zeros(2, 0, requires_grad=True),
    # dtype suffixes
    "f16": lambda T: T.tensor([1.1, 2.2], dtype=T.float16),
    "bf16": lambda T: T.tensor([1.1, 2.2], dtype=T.bfloat16),
    "bf16_sci": lambda T: T.tensor([1e-5, 1.0], dtype=T.bfloat16),
    "f64": lambda T: T.tensor([1.0, 2.0], dtype=T.float64),
    "f64_huge": lambda T: T.tensor([1e100, 1.0], dtype=T.float64),
    "uint8": lambda T: T.tensor([1, 2], dtype=T.uint8),
    "int8": lambda T: T.tensor([1, 2], dtype=T.int8),
    "int16_2d": lambda T: _np(T, INTS[:3].astype(np.int16)),
    # autograd suffixes
    "requires_grad": lambda T: T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True),
    "requires_grad_0d": lambda T: T.tensor(2.0, requires_grad=True),
    "grad_fn": lambda T: T.tensor([1.0, 2.0], requires_grad=True) * 2,
    "grad_fn_f64": lambda T: T.tensor([1.0, 2.0], requires_grad=True, dtype=T.float64) * 2,
    "suffix_wraps": lambda T: T.ones(23, requires_grad=True, dtype=T.float64) * 2,
    "suffix_wraps_2d": lambda T: T.ones(3, 24, requires_grad=True, dtype=T.float64),
    "long_grad": lambda T: T.ones(30, requires_grad=True),
    # summarised (more than 1000 elements)
    "summary_float": lambda T: T.arange(2000.0),
    "summary_int": lambda T: T.arange(2000),
    "summary_1001": lambda T: T.ones(1001),
    "summary_bool": lambda T: T.zeros(1001, dtype=T.bool),
    "summary_complex": lambda T: T.ones(1001, dtype=T.complex64),
    "summary_2d": lambda T: _np(T, np.arange(1200.0).reshape(40, 30).astype(np.float32)),
    "summary_2d_int": lambda T: _np(T, np.arange(1200).reshape(40, 30)),
    "summary_3d": lambda T: _np(T, np.arange(2400).reshape(40, 3, 20) / 7),
    "summary_f16": lambda T: _np(T, HALVES),
    "summary_c128": lambda T: _np(T, np.random.RandomState(1).randn(3000).astype(np.complex128)),
    "summary_rows": lambda T: _np(T, np.linspace(-3, 3, 2000).reshape(1000, 2)),
    "exactly_1000": lambda T: T.ones(1000),
    # notation choice
    "sci_small": lambda T: T.tensor([1e-5, 1.0]),
    "sci_large": lambda T: T.tensor([1e10, 1.0]),
    "sci_range": lambda T: T.tensor([0.1, 1001.0]),
    "fixed_range": lambda T: T.tensor([0.1, 1000.0]),
    "sci_1e-4_edge": lambda T: T.tensor([1e-4, 1.0]),
    "sci_mixed": lambda T: T.tensor([123456789.0, 1.0]),
    "int_mode_large": lambda T: T.tensor([100000.0, 2.0]),
    "int_mode_1e8": lambda T: T.tensor([1e8, 1.0]),
    "int_mode_1e9": lambda T: T.tensor([1e9, 1.0]),
    "fixed_large": lambda T: T.tensor([123456.7, 2.0]),
    "fixed_large_neg": lambda T: T.tensor([-123456.7, 2.0]),
    "negatives": lambda T: T.tensor([-1.5, 2.25, -3.0]),
    "neg_zero": lambda T: T.tensor([-0.0, 0.0]),
    "zeros": lambda T: T.tensor([0.0, 0.0]),
    "pi": lambda T: T.tensor([math.pi]),
    "symmetric_tiny": lambda T: T.tensor([-1e-5, 1e-5]),
    "randn": lambda T: _np(T, NORMAL),
    "randn_big": lambda T: _np(T, NORMAL * 1e4),
    "randn_small": lambda T: _np(T, NORMAL * 1e-4),
    "mixed_magnitudes": lambda T: T.tensor([[0.1234567, 12345.678], [1.0, 2.0]]),
    "linspace_sym": lambda T: T.linspace(-100, 100, 25),
    # nan and inf
    "nan_inf": lambda T: T.tensor([float("nan"), 1.0, float("inf"), -float("inf")]),
    "nan_frac": lambda T: T.tensor([float("nan"), 1.5]),
    "only_nan": lambda T: T.tensor([float("nan")]),
    "only_inf": lambda T: T.tensor([float("inf")]),
    "inf_tiny": lambda T: T.tensor([float("inf"), 1e-8]),
    # layouts
    "2d": lambda T: T.tensor([[1.0, 2.0], [3.0, 4.0]]),
    "3d": lambda T: T.tensor([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]),
    "4d": lambda T: T.tensor([[[[1.0, 2.0]]], [[[3.0, 4.0]]]]),
    "singleton_dims": lambda T: T.ones(2, 1, 3),
    "3d_frac": lambda T: _np(T, np.arange(24).reshape(2, 3, 4) / 7),
    "3d_neg": lambda T: _np(T, np.arange(24.0).reshape(2, 3, 4) - 12),
    "complex_3d": lambda T: _np(T, np.random.RandomState(0).randn(3, 2, 2).astype(np.complex64)),
    "bool_2d": lambda T: _np(T, np.random.RandomState(0).rand(3, 30) > 0.5),
    # long rows wrap at 80 columns
    "wrap_1d": lambda T: T.linspace(0, 1, 30),
    "wrap_2d": lambda T: _np(T, WIDE),
    "wrap_int": lambda T: _np(T, INTS),
    "wrap_tall": lambda T: T.ones(300, 4),
    "wrap_wide": lambda T: T.ones(4, 300),
    "wrap_3d": lambda T: T.ones(3, 3, 200),
    "wrap_grad": lambda T: _np(T, (np.arange(30.0) * 1.1).reshape(3, 10)).requires_grad_(),
    "arange100": lambda T: T.arange(100),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_repr_matches_pytorch(name):
    make = CASES[name]
    assert repr(make(mt)) == repr(make(torch))


OPTIONS = [dict(precision=2), dict(precision=0), dict(precision=6), dict(sci_mode=True),
           dict(sci_mode=False), dict(sci_mode=True, precision=1), dict(linewidth=40),
           dict(linewidth=20), dict(threshold=5), dict(edgeitems=1, threshold=10),
           dict(edgeitems=0, threshold=3), dict(profile="short"), dict(profile="full")]
OPTION_CASES = ["negatives", "sci_small", "summary_float", "float", "wrap_2d", "fixed_large",
                "int", "complex_sci", "complex_nan", "2d", "empty", "3d_frac", "scalar_float",
                "summary_2d"]


@requires_torch
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_print_options_match_pytorch(options):
    for name in OPTION_CASES:
        mt.set_printoptions(**options)
        torch.set_printoptions(**options)
        ours, theirs = repr(CASES[name](mt)), repr(CASES[name](torch))
        mt.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
        assert ours == theirs, f"{name} with {options}"


def test_set_printoptions_precision_literal():
    mt.set_printoptions(precision=2)
    assert repr(mt.tensor([1.23456, 2.5, -3.0])) == "tensor([ 1.23,  2.50, -3.00])"
    mt.set_printoptions(profile="default")
    assert repr(mt.tensor([1.23456])) == "tensor([1.2346])"


def test_set_printoptions_threshold_and_profiles():
    mt.set_printoptions(threshold=5)
    assert repr(mt.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    mt.set_printoptions(profile="full")
    assert "..." not in repr(mt.arange(2000))
    mt.set_printoptions(profile="short")
    assert mt.get_printoptions()["precision"] == 2 and mt.get_printoptions()["edgeitems"] == 2


def test_sci_mode_is_reset_by_every_call():
    mt.set_printoptions(sci_mode=True)
    assert repr(mt.tensor([1.0, 2.0])) == "tensor([1.0000e+00, 2.0000e+00])"
    mt.set_printoptions(precision=4)            # sci_mode not given: back to automatic
    assert repr(mt.tensor([1.0, 2.0])) == "tensor([1., 2.])"


def test_printoptions_context_manager_restores():
    with mt.printoptions(precision=1):
        assert repr(mt.tensor([1.25])) == "tensor([1.2])"
    assert repr(mt.tensor([1.25])) == "tensor([1.2500])"


def test_default_dtype_changes_the_suffix():
    mt.set_default_dtype(mt.float64)
    try:
        assert repr(mt.tensor([1.0], dtype=mt.float64)) == "tensor([1.])"
        assert repr(mt.tensor([1.0], dtype=mt.float32)) == "tensor([1.], dtype=torch.float32)"
        assert repr(mt.tensor([1j])) == "tensor([0.+1.j])"
        assert repr(mt.zeros(0, dtype=mt.float64)) == "tensor([])"
    finally:
        mt.set_default_dtype(mt.float32)


def test_custom_autograd_function_node_in_repr():
    class Double(mt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    y = Double.apply(mt.ones(2, requires_grad=True))
    assert repr(y) == "tensor([2., 2.], grad_fn=<DoubleBackward>)"


def test_subclass_prefix():
    class MyTensor(mt.Tensor):
        pass

    t = mt.ones(2)
    t.__class__ = MyTensor
    assert repr(t) == "MyTensor([1., 1.])"
