"""Comparisons, equal / isclose / allclose, logical/bitwise ops and maximum/minimum
(minitorch_nn/ops/comparison.py).

Each differentiable op runs through the harness (NumPy, gradcheck, PyTorch); the boundary
rules (ties of maximum), result dtypes and error messages are compared with PyTorch 2.13;
hypothesis sweeps broadcast shapes. Also the grad node names of maximum/minimum, clamp and
lerp, and the docstring examples of ops/comparison.py and ops/selection.py (where, clamp and
lerp: tests/ops/test_selection.py).
"""
from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import minitorch_nn as mt
from minitorch_nn.ops import comparison, selection
from comparison_util import NAN, INF, _same_as_torch, _assert_same_outcome
from op_harness import check_op, make_arrays, requires_torch, torch

MODULES, MIN_EXAMPLES = (comparison, selection), 4


# ------------------------------------------------------------------ comparisons
COMPARISONS = [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
               ("gt", np.greater), ("ge", np.greater_equal)]


OPERATORS = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
             "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}


@pytest.mark.parametrize("name,ref", COMPARISONS)
@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 1, 3), (4, 1)],
                                    [(), (3,)]])
def test_comparison_functions_and_operators(name, ref, shapes):
    arrays = [np.round(a) for a in make_arrays(shapes, low=-2, high=2)]   # with ties
    kw = dict(grad=False)   # bool results: nothing to differentiate
    check_op(lambda T, x, y: getattr(T, name)(x, y), shapes, ref=ref, arrays=arrays, **kw)
    check_op(lambda T, x, y: OPERATORS[name](x, y), shapes, ref=ref, arrays=arrays, **kw)
    check_op(lambda T, x: OPERATORS[name](x, 1.0), shapes[:1], ref=lambda a: ref(a, 1.0),
             arrays=arrays[:1], **kw)
    check_op(lambda T, x: OPERATORS[name](1.0, x), shapes[:1], ref=lambda a: ref(1.0, a),
             arrays=arrays[:1], **kw)


@requires_torch
@pytest.mark.parametrize("expr", [
    lambda T: T.tensor([1, 2]) == T.tensor([1.0, 2.5]), lambda T: T.tensor([1, 2]) < 1.5,
    lambda T: T.tensor([1, 2]) < T.tensor([1.5], dtype=T.float64),
    lambda T: T.tensor([1.0, NAN]) != NAN, lambda T: T.tensor(2.0) > 1,
    lambda T: T.tensor([1, 2]) == 1.0000001, lambda T: T.tensor([True, False]) == 1,
    lambda T: T.eq(2, T.tensor([2])), lambda T: T.tensor([1.0]).eq(None),
    lambda T: T.tensor([1.0, 2.0, 3.0]) == T.tensor([1.0, 2.0]),
    lambda T: T.greater_equal(T.tensor([1, 3]), 2), lambda T: T.not_equal(T.tensor([1]), 1),
], ids=lambda f: "")
def test_comparison_dtypes_and_errors_match_pytorch(expr):
    _assert_same_outcome(expr)


def test_comparison_results_are_bool_and_not_differentiable():
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    y = x > 1
    assert y.dtype is mt.bool and not y.requires_grad and y.grad_fn is None
    assert y.tolist() == [False, True]


def test_broadcast_error_names_sizes_and_dim():
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of "
                                           r"tensor b \(4\) at non-singleton dimension 1"):
        mt.ones(2, 3) == mt.ones(4)
    with pytest.raises(RuntimeError, match=r"tensor a \(5\) .* tensor b \(4\) at non-singleton "
                                           r"dimension 0"):
        mt.ones(5, 2, 3) < mt.ones(4, 1, 3)


def test_tensors_stay_hashable_and_compare_with_other_types():
    a, b = mt.tensor([1.0, 2.0]), mt.tensor([1.0, 2.0])
    assert hash(a) == id(a) and {a: 1, b: 2}[a] == 1 and len({a, b}) == 2
    assert (a == "x") is False and (a != None) is True   # noqa: E711 - Python fallback
    with pytest.raises(TypeError, match="not supported"):
        a < "x"


@settings(max_examples=25, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       name=st.sampled_from(["lt", "eq", "ge", "maximum", "minimum"]))
def test_binary_broadcasting_property(shapes, name):
    a, b = make_arrays(shapes.input_shapes, low=-1, high=1, seed=len(shapes.result_shape))
    a, b = np.asarray(np.round(a * 2) / 2), np.asarray(np.round(b * 2) / 2)   # ties happen
    ref = {"lt": np.less, "eq": np.equal, "ge": np.greater_equal, "maximum": np.maximum,
           "minimum": np.minimum}[name]
    out = getattr(mt, name)(mt.from_numpy(a), mt.from_numpy(b))
    assert tuple(out.shape) == shapes.result_shape
    np.testing.assert_array_equal(out.numpy(), ref(a, b))
    if torch is not None:
        expected = getattr(torch, name)(torch.from_numpy(a), torch.from_numpy(b))
        assert str(out.dtype) == str(expected.dtype)


# ------------------------------------------------------------------ equal / isclose / allclose
@requires_torch
@pytest.mark.parametrize("expr", [
    lambda T: T.equal(T.tensor([1.0, 2.0]), T.tensor([1.0, 2.0])),
    lambda T: T.equal(T.tensor([1.0, 2.0]), T.tensor([1, 2])),
    lambda T: T.equal(T.tensor([1.0, 2.0]), T.tensor([1.0])),
    lambda T: T.equal(T.tensor([NAN]), T.tensor([NAN])),
    lambda T: T.equal(T.tensor([1.0]), 1),
    lambda T: T.allclose(T.tensor([1.0, 2.0]), T.tensor([1.0, 2.0 + 1e-9])),
    lambda T: T.allclose(T.tensor([1.0]), T.tensor([1.1])),
    lambda T: T.allclose(T.tensor([1.0]), T.tensor([1])),
    lambda T: T.allclose(T.tensor([NAN]), T.tensor([NAN]), equal_nan=True),
    lambda T: T.isclose(T.tensor([1.0, 2.0, 3.0]), T.tensor([1.0, 2.1, 3.0])),
    lambda T: T.isclose(T.tensor([1.0, 2.0]), T.tensor([1.05, 2.5]), rtol=0.1, atol=0.0),
    lambda T: T.isclose(T.tensor([INF, -INF, NAN, INF]), T.tensor([INF, INF, NAN, 1e38])),
    lambda T: T.isclose(T.tensor([NAN, 1.0]), T.tensor([NAN, 1.0]), equal_nan=True),
    lambda T: T.isclose(T.tensor([1, 2]), T.tensor([1, 3])),
    lambda T: T.isclose(T.tensor([1, 2]), T.tensor([1, 3]), atol=1.5),
    lambda T: T.isclose(T.tensor([True]), T.tensor([True])),
    lambda T: T.isclose(T.tensor([1.0]), T.tensor([1.0], dtype=T.float64)),
    lambda T: T.isclose(T.tensor([1.0]), 2.0),
    lambda T: T.isclose(T.tensor([1.0]), T.tensor([1.0]), rtol=-1),
    lambda T: T.tensor([1.0, 2.0]).isclose(T.tensor([[1.0], [2.0]])),
], ids=lambda f: "")
def test_closeness_matches_pytorch(expr):
    _assert_same_outcome(expr)


def test_closeness_error_messages():
    with pytest.raises(RuntimeError, match="Float did not match Double"):
        mt.isclose(mt.tensor([1.0]), mt.tensor([1.0], dtype=mt.float64))
    with pytest.raises(RuntimeError, match="atol must be greater than or equal to zero, but "
                                           "got -1"):
        mt.allclose(mt.tensor([1.0]), mt.tensor([1.0]), atol=-1)
    with pytest.raises(TypeError, match=r"equal\(\): argument 'other' \(position 2\) must be "
                                        r"Tensor, not int"):
        mt.equal(mt.tensor([1.0]), 1)
    assert mt.equal(mt.tensor([1.0, 2.0]), mt.tensor([1.0, 2.0])) is True


@requires_torch
@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
@pytest.mark.parametrize("data,dtype", [([1.0, INF, -INF, NAN, 0.0], "float32"),
                                        ([1.0, NAN], "float16"), ([1, -2], "int64"),
                                        ([True, False], "bool")])
def test_isnan_isinf_isfinite(name, data, dtype):
    _assert_same_outcome(lambda T: getattr(T, name)(T.tensor(data, dtype=getattr(T, dtype))))


# ------------------------------------------------------------------ logical and bitwise
@requires_torch
@pytest.mark.parametrize("expr", [
    lambda T: T.logical_not(T.tensor([0.0, 1.0, NAN])), lambda T: T.tensor([2, 0]).logical_not(),
    lambda T: T.logical_and(T.tensor([0.0, 1.0]), T.tensor([1, 1])),
    lambda T: T.logical_or(T.tensor([0.0, 0.0]), T.tensor([[True], [False]])),
    lambda T: T.logical_xor(T.tensor([0, 3]), T.tensor([1, 3])),
    lambda T: T.logical_xor(T.tensor([0.0, 1.0]), 1), lambda T: T.logical_and(1, T.tensor([1])),
    lambda T: ~T.tensor([True, False]), lambda T: ~T.tensor([1, 2]), lambda T: ~T.tensor([1.0]),
    lambda T: T.bitwise_not(T.tensor([1.0])), lambda T: T.bitwise_not(T.tensor([5, -1])),
    lambda T: T.tensor([1, 2]) & 3, lambda T: 3 & T.tensor([1, 2]),
    lambda T: T.tensor([True]) & T.tensor([False]), lambda T: T.tensor([True]) | 1,
    lambda T: T.tensor([True]) ^ True, lambda T: T.tensor([6, 5]) ^ T.tensor([3]),
    lambda T: T.tensor([1, 2], dtype=T.int32) | T.tensor([1], dtype=T.int64),
    lambda T: T.tensor([1.0]) & 1, lambda T: T.tensor([1, 2]) | 1.5,
    lambda T: T.bitwise_xor(T.tensor([1, 2], dtype=T.uint8), 255),
], ids=lambda f: "")
def test_logical_and_bitwise_match_pytorch(expr):
    _assert_same_outcome(expr)


def test_bitwise_messages_and_inplace_operators():
    with pytest.raises(NotImplementedError, match="\"bitwise_and_cpu\" not implemented for "
                                                  "'Float'"):
        mt.tensor([1.0]) & mt.tensor([1.0])
    with pytest.raises(TypeError, match="only implemented on integer and Boolean-type"):
        ~mt.tensor([1.0])
    mask = mt.tensor([True, True, False])
    same = mask
    mask &= mt.tensor([True, False, False])
    mask |= mt.tensor([False, False, True])
    mask ^= mt.tensor([True, False, False])
    assert same is mask and mask.tolist() == [False, False, True]
    assert mask._version == 3
    x = mt.tensor([1.0, 2.0])
    x.lt_(1.5)
    assert x.tolist() == [1.0, 0.0] and x.dtype is mt.float32


# ------------------------------------------------------------------ maximum / minimum
@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 1, 3), (4, 1)]])
@pytest.mark.parametrize("name,ref", [("maximum", np.maximum), ("minimum", np.minimum)])
def test_maximum_minimum(name, ref, shapes):
    check_op(lambda T, x, y: getattr(T, name)(x, y), shapes, ref=ref)
    check_op(lambda T, x, y: getattr(x, name)(y), shapes, ref=ref)


@requires_torch
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_ties_nan_and_broadcast_gradients_match_pytorch(name):
    _same_as_torch(lambda T, a, b: getattr(T, name)(a, b),
                   ([1.0, 2.0, 3.0, NAN, 2.0], "float64", True),
                   ([1.0, 3.0, 2.0, 1.0, NAN], "float64", True))
    _same_as_torch(lambda T, a, b: getattr(T, name)(a, b),
                   ([[1.0, 2.0], [2.0, 0.0]], "float32", True), ([2.0], "float32", True))


def test_maximum_tie_splits_gradient_in_half():
    a = mt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = mt.tensor([1.0, 3.0, 2.0], requires_grad=True)
    mt.maximum(a, b).backward(mt.ones(3))
    assert a.grad.tolist() == [0.5, 0.0, 1.0] and b.grad.tolist() == [0.5, 1.0, 0.0]


@requires_torch
@pytest.mark.parametrize("expr", [
    lambda T: T.maximum(T.tensor([1, 2]), T.tensor([1.5, 0.0])),
    lambda T: T.minimum(T.tensor([1, 2]), T.tensor(1.5)),
    lambda T: T.maximum(T.tensor([True]), T.tensor([False])),
    lambda T: T.maximum(T.tensor([1.0]), 2.0), lambda T: T.tensor([1.0]).minimum(2.0),
], ids=lambda f: "")
def test_maximum_minimum_dtypes_and_errors_match_pytorch(expr):
    _assert_same_outcome(expr)


# ------------------------------------------------------------------ clamp
@requires_torch
@pytest.mark.parametrize("expr,node", [
    (lambda T, x: T.clamp(x, 0, 1), "ClampBackward1"),
    (lambda T, x: T.clamp(x, x, None), "ClampBackward0"),
    (lambda T, x: T.clamp_min(x, 0), "ClampMinBackward0"),
    (lambda T, x: T.clamp_min(x, x), "ClampMinBackward1"),
    (lambda T, x: T.clamp_max(x, 0), "ClampMaxBackward0"),
    (lambda T, x: T.clamp_max(x, x), "ClampMaxBackward1"),
    (lambda T, x: T.maximum(x, x), "MaximumBackward0"),
    (lambda T, x: T.minimum(x, x), "MinimumBackward0"),
    (lambda T, x: T.lerp(x, x, 0.5), "LerpBackward0"),
    (lambda T, x: T.lerp(x, x, x), "LerpBackward1"),
])
def test_node_names_match_pytorch(expr, node):
    for T in (mt, torch):
        x = T.tensor([0.5, 2.0], requires_grad=True) * 1
        assert type(expr(T, x).grad_fn).__name__ == node


# ------------------------------------------------------------------ lerp
def test_docstring_examples_run():
    """The `>>>` examples in the family's docstrings print what they say."""
    globs = {"tensor": mt.tensor, **{n: getattr(mt, n) for n in dir(mt) if not n.startswith("_")}}
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for module in MODULES:
        for test in doctest.DocTestFinder().find(module, globs=globs):
            runner.run(test)
    assert runner.tries >= MIN_EXAMPLES and runner.failures == 0
