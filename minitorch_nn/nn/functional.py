"""`minitorch_nn.nn.functional`: PyTorch's `torch.nn.functional`, with the same names,
signatures and defaults.

    import minitorch_nn as torch
    import minitorch_nn.nn.functional as F

    x = torch.randn(4, 10, requires_grad=True)
    loss = F.cross_entropy(F.gelu(x), torch.tensor([1, 0, 3, 9]))
    loss.backward()

This module only gathers functions: the ops (forward and backward side by side) live in
minitorch_nn/ops/ (activation, convolution, pooling, normalization, embedding, loss,
attention, linear, padding, distance; relu/sigmoid/tanh in unary) and their Numba kernels in
kernels/cpu/. See docs/functional.md.
"""
from __future__ import annotations

from ..ops import unary as _unary
from ..ops.activation import (elu, elu_, gelu, hardtanh, hardtanh_, leaky_relu, leaky_relu_,
                              relu6, silu, softplus)
from ..ops.activation import dropout_f as dropout
from ..ops.activation import log_softmax_f as log_softmax
from ..ops.activation import softmax_f as softmax
from ..ops.activation import softmin_f as softmin
from ..ops.attention import scaled_dot_product_attention
from ..ops.convolution import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from ..ops.distance import cosine_similarity, normalize, pairwise_distance
from ..ops.embedding import embedding_f as embedding
from ..ops.embedding import one_hot
from ..ops.linear import bilinear, linear
from ..ops.loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                        huber_loss, kl_div, l1_loss, mse_loss, nll_loss, smooth_l1_loss)
from ..ops import normalization as _norm
from ..ops.normalization import batch_norm_f as batch_norm
from ..ops.padding import pad
from ..ops.pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d,
                           max_pool1d, max_pool1d_with_indices, max_pool2d,
                           max_pool2d_with_indices)
from ..tensor import Tensor

__all__ = [
    # activations
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "gelu", "silu",
    "softplus", "hardtanh", "hardtanh_", "sigmoid", "tanh", "softmax", "log_softmax",
    "softmin", "dropout",
    # layers
    "linear", "bilinear", "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d",
    "max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "batch_norm", "layer_norm", "group_norm", "embedding", "one_hot",
    "scaled_dot_product_attention", "pad", "normalize", "cosine_similarity",
    "pairwise_distance",
    # losses
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
]


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); the gradient at 0 is 0."""
    return _unary.relu_(input) if inplace else _unary.relu(input)


def relu_(input: Tensor) -> Tensor:
    return _unary.relu_(input)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x))."""
    return _unary.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return _unary.tanh(input)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing dims `normalized_shape`, then weight and bias."""
    return _norm.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize each group of channels of (N, C, *) input, then a per-channel affine."""
    return _norm.group_norm(input, num_groups, weight, bias, eps)
