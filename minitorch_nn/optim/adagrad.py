"""Adagrad: per-coordinate learning rates that shrink with the sum of squared gradients.

The update of one parameter at step t (PyTorch's `_single_tensor_adagrad`):

    d = -grad if maximize else grad
    d = d + wd * p                                 (weight_decay != 0)
    clr = lr / (1 + (t - 1) * lr_decay)
    sum = sum + d * d
    p = p - clr * d / (sqrt(sum) + eps)
"""
from __future__ import annotations

from typing import Callable, Iterable

from ..array_backends import xp_of
from ..tensor import Tensor, _wrap
from .optimizer import (FusedKernel, Optimizer, _as_float, _bump_step, _check_flags,
                        _compute_dtype, _new_step, _params_with_grad, _real_view, _step_impl)

__all__ = ["Adagrad", "adagrad_update"]


class Adagrad(Optimizer):
    """Adagrad (`torch.optim.Adagrad`). State is created for every parameter up front.

        >>> import minitorch_nn as torch
        >>> w = torch.tensor([1.0], requires_grad=True)
        >>> opt = torch.optim.Adagrad([w], lr=0.5)
        >>> (w * w).sum().backward(); opt.step()
        >>> w     # 1 - 0.5 * 2 / sqrt(4)
        tensor([0.5000], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if not 0.0 <= _as_float(lr, "lr"):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError("Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_flags("Adagrad", differentiable)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in (("foreach", None), ("maximize", False),
                                 ("differentiable", False), ("fused", None)):
                group.setdefault(key, default)
        for p_state in self.state.values():
            if "step" in p_state and not isinstance(p_state["step"], Tensor):
                step = _new_step()
                step._data[...] = float(p_state["step"])
                p_state["step"] = step

    def _init_state(self, p: Tensor, initial_accumulator_value: float) -> None:
        """A step counter and the running sum, filled with `initial_accumulator_value`."""
        state = self.state[p]
        state["step"] = _new_step()
        value = initial_accumulator_value
        if p.is_complex():
            value = complex(value, value)
        state["sum"] = _wrap(xp_of(p._data).full_like(p._data, value))

    @_step_impl
    def step(self, closure: Callable[[], float] | None = None):
        """One Adagrad update of every parameter that has a gradient; returns closure's loss."""
        loss = self._eval_closure(closure)
        kernel = FusedKernel("adagrad_update")
        for group in self.param_groups:
            lr = _as_float(group["lr"], "lr")
            for p, grad in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:   # a parameter of a group added after construction
                    self._init_state(p, self.defaults["initial_accumulator_value"])
                t = _bump_step(state["step"])
                clr = lr / (1 + (t - 1) * group["lr_decay"])
                p._version_counter.value += 1
                adagrad_update(p._data, grad._data, state["sum"]._data, clr, group["eps"],
                               group["weight_decay"], group["maximize"], kernel)
        return loss


def adagrad_update(p, g, state_sum, clr: float, eps: float, weight_decay: float,
                   maximize: bool, kernel: FusedKernel | None = None) -> None:
    """Update `p` and the running sum in place with the step's learning rate `clr`.

    float32/float64 C-contiguous arrays take the fused kernel (`kernel`: the step's
    FusedKernel, made here when not given), anything else the array formula below.
    """
    p, g, state_sum = (_real_view(a) for a in (p, g, state_sum))
    fused = (kernel or FusedKernel("adagrad_update"))(p, g, state_sum)
    if fused is not None:
        c = p.dtype.type
        fused(p.reshape(-1), g.reshape(-1), state_sum.reshape(-1), c(clr), c(eps),
               c(weight_decay), bool(maximize))
        return
    _adagrad_formula(p, g, state_sum, clr, eps, weight_decay, maximize)


def _adagrad_formula(p, g, state_sum, clr, eps, weight_decay, maximize) -> None:
    """The Adagrad update with whole-array ops, computed in float32 for 16-bit storage."""
    xp = xp_of(p)
    ct = _compute_dtype(p)
    x = p.astype(ct)
    d = g.astype(ct)
    if maximize:
        d = -d
    if weight_decay != 0:
        d = d + weight_decay * x
    s = state_sum.astype(ct) + d * d
    state_sum[...] = s
    p[...] = x + (-clr) * (d / (xp.sqrt(s) + eps))
