"""Adam (and AdamW through `decoupled_weight_decay=True`), with AMSGrad and maximize.

The update of one parameter at step t (PyTorch's `_single_tensor_adam`):

    d = -grad if maximize else grad
    p = p * (1 - lr * wd)        (decoupled weight decay: AdamW)
    d = d + wd * p               (otherwise, when wd != 0: L2 penalty)
    m = lerp(m, d, 1 - beta1)                      first moment
    v = beta2 * v + (1 - beta2) * d * d            second moment
    vmax = max(vmax, v); use vmax for v            (amsgrad)
    p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

A step updates the parameters of a group in one kernel call (_adam_multi_tensor.py: PyTorch's
multi-tensor apply) unless `foreach=False` asks for the per-tensor loop; the tensors that
call does not take (float16, strided views, complex) run the per-tensor update below. Both
give the same bits, so `foreach` and `fused` only choose the path.
"""
from __future__ import annotations

from typing import Callable, Iterable

from ..array_backends import xp_of
from ..tensor import Tensor, _wrap
from ._adam_multi_tensor import adam_multi_tensor
from .optimizer import (FusedKernel, Optimizer, _as_float, _bump_step, _check_flags,
                        _compute_dtype, _new_step, _params_with_grad, _real_view, _step_impl,
                        _no_array)

__all__ = ["Adam", "adam_update"]


class Adam(Optimizer):
    """Adam (`torch.optim.Adam`): per-coordinate steps scaled by running gradient moments.

        >>> import minitorch_nn as torch
        >>> w = torch.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = torch.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> w     # the first Adam step moves each coordinate by about lr
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        _check_hyper_parameters(lr, betas, eps, weight_decay)
        if fused and differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        _check_flags(type(self).__name__, differentiable)
        betas = tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() else b for b in betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable,
                    "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in (("amsgrad", False), ("maximize", False), ("foreach", None),
                                 ("capturable", False), ("differentiable", False),
                                 ("decoupled_weight_decay", False), ("fused", None)):
                group.setdefault(key, default)
            for p in group["params"]:
                p_state = self.state.get(p, {})
                if p_state and not isinstance(p_state["step"], Tensor):
                    step = _new_step()
                    step._data[...] = float(p_state["step"])
                    p_state["step"] = step

    def _state_of(self, p: Tensor, group: dict) -> dict:
        """The state of `p`, created on its first step: step counter and moment buffers."""
        state = self.state[p]
        if len(state) == 0:
            if group["fused"]:
                _check_fused_param(p)
            xp = xp_of(p._data)
            state["step"] = _new_step()
            state["exp_avg"] = _wrap(xp.zeros_like(p._data))
            state["exp_avg_sq"] = _wrap(xp.zeros_like(p._data))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = _wrap(xp.zeros_like(p._data))
        return state

    @_step_impl
    def step(self, closure: Callable[[], float] | None = None):
        """One Adam update of every parameter that has a gradient; returns closure's loss."""
        loss = self._eval_closure(closure)
        kernel = FusedKernel("adam_update")
        for group in self.param_groups:
            lr = _as_float(group["lr"], "lr")
            beta1, beta2 = (_as_float(b, "betas") for b in group["betas"])
            pairs = list(_params_with_grad(group))
            if pairs and _multi_tensor(group):
                pairs = adam_multi_tensor(self, group, pairs, lr, beta1, beta2)
            for p, grad in pairs:
                state = self._state_of(p, group)
                t = _bump_step(state["step"])
                vmax = state["max_exp_avg_sq"]._data if group["amsgrad"] else None
                p._version_counter.value += 1
                adam_update(p._data, grad._data, state["exp_avg"]._data,
                            state["exp_avg_sq"]._data, vmax, t, lr, beta1, beta2,
                            group["eps"], group["weight_decay"], group["maximize"],
                            group["decoupled_weight_decay"], kernel)
        return loss


def _multi_tensor(group: dict) -> bool:
    """Whether the group's step takes the multi-tensor kernel: unless `foreach=False` (and
    not `fused=True`) asks for the per-tensor loop. PyTorch refuses a Tensor lr with
    foreach=True (without capturable); so do we."""
    if group["foreach"] and isinstance(group["lr"], Tensor) and not group["capturable"]:
        raise ValueError("lr as a Tensor is not supported for capturable=False and "
                         "foreach=True")
    return bool(group["fused"]) or group["foreach"] is not False


def _check_fused_param(p: Tensor) -> None:
    """PyTorch's check when `fused=True` meets a parameter: floating point only."""
    if not p.is_floating_point():
        raise RuntimeError("`fused=True` requires all the params to be floating point Tensors "
                           f"of supported devices: ['cpu', 'cuda'] but {p.dtype} and "
                           f"{p.device.type}")


def _check_hyper_parameters(lr, betas, eps, weight_decay) -> None:
    """PyTorch's argument checks for Adam and AdamW (same messages)."""
    if not 0.0 <= _as_float(lr, "lr"):
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= _as_float(betas[0], "betas[0]") < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= _as_float(betas[1], "betas[1]") < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
    both_floats = isinstance(betas[0], float) and isinstance(betas[1], float)
    both_tensors = isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor)
    if not (both_floats or both_tensors):
        raise ValueError("betas must be either both floats or both Tensors")


def adam_update(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step: float, lr: float,
                beta1: float, beta2: float, eps: float, weight_decay: float, maximize: bool,
                decoupled: bool, kernel: FusedKernel | None = None) -> None:
    """Update the arrays `p` and the moments in place at step `step` (1 on the first call).

    `max_exp_avg_sq` is None without AMSGrad. float32/float64 C-contiguous arrays take the
    fused kernel (`kernel`: the step's FusedKernel, made here when not given); anything else
    takes the array formulas below.
    """
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    step_size = lr / bias_correction1
    bc2_sqrt = bias_correction2 ** 0.5
    p, g, exp_avg, exp_avg_sq = (_real_view(a) for a in (p, g, exp_avg, exp_avg_sq))
    amsgrad = max_exp_avg_sq is not None
    if amsgrad:
        max_exp_avg_sq = _real_view(max_exp_avg_sq)
    arrays = (p, g, exp_avg, exp_avg_sq) + ((max_exp_avg_sq,) if amsgrad else ())
    fused = (kernel or FusedKernel("adam_update"))(*arrays)
    if fused is not None:
        c = p.dtype.type
        vmax = max_exp_avg_sq.reshape(-1) if amsgrad else _no_array(p)
        fused(
            p.reshape(-1), g.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1), vmax,
            c(beta1), c(1 - beta1), c(beta2), c(1 - beta2), c(eps), c(weight_decay),
            c(1 - lr * weight_decay), c(step_size), c(bc2_sqrt), amsgrad, bool(maximize),
            bool(decoupled))
        return
    _adam_formula(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps,
                  weight_decay, step_size, bc2_sqrt, maximize, decoupled)


def _lerp(start, end, weight: float, one_minus_weight: float):
    """PyTorch's lerp formula (exact at both ends) on arrays."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * one_minus_weight


def _adam_moments(p, g, exp_avg, exp_avg_sq, lr, beta1, beta2, weight_decay, maximize,
                  decoupled):
    """The part Adam, NAdam and RAdam share, with whole-array ops in float32 for 16-bit
    storage: the gradient (negated for maximize, plus L2 weight decay, or the parameter
    decayed when decoupled), then both moments updated in place. Returns (xp, the parameter,
    the gradient, the new first and second moments) in the compute dtype."""
    xp = xp_of(p)
    ct = _compute_dtype(p)
    x = p.astype(ct)
    d = g.astype(ct)
    if maximize:
        d = -d
    if weight_decay != 0:
        if decoupled:
            x = x * (1 - lr * weight_decay)
        else:
            d = d + weight_decay * x
    m = _lerp(exp_avg.astype(ct), d, 1 - beta1, beta1)
    v = exp_avg_sq.astype(ct) * beta2 + (1 - beta2) * (d * d)
    exp_avg[...] = m
    exp_avg_sq[...] = v
    return xp, x, d, m, v


def _adam_formula(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps,
                  weight_decay, step_size, bc2_sqrt, maximize, decoupled) -> None:
    """The Adam update with whole-array ops, computed in float32 for 16-bit storage."""
    xp, x, d, m, v = _adam_moments(p, g, exp_avg, exp_avg_sq, lr, beta1, beta2, weight_decay,
                                   maximize, decoupled)
    if max_exp_avg_sq is not None:
        v = xp.maximum(max_exp_avg_sq.astype(v.dtype), v)
        max_exp_avg_sq[...] = v
    denom = xp.sqrt(v) / bc2_sqrt + eps
    p[...] = x + (-step_size) * (m / denom)

