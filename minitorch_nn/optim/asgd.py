"""ASGD: averaged stochastic gradient descent (Polyak-Ruppert averaging of the iterates in
`ax`, with a decaying step `eta`).

The update of one parameter at step t (PyTorch's `_single_tensor_asgd`):

    d = -grad if maximize else grad;  d = d + wd * p   (weight_decay != 0)
    p = p * (1 - lambd * eta) - eta * d
    ax = ax + (p - ax) * mu     (ax = p while mu == 1)
    eta = lr / (1 + lambd * lr * t)^alpha;  mu = 1 / max(1, t - t0)
"""
from __future__ import annotations

from typing import Callable, Iterable

from ..tensor import Tensor
from ._common import (check_lr, check_weight_decay, restore_group_defaults,
                      restore_scalar_state, scalar_state, set_scalar, zeros_state,
                      default_float)
from .optimizer import (FusedKernel, Optimizer, _as_float, _bump_step, _check_flags,
                        _compute_dtype, _new_step, _params_with_grad, _real_view, _step_impl)

__all__ = ["ASGD", "asgd_update"]


class ASGD(Optimizer):
    """ASGD (`torch.optim.ASGD`); the averaged parameters are `state[p]["ax"]`.

        >>> import minitorch_nn as torch
        >>> w = torch.tensor([1.0], requires_grad=True)
        >>> opt = torch.optim.ASGD([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> w     # 1 * (1 - 1e-4 * 0.1) - 0.1 * 2
        tensor([0.8000], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        check_lr(lr)
        check_weight_decay(weight_decay)
        _check_flags("ASGD", differentiable)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        restore_group_defaults(self, (("foreach", None), ("maximize", False),
                                      ("differentiable", False), ("capturable", False)))
        restore_scalar_state(self, ("step", "eta", "mu"))

    def _state_of(self, p: Tensor, lr: float) -> dict:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _new_step()
            state["eta"] = scalar_state(lr)
            state["mu"] = scalar_state(1.0)
            state["ax"] = zeros_state(p)
        return state

    @_step_impl
    def step(self, closure: Callable[[], float] | None = None):
        """One ASGD update of every parameter with a gradient; returns closure's loss."""
        loss = self._eval_closure(closure)
        kernel = FusedKernel("asgd_update")
        for group in self.param_groups:
            lr = _as_float(group["lr"], "lr")
            lambd, alpha, t0 = group["lambd"], group["alpha"], group["t0"]
            for p, grad in _params_with_grad(group):
                state = self._state_of(p, lr)
                t = _bump_step(state["step"])
                p._version_counter.value += 1
                asgd_update(p._data, grad._data, state["ax"]._data, float(state["eta"]._data),
                            float(state["mu"]._data), lambd, group["weight_decay"],
                            group["maximize"], kernel)
                # PyTorch copies `as_tensor(value)`: rounded to the default dtype first
                set_scalar(state["eta"], default_float(lr / ((1 + lambd * lr * t) ** alpha)))
                set_scalar(state["mu"], default_float(1 / max(1, t - t0)))
        return loss


def asgd_update(p, g, ax, eta: float, mu: float, lambd: float, weight_decay: float,
                maximize: bool, kernel: FusedKernel | None = None) -> None:
    """Update `p` and the average `ax` in place with this step's `eta` and `mu`: the fused
    kernel for float32/float64 C-contiguous arrays of one device, else the array formulas."""
    p, g, ax = (_real_view(a) for a in (p, g, ax))
    fused = (kernel or FusedKernel("asgd_update"))(p, g, ax)
    if fused is not None:
        c = p.dtype.type
        fused(p.reshape(-1), g.reshape(-1), ax.reshape(-1), c(1 - lambd * eta), c(eta),
              c(mu), c(weight_decay), bool(maximize), mu != 1)
        return
    ct = _compute_dtype(p)
    x = p.astype(ct)
    d = g.astype(ct)
    if maximize:
        d = -d
    if weight_decay != 0:
        d = d + weight_decay * x
    x = x * (1 - lambd * eta)
    x = x + (-eta) * d
    p[...] = x
    if mu != 1:
        ax[...] = ax.astype(ct) + (p.astype(ct) - ax.astype(ct)) * mu
    else:
        ax[...] = p
