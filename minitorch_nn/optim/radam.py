"""RAdam: Adam whose adaptive step is rectified (switched off while the variance of the
adaptive rate is intractable, i.e. the first few steps).

The update of one parameter at step t (PyTorch's `_single_tensor_radam`):

    d = -grad if maximize else grad
    p = p * (1 - lr * wd)   (decoupled_weight_decay)   or   d = d + wd * p
    m = lerp(m, d, 1 - beta1);  v = beta2 * v + (1 - beta2) * d^2
    rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
    rho_t > 5:  p = p - m / (1 - beta1^t) * lr * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r_t,
                r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
    otherwise:  p = p - m / (1 - beta1^t) * lr
"""
from __future__ import annotations

from typing import Callable, Iterable

from ..tensor import Tensor
from ._common import (check_betas, check_eps, check_lr, check_weight_decay,
                      restore_group_defaults, restore_scalar_state, zeros_state)
from .adam import _adam_moments
from .optimizer import (FusedKernel, Optimizer, _as_float, _bump_step, _check_flags,
                        _new_step, _params_with_grad, _real_view, _step_impl)

__all__ = ["RAdam", "radam_update"]


class RAdam(Optimizer):
    """RAdam (`torch.optim.RAdam`); `decoupled_weight_decay=True` gives RAdamW.

        >>> import minitorch_nn as torch
        >>> w = torch.tensor([1.0], requires_grad=True)
        >>> opt = torch.optim.RAdam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> w     # first steps are plain momentum SGD: 1 - 0.1 * 2
        tensor([0.8000], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        check_lr(lr)
        check_eps(eps)
        check_betas(betas)
        check_weight_decay(weight_decay)
        _check_flags("RAdam", differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        restore_group_defaults(self, (("foreach", None), ("maximize", False),
                                      ("differentiable", False), ("capturable", False),
                                      ("decoupled_weight_decay", False)))
        restore_scalar_state(self, ("step",))

    def _state_of(self, p: Tensor) -> dict:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _new_step()
            state["exp_avg"] = zeros_state(p)
            state["exp_avg_sq"] = zeros_state(p)
        return state

    @_step_impl
    def step(self, closure: Callable[[], float] | None = None):
        """One RAdam update of every parameter that has a gradient; returns closure's loss."""
        loss = self._eval_closure(closure)
        kernel = FusedKernel("radam_update")
        for group in self.param_groups:
            lr = _as_float(group["lr"], "lr")
            beta1, beta2 = (_as_float(b, "betas") for b in group["betas"])
            for p, grad in _params_with_grad(group):
                state = self._state_of(p)
                t = _bump_step(state["step"])
                p._version_counter.value += 1
                radam_update(p._data, grad._data, state["exp_avg"]._data,
                             state["exp_avg_sq"]._data, t, lr, beta1, beta2, group["eps"],
                             group["weight_decay"], group["maximize"],
                             group["decoupled_weight_decay"], kernel)
        return loss


def _rectification(step: float, beta2: float) -> float | None:
    """r_t of the RAdam paper, or None while rho_t <= 5 (no adaptive step yet)."""
    bias_correction2 = 1 - beta2 ** step
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
    if not rho_t > 5.0:
        return None
    return ((rho_t - 4) * (rho_t - 2) * rho_inf
            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5


def radam_update(p, g, exp_avg, exp_avg_sq, step: float, lr: float, beta1: float,
                 beta2: float, eps: float, weight_decay: float, maximize: bool,
                 decoupled: bool, kernel: FusedKernel | None = None) -> None:
    """Update `p` and the moments in place at step `step` (1 on the first call)."""
    bias_correction1 = 1 - beta1 ** step
    bc2_sqrt = (1 - beta2 ** step) ** 0.5
    rect = _rectification(step, beta2)
    p, g, exp_avg, exp_avg_sq = (_real_view(a) for a in (p, g, exp_avg, exp_avg_sq))
    fused = (kernel or FusedKernel("radam_update"))(p, g, exp_avg, exp_avg_sq)
    if fused is not None:
        c = p.dtype.type
        fused(p.reshape(-1), g.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1),
              c(beta1), c(1 - beta1), c(beta2), c(1 - beta2), c(eps), c(weight_decay),
              c(1 - lr * weight_decay), c(bias_correction1), c(lr), c(bc2_sqrt),
              c(rect or 0.0), rect is not None, bool(maximize), bool(decoupled))
        return
    xp, x, d, m, v = _adam_moments(p, g, exp_avg, exp_avg_sq, lr, beta1, beta2, weight_decay,
                                   maximize, decoupled)
    step_ = (m / bias_correction1) * lr
    if rect is not None:
        step_ = step_ * (bc2_sqrt / (xp.sqrt(v) + eps)) * rect
    p[...] = x - step_
