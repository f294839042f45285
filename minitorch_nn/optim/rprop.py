"""Rprop: resilient backpropagation, steps of a per-coordinate size that grows while the
gradient keeps its sign and shrinks when it flips (the gradient's magnitude is ignored).

The update of one parameter (PyTorch's `_single_tensor_rprop`):

    d = -grad if maximize else grad
    s = sign(d * prev);  f = etaplus (s > 0), etaminus (s < 0), 1 (s == 0)
    (PyTorch's sign: 0 for NaN, so a NaN gradient keeps its step size, p stays)
    step_size = clamp(step_size * f, step_size_min, step_size_max)
    d = 0 where f == etaminus                 (no move right after a sign flip)
    p = p - sign(d) * step_size;  prev = d
"""
from __future__ import annotations

from typing import Callable, Iterable

from ..array_backends import xp_of
from ..tensor import Tensor, _wrap
from ._common import check_lr, restore_group_defaults, restore_scalar_state, zeros_state
from .optimizer import (FusedKernel, Optimizer, _as_float, _bump_step, _check_flags,
                        _compute_dtype, _new_step, _params_with_grad, _real_view, _step_impl)

__all__ = ["Rprop", "rprop_update"]


class Rprop(Optimizer):
    """Rprop (`torch.optim.Rprop`); `lr` is the initial step size of every coordinate.

        >>> import minitorch_nn as torch
        >>> w = torch.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = torch.optim.Rprop([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> w     # each coordinate moves by lr against its gradient's sign
        tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_flags("Rprop", differentiable)
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        restore_group_defaults(self, (("foreach", None), ("maximize", False),
                                      ("differentiable", False), ("capturable", False)))
        restore_scalar_state(self, ("step",))

    def _state_of(self, p: Tensor, grad: Tensor, lr: float) -> dict:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _new_step()
            state["prev"] = zeros_state(p)
            value = complex(lr, lr) if p.is_complex() else lr
            state["step_size"] = _wrap(xp_of(grad._data).full_like(grad._data, value))
        return state

    @_step_impl
    def step(self, closure: Callable[[], float] | None = None):
        """One Rprop update of every parameter with a gradient; returns closure's loss."""
        loss = self._eval_closure(closure)
        kernel = FusedKernel("rprop_update")
        for group in self.param_groups:
            lr = _as_float(group["lr"], "lr")
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            for p, grad in _params_with_grad(group):
                state = self._state_of(p, grad, lr)
                _bump_step(state["step"])
                p._version_counter.value += 1
                rprop_update(p._data, grad._data, state["prev"]._data,
                             state["step_size"]._data, etaminus, etaplus, step_size_min,
                             step_size_max, group["maximize"], kernel)
        return loss


def rprop_update(p, g, prev, step_size, etaminus: float, etaplus: float,
                 step_size_min: float, step_size_max: float, maximize: bool,
                 kernel: FusedKernel | None = None) -> None:
    """Update `p`, `prev` and `step_size` in place: the fused kernel for float32/float64
    C-contiguous arrays of one device, else the array formulas. PyTorch's sign gives 0 for
    NaN: a NaN product keeps the step size (factor 1) and a NaN gradient does not move p."""
    p, g, prev, step_size = (_real_view(a) for a in (p, g, prev, step_size))
    fused = (kernel or FusedKernel("rprop_update"))(p, g, prev, step_size)
    if fused is not None:
        c = p.dtype.type
        fused(p.reshape(-1), g.reshape(-1), prev.reshape(-1), step_size.reshape(-1),
              c(etaminus), c(etaplus), c(step_size_min), c(step_size_max), bool(maximize))
        return
    xp = xp_of(p)
    ct = _compute_dtype(p)
    d = g.astype(ct)
    if maximize:
        d = -d
    s = _sign(d * prev.astype(ct))
    factor = xp.where(s > 0, ct.type(etaplus), s)
    factor = xp.where(factor < 0, ct.type(etaminus), factor)
    factor = xp.where(factor == 0, ct.type(1), factor)
    size = xp.clip(step_size.astype(ct) * factor, step_size_min, step_size_max)
    step_size[...] = size
    d = xp.where(factor == ct.type(etaminus), ct.type(0), d)
    p[...] = p.astype(ct) + (-1) * (_sign(d) * size)
    prev[...] = d


def _sign(x):
    """PyTorch's sign, (0 < x) - (x < 0): 0 for NaN (numpy's sign gives NaN)."""
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)
