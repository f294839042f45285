"""Losses: mse, l1, smooth_l1, huber, cross_entropy, nll, binary cross-entropy, kl_div.

Every loss is one `ArrayFunction` that computes the elementwise loss and its reduction
('none', 'mean' or 'sum') in forward, and the gradient for input and target in backward.
cross_entropy over class indices is log-softmax and NLL fused: on CPU float32/float64 a Numba
kernel (kernels/cpu/loss.py) makes one pass per row forward and one backward, keeping only the
per-row log-sum-exp between them; other inputs run the same algebra with `xp`.

The public functions use PyTorch's `nn.functional` signatures; minitorch_nn/nn/functional.py
re-exports them. None is exported at the top level (`__all__` is empty), as in PyTorch.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..amp.autocast_mode import AUTOCAST as _AMP, autocast_call
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import (acc_dtype, broadcast_shape, compute_array, kernel_for, reduce_loss,
                       reduction_of, require_float, type_name)
from ._util import binary_operands, sum_to_shape, xp_of

__all__: list[str] = []


# ------------------------------------------------------------------ shared helpers
def _scale_for(g, shape, reduction: str, count):
    """The upstream gradient `g` spread over an elementwise loss of `shape`."""
    xp = xp_of(g)
    if reduction == "none":
        return g
    if reduction == "mean":
        g = g / count
    return xp.broadcast_to(g, shape)


def _reduce(loss, reduction: str):
    """reduce_loss without numpy's warnings for the mean of an empty loss (nan, as PyTorch)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return reduce_loss(loss, reduction)


def _grad_to(grad, t: Tensor | None):
    """`grad` summed to t's shape and cast to t's dtype (None when t is not a Tensor)."""
    if t is None:
        return None
    grad = sum_to_shape(grad, t._data.shape)
    return grad.astype(t._data.dtype, copy=False)


def _warn_size(input: Tensor, target: Tensor) -> None:
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=3)


def _no_grad_arg(t: Tensor | None, fn: str, name: str) -> None:
    """PyTorch refuses a `weight` that requires grad where the loss cannot differentiate it."""
    if t is not None and t.requires_grad:
        from ..autograd.grad_mode import is_grad_enabled
        if is_grad_enabled():
            raise RuntimeError(f"The function '{fn}' is not differentiable with respect to "
                               f"argument '{name}'. This input cannot have requires_grad True.")


def _same_dtype(input: Tensor, other: Tensor | None, found_first: bool = False) -> None:
    if other is not None and other.dtype is not input.dtype:
        if found_first:
            raise RuntimeError(f"Found dtype {type_name(other)} but expected "
                               f"{type_name(input)}")
        raise RuntimeError(f"expected scalar type {type_name(input)} but found "
                           f"{type_name(other)}")


# ------------------------------------------------------------------ pointwise regression losses
def _pointwise_forward(ctx, input, target, reduction, kind, param):
    """Shared forward of mse/l1/smooth_l1/huber: loss(d) with d = input - target."""
    require_float(input, {"mse": "mse_cpu", "l1": "abs_cpu", "smooth_l1": "smooth_l1_cpu",
                          "huber": "huber_cpu"}[kind])
    shape = broadcast_shape(input._data.shape, target._data.shape)
    x, t, res = binary_operands(input, target)
    ctx.save_for_backward(input, target)
    ctx.meta = (reduction, kind, param, shape)
    d = compute_array(x) - compute_array(t)
    loss = _POINTWISE[kind][0](xp_of(d), d, param)
    return _wrap(_reduce(loss, reduction).astype(res.np, copy=False))


def _pointwise_backward(ctx, g):
    input, target = ctx.saved_tensors
    reduction, kind, param, shape = ctx.meta
    x, t, _ = binary_operands(input, target)
    d = compute_array(x) - compute_array(t)
    xp = xp_of(d)
    grad = _POINTWISE[kind][1](xp, d, param) * _scale_for(compute_array(g), shape, reduction,
                                                           d.size)
    gx = _grad_to(grad, input) if ctx.needs_input_grad[0] else None
    gt = _grad_to(-grad, target) if ctx.needs_input_grad[1] else None
    return gx, gt, None


def _mse(xp, d, _):
    return d * d


def _mse_grad(xp, d, _):
    return 2.0 * d


def _l1(xp, d, _):
    return xp.abs(d)


def _l1_grad(xp, d, _):
    return xp.sign(d)


def _smooth_l1(xp, d, beta):
    a = xp.abs(d)
    return xp.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)


def _smooth_l1_grad(xp, d, beta):
    return xp.where(xp.abs(d) < beta, d / beta, xp.sign(d))


def _huber(xp, d, delta):
    a = xp.abs(d)
    return xp.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))


def _huber_grad(xp, d, delta):
    return xp.clip(d, -delta, delta)


_POINTWISE = {"mse": (_mse, _mse_grad), "l1": (_l1, _l1_grad),
              "smooth_l1": (_smooth_l1, _smooth_l1_grad), "huber": (_huber, _huber_grad)}


class MseLoss(ArrayFunction):
    @staticmethod
    def forward(ctx, input, target, reduction):
        return _pointwise_forward(ctx, input, target, reduction, "mse", None)

    backward = staticmethod(_pointwise_backward)


class L1Loss(ArrayFunction):
    @staticmethod
    def forward(ctx, input, target, reduction):
        return _pointwise_forward(ctx, input, target, reduction, "l1", None)

    backward = staticmethod(_pointwise_backward)


class SmoothL1Loss(ArrayFunction):
    @staticmethod
    def forward(ctx, input, target, reduction, beta):
        return _pointwise_forward(ctx, input, target, reduction, "smooth_l1", beta)

    @staticmethod
    def backward(ctx, g):
        return _pointwise_backward(ctx, g) + (None,)


class HuberLoss(ArrayFunction):
    @staticmethod
    def forward(ctx, input, target, reduction, delta):
        return _pointwise_forward(ctx, input, target, reduction, "huber", delta)

    @staticmethod
    def backward(ctx, g):
        return _pointwise_backward(ctx, g) + (None,)


def _weighted(loss: Tensor, weight: Tensor, reduction: str, mean_by_weight: bool) -> Tensor:
    """PyTorch's composite path for a `weight` of the input's size (mse, l1, huber)."""
    weighted = loss * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if mean_by_weight:
        return weighted.sum() / weight.sum()
    return weighted.sum() / weighted.numel()


def _check_weight_size(input: Tensor, weight: Tensor) -> None:
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error: (input - target) ** 2, reduced."""
    if _AMP.on and _AMP.active():
        return autocast_call("mse_loss", mse_loss, input, target, size_average, reduce, reduction,
                             weight)
    _warn_size(input, target)
    reduction = reduction_of(size_average, reduce, reduction)
    if weight is not None:
        _check_weight_size(input, weight)
        return _weighted(MseLoss.apply(input, target, "none"), weight, reduction, True)
    return MseLoss.apply(input, target, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error: |input - target|, reduced."""
    if _AMP.on and _AMP.active():
        return autocast_call("l1_loss", l1_loss, input, target, size_average, reduce, reduction,
                             weight)
    _warn_size(input, target)
    reduction = reduction_of(size_average, reduce, reduction)
    if weight is not None:
        _check_weight_size(input, weight)
        return _weighted(L1Loss.apply(input, target, "none"), weight, reduction, True)
    return L1Loss.apply(input, target, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target)."""
    if _AMP.on and _AMP.active():
        return autocast_call("smooth_l1_loss", smooth_l1_loss, input, target, size_average, reduce,
                             reduction, beta)
    _warn_size(input, target)
    reduction = reduction_of(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return L1Loss.apply(input, target, reduction)
    return SmoothL1Loss.apply(input, target, reduction, float(beta))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere."""
    if _AMP.on and _AMP.active():
        return autocast_call("huber_loss", huber_loss, input, target, reduction, delta, weight)
    _warn_size(input, target)
    reduction = reduction_of(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        _check_weight_size(input, weight)
        return _weighted(HuberLoss.apply(input, target, "none", float(delta)), weight,
                         reduction, False)
    return HuberLoss.apply(input, target, reduction, float(delta))


# ------------------------------------------------------------------ NLL and cross-entropy
def _rows(a, n_lead: int):
    """An (N, C, d1, ...) array as (M, C) rows with the class dim last (a view when 2-D)."""
    if a.ndim == 1:
        return a.reshape(1, -1)
    if a.ndim == 2:
        return a
    xp = xp_of(a)
    return xp.moveaxis(a, 1, -1).reshape(-1, a.shape[1])


def _unrows(rows, shape):
    """Undo `_rows`: (M, C) back to `shape` = (N, C, d1, ...) (or (C,))."""
    if len(shape) <= 2:
        return rows.reshape(shape)
    xp = xp_of(rows)
    moved = rows.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],))
    return xp.moveaxis(moved, -1, 1)


def _check_index_target(input: Tensor, target: Tensor) -> None:
    """PyTorch's shape and dtype checks for class-index targets."""
    if target.dtype.name not in ("int64", "uint8"):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{type_name(target)}")
    ndim = input.ndim
    if ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    if ndim == 1:
        if target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if target.ndim == 1 and target.shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                             f"{target.shape[0]}")
        return
    n_target = target.shape[0] if target.ndim else 0
    if ndim == 2 and target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if n_target != input.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({n_target}).")
    expected = (input.shape[0],) + tuple(input.shape[2:])
    if tuple(target.shape) != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(target.shape)}")


def _check_class_weight(input: Tensor, weight: Tensor | None) -> None:
    n_classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != n_classes):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} "
                           f"classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    _same_dtype(input, weight)


def _check_bounds(tgt, n_classes: int, ignore_index: int) -> None:
    xp = xp_of(tgt)
    bad = ((tgt < 0) | (tgt >= n_classes)) & (tgt != ignore_index)
    if bool(bad.any()):
        first = int(tgt[xp.argmax(bad)])
        raise IndexError(f"Target {first} is out of bounds.")


class NllLoss(ArrayFunction):
    """Negative log-likelihood of class indices; with `from_logits` the log-softmax is fused in.

    Per row i (class dim moved last): loss_i = -w[y_i] * logp[i, y_i], plus the label
    smoothing term; 'mean' divides by the summed weights of the non-ignored rows.
    """

    @staticmethod
    def forward(ctx, input, target, weight, reduction, ignore_index, label_smoothing,
                from_logits):
        arr = input._data
        rows = _rows(arr, 1)
        tgt = target._data.reshape(-1).astype(np.int64, copy=False)
        n_classes = rows.shape[1]
        _check_bounds(tgt, n_classes, ignore_index)
        xp = xp_of(arr)
        w = weight._data if weight is not None else xp.ones(n_classes, dtype=arr.dtype)
        eps = float(label_smoothing)
        kernel = kernel_for(arr, "loss", "cross_entropy_fwd") if from_logits else None
        if kernel is not None and rows.shape[0] and n_classes:
            rows, tgt = xp.ascontiguousarray(rows), xp.ascontiguousarray(tgt)
            w = xp.ascontiguousarray(w, arr.dtype)
            acc = acc_dtype(arr.dtype)   # per-row results in float for half types
            lse, loss, wt = (xp.empty(rows.shape[0], acc) for _ in range(3))
            kernel(rows, tgt, w, ignore_index, eps, lse, loss, wt)
        else:
            rows = compute_array(rows)
            w = compute_array(w)
            lse = _logsumexp_rows(xp, rows) if from_logits else None
            loss, wt = _nll_rows(xp, rows, lse, tgt, w, ignore_index, eps)
        ctx.save_for_backward(input, target)
        ctx.state = (rows, lse, tgt, w, wt, reduction, ignore_index, eps, from_logits)
        total = wt.sum()
        ctx.total = total
        if reduction == "none":
            out = loss.reshape(() if arr.ndim == 1 else target._data.shape)
        elif reduction == "sum":
            out = loss.sum()
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                out = loss.sum() / total
        return _wrap(xp.asarray(out).astype(arr.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        input, _ = ctx.saved_tensors   # version check: input unchanged since forward
        rows, lse, tgt, w, wt, reduction, ignore_index, eps, from_logits = ctx.state
        xp = xp_of(rows)
        m = rows.shape[0]
        g = compute_array(g)
        if reduction == "none":
            scale = g.reshape(-1)
        else:
            s = g / ctx.total if reduction == "mean" else g
            scale = xp.broadcast_to(xp.asarray(s, dtype=rows.dtype), (m,))
        kernel = kernel_for(rows, "loss", "cross_entropy_bwd") if from_logits else None
        if kernel is not None and m and rows.dtype == input._data.dtype:
            grad = xp.empty(rows.shape, rows.dtype)
            kernel(rows, tgt, w, ignore_index, eps, lse,
                   xp.ascontiguousarray(scale, acc_dtype(rows.dtype)), grad)
        else:
            grad = _nll_rows_grad(xp, rows, lse, tgt, w, ignore_index, eps, scale)
        grad = _unrows(grad, input._data.shape)
        return grad.astype(input._data.dtype, copy=False), None, None, None, None, None, None


def _logsumexp_rows(xp, rows):
    if rows.shape[1] == 0:
        return xp.full(rows.shape[0], -np.inf, rows.dtype)
    m = rows.max(axis=1, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    return (m + xp.log(xp.exp(rows - m).sum(axis=1, keepdims=True)))[:, 0]


def _nll_rows(xp, rows, lse, tgt, w, ignore_index, eps):
    """Per-row losses and target weights (0 for ignored rows) of log-probs or logits."""
    valid = tgt != ignore_index
    safe = xp.where(valid, tgt, 0)
    picked = xp.take_along_axis(rows, safe[:, None], axis=1)[:, 0]
    wt = xp.where(valid, w[safe], 0).astype(rows.dtype)
    logp_y = picked - lse if lse is not None else picked
    loss = -(1.0 - eps) * wt * logp_y
    if eps > 0.0:
        logp = rows - lse[:, None] if lse is not None else rows
        smooth = -(logp * w).sum(axis=1)
        loss = loss + xp.where(valid, eps / rows.shape[1] * smooth, 0)
    return loss.astype(rows.dtype, copy=False), wt


def _nll_rows_grad(xp, rows, lse, tgt, w, ignore_index, eps, scale):
    """d(loss_i)/d(rows) scaled per row; the softmax term appears only with from_logits."""
    m, c = rows.shape
    valid = tgt != ignore_index
    safe = xp.where(valid, tgt, 0)
    wt = xp.where(valid, w[safe], 0).astype(rows.dtype)
    s = (scale * valid).astype(rows.dtype)[:, None]
    grad = xp.zeros(rows.shape, rows.dtype)
    hard = ((1.0 - eps) * wt)[:, None]
    if lse is not None:
        p = xp.exp(rows - lse[:, None])
        grad += hard * p
        if eps > 0.0:
            grad += eps / c * (w.sum() * p - w[None, :])
    elif eps > 0.0:
        grad -= eps / c * w[None, :]
    grad[xp.arange(m), safe] -= hard[:, 0]
    return grad * s


class SoftCrossEntropy(ArrayFunction):
    """Cross-entropy against class probabilities: -sum_c w_c p_c log_softmax(x)_c per row."""

    @staticmethod
    def forward(ctx, input, target, weight, reduction, label_smoothing):
        arr = input._data
        xp = xp_of(arr)
        rows = compute_array(_rows(arr, 1))
        p = compute_array(_rows(target._data.astype(arr.dtype, copy=False), 1))
        c = rows.shape[1]
        if label_smoothing > 0:
            p = p * (1.0 - label_smoothing) + label_smoothing / c
        w = compute_array(weight._data) if weight is not None else None
        logp = rows - _logsumexp_rows(xp, rows)[:, None]
        terms = -(logp * p) if w is None else -(logp * p * w)
        loss = terms.sum(axis=1)
        ctx.save_for_backward(input, target, weight)
        ctx.state = (logp, p, w, reduction, label_smoothing)
        if reduction == "none":
            out = loss.reshape(() if arr.ndim == 1 else arr.shape[:1] + arr.shape[2:])
        elif reduction == "sum":
            out = loss.sum()
        else:
            out = loss.sum() / rows.shape[0] if rows.shape[0] else loss.sum() * np.nan
        return _wrap(xp.asarray(out).astype(arr.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        input, target, weight = ctx.saved_tensors
        logp, p, w, reduction, eps = ctx.state
        xp = xp_of(logp)
        m = logp.shape[0]
        g = compute_array(g)
        if reduction == "none":
            scale = g.reshape(-1)[:, None]
        else:
            scale = (g / m if reduction == "mean" else g) * xp.ones((m, 1), logp.dtype)
        wp = p if w is None else p * w
        shape = input._data.shape
        grads = [None, None, None, None, None]
        if ctx.needs_input_grad[0]:
            gx = (xp.exp(logp) * wp.sum(axis=1, keepdims=True) - wp) * scale
            grads[0] = _unrows(gx, shape).astype(input._data.dtype, copy=False)
        if ctx.needs_input_grad[1]:
            gp = -logp * (1.0 if w is None else w) * (1.0 - eps) * scale
            grads[1] = _unrows(gp, shape).astype(target._data.dtype, copy=False)
        if weight is not None and ctx.needs_input_grad[2]:
            grads[2] = (-(logp * p) * scale).sum(axis=0).astype(weight._data.dtype)
        return tuple(grads)


def _ce_checks(input: Tensor, target: Tensor, weight, label_smoothing) -> bool:
    """Validate; return True when `target` holds class probabilities."""
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    probs = tuple(input.shape) == tuple(target.shape) and target.is_floating_point()
    if probs:
        if input.ndim == 0:
            raise ValueError("Expected 1 or more dimensions (got 0)")
        _check_class_weight(input, weight)
        return True
    _check_index_target(input, target)
    _check_class_weight(input, weight)
    return False


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over dim 1 (dim 0 for unbatched input) and NLL, fused."""
    if _AMP.on and _AMP.active():
        return autocast_call("cross_entropy", cross_entropy, input, target, weight, size_average,
                             ignore_index, reduce, reduction, label_smoothing)
    reduction = reduction_of(size_average, reduce, reduction)
    require_float(input, "log_softmax_lastdim_kernel_impl")
    if _ce_checks(input, target, weight, label_smoothing):
        return SoftCrossEntropy.apply(input, target, weight, reduction, float(label_smoothing))
    _no_grad_arg(weight, "nll_loss_forward", "weight")
    return NllLoss.apply(input, target, weight, reduction, int(ignore_index),
                         float(label_smoothing), True)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """-input[i, target[i]] * weight[target[i]], reduced (input holds log-probabilities)."""
    if _AMP.on and _AMP.active():
        return autocast_call("nll_loss", nll_loss, input, target, weight, size_average,
                             ignore_index, reduce, reduction)
    reduction = reduction_of(size_average, reduce, reduction)
    require_float(input, "nll_loss_forward_out_frame")
    _check_index_target(input, target)
    _check_class_weight(input, weight)
    _no_grad_arg(weight, "nll_loss_forward", "weight")
    return NllLoss.apply(input, target, weight, reduction, int(ignore_index), 0.0, False)


# ------------------------------------------------------------------ binary cross-entropy
class BinaryCrossEntropy(ArrayFunction):
    """-w (t log x + (1 - t) log(1 - x)), each log clamped at -100 as in PyTorch."""

    @staticmethod
    def forward(ctx, input, target, weight, reduction):
        xp = xp_of(input._data)
        x, t = compute_array(input._data), compute_array(target._data)
        if bool(((x < 0) | (x > 1)).any()):
            raise RuntimeError("all elements of input should be between 0 and 1")
        if bool(((t < 0) | (t > 1)).any()):
            raise RuntimeError("all elements of target should be between 0 and 1")
        with np.errstate(divide="ignore"):   # log(0) = -inf, clamped to -100 as PyTorch
            log_x = xp.maximum(xp.log(x), -100.0)
            log_1mx = xp.maximum(xp.log1p(-x), -100.0)
        loss = -(t * log_x + (1.0 - t) * log_1mx)
        w = None
        if weight is not None:
            w = xp.broadcast_to(compute_array(weight._data), x.shape)
            loss = loss * w
        ctx.save_for_backward(input, target)
        ctx.state = (w, reduction, log_x, log_1mx)
        return _wrap(_reduce(loss, reduction).astype(input._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        input, target = ctx.saved_tensors
        w, reduction, log_x, log_1mx = ctx.state
        xp = xp_of(log_x)
        x, t = compute_array(input._data), compute_array(target._data)
        scale = _scale_for(compute_array(g), x.shape, reduction, x.size)
        if w is not None:
            scale = scale * w
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = (x - t) / xp.maximum((1.0 - x) * x, 1e-12) * scale
            gx = gx.astype(input._data.dtype, copy=False)
        if ctx.needs_input_grad[1]:
            gt = ((log_1mx - log_x) * scale).astype(target._data.dtype, copy=False)
        return gx, gt, None, None


class BinaryCrossEntropyWithLogits(ArrayFunction):
    """(1 - t) x + lw * softplus(-x), lw = 1 + (pos_weight - 1) t: stable for any x."""

    @staticmethod
    def forward(ctx, input, target, weight, pos_weight, reduction):
        xp = xp_of(input._data)
        x, t = compute_array(input._data), compute_array(target._data)
        sp = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))   # softplus(-x)
        if pos_weight is not None:
            lw = 1.0 + (compute_array(pos_weight._data) - 1.0) * t
            loss = (1.0 - t) * x + lw * sp
        else:
            lw = None
            loss = (1.0 - t) * x + sp
        w = None
        if weight is not None:
            w = compute_array(weight._data)
            loss = loss * w
        loss = xp.broadcast_to(loss, x.shape)
        ctx.save_for_backward(input, target)
        ctx.state = (w, lw, sp, reduction, pos_weight)
        return _wrap(_reduce(loss, reduction).astype(input._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        input, target = ctx.saved_tensors
        w, lw, sp, reduction, pos_weight = ctx.state
        xp = xp_of(sp)
        x, t = compute_array(input._data), compute_array(target._data)
        scale = _scale_for(compute_array(g), x.shape, reduction, x.size)
        if w is not None:
            scale = scale * w
        gx = gt = None
        if ctx.needs_input_grad[0]:
            sig_neg = 0.5 * (1.0 - xp.tanh(0.5 * x))   # sigmoid(-x)
            d = (1.0 - t) - (sig_neg if lw is None else lw * sig_neg)
            gx = (d * scale).astype(input._data.dtype, copy=False)
        if ctx.needs_input_grad[1]:
            d = -x if pos_weight is None else -x + (compute_array(pos_weight._data) - 1) * sp
            gt = xp.broadcast_to(d * scale, t.shape).astype(target._data.dtype, copy=False)
        return gx, gt, None, None, None


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities `input` against `target` in [0, 1]."""
    if _AMP.on and _AMP.active():
        return autocast_call("binary_cross_entropy", binary_cross_entropy, input, target, weight,
                             size_average, reduce, reduction)
    reduction = reduction_of(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    require_float(input, "binary_cross_entropy")
    _same_dtype(input, target, found_first=True)
    if weight is not None:
        broadcast_shape(tuple(target.shape), tuple(weight.shape))
        _no_grad_arg(weight, "binary_cross_entropy", "weight")
    return BinaryCrossEntropy.apply(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid and binary cross-entropy in one stable formula; pos_weight scales positives."""
    if _AMP.on and _AMP.active():
        return autocast_call("binary_cross_entropy_with_logits", binary_cross_entropy_with_logits,
                             input, target, weight, size_average, reduce, reduction, pos_weight)
    reduction = reduction_of(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    require_float(input, "binary_cross_entropy_with_logits")
    for name, t in (("weight", weight), ("pos_weight", pos_weight)):
        if t is not None:
            broadcast_shape(tuple(input.shape), tuple(t.shape))
        _no_grad_arg(t, "binary_cross_entropy_with_logits", name)
    return BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight, reduction)


# ------------------------------------------------------------------ KL divergence
class KlDiv(ArrayFunction):
    """Pointwise KL: t (log t - x), or exp(t) (t - x) with log_target; 0 where t == 0."""

    @staticmethod
    def forward(ctx, input, target, reduction, log_target):
        xp = xp_of(input._data)
        x, t = compute_array(input._data), compute_array(target._data)
        if log_target:
            loss = xp.exp(t) * (t - x)
        else:
            safe = xp.where(t > 0, t, 1)
            loss = t * xp.log(safe) - t * x
        shape = broadcast_shape(x.shape, t.shape)
        loss = xp.broadcast_to(loss, shape)
        ctx.save_for_backward(input, target)
        ctx.meta = (reduction, log_target, shape)
        if reduction == "batchmean":
            out = loss.sum() / (shape[0] if len(shape) else 1)
        else:
            out = _reduce(loss, reduction)
        return _wrap(xp.asarray(out).astype(input._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        input, target = ctx.saved_tensors
        reduction, log_target, shape = ctx.meta
        xp = xp_of(input._data)
        x, t = compute_array(input._data), compute_array(target._data)
        g = compute_array(g)
        if reduction == "batchmean":
            scale = xp.broadcast_to(g / (shape[0] if len(shape) else 1), shape)
        else:
            scale = _scale_for(g, shape, reduction, int(np.prod(shape)))
        gx = gt = None
        if ctx.needs_input_grad[0]:
            d = -xp.exp(t) if log_target else -t
            gx = _grad_to(xp.broadcast_to(d, shape) * scale, input)
        if ctx.needs_input_grad[1]:
            if log_target:
                d = xp.exp(t) * (t - x + 1.0)
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    d = xp.log(t) + 1.0 - x
            gt = _grad_to(xp.broadcast_to(d, shape) * scale, target)
        return gx, gt, None, None


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence of `target` from the log-probabilities `input`."""
    if _AMP.on and _AMP.active():
        return autocast_call("kl_div", kl_div, input, target, size_average, reduce, reduction,
                             log_target)
    if size_average is not None or reduce is not None:
        reduction = reduction_of(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", UserWarning, stacklevel=2)
    elif reduction not in ("none", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    require_float(input, "kl_div")
    return KlDiv.apply(input, target, reduction, bool(log_target))
