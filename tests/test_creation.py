"""Factories: tensor/as_tensor/asarray/from_numpy, zeros/ones/full/empty and `_like`,
`new_*` methods, arange, linspace, eye, and the in-place fill_/zero_/copy_.

Values, dtypes and errors are compared with PyTorch (tests take `T`, run for both libraries);
arange and linspace are compared element for element (PyTorch's kernels are reproduced).
"""
from __future__ import annotations

import warnings

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


def raises_like(fn, exc, match):
    for T in (mt, torch):
        if T is not None:
            with pytest.raises(exc, match=match or None):
                fn(T)


def same(T_fn):
    """`T_fn(T)` gives the same values, dtype and shape in both libraries."""
    ours = T_fn(mt)
    if torch is None:
        return ours
    theirs = T_fn(torch)
    assert str(ours.dtype) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
    assert ours.tolist() == theirs.tolist()
    return ours


# ------------------------------------------------------------------ tensor()
@pytest.mark.parametrize("T", LIBS)
def test_tensor_infers_dtypes(T):
    assert T.tensor([1.0]).dtype is T.float32 and T.tensor([1]).dtype is T.int64
    assert T.tensor([True]).dtype is T.bool and T.tensor([1j]).dtype is T.complex64
    assert T.tensor([1, 2.5]).dtype is T.float32 and T.tensor([1, True]).dtype is T.int64
    assert T.tensor([True, 2.5]).dtype is T.float32 and T.tensor([1, 1j]).dtype is T.complex64
    assert T.tensor([]).dtype is T.float32 and T.tensor([]).shape == (0,)
    assert T.tensor([[]]).shape == (1, 0) and T.tensor(()).shape == (0,)
    assert T.tensor(np.float32(1.5)).dtype is T.float32
    assert T.tensor(np.int32(3)).dtype is T.int32 and T.tensor(np.float64(2.5)).dtype is T.float64
    assert T.tensor(np.array([1, 2], dtype=np.int16)).dtype is T.int16
    assert T.tensor([np.int64(3), 2]).dtype is T.int64


@pytest.mark.parametrize("T", LIBS)
def test_tensor_copies_and_casts(T):
    a = np.arange(3.0)
    t = T.tensor(a)
    a[0] = 9
    assert t.tolist() == [0.0, 1.0, 2.0]                     # a copy, unlike from_numpy
    assert T.tensor([1.5, -2.7], dtype=T.int64).tolist() == [1, -2]
    assert T.tensor([True, False], dtype=T.int64).tolist() == [1, 0]
    assert T.tensor([1.7], dtype=T.bool).tolist() == [True]
    assert T.tensor(3, dtype=T.float16).dtype is T.float16
    assert T.tensor([1.0], requires_grad=True).requires_grad


@pytest.mark.parametrize("T", LIBS)
def test_tensor_of_tensors(T):
    assert T.tensor([T.tensor(1.0), T.tensor(2.0)]).tolist() == [1.0, 2.0]
    assert T.tensor([T.tensor(1), 2.5]).dtype is T.float32
    x = T.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match=r"To copy construct from a tensor, it is recommended "
                                         r"to use sourceTensor.detach\(\).clone\(\)"):
        y = T.tensor(x)
    with pytest.warns(UserWarning, match=r"rather than tensor.new_tensor\(sourceTensor\)"):
        T.ones(1).new_tensor(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        T.asarray(x, copy=True, requires_grad=False)     # no warning here
        T.tensor([T.tensor(1.0)])
    assert not y.requires_grad and y.is_leaf
    y.add_(1)
    assert x.tolist() == [1.0, 1.0]


def test_tensor_errors():
    raises_like(lambda T: T.tensor([[1, 2], [3]]), ValueError, "")
    raises_like(lambda T: T.tensor("abc"), TypeError, "")
    raises_like(lambda T: T.tensor(2 ** 63), ValueError, "Overflow when unpacking long long")
    raises_like(lambda T: T.tensor([1, 2 ** 64]), ValueError, "Overflow when unpacking long")
    raises_like(lambda T: T.tensor([300], dtype=T.uint8), RuntimeError,
                "value cannot be converted to type uint8 without overflow")
    raises_like(lambda T: T.tensor([-129, 3], dtype=T.int8), RuntimeError,
                "value cannot be converted to type int8 without overflow")
    raises_like(lambda T: T.zeros(2, requires_grad=True, dtype=T.int64), RuntimeError,
                "Only Tensors of floating point and complex dtype can require gradients")


@pytest.mark.parametrize("T", LIBS)
def test_as_tensor_and_asarray_share_memory(T):
    a = np.arange(3.0)
    t = T.as_tensor(a)
    u = T.asarray(a)
    a[0] = 9
    assert t[0].item() == 9.0 and u[0].item() == 9.0 and t.dtype is T.float64
    assert T.as_tensor(a, dtype=T.float32).dtype is T.float32
    assert T.as_tensor([1, 2]).tolist() == [1, 2] and T.as_tensor(3.5).item() == 3.5
    x = T.ones(2)
    assert T.as_tensor(x) is x and T.as_tensor(x, device="cpu") is x
    assert T.as_tensor(x, dtype=T.float64) is not x
    assert T.asarray(x) is x and T.asarray(x, copy=True) is not x
    assert T.asarray(x, dtype=T.int64).tolist() == [1, 1]
    assert T.asarray([1.0, 2.0], requires_grad=True).requires_grad


@pytest.mark.parametrize("T", LIBS)
def test_asarray_keeps_the_graph(T):
    x = T.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="unspecified requires_grad now defaults to "
                                         "obj.requires_grad"):
        a = T.asarray(x)
    assert a is x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = T.asarray(x, copy=True)
        d = T.asarray(x, dtype=T.float64)
    assert b.grad_fn.name() == "CloneBackward0" and d.grad_fn.name() == "ToCopyBackward0"
    c = T.asarray(x, copy=True, requires_grad=False)
    assert not c.requires_grad and c.is_leaf
    assert T.asarray(x, requires_grad=True) is x
    e = T.asarray(T.ones(2), requires_grad=True)
    assert e.requires_grad and e.is_leaf


@pytest.mark.parametrize("T", LIBS)
def test_from_numpy(T):
    a = np.zeros((2, 3), dtype=np.float32)
    t = T.from_numpy(a)
    t[0, 0] = 4.0
    assert a[0, 0] == 4.0 and t.dtype is T.float32
    assert T.from_numpy(np.array(3.0)).shape == ()
    assert T.from_numpy(np.zeros((2, 0))).shape == (2, 0)
    assert T.from_numpy(np.arange(6.0)[::2]).stride() == (2,)


def test_from_numpy_errors():
    raises_like(lambda T: T.from_numpy([1, 2]), TypeError, "expected np.ndarray \\(got list\\)")
    raises_like(lambda T: T.from_numpy(np.array(["a"])), TypeError,
                "can't convert np.ndarray of type numpy.str_")


# ------------------------------------------------------------------ zeros / ones / full / empty
@pytest.mark.parametrize("T", LIBS)
def test_size_forms(T):
    for make in (T.zeros, T.ones, T.empty, T.rand, T.randn):
        assert make(2, 3).shape == (2, 3) and make((2, 3)).shape == (2, 3)
        assert make([2, 3]).shape == (2, 3) and make(T.Size([2])).shape == (2,)
        assert make(()).shape == () and make([]).shape == () and make(0).shape == (0,)
    assert T.zeros(T.tensor(3)).shape == (3,) and T.ones(2, T.tensor(2)).shape == (2, 2)


@pytest.mark.parametrize("T", LIBS)
def test_zeros_ones_full_values_and_dtypes(T):
    assert T.zeros(2, 3).tolist() == [[0.0] * 3] * 2 and T.zeros(2).dtype is T.float32
    assert T.ones(2, dtype=T.int32).tolist() == [1, 1]
    assert T.ones(2, 3, dtype=T.bool).dtype is T.bool
    assert T.ones(2, dtype=T.complex64).tolist() == [1 + 0j, 1 + 0j]
    assert T.ones(2, requires_grad=True).requires_grad
    assert T.full((2,), 3).dtype is T.int64 and T.full((2,), 3.0).dtype is T.float32
    assert T.full((2,), True).dtype is T.bool and T.full((2,), 1 + 1j).dtype is T.complex64
    assert T.full([2], 3, dtype=T.float64).tolist() == [3.0, 3.0]
    assert T.full((), 5).shape == () and T.full((2,), T.tensor(3.0)).tolist() == [3.0, 3.0]
    assert T.empty(2, 3).shape == (2, 3) and T.empty((2, 3), dtype=T.int64).dtype is T.int64


def test_factory_errors():
    raises_like(lambda T: T.zeros(-1), RuntimeError, "zeros: Dimension size must be non-negative.")
    raises_like(lambda T: T.ones(2, -3), RuntimeError,
                r"Trying to create tensor with negative dimension -3: \[2, -3\]")
    raises_like(lambda T: T.empty(-1), RuntimeError, "negative dimension -1")
    raises_like(lambda T: T.zeros(2.5), TypeError,
                r"zeros\(\): argument 'size' \(position 1\) must be tuple of ints, not float")
    raises_like(lambda T: T.ones((2, 2.5)), TypeError,
                r"ones\(\): argument 'size' failed to unpack the object at pos 2 with error "
                r"\"type must be tuple of ints,but got float\"")
    raises_like(lambda T: T.zeros("a"), TypeError, "must be tuple of ints, not str")
    raises_like(lambda T: T.full(2, 5), TypeError,
                r"full\(\): argument 'size' \(position 1\) must be tuple of ints, not int")
    raises_like(lambda T: T.full((2,), "a"), TypeError,
                r"full\(\): argument 'fill_value' \(position 2\) must be Number, not str")


@pytest.mark.parametrize("T", LIBS)
def test_like_factories(T):
    x = T.ones(2, 3, dtype=T.float64, requires_grad=True)
    assert T.zeros_like(x).dtype is T.float64 and not T.zeros_like(x).requires_grad
    assert T.ones_like(x, dtype=T.int32).tolist() == [[1] * 3] * 2
    assert T.full_like(x, 7).tolist() == [[7.0] * 3] * 2
    assert T.empty_like(x).shape == (2, 3)
    assert T.full_like(x, 2.5, dtype=T.int64).tolist() == [[2] * 3] * 2
    assert T.ones_like(x, requires_grad=True).requires_grad
    assert T.full_like(T.ones(2, dtype=T.int32), 2.7).tolist() == [2, 2]
    assert T.ones_like(T.ones(2), dtype=float).dtype is T.float64


def test_like_errors():
    raises_like(lambda T: T.zeros_like([1, 2]), TypeError,
                r"zeros_like\(\): argument 'input' \(position 1\) must be Tensor, not list")


@pytest.mark.parametrize("T", LIBS)
def test_new_methods(T):
    x = T.ones(2, dtype=T.float64)
    assert x.new_zeros(3).dtype is T.float64 and x.new_zeros(3).tolist() == [0.0] * 3
    assert x.new_ones((2, 2)).shape == (2, 2) and x.new_zeros(2, 3).shape == (2, 3)
    assert x.new_full((2,), 5).tolist() == [5.0, 5.0] and x.new_full((2,), 5).dtype is T.float64
    assert x.new_empty(2).dtype is T.float64
    assert x.new_tensor([1, 2]).dtype is T.float64 and x.new_tensor(3).shape == ()
    assert x.new_tensor([1, 2], dtype=T.int32).dtype is T.int32
    assert x.new_full([2], 5, dtype=T.int64).dtype is T.int64
    assert x.new_ones(2, requires_grad=True).requires_grad
    assert x.new_zeros(()).shape == ()


# ------------------------------------------------------------------ arange
ARANGE = [
    ((5,), {}), ((1, 4), {}), ((1, 2.5, 0.5), {}), ((0, 1, 0.1), {}), ((5,), dict(dtype="float32")),
    ((10, 0, -3), {}), ((0.5, 3), {}), ((-1, -10, -0.7), {}), ((1, 1.3, 0.1), {}),
    ((5, 5), {}), ((0, 5, 1.0), {}), ((0, 5, True), {}), ((True, 3), {}),
    ((2.5,), dict(dtype="int32")), ((2.5,), dict(dtype="int64")),
    ((0.5, 5.7, 1.5), dict(dtype="int64")), ((0.5, 5.7, 1.5), dict(dtype="int16")),
    ((0, 5, 0.5), dict(dtype="int32")), ((-1.5, 2), dict(dtype="int64")),
    ((0, 1, 0.1), dict(dtype="bfloat16")), ((0, 3, 0.3), dict(dtype="float64")),
    ((1, 4), dict(dtype="float16")), ((10, -3, -4.5), {}), ((10, 3, -4), dict(dtype="int64")),
    ((2 ** 53, 2 ** 53 + 3), {}), ((5,), dict(dtype="uint8")),
]


@requires_torch
@pytest.mark.parametrize("args, kwargs", ARANGE, ids=str)
def test_arange_matches_pytorch(args, kwargs):
    def make(T):
        kw = {k: getattr(T, v) for k, v in kwargs.items()}
        return T.arange(*args, **kw)
    same(make)


@pytest.mark.parametrize("T", LIBS)
def test_arange_dtypes_and_keywords(T):
    assert T.arange(5).dtype is T.int64 and T.arange(5.0).dtype is T.float32
    assert T.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert T.arange(start=1, end=4).tolist() == [1, 2, 3] and T.arange(end=3).tolist() == [0, 1, 2]
    assert T.arange(T.tensor(3)).tolist() == [0, 1, 2]
    assert T.arange(T.tensor(3.0)).dtype is T.float32
    assert T.arange(3, dtype=T.float32, requires_grad=True).requires_grad
    assert T.arange(0, 1, 0.1).shape == (10,)


def test_arange_errors():
    raises_like(lambda T: T.arange(0, 10, 0), RuntimeError, "step must be nonzero")
    raises_like(lambda T: T.arange(0, 10, -1), RuntimeError,
                "upper bound and lower bound inconsistent with step sign")
    raises_like(lambda T: T.arange(float("inf")), RuntimeError, "unsupported range: 0 -> inf")
    raises_like(lambda T: T.arange(0.5, float("nan")), RuntimeError,
                "unsupported range: 0.5 -> nan")
    raises_like(lambda T: T.arange("a"), TypeError,
                r"arange\(\): argument 'end' \(position 1\) must be Number, not str")
    raises_like(lambda T: T.arange(0, 5, 0.5, dtype=T.int64), ValueError, "step must be nonzero")
    raises_like(lambda T: T.arange(1, 4, dtype=T.bool), NotImplementedError,
                "\"arange_cpu\" not implemented for 'Bool'")
    raises_like(lambda T: T.arange(3, requires_grad=True), RuntimeError,
                "Only Tensors of floating point and complex dtype can require gradients")


@requires_torch
@settings(max_examples=40, deadline=None)
@given(st.floats(-50, 50), st.floats(-50, 50), st.floats(0.05, 7), st.booleans())
def test_arange_property_matches_pytorch(a, b, step, as_int):
    start, end = min(a, b), max(a, b)
    if as_int:
        start, end, step = int(start), int(end), max(1, int(step))
    same(lambda T: T.arange(start, end, step))


# ------------------------------------------------------------------ linspace
LINSPACE = [
    (0, 1, 5, None), (0, 1, 1, None), (0, 1, 0, None), (1, 0, 3, None), (0, 10, 5, "int64"),
    (-100, 100, 25, None), (0, 1, 7, None), (0.1, 0.9, 7, "float64"), (-1.7, 3.2, 11, None),
    (1, 1, 3, None), (0, 1, 4, "float16"), (0, 1, 4, "bfloat16"), (0, 7, 6, "int32"),
    (-3.3, 7.7, 6, "int64"), (10, 0, 6, "int64"), (3, 10, 0, None),
]


@requires_torch
@pytest.mark.parametrize("start, end, steps, dtype", LINSPACE, ids=str)
def test_linspace_matches_pytorch(start, end, steps, dtype):
    same(lambda T: T.linspace(start, end, steps,
                              dtype=None if dtype is None else getattr(T, dtype)))


@requires_torch
@settings(max_examples=60, deadline=None)
@given(st.floats(-100, 100).map(lambda v: round(v, 3)),
       st.floats(-100, 100).map(lambda v: round(v, 3)), st.integers(0, 60),
       st.sampled_from(["float16", "bfloat16", "float32", "float64"]))
def test_linspace_bit_for_bit(start, end, steps, dtype):
    """Bounds with 3 decimals: a bound near 1e-170 makes float64 need an exact FMA, which the
    longdouble emulation only approximates."""
    same(lambda T: T.linspace(start, end, steps, dtype=getattr(T, dtype)))


@pytest.mark.parametrize("T", LIBS)
def test_linspace_forms(T):
    assert T.linspace(0, 1, steps=3, requires_grad=True).requires_grad
    assert T.linspace(T.tensor(0.0), T.tensor(1.0), 3).tolist() == [0.0, 0.5, 1.0]
    c = T.linspace(0, 1 + 1j, 3)
    assert c.dtype is T.complex64 and c.tolist() == [0j, 0.5 + 0.5j, 1 + 1j]
    assert T.linspace(0, 10, 1).tolist() == [0.0]


def test_linspace_errors():
    raises_like(lambda T: T.linspace(0, 1, -1), RuntimeError,
                "number of steps must be non-negative")
    raises_like(lambda T: T.linspace(0, 1, 2.5), TypeError, "")
    raises_like(lambda T: T.linspace(0, 1), TypeError, "")


# ------------------------------------------------------------------ eye
@pytest.mark.parametrize("T", LIBS)
def test_eye(T):
    assert T.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]] and T.eye(2).dtype is T.float32
    assert T.eye(3, 4).tolist() == [[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 0]]
    assert T.eye(0).shape == (0, 0) and T.eye(2, 0).shape == (2, 0) and T.eye(0, 3).shape == (0, 3)
    assert T.eye(2, dtype=T.int64).tolist() == [[1, 0], [0, 1]]
    assert T.eye(2, requires_grad=True).requires_grad
    assert T.eye(2, m=3).shape == (2, 3) and T.eye(n=2).shape == (2, 2)
    assert T.eye(T.tensor(2)).shape == (2, 2)


def test_eye_reprs_from_the_notes():
    assert repr(mt.eye(2)) == "tensor([[1., 0.],\n        [0., 1.]])"
    assert repr(mt.eye(3, 4)) == ("tensor([[1., 0., 0., 0.],\n        [0., 1., 0., 0.],\n"
                                  "        [0., 0., 1., 0.]])")


def test_eye_errors():
    raises_like(lambda T: T.eye(2.5), TypeError,
                r"eye\(\): argument 'n' \(position 1\) must be int, not float")
    raises_like(lambda T: T.eye(True), TypeError,
                "argument 'n' \\(position 1\\) must be int, not bool")
    raises_like(lambda T: T.eye(-1), RuntimeError, "n must be greater or equal to 0, got -1")
    raises_like(lambda T: T.eye(2, -1), RuntimeError, "m must be greater or equal to 0, got -1")
    raises_like(lambda T: T.eye(2, 2.5), TypeError, "")
    raises_like(lambda T: T.eye(T.tensor(2.0)), TypeError, "must be int, not Tensor")


# ------------------------------------------------------------------ fill_ / zero_ / copy_
@pytest.mark.parametrize("T", LIBS)
def test_fill_and_zero(T):
    a = T.ones(3)
    assert a.fill_(2.5) is a and a.tolist() == [2.5] * 3 and a._version == 1
    assert a.zero_() is a and a.tolist() == [0.0] * 3 and a._version == 2
    b = T.ones(3, dtype=T.int32)
    assert b.fill_(2.5).tolist() == [2, 2, 2]
    assert T.ones(3).fill_(T.tensor(7.0)).tolist() == [7.0] * 3


def test_fill_errors():
    raises_like(lambda T: T.ones(3).fill_(T.tensor([7.0])), RuntimeError,
                "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions")
    raises_like(lambda T: T.ones(3, requires_grad=True).fill_(1), RuntimeError,
                "a leaf Variable that requires grad is being used in an in-place operation")


@pytest.mark.parametrize("T", LIBS)
def test_fill_and_zero_gradients(T):
    a = T.ones(3, requires_grad=True)
    b = a * 2
    b.zero_()
    assert b.grad_fn.name() == "ZeroBackward0"
    b.sum().backward()
    assert a.grad.tolist() == [0.0] * 3
    a.grad = None
    b = a * 2
    b.fill_(3)
    assert b.grad_fn.name() == "FillBackward2"
    v = T.tensor(2.0, requires_grad=True)
    c = a * 2
    c.fill_(v)
    assert c.grad_fn.name() == "FillBackward3"
    c.sum().backward()
    assert v.grad.item() == 3.0
    with T.no_grad():
        a.zero_()
    assert a.requires_grad and a._version == 1


@pytest.mark.parametrize("T", LIBS)
def test_copy_broadcasts_and_casts(T):
    a = T.ones(2, 3)
    assert a.copy_(T.tensor([1.0, 2.0, 3.0])) is a
    assert a.tolist() == [[1.0, 2.0, 3.0]] * 2 and a._version == 1
    b = T.ones(3)
    assert b.copy_(T.tensor([1, 2, 3])).tolist() == [1.0, 2.0, 3.0]
    c = T.ones(3, dtype=T.int64)
    assert c.copy_(T.tensor([1.7, 2.2, -3.9])).tolist() == [1, 2, -3]
    assert T.ones(3).copy_(5).tolist() == [5.0] * 3


def test_copy_errors():
    raises_like(lambda T: T.ones(2, 3).copy_(T.ones(2)), RuntimeError,
                "The size of tensor a \\(3\\) must match the size of tensor b \\(2\\) at "
                "non-singleton dimension 1")
    raises_like(lambda T: T.ones(2, 3).copy_(T.ones(2, 2, 3)), RuntimeError,
                r"output with shape \[2, 3\] doesn't match the broadcast shape \[2, 2, 3\]")
    raises_like(lambda T: T.ones(3, requires_grad=True).copy_(T.zeros(3)), RuntimeError,
                "a leaf Variable that requires grad is being used in an in-place operation")


@pytest.mark.parametrize("T", LIBS)
def test_copy_is_differentiable(T):
    a = T.ones(3)
    w = T.zeros(3, requires_grad=True)
    a.copy_(w * 2)                      # a plain tensor joins the graph
    assert a.requires_grad and a.grad_fn.name() == "torch::autograd::CopyBackwards"
    assert repr(a) == "tensor([0., 0., 0.], grad_fn=<CopyBackwards>)"
    a.sum().backward()
    assert w.grad.tolist() == [2.0] * 3
    x = T.ones(3, requires_grad=True)
    b = x * 1                           # a non-leaf: its old values get no gradient
    s = T.tensor([5.0], requires_grad=True)
    assert b.copy_(s * 3) is b
    (b * T.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0] and s.grad.tolist() == [18.0]


@pytest.mark.parametrize("T", LIBS)
def test_copy_into_a_view_of_a_non_leaf(T):
    a = T.ones(3, requires_grad=True)
    w = T.zeros(3, requires_grad=True)
    b = a * 1
    b[1:].copy_(w[:2] * 3)
    assert b.grad_fn.name() == "torch::autograd::CopySlices"
    b.sum().backward()
    assert a.grad.tolist() == [1.0, 0.0, 0.0] and w.grad.tolist() == [3.0, 3.0, 0.0]


@pytest.mark.parametrize("dtype, ok, bad", [("uint8", [-255, -1, 255], [-256, 256]),
                                            ("int8", [-128, 127], [-129, 128])])
def test_integer_range_of_python_ints_as_pytorch(dtype, ok, bad):
    """uint8 takes -255..255 (negatives wrap: -1 -> 255); other types their own range."""
    d = getattr(mt, dtype)
    assert mt.tensor(ok, dtype=d).tolist() == np.array(ok).astype(dtype).tolist()
    for v in bad:
        with pytest.raises(RuntimeError, match="without overflow"):
            mt.tensor([v], dtype=d)


def test_a_float_too_large_for_the_dtype_is_inf_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mt.tensor([1e300, -1e300], dtype=mt.float32).tolist() == [np.inf, -np.inf]


def test_dim_of_a_zero_dim_tensor_wraps_to_zero():
    from minitorch_nn.tensor import _wrap_dim
    assert _wrap_dim(-1, 0) == 0 and _wrap_dim(0, 0) == 0 and _wrap_dim(-1, 3) == 2


@pytest.mark.parametrize("values", [
    [np.int32(1), np.int32(2)], [np.float64(1.5)], [np.float32(1.0), 2.0], [np.int16(3), 1],
    [[np.float64(1)], [2.0]], [np.uint8(3), True], [np.float16(1), np.int64(3)], [1.0, 2.0]])
def test_lists_of_numpy_scalars_keep_their_dtypes(values):
    """Each NumPy scalar counts with its own dtype, Python numbers with PyTorch's defaults."""
    expected = {"[np.int32(1), np.int32(2)]": "int32"}.get(repr(values))
    got = mt.tensor(values).dtype
    assert mt.as_tensor(values).dtype is got
    if expected:
        assert got is mt.int32
    if torch is not None:
        assert str(got) == str(torch.tensor(values).dtype)
