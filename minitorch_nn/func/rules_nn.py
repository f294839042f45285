"""Batching rules for the matmul family and nn.functional's core (losses, layer_norm,
embedding, convolution and pooling).

Composite rules are written in logical terms with the public ops (`matmul(x, w.mT) + b`):
those calls dispatch again to the rules of their own ops, so batched weights (model
ensembling), nested vmaps and autograd all follow. Each returns NotImplemented for a case it
does not cover (the per-sample fallback then runs).
"""
from __future__ import annotations

import string

from .batched_tensor import BatchedTensor, is_tensor_like

__all__ = ["NN_RULES"]


def _ops():
    import minitorch_nn as mt  # the dispatching public names (patched while vmap runs)
    return mt


# ----------------------------------------------------------------------------- matmul
def _matmul_physical(call, a, b):
    """matmul(a, b) with logical operands: 1-D operands made matrices, a batched operand's
    logical dims padded to the other's rank, one physical matmul, the added dims removed."""
    sq_a = a.dim() == 1
    sq_b = b.dim() == 1
    if a.dim() == 0 or b.dim() == 0:
        return NotImplemented
    ap = call.unwrap(a)
    bp = call.unwrap(b)
    if sq_a:
        ap = ap.unsqueeze(-2)
    if sq_b:
        bp = bp.unsqueeze(-1)
    ra, rb = max(a.dim(), 2), max(b.dim(), 2)
    rank = max(ra, rb)
    if call.batched(a):
        for _ in range(rank - ra):
            ap = ap.unsqueeze(1)
    if call.batched(b):
        for _ in range(rank - rb):
            bp = bp.unsqueeze(1)
    if not call.batched(a):
        for _ in range(rank - ra):
            ap = ap.unsqueeze(0)
    if not call.batched(b):
        for _ in range(rank - rb):
            bp = bp.unsqueeze(0)
    out = ap.matmul(bp)
    if sq_b:
        out = out.squeeze(-1)
    if sq_a:
        out = out.squeeze(-1 if sq_b else -2)
    return BatchedTensor(out, call.level)


def _two_tensors(call):
    bound = call.bind()
    if bound is None:
        return None
    names = list(bound.arguments)
    a, b = bound.arguments[names[0]], bound.arguments[names[1]]
    if not (is_tensor_like(a) and is_tensor_like(b)):
        return None
    if any(isinstance(bound.arguments[k], BatchedTensor) for k in names[2:]):
        return None
    return a, b


def _matmul_rule(dims_a, dims_b):
    """matmul-like ops whose operands must have the given logical ranks (None: any)."""
    def rule(call):
        got = _two_tensors(call)
        if got is None:
            return NotImplemented
        a, b = got
        if (dims_a is not None and a.dim() != dims_a) or \
                (dims_b is not None and b.dim() != dims_b) or a.dtype != b.dtype:
            return NotImplemented
        if call.name == "__rmatmul__":
            a, b = b, a
        return _matmul_physical(call, a, b)
    return rule


def _outer(call):
    got = _two_tensors(call)
    if got is None or got[0].dim() != 1 or got[1].dim() != 1:
        return NotImplemented
    a, b = got
    return a.unsqueeze(-1) * b.unsqueeze(-2)


def _linear(call):
    bound = call.bind()
    if bound is None:
        return NotImplemented
    x, w, b = (bound.arguments[k] for k in ("input", "weight", "bias"))
    if not is_tensor_like(x) or not is_tensor_like(w) or w.dim() not in (1, 2) or \
            x.dim() == 0 or x.dtype != w.dtype:
        return NotImplemented
    mt = _ops()
    out = mt.matmul(x, w.mT if w.dim() == 2 else w)
    return out if b is None else out + b


def _addmm(call):
    bound = call.bind()
    if bound is None:
        return NotImplemented
    inp, m1, m2 = (bound.arguments[k] for k in ("input", "mat1", "mat2"))
    beta, alpha = bound.arguments.get("beta", 1), bound.arguments.get("alpha", 1)
    if not all(is_tensor_like(t) for t in (inp, m1, m2)) or m1.dim() != 2 or m2.dim() != 2 \
            or is_tensor_like(beta) or is_tensor_like(alpha) or \
            len({inp.dtype, m1.dtype, m2.dtype}) != 1:
        return NotImplemented
    mt = _ops()
    prod = mt.matmul(m1, m2)
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod      # PyTorch ignores input (its nan and inf too)
    return (inp if beta == 1 else inp * beta) + prod


def _einsum(call):
    if not call.args or not isinstance(call.args[0], str) or call.kwargs:
        return NotImplemented
    equation = call.args[0].replace(" ", "")
    operands = list(call.args[1:])
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = list(operands[0])
    if "." in equation:
        return NotImplemented
    lhs, _, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        return NotImplemented
    if "->" not in equation:
        letters = "".join(terms)
        rhs = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    free = [c for c in string.ascii_letters if c not in equation]
    if not free:
        return NotImplemented
    z = free[0]
    new_terms = [z + t if call.batched(o) else t for t, o in zip(terms, operands)]
    new_eq = ",".join(new_terms) + "->" + z + rhs
    return BatchedTensor(call.op(new_eq, *[call.unwrap(o) for o in operands]), call.level)


# ----------------------------------------------------------------------------- losses
def _reduce_per_sample(out, reduction, size0=None):
    """A reduction='none' loss (physical, batch dim first) reduced per sample."""
    flat = out.reshape(out.shape[0], -1)
    if reduction == "sum":
        return flat.sum(1)
    if reduction == "mean":
        return flat.mean(1)
    if reduction == "batchmean":
        total = flat.sum(1)
        return total / size0 if size0 else total
    return None


def _pointwise_loss(call):
    """mse, l1, smooth_l1, huber, bce, bce_with_logits, kl_div, soft_margin: the loss with
    reduction='none' on the physical tensors, then reduced per sample."""
    bound = call.bind()
    if bound is None or bound.arguments.get("size_average") is not None or \
            bound.arguments.get("reduce") is not None:
        return NotImplemented
    reduction = bound.arguments.get("reduction", "mean")
    if reduction not in ("none", "sum", "mean", "batchmean"):
        return NotImplemented
    x, target = bound.arguments["input"], bound.arguments["target"]
    if not is_tensor_like(target) or tuple(x.shape) != tuple(target.shape):
        return NotImplemented
    rank = x.dim()
    for k, v in bound.arguments.items():
        if k in ("input", "target"):
            bound.arguments[k] = call.expanded(v)
        elif call.batched(v):
            p = v.value
            for _ in range(rank - v.dim()):
                p = p.unsqueeze(1)
            bound.arguments[k] = p
    bound.arguments["reduction"] = "none"
    out = call.op(*bound.args, **bound.kwargs)
    if reduction == "none":
        return BatchedTensor(out, call.level)
    size0 = x.shape[0] if rank else None
    return BatchedTensor(_reduce_per_sample(out, reduction, size0), call.level)


def _class_loss(call):
    """cross_entropy / nll_loss with class-index targets, input (C,) or (N, C): the batch
    folded into N with reduction='none', then reduced per sample (weighted mean)."""
    bound = call.bind()
    if bound is None or bound.arguments.get("size_average") is not None or \
            bound.arguments.get("reduce") is not None:
        return NotImplemented
    x, t, w = bound.arguments["input"], bound.arguments["target"], bound.arguments["weight"]
    reduction = bound.arguments["reduction"]
    smoothing = bound.arguments.get("label_smoothing", 0.0)
    if not is_tensor_like(t) or t.is_floating_point() or x.dim() not in (1, 2) or \
            t.dim() != x.dim() - 1 or call.batched(w) or isinstance(w, BatchedTensor) or \
            reduction not in ("none", "sum", "mean") or (smoothing and reduction == "mean") \
            or (x.dim() == 2 and t.shape[0] != x.shape[0]):
        return NotImplemented
    xp, tp = call.expanded(x), call.expanded(t)
    n_classes = x.shape[-1]
    bound.arguments["input"] = xp.reshape(-1, n_classes)
    bound.arguments["target"] = tp.reshape(-1)
    bound.arguments["reduction"] = "none"
    out = call.op(*bound.args, **bound.kwargs).reshape(tp.shape)
    if reduction == "none":
        return BatchedTensor(out, call.level)
    flat = out.reshape(out.shape[0], -1)
    if reduction == "sum":
        return BatchedTensor(flat.sum(1), call.level)
    tflat = tp.reshape(tp.shape[0], -1)
    kept = tflat != bound.arguments["ignore_index"]
    weights = kept.to(out.dtype)
    if w is not None:
        weights = weights * w[tflat.masked_fill(~kept, 0)]
    return BatchedTensor(flat.sum(1) / weights.sum(1), call.level)


# ----------------------------------------------------------------------------- layers
def _layer_norm(call):
    bound = call.bind()
    if bound is None:
        return NotImplemented
    x, shape = bound.arguments["input"], tuple(bound.arguments["normalized_shape"])
    w, b = bound.arguments["weight"], bound.arguments["bias"]
    if not is_tensor_like(x) or x.dim() < len(shape) or tuple(x.shape[x.dim() - len(shape):]) \
            != shape:
        return NotImplemented
    if not call.batched(x):
        out = call.op(x, shape, None, None, bound.arguments["eps"])
        return _affine(out, w, b)
    if not (call.batched(w) or call.batched(b)) and not isinstance(w, BatchedTensor) and \
            not isinstance(b, BatchedTensor):
        return BatchedTensor(call.op(x.value, shape, w, b, bound.arguments["eps"]), call.level)
    out = BatchedTensor(call.op(x.value, shape, None, None, bound.arguments["eps"]),
                        call.level)
    return _affine(out, w, b)


def _affine(out, w, b):
    if w is not None:
        out = out * w
    if b is not None:
        out = out + b
    return out


def _embedding(call):
    bound = call.bind()
    if bound is None:
        return NotImplemented
    idx, weight = bound.arguments["input"], bound.arguments["weight"]
    if not call.batched(idx) or isinstance(weight, BatchedTensor) or \
            bound.arguments["max_norm"] is not None:
        return NotImplemented
    bound.arguments["input"] = idx.value
    return BatchedTensor(call.op(*bound.args, **bound.kwargs), call.level)


def _fold_batch(spatial):
    """Convolutions and pooling over `spatial` dims, with a batched input and unbatched
    weight and bias: a sample (C, *spatial) is one item of the op's own batch, a sample
    (N, C, *spatial) is N of them (the vmap batch folded into N and unfolded after)."""
    def rule(call):
        bound = call.bind()
        if bound is None:
            return NotImplemented
        x = bound.arguments["input"]
        if not call.batched(x) or any(isinstance(bound.arguments[k], BatchedTensor)
                                      for k in bound.arguments if k != "input"):
            return NotImplemented
        v = x.value
        if x.dim() == spatial + 1:                  # unbatched sample (C, *spatial)
            bound.arguments["input"] = v
            return call.wrap(call.op(*bound.args, **bound.kwargs))
        if x.dim() != spatial + 2:
            return NotImplemented
        n = v.shape[0]
        bound.arguments["input"] = v.reshape(-1, *tuple(v.shape[2:]))
        out = call.op(*bound.args, **bound.kwargs)
        if isinstance(out, tuple):
            items = [o.reshape(n, -1, *tuple(o.shape[1:])) for o in out]
            return call.wrap(type(out)(*items) if hasattr(out, "_fields") else tuple(items))
        return call.wrap(out.reshape(n, -1, *tuple(out.shape[1:])))
    return rule


_SPATIAL_OPS = {
    1: """conv1d conv_transpose1d max_pool1d max_pool1d_with_indices avg_pool1d
       adaptive_avg_pool1d adaptive_max_pool1d""",
    2: """conv2d conv_transpose2d max_pool2d max_pool2d_with_indices avg_pool2d
       adaptive_avg_pool2d adaptive_max_pool2d adaptive_max_pool2d_with_indices lp_pool2d""",
    3: """conv3d conv_transpose3d max_pool3d max_pool3d_with_indices avg_pool3d
       adaptive_avg_pool3d adaptive_max_pool3d adaptive_max_pool3d_with_indices""",
}


def _spatial_rules():
    """{qualname: rule} for the ops above, in the torch namespace and nn.functional."""
    from ..ops.registry import REGISTRY
    rules = {}
    for spatial, names in _SPATIAL_OPS.items():
        for name in names.split():
            for qualname in (name, f"nn.functional.{name}"):
                if qualname in REGISTRY:
                    rules[qualname] = _fold_batch(spatial)
    rules["nn.functional.adaptive_max_pool1d_with_indices"] = _fold_batch(1)
    rules["nn.functional.lp_pool1d"] = _fold_batch(1)
    return rules


def _per_instance_norm(call):
    """batch_norm in eval mode (running statistics, no update) and group_norm: each item of
    the op's batch is normalized on its own, so the vmap batch folds into it. Training-mode
    batch_norm (statistics over the sample's batch) falls back."""
    bound = call.bind()
    if bound is None or bound.arguments.get("training", False):
        return NotImplemented
    x = bound.arguments["input"]
    if not call.batched(x) or x.dim() < 2 or any(
            isinstance(bound.arguments[k], BatchedTensor) for k in bound.arguments
            if k != "input"):
        return NotImplemented
    v = x.value
    n = v.shape[0]
    bound.arguments["input"] = v.reshape(-1, *tuple(v.shape[2:]))
    out = call.op(*bound.args, **bound.kwargs)
    return call.wrap(out.reshape(n, -1, *tuple(out.shape[1:])))


def _constant_pad(call):
    """Constant padding of the last dims: the same on the physical tensor, as long as it
    pads no more dims than the sample has."""
    bound = call.bind()
    if bound is None or bound.arguments.get("mode", "constant") != "constant":
        return NotImplemented
    x, pad = bound.arguments["input"], bound.arguments["pad"]
    if not call.batched(x) or len(pad) > 2 * x.dim() or any(
            isinstance(bound.arguments[k], BatchedTensor) for k in bound.arguments
            if k != "input"):
        return NotImplemented
    bound.arguments["input"] = x.value
    return call.wrap(call.op(*bound.args, **bound.kwargs))


_POINTWISE_LOSSES = ("nn.functional.mse_loss", "nn.functional.l1_loss",
                     "nn.functional.smooth_l1_loss", "nn.functional.huber_loss",
                     "nn.functional.binary_cross_entropy",
                     "nn.functional.binary_cross_entropy_with_logits",
                     "nn.functional.kl_div", "nn.functional.soft_margin_loss")

NN_RULES = {
    "matmul": _matmul_rule(None, None), "mm": _matmul_rule(2, 2), "bmm": _matmul_rule(3, 3),
    "mv": _matmul_rule(2, 1), "dot": _matmul_rule(1, 1), "outer": _outer,
    "nn.functional.linear": _linear, "addmm": _addmm, "einsum": _einsum,
    "nn.functional.cross_entropy": _class_loss, "nn.functional.nll_loss": _class_loss,
    "nn.functional.layer_norm": _layer_norm, "layer_norm": _layer_norm,
    "nn.functional.embedding": _embedding,
    **_spatial_rules(),
    "nn.functional.batch_norm": _per_instance_norm, "batch_norm": _per_instance_norm,
    "nn.functional.group_norm": _per_instance_norm, "group_norm": _per_instance_norm,
    "nn.functional.pad": _constant_pad, "constant_pad_nd": _constant_pad,
    **{name: _pointwise_loss for name in _POINTWISE_LOSSES},
}
