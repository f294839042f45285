"""The top-level loss functions PyTorch has besides nn.functional: torch.kl_div and
torch.binary_cross_entropy_with_logits, whose `reduction` is an integer (0 none, 1 mean,
2 sum) as in ATen, declared in namespace "torch" (`@op`, ops/registry.py). They run the
Functions of the nn.functional forms in ops/loss.py.

Observed in PyTorch 2.13: called from Python without `reduction`, both return the unreduced
loss (the schema says reduction=1, the Python binding behaves as 0), so the default here is 0.
"""
from __future__ import annotations

from ..tensor import Tensor
from . import loss as _loss
from .registry import op

_REDUCTION = {0: "none", 1: "mean", 2: "sum"}


def _reduction(value: int) -> str:
    if value not in _REDUCTION:
        raise RuntimeError(f"{value} is not a valid value for reduction")
    return _REDUCTION[value]


@op("kl_div")
def kl_div(input: Tensor, target: Tensor, reduction: int = 0, *,
           log_target: bool = False) -> Tensor:
    """torch.kl_div(input, target, reduction, *, log_target=False)."""
    _loss.require_float(input, "kl_div")
    return _loss.KlDiv.apply(input, target, _reduction(reduction), bool(log_target))


# autocast=False: it calls F.binary_cross_entropy_with_logits, which the autocast hook casts
@op("binary_cross_entropy_with_logits", autocast=False)
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None,
                                     pos_weight: Tensor | None = None,
                                     reduction: int = 0) -> Tensor:
    """torch.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)."""
    return _loss.binary_cross_entropy_with_logits(input, target, weight,
                                                  reduction=_reduction(reduction),
                                                  pos_weight=pos_weight)
