"""Reductions and scans: values against NumPy, gradients by gradcheck, everything vs PyTorch.

Ties, zeros, NaN/inf, dtype rules, named-tuple results and error messages are checked against
PyTorch's observed behaviour (PyTorch 2.13); the hypothesis test sweeps shapes/dims/keepdim.
"""
from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minitorch_nn as mt
from minitorch_nn.ops import extrema, norms, reduction, scan, statistics
from op_harness import assert_close, check_op, requires_torch, torch

INF = math.inf
NAN = math.nan


def _libs():
    return [mt] if torch is None else [mt, torch]


def _tensor(T, data, dtype=None, requires_grad=False):
    dtype = dtype if dtype is not None else T.float64
    return T.tensor(data, dtype=dtype, requires_grad=requires_grad)


def _first(out):
    return out[0] if isinstance(out, tuple) else out


def _run(T, fn, data, grad=True):
    x = _tensor(T, data, requires_grad=grad)
    out = fn(T, x)
    if grad and _first(out).requires_grad:
        _first(out).sum().backward()
    return out, x.grad


def _compare(fn, data, grad=True):
    """`fn(T, x)` on `data` in both libraries: same values, dtypes and input gradient."""
    mt_out, mt_grad = _run(mt, fn, data, grad)
    if torch is None:
        return mt_out, mt_grad
    th_out, th_grad = _run(torch, fn, data, grad)
    mt_list = list(mt_out) if isinstance(mt_out, tuple) else [mt_out]
    th_list = list(th_out) if isinstance(th_out, tuple) else [th_out]
    assert len(mt_list) == len(th_list)
    for a, b in zip(mt_list, th_list):
        assert str(a.dtype) == str(b.dtype)
        np.testing.assert_allclose(np.asarray(a.detach().tolist(), dtype=np.float64),
                                   np.asarray(b.detach().tolist(), dtype=np.float64),
                                   rtol=1e-6, atol=1e-9, equal_nan=True)
    if grad:
        if th_grad is None:
            assert mt_grad is None or np.allclose(mt_grad.numpy(), 0)
        else:
            np.testing.assert_allclose(mt_grad.numpy(), th_grad.numpy(), rtol=1e-6,
                                       atol=1e-9, equal_nan=True)
    return mt_out, mt_grad


# ====================================================================== the op table
# (name, fn(T, x), input shape, NumPy reference or None, check_op options)
TABLE = [
    ("sum_all", lambda T, x: x.sum(), (3, 4), lambda a: a.sum(), {}),
    ("sum_dim", lambda T, x: T.sum(x, 1), (3, 4), lambda a: a.sum(1), {}),
    ("sum_neg_tuple_keep", lambda T, x: x.sum((-1, 0), keepdim=True), (2, 3, 4),
     lambda a: a.sum((0, 2), keepdims=True), {}),
    ("sum_list", lambda T, x: x.sum([0, 2]), (2, 3, 4), lambda a: a.sum((0, 2)), {}),
    ("sum_dtype", lambda T, x: x.sum(0, dtype=T.float32), (3, 2),
     lambda a: a.sum(0).astype(np.float32), {"gradcheck_eps": 1e-3, "grad_atol": 1e-3}),
    ("nansum", lambda T, x: T.nansum(x, dim=1, keepdim=True), (3, 4),
     lambda a: np.nansum(a, 1, keepdims=True), {}),
    ("mean_all", lambda T, x: x.mean(), (3, 4), lambda a: a.mean(), {}),
    ("mean_dims", lambda T, x: T.mean(x, (0, 2), True), (2, 3, 4),
     lambda a: a.mean((0, 2), keepdims=True), {}),
    ("nanmean", lambda T, x: x.nanmean(0), (3, 4), lambda a: np.nanmean(a, 0), {}),
    ("prod_all", lambda T, x: x.prod(), (2, 3), lambda a: a.prod(), {}),
    ("prod_dim", lambda T, x: T.prod(x, -1, keepdim=True), (3, 4),
     lambda a: a.prod(-1, keepdims=True), {}),
    ("var_all", lambda T, x: x.var(), (3, 4), lambda a: a.var(ddof=1), {}),
    ("var_dim_legacy", lambda T, x: x.var(1, False, True), (3, 4),
     lambda a: a.var(1, keepdims=True), {}),
    ("var_unbiased_kw", lambda T, x: T.var(x, 0, unbiased=True), (3, 4),
     lambda a: a.var(0, ddof=1), {}),
    ("var_correction", lambda T, x: x.var(dim=(0, 1), correction=2), (3, 4),
     lambda a: a.var(ddof=2), {}),
    ("var_bool_positional", lambda T, x: x.var(False), (3, 4), lambda a: a.var(), {}),
    ("std_all", lambda T, x: x.std(), (3, 4), lambda a: a.std(ddof=1), {}),
    ("std_dim", lambda T, x: T.std(x, dim=-1, correction=0, keepdim=True), (3, 4),
     lambda a: a.std(-1, keepdims=True), {}),
    ("var_mean", lambda T, x: T.var_mean(x, 1), (3, 4),
     lambda a: (a.var(1, ddof=1), a.mean(1)), {}),
    ("std_mean", lambda T, x: T.std_mean(x, [0], correction=0, keepdim=True), (3, 4),
     lambda a: (a.std(0, keepdims=True), a.mean(0, keepdims=True)), {}),
    ("max_all", lambda T, x: x.max(), (3, 4), lambda a: a.max(), {}),
    ("min_all", lambda T, x: T.min(x), (3, 4), lambda a: a.min(), {}),
    ("max_dim", lambda T, x: tuple(x.max(1)), (3, 4),
     lambda a: (a.max(1), a.argmax(1)), {}),
    ("min_dim_keep", lambda T, x: tuple(T.min(x, dim=0, keepdim=True)), (3, 4),
     lambda a: (a.min(0, keepdims=True), a.argmin(0)[None]), {}),
    ("max_binary", lambda T, x: T.max(x, 0.5 - x), (4,), lambda a: np.maximum(a, 0.5 - a), {}),
    ("amax", lambda T, x: T.amax(x, (0, 2)), (2, 3, 4), lambda a: a.max((0, 2)), {}),
    ("amin_keep", lambda T, x: x.amin(-1, keepdim=True), (3, 4),
     lambda a: a.min(-1, keepdims=True), {}),
    ("amax_all", lambda T, x: x.amax(), (3, 4), lambda a: a.max(), {}),
    ("aminmax", lambda T, x: tuple(T.aminmax(x)), (3, 4), lambda a: (a.min(), a.max()), {}),
    ("aminmax_dim", lambda T, x: tuple(x.aminmax(dim=1, keepdim=True)), (3, 4),
     lambda a: (a.min(1, keepdims=True), a.max(1, keepdims=True)), {}),
    ("median_all", lambda T, x: x.median(), (3, 5),
     lambda a: np.sort(a.reshape(-1))[(a.size - 1) // 2], {}),
    ("median_dim", lambda T, x: tuple(T.median(x, 1)), (3, 4),
     lambda a: (np.sort(a, 1)[:, 1], np.argsort(a, 1)[:, 1]), {}),
    ("nanmedian_dim", lambda T, x: tuple(x.nanmedian(0, True)), (5, 2),
     lambda a: (np.median(a, 0, keepdims=True), np.argsort(a, 0)[2:3]), {}),
    ("mode", lambda T, x: tuple(T.mode(x)), (3, 4),
     lambda a: (a.min(1), a.argmin(1)), {}),
    ("logsumexp", lambda T, x: T.logsumexp(x, 1), (3, 4),
     lambda a: np.log(np.exp(a).sum(1)), {}),
    ("logsumexp_dims_keep", lambda T, x: x.logsumexp((0, 2), keepdim=True), (2, 3, 4),
     lambda a: np.log(np.exp(a).sum((0, 2), keepdims=True)), {}),
    ("norm_default", lambda T, x: x.norm(), (3, 4), lambda a: np.sqrt((a * a).sum()), {}),
    ("norm_fro_dim", lambda T, x: T.norm(x, "fro", 1), (3, 4),
     lambda a: np.linalg.norm(a, axis=1), {}),
    ("norm_p1", lambda T, x: x.norm(1, 0), (3, 4), lambda a: np.abs(a).sum(0), {}),
    ("norm_p3_keep", lambda T, x: x.norm(3, 1, True), (3, 4),
     lambda a: (np.abs(a) ** 3).sum(1, keepdims=True) ** (1 / 3), {}),
    ("norm_p_half", lambda T, x: x.norm(0.5), (3, 4),
     lambda a: (np.abs(a) ** 0.5).sum() ** 2, {}),
    ("norm_p_neg", lambda T, x: x.norm(-1.5, dim=1), (3, 4),
     lambda a: (np.abs(a) ** -1.5).sum(1) ** (1 / -1.5), {}),
    ("norm_inf", lambda T, x: x.norm(INF, dim=(0, 1)), (3, 4), lambda a: np.abs(a).max(), {}),
    ("norm_neg_inf", lambda T, x: x.norm(-INF, 1), (3, 4), lambda a: np.abs(a).min(1), {}),
    ("norm_zero", lambda T, x: x.norm(0), (3, 4), lambda a: float(np.count_nonzero(a)), {}),
    ("norm_nuc", lambda T, x: x.norm("nuc"), (3, 4),
     lambda a: np.linalg.norm(a, "nuc"), {}),
    ("norm_nuc_batched", lambda T, x: T.norm(x, p="nuc", dim=(2, 0), keepdim=True), (3, 2, 4),
     lambda a: np.linalg.svd(a.transpose(1, 0, 2), compute_uv=False).sum(-1)[None, :, None],
     {}),
    ("norm_dtype", lambda T, x: x.float().norm(2, 1, dtype=T.float64), (3, 4),
     lambda a: np.linalg.norm(a.astype(np.float32), axis=1),
     {"atol": 1e-5, "gradcheck_eps": 1e-3, "grad_atol": 1e-3}),
    ("cumsum", lambda T, x: x.cumsum(1), (3, 4), lambda a: a.cumsum(1), {}),
    ("cumsum_neg_dtype", lambda T, x: T.cumsum(x, -2, dtype=T.float32), (3, 4),
     lambda a: a.cumsum(0).astype(np.float32),
     {"atol": 1e-5, "gradcheck_eps": 1e-3, "grad_atol": 1e-3}),
    ("cumprod", lambda T, x: T.cumprod(x, dim=0), (4, 3), lambda a: a.cumprod(0), {}),
]


@pytest.mark.parametrize("name,fn,shape,ref,opts", TABLE, ids=[row[0] for row in TABLE])
def test_op_table(name, fn, shape, ref, opts):
    check_op(fn, [shape], ref=ref, **opts)


def test_mode_with_repeats_matches_numpy_and_torch():
    data = np.array([[3., 1., 3., 1., 2.], [2., 2., 5., 5., 5.], [4., 4., 4., 0., 0.]])
    # no gradcheck: a tie between counts makes the finite differences meaningless
    check_op(lambda T, x: tuple(x.mode(1)), [], arrays=[data], grad=False,
             ref=lambda a: (np.array([1., 5., 4.]), np.array([3, 4, 2])))
    _compare(lambda T, x: x.mode(1), data.tolist())


@pytest.mark.parametrize("fn", [
    lambda T, x: x.sum(0), lambda T, x: tuple(x.max(0)), lambda T, x: x.var(0),
    lambda T, x: x.cumprod(0), lambda T, x: x.cumsum(-1), lambda T, x: x.logsumexp(0),
    lambda T, x: tuple(x.median(-1)), lambda T, x: x.norm(2, 0), lambda T, x: x.argmax(0),
    lambda T, x: x.all(0, keepdim=True), lambda T, x: tuple(x.mode()), lambda T, x: x.amax(),
    lambda T, x: x.prod(0, keepdim=True), lambda T, x: x.mean(()),
])
def test_zero_dim_tensor_reductions(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _compare(fn, 2.5)


# ====================================================================== ties, zeros, nan, inf
TIES = [
    ("max_all", lambda T, x: x.max(), [1., 3., 3.]),
    ("min_all", lambda T, x: x.min(), [[1., 1.], [3., 1.]]),
    ("amax_dim", lambda T, x: x.amax(1), [[1., 3., 3.], [2., 2., 0.]]),
    ("amin_all", lambda T, x: T.amin(x), [[0., 3.], [0., 0.]]),
    ("max_dim_one_index", lambda T, x: x.max(1), [[1., 3., 3.], [2., 2., 0.]]),
    ("min_dim_one_index", lambda T, x: x.min(0), [[1., 3.], [1., 0.], [4., 0.]]),
    ("median_all_ties", lambda T, x: x.median(), [3., 1., 3., 1.]),
    ("median_dim_ties", lambda T, x: x.median(0), [3., 1., 3., 1.]),
    ("median_dim_ties_odd", lambda T, x: x.median(0), [2., 1., 2., 1., 2.]),
    ("median_rows", lambda T, x: x.median(1), [[1., 3., 3., 2.], [3., 3., 3., 1.]]),
    ("aminmax_ties", lambda T, x: (lambda r: r.min + 2 * r.max)(T.aminmax(x)), [1., 3., 3., 1.]),
    ("norm_inf_ties", lambda T, x: x.norm(INF), [1., -3., 3.]),
    ("norm_neg_inf_ties", lambda T, x: x.norm(-INF), [1., -1., 3.]),
    ("mode_ties", lambda T, x: x.mode(0), [3., 1., 3., 1.]),
]


@pytest.mark.parametrize("name,fn,data", TIES, ids=[row[0] for row in TIES])
def test_ties_match_pytorch(name, fn, data):
    _compare(fn, data)


RANDOM_TIE_OPS = {
    "median_dim": lambda T, x: x.median(1), "median_dim0": lambda T, x: x.median(0),
    "nanmedian_dim": lambda T, x: x.nanmedian(1), "median_all": lambda T, x: x.median(),
    "nanmedian_all": lambda T, x: x.nanmedian(), "max_dim": lambda T, x: x.max(1),
    "min_dim0": lambda T, x: x.min(0), "amax_dim": lambda T, x: x.amax(1),
    "mode_dim": lambda T, x: x.mode(1), "aminmax": lambda T, x: T.aminmax(x, dim=1),
}


@requires_torch
@pytest.mark.parametrize("name", list(RANDOM_TIE_OPS))
def test_random_ties_and_nans_pick_the_same_indices_and_gradients_as_pytorch(name):
    """Small integer data (many ties, some NaN): values, indices and grads equal PyTorch's."""
    rng = np.random.default_rng(7)
    for trial in range(40):
        a = rng.integers(0, 4, size=(rng.integers(1, 5), rng.integers(1, 8))).astype(float)
        if trial % 3 == 0 and name != "mode_dim":
            a[rng.random(a.shape) < 0.2] = np.nan
        if name == "nanmedian_dim":   # an all-NaN row's index is arbitrary in PyTorch
            a[np.isnan(a).all(1), 0] = 1.0
        _compare(RANDOM_TIE_OPS[name], a.tolist())


def test_ties_split_evenly_without_dim_and_go_to_one_index_with_dim():
    x = mt.tensor([[1., 3., 3.], [2., 2., 0.]], requires_grad=True)
    x.amax(1).sum().backward()
    assert x.grad.tolist() == [[0., .5, .5], [.5, .5, 0.]]
    x.grad = None
    x.max(1).values.sum().backward()
    assert x.grad.tolist() == [[0., 1., 0.], [1., 0., 0.]]
    x.grad = None
    x.max().backward()
    assert x.grad.tolist() == [[0., .5, .5], [0., 0., 0.]]


SPECIAL = [
    ("prod_one_zero", lambda T, x: x.prod(), [2., 0., 3.]),
    ("prod_two_zeros", lambda T, x: x.prod(), [2., 0., 0.]),
    ("prod_dim_zero", lambda T, x: x.prod(1), [[2., 0., 3.], [1., 2., 3.], [0., 0., 1.]]),
    ("cumprod_zero", lambda T, x: x.cumprod(0), [2., 0., 3., 4.]),
    ("cumprod_two_zeros", lambda T, x: x.cumprod(0), [2., 0., 3., 0., 5.]),
    ("cumprod_rows", lambda T, x: x.cumprod(1), [[0., 2., 3.], [1., 2., 0.], [1., 2., 3.]]),
    ("norm2_zero_vector", lambda T, x: x.norm(), [0., 0.]),
    ("norm2_zero_row", lambda T, x: x.norm(dim=1), [[0., 0.], [3., 4.]]),
    ("norm1_sign", lambda T, x: x.norm(1), [0., -2., 3.]),
    ("norm3_zero", lambda T, x: x.norm(3), [0., 0.]),
    ("norm_half_with_zero", lambda T, x: x.norm(0.5), [0., -1., 3.]),
    ("norm_neg_with_zero", lambda T, x: x.norm(-1), [0., -1., 3.]),
    ("norm_zero_p", lambda T, x: x.norm(0), [1., 0., 3.]),
    ("fro_zero_matrix", lambda T, x: x.norm("fro"), [[0., 0.], [0., 0.]]),
    ("logsumexp_neg_inf_row", lambda T, x: x.logsumexp(1), [[-INF, -INF], [1., 2.]]),
    ("logsumexp_inf", lambda T, x: x.logsumexp(0), [INF, 1.]),
    ("logsumexp_big", lambda T, x: x.logsumexp(0), [1000., 1000.]),
    ("std_constant", lambda T, x: x.std(), [1., 1.]),
    ("std_correction0_single", lambda T, x: x.std(correction=0), [2.]),
    ("nansum_nan", lambda T, x: x.nansum(), [1., NAN, 3.]),
    ("nanmean_nan", lambda T, x: x.nanmean(0), [[1., NAN], [3., NAN]]),
    ("max_nan", lambda T, x: x.max(), [NAN, 1., NAN]),
    ("max_dim_nan", lambda T, x: x.max(0), [1., NAN, 2., NAN]),
    ("argmin_nan", lambda T, x: x.argmin(), [1., NAN, -2.]),
    ("median_nan", lambda T, x: x.median(0), [NAN, 1., NAN, 2.]),
    ("median_all_nan", lambda T, x: x.median(), [3., NAN, 3., NAN]),
    ("nanmedian_nan", lambda T, x: x.nanmedian(0), [NAN, 1., NAN, 2.]),
    ("nanmedian_all_nan_row", lambda T, x: x.nanmedian(1), [[NAN, NAN], [1., NAN]]),
    ("nanmedian_all", lambda T, x: x.nanmedian(), [3., NAN, 3., 1.]),
    ("mean_empty", lambda T, x: x.mean(), []),
    ("sum_empty", lambda T, x: x.sum(), []),
    ("logsumexp_empty", lambda T, x: x.logsumexp(0), []),
    ("norm_empty", lambda T, x: x.norm(), []),
    ("median_empty", lambda T, x: x.median(), []),
]


@pytest.mark.parametrize("name,fn,data", SPECIAL, ids=[row[0] for row in SPECIAL])
def test_special_values_match_pytorch(name, fn, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _compare(fn, data)


def test_prod_and_cumprod_gradients_with_zeros_are_exact():
    x = mt.tensor([2., 0., 3.], requires_grad=True)
    x.prod().backward()
    assert x.grad.tolist() == [0., 6., 0.]
    x = mt.tensor([2., 0., 3., 4.], requires_grad=True)
    x.cumprod(0).sum().backward()
    assert x.grad.tolist() == [1., 32., 0., 0.]
    data = np.array([[0., 2., 3.], [1., 0., 0.], [1.5, 2., -3.]])
    check_op(lambda T, x: x.cumprod(1), [], arrays=[data], ref=lambda a: a.cumprod(1))
    check_op(lambda T, x: x.prod(0), [], arrays=[data], ref=lambda a: a.prod(0))


def test_norm_subgradients():
    x = mt.zeros(3, requires_grad=True)
    x.norm().backward()
    assert x.grad.tolist() == [0., 0., 0.]
    x = mt.tensor([0., -2., 3.], requires_grad=True)
    x.norm(1).backward()
    assert x.grad.tolist() == [0., -1., 1.]
    x = mt.tensor([1., -3., 3.], requires_grad=True)
    x.norm(INF).backward()
    assert x.grad.tolist() == [0., -0.5, 0.5]


def test_var_correction_above_count_gives_inf_or_nan_with_warning():
    for T in _libs():
        x = T.tensor([[1., 3., 3.], [2., 2., 2.]])
        with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
            v = x.var(1, correction=5)
        assert v[0].item() == INF and math.isnan(v[1].item())
        with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
            assert math.isnan(T.tensor([1.]).std().item())


def test_logsumexp_is_stable_where_naive_overflows():
    x = mt.tensor([[1000., 1000.], [-1000., -1000.]])
    assert_close(x.logsumexp(1).numpy(), [1000 + math.log(2), -1000 + math.log(2)])


def test_logsumexp_large_last_dim_agrees_row_by_row():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((64, 128)) * 30
    a[1] = -np.inf
    a[2, 3] = np.inf
    big = mt.from_numpy(a.copy()).logsumexp(1).numpy()
    rows = np.array([mt.from_numpy(a[i].copy()).logsumexp(0).item() for i in range(64)])
    np.testing.assert_allclose(big, rows, rtol=1e-12)
    finite = a[3:]
    expected = np.log(np.exp(finite - finite.max(1, keepdims=True)).sum(1)) + finite.max(1)
    np.testing.assert_allclose(big[3:], expected, rtol=1e-12)
    assert big[1] == -np.inf and big[2] == np.inf


# ====================================================================== dtypes
@requires_torch
@pytest.mark.parametrize("expr", [
    "x.sum()", "b.sum()", "i8.sum(0)", "x.sum(dtype=T.float32)", "x.prod()", "u8.prod()",
    "b.prod()", "x.prod(dtype=T.float32)", "x.nansum()", "x.cumsum(0)", "b.cumsum(0)",
    "i8.cumsum(1)", "x.cumprod(1)", "x.mean(dtype=T.float64)", "x.logsumexp(0)",
    "x.all()", "u8.all()", "u8.any(1, True)", "b.any()", "T.count_nonzero(x, 1)",
    "x.max()", "x.max(0).values", "x.max(0).indices", "b.max()", "x.amax(1)", "x.argmax()",
    "x.median()", "x.median(1).values", "x.mode(0).values", "f.sum()", "f.mean(1)", "f.var()",
    "f.norm()", "f.logsumexp(0)", "bf.sum()", "bf.mean()", "f.cumsum(1)", "f.prod()",
    "x.norm(dtype=T.float64)", "f.std(0)", "f.amax()", "T.var_mean(f, 1)[1]",
])
def test_result_dtypes_match_pytorch(expr):
    results = []
    for T in (mt, torch):
        env = {"T": T, "x": T.tensor([[1, 2, 0], [3, 4, 4]]), "b": T.tensor([True, False]),
               "i8": T.tensor([[1, 2], [3, 4]], dtype=T.int8),
               "u8": T.tensor([[1, 2], [0, 4]], dtype=T.uint8),
               "f": T.tensor([[1.5, 2.25], [3., 4.5]], dtype=T.float16),
               "bf": T.tensor([[1.5, 2.25], [3., 4.5]], dtype=T.bfloat16)}
        env["x"] = env["x"] if "norm" not in expr else env["x"].float()
        results.append(eval(expr, env))
    a, b = results
    assert str(a.dtype) == str(b.dtype), expr
    assert a.shape == tuple(b.shape)
    np.testing.assert_allclose(np.asarray(a.tolist(), dtype=np.float64),
                               np.asarray(b.float().tolist() if b.dtype == torch.bfloat16
                                          else b.tolist(), dtype=np.float64), rtol=2e-3)


def test_half_precision_scans_and_sums_accumulate_in_float32():
    x = mt.ones(4096, dtype=mt.float16) * 0.1   # a float16 running sum stalls at 256
    c = x.cumsum(0)
    assert c.dtype is mt.float16 and abs(c[-1].item() - 409.5) < 0.5
    assert x.sum().dtype is mt.float16 and abs(x.sum().item() - 409.5) < 0.5
    assert abs(x.mean().item() - 0.1) < 1e-3
    if torch is not None:
        t = torch.ones(4096, dtype=torch.float16) * 0.1
        assert c[-1].item() == t.cumsum(0)[-1].item()


# ====================================================================== named tuples
def test_named_tuple_fields_unpacking_and_type():
    x = mt.tensor([[1., 5., 2.], [4., 2., 4.]])
    r = x.max(dim=1)
    values, indices = r
    assert isinstance(r, tuple) and type(r) is mt.return_types.max
    assert r._fields == ("values", "indices")
    assert r.values is values and r.indices is indices and r[0] is values
    assert values.tolist() == [5., 4.] and indices.tolist() == [1, 0]
    assert indices.dtype is mt.int64
    lo_hi = mt.aminmax(x)
    assert lo_hi._fields == ("min", "max") and (lo_hi.min.item(), lo_hi.max.item()) == (1., 5.)
    assert pickle.loads(pickle.dumps(r)).values.tolist() == [5., 4.]


@requires_torch
@pytest.mark.parametrize("expr", [
    "x.max(dim=1)", "T.min(x, 1, keepdim=True)", "x.median(0)", "x.nanmedian(1)",
    "x.mode(1)", "T.aminmax(x)", "T.aminmax(x, dim=0, keepdim=True)", "xg.max(1)",
    "T.zeros(0, 3).max(1)",
])
def test_named_tuple_repr_matches_pytorch(expr):
    reprs = []
    for T in (mt, torch):
        x = T.tensor([[1., 5., 2.], [4., 2., 4.]])
        xg = x.clone().requires_grad_()
        reprs.append(repr(eval(expr, {"T": T, "x": x, "xg": xg})))
    assert reprs[0] == reprs[1]
    assert reprs[0].startswith("torch.return_types.")


def test_norm_of_ones_over_last_dim_is_three_and_prints_like_pytorch():
    t = mt.ones(64, 3, 3, 3)
    n = t.norm(1, 3)
    assert n.shape == (64, 3, 3) and np.all(n.numpy() == 3.0)
    k = t.norm(1, 3, keepdim=True)
    assert k.shape == (64, 3, 3, 1) and np.all(k.numpy() == 3.0)
    if torch is not None:
        th = torch.ones(64, 3, 3, 3)
        assert repr(n) == repr(th.norm(1, 3))
        assert repr(k) == repr(th.norm(1, 3, keepdim=True))


# ====================================================================== signatures, names
@requires_torch
@pytest.mark.parametrize("expr", [
    "x.sum()", "x.sum(1)", "T.sum(x, None, True)", "x.mean()", "x.mean(1)", "x.prod()",
    "x.prod(1)", "x.var(1)", "x.std()", "T.var_mean(x)[0]", "T.std_mean(x, 1)[1]",
    "x.max()", "x.max(1)[0]", "x.min()", "x.min(1).values", "x.amax()", "x.amin(1)",
    "T.aminmax(x)[1]", "x.logsumexp(1)", "x.norm()", "x.norm(1, 1)", "x.nansum()",
    "x.median()", "x.median(1)[0]", "x.nanmedian()", "x.nanmedian(0).values",
    "x.mode(1).values", "x.cumsum(1)", "x.cumprod(0)", "T.max(x, x * 2)",
])
def test_grad_fn_names_match_pytorch(expr):
    names = []
    for T in (mt, torch):
        x = T.tensor([[1., 3., 2.], [2., 0., 5.]], requires_grad=True)
        names.append(type(eval(expr, {"T": T, "x": x}).grad_fn).__name__)
    assert names[0] == names[1]


def test_norm_method_and_function_signatures():
    for T in _libs():
        x = T.tensor([[3., 4.], [6., 8.]])
        m = x.norm(2, 1, True, T.float64)   # Tensor.norm(p, dim, keepdim, dtype)
        f = T.norm(x, 2, 1, True, None, T.float64)   # (input, p, dim, keepdim, out, dtype)
        assert m.dtype is T.float64 and m.tolist() == [[5.], [10.]] and f.tolist() == m.tolist()
        assert x.norm(p=None).item() == pytest.approx(math.sqrt(125))
        assert x.norm(p=T.tensor(1.)).item() == 21.0


def test_binary_max_min_is_maximum_minimum():
    _compare(lambda T, x: T.max(x, T.tensor([1., 1., 1.], dtype=T.float64)), [1., 0., 3.])
    _compare(lambda T, x: x.min(T.tensor([1., 1., 1.], dtype=T.float64)), [1., 0., 3.])
    _compare(lambda T, x: T.max(x, other=T.zeros(2, 1, dtype=T.float64)), [[1., -2.]])


@pytest.mark.parametrize("name", ["max", "min"])
def test_binary_form_without_the_comparison_family(monkeypatch, name):
    """The fallback used while ops/comparison.py is absent: same values and tie gradients."""
    import sys
    monkeypatch.setitem(sys.modules, "minitorch_nn.ops.comparison", None)
    y = [[1., 0.], [3., 3.]]
    _compare(lambda T, x: getattr(T, name)(x, T.tensor(y, dtype=T.float64)),
             [[1., -2.], [3., 4.]])
    assert type(extrema.max(mt.ones(2, requires_grad=True), mt.zeros(2)).grad_fn).__name__ \
        == "MaximumBackward0"


def test_argmax_argmin_flatten_and_keepdim():
    for T in _libs():
        x = T.tensor([[1., 7., 3.], [9., 0., 9.]])
        assert x.argmax().item() == 3 and T.argmin(x).item() == 4
        assert x.argmax(keepdim=True).shape == (1, 1)
        assert x.argmax(1).tolist() == [1, 0]
        assert T.argmin(x, dim=-1, keepdim=True).tolist() == [[0], [1]]


def test_all_any_count_nonzero():
    for T in _libs():
        x = T.tensor([[1., 0., 2.], [3., 4., 5.]])
        assert x.all().item() is False and x.any().item() is True
        assert x.all(1).tolist() == [False, True]
        assert T.any(x == 0, dim=(0, 1), keepdim=True).shape == (1, 1)
        assert T.count_nonzero(x).item() == 5
        assert T.count_nonzero(x, dim=0).tolist() == [2, 1, 2]
        assert x.count_nonzero((0, 1)).item() == 5


def test_inplace_cumsum_and_cumprod():
    x = mt.tensor([1., 2., 3.])
    assert x.cumsum_(0) is x and x.tolist() == [1., 3., 6.] and x._version == 1
    a = mt.tensor([1., 2., 3.], requires_grad=True)
    y = a * 1
    y.cumprod_(0)
    y.sum().backward()
    assert a.grad.tolist() == [9., 4., 2.]


def test_reductions_do_not_change_input_and_accept_noncontiguous():
    base = np.arange(24.0).reshape(4, 6) / 10
    x = mt.from_numpy(base.copy().T)   # a transposed (non-contiguous) array
    assert not x.is_contiguous()
    before = x.numpy().copy()
    assert_close(x.sum(0).numpy(), base.T.sum(0))
    assert_close(x.cumsum(1).numpy(), base.T.cumsum(1))
    assert_close(x.logsumexp(0).numpy(), np.log(np.exp(base.T).sum(0)))
    np.testing.assert_array_equal(x.numpy(), before)


# ====================================================================== errors
@pytest.mark.parametrize("expr,exc,match", [
    ("x.sum(2)", IndexError, r"Dimension out of range \(expected to be in range of \[-2, 1\], "
                             r"but got 2\)"),
    ("x.mean(-3)", IndexError, "Dimension out of range"),
    ("x.max(2)", IndexError, "Dimension out of range"),
    ("x.amax((0, 0))", RuntimeError, "dim 0 appears multiple times in the list of dims"),
    ("x.var(3)", IndexError, "Dimension out of range"),
    ("x.cumsum(-3)", IndexError, "Dimension out of range"),
    ("T.argmax(x, 2)", IndexError, "Dimension out of range"),
    ("x.norm(2, 5)", IndexError, "Dimension out of range"),
    ("T.count_nonzero(x, (0, 0))", RuntimeError, "appears multiple times"),
    ("i.mean()", RuntimeError, "mean\\(\\): could not infer output dtype. Input dtype must be "
                               "either a floating point or complex dtype. Got: Long"),
    ("x.mean(dtype=T.int64)", RuntimeError, "Optional dtype must be either a floating point "
                                            "or complex dtype. Got: Long"),
    ("i.nanmean()", RuntimeError, "nanmean\\(\\): expected input to have floating point"),
    ("i.var()", RuntimeError, "std and var only support floating point and complex dtypes"),
    ("i.std(0)", RuntimeError, "std and var only support floating point and complex dtypes"),
    ("i.norm()", RuntimeError, "linalg.vector_norm: Expected a floating point or complex "
                               "tensor as input. Got Long"),
    ("i.norm(1)", RuntimeError, "Expected a floating point or complex tensor as input. "
                                "Got Long"),
    ("b.norm()", RuntimeError, "Got Bool"),
    ("x.norm(2, dtype=T.int64)", RuntimeError, "dtype should be floating point or complex, "
                                               "but got Long"),
    ("x.double().norm(dtype=T.float32)", RuntimeError, "should be convertible without "
                                                       "narrowing to the specified dtype"),
    ("x.norm(p='abc')", RuntimeError, "linalg.matrix_norm: Order abc not supported."),
    ("x.norm(p='nuc', dim=1)", RuntimeError, "linalg.matrix_norm: dim must be a 2-tuple. "
                                             "Got 1"),
    ("T.ones(2, 2, 2).norm(p='nuc')", RuntimeError, "dim must be a 2-tuple. Got 0 1 2"),
    ("T.tensor([]).norm(float('inf'))", RuntimeError, "cannot compute the inf norm on an "
                                                      "empty tensor"),
    ("T.zeros(0, 3).norm(-float('inf'), 0)", RuntimeError, "cannot compute the -inf norm on "
                                                           "the dimension 0"),
    ("T.tensor([]).max()", RuntimeError, "max\\(\\): Expected reduction dim to be specified "
                                         "for input.numel\\(\\) == 0"),
    ("T.tensor([]).amin()", RuntimeError, "amin\\(\\): Expected reduction dim to be specified"),
    ("T.zeros(0, 3).max(-2)", IndexError, "max\\(\\): Expected reduction dim 0 to have "
                                          "non-zero size"),
    ("T.zeros(0, 3).amax(-2)", IndexError, "amax\\(\\): Expected reduction dim -2 to have "
                                           "non-zero size"),
    ("T.zeros(0, 3).median(0)", IndexError, "median\\(\\): Expected reduction dim 0"),
    ("T.zeros(0, 3).argmax(0)", IndexError, "argmax\\(\\): Expected reduction dim 0"),
    ("T.tensor([]).argmax()", IndexError, "argmax\\(\\): Expected reduction dim to be "
                                          "specified"),
    ("T.zeros(0, 3).aminmax()", RuntimeError, "cannot compute aminmax over an empty dimension"),
    ("b.argmax()", RuntimeError, "argmax\\(\\): does not support bool input"),
    ("x.argmax(dim=(0, 1))", TypeError, "argmax\\(\\): argument 'dim' must be int, not tuple"),
    ("T.aminmax(x, dim=(0, 1))", TypeError, "argument 'dim' must be int, not tuple"),
    ("x.max(dim=(0, 1))", TypeError, "max\\(\\)"),
    ("x.prod(dim=(0, 1))", TypeError, "prod\\(\\)"),
    ("x.max(0.5)", TypeError, "max\\(\\)"),
    ("x.sum(1.5)", TypeError, None),
    ("T.sum([1, 2])", TypeError, "sum\\(\\): argument 'input' \\(position 1\\) must be "
                                 "Tensor, not list"),
    ("T.mean(3.0)", TypeError, "mean\\(\\): argument 'input' \\(position 1\\) must be Tensor"),
    ("x.cumsum()", TypeError, "dim"),
    ("T.logsumexp(x)", TypeError, "dim"),
    ("x.var(1, True, correction=1)", TypeError, None),
    ("b.median()", NotImplementedError, "not implemented for 'Bool'"),
])
def test_errors_match_pytorch(expr, exc, match):
    for T in _libs():
        env = {"T": T, "x": T.tensor([[1., 3., 2.], [2., 0., 5.]]),
               "i": T.tensor([[1, 2], [3, 4]]), "b": T.tensor([True, False])}
        with pytest.raises(exc, match=match):
            eval(expr, env)


def test_docstring_examples_run():
    import doctest
    for module in (reduction, extrema, statistics, norms, scan):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_inplace_change_of_saved_input_is_detected():
    a = mt.tensor([1., 2., 3.], requires_grad=True)
    y = a * 1
    out = y.prod()
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


# ====================================================================== property-based
@st.composite
def _shape_and_dims(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=4)))
    ndim = len(shape)
    if ndim == 0:
        dim = draw(st.sampled_from([None, 0, -1, ()]))
    else:
        kind = draw(st.sampled_from(["none", "int", "tuple"]))
        if kind == "none":
            dim = None
        elif kind == "int":
            dim = draw(st.integers(-ndim, ndim - 1))
        else:
            picked = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                                   unique=True))
            dim = tuple(d - ndim if draw(st.booleans()) else d for d in picked)
    return shape, dim, draw(st.booleans()), draw(st.integers(0, 2 ** 16))


def _np_axis(dim, ndim):
    if dim is None or dim == ():
        return None
    if isinstance(dim, int):
        return dim % ndim if ndim else None
    return tuple(d % ndim for d in dim)


@settings(max_examples=25, deadline=None)
@given(_shape_and_dims(), st.sampled_from(["sum", "mean", "amax"]))
def test_reductions_match_numpy_on_random_shapes_dims_keepdim(case, op):
    shape, dim, keepdim, seed = case
    a = np.random.default_rng(seed).uniform(-2, 2, size=shape)
    x = mt.from_numpy(a.copy()).requires_grad_()
    kwargs = {"keepdim": keepdim} if dim is None else {"dim": dim, "keepdim": keepdim}
    out = getattr(x, op)(**kwargs)
    axis = _np_axis(dim, a.ndim)
    expected = {"sum": np.sum, "mean": np.mean, "amax": np.max}[op](a, axis=axis,
                                                                     keepdims=keepdim)
    assert out.shape == np.shape(expected)
    assert_close(out.detach().numpy(), expected)
    out.sum().backward()
    assert x.grad.shape == x.shape
    if op == "sum":
        assert np.all(x.grad.numpy() == 1)
    elif op == "mean":
        n = a.size // max(np.size(expected), 1)
        assert_close(x.grad.numpy(), np.full(shape, 1 / n))
    else:
        assert_close(x.grad.numpy().sum(), np.size(expected))
