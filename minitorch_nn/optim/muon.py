"""Muon: momentum SGD whose update is orthogonalized by a Newton-Schulz iteration, for 2-D
parameters (PyTorch's `torch.optim.Muon`, after Keller Jordan's Muon).

The update of one parameter (PyTorch's `_single_tensor_muon`):

    buf = lerp(buf, g, 1 - momentum)                  # buf = momentum * buf + (1 - momentum) g
    u = lerp(g, buf, momentum) if nesterov else buf
    O = NS(u)          # 5 quintic Newton-Schulz steps in bfloat16 (as PyTorch: the same rounding)
    p = p * (1 - lr * weight_decay) - adjusted_lr * O

with adjusted_lr = lr * sqrt(max(1, A / B)) ("original", the default) or
lr * 0.2 * sqrt(max(A, B)) ("match_rms_adamw") for a parameter of shape (A, B).
"""
from __future__ import annotations

import math
from typing import Callable, Iterable

from ..ops.products import addmm
from ..tensor import Tensor
from .optimizer import Optimizer, _as_float, _params_with_grad, _step_impl

__all__ = ["Muon"]

EPS = 1e-7
DEFAULT_A, DEFAULT_B, DEFAULT_C = 3.4445, -4.7750, 2.0315
DEFAULT_NS_STEPS = 5


def _check_args(lr, momentum, weight_decay, adjust_lr_fn) -> None:
    """PyTorch's constructor checks and messages."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
    if not 0.0 <= momentum:
        raise ValueError(f"momentum should be >= 0 but is: {momentum}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
    if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
        raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")


class Muon(Optimizer):
    """Muon (`torch.optim.Muon`): orthogonalized Nesterov momentum for 2-D parameters; use
    another optimizer (AdamW) for biases and embeddings.

        >>> import minitorch_nn as torch
        >>> w = torch.ones(2, 2, requires_grad=True)
        >>> opt = torch.optim.Muon([w], lr=0.1, weight_decay=0.0)
        >>> (w * w).sum().backward(); opt.step()
        >>> w.shape
        torch.Size([2, 2])
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-3, weight_decay: float = 0.1,
                 momentum: float = 0.95, nesterov: bool = True,
                 ns_coefficients: tuple = (DEFAULT_A, DEFAULT_B, DEFAULT_C), eps: float = EPS,
                 ns_steps: int = DEFAULT_NS_STEPS, adjust_lr_fn: str | None = None) -> None:
        _check_args(lr, momentum, weight_decay, adjust_lr_fn)
        defaults = {"lr": lr, "weight_decay": weight_decay, "momentum": momentum,
                    "nesterov": nesterov, "ns_coefficients": ns_coefficients, "eps": eps,
                    "ns_steps": ns_steps, "adjust_lr_fn": adjust_lr_fn}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p.size()}")

    def _buffer(self, p: Tensor, grad: Tensor) -> Tensor:
        """The parameter's momentum buffer (zeros like the gradient on first use)."""
        if p.is_complex():
            raise RuntimeError("Muon does not support complex parameters")
        if getattr(grad, "is_sparse", False):
            raise RuntimeError("Muon does not support sparse gradients")
        state = self.state[p]
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = grad.detach().clone().zero_()
        return state["momentum_buffer"]

    @_step_impl
    def step(self, closure: Callable[[], float] | None = None):
        """One Muon update of every parameter with a gradient; returns closure's loss."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = _as_float(group["lr"], "lr")
            momentum = group["momentum"]
            for p, grad in _params_with_grad(group):
                buf = self._buffer(p, grad)
                if grad.ndim != 2:
                    raise ValueError("Param gradient must be a 2D matrix")
                buf.lerp_(grad, 1 - momentum)
                update = grad.lerp(buf, momentum) if group["nesterov"] else buf
                update = zeropower_via_newtonschulz(update, group["ns_coefficients"],
                                                    group["ns_steps"], group["eps"])
                adjusted = adjust_lr(lr, group["adjust_lr_fn"], p.shape)
                p.mul_(1 - lr * group["weight_decay"])
                p.add_(update, alpha=-adjusted)
        return loss


def zeropower_via_newtonschulz(grad: Tensor, ns_coefficients, ns_steps: int,
                               eps: float) -> Tensor:
    """≈ U V^T of grad = U S V^T by quintic Newton-Schulz steps in bfloat16 (PyTorch's
    coefficients push singular values into roughly [0.5, 1.5], which trains as well)."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if len(grad.shape) != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    x = grad.bfloat16()
    tall = grad.size(0) > grad.size(1)
    if tall:
        x = x.T
    x.div_(x.norm().clamp(min=eps))   # spectral norm <= Frobenius norm <= 1
    for _ in range(ns_steps):
        gram = x @ x.T
        x = _addmm_bf16(x, _addmm_bf16(gram, gram, gram, b, c), x, a, 1.0)
    return x.T if tall else x


def _addmm_bf16(input: Tensor, mat1: Tensor, mat2: Tensor, beta: float, alpha: float) -> Tensor:
    """beta * input + alpha * mat1 @ mat2 on bfloat16 operands, computed in float32 and
    rounded once (how PyTorch's CPU addmm treats bfloat16)."""
    f = [t.float() for t in (input, mat1, mat2)]
    return addmm(f[0], f[1], f[2], beta=beta, alpha=alpha).bfloat16()


def adjust_lr(lr: float, adjust_lr_fn: str | None, shape) -> float:
    """The learning rate scaled for a (A, B) parameter: sqrt(max(1, A/B)) ("original") or
    0.2 sqrt(max(A, B)) ("match_rms_adamw", AdamW's update RMS)."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    return lr * ratio
