"""RMSprop: divide the gradient by a running root-mean-square of its recent values.

The update of one parameter (PyTorch's `_single_tensor_rmsprop`):

    d = -grad if maximize else grad
    d = d + wd * p                                     (weight_decay != 0)
    sq = alpha * sq + (1 - alpha) * d * d
    avg = sqrt(sq - ga * ga) + eps, ga = lerp(ga, d, 1 - alpha)   (centered)
    avg = sqrt(sq) + eps                                          (otherwise)
    buf = momentum * buf + d / avg;  p = p - lr * buf  (momentum > 0)
    p = p - lr * d / avg                               (otherwise)
"""
from __future__ import annotations

from typing import Callable, Iterable

from ..array_backends import xp_of
from ..tensor import Tensor, _wrap
from .adam import _lerp
from .optimizer import (FusedKernel, Optimizer, _as_float, _bump_step, _check_flags,
                        _compute_dtype, _new_step, _params_with_grad, _real_view, _step_impl,
                        _no_array)

__all__ = ["RMSprop", "rmsprop_update"]


class RMSprop(Optimizer):
    """RMSprop (`torch.optim.RMSprop`), optionally centered and with momentum.

        >>> import minitorch_nn as torch
        >>> w = torch.tensor([1.0], requires_grad=True)
        >>> opt = torch.optim.RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward(); opt.step()
        >>> w     # 1 - 0.01 * 2 / sqrt(0.01 * 4) = 0.9
        tensor([0.9000], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if not 0.0 <= _as_float(lr, "lr"):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        _check_flags("RMSprop", differentiable)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in (("momentum", 0), ("centered", False), ("foreach", None),
                                 ("maximize", False), ("differentiable", False),
                                 ("capturable", False)):
                group.setdefault(key, default)

    def _state_of(self, p: Tensor, group: dict) -> dict:
        """The state of `p`, created on its first step."""
        state = self.state[p]
        if len(state) == 0:
            xp = xp_of(p._data)
            state["step"] = _new_step()
            state["square_avg"] = _wrap(xp.zeros_like(p._data))
            if group["momentum"] > 0:
                state["momentum_buffer"] = _wrap(xp.zeros_like(p._data))
            if group["centered"]:
                state["grad_avg"] = _wrap(xp.zeros_like(p._data))
        return state

    @_step_impl
    def step(self, closure: Callable[[], float] | None = None):
        """One RMSprop update of every parameter that has a gradient; returns closure's loss."""
        loss = self._eval_closure(closure)
        kernel = FusedKernel("rmsprop_update")
        for group in self.param_groups:
            lr = _as_float(group["lr"], "lr")
            for p, grad in _params_with_grad(group):
                state = self._state_of(p, group)
                _bump_step(state["step"])
                grad_avg = state["grad_avg"]._data if group["centered"] else None
                buf = state["momentum_buffer"]._data if group["momentum"] > 0 else None
                p._version_counter.value += 1
                rmsprop_update(p._data, grad._data, state["square_avg"]._data, grad_avg, buf,
                               lr, group["alpha"], group["eps"], group["weight_decay"],
                               group["momentum"], group["maximize"], kernel)
        return loss


def rmsprop_update(p, g, square_avg, grad_avg, buf, lr: float, alpha: float, eps: float,
                   weight_decay: float, momentum: float, maximize: bool,
                   kernel: FusedKernel | None = None) -> None:
    """Update `p` and the running averages in place.

    `grad_avg` is None unless centered, `buf` None unless momentum > 0. float32/float64
    C-contiguous arrays take the fused kernel (`kernel`: the step's FusedKernel, made here
    when not given), anything else the array formulas.
    """
    p, g, square_avg = (_real_view(a) for a in (p, g, square_avg))
    centered, has_buf = grad_avg is not None, buf is not None and momentum > 0
    grad_avg = _real_view(grad_avg) if centered else None
    buf = _real_view(buf) if has_buf else None
    extra = tuple(a for a in (grad_avg, buf) if a is not None)
    fused = (kernel or FusedKernel("rmsprop_update"))(p, g, square_avg, *extra)
    if fused is not None:
        c = p.dtype.type
        empty = _no_array(p)
        fused(
            p.reshape(-1), g.reshape(-1), square_avg.reshape(-1),
            grad_avg.reshape(-1) if centered else empty, buf.reshape(-1) if has_buf else empty,
            c(lr), c(alpha), c(1 - alpha), c(eps), c(weight_decay),
            c(momentum if has_buf else 0), centered, bool(maximize))
        return
    _rmsprop_formula(p, g, square_avg, grad_avg, buf, lr, alpha, eps, weight_decay, momentum,
                     maximize)


def _rmsprop_formula(p, g, square_avg, grad_avg, buf, lr, alpha, eps, weight_decay,
                     momentum, maximize) -> None:
    """The RMSprop update with whole-array ops, computed in float32 for 16-bit storage."""
    xp = xp_of(p)
    ct = _compute_dtype(p)
    x = p.astype(ct)
    d = g.astype(ct)
    if maximize:
        d = -d
    if weight_decay != 0:
        d = d + weight_decay * x
    sq = square_avg.astype(ct) * alpha + (1 - alpha) * (d * d)
    square_avg[...] = sq
    if grad_avg is not None:
        ga = _lerp(grad_avg.astype(ct), d, 1 - alpha, alpha)
        grad_avg[...] = ga
        avg = xp.sqrt(sq - ga * ga)
    else:
        avg = xp.sqrt(sq)
    avg = avg + eps
    if buf is not None:
        b = buf.astype(ct) * momentum + d / avg
        buf[...] = b
        p[...] = x + (-lr) * b
    else:
        p[...] = x + (-lr) * (d / avg)
