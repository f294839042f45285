"""Likelihood losses: gaussian_nll_loss and poisson_nll_loss.

PyTorch writes both as compositions of other ops (gaussian_nll_loss in Python, poisson_nll_loss
in ATen), so they are composites here too: values, gradients (for input, target and var) and
grad_fn names come from those ops. F.poisson_nll_loss also exists at top level as
torch.poisson_nll_loss(input, target, log_input, full, eps, reduction: int), every argument
required, as in ATen.
"""
from __future__ import annotations

import math

from ..creation import ones_like
from ..tensor import Tensor
from ._nn_util import reduction_of
from .registry import op
from .views import unsqueeze


# ------------------------------------------------------------------ gaussian_nll_loss
def _var_for(input: Tensor, var):
    """var checked (non-negative) and shaped to broadcast against input, as PyTorch does:
    the same size, one dim short (unsqueezed), or one mismatched dim of size 1."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = unsqueeze(var, -1)
        elif not (input.dim() == var.dim() and
                  sum(y for x, y in zip(input.shape, var.shape) if x != y) == 1):
            raise ValueError("var is of incorrect size")
    return var


@op("gaussian_nll_loss", namespace="nn.functional")
def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """0.5 (log max(var, eps) + (input - target)^2 / max(var, eps)) (+ 0.5 log 2 pi if full);
    the clamp at eps is not differentiated (PyTorch clamps under no_grad)."""
    var = _var_for(input, var)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    # var.clone().clamp_(min=eps) under no_grad: the clamped values, var's gradient unmasked
    var = var + (var.detach().clamp(min=eps) - var.detach())
    loss = 0.5 * ((var.log()) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


# ------------------------------------------------------------------ poisson_nll_loss
def _poisson_nll(input, target, log_input, full, eps, reduction):
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        # Stirling's approximation of log(target!), used where target > 1
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


@op("poisson_nll_loss", namespace="nn.functional")
def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """exp(input) - target * input (log_input), else input - target * log(input + eps);
    full adds the Stirling term target log target - target + 0.5 log(2 pi target)."""
    if size_average is not None or reduce is not None:
        reduction = reduction_of(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    return _poisson_nll(input, target, log_input, full, eps, reduction)


@op("poisson_nll_loss")
def poisson_nll_loss_aten(input: Tensor, target: Tensor, log_input: bool, full: bool,
                          eps: float, reduction: int) -> Tensor:
    """torch.poisson_nll_loss(input, target, log_input, full, eps, reduction: int)."""
    return _poisson_nll(input, target, log_input, full, eps,
                        {1: "mean", 2: "sum"}.get(int(reduction), "none"))
