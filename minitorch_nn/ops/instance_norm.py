"""Instance normalization: F.instance_norm and torch.instance_norm.

As PyTorch does, an instance norm of (N, C, *) input is a batch norm of the same data viewed
as (1, N * C, *): each (sample, channel) plane is normalized by its own statistics. weight,
bias and the running statistics are repeated N times for that call, and the running stats it
updated are averaged back over N into the (C,) buffers. So the graph is PyTorch's
(ViewBackward0 over NativeBatchNormBackward0, RepeatBackward0 for weight and bias) and the
gradients are batch_norm's.
"""
from __future__ import annotations

from ..autograd import grad_mode
from ..tensor import Tensor
from .normalization import batch_norm
from .registry import op


def _repeat(t: Tensor | None, n: int) -> Tensor | None:
    return None if t is None else t.repeat(n)


def _fold_running(buffer: Tensor | None, updated: Tensor | None, n: int) -> None:
    """buffer[c] = mean over the N samples of the updated (N * C,) repeat, in place."""
    if buffer is None:
        return
    with grad_mode.no_grad():
        buffer.copy_(updated.view(n, buffer.numel()).mean(0, keepdim=False).view(buffer.shape))


@op("instance_norm")
def instance_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                  running_mean: Tensor | None, running_var: Tensor | None,
                  use_input_stats: bool, momentum: float, eps: float,
                  cudnn_enabled: bool = False) -> Tensor:
    """torch.instance_norm(input, weight, bias, running_mean, running_var, use_input_stats,
    momentum, eps, cudnn_enabled): normalize each (sample, channel) plane of (N, C, *)."""
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    shape = tuple(input.shape)
    n, c = shape[0], shape[1] if input.ndim > 1 else 1
    folded = input.contiguous().view((1, n * c) + shape[2:])
    rm, rv = _repeat(running_mean, n), _repeat(running_var, n)
    out = batch_norm(folded, _repeat(weight, n), _repeat(bias, n), rm, rv, use_input_stats,
                     momentum, eps, cudnn_enabled)
    if use_input_stats:
        _fold_running(running_mean, rm, n)
        _fold_running(running_var, rv, n)
    return out.view(shape)


@op("instance_norm", namespace="nn.functional", autocast=False)
def instance_norm_f(input: Tensor, running_mean: Tensor | None = None,
                    running_var: Tensor | None = None, weight: Tensor | None = None,
                    bias: Tensor | None = None, use_input_stats: bool = True,
                    momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """F.instance_norm: per-sample, per-channel normalization; with use_input_stats=False
    the running statistics are used, else the input's (updating running stats if given)."""
    if use_input_stats:
        size_prods = 1
        for s in input.shape[2:]:
            size_prods *= s
        if size_prods == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input "
                             f"size {input.shape}")
    return instance_norm(input, weight, bias, running_mean, running_var, use_input_stats,
                         momentum, eps, False)
