"""median / nanmedian / mode along a dim, var / std with `correction=`, aminmax, count_nonzero:
the issue 11 checklist (values, indices, keepdim, dtypes, errors, gradients) against NumPy and
PyTorch. The older reduction tests (test_reduction.py) cover ties and named-tuple printing.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch

NAN = math.nan


def _libs():
    return [mt] if torch is None else [mt, torch]


def _lower_median(a, d, keepdim=False):
    """The lower median and its first index in a stable sort (no ties in random data)."""
    order = np.argsort(a, axis=d, kind="stable")
    k = (a.shape[d] - 1) // 2
    idx = np.take(order, [k], axis=d)
    values = np.take_along_axis(a, idx, axis=d)
    return (values, idx) if keepdim else (values.squeeze(d), idx.squeeze(d))


# ====================================================================== median / nanmedian / mode
@pytest.mark.parametrize("fn", ["median", "nanmedian"])
@pytest.mark.parametrize("shape,dim,keepdim", [((5,), 0, False), ((4, 6), 1, False),
                                               ((4, 6), -2, True), ((2, 3, 5), 1, True),
                                               ((1, 4), 0, False), ((3, 0), 0, False),
                                               ((), 0, False), ((), -1, True)])
def test_median_along_dim(fn, shape, dim, keepdim):
    def ref(a):
        if a.ndim == 0:
            return a, np.int64(0)
        return _lower_median(a, dim, keepdim)
    check_op(lambda T, x: tuple(getattr(T, fn)(x, dim, keepdim)), [shape], ref=ref)


@pytest.mark.parametrize("fn", ["median", "nanmedian"])
def test_median_all_elements(fn):
    check_op(lambda T, x: getattr(x, fn)(), [(3, 5)],
             ref=lambda a: np.sort(a.reshape(-1))[(a.size - 1) // 2])


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int16", "float16", "bfloat16",
                                   "float32"])
@pytest.mark.parametrize("expr", ["x.median(1)", "x.nanmedian(0, True)", "x.mode(1)",
                                  "x.mode(0, True)", "x.median()", "T.aminmax(x, dim=1)",
                                  "T.aminmax(x)", "T.count_nonzero(x, 0)"])
def test_dtypes_values_and_indices_match_torch(dtype, expr):
    a = np.random.default_rng(3).integers(0, 4, size=(5, 6))
    outs = []
    for T in _libs():
        x = T.tensor(a.tolist(), dtype=getattr(T, dtype)).t()   # non-contiguous
        out = eval(expr, {"T": T, "x": x})
        outs.append(list(out) if isinstance(out, tuple) else [out])
    if torch is None:
        return
    for mine, theirs in zip(*outs):
        assert str(mine.dtype) == str(theirs.dtype)
        np.testing.assert_array_equal(mine.float().numpy(), theirs.float().numpy())


def test_mode_values_indices_and_gradient():
    a = np.array([[3., 1., 3., 1., 2.], [0., 0., 5., 5., 5.], [7., 6., 5., 4., 3.]])
    # ties: a finite-difference gradcheck would move the mode, so gradients are compared
    # with PyTorch's (and in test_ties_and_nans_gradients_match_torch)
    check_op(lambda T, x: tuple(x.mode(1)), [], arrays=[a], grad=False,
             ref=lambda v: (np.array([1., 5., 3.]), np.array([3, 4, 4])))
    check_op(lambda T, x: tuple(T.mode(x, 0, True)), [], arrays=[a.T.copy()], grad=False)
    x = mt.tensor(a, requires_grad=True)
    (x.mode(1).values * mt.tensor([1., 2., 3.], dtype=mt.float64)).sum().backward()
    expected = np.zeros_like(a)
    expected[0, 3], expected[1, 4], expected[2, 4] = 1., 2., 3.
    np.testing.assert_array_equal(x.grad.numpy(), expected)


@pytest.mark.parametrize("expr", ["x.median(1)", "x.nanmedian(1)", "x.mode(1)", "x.median()",
                                  "x.nanmedian()", "T.aminmax(x, dim=0)", "T.aminmax(x)"])
@requires_torch
def test_ties_and_nans_gradients_match_torch(expr):
    rng = np.random.default_rng(7)
    a = rng.integers(0, 3, size=(6, 5)).astype(float)
    if "mode" not in expr:   # mode's index for NaN follows std::sort's unspecified order
        a[rng.random(a.shape) < 0.2] = NAN
    res = []
    for T in (mt, torch):
        x = T.tensor(a, requires_grad=True)
        out = eval(expr, {"T": T, "x": x})
        outs = list(out) if isinstance(out, tuple) else [out]
        total = sum(((o * (i + 2)).sum() for i, o in enumerate(outs) if o.is_floating_point()),
                    start=T.tensor(0., dtype=T.float64))
        total.backward()
        res.append(([o.detach().numpy() for o in outs], x.grad.numpy()))
    for mine, theirs in zip(res[0][0], res[1][0]):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(res[0][1], res[1][1])


# ====================================================================== var / std
@pytest.mark.parametrize("fn", ["var", "std"])
@pytest.mark.parametrize("dim,correction,keepdim", [(None, 1, False), (1, 0, False),
                                                    ((0, 1), 2, True), (-1, 3, False),
                                                    ([0], 0.5, True), (0, -1, False)])
def test_var_std_correction(fn, dim, correction, keepdim):
    def ref(a):
        axis = tuple(dim) if isinstance(dim, list) else dim
        n = a.size if axis is None else np.prod([a.shape[d] for d in np.atleast_1d(axis)])
        v = np.var(a, axis=axis, keepdims=keepdim) * n / (n - correction)
        return np.sqrt(v) if fn == "std" else v
    check_op(lambda T, x: getattr(T, fn)(x, dim, correction=correction, keepdim=keepdim),
             [(4, 5)], ref=ref)


@pytest.mark.parametrize("fn", ["var_mean", "std_mean"])
def test_var_mean_std_mean_correction(fn):
    check_op(lambda T, x: getattr(T, fn)(x, 1, correction=0, keepdim=True), [(3, 4)],
             ref=lambda a: ((np.var if fn == "var_mean" else np.std)(a, 1, keepdims=True),
                            a.mean(1, keepdims=True)))


@requires_torch
@pytest.mark.parametrize("expr", ["x.var(correction=12)", "x.std(1, correction=4)",
                                  "x.var(0, correction=5)", "s.var()", "s.std(correction=0)",
                                  "e.var(0)", "e.std()", "c.var(correction=0)", "c.std(0)",
                                  "h.var(1)", "bf.std(0, correction=0)",
                                  "x.var(correction=T.tensor(1))"])
def test_var_std_degenerate_and_dtype_cases_match_torch(expr):
    res = []
    for T in (mt, torch):
        env = {"T": T, "x": T.tensor([[1., 3., 2., 3.], [2., 0., 5., 0.], [4., 4., 4., 1.]]),
               "s": T.tensor(2.5), "e": T.zeros(0, 3), "c": T.tensor([1 + 2j, 3j, 2.]),
               "h": T.tensor([[1., 3., 2.], [2., 0., 5.]], dtype=T.float16),
               "bf": T.tensor([[1., 3., 2.], [2., 0., 5.]], dtype=T.bfloat16)}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = eval(expr, env)
        res.append((out, any("degrees of freedom is <= 0" in str(w.message) for w in caught)))
    (mine, mine_warned), (theirs, they_warned) = res
    assert str(mine.dtype) == str(theirs.dtype) and tuple(mine.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(mine.float().numpy(), theirs.float().numpy(), rtol=1e-6,
                               equal_nan=True)
    assert mine_warned == they_warned


# ====================================================================== aminmax / count_nonzero
@pytest.mark.parametrize("shape,dim,keepdim", [((4, 5), None, False), ((4, 5), 1, False),
                                               ((4, 5), -2, True), ((2, 3, 4), 1, False),
                                               ((4, 5), None, True), ((), None, False),
                                               ((), 0, True), ((0, 3), 1, False)])
def test_aminmax(shape, dim, keepdim):
    axis = None if dim is None or len(shape) == 0 else dim
    check_op(lambda T, x: tuple(T.aminmax(x, dim=dim, keepdim=keepdim)), [shape],
             ref=lambda a: (np.min(a, axis=axis, keepdims=keepdim),
                            np.max(a, axis=axis, keepdims=keepdim)))


def test_aminmax_named_tuple_method_and_bool():
    for T in _libs():
        out = T.tensor([[True, False], [True, True]]).aminmax(dim=0)
        assert out.min.tolist() == [True, False] and out.max.tolist() == [True, True]
        assert type(out).__name__ == "aminmax" and out[0] is out.min and out[1] is out.max


@pytest.mark.parametrize("dim", [None, 1, -2, (0, 1), [1], (), (-1, 0)])
def test_count_nonzero(dim):
    a = np.array([[0., 1., 2.], [0., 0., 3.], [NAN, 0., -1.]])
    axis = tuple(dim) if isinstance(dim, (list, tuple)) and dim != () else \
        (None if dim in (None, ()) else dim)
    check_op(lambda T, x: T.count_nonzero(x, dim), [], arrays=[a], grad=False,
             ref=lambda v: np.count_nonzero(v, axis=axis))
    check_op(lambda T, x: x.count_nonzero(dim=dim), [], arrays=[a > 0], grad=False,
             ref=lambda v: np.count_nonzero(v, axis=axis))


def test_count_nonzero_zero_size_and_dtypes():
    for T in _libs():
        assert T.count_nonzero(T.zeros(0, 3), 0).tolist() == [0, 0, 0]
        assert T.count_nonzero(T.zeros(0, 3)).item() == 0
        assert T.count_nonzero(T.tensor([1j, 0, 2])).item() == 2
        assert T.count_nonzero(T.tensor(3.5), 0).item() == 1
        assert T.count_nonzero(T.tensor([3, 0, 3], dtype=T.uint8)).dtype == T.int64


# ====================================================================== errors
@pytest.mark.parametrize("expr,exc,match", [
    ("x.median(2)", IndexError, "Dimension out of range"),
    ("x.median(1.0)", TypeError, "argument 'dim'"),
    ("T.zeros(0, 3).median(-2)", IndexError, "median\\(\\): Expected reduction dim 0 to have "
                                             "non-zero size"),
    ("T.zeros(0, 3).nanmedian(0)", IndexError, "Expected reduction dim 0"),
    ("b.median(0)", NotImplementedError, "\"median_out\" not implemented for 'Bool'"),
    ("b.nanmedian()", NotImplementedError, "\"median_cpu\" not implemented for 'Bool'"),
    ("c.median(0)", NotImplementedError, "\"median_out\" not implemented for 'ComplexFloat'"),
    ("c.nanmedian()", NotImplementedError, "\"median_cpu\" not implemented for 'ComplexFloat'"),
    ("c.mode(0)", NotImplementedError, "\"mode_cpu\" not implemented for 'ComplexFloat'"),
    ("x.mode(2)", IndexError, "Dimension out of range"),
    ("T.zeros(0, 3).mode(0)", IndexError, "mode\\(\\): Expected reduction dim 0 to have non-zero"),
    ("x.var(dim=3)", IndexError, "Dimension out of range"),
    ("i.var(correction=0)", RuntimeError, "std and var only support floating point and complex"),
    ("b.std()", RuntimeError, "std and var only support floating point"),
    ("x.var(1, True, correction=1)", TypeError, None),
    ("x.std(unbiased=1)", TypeError, None),
    ("T.aminmax(x, dim=2)", IndexError, "Dimension out of range"),
    ("T.aminmax(x, 1)", TypeError, None),
    ("T.aminmax(T.zeros(0, 3), dim=-2)", IndexError,
     "aminmax: Expected reduction dim 0 to have non-zero size"),
    ("T.aminmax(T.zeros(0))", RuntimeError, "cannot compute aminmax over an empty dimension"),
    ("T.aminmax(c)", NotImplementedError, "\"aminmax_cpu\" not implemented for 'ComplexFloat'"),
    ("T.count_nonzero(x, 2)", IndexError, "Dimension out of range"),
    ("T.count_nonzero(x, (0, 0))", RuntimeError, "appears multiple times"),
    ("T.count_nonzero(x, 1.0)", TypeError, "count_nonzero\\(\\)"),
    ("T.count_nonzero([1, 2])", TypeError, "count_nonzero\\(\\)"),
])
def test_errors_match_pytorch(expr, exc, match):
    for T in _libs():
        env = {"T": T, "x": T.tensor([[1., 3.], [2., 0.]]), "i": T.tensor([1, 2]),
               "b": T.tensor([True, False]), "c": T.tensor([1j, 2.])}
        with pytest.raises(exc, match=match):
            eval(expr, env)
