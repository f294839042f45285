"""where and clamp (minitorch_nn/ops/selection.py), and lerp (ops/ternary_pointwise.py).

Each differentiable op runs through the harness (NumPy, gradcheck, PyTorch); the boundary
rules (clamp's inclusive bounds, where's two branches), result dtypes and error messages are
compared with PyTorch 2.13. Split from tests/ops/test_comparison.py, where the node names and
docstring examples of both families are checked.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from comparison_util import NAN, _same_as_torch, _assert_same_outcome
from op_harness import check_op, make_arrays, requires_torch, torch


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
    assert x.clamp_(0, 1) is x and x.tolist() == [0.0, 0.5, 1.0] and x._version == 1
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
