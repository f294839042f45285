"""Stochastic gradient descent, with momentum, dampening, Nesterov, weight decay, maximize.

The update of one parameter (PyTorch's `_single_tensor_sgd`):

    d = -grad if maximize else grad
    d = d + weight_decay * p                          (weight_decay != 0)
    buf = d  (first step)  or  momentum * buf + (1 - dampening) * d
    d = d + momentum * buf  (nesterov)  or  d = buf   (momentum != 0)
    p = p - lr * d
"""
from __future__ import annotations

from typing import Callable, Iterable

from ..array_backends import xp_of
from ..tensor import Tensor, _wrap
from .optimizer import (FusedKernel, Optimizer, _as_float, _check_flags, _compute_dtype,
                        _params_with_grad, _step_impl, _no_array)

__all__ = ["SGD", "sgd_update"]


class SGD(Optimizer):
    """Stochastic gradient descent (`torch.optim.SGD`).

        >>> import minitorch_nn as torch
        >>> w = torch.tensor([1.0, 2.0], requires_grad=True)
        >>> opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).sum().backward(); opt.step()
        >>> w
        tensor([0.8000, 1.6000], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if _as_float(lr, "lr") < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_flags("SGD", differentiable)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    @_step_impl
    def step(self, closure: Callable[[], float] | None = None):
        """One SGD update of every parameter that has a gradient; returns closure's loss."""
        loss = self._eval_closure(closure)
        kernel = FusedKernel("sgd_update")
        for group in self.param_groups:
            lr = _as_float(group["lr"], "lr")
            momentum = group["momentum"]
            for p, grad in _params_with_grad(group):
                buf, init = None, False
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:   # first step: the kernel fills it with the gradient
                        buf = state["momentum_buffer"] = _wrap(xp_of(p._data).empty_like(p._data))
                        init = True
                p._version_counter.value += 1
                sgd_update(p._data, grad._data, None if buf is None else buf._data, lr,
                           momentum, group["dampening"], group["weight_decay"],
                           group["nesterov"], group["maximize"], init, kernel)
        return loss


def sgd_update(p, g, buf, lr: float, momentum: float, dampening: float, weight_decay: float,
               nesterov: bool, maximize: bool, init_buf: bool,
               kernel: FusedKernel | None = None) -> None:
    """Update the arrays `p` (and the momentum buffer `buf`) in place, from gradient `g`.

    float32/float64 C-contiguous arrays take the fused kernel (`kernel`: the step's
    FusedKernel, made here when not given); anything else takes the array formulas below
    (numpy or cupy), which give the same numbers.
    """
    if buf is None or momentum == 0:
        buf = None
    arrays = (p, g) if buf is None else (p, g, buf)
    fused = (kernel or FusedKernel("sgd_update"))(*arrays)
    if fused is not None:
        cast = p.dtype.type
        flat_buf = _no_array(p) if buf is None else buf.reshape(-1)
        fused(p.reshape(-1), g.reshape(-1), flat_buf, cast(lr), cast(momentum),
               cast(1 - dampening), cast(weight_decay), bool(nesterov), bool(maximize),
               bool(init_buf))
        return
    _sgd_formula(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, maximize,
                 init_buf)


def _sgd_formula(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, maximize,
                 init_buf) -> None:
    """The SGD update with whole-array ops, computed in float32 for 16-bit storage."""
    ct = _compute_dtype(p)
    x = p.astype(ct)
    d = g.astype(ct)
    if maximize:
        d = -d
    if weight_decay != 0:
        d = d + weight_decay * x
    if buf is not None:
        b = d.copy() if init_buf else buf.astype(ct) * momentum + (1 - dampening) * d
        buf[...] = b
        d = d + momentum * b if nesterov else b
    p[...] = x + (-lr) * d
