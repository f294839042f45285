"""quantile / nanquantile (ops/quantile.py): NumPy references, gradchecks, PyTorch differentials."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch

NAN = math.nan
MODES = ["linear", "lower", "higher", "midpoint", "nearest"]


def _libs():
    return [mt] if torch is None else [mt, torch]


def _np_quantile(a, q, dim, keepdim, mode, nan=False):
    f = np.nanquantile if nan else np.quantile
    if a.ndim == 0:
        return f(a, q, method=mode)
    with warnings.catch_warnings():   # numpy warns about all-NaN slices
        warnings.simplefilter("ignore", RuntimeWarning)
        out = f(a, q, axis=dim, keepdims=keepdim, method=mode)
    if keepdim and dim is None and np.ndim(q):
        out = out.reshape((len(q),) + (1,) * a.ndim)
    return out


# ====================================================================== values and gradients
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,dim,keepdim", [((7,), None, False), ((3, 5), 1, False),
                                               ((3, 5), -2, True), ((2, 3, 4), None, True),
                                               ((2, 3, 4), 1, False), ((1, 4), 0, False),
                                               ((4, 1), 1, True), ((), None, False),
                                               ((), 0, True)])
def test_quantile_float_q(mode, shape, dim, keepdim):
    check_op(lambda T, x: T.quantile(x, 0.3, dim, keepdim, interpolation=mode), [shape],
             ref=lambda a: _np_quantile(a, 0.3, dim, keepdim, mode))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,dim,keepdim", [((6,), 0, False), ((3, 5), 1, True),
                                               ((3, 5), None, True), ((2, 3, 4), -1, False)])
def test_quantile_tensor_q_gradients_for_input_and_q(mode, shape, dim, keepdim):
    x = np.random.default_rng(2).normal(size=shape)
    q = np.array([0.07, 0.31, 0.55, 0.93])   # ranks off the integers: q's gradient is smooth
    check_op(lambda T, a, b: T.quantile(a, b, dim=dim, keepdim=keepdim, interpolation=mode),
             [], arrays=[x, q], grad_inputs=(0, 1) if mode == "linear" else (0,),
             ref=lambda a, b: _np_quantile(a, b, dim, keepdim, mode))
    ends = np.array([0.0, 0.5, 1.0])
    check_op(lambda T, a, b: T.quantile(a, b, dim=dim, keepdim=keepdim, interpolation=mode),
             [], arrays=[x, ends], grad_inputs=(0,),
             ref=lambda a, b: _np_quantile(a, b, dim, keepdim, mode))


@pytest.mark.parametrize("mode", MODES)
def test_nanquantile_matches_numpy_and_torch(mode):
    a = np.random.default_rng(4).normal(size=(4, 6))
    a[0, 1] = a[2, 2] = a[2, 5] = NAN
    a[3] = NAN
    q = np.array([0.2, 0.5, 0.9])
    for dim in (1, None):
        check_op(lambda T, x, b: T.nanquantile(x, b, dim, interpolation=mode), [],
                 arrays=[a, q], grad_inputs=(0, 1) if mode == "linear" else (0,), grad=False,
                 ref=lambda x, b: _np_quantile(x, b, dim, False, mode, nan=True))
    check_op(lambda T, x: x.nanquantile(0.4, dim=0, keepdim=True, interpolation=mode), [],
             arrays=[a[:3]], grad=False)


@requires_torch
@pytest.mark.parametrize("fn", ["quantile", "nanquantile"])
def test_nan_slices_and_gradients_match_torch(fn):
    a = np.array([[1., NAN, 2., 2.], [NAN, NAN, NAN, NAN], [3., 2., 2., 2.], [1., 5., 2., 8.]])
    q = np.array([0.0, 0.3, 0.5])
    g = np.arange(12, dtype=np.float64).reshape(3, 4) - 4
    grads = []
    for T in (mt, torch):
        x, qt = T.tensor(a, requires_grad=True), T.tensor(q, requires_grad=True)
        out = getattr(T, fn)(x, qt, dim=1)
        out.backward(T.tensor(g))
        grads.append((out.detach().numpy(), x.grad.numpy(), qt.grad.numpy()))
    for mine, theirs in zip(*grads):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, equal_nan=True)


@requires_torch
def test_ties_and_infinities_match_torch():
    cases = [([2., 2., 2., 1.], [0.1, 0.6]), ([1., 2., 2., 2., 3.], [0.5]),
             ([1., math.inf, 2.], [0.75, 0.25]), ([-math.inf, 0., math.inf], [0.5, 0.0])]
    for data, q in cases:
        for mode in MODES:
            res = []
            for T in (mt, torch):
                x = T.tensor(data, requires_grad=True)
                out = T.quantile(x, T.tensor(q), interpolation=mode)
                out.sum().backward()
                res.append((out.detach().numpy(), x.grad.numpy()))
            np.testing.assert_array_equal(res[0][0], res[1][0])
            np.testing.assert_array_equal(res[0][1], res[1][1])


def test_float32_dtype_grad_fn_and_method():
    check_op(lambda T, x: x.quantile(0.25, dim=0), [(5, 3)], dtype=np.float32,
             ref=lambda a: np.quantile(a, 0.25, axis=0).astype(np.float32), atol=1e-6)
    x = mt.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    out = mt.quantile(x, mt.tensor([0.5]), 1)
    assert out.dtype == mt.float32 and out.shape == (1, 2)
    assert out.grad_fn.name() == "SqueezeBackward4"
    if torch is not None:
        assert torch.quantile(torch.tensor([[1., 2.]], requires_grad=True), 0.5) \
            .grad_fn.name() == out.grad_fn.name()


def test_int_and_bool_q_and_empty_q():
    for T in _libs():
        x = T.tensor([[1., 5., 2.], [3., 0., 4.]])
        assert T.quantile(x, 1).item() == 5.
        assert T.quantile(x, True, dim=1).tolist() == [5., 4.]
        assert tuple(T.quantile(x, T.tensor([]), dim=1).shape) == (0, 2)
        assert tuple(T.quantile(x, T.tensor(0.5), keepdim=True).shape) == (1, 1)


# ====================================================================== errors
@pytest.mark.parametrize("expr,exc,match", [
    ("T.quantile(x, 1.5)", RuntimeError, r"q must be in the range \[0, 1\] but got 1.5"),
    ("T.nanquantile(x, -0.1)", RuntimeError, r"q must be in the range \[0, 1\] but got -0.1"),
    ("T.quantile(x, float('nan'))", RuntimeError, r"q must be in the range \[0, 1\] but got nan"),
    ("T.quantile(i, 1.5)", RuntimeError, r"q must be in the range \[0, 1\]"),
    ("T.quantile(x, T.tensor([0.2, 1.5]))", RuntimeError, r"q values must be in the range"),
    ("T.quantile(x, 0.5, interpolation='foo')", RuntimeError,
     "interpolation must be one of linear, lower, higher, midpoint or nearest, but got foo"),
    ("T.quantile(i, 0.5, interpolation='foo')", RuntimeError, "interpolation must be one of"),
    ("T.quantile(i, 0.5)", RuntimeError, "input tensor must be either float or double dtype"),
    ("T.nanquantile(x.half(), 0.5)", RuntimeError, "must be either float or double dtype"),
    ("T.quantile(x, T.tensor([0.5], dtype=T.float64))", RuntimeError,
     "q tensor must be same dtype as the input tensor"),
    ("T.quantile(x, T.tensor([[0.5]]))", RuntimeError, "q must be a scalar or 1D tensor"),
    ("T.quantile(i, T.tensor([[0.5]]))", RuntimeError, "q must be a scalar or 1D tensor"),
    ("T.quantile(T.zeros(0), 0.5)", RuntimeError, "input tensor must be non-empty"),
    ("T.quantile(T.zeros(0, 3), 0.5, dim=1)", RuntimeError, "input tensor must be non-empty"),
    ("T.quantile(x, 0.5, dim=2)", IndexError, "Dimension out of range"),
    ("T.quantile(x, 0.5, dim=(0, 1))", TypeError, "quantile\\(\\)"),
    ("T.quantile(x, [0.5])", TypeError, "quantile\\(\\)"),
    ("T.quantile(x, 0.5, interpolation=3)", TypeError, "quantile\\(\\)"),
])
def test_errors_match_pytorch(expr, exc, match):
    for T in _libs():
        env = {"T": T, "x": T.tensor([[1., 3.], [2., 0.]]), "i": T.tensor([1, 2])}
        with pytest.raises(exc, match=match):
            eval(expr, env)
