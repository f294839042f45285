"""Adadelta: per-coordinate steps from running averages of squared gradients and squared
updates (no global learning rate needed; `lr` scales the result).

The update of one parameter (PyTorch's `_single_tensor_adadelta`):

    d = -grad if maximize else grad;  d = d + wd * p   (weight_decay != 0)
    sq = rho * sq + (1 - rho) * d^2
    delta = sqrt(acc + eps) / sqrt(sq + eps) * d
    acc = rho * acc + (1 - rho) * delta^2
    p = p - lr * delta
"""
from __future__ import annotations

from typing import Callable, Iterable

from ..array_backends import xp_of
from ..tensor import Tensor
from ._common import (check_eps, check_lr, check_weight_decay, restore_group_defaults,
                      restore_scalar_state, zeros_state)
from .optimizer import (FusedKernel, Optimizer, _as_float, _bump_step, _check_flags,
                        _compute_dtype, _new_step, _params_with_grad, _real_view, _step_impl)

__all__ = ["Adadelta", "adadelta_update"]


class Adadelta(Optimizer):
    """Adadelta (`torch.optim.Adadelta`).

        >>> import minitorch_nn as torch
        >>> w = torch.tensor([1.0], requires_grad=True)
        >>> opt = torch.optim.Adadelta([w], lr=1.0)
        >>> (w * w).sum().backward(); opt.step()
        >>> w     # 1 - sqrt(1e-6) / sqrt(0.1 * 4 + 1e-6) * 2
        tensor([0.9968], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_eps(eps)
        check_weight_decay(weight_decay)
        _check_flags("Adadelta", differentiable)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
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
            state["square_avg"] = zeros_state(p)
            state["acc_delta"] = zeros_state(p)
        return state

    @_step_impl
    def step(self, closure: Callable[[], float] | None = None):
        """One Adadelta update of every parameter with a gradient; returns closure's loss."""
        loss = self._eval_closure(closure)
        kernel = FusedKernel("adadelta_update")
        for group in self.param_groups:
            lr = _as_float(group["lr"], "lr")
            for p, grad in _params_with_grad(group):
                state = self._state_of(p)
                _bump_step(state["step"])
                p._version_counter.value += 1
                adadelta_update(p._data, grad._data, state["square_avg"]._data,
                                state["acc_delta"]._data, lr, group["rho"], group["eps"],
                                group["weight_decay"], group["maximize"], kernel)
        return loss


def adadelta_update(p, g, square_avg, acc_delta, lr: float, rho: float, eps: float,
                    weight_decay: float, maximize: bool,
                    kernel: FusedKernel | None = None) -> None:
    """Update `p` and both running averages in place: the fused kernel for float32/float64
    C-contiguous arrays of one device, else the array formulas (float32 compute for 16-bit
    storage)."""
    p, g, square_avg, acc_delta = (_real_view(a) for a in (p, g, square_avg, acc_delta))
    fused = (kernel or FusedKernel("adadelta_update"))(p, g, square_avg, acc_delta)
    if fused is not None:
        c = p.dtype.type
        fused(p.reshape(-1), g.reshape(-1), square_avg.reshape(-1), acc_delta.reshape(-1),
              c(lr), c(rho), c(1 - rho), c(eps), c(weight_decay), bool(maximize))
        return
    xp = xp_of(p)
    ct = _compute_dtype(p)
    x = p.astype(ct)
    d = g.astype(ct)
    if maximize:
        d = -d
    if weight_decay != 0:
        d = d + weight_decay * x
    sq = square_avg.astype(ct) * rho + (1 - rho) * (d * d)
    square_avg[...] = sq
    std = xp.sqrt(sq + eps)
    delta = xp.sqrt(acc_delta.astype(ct) + eps) / std * d
    acc_delta[...] = acc_delta.astype(ct) * rho + (1 - rho) * (delta * delta)
    p[...] = x + (-lr) * delta
