"""Adamax: Adam with the infinity norm in place of the second moment.

The update of one parameter at step t (PyTorch's `_single_tensor_adamax`):

    d = -grad if maximize else grad;  d = d + wd * p   (weight_decay != 0)
    m = lerp(m, d, 1 - beta1)
    u = max(beta2 * u, |d| + eps)
    p = p - lr / (1 - beta1^t) * m / u
"""
from __future__ import annotations

from typing import Callable, Iterable

from ..array_backends import xp_of
from ..tensor import Tensor
from ._common import (check_betas, check_eps, check_lr, check_weight_decay,
                      restore_group_defaults, restore_scalar_state, zeros_state)
from .adam import _lerp
from .optimizer import (FusedKernel, Optimizer, _as_float, _bump_step, _check_flags,
                        _compute_dtype, _new_step, _params_with_grad, _real_view, _step_impl)

__all__ = ["Adamax", "adamax_update"]


class Adamax(Optimizer):
    """Adamax (`torch.optim.Adamax`): steps scaled by a decaying max of |gradient|.

        >>> import minitorch_nn as torch
        >>> w = torch.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = torch.optim.Adamax([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> w     # the first step moves each coordinate by about lr
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        check_lr(lr)
        check_eps(eps)
        check_betas(betas)
        check_weight_decay(weight_decay)
        _check_flags("Adamax", differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        restore_group_defaults(self, (("foreach", None), ("maximize", False),
                                      ("differentiable", False), ("capturable", False)))
        restore_scalar_state(self, ("step",))

    def _state_of(self, p: Tensor) -> dict:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _new_step()
            state["exp_avg"] = zeros_state(p)
            state["exp_inf"] = zeros_state(p)
        return state

    @_step_impl
    def step(self, closure: Callable[[], float] | None = None):
        """One Adamax update of every parameter that has a gradient; returns closure's loss."""
        loss = self._eval_closure(closure)
        kernel = FusedKernel("adamax_update")
        for group in self.param_groups:
            lr = _as_float(group["lr"], "lr")
            beta1, beta2 = (_as_float(b, "betas") for b in group["betas"])
            for p, grad in _params_with_grad(group):
                state = self._state_of(p)
                t = _bump_step(state["step"])
                p._version_counter.value += 1
                adamax_update(p._data, grad._data, state["exp_avg"]._data,
                              state["exp_inf"]._data, t, lr, beta1, beta2, group["eps"],
                              group["weight_decay"], group["maximize"], kernel)
        return loss


def adamax_update(p, g, exp_avg, exp_inf, step: float, lr: float, beta1: float, beta2: float,
                  eps: float, weight_decay: float, maximize: bool,
                  kernel: FusedKernel | None = None) -> None:
    """Update the arrays `p`, `exp_avg`, `exp_inf` in place at step `step` (1 first)."""
    neg_clr = -(lr / (1 - beta1 ** step))
    p, g, exp_avg, exp_inf = (_real_view(a) for a in (p, g, exp_avg, exp_inf))
    fused = (kernel or FusedKernel("adamax_update"))(p, g, exp_avg, exp_inf)
    if fused is not None:
        c = p.dtype.type
        fused(p.reshape(-1), g.reshape(-1), exp_avg.reshape(-1), exp_inf.reshape(-1),
              c(beta1), c(1 - beta1), c(beta2), c(eps), c(weight_decay), c(neg_clr),
              bool(maximize))
        return
    xp = xp_of(p)
    ct = _compute_dtype(p)
    x = p.astype(ct)
    d = g.astype(ct)
    if maximize:
        d = -d
    if weight_decay != 0:
        d = d + weight_decay * x
    m = _lerp(exp_avg.astype(ct), d, 1 - beta1, beta1)
    u = xp.maximum(exp_inf.astype(ct) * beta2, xp.abs(d) + eps)
    exp_avg[...] = m
    exp_inf[...] = u
    p[...] = x + neg_clr * (m / u)
