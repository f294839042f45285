"""Shared by tests/ops/test_scatter_reduce.py, test_index_update.py and test_masked_scatter.py:
a loop-by-loop NumPy reference of the index reductions and a PyTorch differential that also
covers non-differentiable points (ties, zeros, repeated writes) gradcheck cannot."""
from __future__ import annotations

import numpy as np

import minitorch_nn as mt
from op_harness import assert_close, torch

_REDUCE = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}


def np_reduce_into(x, targets, values, reduce: str, include_self: bool = True):
    """`x` with each value reduced into its target position (a tuple), one at a time."""
    out = np.array(x, copy=True)
    groups: dict = {}
    for target, value in zip(targets, values):
        groups.setdefault(tuple(target), []).append(value)
    for target, vals in groups.items():
        vals = ([x[target]] if include_self else []) + vals
        if reduce == "mean" and out.dtype.kind in "iu":
            out[target] = np.sum(np.array(vals, np.int64)) // len(vals)   # floor, as PyTorch
        else:
            out[target] = _REDUCE[reduce](np.array(vals, dtype=out.dtype))
    return out


def np_scatter_reduce(x, dim, index, src, reduce, include_self=True):
    """Reference of scatter_reduce: src[pos] goes to pos with pos[dim] = index[pos]."""
    x0, index = np.atleast_1d(x), np.atleast_1d(index)
    src = np.atleast_1d(src)
    targets, values = [], []
    for pos in np.ndindex(index.shape):
        target = list(pos)
        target[dim] = index[pos]
        targets.append(tuple(target))
        values.append(src[pos])
    return np_reduce_into(x0, targets, values, reduce, include_self).reshape(np.shape(x))


def np_index_reduce(x, dim, index, source, reduce, include_self=True):
    """Reference of index_reduce: source's slice i along dim goes to slice index[i]."""
    x0, source = np.atleast_1d(x), np.atleast_1d(source)
    index = np.atleast_1d(index)
    targets, values = [], []
    for pos in np.ndindex(source.shape):
        target = list(pos)
        target[dim] = index[pos[dim]]
        targets.append(tuple(target))
        values.append(source[pos])
    return np_reduce_into(x0, targets, values, reduce, include_self).reshape(np.shape(x))


def same_values_and_grads(fn, arrays, grads, atol=1e-6):
    """`fn(T, *tensors)` in both libraries: equal values, dtype, grad_fn name and input
    gradients (for a fixed upstream gradient), where gradcheck cannot judge."""
    if torch is None:
        return
    rng = np.random.default_rng(5)
    out = []
    for T in (mt, torch):
        ins = [T.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
        y = fn(T, *ins)
        up = rng.standard_normal(tuple(y.shape)) if not out else out[0][3]
        if y.requires_grad:
            y.backward(T.tensor(up, dtype=y.dtype))
        name = y.grad_fn.name() if y.grad_fn is not None else None
        out.append((y.detach().numpy(), str(y.dtype), name, up,
                    [None if i.grad is None else i.grad.numpy() for i in ins]))
    (ours, our_dtype, our_name, _, our_grads), (ref, ref_dtype, ref_name, _, ref_grads) = out
    assert our_dtype == ref_dtype and our_name == ref_name, (our_dtype, our_name, ref_name)
    assert_close(ours, ref, atol, msg="value vs PyTorch")
    for k, (a, b) in enumerate(zip(our_grads, ref_grads)):
        assert (a is None) == (b is None), f"input {k}: grad {a} vs PyTorch {b}"
        if b is not None:
            assert_close(a, b, atol, msg=f"input {k} grad vs PyTorch")
