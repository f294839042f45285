"""Issue 15: class losses with ignored targets, non-finite logits and half types, and the
target dtypes BCE-with-logits refuses; compared with PyTorch (values and NaN pattern).

- cross_entropy / nll_loss with every target ignored: loss NaN ('mean' over no rows), the
  gradient 0 (was NaN in float16/bfloat16);
- ignored rows holding +inf, -inf or NaN: the loss ignores them (was NaN); the gradient of
  such a row is 0 * softmax(row), NaN where PyTorch's log_softmax is NaN;
- binary cross-entropy in bfloat16 after a sigmoid (was 100.0 instead of 5.53);
- binary_cross_entropy_with_logits refuses integer and bool targets with PyTorch's errors.
No numpy warning may escape (PyTorch prints none).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minitorch_nn as mt
import minitorch_nn.nn.functional as MF

torch = pytest.importorskip("torch")
TF = torch.nn.functional

INF, NAN = float("inf"), float("nan")
DTYPES = ["float32", "float64", "float16", "bfloat16"]


def _run(lib, F, fn, rows, target, dtype, **kw):
    x = lib.tensor(rows, dtype=getattr(lib, dtype), requires_grad=True)
    loss = getattr(F, fn)(x, lib.tensor(target), **kw)
    loss.sum().backward()
    return loss.detach().float().numpy(), x.grad.float().numpy()


def _compare(fn, rows, target, dtype, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got_loss, got_grad = _run(mt, MF, fn, rows, target, dtype, **kw)
    want_loss, want_grad = _run(torch, TF, fn, rows, target, dtype, **kw)
    tol = dict(rtol=2e-2, atol=2e-3) if dtype in ("float16", "bfloat16") else dict(rtol=1e-5)
    np.testing.assert_allclose(got_loss, want_loss, equal_nan=True, **tol)
    np.testing.assert_allclose(got_grad, want_grad, equal_nan=True, **tol)
    return got_loss, got_grad


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_every_target_ignored_gives_zero_gradients(dtype, fn, reduction):
    rows = [[0.5, -1.0, 2.0, 0.25], [1.0, 2.0, 3.0, 4.0], [-3.0, 0.0, 0.5, 1.5]]
    loss, grad = _compare(fn, rows, [-100, -100, -100], dtype, reduction=reduction)
    assert (grad == 0).all()
    if reduction == "mean":
        assert np.isnan(loss)   # 0 / 0, as PyTorch


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bad", [INF, -INF, NAN])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_ignores_rows_with_non_finite_logits(dtype, bad, label_smoothing,
                                                           reduction):
    rows = [[bad, 0.0, 1.0], [0.0, 1.0, 2.0], [1.5, bad, -1.0]]
    loss, grad = _compare("cross_entropy", rows, [-100, 1, -100], dtype,
                          label_smoothing=label_smoothing, reduction=reduction)
    assert np.isfinite(loss).all()
    assert np.isfinite(grad[1]).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bad", [INF, -INF, NAN])
def test_nll_loss_ignores_rows_with_non_finite_inputs(dtype, bad):
    rows = [[bad, 0.0, -1.0], [-0.5, -1.0, -2.0]]
    for reduction in ("mean", "none"):
        loss, grad = _compare("nll_loss", rows, [-100, 1], dtype, reduction=reduction)
        assert np.isfinite(loss).all() and (grad[0] == 0).all()


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_cross_entropy_of_a_rows_of_minus_inf_matches_pytorch(dtype):
    # an ignored row of only -inf: log_softmax is NaN there, and so is its gradient row
    _compare("cross_entropy", [[-INF, -INF], [0.0, 1.0]], [-100, 0], dtype)


def test_bfloat16_binary_cross_entropy_after_sigmoid():
    p = mt.sigmoid(mt.tensor([6.125], dtype=mt.bfloat16))
    assert p.item() == torch.sigmoid(torch.tensor([6.125], dtype=torch.bfloat16)).item()
    loss = MF.binary_cross_entropy(p, mt.tensor([0.0], dtype=mt.bfloat16))
    want = TF.binary_cross_entropy(torch.sigmoid(torch.tensor([6.125], dtype=torch.bfloat16)),
                                   torch.tensor([0.0], dtype=torch.bfloat16))
    assert loss.item() == want.item() == 5.53125


@pytest.mark.parametrize("target_dtype", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("input_dtype", ["float32", "float16", "float64"])
def test_binary_cross_entropy_with_logits_refuses_non_float_targets(target_dtype,
                                                                     input_dtype):
    def call(lib, fn):
        return fn(lib.zeros(3, dtype=getattr(lib, input_dtype)),
                  lib.ones(3, dtype=getattr(lib, target_dtype)))

    with pytest.raises(RuntimeError) as want:
        call(torch, TF.binary_cross_entropy_with_logits)
    for fn in (MF.binary_cross_entropy_with_logits, mt.binary_cross_entropy_with_logits,
               mt.nn.BCEWithLogitsLoss()):
        with pytest.raises(RuntimeError) as got:
            call(mt, fn)
        assert str(got.value) == str(want.value)
