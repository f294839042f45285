"""scaled_dot_product_attention: softmax(q k^T * scale + mask) @ v in one Function.

Forward, as PyTorch 2.13's CPU math path (the one it takes whenever dropout_p > 0):
scores = (q * sqrt(scale)) @ (k * sqrt(scale))^T, masked (a bool mask keeps True positions, a
float mask is added, is_causal keeps the lower triangle), softmax over the keys (the fused
Numba row kernel of kernels/cpu/activation.py on CPU float32/float64), then dropout on the
weights, then @ v. Dropout is at::dropout's: a Bernoulli(1 - p) mask of the weights' shape
drawn from the default generator like F.dropout's (a GPU's from its own), times 1 / (1 - p)
in the weights' dtype (p == 1: zeros, no draws), so under the same seed the dropped weights
and the generator's state afterwards are PyTorch's; the values agree to float rounding
(matmul and softmax kernels round differently). Rows whose every key is masked give zeros,
as PyTorch's math path ("safe softmax") does.
Backward reuses the saved attention weights P and dropout noise D:
    grad_v = (P D)^T @ g,  grad_P = (g @ v^T) D,  grad_S = P * (grad_P - rowsum(grad_P * P)),
    grad_q = grad_S @ (k * sqrt(scale)) * sqrt(scale),  grad_k = grad_S^T @ (q * sqrt(scale))
    * sqrt(scale).
Batch dims broadcast (summed back in backward); enable_gqa repeats key/value heads.

Fused rows (CPU float32/float64, no dropout, no mask array: none given or is_causal), the case
of every causal language model: the scores q @ k^T come from BLAS, and one kernel
(kernels/cpu/attention.py) scales them, applies the causal mask without building it (masked
keys are skipped, their weights written as 0) and normalises each row in place; backward's
kernel turns grad_P into grad_S = scale * P * (grad_P - rowsum(grad_P * P)) the same way. The
scale multiplies the scores, as in PyTorch's flash CPU kernel (the path PyTorch takes here),
rather than sqrt(scale) on each of q and k as in its math path: the values agree with both to
float rounding. The causal mask tensor is still built (L x S bools) for grad_formula.
Declared in "nn.functional" (`@op`, ops/registry.py), as in PyTorch.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.higher_order import reduce_grad
from ..tensor import Tensor, _wrap
from ._nn_util import broadcast_shape, compute_array, kernel_for, type_name
from ._util import sum_to_shape, xp_of
from .registry import op


def _softmax_rows(xp, s):
    """Softmax over the last axis; rows that are all -inf give zeros."""
    rows = s.reshape(-1, s.shape[-1]) if s.size else s
    kernel = kernel_for(s, "activation", "softmax_fwd") if s.size and s.shape[-1] else None
    if kernel is not None:
        rows = xp.ascontiguousarray(rows)
        out = xp.empty(rows.shape, rows.dtype)
        kernel(rows, out)
        p = out.reshape(s.shape)
    else:
        m = s.max(axis=-1, keepdims=True) if s.size else s
        e = xp.exp(s - xp.where(xp.isfinite(m), m, 0))
        p = e / e.sum(axis=-1, keepdims=True)
    if s.size:
        dead = xp.isneginf(s).all(axis=-1, keepdims=True)
        if bool(dead.any()):
            p = xp.where(dead, 0, p)
    return p


def _scale_factors(kind, scale: float):
    """The factors PyTorch's math path multiplies q and k by before q @ k^T, in their dtype
    `kind`: sqrt(|scale|) each, negated for q when scale < 0."""
    root = math.sqrt(abs(scale))
    return kind(-root if scale < 0 else root), kind(root)


def _dropout_noise(shape, p: float, like, device):
    """PyTorch's CPU at::dropout noise for the attention weights: a Bernoulli(1 - p) mask of
    the weights' full shape, drawn element by element in row-major order from the default
    generator of `device` (the draws of F.dropout on the CPU; a GPU draws the same way from
    its own generator, cuda_random.py), divided by 1 - p in the weights' dtype; p == 1
    multiplies by zero and draws nothing."""
    from ..array_backends import backend_of
    from ..random import _bernoulli_scalar, _gen
    kind = like.dtype.type
    xp = xp_of(like)
    if p >= 1.0:
        return xp.zeros(shape, kind)
    keep = _bernoulli_scalar(_gen(None, device), int(np.prod(shape, dtype=np.int64)), 1.0 - p)
    noise = keep.reshape(shape).astype(kind) * (kind(1.0) / kind(1.0 - p))
    return backend_of(like).from_host(noise, device)


class ScaledDotProductAttention(ArrayFunction):
    @staticmethod
    def forward(ctx, q, k, v, mask, dropout_p, scale, gqa_repeat, causal=False):
        xp = xp_of(q._data)
        qa, ka, va = _heads_repeated(xp, q, k, v, gqa_repeat)
        rows = _row_kernels(qa, ka, mask, dropout_p, causal)
        if rows is not None:   # scores scaled, masked and normalised by one kernel
            s = xp.matmul(qa, _transposed(xp, ka))
            items = s.reshape(-1, *s.shape[-2:])
            rows[0](items, qa.dtype.type(scale), causal, items)
            p = s
        else:
            p = _math_weights(xp, qa, ka, mask, scale)
        drop = _dropout_noise(p.shape, dropout_p, p, q.device) if dropout_p > 0.0 else None
        pd = p if drop is None else p * drop
        out = xp.matmul(pd, va)
        ctx.save_for_backward(q, k, v)
        ctx.mask = mask
        ctx.state = (p, drop, scale, gqa_repeat, None if mask is None else mask._data.shape,
                     mask is not None and mask._data.dtype != np.bool_,
                     None if rows is None else (rows[1], causal))
        return _wrap(out.astype(q._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        q, k, v = ctx.saved_tensors
        p, drop, scale, rep, mask_shape, float_mask, fused = ctx.state
        xp = xp_of(p)
        qa, ka, va = _heads_repeated(xp, q, k, v, rep)
        g = compute_array(g)
        pd = p if drop is None else p * drop
        gv = xp.matmul(xp.swapaxes(pd, -1, -2), g)
        gpd = xp.matmul(g, _transposed(xp, va))
        gp = gpd if drop is None else gpd * drop
        if fused is not None:   # the scale is inside the scores' gradient
            kernel, causal = fused
            items = p.shape[-2:]
            kernel(p.reshape(-1, *items), gp.reshape(-1, *items), p.dtype.type(scale), causal,
                   gp.reshape(-1, *items))
            gq = xp.matmul(gp, ka)
            gk = xp.matmul(xp.swapaxes(gp, -1, -2), qa)
            gmask = None
        else:
            qf, kf = _scale_factors(qa.dtype.type, scale)
            gs = p * (gp - (gp * p).sum(axis=-1, keepdims=True))
            gmask = sum_to_shape(gs, mask_shape) if float_mask else None
            gq = xp.matmul(gs, ka * kf) * qf
            gk = xp.matmul(xp.swapaxes(gs, -1, -2), qa * qf) * kf
        if rep[0] > 1:
            gk = _fold_heads(gk, rep[0])
        if rep[1] > 1:
            gv = _fold_heads(gv, rep[1])
        return (_to(gq, q), _to(gk, k), _to(gv, v),
                None if gmask is None else gmask, None, None, None, None)

    @staticmethod
    def grad_formula(ctx, g):
        """backward's formula with recorded ops; the weights P are recomputed from q, k and
        the mask (a softmax of exp / sum, shifted by the rows' constant max), so the
        gradients differentiate again through q, k, v and a float mask."""
        import minitorch_nn as mt
        q, k, v = ctx.saved_tensors
        p_arr, drop, scale, rep, mask_shape, float_mask, _ = ctx.state
        xp = xp_of(p_arr)
        mask = ctx.mask
        kr = k.repeat_interleave(rep[0], dim=-3) if rep[0] > 1 else k
        vr = v.repeat_interleave(rep[1], dim=-3) if rep[1] > 1 else v
        s = q.matmul(kr.transpose(-1, -2)) * scale
        if mask is not None:
            s = s + mask if float_mask else mt.where(mask, s, -math.inf)
        top = xp.max(s._data, axis=-1, keepdims=True) if s._data.size else s._data
        top = xp.where(xp.isfinite(top), top, 0)
        e = (s - _wrap(top)).exp()
        total = e.sum(-1, keepdim=True)
        dead = total._data == 0   # every key masked: zero weights ("safe softmax")
        p = e / (mt.where(_wrap(dead), 1.0, total) if bool(dead.any()) else total)
        drop_t = None if drop is None else _wrap(drop.astype(p_arr.dtype, copy=False))
        pd = p if drop_t is None else p * drop_t
        g = g.to(q.dtype) if g.dtype != q.dtype else g
        needs = ctx.needs_input_grad
        gq = gk = gv = gmask = None
        if needs[2]:
            gv = pd.transpose(-1, -2).matmul(g)
            gv = _fold_heads_t(gv, rep[1]) if rep[1] > 1 else gv
            gv = reduce_grad(gv, v)
        if needs[0] or needs[1] or (float_mask and needs[3]):
            gp = g.matmul(vr.transpose(-1, -2))
            gp = gp if drop_t is None else gp * drop_t
            gs = p * (gp - (gp * p).sum(-1, keepdim=True))
            if float_mask and needs[3]:
                gmask = reduce_grad(gs, mask)
            gs = gs * scale
            if needs[0]:
                gq = reduce_grad(gs.matmul(kr), q)
            if needs[1]:
                gk = gs.transpose(-1, -2).matmul(q)
                gk = reduce_grad(_fold_heads_t(gk, rep[0]) if rep[0] > 1 else gk, k)
        return gq, gk, gv, gmask, None, None, None, None


def _heads_repeated(xp, q, k, v, rep):
    """The compute arrays of q, k, v, with key/value heads repeated for enable_gqa."""
    qa, ka, va = (compute_array(t._data) for t in (q, k, v))
    if rep[0] > 1:
        ka = xp.repeat(ka, rep[0], axis=-3)
    if rep[1] > 1:
        va = xp.repeat(va, rep[1], axis=-3)
    return qa, ka, va


def _transposed(xp, a):
    """a with its last two dims swapped, copied C-contiguous: numpy's stacked matmul runs
    ~1.7x faster with it than with the strided view (timed on 64x32 heads). A strided `a`
    (heads split from a sequence-major projection) is made contiguous first: the transposed
    gather from it costs ~4x the two copies."""
    return xp.ascontiguousarray(xp.swapaxes(xp.ascontiguousarray(a), -1, -2))


def _row_kernels(qa, ka, mask, dropout_p: float, causal: bool):
    """The attention softmax kernels (forward, backward) for qa's device and dtype when the
    scores need no mask array (none given, or is_causal) and no dropout and are not empty
    (no query or no key: the math path); else None."""
    if dropout_p > 0.0 or (mask is not None and not causal) or qa.size == 0 or ka.size == 0:
        return None
    forward = kernel_for(qa, "attention", "attention_softmax_fwd")
    backward = kernel_for(qa, "attention", "attention_softmax_bwd")
    return None if forward is None or backward is None else (forward, backward)


def _math_weights(xp, qa, ka, mask, scale: float):
    """PyTorch's math path: softmax((q sqrt(scale)) @ (k sqrt(scale))^T + mask)."""
    qf, kf = _scale_factors(qa.dtype.type, scale)
    s = xp.matmul(qa * qf, xp.swapaxes(ka * kf, -1, -2))
    if mask is not None:
        m = mask._data
        if m.dtype == np.bool_:
            s = xp.where(m, s, -np.inf)
        else:
            s = s + compute_array(m)
    return _softmax_rows(xp, s)


def _fold_heads_t(grad, rep):
    """_fold_heads with Tensor ops."""
    shape = tuple(grad.shape)
    heads = shape[-3] // rep
    return grad.reshape(shape[:-3] + (heads, rep) + shape[-2:]).sum(-3)


def _fold_heads(grad, rep):
    """Sum the gradients of repeated key/value heads back onto the shared head."""
    shape = grad.shape
    heads = shape[-3] // rep
    return grad.reshape(shape[:-3] + (heads, rep) + shape[-2:]).sum(axis=-3)


def _to(grad, t: Tensor):
    return sum_to_shape(grad, t._data.shape).astype(t._data.dtype, copy=False)


@op("scaled_dot_product_attention", namespace="nn.functional",
    kernels=("activation.softmax_fwd", "attention.attention_softmax_fwd",
             "attention.attention_softmax_bwd"))
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """Attention of query (..., L, E) over key (..., S, E) and value (..., S, Ev).

    attn_mask: bool (True = attend) or float (added to the scores), broadcastable to
    (..., L, S); is_causal masks keys after each query (upper-left aligned);
    scale defaults to 1 / sqrt(E); dropout_p drops attention weights.
    """
    if not (query.dtype is key.dtype is value.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {_c_name(query)} key.dtype: {_c_name(key)} and "
                           f"value.dtype: {_c_name(value)} instead.")
    if attn_mask is not None and is_causal:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                           "set when is_causal=True")
    if attn_mask is not None and attn_mask.dtype.name != "bool" and \
            attn_mask.dtype is not query.dtype and not attn_mask.is_floating_point():
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query "
                           f"dtype, but got attn_mask.dtype: {_c_name(attn_mask)} and  "
                           f"query.dtype: {_c_name(query)} instead.")
    e = query.shape[-1]
    if key.shape[-1] != e:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{_batch(query)}, {e}] but got: [{_batch(key)}, "
                           f"{key.shape[-1]}].")
    if value.shape[-2] != key.shape[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{_batch(query)}, {key.shape[-2]}] but got: [{_batch(value)}, "
                           f"{value.shape[-2]}].")
    rep = (1, 1)   # key and value head repeats (enable_gqa), each as PyTorch
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3 and value.ndim >= 3 and \
            (query.shape[-3] != key.shape[-3] or query.shape[-3] != value.shape[-3]):
        if query.shape[-3] % key.shape[-3] or query.shape[-3] % value.shape[-3]:
            raise RuntimeError("Number of heads in key and value must divide the number of "
                               "heads in query")
        rep = (query.shape[-3] // key.shape[-3], query.shape[-3] // value.shape[-3])
    _check_broadcast(query, key, value, attn_mask, rep)
    s_scale = 1.0 / math.sqrt(e) if scale is None else float(scale)
    if is_causal:
        from ..creation import ones
        length, keys = query.shape[-2], key.shape[-2]
        attn_mask = ones(length, keys, dtype=_bool(), device=query.device).tril()
    return ScaledDotProductAttention.apply(query, key, value, attn_mask, float(dropout_p),
                                           s_scale, rep, bool(is_causal))


def _check_broadcast(query, key, value, attn_mask, rep) -> None:
    """PyTorch's RuntimeError when the batch dims (heads included) of q @ k^T, the mask and
    @ v do not broadcast (checked on shapes only, before any array work)."""
    def heads(t, r):
        shape = tuple(t.shape[:-2])
        return shape[:-1] + (shape[-1] * r,) if r > 1 else shape
    batch = broadcast_shape(tuple(query.shape[:-2]), heads(key, rep[0]))
    if attn_mask is not None:
        scores = batch + (query.shape[-2], key.shape[-2])
        batch = broadcast_shape(scores, tuple(attn_mask.shape))[:-2]
    broadcast_shape(batch, heads(value, rep[1]))


def _bool():
    from .. import dtypes
    return dtypes.bool


def _batch(t: Tensor) -> int:
    return int(np.prod(t.shape[:-2], dtype=np.int64)) if t.ndim > 2 else 1


def _c_name(t: Tensor) -> str:
    """The C type name PyTorch prints for a dtype here (float, double, long int, ...)."""
    return {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
            "bool": "bool"}.get(t.dtype.name, type_name(t))
