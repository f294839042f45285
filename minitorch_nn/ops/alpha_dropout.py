"""Alpha dropout (Klambauer et al., "Self-Normalizing Neural Networks"): dropout for SELU nets.

A dropped activation is set to SELU's negative saturation -alpha' (alpha' = scale * alpha =
1.7580993408473766) instead of 0, and the result is mapped affinely back to zero mean and unit
variance: with keep mask m ~ Bernoulli(1 - p), a = 1 / sqrt((alpha'^2 p + 1)(1 - p)) and
b = alpha' a ((m - 1) + p), the output is x * (a m) + b (PyTorch's formula, ATen Dropout.cpp).
feature_alpha_dropout draws one m per (sample, channel), shape (N, C, 1, ...). Identity when
not training, p == 0 or the input is empty; x * 0 when p == 1. The graph is a product with a
constant and a sum (MulBackward0, AddBackward0, as in PyTorch), so no new node is needed.

torch.alpha_dropout(input, p, train) (+ `_`, in place) and torch.feature_alpha_dropout(...)
check p with a RuntimeError; F.alpha_dropout / F.feature_alpha_dropout (training defaults to
False) with a ValueError first. Imported by feature_dropout.py (its family module).
"""
from __future__ import annotations

import math

from ..autograd import grad_mode
from ..tensor import Tensor
from ._nn_util import type_name
from .registry import op

SELU_SATURATION = 1.7580993408473766   # -lim_{x -> -inf} selu(x) = scale * alpha


def check_p(p: float) -> None:
    """F.dropout*'s check of p (a ValueError; the torch.* forms raise RuntimeError)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def check_feature_dims(input: Tensor, p: float) -> None:
    """PyTorch's check before drawing the (N, C, 1, ...) noise (p == 1 draws none)."""
    if p < 1.0 and input.numel() > 0 and input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")


def _noise(input: Tensor, p: float, feature: bool) -> tuple[Tensor, Tensor]:
    """(a m, b) for a keep mask m of the input's shape, or (N, C, 1, ...) when feature."""
    shape = tuple(input.shape)
    if feature:
        shape = shape[:2] + (1,) * (input.dim() - 2)
    a = 1.0 / math.sqrt((SELU_SATURATION ** 2 * p + 1.0) * (1.0 - p))
    with grad_mode.no_grad():
        mask = input.new_empty(shape).bernoulli_(1.0 - p)
        b = mask.add(-1.0).mul_(SELU_SATURATION * a).add_(SELU_SATURATION * a * p)
        return mask.mul_(a), b


def _alpha_dropout(input: Tensor, p: float, train: bool, feature: bool,
                   inplace: bool) -> Tensor:
    """ATen's _dropout_impl with alpha_dropout=true: x * (a m) + b while training."""
    if p < 0.0 or p > 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
    if p == 0.0 or not train or input.numel() == 0:
        return input
    if p == 1.0:
        zero = input.new_zeros(())
        return input.mul_(zero) if inplace else input * zero
    if feature:
        check_feature_dims(input, p)
    if not input.is_floating_point():
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{type_name(input)}")
    scale, shift = _noise(input, p, feature)
    return input.mul_(scale).add_(shift) if inplace else (input * scale).add_(shift)


@op("alpha_dropout")
def alpha_dropout_t(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.alpha_dropout(input, p, train): SELU-preserving element dropout."""
    return _alpha_dropout(input, p, train, False, False)


@op("alpha_dropout_")
def alpha_dropout_t_(input: Tensor, p: float, train: bool) -> Tensor:
    """In-place torch.alpha_dropout."""
    return _alpha_dropout(input, p, train, False, True)


@op("feature_alpha_dropout")
def feature_alpha_dropout_t(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.feature_alpha_dropout(input, p, train): alpha dropout of whole channels."""
    return _alpha_dropout(input, p, train, True, False)


@op("feature_alpha_dropout_")
def feature_alpha_dropout_t_(input: Tensor, p: float, train: bool) -> Tensor:
    """In-place torch.feature_alpha_dropout."""
    return _alpha_dropout(input, p, train, True, True)


@op("alpha_dropout", namespace="nn.functional")
def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """F.alpha_dropout: element-wise alpha dropout (training defaults to False, as in
    PyTorch)."""
    check_p(p)
    return _alpha_dropout(input, p, training, False, inplace)


@op("feature_alpha_dropout", namespace="nn.functional")
def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """F.feature_alpha_dropout: alpha dropout of whole channels (dim 1)."""
    check_p(p)
    return _alpha_dropout(input, p, training, True, inplace)
