"""linear_cross_entropy: cross-entropy of a linear projection, as PyTorch's
`F.linear_cross_entropy` (its reference path: `cross_entropy(linear(input, W, b), target)`).

A weight of shape (C, d_1, ..., d_K, in) gives K-dimensional logits (N, C, d_1, ..., d_K).
PyTorch's `options` (a LinearCrossEntropyOptions) only selects a chunked, memory-saving
evaluation of the same loss; here every call takes the reference path, so any `options` value
gives the same numbers.
"""
from __future__ import annotations

import math

from ..tensor import Tensor
from ._util import check_tensor
from .cross_entropy import cross_entropy
from .linear import linear
from .registry import op


def _check(input: Tensor, linear_weight: Tensor, linear_bias: Tensor | None) -> tuple:
    """PyTorch's shape checks; returns (batch shape, classes, out_features)."""
    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got "
                           f"{linear_weight.dim()}")
    batches, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(f"expected equal input and linear_weight last dimensions "
                           f"(in_features), got {input.shape[-1]} and "
                           f"{linear_weight.shape[-1]}, respectively")
    classes, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(classes, *out_features)}, got "
                           f"{tuple(linear_bias.shape)}")
    if out_features and not batches:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape "
                           f"{tuple(linear_weight.shape)} requires batched input, "
                           f"(N, {in_features}), got unbatched input with shape "
                           f"{tuple(input.shape)}")
    return batches, classes, out_features


@op("linear_cross_entropy", namespace="nn.functional")
def linear_cross_entropy(input: Tensor, linear_weight: Tensor, target: Tensor, *,
                         linear_bias: Tensor | None = None, weight: Tensor | None = None,
                         reduction: str = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0, options=None) -> Tensor:
    """cross_entropy(linear(input, linear_weight, linear_bias), target, ...); ignore_index
    None means -100 (and must stay None when target holds class probabilities)."""
    for pos, (name, value) in enumerate((("input", input), ("linear_weight", linear_weight),
                                         ("target", target)), start=1):
        check_tensor(value, name, "linear_cross_entropy", pos)
    batches, classes, out_features = _check(input, linear_weight, linear_bias)
    logits_shape = (*batches, classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    ignore_index = -100 if ignore_index is None else ignore_index
    if out_features:
        rows = math.prod(out_features, start=classes)
        linear_weight = linear_weight.reshape((rows, input.shape[-1]))
        if linear_bias is not None:
            linear_bias = linear_bias.reshape(rows)
    logits = linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction,
                         ignore_index=ignore_index, label_smoothing=label_smoothing)
