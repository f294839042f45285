"""Class losses: F.cross_entropy and F.nll_loss over class indices or class probabilities.

cross_entropy over class indices is log-softmax and NLL fused (`NllLoss` with `from_logits`):
on CPU float32/float64 a Numba kernel (kernels/cpu/loss.py) makes one pass per row forward
and one backward, keeping only the per-row log-sum-exp between them; other inputs run the same
algebra with `xp`. Against class probabilities it is `SoftCrossEntropy`. The class dim is
moved last (`_rows`), so an (N, C, d1, ...) input is handled as (M, C) rows.

Both are declared in "nn.functional" (`@op`, ops/registry.py), as in PyTorch; the other losses
are in ops/loss.py.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.higher_order import reduce_grad
from ..tensor import Tensor, _wrap
from ._nn_util import acc_dtype, compute_array, kernel_for, reduction_of, require_float, \
    type_name
from ._util import xp_of
from .loss import _no_grad_arg, _same_dtype
from .registry import op


# ------------------------------------------------------------------ rows and checks
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


# ------------------------------------------------------------------ the Functions
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
            with np.errstate(divide="ignore", invalid="ignore"):   # 'mean' over no rows: inf
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

    @staticmethod
    def grad_formula(ctx, g):
        """d(loss)/d(log-probs) is constant in the input (PyTorch's nll_loss_backward, whose
        own derivative in self is 0): G = coef * g. With `from_logits` it goes through
        log_softmax's backward, G - softmax(x) * sum(G), differentiable in x."""
        input, _ = ctx.saved_tensors
        rows, _, tgt, w, wt, reduction, ignore_index, eps, from_logits = ctx.state
        xp = xp_of(rows)
        m, c = rows.shape
        valid = tgt != ignore_index
        coef = xp.zeros((m, c), dtype=rows.dtype)
        if eps > 0.0:
            coef -= (eps / c) * xp.asarray(w, dtype=rows.dtype)[None, :] * valid[:, None]
        coef[xp.arange(m), xp.where(valid, tgt, 0)] -= (1.0 - eps) * wt
        coef = _unrows(coef, input._data.shape).astype(input._data.dtype)
        dim = 0 if input.ndim == 1 else 1
        if reduction == "none":
            s = g if input.ndim == 1 else g.unsqueeze(1)
        elif reduction == "mean":
            total = float(ctx.total)
            s = g / total if total else g * 0.0   # no weighted rows: a zero gradient
        else:
            s = g
        grad = _wrap(xp.ascontiguousarray(coef)) * s
        if from_logits:
            from .activation import Softmax
            grad = grad - Softmax.apply(input, dim, None) * grad.sum(dim, keepdim=True)
        return reduce_grad(grad, input), None, None, None, None, None, None


def _logsumexp_rows(xp, rows):
    """Per-row log-sum-exp as log_softmax uses it (the kernels' formula): NaN for a row that
    holds +inf or NaN or is all -inf, as PyTorch's log_softmax gives NaN for such rows."""
    if rows.shape[1] == 0:
        return xp.full(rows.shape[0], -np.inf, rows.dtype)
    m = rows.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return (m + xp.log(xp.exp(rows - m).sum(axis=1, keepdims=True)))[:, 0]


def _nll_rows(xp, rows, lse, tgt, w, ignore_index, eps):
    """Per-row losses and target weights (0 for ignored rows) of log-probs or logits.

    An ignored row's loss is exactly 0 whatever its values (inf or NaN logits included)."""
    valid = tgt != ignore_index
    safe = xp.where(valid, tgt, 0)
    picked = xp.take_along_axis(rows, safe[:, None], axis=1)[:, 0]
    wt = xp.where(valid, w[safe], 0).astype(rows.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        logp_y = picked - lse if lse is not None else picked
        loss = -(1.0 - eps) * wt * logp_y
        if eps > 0.0:
            logp = rows - lse[:, None] if lse is not None else rows
            smooth = -(logp * w).sum(axis=1)
            loss = loss + eps / rows.shape[1] * smooth
    loss = xp.where(valid, loss, 0)
    return loss.astype(rows.dtype, copy=False), wt


def _nll_rows_grad(xp, rows, lse, tgt, w, ignore_index, eps, scale):
    """d(loss_i)/d(rows) scaled per row; the softmax term appears only with from_logits.

    Ignored rows get 0 (PyTorch's), also when `scale` is inf (a 'mean' over no rows); with
    logits, 0 times the row's softmax: NaN where log_softmax is NaN (a row with +inf or NaN),
    as PyTorch's log_softmax backward gives."""
    m, c = rows.shape
    valid = tgt != ignore_index
    safe = xp.where(valid, tgt, 0)
    wt = xp.where(valid, w[safe], 0).astype(rows.dtype)
    s = xp.where(valid, scale, 0).astype(rows.dtype)[:, None]
    grad = xp.zeros(rows.shape, rows.dtype)
    hard = ((1.0 - eps) * wt)[:, None]
    with np.errstate(invalid="ignore", over="ignore"):
        if lse is not None:
            p = xp.exp(rows - lse[:, None])
            grad += hard * p
            if eps > 0.0:
                grad += eps / c * (w.sum() * p - w[None, :])
            else:
                grad += 0 * p   # NaN stays in an ignored row whose softmax is NaN
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

    @staticmethod
    def grad_formula(ctx, g):
        """The derivatives of PyTorch's composite -(log_softmax(x) * p * w).sum(class dim),
        p = target (1 - eps) + eps / C, reduced."""
        from .activation import LogSoftmax
        input, target, weight = ctx.saved_tensors
        reduction, eps = ctx.state[3], ctx.state[4]
        dim = 0 if input.ndim == 1 else 1
        c = input.shape[dim]
        logp = LogSoftmax.apply(input, dim, None)
        if target.dtype is not input.dtype:
            target = target.to(input.dtype)
        p = target * (1.0 - eps) + eps / c if eps > 0 else target
        wv = None
        if weight is not None:
            wv = weight.reshape(tuple(c if i == dim else 1 for i in range(input.ndim)))
        if reduction == "none":
            s = g if input.ndim == 1 else g.unsqueeze(1)
        elif reduction == "mean":
            s = g / (input.numel() // c)
        else:
            s = g
        ws = s if wv is None else wv * s
        grads = [None, None, None, None, None]
        if ctx.needs_input_grad[0]:
            gl = -(p * ws)
            grads[0] = reduce_grad(gl - logp.exp() * gl.sum(dim, keepdim=True), input)
        if ctx.needs_input_grad[1]:
            grads[1] = reduce_grad(-(logp * ws) * (1.0 - eps), ctx.saved_tensors[1])
        if weight is not None and ctx.needs_input_grad[2]:
            gw = -(logp * p) * s
            dims = tuple(i for i in range(input.ndim) if i != dim)
            grads[2] = reduce_grad(gw.sum(dims) if dims else gw, weight)
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


# ------------------------------------------------------------------ declarations
@op("cross_entropy", namespace="nn.functional",
    kernels=("loss.cross_entropy_fwd", "loss.cross_entropy_bwd"))
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over dim 1 (dim 0 for unbatched input) and NLL, fused."""
    reduction = reduction_of(size_average, reduce, reduction)
    require_float(input, "log_softmax_lastdim_kernel_impl")
    if _ce_checks(input, target, weight, label_smoothing):
        return SoftCrossEntropy.apply(input, target, weight, reduction, float(label_smoothing))
    _no_grad_arg(weight, "nll_loss_forward", "weight")
    return NllLoss.apply(input, target, weight, reduction, int(ignore_index),
                         float(label_smoothing), True)


@op("nll_loss", namespace="nn.functional")
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """-input[i, target[i]] * weight[target[i]], reduced (input holds log-probabilities)."""
    reduction = reduction_of(size_average, reduce, reduction)
    require_float(input, "nll_loss_forward_out_frame")
    _check_index_target(input, target)
    _check_class_weight(input, weight)
    _no_grad_arg(weight, "nll_loss_forward", "weight")
    return NllLoss.apply(input, target, weight, reduction, int(ignore_index), 0.0, False)
