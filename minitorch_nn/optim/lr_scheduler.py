"""Learning-rate schedules: each scheduler rewrites `group["lr"]` of its optimizer per step.

Protocol (PyTorch's): the constructor stores `initial_lr` in every group, sets `base_lrs`
and takes a first step (to `last_epoch = 0`). Each `step()` adds one to `last_epoch`, asks
`get_lr()` for the new rates and writes them into the groups. Most schedules are
*chainable*: `get_lr()` derives the new rate from the current `group["lr"]` (so two
schedulers can act on one optimizer), which is why CosineAnnealingLR uses PyTorch's recursive
form rather than the closed formula. `step(epoch)` (deprecated) jumps with the closed form.

    >>> import minitorch_nn as torch
    >>> w = torch.zeros(1, requires_grad=True)
    >>> opt = torch.optim.SGD([w], lr=1.0)
    >>> sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(5):
    ...     opt.step(); lrs.append(sched.get_last_lr()[0]); sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
"""
from __future__ import annotations

from .lr_scheduler_compose import ChainedScheduler, SequentialLR
from .lr_scheduler_core import (EPOCH_DEPRECATION_WARNING, CosineAnnealingLR, ExponentialLR,
                                LambdaLR, LRScheduler, MultiStepLR, OneCycleLR,
                                ReduceLROnPlateau, StepLR, _LRScheduler)  # noqa: F401
from .lr_scheduler_cyclic import CyclicLR
from .lr_scheduler_extra import (ConstantLR, CosineAnnealingWarmRestarts, LinearLR,
                                 MultiplicativeLR, PolynomialLR)

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR",
           "ConstantLR", "LinearLR", "ExponentialLR", "SequentialLR", "PolynomialLR",
           "CosineAnnealingLR", "ChainedScheduler", "ReduceLROnPlateau", "CyclicLR",
           "CosineAnnealingWarmRestarts", "OneCycleLR", "EPOCH_DEPRECATION_WARNING"]

