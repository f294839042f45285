"""Optimizers and learning-rate schedules (`torch.optim`).

    >>> import minitorch_nn as torch
    >>> w = torch.tensor([3.0], requires_grad=True)
    >>> opt = torch.optim.SGD([w], lr=0.25)
    >>> for _ in range(3):
    ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
    >>> w      # each step multiplies w by 1 - 0.25 * 2
    tensor([0.3750], requires_grad=True)

Every update runs under `no_grad` on the parameters' arrays in place (bumping their version
counters); float32/float64 parameters use the fused kernels of `kernels/<device>/optim.py`
(Numba on the CPU, CUDA on the GPU; optimizer.FusedKernel, looked up once per step), other
dtypes and strided views the same formulas written with array ops.
"""
from __future__ import annotations

from . import lr_scheduler
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .muon import Muon
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "NAdam",
           "RAdam", "Adadelta", "Rprop", "ASGD", "SparseAdam", "Adafactor", "LBFGS",
           "Muon", "lr_scheduler"]
