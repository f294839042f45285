"""searchsorted, bucketize, histc, histogram, bincount (minitorch_nn/ops/binning.py).

NumPy references where NumPy agrees with PyTorch (no NaN boundaries), PyTorch differentials
everywhere (values and dtypes, NaN in values and boundaries, elements on bin edges, N-D
boundaries, sorter), PyTorch's NotImplemented graph node, and bad input.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch

NAN, INF = math.nan, math.inf


def _sorted(shape, seed=0, dtype=np.float64):
    a = np.random.default_rng(seed).integers(-5, 6, size=shape).astype(dtype)
    return np.sort(a, axis=-1)


def _vals(shape, seed=1, dtype=np.float64):
    return np.random.default_rng(seed).integers(-6, 7, size=shape).astype(dtype) / 1.0


def _np_search(bd, v, side):
    if bd.ndim == 1:
        return np.searchsorted(bd, v, side=side)
    rows = bd.reshape(-1, bd.shape[-1])
    vals = v.reshape(len(rows), -1)
    return np.stack([np.searchsorted(r, x, side=side) for r, x in zip(rows, vals)]).reshape(
        v.shape)


# ------------------------------------------------------------------ searchsorted / bucketize
@pytest.mark.parametrize("bd_shape,v_shape", [((6,), (4,)), ((6,), (3, 4)), ((6,), ()),
                                              ((2, 5), (2, 3)), ((2, 3, 5), (2, 3, 4)),
                                              ((0,), (3,)), ((6,), (0, 2)), ((1,), (2, 2))])
@pytest.mark.parametrize("right", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.float16])
def test_searchsorted_against_numpy_and_pytorch(bd_shape, v_shape, right, dtype):
    arrays = [_sorted(bd_shape, dtype=dtype), _vals(v_shape, dtype=dtype)]
    side = "right" if right else "left"
    check_op(lambda T, b, v: T.searchsorted(b, v, right=right), None, arrays=arrays,
             ref=lambda b, v: _np_search(b, v, side), grad=False)
    check_op(lambda T, b, v: T.searchsorted(b, v, side=side, out_int32=True), None,
             arrays=arrays, ref=lambda b, v: _np_search(b, v, side), grad=False)


@pytest.mark.parametrize("right", [False, True])
def test_bucketize_against_numpy_and_pytorch(right):
    arrays = [_vals((3, 4)), _sorted((5,))]
    side = "right" if right else "left"
    check_op(lambda T, v, b: T.bucketize(v, b, right=right), None, arrays=arrays,
             ref=lambda v, b: np.searchsorted(b, v, side=side), grad=False)
    check_op(lambda T, v, b: T.bucketize(v, b, out_int32=True, right=right), None,
             arrays=arrays, ref=lambda v, b: np.searchsorted(b, v, side=side), grad=False)


def _same(expr):
    ours, ref = expr(mt), expr(torch)
    assert str(ours.dtype) == str(ref.dtype) and tuple(ours.shape) == tuple(ref.shape)
    np.testing.assert_array_equal(np.array(ours.tolist(), dtype=np.float64),
                                  np.array(ref.tolist(), dtype=np.float64))
    return ours


@requires_torch
@pytest.mark.parametrize("expr", [
    lambda T: T.searchsorted(T.tensor([1.0, 3.0, NAN]), T.tensor([NAN, 4.0, 0.0, 3.0])),
    lambda T: T.searchsorted(T.tensor([1.0, 3.0, NAN]), T.tensor([NAN, 4.0, 3.0]), right=True),
    lambda T: T.searchsorted(T.tensor([[1.0, NAN, 2.0], [0.0, 1.0, 1.0]]),
                             T.tensor([[1.5, NAN], [1.0, 2.0]])),
    lambda T: T.searchsorted(T.tensor([1.0, 3.0, 5.0]), T.tensor([INF, -INF, 5.0])),
    lambda T: T.searchsorted(T.tensor([5.0, 1.0, 3.0]), T.tensor([2.0, 4.0, 6.0]),
                             sorter=T.tensor([1, 2, 0])),
    lambda T: T.searchsorted(T.tensor([[5, 1, 3], [0, 2, 1]]), T.tensor([[2, 4], [1, 1]]),
                             sorter=T.tensor([[1, 2, 0], [0, 2, 1]]), side="right"),
    lambda T: T.searchsorted(T.tensor([1, 5]), T.tensor([1.5, 2.0], dtype=T.float64)),
    lambda T: T.searchsorted(T.tensor([1.0, 2.5]), 2),
    lambda T: T.searchsorted(T.tensor([1, 3]), 2.5, right=True),
    lambda T: T.searchsorted(T.tensor([1, 3]), T.tensor(2.5)),
    lambda T: T.searchsorted(T.tensor([1.0, 3.0]).bfloat16(), T.tensor([1.0, 2.0]).bfloat16()),
    lambda T: T.searchsorted(T.tensor([1, 3], dtype=T.uint8), T.tensor([2], dtype=T.int8)),
    lambda T: T.searchsorted(T.tensor([1.0, 3.0]), T.tensor([3.0]), right=True, side="right"),
    lambda T: T.searchsorted(T.tensor([1.0, 3.0]), T.tensor([3.0]), right=False, side="right"),
    lambda T: T.bucketize(2, T.tensor([1.0, 2.0, 3.0])),
    lambda T: T.bucketize(T.tensor([1, 5]), T.tensor([1.5, 2.0])),
    lambda T: T.bucketize(T.tensor([NAN, 2.0]), T.tensor([1.0, NAN]), right=True),
])
def test_searchsorted_nan_sorter_dtypes_as_pytorch(expr):
    _same(expr)


# ------------------------------------------------------------------ histc
@requires_torch
@pytest.mark.parametrize("data,kw", [
    ([1.0, 2, 1, 4, 2.5, NAN, -1, 5], {"bins": 4, "min": 0, "max": 3}),
    ([1.0, 2, 1], {"bins": 4}),
    ([1.0, 1, 1], {"bins": 4}),
    ([0.0, 1, 2, 3, 0.9999999, 2.9999998], {"bins": 3, "min": 0, "max": 3}),
    ([[1.0, 2], [1, 0]], {"bins": 3}),
    ([], {"bins": 3}),
    (7.0, {"bins": 2}),
    ([0.1 * i for i in range(31)], {"bins": 7}),
    ([0.1 * i for i in range(31)], {"bins": 10, "min": 0.3, "max": 2.1}),
])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_histc_as_pytorch(data, kw, dtype):
    _same(lambda T: T.histc(T.tensor(data, dtype=getattr(T, dtype)), **kw))
    _same(lambda T: T.tensor(data, dtype=getattr(T, dtype)).histc(**kw))


def test_histc_against_numpy_and_needs_no_grad():
    a = np.random.default_rng(0).uniform(-2, 2, size=(4, 5))
    check_op(lambda T, x: T.histc(x, 6, -2, 2), [(4, 5)], arrays=[a], grad=False,
             ref=lambda x: np.histogram(x, 6, range=(-2, 2))[0].astype(np.float64))
    x = mt.tensor(a, requires_grad=True)
    out = mt.histc(x, bins=3)
    assert not out.requires_grad and out.grad_fn is None


# ------------------------------------------------------------------ histogram
@requires_torch
@pytest.mark.parametrize("data,args,kw", [
    ([1.0, 2, 1, 3], (4,), {"range": (0.0, 3.0)}),
    ([1.0, 2, 1, 3], (2,), {"weight": [1.0, 2, 4, 8]}),
    ([1.0, 2, 1, 3], (2,), {"density": True}),
    ([1.0, 2, 1, 3], ([0.0, 1.5, 3.0],), {}),
    ([1.0, 2, 1, 3], ([0.0, 1.0, 3.0],), {"density": True, "weight": [1.0, 1, 2, 0.5]}),
    ([1.0, 2.0], ([2.0, 0.0, 3.0],), {}),
    ([[1.0, 2], [3, 4]], (2,), {}),
    ([], (3,), {}),
    ([], (3,), {"density": True}),
    ([1.0, 1.0], (2,), {}),
    ([0.0, 1, 2, 3, 0.9999999, 2.9999998, NAN], (3,), {"range": (0.0, 3.0)}),
    ([0.1 * i for i in range(31)], (7,), {}),
    ([0.1 * i for i in range(31)], (), {}),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_histogram_as_pytorch(data, args, kw, dtype):
    def run(T):
        dt = getattr(T, dtype)
        bins = [T.tensor(a, dtype=dt) if isinstance(a, list) else a for a in args]
        kws = {k: T.tensor(v, dtype=dt) if k == "weight" else v for k, v in kw.items()}
        return T.histogram(T.tensor(data, dtype=dt), *bins, **kws)
    ours, ref = run(mt), run(torch)
    assert type(ours) is mt.return_types.histogram and ours.hist is ours[0]
    for o, r in zip(ours, ref):
        assert str(o.dtype) == str(r.dtype) and tuple(o.shape) == tuple(r.shape)
        np.testing.assert_allclose(np.array(o.tolist()), np.array(r.tolist()), rtol=1e-6,
                                   equal_nan=True)


def test_histogram_against_numpy():
    a = np.random.default_rng(2).uniform(-1, 3, size=(6, 3))
    w = np.random.default_rng(3).uniform(0, 1, size=(6, 3))
    check_op(lambda T, x: T.histogram(x, 5), None, arrays=[a], grad=False,
             ref=lambda x: np.histogram(x, 5))
    check_op(lambda T, x, y: x.histogram(4, range=(0.0, 2.0), weight=y, density=True), None,
             arrays=[a, w], grad=False,
             ref=lambda x, y: np.histogram(x, 4, range=(0, 2), weights=y, density=True))


@requires_torch
@pytest.mark.parametrize("fn,aten", [
    (lambda T, x: T.histogram(x, 2).hist, "histogram"),
    (lambda T, x: T.bincount(T.tensor([0, 1, 1]), x), "bincount"),
])
def test_no_derivative_node_as_pytorch(fn, aten):
    for T in (mt, torch):
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        out = fn(T, x)
        assert out.grad_fn.name() == "torch::autograd::NotImplemented"
        assert "grad_fn=<NotImplemented>" in repr(out)
        with pytest.raises(RuntimeError, match=f"derivative for aten::{aten} is not implemented"):
            out.sum().backward()


# ------------------------------------------------------------------ bincount
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.int8, np.int16])
@pytest.mark.parametrize("minlength", [0, 3, 12])
def test_bincount_against_numpy_and_pytorch(dtype, minlength):
    a = np.random.default_rng(4).integers(0, 8, size=10).astype(dtype)
    w = np.random.default_rng(5).uniform(-1, 1, size=10)
    check_op(lambda T, x: T.bincount(x, minlength=minlength), None, arrays=[a],
             ref=lambda x: np.bincount(x, minlength=minlength), grad=False)
    check_op(lambda T, x, y: x.bincount(y, minlength), None, arrays=[a, w], grad=False,
             ref=lambda x, y: np.bincount(x, weights=y, minlength=minlength))


@requires_torch
@pytest.mark.parametrize("expr", [
    lambda T: T.bincount(T.tensor([1, 3, 1, 0]), T.tensor([1.0, 2, 3, 4])),
    lambda T: T.bincount(T.tensor([1, 3, 1, 0]), T.tensor([1, 2, 3, 4])),
    lambda T: T.bincount(T.tensor([1, 3, 1, 0]), T.tensor([1.0, 2, 3, 4]).half()),
    lambda T: T.bincount(T.tensor([1, 3, 1, 0]), T.tensor([True, False, True, True])),
    lambda T: T.bincount(T.tensor([1, 3, 1, 0]), T.tensor([1.0, 2, 3, 4], dtype=T.float64)),
    lambda T: T.bincount(T.tensor([], dtype=T.int64)),
    lambda T: T.bincount(T.tensor([], dtype=T.int64), minlength=3),
    lambda T: T.bincount(T.tensor([], dtype=T.int64), T.tensor([])),
    lambda T: T.bincount(T.tensor([2], dtype=T.int64), None, 1),
])
def test_bincount_dtypes_as_pytorch(expr):
    _same(expr)


# ------------------------------------------------------------------ bad input
def _same_error(expr, word):
    with pytest.raises(Exception) as ours:
        expr(mt)
    if torch is not None:
        with pytest.raises(Exception) as theirs:
            expr(torch)
        assert ours.type is theirs.type, (ours.value, theirs.value)
    assert word in str(ours.value), str(ours.value)


S = [1.0, 3.0, 5.0]


@pytest.mark.parametrize("expr,word", [
    (lambda T: T.searchsorted(T.tensor(S), T.tensor([2.0]), right=True, side="left"), "side"),
    (lambda T: T.searchsorted(T.tensor(S), T.tensor([2.0]), side="middle"), "side"),
    (lambda T: T.searchsorted(T.tensor([[1.0, 2], [3, 4]]), T.tensor([[1.0], [2], [3]])),
     "boundaries tensor [2, 2]"),
    (lambda T: T.searchsorted(T.tensor([[1.0, 2], [3, 4]]), T.tensor([1.0, 2.0])), "[2]"),
    (lambda T: T.searchsorted(T.tensor([[1.0, 2], [3, 4]]), 1.0), "scalar"),
    (lambda T: T.searchsorted(T.tensor(1.0), T.tensor([1.0])), "0 dimension"),
    (lambda T: T.searchsorted(T.tensor(S), T.tensor([1.0]), sorter=T.tensor([0, 1])),
     "sorter"),
    (lambda T: T.searchsorted(T.tensor(S), T.tensor([1.0]), sorter=T.tensor([0, 1, 3])),
     "out of range"),
    (lambda T: T.searchsorted(T.tensor(S), T.tensor([1.0]), sorter=T.tensor([0.0, 1, 2])),
     "long"),
    (lambda T: T.searchsorted(T.tensor([False, True]), T.tensor([True])), "Bool"),
    (lambda T: T.searchsorted(T.tensor([1j]), T.tensor([1j])), "Complex"),
    (lambda T: T.searchsorted(T.tensor(S), T.tensor([1.0]), True), "positional"),
    (lambda T: T.searchsorted(S, T.tensor([1.0])), "sorted_sequence"),
    (lambda T: T.bucketize(T.tensor([1.0]), T.tensor([[1.0, 2.0]])), "dim(2)"),
    (lambda T: T.bucketize(T.tensor([1.0]), T.tensor(1.0)), "dim(0)"),
    (lambda T: T.histc(T.tensor([1, 2]), 3), "Long"),
    (lambda T: T.histc(T.tensor([1.0, 2]), 0), "bins must be > 0"),
    (lambda T: T.histc(T.tensor([1.0, 2]), 3.0), "'bins'"),
    (lambda T: T.histc(T.tensor([1.0, 2]), 3, 3, 1), "max must be larger than min"),
    (lambda T: T.histc(T.tensor([1.0, INF]), 3), "not finite"),
    (lambda T: T.histc(T.tensor([1.0, NAN]), 3), "not finite"),
    (lambda T: T.histc(T.tensor([1.0]), 3, 0, INF), "not finite"),
    (lambda T: T.histogram(T.tensor([1, 2]), 2), "Long"),
    (lambda T: T.histogram(T.tensor([1.0, 2]).half(), 2), "Half"),
    (lambda T: T.histogram(T.tensor([1.0, 2]), 0), "bins must be > 0"),
    (lambda T: T.histogram(T.tensor([1.0, 2]), -3), "bins must be > 0"),
    (lambda T: T.histogram(T.tensor([1.0, 2]), 2.0), "bins"),
    (lambda T: T.histogram(T.tensor([1.0, 2]), 2, range=(3.0, 1.0)), "min should not exceed"),
    (lambda T: T.histogram(T.tensor([1.0, 2]), 2, range=(1.0,)), "2 elements"),
    (lambda T: T.histogram(T.tensor([1.0, NAN]), 2), "not finite"),
    (lambda T: T.histogram(T.tensor([1.0, 2]), 2, weight=T.tensor([1.0])), "shape"),
    (lambda T: T.histogram(T.tensor([1.0, 2]), 2, weight=T.tensor([1, 2])), "dtype"),
    (lambda T: T.histogram(T.tensor([1.0, 2]), T.tensor([[0.0, 1.0]])), "one dimension"),
    (lambda T: T.histogram(T.tensor([1.0, 2]), T.tensor([0.0, 1], dtype=T.float64)), "dtype"),
    (lambda T: T.histogram(T.tensor([1.0, 2]), T.tensor([2.0])), "bins must be > 0"),
    (lambda T: T.histogram(T.tensor([1.0]), T.tensor([0.0, 1.0]), range=(0.0, 1.0)), "range"),
    (lambda T: T.bincount(T.tensor([1, -1])), "non-negative"),
    (lambda T: T.bincount(T.tensor([[1, 1]])), "1-d"),
    (lambda T: T.bincount(T.tensor(1)), "1-d"),
    (lambda T: T.bincount(T.tensor([1.0, 2.0])), "Float"),
    (lambda T: T.bincount(T.tensor([True])), "Bool"),
    (lambda T: T.bincount(T.tensor([1, 2]), minlength=-1), "minlength"),
    (lambda T: T.bincount(T.tensor([1, 2]), minlength=2.0), "'minlength'"),
    (lambda T: T.bincount(T.tensor([1, 2]), T.tensor([1.0])), "weights"),
    (lambda T: T.bincount(T.tensor([1, 2]), T.ones(2, 1)), "weights"),
])
def test_bad_input_raises_as_pytorch(expr, word):
    _same_error(expr, word)
