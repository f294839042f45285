"""SparseAdam: Adam that touches only the rows a (sparse) gradient names.

minitorch_nn has no sparse tensors: `nn.Embedding(sparse=True)` produces a dense gradient
whose rows are zero for the indices that were not looked up. SparseAdam reads such a
gradient as PyTorch's sparse one (indices = the looked-up rows, values = whole rows): the
rows along dim 0 with any non-zero entry are updated, the others (and their moments) are
left alone. This equals PyTorch for embeddings whenever every looked-up row gets a non-zero
gradient; a looked-up row whose gradient is exactly zero counts as not looked up here
(PyTorch would still decay its moments and move it). PyTorch raises for dense gradients;
here any dense gradient is read this way.

The update of the selected rows at step t (PyTorch's `_functional.sparse_adam`):

    m = m + (g - m)(1 - beta1);  v = v + (g^2 - v)(1 - beta2)
    p = p - lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)
"""
from __future__ import annotations

import math
from typing import Callable, Iterable

from ..array_backends import xp_of
from ..tensor import Tensor
from ._common import check_betas, zeros_state
from .optimizer import Optimizer, _as_float, _compute_dtype, _params_with_grad, _step_impl

__all__ = ["SparseAdam", "sparse_adam_update"]


class SparseAdam(Optimizer):
    """SparseAdam (`torch.optim.SparseAdam`) for embedding tables (see the module docstring
    for how a dense gradient stands in for a sparse one).

        >>> import minitorch_nn as torch
        >>> emb = torch.nn.Embedding(4, 2, sparse=True)
        >>> opt = torch.optim.SparseAdam(emb.parameters(), lr=0.1)
        >>> before = emb.weight.detach().clone()
        >>> emb(torch.tensor([1, 3])).sum().backward(); opt.step()
        >>> (emb.weight.detach() != before).any(dim=1).tolist()   # only rows 1 and 3 moved
        [False, True, False, True]
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 maximize: bool = False) -> None:
        if not 0.0 < _as_float(lr, "lr"):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        check_betas(betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)
        complex_params = [[i, j] for i, group in enumerate(self.param_groups)
                          for j, p in enumerate(group["params"]) if p.is_complex()]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does "
                             "not support complex parameters")

    @_step_impl
    def step(self, closure: Callable[[], float] | None = None):
        """One update of the rows each gradient names; returns closure's loss."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = _as_float(group["lr"], "lr")
            beta1, beta2 = group["betas"]
            for p, grad in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                state["step"] += 1
                p._version_counter.value += 1
                sparse_adam_update(p._data, grad._data, state["exp_avg"]._data,
                                   state["exp_avg_sq"]._data, state["step"], lr, beta1,
                                   beta2, group["eps"], group.get("maximize", False))
        return loss


def _rows(xp, g):
    """Indices along dim 0 of the rows of `g` with a non-zero entry (None: the whole 0-d
    tensor, when it is non-zero; an empty array when nothing is)."""
    if g.ndim == 0:
        return None if bool(g != 0) else xp.zeros(0, dtype=xp.int64)
    return xp.flatnonzero((g != 0).reshape(g.shape[0], -1).any(axis=1))


def sparse_adam_update(p, g, exp_avg, exp_avg_sq, step: int, lr: float, beta1: float,
                       beta2: float, eps: float, maximize: bool) -> None:
    """Update the non-zero rows of `g` in `p` and the moments in place (array formulas)."""
    xp = xp_of(p)
    rows = _rows(xp, g)
    if rows is not None and rows.size == 0:
        return   # PyTorch skips an empty gradient
    sel = Ellipsis if rows is None else rows
    ct = _compute_dtype(p)
    values = g[sel].astype(ct)
    if maximize:
        values = -values
    old_m = exp_avg[sel].astype(ct)
    upd_m = (values - old_m) * (1 - beta1)
    exp_avg[sel] = old_m + upd_m
    old_v = exp_avg_sq[sel].astype(ct)
    upd_v = (values * values - old_v) * (1 - beta2)
    exp_avg_sq[sel] = old_v + upd_v
    numer = upd_m + old_m
    denom = xp.sqrt(upd_v + old_v) + eps
    step_size = lr * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
    p[sel] = p[sel].astype(ct) + (-step_size) * (numer / denom)
