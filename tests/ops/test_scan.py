"""cummax, cummin, logcumsumexp (ops/scan.py): NumPy references, gradchecks, PyTorch differentials.

cumsum/cumprod are tested with the other reductions in test_reduction.py.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch

NAN = math.nan
INF = math.inf


def _libs():
    return [mt] if torch is None else [mt, torch]


# ====================================================================== NumPy references
def _np_cumext(a, d, is_max):
    """PyTorch's rule written out slowly: NaN or >= (<=) replaces the running extreme."""
    a = np.moveaxis(np.asarray(a), d, -1)
    values, idx = a.copy(), np.zeros(a.shape, np.int64)
    for pos in np.ndindex(a.shape[:-1]):
        best, at = (a[pos + (0,)] if a.shape[-1] else None), 0
        for j in range(a.shape[-1]):
            v = a[pos + (j,)]
            better = v >= best if is_max else v <= best
            if np.isnan(v) or (not np.isnan(best) and better):
                best, at = v, j
            values[pos + (j,)], idx[pos + (j,)] = best, at
    return np.moveaxis(values, -1, d), np.moveaxis(idx, -1, d)


def _np_logcumsumexp(a, d):
    with np.errstate(all="ignore"):
        return np.log(np.cumsum(np.exp(np.asarray(a, np.float64)), axis=d))


# ====================================================================== cummax / cummin
@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 1), ((3, 4), -2), ((2, 3, 4), 1),
                                       ((2, 0, 3), 2), ((2, 0, 3), 1), ((1, 4), 0), ((), 0)])
def test_cummax_cummin_values_indices_grads(name, shape, dim):
    is_max = name == "cummax"
    check_op(lambda T, x: tuple(getattr(T, name)(x, dim)), [shape],
             ref=lambda a: _np_cumext(a.reshape(a.shape or (1,)), dim if a.ndim else 0,
                                      is_max) if a.ndim else (a, np.int64(0)))


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_method_form_float32(name):
    check_op(lambda T, x: tuple(getattr(x, name)(-1)), [(3, 5)], dtype=np.float32,
             ref=lambda a: _np_cumext(a, -1, name == "cummax"), atol=1e-5)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("data", [
    [1., 3., 3., 2., 3., NAN, 1., NAN, 5.],
    [3., 1., 1., 2., 1., 1.],
    [NAN, NAN, 0., NAN],
    [-INF, INF, INF, -INF, 2.],
    [[2., 2., 1.], [2., NAN, 2.], [1., 2., 2.]],
])
def test_ties_and_nans_pick_pytorchs_indices_and_gradients(name, data):
    a = np.asarray(data, np.float64)
    for d in range(a.ndim):
        ref_values, ref_idx = _np_cumext(a, d, name == "cummax")
        x = mt.tensor(a, requires_grad=True)
        out = getattr(mt, name)(x, d)
        np.testing.assert_array_equal(out.indices.numpy(), ref_idx)
        np.testing.assert_array_equal(out.values.detach().numpy(), ref_values)
        (out.values * mt.arange(a.size, dtype=mt.float64).reshape(a.shape)).sum().backward()
        if torch is not None:
            tx = torch.tensor(a, requires_grad=True)
            tout = getattr(torch, name)(tx, d)
            np.testing.assert_array_equal(out.indices.numpy(), tout.indices.numpy())
            (tout.values * torch.arange(a.size, dtype=torch.float64).reshape(a.shape)).sum() \
                .backward()
            np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int8", "bool", "float16",
                                   "bfloat16"])
def test_integer_bool_half_dtypes(name, dtype):
    rng = np.random.default_rng(1)
    base = rng.integers(0, 4, size=(4, 6))
    for T in _libs():
        x = T.tensor(base.tolist(), dtype=getattr(T, dtype))
        out = getattr(T, name)(x.t(), 1)   # non-contiguous
        if T is mt:
            mine = out
        else:
            assert str(mine.values.dtype) == str(out.values.dtype)
            assert mine.indices.dtype == mt.int64
            np.testing.assert_array_equal(mine.values.float().numpy(), out.values.float().numpy())
            np.testing.assert_array_equal(mine.indices.numpy(), out.indices.numpy())
    ref_idx = _np_cumext(base.T.astype(np.float64) if dtype != "bool"
                         else base.T.astype(bool), 1, name == "cummax")[1]
    np.testing.assert_array_equal(mine.indices.numpy(), ref_idx)


def test_half_gradient_and_grad_fn_names():
    for T in _libs():
        x = T.tensor([[1., 4., 2.], [3., 3., 0.]], dtype=T.float16, requires_grad=True)
        mx, mn = T.cummax(x, 1), T.cummin(x, 0)
        assert mx.values.grad_fn.name() == "CummaxBackward0"
        assert mn.values.grad_fn.name() == "CumminBackward0"
        assert not mx.indices.requires_grad
        (mx.values.sum() + 2 * mn.values.sum()).backward()
        assert x.grad.dtype == T.float16
        if T is mt:
            mine = x.grad.float().numpy()
    if torch is not None:
        np.testing.assert_array_equal(mine, x.grad.float().numpy())


def test_named_tuple_type_and_repr():
    x = mt.tensor([2., 1., 3.])
    out = mt.cummax(x, 0)
    values, indices = out
    assert type(out).__name__ == "cummax" and out.values is values and out[1] is indices
    assert repr(mt.cummin(x, 0)).startswith("torch.return_types.cummin(\nvalues=tensor(")
    if torch is not None:
        assert repr(out) == repr(torch.cummax(torch.tensor([2., 1., 3.]), 0))


def test_large_rows_use_the_same_rule_as_the_doubling_scan():
    """The Numba kernel (float32/64) and the array doubling scan (int) agree on long rows."""
    rng = np.random.default_rng(3)
    a = rng.integers(-5, 5, size=(7, 300))
    for name in ("cummax", "cummin"):
        f = getattr(mt, name)(mt.tensor(a.astype(np.float64)), 1)
        i = getattr(mt, name)(mt.tensor(a), 1)
        np.testing.assert_array_equal(f.indices.numpy(), i.indices.numpy())
        np.testing.assert_array_equal(f.values.numpy(), i.values.numpy())
        np.testing.assert_array_equal(i.indices.numpy(), _np_cumext(a, 1, name == "cummax")[1])


# ====================================================================== logcumsumexp
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 1), ((3, 4), -2), ((2, 3, 4), 0),
                                       ((2, 0, 3), 2), ((1, 4), 0), ((4, 1), 1), ((), 0),
                                       ((), -1)])
def test_logcumsumexp(shape, dim):
    check_op(lambda T, x: T.logcumsumexp(x, dim), [shape],
             ref=lambda a: _np_logcumsumexp(a, dim) if a.ndim else a)


def test_logcumsumexp_method_float32_and_large_values():
    check_op(lambda T, x: x.logcumsumexp(0), [(6, 3)], dtype=np.float32, low=-5, high=5,
             ref=lambda a: _np_logcumsumexp(a, 0), atol=1e-5)
    big = np.array([[1000., -1000., 999., -INF], [-1000., -1001., 1e-3, 50.]])
    for T in _libs():
        x = T.tensor(big, requires_grad=True)
        out = T.logcumsumexp(x, 1)
        out.backward(T.tensor([[1., -2., 0.5, 3.], [2., 1., -1., 0.]], dtype=T.float64))
        if T is mt:
            mine, mine_grad = out.detach().numpy(), x.grad.numpy()
    assert np.isfinite(mine).all()
    assert mine[0, 2] == pytest.approx(1000 + math.log1p(math.exp(-1)))
    assert mine[1, 0] == -1000 and np.isfinite(mine_grad).all()
    if torch is not None:
        np.testing.assert_allclose(mine, out.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(mine_grad, x.grad.numpy(), rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("data", [[-INF, -INF, 1.], [INF, 1., INF], [1., NAN, 2.],
                                  [-INF, 2., -INF, NAN]])
def test_logcumsumexp_special_values(data):
    for T in _libs():
        out = T.logcumsumexp(T.tensor(data, dtype=T.float64), 0)
        if T is mt:
            mine = out.numpy()
    expected = out.numpy() if torch is not None else _np_logcumsumexp(np.asarray(data), 0)
    np.testing.assert_array_equal(mine, expected)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_logcumsumexp_half_rounds_once(dtype):
    a = np.linspace(-3, 3, 12).reshape(3, 4)
    x = mt.tensor(a.tolist(), dtype=getattr(mt, dtype))
    out = mt.logcumsumexp(x, 1)
    assert out.dtype == getattr(mt, dtype)
    exact = _np_logcumsumexp(x.float().numpy().astype(np.float64), 1)
    expected = mt.tensor(exact.tolist()).to(getattr(mt, dtype)).float().numpy()
    np.testing.assert_array_equal(out.float().numpy(), expected)
    if torch is not None:
        th = torch.logcumsumexp(torch.tensor(a.tolist(), dtype=getattr(torch, dtype)), 1)
        np.testing.assert_array_equal(out.float().numpy(), th.float().numpy())


@requires_torch
def test_logcumsumexp_complex_values_and_gradient():
    rng = np.random.default_rng(5)
    a = rng.normal(size=(3, 4)) + 1j * rng.normal(size=(3, 4))
    g = rng.normal(size=(3, 4)) + 1j * rng.normal(size=(3, 4))
    for T in (mt, torch):
        x = T.tensor(a, requires_grad=True)
        out = T.logcumsumexp(x, 1)
        out.backward(T.tensor(g))
        if T is mt:
            mine, mine_grad = out.detach().numpy(), x.grad.numpy()
            assert out.grad_fn.name() == "LogcumsumexpBackward0"
    np.testing.assert_allclose(mine, out.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(mine_grad, x.grad.resolve_conj().numpy(), rtol=1e-9)
    ref = np.log(np.cumsum(np.exp(a), axis=1))   # same branch of log where imag parts are small
    np.testing.assert_allclose(np.exp(mine), np.exp(ref), rtol=1e-10)


# ====================================================================== errors
@pytest.mark.parametrize("expr,exc,match", [
    ("T.cummax(x, 2)", IndexError, "Dimension out of range"),
    ("T.cummin(x, -3)", IndexError, "Dimension out of range"),
    ("T.logcumsumexp(x, 2)", IndexError, "Dimension out of range"),
    ("T.cummax(x)", TypeError, "dim"),
    ("T.logcumsumexp(x)", TypeError, "dim"),
    ("T.cummax(x, 1.0)", TypeError,
     "argument 'dim' (\\(position 2\\) )?must be int, not float"),
    ("T.logcumsumexp(x, dim=True)", TypeError, "argument 'dim' must be int, not bool"),
    ("T.cummax(c, 0)", NotImplementedError, "\"cummax_cpu\" not implemented for "
                                            "'ComplexFloat'"),
    ("c.cummin(0)", NotImplementedError, "\"cummin_cpu\" not implemented for 'ComplexFloat'"),
    ("T.logcumsumexp(i, 0)", NotImplementedError, "not implemented for 'Long'"),
    ("b.logcumsumexp(0)", NotImplementedError, "not implemented for 'Bool'"),
    ("T.cummax([1., 2.], 0)", TypeError, "cummax\\(\\): argument 'input'"),
])
def test_errors_match_pytorch(expr, exc, match):
    for T in _libs():
        env = {"T": T, "x": T.tensor([[1., 3.], [2., 0.]]), "i": T.tensor([1, 2]),
               "b": T.tensor([True, False]), "c": T.tensor([1j, 2.])}
        with pytest.raises(exc, match=match):
            eval(expr, env)
