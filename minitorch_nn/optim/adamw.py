"""AdamW: Adam whose weight decay shrinks the parameter directly (decoupled), instead of
adding an L2 term to the gradient that would then be rescaled by the moments."""
from __future__ import annotations

from typing import Iterable

from ..tensor import Tensor
from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """AdamW (`torch.optim.AdamW`): `p *= 1 - lr * weight_decay`, then the Adam step.

        >>> import minitorch_nn as torch
        >>> w = torch.tensor([1.0], requires_grad=True)
        >>> opt = torch.optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> (w * w).sum().backward(); opt.step()
        >>> w     # 1 * (1 - 0.1 * 0.5) - 0.1
        tensor([0.8500], requires_grad=True)
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
