"""ONNX nodes for scaled_dot_product_attention, written out in its primitives (what
nn.MultiheadAttention and nn.TransformerEncoder call):

    softmax(q @ k^T * scale + mask) @ v      (a bool mask: scores where False are -inf)

A query row whose keys are all masked gets zeros, as our op gives (ONNX's Softmax of all -inf
is NaN, so those rows are replaced).
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._handlers import _dt, _in, handles, unsupported


@handles("ops.attention", "ScaledDotProductAttention")
def _sdpa(g, rec):
    q, k, v, mask, dropout_p, scale, gqa_repeat = rec.args[:7]   # then is_causal (in mask)
    if dropout_p > 0:
        unsupported(rec, "with attention dropout (dropout_p > 0): export in eval mode")
    if tuple(gqa_repeat) != (1, 1):
        unsupported(rec, "with grouped-query attention (enable_gqa) yet")
    dt, n = _dt(rec.out), k.ndim
    kt = g.node("Transpose", [_in(g, k, dt)], perm=[*range(n - 2), n - 1, n - 2])
    scores = g.node("Mul", [g.node("MatMul", [_in(g, q, dt), kt]), g.scalar(scale, dt)])
    if isinstance(mask, Tensor):
        if mask._data.dtype == np.bool_:
            scores = g.node("Where", [g.value(mask), scores, g.scalar(-np.inf, dt)])
        else:
            scores = g.node("Add", [scores, _in(g, mask, dt)])
    p = g.node("Softmax", [scores], axis=-1)
    if isinstance(mask, Tensor):   # rows with every key masked: zeros, not NaN
        p = g.node("Where", [_all_masked(g, scores, dt), g.scalar(0.0, dt), p])
    return g.node("MatMul", [p, _in(g, v, dt)])


def _all_masked(g, scores, dt):
    """True for the query rows whose scores are all -inf (kept as a (..., L, 1) column)."""
    if g.opset >= 18:
        top = g.node("ReduceMax", [scores, g.ints([-1])], keepdims=1)
    else:
        top = g.node("ReduceMax", [scores], axes=[-1], keepdims=1)
    return g.node("Equal", [top, g.scalar(-np.inf, dt)])
