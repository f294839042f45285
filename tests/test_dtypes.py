"""dtypes: the dtype objects, PyTorch's promotion table, result_type and the default dtype.

The promotion tests enumerate every pair of dtypes (and tensor / 0-d tensor / Python scalar
combinations) and compare with torch.promote_types / torch.result_type when PyTorch is
installed, plus a hand-written table of the rules that matter most (runs without PyTorch).
"""
from __future__ import annotations

import copy
import itertools
import pickle

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minitorch_nn as mt

try:
    import torch
except ImportError:
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
LIBS = [pytest.param(mt, id="mt"),
        pytest.param(torch, id="torch",
                     marks=pytest.mark.skipif(torch is None, reason="PyTorch not installed"))]

NAMES = ["float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
         "bool", "complex64", "complex128"]
SCALARS = [True, 2, 2.5, 1 + 1j]


def raises_like(fn, exc, match):
    for T in (mt, torch):
        if T is not None:
            with pytest.raises(exc, match=match or None):
                fn(T)


# ------------------------------------------------------------------ dtype objects
@pytest.mark.parametrize("T", LIBS)
@pytest.mark.parametrize("name", NAMES)
def test_dtype_attributes(T, name):
    d = getattr(T, name)
    assert repr(d) == str(d) == f"torch.{name}"
    itemsize = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8, "int8": 1, "int16": 2,
                "int32": 4, "int64": 8, "uint8": 1, "bool": 1, "complex64": 8,
                "complex128": 16}[name]
    assert d.itemsize == itemsize
    assert d.is_floating_point == name.startswith(("float", "bfloat"))
    assert d.is_complex == name.startswith("complex")
    assert d.is_signed == (name not in ("uint8", "bool"))
    assert T.ones(2, dtype=d).dtype is d
    assert pickle.loads(pickle.dumps(d)) is d and copy.deepcopy(d) is d


@pytest.mark.parametrize("T", LIBS)
def test_aliases(T):
    assert T.float is T.float32 and T.double is T.float64 and T.half is T.float16
    assert T.long is T.int64 and T.int is T.int32 and T.short is T.int16
    assert T.cfloat is T.complex64 and T.cdouble is T.complex128
    assert T.float32 == T.float and T.float32 != T.float64 and hash(T.float) == hash(T.float32)
    assert isinstance(T.float32, T.dtype)


@pytest.mark.parametrize("T", LIBS)
def test_to_real_and_to_complex(T):
    assert T.complex64.to_real() is T.float32 and T.complex128.to_real() is T.float64
    assert T.float32.to_real() is T.float32
    assert T.float64.to_complex() is T.complex128 and T.float32.to_complex() is T.complex64


def test_dtypes_are_not_ordered():
    with pytest.raises(TypeError):
        mt.float32 < mt.float64


# ------------------------------------------------------------------ promote_types
PROMOTION_RULES = [   # (a, b, result): PyTorch's table, not numpy's
    ("int64", "float16", "float16"),
    ("bfloat16", "float16", "float32"),
    ("uint8", "int8", "int16"),
    ("bool", "uint8", "uint8"),
    ("int32", "float32", "float32"),
    ("float64", "complex64", "complex128"),
    ("int64", "complex64", "complex64"),
    ("float16", "float32", "float32"),
    ("bool", "bool", "bool"),
    ("int16", "int32", "int32"),
]


@pytest.mark.parametrize("a, b, result", PROMOTION_RULES)
def test_promote_types_rules(a, b, result):
    assert mt.promote_types(getattr(mt, a), getattr(mt, b)) is getattr(mt, result)
    assert mt.promote_types(getattr(mt, b), getattr(mt, a)) is getattr(mt, result)


@requires_torch
def test_promote_types_all_pairs_match_pytorch():
    for a, b in itertools.product(NAMES, NAMES):
        ours = mt.promote_types(getattr(mt, a), getattr(mt, b))
        assert str(ours) == str(torch.promote_types(getattr(torch, a), getattr(torch, b))), (a, b)


def test_promote_types_argument_errors():
    raises_like(lambda T: T.promote_types(T.float32, "float64"), TypeError,
                r"promote_types\(\): argument 'type2' \(position 2\) must be torch.dtype, "
                "not str")
    raises_like(lambda T: T.promote_types(1, T.float32), TypeError,
                "argument 'type1' \\(position 1\\) must be torch.dtype, not int")


# ------------------------------------------------------------------ result_type
def _make(T, name, shape):
    return T.ones(shape, dtype=getattr(T, name))


@requires_torch
@pytest.mark.parametrize("name", NAMES)
def test_result_type_tensor_and_scalar_match_pytorch(name):
    for scalar, shape in itertools.product(SCALARS, [(2,), ()]):
        if name == "float16" and isinstance(scalar, complex):
            continue   # PyTorch gives complex32, a dtype minitorch_nn does not have
        ours = mt.result_type(_make(mt, name, shape), scalar)
        theirs = torch.result_type(_make(torch, name, shape), scalar)
        assert str(ours) == str(theirs), (name, shape, scalar)


@requires_torch
@pytest.mark.parametrize("name", NAMES)
def test_result_type_two_tensors_match_pytorch(name):
    for other, (s1, s2) in itertools.product(NAMES, [((2,), ()), ((), (2,)), ((), ()),
                                                     ((2,), (2,))]):
        if {name, other} in ({"float16", "complex64"}, {"float16", "complex128"}):
            if (s1 == () and s2 == (2,) and other == "float16") or \
                    (s2 == () and s1 == (2,) and name == "float16"):
                continue   # complex32 in PyTorch
        ours = mt.result_type(_make(mt, name, s1), _make(mt, other, s2))
        theirs = torch.result_type(_make(torch, name, s1), _make(torch, other, s2))
        assert str(ours) == str(theirs), (name, other, s1, s2)


@pytest.mark.parametrize("T", LIBS)
def test_result_type_rules(T):
    assert T.result_type(T.tensor([1, 2]), 2.5) is T.float32         # int tensor * float
    assert T.result_type(T.tensor([1.0]), T.tensor(2.0, dtype=T.float64)) is T.float32
    assert T.result_type(T.tensor([1], dtype=T.int32), T.tensor(2.0, dtype=T.float64)) \
        is T.float64                                                  # higher kind wins
    assert T.result_type(T.tensor([1], dtype=T.uint8), 1000) is T.uint8
    assert T.result_type(T.tensor([True]), 2) is T.int64
    assert T.result_type(T.tensor([1.0], dtype=T.float16), 1e10) is T.float16
    assert T.result_type(1, 2.0) is T.float32 and T.result_type(1, 2) is T.int64


@pytest.mark.parametrize("T", LIBS)
def test_arithmetic_follows_promotion(T):
    assert (T.tensor([1, 2]) * 1.5).dtype is T.float32
    assert (T.tensor([1, 2]) / 2).dtype is T.float32           # int / int is true division
    assert (T.tensor([1], dtype=T.uint8) + T.tensor([1], dtype=T.int8)).dtype is T.int16
    assert (T.ones(2, dtype=T.bfloat16) + T.ones(2, dtype=T.float16)).dtype is T.float32
    assert (T.ones(2) * T.tensor(2.0, dtype=T.float64)).dtype is T.float32
    assert (T.ones(2, dtype=T.int32) * T.tensor(2.5, dtype=T.float64)).dtype is T.float64


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(NAMES), st.sampled_from(NAMES), st.booleans(), st.booleans())
def test_binary_op_dtype_is_result_type(a, b, zero_a, zero_b):
    """The dtype an op actually produces equals result_type (hypothesis over dtype pairs)."""
    if "bool" in (a, b):
        return   # bool + bool is defined differently (logical or) in some ops
    x = mt.ones(() if zero_a else (2,), dtype=getattr(mt, a))
    y = mt.ones(() if zero_b else (2,), dtype=getattr(mt, b))
    assert (x + y).dtype is mt.result_type(x, y)


# ------------------------------------------------------------------ default dtype
@pytest.mark.parametrize("T", LIBS)
def test_default_dtype_float64(T):
    assert T.get_default_dtype() is T.float32
    T.set_default_dtype(T.float64)
    try:
        assert T.get_default_dtype() is T.float64
        assert T.tensor([1.0]).dtype is T.float64 and T.tensor([1j]).dtype is T.complex128
        assert T.arange(3.0).dtype is T.float64 and T.arange(3).dtype is T.int64
        assert T.ones(2).dtype is T.float64 and T.rand(2).dtype is T.float64
        assert T.linspace(0, 1, 3).dtype is T.float64 and T.eye(2).dtype is T.float64
        assert T.full((2,), 1.5).dtype is T.float64 and T.Tensor(2).dtype is T.float64
        assert (T.tensor([1, 2]) * 1.5).dtype is T.float64
        assert T.result_type(T.tensor([1]), 2.5) is T.float64
    finally:
        T.set_default_dtype(T.float32)
    assert T.tensor([1.0]).dtype is T.float32


@pytest.mark.parametrize("T", LIBS)
def test_default_dtype_16_bit(T):
    T.set_default_dtype(T.float16)
    try:
        assert T.tensor([1.0]).dtype is T.float16 and T.arange(3.0).dtype is T.float16
    finally:
        T.set_default_dtype(T.float32)


def test_set_default_dtype_errors():
    raises_like(lambda T: T.set_default_dtype(T.int64), TypeError,
                "only floating-point types are supported as the default type")
    raises_like(lambda T: T.set_default_dtype(T.complex64), TypeError,
                "only floating-point types are supported as the default type")
    raises_like(lambda T: T.set_default_dtype(float), TypeError,
                "invalid dtype object: only floating-point types are supported")
    raises_like(lambda T: T.set_default_dtype("float64"), TypeError, "invalid dtype object")


@pytest.mark.parametrize("T", LIBS)
def test_python_types_as_dtype(T):
    """`dtype=float` is float64 (a C double), whatever the default dtype is."""
    assert T.tensor([1.0], dtype=float).dtype is T.float64
    assert T.tensor([1], dtype=int).dtype is T.int64
    assert T.tensor([1], dtype=bool).dtype is T.bool
    assert T.tensor([1.0], dtype=complex).dtype is T.complex128
    assert T.zeros(2, dtype=float).dtype is T.float64
    assert T.ones(1).to(float).dtype is T.float64
    assert T.tensor([2, 2], dtype=float).tolist() == [2.0, 2.0]


# ------------------------------------------------------------------ bfloat16
@pytest.mark.parametrize("T", LIBS)
def test_bfloat16_storage_and_arithmetic(T):
    x = T.tensor([1.001, 3.0], dtype=T.bfloat16)
    assert x.dtype is T.bfloat16 and x.element_size() == 2
    assert x.tolist() == [1.0, 3.0]                  # 8 bits of mantissa: 1.001 rounds to 1
    y = x * 3
    assert y.dtype is T.bfloat16 and y.tolist() == [3.0, 9.0]
    z = x + T.tensor([0.5, 0.5], dtype=T.bfloat16)
    assert z.tolist() == [1.5, 3.5]
    assert (x + T.ones(2)).dtype is T.float32
    assert x.float().dtype is T.float32 and x.float().tolist() == [1.0, 3.0]
    assert T.tensor([1.5], dtype=T.bfloat16).item() == 1.5


@pytest.mark.parametrize("T", LIBS)
def test_bfloat16_gradient(T):
    x = T.tensor([1.0, 2.0], dtype=T.bfloat16, requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.dtype is T.bfloat16 and x.grad.tolist() == [2.0, 4.0]


# ------------------------------------------------------------------ can_cast and helpers
@pytest.mark.parametrize("T", LIBS)
def test_can_cast(T):
    assert not T.can_cast(T.float32, T.int32) and T.can_cast(T.int32, T.float32)
    assert T.can_cast(T.float64, T.float16) and T.can_cast(T.bool, T.uint8)
    assert not T.can_cast(T.complex64, T.float64) and not T.can_cast(T.int8, T.bool)


def test_can_cast_errors():
    raises_like(lambda T: T.can_cast(T.float32, "a"), TypeError,
                "argument 'to' \\(position 2\\) must be torch.dtype, not str")


@pytest.mark.parametrize("T", LIBS)
def test_is_floating_point_and_is_complex(T):
    assert T.is_floating_point(T.ones(1)) and not T.is_complex(T.ones(1))
    assert T.is_complex(T.ones(1, dtype=T.complex64))
    assert not T.is_floating_point(T.ones(1, dtype=T.int64))


def test_numpy_dtypes_map_to_ours():
    for name in NAMES:
        d = getattr(mt, name)
        assert mt.from_numpy(np.zeros(2, dtype=d.np)).dtype is d


def test_unsupported_numpy_dtype():
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.str_"):
        mt.from_numpy(np.array(["a"]))
