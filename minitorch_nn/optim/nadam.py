"""NAdam: Adam with Nesterov momentum and a warming momentum schedule.

The update of one parameter at step t (PyTorch's `_single_tensor_nadam`):

    d = -grad if maximize else grad
    p = p * (1 - lr * wd)   (decoupled_weight_decay)   or   d = d + wd * p
    mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay));  mu_product *= mu_t
    m = lerp(m, d, 1 - beta1);  v = beta2 * v + (1 - beta2) * d^2
    denom = sqrt(v / (1 - beta2^t)) + eps
    p = p - lr * (1 - mu_t) / (1 - mu_product) * d / denom
    p = p - lr * mu_{t+1} / (1 - mu_product * mu_{t+1}) * m / denom
"""
from __future__ import annotations

from typing import Callable, Iterable

from ..tensor import Tensor
from ._common import (check_betas, check_eps, check_lr, check_weight_decay,
                      restore_group_defaults, restore_scalar_state, scalar_state, set_scalar,
                      zeros_state)
from .adam import _adam_moments
from .optimizer import (FusedKernel, Optimizer, _as_float, _bump_step, _check_flags,
                        _new_step, _params_with_grad, _real_view, _step_impl)

__all__ = ["NAdam", "nadam_update"]


class NAdam(Optimizer):
    """NAdam (`torch.optim.NAdam`); `decoupled_weight_decay=True` gives NAdamW.

        >>> import minitorch_nn as torch
        >>> w = torch.tensor([1.0], requires_grad=True)
        >>> opt = torch.optim.NAdam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> w     # lr along the gradient, plus a Nesterov look-ahead along the momentum
        tensor([0.8944], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_lr(lr)
        check_eps(eps)
        check_betas(betas)
        check_weight_decay(weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        _check_flags("NAdam", differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        restore_group_defaults(self, (("maximize", False), ("foreach", None),
                                      ("capturable", False), ("differentiable", False),
                                      ("decoupled_weight_decay", False)))
        restore_scalar_state(self, ("step", "mu_product"))

    def _state_of(self, p: Tensor) -> dict:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _new_step()
            state["mu_product"] = scalar_state(1.0)
            state["exp_avg"] = zeros_state(p)
            state["exp_avg_sq"] = zeros_state(p)
        return state

    @_step_impl
    def step(self, closure: Callable[[], float] | None = None):
        """One NAdam update of every parameter that has a gradient; returns closure's loss."""
        loss = self._eval_closure(closure)
        kernel = FusedKernel("nadam_update")
        for group in self.param_groups:
            lr = _as_float(group["lr"], "lr")
            beta1, beta2 = (_as_float(b, "betas") for b in group["betas"])
            for p, grad in _params_with_grad(group):
                state = self._state_of(p)
                t = _bump_step(state["step"])
                md = group["momentum_decay"]
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (t * md)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * md)))
                mu_product = state["mu_product"]
                set_scalar(mu_product, mu_product._data * mu)   # in the scalar dtype
                p._version_counter.value += 1
                nadam_update(p._data, grad._data, state["exp_avg"]._data,
                             state["exp_avg_sq"]._data, t, float(mu_product._data), mu,
                             mu_next, lr, beta1, beta2, group["eps"], group["weight_decay"],
                             group["maximize"], group["decoupled_weight_decay"], kernel)
        return loss


def nadam_update(p, g, exp_avg, exp_avg_sq, step: float, mu_product: float, mu: float,
                 mu_next: float, lr: float, beta1: float, beta2: float, eps: float,
                 weight_decay: float, maximize: bool, decoupled: bool,
                 kernel: FusedKernel | None = None) -> None:
    """Update `p` and the moments in place; `mu_product` already includes this step's mu."""
    bias_correction2 = 1 - beta2 ** step
    coef_grad = -lr * (1.0 - mu) / (1.0 - mu_product)
    coef_avg = (-lr * mu_next) / (1.0 - mu_product * mu_next)
    p, g, exp_avg, exp_avg_sq = (_real_view(a) for a in (p, g, exp_avg, exp_avg_sq))
    fused = (kernel or FusedKernel("nadam_update"))(p, g, exp_avg, exp_avg_sq)
    if fused is not None:
        c = p.dtype.type
        fused(p.reshape(-1), g.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1),
              c(beta1), c(1 - beta1), c(beta2), c(1 - beta2), c(eps), c(weight_decay),
              c(1 - lr * weight_decay), c(bias_correction2), c(coef_grad), c(coef_avg),
              bool(maximize), bool(decoupled))
        return
    xp, x, d, m, v = _adam_moments(p, g, exp_avg, exp_avg_sq, lr, beta1, beta2, weight_decay,
                                   maximize, decoupled)
    denom = xp.sqrt(v / bias_correction2) + eps
    x = x + coef_grad * (d / denom)
    p[...] = x + coef_avg * (m / denom)
