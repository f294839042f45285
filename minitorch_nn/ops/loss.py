"""Losses: mse, l1, smooth_l1, huber, binary cross-entropy (with and without logits), kl_div.

Every loss is one `ArrayFunction` that computes the elementwise loss and its reduction
('none', 'mean' or 'sum') in forward, and the gradient for input and target in backward.
cross_entropy and nll_loss are in ops/cross_entropy.py; they share the helpers here.

The public functions use PyTorch's `nn.functional` signatures and are declared in namespace
"nn.functional" (`@op`, ops/registry.py); none is a top-level name, as in PyTorch (torch.kl_div
and torch.binary_cross_entropy_with_logits, with an integer reduction, are in loss_aten.py).
"""
from __future__ import annotations

import numpy as np

from .._user_warning import warn_user
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import reduce_grad
from ..tensor import Tensor, _wrap
from ._nn_util import broadcast_shape, compute_array, reduce_loss, reduction_of, require_float, \
    type_name
from ._util import binary_operands, sum_to_shape, xp_of
from .registry import op


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
        warn_user(f"Using a target size ({target.shape}) that is different to the input "
                  f"size ({input.shape}). This will likely lead to incorrect results due "
                  "to broadcasting. Please ensure they have the same size.", UserWarning)


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


def _pointwise_grad_formula(ctx, g):
    """The Tensor twin of _pointwise_backward (create_graph=True): PyTorch's X_loss_backward
    and X_loss_double_backward. The pieces that are constant in d (l1's sign, the branch of
    smooth_l1 and huber) are constants, so their derivative is 0, as PyTorch's."""
    input, target = ctx.saved_tensors
    reduction, kind, param, shape = ctx.meta
    d = input - target
    s = g / _count(shape) if reduction == "mean" else g
    if kind == "mse":
        grad = 2.0 * d * s
    else:
        xp = xp_of(d._data)
        inside = None
        if kind != "l1":
            inside = _wrap(xp.abs(d._data) < param)
        if kind == "huber":
            outer = _wrap(xp.clip(d._data, -param, param))
        else:
            outer = _wrap(xp.sign(d._data))
        if inside is None:
            grad = outer * s
        else:
            from .selection import where
            grad = where(inside, d / param if kind == "smooth_l1" else d, outer) * s
    gx = reduce_grad(_expand(grad, shape), input) if ctx.needs_input_grad[0] else None
    gt = reduce_grad(_expand(-grad, shape), target) if ctx.needs_input_grad[1] else None
    return gx, gt, None


def _count(shape) -> int:
    return int(np.prod(shape)) if len(shape) else 1


def _expand(t: Tensor, shape) -> Tensor:
    """Tensor `t` broadcast to the loss's `shape` (recorded)."""
    return t if tuple(t.shape) == tuple(shape) else t.expand(tuple(shape))


def _scale_tensor(g: Tensor, reduction: str, count) -> Tensor:
    """The Tensor twin of _scale_for, left to broadcast: g / count for 'mean', else g."""
    return g / count if reduction == "mean" else g


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
    grad_formula = staticmethod(_pointwise_grad_formula)


class L1Loss(ArrayFunction):
    @staticmethod
    def forward(ctx, input, target, reduction):
        return _pointwise_forward(ctx, input, target, reduction, "l1", None)

    backward = staticmethod(_pointwise_backward)
    grad_formula = staticmethod(_pointwise_grad_formula)


class SmoothL1Loss(ArrayFunction):
    @staticmethod
    def forward(ctx, input, target, reduction, beta):
        return _pointwise_forward(ctx, input, target, reduction, "smooth_l1", beta)

    @staticmethod
    def backward(ctx, g):
        return _pointwise_backward(ctx, g) + (None,)

    @staticmethod
    def grad_formula(ctx, g):
        return _pointwise_grad_formula(ctx, g) + (None,)


class HuberLoss(ArrayFunction):
    @staticmethod
    def forward(ctx, input, target, reduction, delta):
        return _pointwise_forward(ctx, input, target, reduction, "huber", delta)

    @staticmethod
    def backward(ctx, g):
        return _pointwise_backward(ctx, g) + (None,)

    @staticmethod
    def grad_formula(ctx, g):
        return _pointwise_grad_formula(ctx, g) + (None,)


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


@op("mse_loss", namespace="nn.functional")
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error: (input - target) ** 2, reduced."""
    _warn_size(input, target)
    reduction = reduction_of(size_average, reduce, reduction)
    if weight is not None:
        _check_weight_size(input, weight)
        return _weighted(MseLoss.apply(input, target, "none"), weight, reduction, True)
    return MseLoss.apply(input, target, reduction)


@op("l1_loss", namespace="nn.functional")
def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error: |input - target|, reduced."""
    _warn_size(input, target)
    reduction = reduction_of(size_average, reduce, reduction)
    if weight is not None:
        _check_weight_size(input, weight)
        return _weighted(L1Loss.apply(input, target, "none"), weight, reduction, True)
    return L1Loss.apply(input, target, reduction)


@op("smooth_l1_loss", namespace="nn.functional")
def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target)."""
    _warn_size(input, target)
    reduction = reduction_of(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return L1Loss.apply(input, target, reduction)
    return SmoothL1Loss.apply(input, target, reduction, float(beta))


@op("huber_loss", namespace="nn.functional")
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere."""
    _warn_size(input, target)
    reduction = reduction_of(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        _check_weight_size(input, weight)
        return _weighted(HuberLoss.apply(input, target, "none", float(delta)), weight,
                         reduction, False)
    return HuberLoss.apply(input, target, reduction, float(delta))


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

    @staticmethod
    def grad_formula(ctx, g):
        """PyTorch's binary_cross_entropy_backward (x - t) / max(x (1 - x), 1e-12) and
        binary_cross_entropy_target_backward -logit(x), scaled by g and the weight."""
        input, target = ctx.saved_tensors
        w, reduction = ctx.state[:2]
        s = _scale_tensor(g, reduction, input.numel())
        if w is not None:
            s = s * _wrap(w)
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = reduce_grad((input - target) / ((1.0 - input) * input).clamp_min(1e-12) * s,
                             input)
        if ctx.needs_input_grad[1]:
            gt = reduce_grad(((-input).log1p() - input.log()) * s, target)
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
        # PyTorch computes into `1 - target`, so the loss has the target's dtype
        return _wrap(_reduce(loss, reduction).astype(target._data.dtype, copy=False))

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

    @staticmethod
    def grad_formula(ctx, g):
        """PyTorch's binary_cross_entropy_with_logits_backward and _target_backward:
        ((pw t + 1 - t) sigmoid(x) - pw t) and log_sigmoid(-x) - pw log_sigmoid(x)."""
        from .activation import Softplus
        input, target = ctx.saved_tensors
        w, _, _, reduction, pos_weight = ctx.state
        shape = tuple(input.shape)
        s = _scale_tensor(g, reduction, input.numel())
        if w is not None:
            s = s * _wrap(w)
        gx = gt = None
        if ctx.needs_input_grad[0]:
            if pos_weight is None:
                d = input.sigmoid() - target
            else:
                pt = pos_weight * target
                d = (pt + 1.0 - target) * input.sigmoid() - pt
            gx = reduce_grad(_expand(d * s, shape), input)
        if ctx.needs_input_grad[1]:
            if pos_weight is None:
                d = -input
            else:
                d = pos_weight * Softplus.apply(-input, 1.0, 20.0) - \
                    Softplus.apply(input, 1.0, 20.0)
            gt = reduce_grad(_expand(d * s, shape), target)
        return gx, gt, None, None, None


@op("binary_cross_entropy", namespace="nn.functional")
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities `input` against `target` in [0, 1]."""
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


@op("binary_cross_entropy_with_logits", namespace="nn.functional")
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid and binary cross-entropy in one stable formula; pos_weight scales positives."""
    reduction = reduction_of(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    require_float(input, "binary_cross_entropy_with_logits")
    _float_target_with_logits(input, target)
    for name, t in (("weight", weight), ("pos_weight", pos_weight)):
        if t is not None:
            broadcast_shape(tuple(input.shape), tuple(t.shape))
        _no_grad_arg(t, "binary_cross_entropy_with_logits", name)
    return BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight, reduction)


def _float_target_with_logits(input: Tensor, target: Tensor) -> None:
    """PyTorch computes the loss into `1 - target`: an integer target cannot hold it and a
    bool target cannot be subtracted from (its errors, word for word)."""
    if target.is_floating_point() or target.is_complex():
        return
    if target.dtype.name == "bool":
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    raise RuntimeError(f"result type {type_name(input)} can't be cast to the desired output "
                       f"type {type_name(target)}")


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

    @staticmethod
    def grad_formula(ctx, g):
        """The derivatives of PyTorch's composite: exp(t) (t - x), or xlogy(t, t) - t x."""
        input, target = ctx.saved_tensors
        reduction, log_target, shape = ctx.meta
        if reduction == "batchmean":
            s = g / (shape[0] if len(shape) else 1)
        else:
            s = _scale_tensor(g, reduction, _count(shape))
        gx = gt = None
        if ctx.needs_input_grad[0]:
            d = -target.exp() if log_target else -target
            gx = reduce_grad(_expand(d * s, shape), input)
        if ctx.needs_input_grad[1]:
            if log_target:
                d = target.exp() * (target - input + 1.0)
            else:
                d = target.log() + 1.0 - input
            gt = reduce_grad(_expand(d * s, shape), target)
        return gx, gt, None, None


@op("kl_div", namespace="nn.functional")
def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence of `target` from the log-probabilities `input`."""
    if size_average is not None or reduce is not None:
        reduction = reduction_of(size_average, reduce)
    elif reduction == "mean":
        warn_user("reduction: 'mean' divides the total loss by both the batch size and the "
                  "support size.'batchmean' divides only by the batch size, and aligns with "
                  "the KL div math definition.'mean' will be changed to behave the same as "
                  "'batchmean' in the next major release.", UserWarning)
    elif reduction not in ("none", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    require_float(input, "kl_div")
    return KlDiv.apply(input, target, reduction, bool(log_target))
