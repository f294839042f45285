"""Shared by tests/ops/test_unary.py and test_arith.py."""
from __future__ import annotations

import math

import numpy as np

import minitorch_nn as mt
from op_harness import torch


NAN, INF = math.nan, math.inf


# ------------------------------------------------------------------ local helpers
def _tensor(T, spec):
    """`spec` = (data, dtype name[, requires_grad]) or a Python number (passed through)."""
    if not isinstance(spec, tuple):
        return spec
    data, dtype, *rest = spec
    return T.tensor(data, dtype=getattr(T, dtype), requires_grad=bool(rest and rest[0]))


def _run(T, fn, specs, upstream_seed=3):
    """fn(T, *inputs) -> (output, [input grads]) after backward with a fixed upstream grad."""
    inputs = [_tensor(T, s) for s in specs]
    out = fn(T, *inputs)
    grads = []
    if out.requires_grad:
        g = np.random.default_rng(upstream_seed).standard_normal(tuple(out.shape))
        out.backward(T.from_numpy(g.astype(out.detach().numpy().dtype)))
        grads = [x.grad if isinstance(x, T.Tensor) else None for x in inputs]
    return out, grads


def _values(t):
    return np.asarray(t.detach().tolist(), dtype=np.float64)


def _same_as_torch(fn, *specs, rtol=1e-6, atol=1e-7):
    """Same values (nan-aware), shape, dtype and input gradients in both libraries."""
    mt_out, mt_grads = _run(mt, fn, specs)
    th_out, th_grads = _run(torch, fn, specs)
    assert str(mt_out.dtype) == str(th_out.dtype), (mt_out.dtype, th_out.dtype)
    assert tuple(mt_out.shape) == tuple(th_out.shape)
    np.testing.assert_allclose(_values(mt_out), _values(th_out), rtol=rtol, atol=atol,
                               equal_nan=True)
    assert len(mt_grads) == len(th_grads)
    for i, (a, b) in enumerate(zip(mt_grads, th_grads)):
        assert (a is None) == (b is None), f"input {i}: grad presence differs"
        if b is not None:
            np.testing.assert_allclose(_values(a), _values(b), rtol=rtol, atol=atol,
                                       equal_nan=True, err_msg=f"input {i} grad")
    return mt_out


def _outcome(T, fn):
    """('ok', dtype name, values) or ('error', exception class name)."""
    try:
        out = fn(T)
    except Exception as err:   # noqa: BLE001 - the class is what we compare
        return ("error", type(err).__name__)
    return ("ok", str(out.dtype).replace("torch.", ""), _values(out).tolist())
