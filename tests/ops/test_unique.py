"""unique and unique_consecutive (minitorch_nn/ops/unique.py).

Values, inverse indices and counts against a NumPy reference and PyTorch (all three outputs,
shapes and dtypes), over dtypes, dims, 0-size and 0-d inputs, ties, NaN and -0.0; the
return forms (tensor or tuple); the graph node whose backward raises; bad input.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch

NAN = math.nan


def _np_unique(a, dim=None):
    """NumPy's unique with NaN kept apart (each NaN its own value), as PyTorch does."""
    if dim is None:
        values, inverse, counts = np.unique(a, return_inverse=True, return_counts=True,
                                            equal_nan=False)
        return values, inverse.reshape(a.shape), counts
    values, inverse, counts = np.unique(a, return_inverse=True, return_counts=True, axis=dim)
    return values, inverse.reshape(-1), counts


def _np_consecutive(a, dim=None):
    rows = a.reshape(-1, 1) if dim is None else \
        np.moveaxis(a, dim, 0).reshape(a.shape[dim], a.size // max(a.shape[dim], 1))
    first = np.ones(len(rows), bool)
    first[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    keep = np.moveaxis(np.moveaxis(a, dim, 0)[first], 0, dim) if dim is not None \
        else a.reshape(-1)[first]
    inverse = np.cumsum(first) - 1
    counts = np.diff(np.append(np.flatnonzero(first), len(rows)))
    return keep, inverse.reshape(a.shape) if dim is None else inverse, counts


def _ints(shape, seed, high=4, dtype=np.int64):
    return np.random.default_rng(seed).integers(0, high, size=shape).astype(dtype)


CASES = [((10,), None), ((3, 4), None), ((6, 2), 0), ((2, 6), 1), ((3, 5, 2), -2),
         ((0, 3), None), ((0, 3), 0), ((1, 4), 0), ((5,), 0)]


@pytest.mark.parametrize("shape,dim", CASES)
@pytest.mark.parametrize("dtype", [np.int64, np.float32, np.float64, np.uint8, np.bool_])
def test_unique_values_inverse_counts(shape, dim, dtype):
    a = _ints(shape, 1, high=2 if dtype is np.bool_ else 3).astype(dtype)
    check_op(lambda T, x: T.unique(x, return_inverse=True, return_counts=True, dim=dim),
             None, arrays=[a], ref=lambda x: _np_unique(x, dim), grad=False)
    check_op(lambda T, x: x.unique(True, True, True, dim), None, arrays=[a], grad=False,
             ref=lambda x: _np_unique(x, dim))


@pytest.mark.parametrize("shape,dim", CASES)
@pytest.mark.parametrize("dtype", [np.int64, np.float64, np.float16, np.bool_])
def test_unique_consecutive_values_inverse_counts(shape, dim, dtype):
    a = _ints(shape, 2, high=2).astype(dtype)
    check_op(lambda T, x: T.unique_consecutive(x, return_inverse=True, return_counts=True,
                                               dim=dim),
             None, arrays=[a], ref=lambda x: _np_consecutive(x, dim), grad=False)
    check_op(lambda T, x: x.unique_consecutive(return_counts=True, dim=dim), None,
             arrays=[a], ref=lambda x: _np_consecutive(x, dim)[::2], grad=False)


NAN_DATA = [[3.0, 1.0, NAN, 1.0, NAN, 2.0, 3.0, -0.0, 0.0],
            [[NAN, 1.0], [NAN, 1.0], [0.0, -0.0], [-0.0, 0.0], [1.0, 1.0]]]


@requires_torch
@pytest.mark.parametrize("data", NAN_DATA + [
    [3.0, 1.0, 1.0, 2.0, 3.0, -0.0, 0.0], [[0.0, -0.0], [1.0, 2.0], [-0.0, 0.0], [1.0, 1.0]],
    [[2.0, 1.0, 2.0], [0.0, 5.0, 0.0]], 4.0, [],
])
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "float64"])
@pytest.mark.parametrize("fn", ["unique", "unique_consecutive"])
@pytest.mark.parametrize("dim", [None, 0, -1])
def test_ties_nan_and_signed_zero_as_pytorch(data, dtype, fn, dim):
    """PyTorch's unique over slices (dim given) sorts with a comparator that is no strict
    weak order when NaN is present, so its order there is unspecified: not compared."""
    if fn == "unique" and dim is not None and data in NAN_DATA:
        return
    outs = []
    for T in (mt, torch):
        x = T.tensor(data, dtype=getattr(T, dtype))
        if dim is not None and x.ndim == 0:
            continue
        outs.append(getattr(T, fn)(x, return_inverse=True, return_counts=True, dim=dim))
    if not outs:
        return
    for ours, ref in zip(*outs):
        assert tuple(ours.shape) == tuple(ref.shape) and str(ours.dtype) == str(ref.dtype)
        np.testing.assert_array_equal(np.array(ours.float().tolist()),
                                      np.array(ref.float().tolist()))
        # -0.0 kept as PyTorch keeps it (the first of the equal values in sorted order)
        assert np.array_equal(np.signbit(np.array(ours.float().tolist())),
                              np.signbit(np.array(ref.float().tolist())))


def test_return_forms():
    x = mt.tensor([2, 1, 2])
    assert isinstance(mt.unique(x), mt.Tensor)
    assert mt.unique(x).tolist() == [1, 2]
    r = mt.unique(x, return_inverse=True)
    assert type(r) is tuple and len(r) == 2 and r[1].tolist() == [1, 0, 1]
    r = mt.unique(x, return_counts=True)
    assert type(r) is tuple and len(r) == 2 and r[1].tolist() == [1, 2]
    r = mt.unique_consecutive(x, return_inverse=True, return_counts=True)
    assert len(r) == 3 and r[0].tolist() == [2, 1, 2] and r[2].tolist() == [1, 1, 1]
    r = mt.unique(mt.tensor(3.0), return_inverse=True, return_counts=True)
    assert r[0].shape == (1,) and r[1].shape == () and r[2].tolist() == [1]
    # NaN slices stay apart and sort last (PyTorch's order is unspecified there)
    r = mt.unique(mt.tensor([[NAN], [1.0], [NAN]]), dim=0, return_counts=True)
    assert r[1].tolist() == [1, 1, 1] and r[0][0].item() == 1.0 and r[0][1:].isnan().all()
    # sorted=False still sorts (PyTorch's CPU result)
    assert mt.unique(mt.tensor([3, 1, 2, 1]), sorted=False).tolist() == [1, 2, 3]


@requires_torch
@pytest.mark.parametrize("fn,kw,node,aten", [
    ("unique", {}, "Unique2Backward0", "_unique2"),
    ("unique", {"dim": 0}, "UniqueDimBackward0", "unique_dim"),
    ("unique_consecutive", {}, "UniqueConsecutiveBackward0", "unique_consecutive"),
    ("unique_consecutive", {"dim": 0}, "UniqueConsecutiveBackward0", "unique_consecutive"),
])
def test_graph_node_has_no_derivative(fn, kw, node, aten):
    for T in (mt, torch):
        x = T.tensor([3.0, 1.0, 1.0], requires_grad=True)
        out = getattr(T, fn)(x, return_counts=True, **kw)
        assert out[0].requires_grad and out[0].grad_fn.name() == node
        assert not out[1].requires_grad
        with pytest.raises(NotImplementedError, match=f"the derivative for '{aten}'"):
            out[0].sum().backward()


# ------------------------------------------------------------------ bad input
def _same_error(expr, word):
    with pytest.raises(Exception) as ours:
        expr(mt)
    if torch is not None:
        with pytest.raises(Exception) as theirs:
            expr(torch)
        assert ours.type is theirs.type, (ours.value, theirs.value)
    assert word in str(ours.value), str(ours.value)


@pytest.mark.parametrize("expr,word", [
    (lambda T: T.unique(T.tensor([[1, 2]]), dim=2), "Dimension out of range"),
    (lambda T: T.unique(T.tensor([[1, 2]]), dim=-3), "Dimension out of range"),
    (lambda T: T.unique(T.tensor(1.0), dim=0), "no dimensions"),
    (lambda T: T.unique(T.tensor([1.0]), dim=0.0), "'dim'"),
    (lambda T: T.unique(T.tensor([1.0]), sorted="yes"), "'sorted'"),
    (lambda T: T.unique(T.tensor([1.0]), return_counts=1), "'return_counts'"),
    (lambda T: T.unique(T.zeros(0, 3), dim=1), "0 sized dimensions"),
    (lambda T: T.unique(T.tensor([1j])), "ComplexFloat"),
    (lambda T: T.unique(T.tensor([1j]), dim=0), "ComplexFloat"),
    (lambda T: T.unique([1, 2]), "input"),
    (lambda T: T.unique_consecutive(T.tensor([[1, 2]]), dim=2), "Dimension out of range"),
    (lambda T: T.unique_consecutive(T.tensor(1.0), dim=0), "no dimensions"),
    (lambda T: T.unique_consecutive(T.zeros(0, 3), dim=1), "0 sized dimensions"),
    (lambda T: T.unique_consecutive(T.tensor([1j])), "ComplexFloat"),
])
def test_bad_input_raises_as_pytorch(expr, word):
    _same_error(expr, word)
