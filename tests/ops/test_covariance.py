"""cov / corrcoef (ops/covariance.py): NumPy references, gradchecks, PyTorch differentials."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch


def _libs():
    return [mt] if torch is None else [mt, torch]


def _np_cov(a, correction=1, fweights=None, aweights=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.cov(a, ddof=correction, fweights=fweights, aweights=aweights)


# ====================================================================== cov
@pytest.mark.parametrize("shape", [(3, 5), (1, 4), (4, 2), (6,), (2, 7)])
@pytest.mark.parametrize("correction", [1, 0, 2])
def test_cov_values_and_gradients(shape, correction):
    if shape[-1] <= correction:   # degenerate: tested against PyTorch below
        correction = 0
    check_op(lambda T, x: T.cov(x, correction=correction), [shape],
             ref=lambda a: _np_cov(a, correction))


def test_cov_method_float32_and_int_input():
    check_op(lambda T, x: x.cov(), [(3, 6)], dtype=np.float32,
             ref=lambda a: _np_cov(a).astype(np.float32), atol=1e-5)
    a = np.random.default_rng(0).integers(-4, 5, size=(3, 5))
    check_op(lambda T, x: T.cov(x), [], arrays=[a], ref=lambda v: _np_cov(v), atol=1e-5)
    check_op(lambda T, x: T.cov(x), [], arrays=[a.astype(np.int8)], ref=lambda v: _np_cov(v),
             atol=1e-5)


@pytest.mark.parametrize("correction", [0, 1, 3])
@pytest.mark.parametrize("which", ["f", "a", "fa"])
def test_cov_weights_and_their_gradients(which, correction):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 6))
    fw = rng.integers(0, 4, size=6)
    fw[0] = 2
    aw = rng.uniform(0.1, 2.0, size=6)

    def fn(T, a, w):
        kw = {"correction": correction}
        if "f" in which:
            kw["fweights"] = T.tensor(fw.tolist(), device=a.device)
        if "a" in which:
            kw["aweights"] = w
        return T.cov(a, **kw)

    check_op(fn, [], arrays=[x, aw], grad_inputs=(0, 1) if "a" in which else (0,),
             ref=lambda a, w: _np_cov(a, correction, fw if "f" in which else None,
                                      w if "a" in which else None))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_cov_half_dtypes(dtype):
    a = np.array([[0., 1, 2, 4], [2, 1, 0.5, -1]])
    for T in _libs():
        out = T.cov(T.tensor(a.tolist(), dtype=getattr(T, dtype)))
        assert str(out.dtype).endswith(dtype)
        if T is mt:
            mine = out.float().numpy()
    np.testing.assert_allclose(mine, _np_cov(a), rtol=2e-2, atol=2e-2)
    if torch is not None:
        np.testing.assert_allclose(mine, out.float().numpy(), rtol=1e-2, atol=1e-2)


@requires_torch
def test_cov_complex_zero_size_and_degenerate_cases_match_torch():
    exprs = ["T.cov(T.tensor([[1+1j, 2, 3j], [1, 2j, 3]]))", "T.cov(T.zeros(0, 3))",
             "T.cov(T.zeros(2, 0))", "T.cov(T.tensor(3.))", "T.cov(T.zeros(3, 1))",
             "T.cov(T.tensor([[1., 2, 3], [1, 1, 1]]), correction=-1)",
             "T.cov(x, correction=5)", "T.cov(x, aweights=T.tensor([1., 1, 1]), correction=3)",
             "T.cov(x.long(), aweights=T.tensor([1., 2, 1]))",
             "T.cov(x, aweights=T.tensor([1., 2, 1], dtype=T.float64))",
             "T.cov(x, fweights=T.tensor([1, 2, 1], dtype=T.int32))"]
    for expr in exprs:
        results = []
        for T in (mt, torch):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                out = eval(expr, {"T": T, "x": T.tensor([[0., 1, 2], [2, 1, 0.5]])})
            results.append((out, [str(w.message) for w in caught]))
        (mine, mine_w), (theirs, their_w) = results
        assert str(mine.dtype) == str(theirs.dtype), expr
        assert tuple(mine.shape) == tuple(theirs.shape), expr
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6, equal_nan=True,
                                   err_msg=expr)
        assert any("degrees of freedom is <= 0" in m for m in mine_w) == \
            any("degrees of freedom is <= 0" in m for m in their_w), expr


def test_cov_grad_fn_name():
    x = mt.tensor([[1., 2., 4.], [0., 1., 1.]], requires_grad=True)
    assert mt.cov(x).grad_fn.name() == "SqueezeBackward0"
    assert mt.corrcoef(x).grad_fn.name() == "ClampBackward1"


# ====================================================================== corrcoef
@pytest.mark.parametrize("shape", [(3, 5), (2, 4), (5,), (4, 2)])
def test_corrcoef_values_and_gradients(shape):
    check_op(lambda T, x: T.corrcoef(x), [shape], ref=np.corrcoef)


def test_corrcoef_method_and_int_input():
    check_op(lambda T, x: x.corrcoef(), [(3, 6)], dtype=np.float32, ref=np.corrcoef, atol=1e-5)
    a = np.array([[1, 2, 4, 7], [3, 1, 0, 2]])
    check_op(lambda T, x: T.corrcoef(x), [], arrays=[a], ref=np.corrcoef, atol=1e-6)


@requires_torch
def test_corrcoef_special_cases_match_torch():
    exprs = ["T.corrcoef(T.tensor([[1., 1, 1], [1, 2, 3]]))", "T.corrcoef(T.tensor([1., 2]))",
             "T.corrcoef(T.tensor(1.))", "T.corrcoef(T.zeros(2, 0))",
             "T.corrcoef(T.tensor([[1., 2], [3, float('nan')]]))",
             "T.corrcoef(T.tensor([[1+1j, 2, 3j], [1, 2j, 3]], dtype=T.complex128))",
             "T.corrcoef(T.tensor([[1., 2, 3], [2, 4, 7]]).half())"]
    for expr in exprs:
        outs = []
        for T in (mt, torch):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                outs.append(eval(expr, {"T": T}))
        mine, theirs = outs
        assert str(mine.dtype) == str(theirs.dtype), expr
        assert tuple(mine.shape) == tuple(theirs.shape), expr
        tol = 1e-3 if "half" in expr else 1e-7
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=tol, atol=tol,
                                   equal_nan=True, err_msg=expr)


@requires_torch
def test_corrcoef_complex_gradient_matches_torch():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(3, 5)) + 1j * rng.normal(size=(3, 5))
    grads = []
    for T in (mt, torch):
        x = T.tensor(a, requires_grad=True)
        T.corrcoef(x).abs().sum().backward()
        grads.append(x.grad.resolve_conj().numpy() if T is torch else x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-7, atol=1e-10)


# ====================================================================== errors
@pytest.mark.parametrize("expr,exc,match", [
    ("T.cov(T.rand(2, 2, 2))", RuntimeError, "cov\\(\\): expected input to have two or fewer "
                                             "dimensions but got an input with 3 dimensions"),
    ("T.corrcoef(T.rand(2, 2, 2))", RuntimeError, "corrcoef\\(\\): expected input to have two"),
    ("T.cov(b)", RuntimeError, "cov\\(\\): bool dtype is not supported for input"),
    ("T.cov(x, fweights=T.tensor([1., 2, 1]))", RuntimeError,
     "expected fweights to have integral dtype but got fweights with Float dtype"),
    ("T.cov(x, fweights=b3)", RuntimeError, "fweights with Bool dtype"),
    ("T.cov(x, fweights=T.tensor([[1, 2, 1]]))", RuntimeError,
     "expected fweights to have one or fewer dimensions but got fweights with 2 dimensions"),
    ("T.cov(x, fweights=T.tensor([1, 2]))", RuntimeError,
     "expected fweights to have the same numel as there are observations in the input but "
     "got 2 != 3"),
    ("T.cov(x, fweights=T.tensor([1, -2, 1]))", RuntimeError, "fweights cannot be negative"),
    ("T.cov(x, aweights=T.tensor([1, 2, 1]))", RuntimeError,
     "expected aweights to have floating point dtype but got aweights with Long dtype"),
    ("T.cov(x, aweights=T.tensor([1j, 1, 2]))", RuntimeError, "aweights with ComplexFloat"),
    ("T.cov(x, aweights=T.tensor([1., -2, 1]))", RuntimeError, "aweights cannot be negative"),
    ("T.cov(x, aweights=T.tensor([1., 2]))", RuntimeError, "got 2 != 3"),
    ("T.cov(x, fweights=T.tensor([0, 0, 0]))", RuntimeError,
     "weights sum to zero, can't be normalized"),
    ("T.cov(x, aweights=T.tensor([0., 0, 0]))", RuntimeError, "weights sum to zero"),
    ("T.cov(x, correction=0.5)", TypeError, "argument 'correction' must be int, not float"),
    ("T.cov(x, correction=True)", TypeError, "argument 'correction' must be int, not bool"),
    ("T.cov(x, fweights=[1, 2, 1])", TypeError, "argument 'fweights' must be Tensor, not list"),
    ("T.cov(x, 1)", TypeError, None),
])
def test_errors_match_pytorch(expr, exc, match):
    for T in _libs():
        env = {"T": T, "x": T.tensor([[0., 1, 2], [2, 1, 0.5]]), "b": T.tensor([True, False]),
               "b3": T.tensor([True, True, False])}
        with pytest.raises(exc, match=match):
            eval(expr, env)
