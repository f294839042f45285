"""Adafactor: Adam-like steps with a factored second moment (a row and a column average
per matrix instead of a full buffer), relative step sizes and update clipping.

The update of one parameter at step t (PyTorch's `_single_tensor_adafactor`):

    beta2_t = 1 - t^beta2_decay;  rho_t = min(lr, 1 / sqrt(t))
    alpha = max(eps2, RMS(p)) * rho_t                  (RMS before the weight decay)
    p = p * (1 - lr * wd)
    matrices (dim > 1): R = lerp(R, mean(g^2, -1), 1 - beta2_t),
                        C = lerp(C, mean(g^2, -2), 1 - beta2_t),
                        V = R @ C / max(mean(R, -2), eps1)
    vectors:            V = lerp(V, g^2, 1 - beta2_t)
    U = g / sqrt(max(V, eps1^2));  p = p - alpha / max(1, RMS(U) / d) * U
"""
from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from ..array_backends import xp_of
from ..tensor import Tensor, _wrap
from ._common import restore_group_defaults, restore_scalar_state, zeros_state
from .adam import _lerp
from .optimizer import (Optimizer, _as_float, _bump_step, _compute_dtype, _new_step,
                        _params_with_grad, _step_impl)

__all__ = ["Adafactor", "adafactor_update"]


class Adafactor(Optimizer):
    """Adafactor (`torch.optim.Adafactor`, PyTorch's variant: no first moment).

        >>> import minitorch_nn as torch
        >>> w = torch.ones(2, 3, requires_grad=True)
        >>> opt = torch.optim.Adafactor([w], lr=0.01)
        >>> (w * w).sum().backward(); opt.step()
        >>> w[0]     # RMS(w) * min(lr, 1) * sign of the gradient
        tensor([0.9900, 0.9900, 0.9900], grad_fn=<SelectBackward0>)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-2,
                 beta2_decay: float = -0.8, eps: tuple[float | None, float] = (None, 1e-3),
                 d: float = 1.0, weight_decay: float = 0.0, *, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        if not 0.0 <= _as_float(lr, "lr"):
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        restore_group_defaults(self, (("foreach", None),))
        restore_scalar_state(self, ("step",))

    def _state_of(self, p: Tensor, grad: Tensor) -> dict:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _new_step()
            g = grad._data
            if g.ndim > 1:
                xp = xp_of(g)
                state["row_var"] = _wrap(xp.zeros(g.shape[:-1] + (1,), g.dtype))
                state["col_var"] = _wrap(xp.zeros(g.shape[:-2] + (1, g.shape[-1]), g.dtype))
            else:
                state["variance"] = zeros_state(grad)
        return state

    @_step_impl
    def step(self, closure: Callable[[], float] | None = None):
        """One Adafactor update of every parameter with a gradient; returns closure's loss."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = _as_float(group["lr"], "lr")
            eps1, eps2 = group["eps"]
            for p, grad in _params_with_grad(group):
                if p.is_complex():
                    raise RuntimeError("Adafactor does not support complex parameters")
                state = self._state_of(p, grad)
                t = _bump_step(state["step"])
                p._version_counter.value += 1
                variances = (state.get("row_var"), state.get("col_var"), state.get("variance"))
                adafactor_update(p._data, grad._data,
                                 *(None if v is None else v._data for v in variances),
                                 t, lr, group["beta2_decay"], eps1, eps2, group["d"],
                                 group["weight_decay"], group["maximize"])
        return loss


def _norm(xp, a) -> float:
    """The 2-norm of `a` as a Python float."""
    return float(xp.sqrt(xp.sum(a * a)))


def _mean_square(xp, sq, axis: int, n: int):
    """PyTorch's `norm(g, dim).square_().div_(n)` from the squares `sq`."""
    return xp.square(xp.sqrt(xp.sum(sq, axis=axis, keepdims=True))) / n


def adafactor_update(p, g, row_var, col_var, variance, step: float, lr: float,
                     beta2_decay: float, eps1: float | None, eps2: float, d: float,
                     weight_decay: float, maximize: bool) -> None:
    """Update `p` and its (factored) second moment in place at step `step` (1 first)."""
    xp = xp_of(p)
    ct = _compute_dtype(p)
    if eps1 is None:
        eps1 = float(np.finfo(p.dtype).eps)
    one_minus_beta2_t = step ** beta2_decay
    rho_t = min(lr, 1 / (step ** 0.5))
    x = p.astype(ct)
    grad = g.astype(ct)
    if maximize:
        grad = -grad
    alpha = max(eps2, _norm(xp, x) / (x.size ** 0.5)) * rho_t
    if weight_decay != 0:
        x = x * (1 - lr * weight_decay)
    w, one_minus_w = one_minus_beta2_t, 1 - one_minus_beta2_t
    if grad.ndim > 1:
        sq = grad * grad
        r = _lerp(row_var.astype(ct), _mean_square(xp, sq, -1, grad.shape[-1]), w, one_minus_w)
        c = _lerp(col_var.astype(ct), _mean_square(xp, sq, -2, grad.shape[-2]), w, one_minus_w)
        row_var[...] = r
        col_var[...] = c
        var_estimate = xp.matmul(r, c) / xp.maximum(xp.mean(r, axis=-2, keepdims=True), eps1)
    else:
        var_estimate = _lerp(variance.astype(ct), grad * grad, w, one_minus_w)
        variance[...] = var_estimate
    update = 1 / xp.sqrt(xp.maximum(var_estimate, eps1 * eps1)) * grad
    denom = max(1.0, _norm(xp, update) / ((update.size ** 0.5) * d))
    p[...] = x + (-alpha / denom) * update


