"""Margin losses: margin_ranking, hinge_embedding, cosine_embedding, triplet_margin (and
with a distance function), soft_margin, multilabel_soft_margin, multi_margin, multilabel_margin.

PyTorch writes the first six as compositions of other ops (ATen or Python composites), so
they are composites here too: values, gradients and grad_fn names (ClampMinBackward0,
MeanBackward0, ...) come from those ops. soft_margin, multi_margin and multilabel_margin are
PyTorch kernels with their own backward nodes, so they are `ArrayFunction`s here.

The nn.functional forms (`F.X`, legacy size_average/reduce honoured) are declared in namespace
"nn.functional"; the ATen ones PyTorch also has at top level (torch.margin_ranking_loss, ...)
take an integer `reduction` (1 mean, 2 sum, anything else none), as in ATen.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..creation import full_like, zeros_like
from ..tensor import Tensor, _wrap
from ._nn_util import broadcast_shape, compute_array, reduction_of, type_name
from ._util import check_tensor, xp_of
from .loss import _no_grad_arg
from .comparison import minimum
from .distance import pairwise_distance
from .registry import op
from .selection import where

_ATEN_REDUCTION = {1: "mean", 2: "sum"}


def _legacy(size_average, reduce, reduction: str) -> str:
    """The reduction string from F.X's arguments (warning at the caller of F.X)."""
    return reduction_of(size_average, reduce, reduction)


def _apply_reduction(loss: Tensor, reduction: str) -> Tensor:
    """ATen's apply_loss_reduction: mean / sum / the loss itself."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _aten(reduction) -> str:
    return _ATEN_REDUCTION.get(int(reduction), "none")


# ------------------------------------------------------------------ margin_ranking_loss
def _margin_ranking(input1, input2, target, margin, reduction):
    return _apply_reduction((-target * (input1 - input2) + margin).clamp_min(0), reduction)


@op("margin_ranking_loss", namespace="nn.functional")
def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target * (input1 - input2) + margin), reduced (target is 1 or -1)."""
    reduction = _legacy(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.size()}, input2: {input2.size()}, "
                           f"target: {target.size()} ")
    return _margin_ranking(input1, input2, target, margin, reduction)


@op("margin_ranking_loss")
def margin_ranking_loss_aten(input1: Tensor, input2: Tensor, target: Tensor,
                             margin: float = 0.0, reduction: int = 0) -> Tensor:
    """torch.margin_ranking_loss(input1, input2, target, margin, reduction: int)."""
    return _margin_ranking(input1, input2, target, margin, _aten(reduction))


# ------------------------------------------------------------------ hinge_embedding_loss
def _hinge_embedding(input, target, margin, reduction):
    zeros = zeros_like(input)
    # ATen's `margin - input` fills a tensor like input with margin: an integer input
    # truncates a fractional margin
    margin_clamp = (full_like(input, margin) - input).clamp_min(0)
    output = where(target != 1, margin_clamp, zeros) + where(target != -1, input, zeros)
    return _apply_reduction(output, reduction)


@op("hinge_embedding_loss", namespace="nn.functional")
def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """input where target == 1, max(0, margin - input) where target == -1, reduced."""
    reduction = _legacy(size_average, reduce, reduction)
    return _hinge_embedding(input, target, margin, reduction)


@op("hinge_embedding_loss")
def hinge_embedding_loss_aten(input: Tensor, target: Tensor, margin: float = 1.0,
                              reduction: int = 0) -> Tensor:
    """torch.hinge_embedding_loss(input, target, margin, reduction: int)."""
    return _hinge_embedding(input, target, margin, _aten(reduction))


# ------------------------------------------------------------------ cosine_embedding_loss
_COS_EPS = 1e-12   # ATen's EPSILON added to each squared magnitude


def _cosine_embedding(input1, input2, target, margin, reduction):
    targ_dim = target.dim()
    if targ_dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if targ_dim == 1 and (input1.dim() != 2 or input2.dim() != 2):
        raise RuntimeError("1D target tensor expects 2D input tensors, but found inputs with "
                           f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    if targ_dim == 0 and (input1.dim() != 1 or input2.dim() != 1):
        raise RuntimeError("0D target tensor expects 1D input tensors, but found inputs with "
                           f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    prod_sum = (input1 * input2).sum(targ_dim)
    mag1 = (input1 * input1).sum(targ_dim) + _COS_EPS
    mag2 = (input2 * input2).sum(targ_dim) + _COS_EPS
    cos = prod_sum / (mag1 * mag2).sqrt()
    zeros = zeros_like(cos)
    output = where(target == 1, 1 - cos, zeros) + \
        where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _apply_reduction(output, reduction)


@op("cosine_embedding_loss", namespace="nn.functional")
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target == 1, max(0, cos(x1, x2) - margin) where target == -1."""
    reduction = _legacy(size_average, reduce, reduction)
    return _cosine_embedding(input1, input2, target, margin, reduction)


@op("cosine_embedding_loss")
def cosine_embedding_loss_aten(input1: Tensor, input2: Tensor, target: Tensor,
                               margin: float = 0.0, reduction: int = 0) -> Tensor:
    """torch.cosine_embedding_loss(input1, input2, target, margin, reduction: int)."""
    return _cosine_embedding(input1, input2, target, margin, _aten(reduction))


# ------------------------------------------------------------------ triplet margin losses
def _same_ndim(anchor, positive, negative) -> None:
    a, p, n = anchor.dim(), positive.dim(), negative.dim()
    if not (a == p and p == n):
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {p}D, "
                           f"and negative {n}D inputs")


def _triplet(dist, anchor, positive, negative, margin, swap, reduction):
    """max(0, margin + d(a, p) - d(a, n)), d(a, n) replaced by min(d(a, n), d(p, n)) on swap."""
    dist_pos = dist(anchor, positive)
    dist_neg = dist(anchor, negative)
    if swap:
        dist_neg = minimum(dist_neg, dist(positive, negative))
    return _apply_reduction((margin + dist_pos - dist_neg).clamp_min(0), reduction)


def _check_margin(margin) -> None:
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")


@op("triplet_margin_loss", namespace="nn.functional")
def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, margin + ||a - p + eps||_p - ||a - n + eps||_p) over the last dim, reduced."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_margin(margin)
    return triplet_margin_loss_aten(anchor, positive, negative, margin, p, eps, swap,
                                    {"none": 0, "mean": 1, "sum": 2}[reduction])


@op("triplet_margin_loss")
def triplet_margin_loss_aten(anchor: Tensor, positive: Tensor, negative: Tensor,
                             margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                             swap: bool = False, reduction: int = 0) -> Tensor:
    """torch.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction)."""
    _same_ndim(anchor, positive, negative)
    return _triplet(lambda x1, x2: pairwise_distance(x1, x2, p, eps), anchor, positive,
                    negative, margin, swap, _aten(reduction))


@op("triplet_margin_with_distance_loss", namespace="nn.functional")
def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """The triplet loss with any `distance_function(x1, x2)` (pairwise_distance by default)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _check_margin(margin)
    _same_ndim(anchor, positive, negative)
    dist = pairwise_distance if distance_function is None else distance_function
    return _triplet(dist, anchor, positive, negative, margin, swap, reduction)


# ------------------------------------------------------------------ multilabel_soft_margin_loss
@op("multilabel_soft_margin_loss", namespace="nn.functional")
def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """-(t log sigmoid(x) + (1 - t) log sigmoid(-x)), weighted, averaged over the class dim."""
    from .activation import softplus
    if size_average is not None or reduce is not None:
        reduction = _legacy(size_average, reduce, reduction)
    loss = -(target * -softplus(-input) + (1 - target) * -softplus(input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    if class_dim < 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    loss = loss.sum(dim=class_dim) / input.size(class_dim)
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")


# ------------------------------------------------------------------ soft_margin_loss
def _float_kernel_dtype(x: Tensor, kernel: str) -> None:
    """NotImplementedError for the dtypes PyTorch's CPU kernel lacks (only float32/float64)."""
    if x.dtype.name not in ("float32", "float64"):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(x)}\'')


def _mean_scale(reduction: str, count: int) -> float:
    return 1.0 / count if reduction == "mean" and count else 1.0


class SoftMarginLoss(ArrayFunction):
    """log(1 + exp(-target * input)), computed as PyTorch does (no rescaling: it overflows
    to inf where -target * input > ~709 in float64, as PyTorch's)."""

    @staticmethod
    def forward(ctx, input, target, reduction):
        x, t = _soft_margin_operands(input, target)
        xp = xp_of(x)
        # PyTorch runs neg, mul, exp, log1p as separate in-place steps on the output: a
        # half-type result is rounded after each one
        step = _rounder(input._data.dtype, x.dtype)
        loss = step(xp.log1p(step(xp.exp(step(-x * t)))))
        ctx.save_for_backward(input, target)
        ctx.reduction = reduction
        out = _reduce(xp, xp.broadcast_to(loss, x.shape), reduction)
        return _wrap(out.astype(input._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        input, target = ctx.saved_tensors
        x, t = _soft_margin_operands(input, target)
        xp = xp_of(x)
        z = xp.exp(-t * x)
        scale = _mean_scale(ctx.reduction, x.size)
        gx = -scale * t * z / (1.0 + z) * compute_array(g)
        return xp.broadcast_to(gx, x.shape).astype(input._data.dtype, copy=False), None, None

    @staticmethod
    def grad_formula(ctx, g):
        """PyTorch's soft_margin_loss_backward: -t sigmoid(-t x) g, / numel for 'mean'."""
        from ..autograd.higher_order import reduce_grad
        input, target = ctx.saved_tensors
        t = target if target.dtype is input.dtype else target.to(input.dtype)
        gx = -t * (-t * input).sigmoid() * (g * _mean_scale(ctx.reduction, input.numel()))
        if tuple(gx.shape) != tuple(input.shape):
            gx = gx.expand(tuple(input.shape))
        return reduce_grad(gx, input), None, None


def _soft_margin_operands(input: Tensor, target: Tensor):
    """input and target as arrays of the type PyTorch computes in: the promotion of the two
    (float32 for half types; an integer target takes the input's type)."""
    x, t = compute_array(input._data), compute_array(target._data)
    dtype = np.result_type(x.dtype, t.dtype) if t.dtype.kind == "f" else x.dtype
    return x.astype(dtype, copy=False), t.astype(dtype, copy=False)


def _rounder(dtype, compute_dtype):
    """Rounding of an intermediate to `dtype` (kept in compute_dtype); identity for floats."""
    if dtype == compute_dtype:
        return lambda a: a
    return lambda a: a.astype(dtype).astype(compute_dtype)


def _reduce(xp, loss, reduction: str):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return xp.asarray(loss.sum())
    if loss.size == 0:
        return xp.asarray(np.nan, dtype=loss.dtype)
    return xp.asarray(loss.sum() / loss.size)


@op("soft_margin_loss", namespace="nn.functional")
def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Two-class logistic loss log(1 + exp(-target * input)), reduced (target is 1 or -1)."""
    reduction = _legacy(size_average, reduce, reduction)
    check_tensor(input, "input", "soft_margin_loss")
    check_tensor(target, "target", "soft_margin_loss", 2)
    _no_grad_arg(target, "soft_margin_loss", "target")
    shape = broadcast_shape(tuple(input.shape), tuple(target.shape))
    if shape != tuple(input.shape):
        raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast "
                           f"shape {list(shape)}")
    if not input.is_floating_point():
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{type_name(input)}")
    return SoftMarginLoss.apply(input, target, reduction)


# ------------------------------------------------------------------ multi_margin_loss
def _nonempty_input(input: Tensor) -> None:
    nd = input.dim()
    if not ((nd == 2 and input.shape[1] != 0) or (nd == 1 and input.shape[0] != 0) or nd == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(input.shape)}")


def _long_target(target: Tensor) -> None:
    if target.dtype.name != "int64":
        raise RuntimeError(f"expected scalar type Long but found {type_name(target)}")


def _as_rows(a, nframe: int, dim: int):
    """An input of 0, 1 or 2 dims as an (nframe, dim) array."""
    return a.reshape(nframe, dim)


class MultiMarginLoss(ArrayFunction):
    """sum_{j != y} w[y] max(0, margin - x[y] + x[j])^p / C per row (PyTorch's kernel)."""

    @staticmethod
    def forward(ctx, input, target, weight, p, margin, reduction, out_shape):
        x = compute_array(input._data)
        xp = xp_of(x)
        nframe = int(np.prod(out_shape)) if out_shape else 1
        dim = x.size // nframe if nframe else (x.shape[-1] if x.ndim else 1)
        x = _as_rows(x, nframe, dim)
        y = target._data.reshape(nframe)
        rows = xp.arange(nframe)
        z = margin - x[rows, y][:, None] + x
        z[rows, y] = 0.0                        # the target class is not summed
        h = xp.maximum(z, 0.0)
        wy = None if weight is None else compute_array(weight._data).reshape(-1)[y][:, None]
        terms = h if p == 1 else h * h
        if wy is not None:
            terms = terms * wy
        loss = terms.sum(axis=1) / dim
        ctx.save_for_backward(input)
        ctx.state = (z, wy, y, p, reduction, out_shape, nframe, dim)
        out = _reduce(xp, loss.reshape(out_shape), reduction)
        return _wrap(out.astype(input._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        (input,) = ctx.saved_tensors
        z, wy, y, p, reduction, out_shape, nframe, dim = ctx.state
        xp = xp_of(z)
        g = compute_array(g)
        g_rows = (xp.broadcast_to(g, out_shape) if reduction == "none" else
                  xp.broadcast_to(g, (nframe,))).reshape(nframe, 1)
        gz = xp.where(z > 0, 1.0 if p == 1 else 2.0 * z, 0.0) / dim
        if wy is not None:
            gz = gz * wy
        gz = gz * g_rows * _mean_scale(reduction, nframe)
        rows = xp.arange(nframe)
        gz[rows, y] = -gz.sum(axis=1)
        return gz.reshape(input.shape).astype(input._data.dtype, copy=False), None, None, \
            None, None, None, None


@op("multi_margin_loss", namespace="nn.functional")
def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss of class scores `input` (N, C) or (C,) and class indices."""
    reduction = _legacy(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    _no_grad_arg(weight, "multi_margin_loss", "weight")
    _nonempty_input(input)
    nd = input.dim()
    nframe = input.shape[0] if nd == 2 else 1
    dim = 1 if nd == 0 else input.shape[-1]
    if not (target.dim() <= 1 and target.numel() == nframe):
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to "
                           "the number of input samples (batch size). Expected target size "
                           f"[{nframe}], but got {list(target.shape)}. Input has shape "
                           f"{list(input.shape)}.")
    if weight is not None and weight.numel() != dim:
        raise RuntimeError(f"inconsistent weight size, expected {dim} but got "
                           f"{list(weight.shape)}")
    _float_kernel_dtype(input, "multi_margin_loss_cpu_kernel")
    _long_target(target)
    if weight is not None and weight.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {type_name(input)} but found "
                           f"{type_name(weight)}")
    if target.numel() and bool(((target._data < 0) | (target._data >= dim)).any()):
        raise RuntimeError("target out of range")
    out_shape = (nframe,) if nd == 2 else tuple(target.shape)
    return MultiMarginLoss.apply(input, target, weight, int(p), float(margin), reduction,
                                 out_shape)


# ------------------------------------------------------------------ multilabel_margin_loss
_CHUNK = 1 << 22   # elements of the (rows, C, C) pair arrays built at once


class MultilabelMarginLoss(ArrayFunction):
    """sum over targets j (up to the first -1) and non-targets k of max(0, 1 - x[j] + x[k]),
    divided by C, per row (PyTorch's kernel)."""

    @staticmethod
    def forward(ctx, input, target, reduction):
        x = compute_array(input._data)
        xp = xp_of(x)
        nframe = x.shape[0] if x.ndim == 2 else 1
        dim = x.shape[-1] if x.ndim else 1
        x = x.reshape(nframe, dim)
        t = target._data.reshape(nframe, dim)
        valid = xp.cumprod(t >= 0, axis=1).astype(bool)       # targets before the first -1
        t = xp.where(valid, t, 0)
        is_target = xp.zeros((nframe, dim), dtype=bool)
        rows = xp.broadcast_to(xp.arange(nframe)[:, None], t.shape)
        is_target[rows[valid], t[valid]] = True
        loss = xp.zeros(nframe, dtype=x.dtype)
        for lo, hi in _chunks(nframe, dim):
            h = _pair_margins(xp, x[lo:hi], t[lo:hi], valid[lo:hi], is_target[lo:hi])
            loss[lo:hi] = h.sum(axis=(1, 2)) / dim
        ctx.save_for_backward(input)
        ctx.state = (t, valid, is_target, reduction, nframe, dim)
        out_shape = (nframe,) if input.dim() == 2 else ()
        out = _reduce(xp, loss.reshape(out_shape), reduction)
        return _wrap(out.astype(input._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        (input,) = ctx.saved_tensors
        t, valid, is_target, reduction, nframe, dim = ctx.state
        x = compute_array(input._data).reshape(nframe, dim)
        xp = xp_of(x)
        g = compute_array(g)
        g_rows = (xp.broadcast_to(g, (nframe,)) if reduction != "none" else g.reshape(nframe))
        g_rows = g_rows * (_mean_scale(reduction, nframe) / dim)
        gx = xp.zeros((nframe, dim), dtype=x.dtype)
        for lo, hi in _chunks(nframe, dim):
            active = _pair_margins(xp, x[lo:hi], t[lo:hi], valid[lo:hi], is_target[lo:hi]) > 0
            s = active * g_rows[lo:hi, None, None]           # (rows, j, k)
            gx[lo:hi] += s.sum(axis=1)                       # + at each non-target k
            onehot = (t[lo:hi, :, None] == xp.arange(dim)) & valid[lo:hi, :, None]
            gx[lo:hi] -= (s.sum(axis=2)[:, :, None] * onehot).sum(axis=1)   # - at target j
        return gx.reshape(input.shape).astype(input._data.dtype, copy=False), None, None


def _chunks(nframe: int, dim: int):
    step = max(1, _CHUNK // max(1, dim * dim))
    return [(lo, min(lo + step, nframe)) for lo in range(0, nframe, step)]


def _pair_margins(xp, x, t, valid, is_target):
    """max(0, 1 - x[j] + x[k]) for each target j (rows, C_j, C_k), 0 off the target pairs."""
    xt = xp.take_along_axis(x, t, axis=1)
    h = xp.maximum(1.0 - xt[:, :, None] + x[:, None, :], 0.0)
    return h * (valid[:, :, None] & ~is_target[:, None, :])


@op("multilabel_margin_loss", namespace="nn.functional")
def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss: `target` holds class indices, padded with -1 after the last."""
    reduction = _legacy(size_average, reduce, reduction)
    _nonempty_input(input)
    nd = input.dim()
    dim = 1 if nd == 0 else input.shape[-1]
    ok = (target.dim() <= 1 and target.numel() == dim) if nd <= 1 else \
        tuple(target.shape) == tuple(input.shape)
    if not ok:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    _float_kernel_dtype(input, "multilabel_margin_loss_forward_out_frame")
    _long_target(target)
    if target.numel() and bool(((target._data < -1) | (target._data >= dim)).any()):
        raise RuntimeError("argument #2 'target' is out of range")
    return MultilabelMarginLoss.apply(input, target, reduction)
