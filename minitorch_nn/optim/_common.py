"""Pieces shared by the optimizers added for issue 12 (Adamax, NAdam, RAdam, Adadelta, Rprop,
ASGD, SparseAdam, Adafactor, LBFGS): PyTorch's argument checks (same messages), state
buffers, 0-d scalar state tensors and the `__setstate__` defaults."""
from __future__ import annotations

import numpy as np

from ..array_backends import xp_of
from ..tensor import Tensor, _wrap
from .optimizer import _as_float, _new_step, _scalar_dtype

__all__ = ["check_lr", "check_eps", "check_betas", "check_weight_decay", "zeros_state",
           "scalar_state", "set_scalar", "default_float", "restore_group_defaults", "restore_scalar_state"]


def check_lr(lr) -> None:
    """'Tensor lr must be 1-element' / 'Invalid learning rate: {lr}' (lr < 0)."""
    if not 0.0 <= _as_float(lr, "lr"):
        raise ValueError(f"Invalid learning rate: {lr}")


def check_eps(eps) -> None:
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")


def check_betas(betas) -> None:
    """Each beta in [0, 1)."""
    if not 0.0 <= _as_float(betas[0], "betas[0]") < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= _as_float(betas[1], "betas[1]") < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def check_weight_decay(weight_decay) -> None:
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def zeros_state(p: Tensor) -> Tensor:
    """A zero buffer shaped and typed like the parameter (PyTorch's zeros_like(p))."""
    return _wrap(xp_of(p._data).zeros_like(p._data))


def scalar_state(value: float) -> Tensor:
    """A 0-d CPU tensor of the step-counter dtype (float32 unless float64 is the default)
    holding `value`, as PyTorch's `mu_product`, `eta`, `mu` are."""
    t = _new_step()
    t._data[...] = value
    return t


def set_scalar(t: Tensor, value: float) -> None:
    """Store `value` in a 0-d state tensor in place (rounded to its dtype)."""
    t._data[...] = value
    t._version_counter.value += 1


def default_float(value: float) -> float:
    """`value` rounded to the default float dtype, as `torch.as_tensor(value)` rounds it."""
    return float(scalar_np_dtype().type(value))


def restore_group_defaults(opt, defaults: tuple) -> None:
    """`group.setdefault(key, value)` for every group: old pickles lack newer options."""
    for group in opt.param_groups:
        for key, value in defaults:
            group.setdefault(key, value)


def restore_scalar_state(opt, keys: tuple) -> None:
    """State entries saved as plain numbers (old checkpoints) become 0-d tensors again."""
    for p_state in opt.state.values():
        if not isinstance(p_state, dict):
            continue
        for key in keys:
            if key in p_state and not isinstance(p_state[key], Tensor):
                p_state[key] = scalar_state(float(p_state[key]))


def scalar_np_dtype():
    """The numpy dtype of the 0-d scalar state tensors."""
    return np.dtype(_scalar_dtype().np)
