"""Comparisons, logical/bitwise ops, where, maximum/minimum, clamp and lerp.

Each differentiable op runs through the harness (NumPy, gradcheck, PyTorch); the boundary
rules (clamp's inclusive bounds, ties of maximum, where's two branches), result dtypes and
error messages are compared with PyTorch 2.13; hypothesis sweeps broadcast shapes.
"""
from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import minitorch_nn as mt
from minitorch_nn.ops import comparison
from op_harness import check_op, make_arrays, requires_torch, torch

NAN, INF = math.nan, math.inf
MODULE, MIN_EXAMPLES = comparison, 4


# ------------------------------------------------------------------ local helpers
def _tensor(T, spec):
    """`spec` = (data, dtype name[, requires_grad]) or anything else (passed through)."""
    if not isinstance(spec, tuple):
        return spec
    data, dtype, *rest = spec
    return T.tensor(data, dtype=getattr(T, dtype), requires_grad=bool(rest and rest[0]))


def _values(t):
    return np.asarray(t.detach().tolist(), dtype=np.float64)


def _run(T, fn, specs):
    inputs = [_tensor(T, s) for s in specs]
    out = fn(T, *inputs)
    grads = []
    if out.requires_grad:
        g = np.random.default_rng(5).standard_normal(tuple(out.shape))
        out.backward(T.from_numpy(g.astype(out.detach().numpy().dtype)))
        grads = [x.grad if isinstance(x, T.Tensor) else None for x in inputs]
    return out, grads


def _same_as_torch(fn, *specs):
    """Same values (nan-aware), shape, dtype and input gradients in both libraries."""
    mt_out, mt_grads = _run(mt, fn, specs)
    th_out, th_grads = _run(torch, fn, specs)
    assert str(mt_out.dtype) == str(th_out.dtype), (mt_out.dtype, th_out.dtype)
    assert tuple(mt_out.shape) == tuple(th_out.shape)
    np.testing.assert_allclose(_values(mt_out), _values(th_out), rtol=1e-6, equal_nan=True)
    assert len(mt_grads) == len(th_grads)
    for i, (a, b) in enumerate(zip(mt_grads, th_grads)):
        assert (a is None) == (b is None), f"input {i}: grad presence differs"
        if b is not None:
            np.testing.assert_allclose(_values(a), _values(b), rtol=1e-6, atol=1e-12,
                                       err_msg=f"input {i} grad")
    return mt_out


def _outcome(T, fn):
    """('ok', dtype, values) / ('ok', python value) or ('error', exception class name)."""
    try:
        out = fn(T)
    except Exception as err:   # noqa: BLE001 - the class is what we compare
        return ("error", type(err).__name__)
    if isinstance(out, T.Tensor):
        return ("ok", str(out.dtype).replace("torch.", ""), _values(out).tolist())
    return ("ok", out)


def _assert_same_outcome(expr):
    mine, theirs = _outcome(mt, expr), _outcome(torch, expr)
    assert mine[:2] == theirs[:2], (mine, theirs)
    if mine[0] == "ok" and len(mine) == 3:
        np.testing.assert_allclose(mine[2], theirs[2], rtol=1e-6, equal_nan=True)


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
    assert mask._version.value == 3
    x = mt.tensor([1.0, 2.0])
    x.lt_(1.5)
    assert x.tolist() == [1.0, 0.0] and x.dtype is mt.float32


# ------------------------------------------------------------------ where
@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4), (3, 4)], [(3, 4), (4,), (3, 1)],
                                    [(2, 1, 3), (4, 1), ()]])
def test_where_gradients_to_both_branches(shapes):
    cond = make_arrays(shapes[:1], seed=7)[0] > 0
    arrays = [cond] + make_arrays(shapes[1:], seed=8)
    check_op(lambda T, c, x, y: T.where(c, x, y), shapes, ref=np.where, arrays=arrays)
    check_op(lambda T, c, x, y: x.where(c, y), shapes, ref=np.where, arrays=arrays)


def test_where_with_python_scalars():
    cond = make_arrays([(2, 3)], seed=2)[0] > 0
    arrays = [cond] + make_arrays([(2, 3)])
    check_op(lambda T, c, x: T.where(c, x, 0.5), None, arrays=arrays,
             ref=lambda c, x: np.where(c, x, 0.5))
    check_op(lambda T, c, x: T.where(c, -1.0, x), None, arrays=arrays,
             ref=lambda c, x: np.where(c, -1.0, x))


@requires_torch
@pytest.mark.parametrize("expr", [
    lambda T: T.where(T.tensor([True, False]), 1.0, 0.0),
    lambda T: T.where(T.tensor([True, False]), 1, 0),
    lambda T: T.where(T.tensor([True, False]), 1, 2.5),
    lambda T: T.where(T.tensor([True, False]), T.tensor([1, 2]), 0.5),
    lambda T: T.where(T.tensor([True, False]), T.tensor([1, 2]), T.tensor(0.5)),
    lambda T: T.where(T.tensor([True, False]), T.tensor([1.0, 2.0]),
                      T.tensor([1.0], dtype=T.float64)),
    lambda T: T.where(T.tensor([True, False]), 1.0, T.tensor([2, 3], dtype=T.int32)),
    lambda T: T.where(T.tensor([1.0, 0.0]), T.tensor([1.0, 2.0]), 0.0),
    lambda T: T.where(True, T.tensor([1.0]), 0.0),
    lambda T: T.where(T.tensor([True, False, True]), T.tensor([1.0, 2.0]), 0.0),
], ids=lambda f: "")
def test_where_dtypes_and_errors_match_pytorch(expr):
    _assert_same_outcome(expr)


def test_where_condition_rules():
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor, "
                                           "but got a tensor with dtype Float"):
        mt.where(mt.tensor([1.0]), mt.tensor([1.0]), 0.0)
    with pytest.warns(UserWarning, match="uint8 condition tensor"):
        out = mt.where(mt.tensor([1, 0], dtype=mt.uint8), mt.tensor([1.0, 2.0]), 0.0)
    assert out.tolist() == [1.0, 0.0]
    (rows, cols) = mt.where(mt.tensor([[True, False], [False, True]]))
    assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1] and rows.dtype is mt.int64
    x = mt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = mt.tensor([5.0], requires_grad=True)
    mt.where(x > 1.5, x, y).backward(mt.ones(3))
    assert x.grad.tolist() == [0.0, 1.0, 1.0] and y.grad.tolist() == [1.0]
    assert type(mt.where(x > 1.5, x, y).grad_fn).__name__ == "WhereBackward0"


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
@pytest.mark.parametrize("bounds", [(-0.5, 0.5), (None, 0.3), (-0.2, None), (1, 0)])
def test_clamp_number_bounds(bounds):
    lo, hi = bounds
    ref = (lambda a: np.minimum(np.maximum(a, lo) if lo is not None else a, hi)
           if hi is not None else np.maximum(a, lo))
    check_op(lambda T, x: T.clamp(x, lo, hi), [(3, 4)], ref=ref)
    check_op(lambda T, x: x.clip(min=lo, max=hi), [(5,)], ref=ref)


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4), (3, 4)], [(3, 4), (4,), (3, 1)],
                                    [(2, 3), (), (2, 1)]])
def test_clamp_tensor_bounds_broadcast_and_get_gradients(shapes):
    x, lo, hi = make_arrays(shapes, low=-2, high=2, seed=4)
    lo, hi = lo - 1.0, hi + 1.0   # mostly min < max; some elements clamp on each side
    check_op(lambda T, a, b, c: T.clamp(a, b, c), None, arrays=[x, lo, hi],
             ref=lambda a, b, c: np.minimum(np.maximum(a, b), c))
    check_op(lambda T, a, b: T.clamp(a, min=b), None, arrays=[x, lo], ref=np.maximum)
    check_op(lambda T, a, c: T.clamp(a, max=c), None, arrays=[x, hi], ref=np.minimum)
    check_op(lambda T, a, b: T.clamp_min(a, b), None, arrays=[x, lo], ref=np.maximum)
    check_op(lambda T, a, c: a.clamp_max(c), None, arrays=[x, hi], ref=np.minimum)


@requires_torch
@pytest.mark.parametrize("expr", [
    lambda T, x, lo, hi: T.clamp(x, 0.0, 1.0), lambda T, x, lo, hi: T.clamp(x, 1.0, 0.0),
    lambda T, x, lo, hi: T.clamp(x, min=0.0), lambda T, x, lo, hi: T.clamp(x, max=1.0),
    lambda T, x, lo, hi: T.clamp(x, lo, hi), lambda T, x, lo, hi: T.clamp(x, lo),
    lambda T, x, lo, hi: T.clamp(x, max=hi), lambda T, x, lo, hi: T.clamp(x, lo, lo),
    lambda T, x, lo, hi: T.clamp(x, hi, lo), lambda T, x, lo, hi: T.clamp_min(x, 0.5),
    lambda T, x, lo, hi: T.clamp_max(x, hi),
], ids=["01", "10", "min", "max", "tensors", "tmin", "tmax", "lo=hi", "swapped", "cmin",
        "cmax"])
def test_clamp_boundaries_and_gradients_match_pytorch(expr):
    """Boundaries inclusive, min > max gives max; tensor bounds get the gradient where active."""
    _same_as_torch(expr, ([-1.0, 0.0, 0.5, 1.0, 2.0, 1.0, NAN], "float64", True),
                   ([0.0, 1.0, 1.0, 2.0, 0.0, 1.0, 0.0], "float64", True),
                   ([3.0, 3.0, 0.5, 1.0, 1.0, 1.0, 1.0], "float64", True))


@requires_torch
@pytest.mark.parametrize("expr", [
    lambda T: T.clamp(T.tensor([1, 2, 3]), 1.5, 2.5), lambda T: T.clamp(T.tensor([1, 2, 3]), 1, 2),
    lambda T: T.clamp(T.tensor([1, 2, 3]), T.tensor(1.5)),
    lambda T: T.clamp(T.tensor([1.0, 2, 3]), T.tensor(1.5, dtype=T.float64)),
    lambda T: T.clamp(T.tensor([1.0, 2, 3]), T.tensor([1.5], dtype=T.float64)),
    lambda T: T.clamp(T.tensor([1.0, 2, 3]), T.tensor([[0.0], [2.0]])),
    lambda T: T.clamp(T.tensor([True, False]), 0, 1),
    lambda T: T.clamp(T.tensor([1, 2], dtype=T.uint8), -1, 300),
    lambda T: T.clamp(T.tensor([1.0, 2.0]), min=T.tensor([0.0]), max=1.0),
    lambda T: T.clamp(T.tensor([1.0, 2.0])), lambda T: T.clamp(T.tensor([1.0]), None, None),
    lambda T: T.clamp(T.tensor([NAN, 1.0]), 0.0, 0.5),
    lambda T: T.clamp(T.tensor([1.0, 2.0]), T.tensor([NAN, 0.0])),
    lambda T: T.clamp(T.tensor([1.0, 2.0]), min=T.tensor([0.0, 3.0, 4.0])),
    lambda T: T.clamp_max(T.tensor([1, 2]), 1.5),
], ids=lambda f: "")
def test_clamp_dtypes_and_errors_match_pytorch(expr):
    _assert_same_outcome(expr)


def test_clamp_error_messages():
    with pytest.raises(RuntimeError, match="torch.clamp: At least one of 'min' or 'max' must "
                                           "not be None"):
        mt.clamp(mt.tensor([1.0]))
    with pytest.raises(TypeError, match="clamp\\(\\) received an invalid combination"):
        mt.clamp(mt.tensor([1.0]), min=mt.tensor([0.0]), max=1.0)
    with pytest.raises(RuntimeError, match="value cannot be converted to type uint8_t without "
                                           "overflow"):
        mt.clamp(mt.tensor([1], dtype=mt.uint8), -1, 2)


def test_clip_and_clamp_agree_seed_example():
    a = mt.rand(5) * 2 - 1
    clipped = mt.clip(a, -0.5, 0.5)
    assert mt.equal(clipped, mt.clamp(a, -0.5, 0.5))
    assert mt.equal(clipped, a.clip(-0.5, 0.5)) and mt.equal(clipped, a.clamp(-0.5, 0.5))
    np.testing.assert_array_equal(clipped.numpy(), np.clip(a.numpy(), -0.5, 0.5))
    if torch is not None:
        t = torch.from_numpy(a.numpy().copy())
        assert repr(clipped) == repr(torch.clip(t, -0.5, 0.5))


def test_clamp_inplace():
    x = mt.tensor([-1.0, 0.5, 2.0])
    assert x.clamp_(0, 1) is x and x.tolist() == [0.0, 0.5, 1.0] and x._version.value == 1
    assert mt.clamp_(x, max=0.25).tolist() == [0.0, 0.25, 0.25]
    assert x.clip_(min=mt.tensor([0.125, 0.0, 0.0])).tolist() == [0.125, 0.25, 0.25]
    y = mt.tensor([1, 5])
    assert y.clamp_min_(2).tolist() == [2, 5] and y.clamp_max_(4).tolist() == [2, 4]
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
        mt.tensor([1, 2, 3]).clamp_(1.5, 2.5)
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the "
                                           r"broadcast shape \[2, 3\]"):
        mt.tensor([1.0, 2.0, 3.0]).clamp_(mt.tensor([[0.0], [1.0]]))


@requires_torch
def test_clamp_inplace_on_non_leaf_matches_pytorch():
    def fn(T, x, lo):
        y = x * 1
        y.clamp_(min=lo)
        return y * 2

    _same_as_torch(fn, ([-1.0, 0.5, 2.0], "float64", True), ([0.0, 1.0, 1.0], "float64", True))


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
@pytest.mark.parametrize("weight", [0.25, 0.75, 2])
def test_lerp_number_weight(weight):
    check_op(lambda T, s, e: T.lerp(s, e, weight), [(3, 4), (4,)],
             ref=lambda s, e: s + weight * (e - s))


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4), (3, 4)], [(3, 4), (4,), (3, 1)],
                                    [(4,), (4,), ()]])
def test_lerp_tensor_weight(shapes):
    check_op(lambda T, s, e, w: T.lerp(s, e, w), shapes, ref=lambda s, e, w: s + w * (e - s),
             low=-0.5, high=1.5)
    check_op(lambda T, s, e, w: s.lerp(e, w), shapes, ref=lambda s, e, w: s + w * (e - s),
             low=-0.5, high=1.5)


@requires_torch
@pytest.mark.parametrize("expr", [
    lambda T: T.lerp(T.tensor([1.0, 2.0]), T.tensor([4.0, 6.0]), T.tensor([0.0, 1.0])),
    lambda T: T.lerp(T.tensor([1e8]), T.tensor([1.0]), 0.75),
    lambda T: T.lerp(T.tensor([1e8, 0.0]), T.tensor([1.0, 1e-8]), 1.0),
    lambda T: T.lerp(T.tensor([1.0, 1e-8]), T.tensor([1e8, 0.0]), 0.0),
    lambda T: T.lerp(T.tensor([1e8, 0.0]), T.tensor([1.0, 1e-8]), T.tensor([1.0, 0.0])),
    lambda T: T.lerp(T.tensor([1.0, 2, 3]), T.tensor([4.0, 6, 8]), T.tensor(1)),
    lambda T: T.lerp(T.tensor([1.0, 2]), T.tensor([4.0, 6]), T.tensor(0.5, dtype=T.float64)),
    lambda T: T.lerp(T.tensor([1.0]), T.tensor([2.0], dtype=T.float64), 0.5),
    lambda T: T.lerp(T.tensor([1.0]), T.tensor([2.0]), T.tensor([0.5], dtype=T.float64)),
    lambda T: T.lerp(T.tensor([1]), T.tensor([3]), 0.5),
    lambda T: T.lerp(T.tensor([1.0]), 5.0, 0.5),
    lambda T: T.lerp(T.tensor([1.0, 2.0]), T.tensor([[1.0], [2.0]]), 0.5),
    lambda T: T.lerp(T.tensor([1.0]), T.tensor([2.0]), True),
], ids=lambda f: "")
def test_lerp_values_dtypes_and_errors_match_pytorch(expr):
    _assert_same_outcome(expr)


def test_lerp_messages_and_inplace():
    with pytest.raises(RuntimeError, match="expected dtype float for `end` but got dtype "
                                           "double"):
        mt.lerp(mt.ones(2), mt.ones(2, dtype=mt.float64), 0.5)
    with pytest.raises(RuntimeError, match="expected dtype float for `weight` but got dtype "
                                           "long int"):
        mt.lerp(mt.ones(2), mt.ones(2), mt.tensor([1, 2]))
    x = mt.tensor([0.0, 10.0])
    assert x.lerp_(mt.tensor([10.0, 0.0]), 0.5) is x and x.tolist() == [5.0, 5.0]
    # w >= 0.5 uses end - (end - start) * (1 - w): w = 1 gives `end` exactly, even when
    # start + (end - start) would round to 0 in float32
    assert mt.lerp(mt.tensor([1e8]), mt.tensor([1.0]), 1.0).tolist() == [1.0]
    assert mt.lerp(mt.tensor([1e8]), mt.tensor([1.0]), mt.tensor([1.0])).tolist() == [1.0]
    assert mt.lerp(mt.tensor([1.0]), mt.tensor([1e8]), 0.0).tolist() == [1.0]   # and w = 0


def test_docstring_examples_run():
    """The `>>>` examples in the module's docstrings print what they say."""
    globs = {"tensor": mt.tensor, **{name: getattr(MODULE, name) for name in MODULE.__all__}}
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder().find(MODULE, globs=globs):
        runner.run(test)
    assert runner.tries >= MIN_EXAMPLES and runner.failures == 0
