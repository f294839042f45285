"""The autograd Function behind SyncBatchNorm across processes (PyTorch's
`torch.nn.modules._functions.SyncBatchNorm`): batch statistics over every rank's batch.

Forward: each rank computes its per-channel mean, biased variance and count; one
all_gather_into_tensor brings every rank's (mean, var, count) to all, and they are combined
into the global mean and variance (the counts weight them, so ranks may hold different batch
sizes, or none): mean = sum(c_i m_i) / N, var = sum(c_i (v_i + (m_i - mean)^2)) / N. The
running statistics are updated with them (the variance made unbiased with N), and the input
is normalized with them.

Backward (PyTorch's formulas): the per-channel sums of dy and dy * (x - mean) are
all-reduced, so each rank's input gradient is that of the batch norm of the whole global
batch. grad_weight and grad_bias stay this rank's own: DistributedDataParallel averages them.
"""
from __future__ import annotations

from ... import distributed as dist
from ...autograd.function import Function
from ...creation import empty
from ...ops.joining import cat

__all__ = ["SyncBatchNormFunction"]


def _channel_shape(input) -> tuple:
    """(1, C, 1, ...): a per-channel vector broadcast against `input`."""
    return (1, input.shape[1]) + (1,) * (input.dim() - 2)


def _reduce_dims(input) -> list[int]:
    return [d for d in range(input.dim()) if d != 1]


def _local_stats(input):
    """This rank's (mean, biased var, count) per channel, as one (2C + 1) vector."""
    channels = input.shape[1]
    count = input.numel() // channels if channels else 0
    if count == 0:
        return input.new_zeros(2 * channels + 1)
    dims = _reduce_dims(input)
    mean = input.mean(dim=dims)
    var = input.var(dim=dims, unbiased=False)
    return cat([mean, var, input.new_full((1,), float(count))])


def _global_stats(input, group, world_size):
    """Every rank's statistics combined: (mean, biased var, total count N)."""
    channels = input.shape[1]
    mine = _local_stats(input)
    everyone = empty(world_size * (2 * channels + 1), dtype=mine.dtype, device=mine.device)
    dist.all_gather_into_tensor(everyone, mine, group=group)
    everyone = everyone.view(world_size, 2 * channels + 1)
    means, variances = everyone[:, :channels], everyone[:, channels:2 * channels]
    counts = everyone[:, 2 * channels:]
    total = counts.sum()
    mean = (counts * means).sum(dim=0) / total
    var = (counts * (variances + (means - mean) ** 2)).sum(dim=0) / total
    return mean, var, float(total)


class SyncBatchNormFunction(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias with the global batch statistics."""

    @staticmethod
    def forward(ctx, input, weight, bias, running_mean, running_var, eps, momentum, group,
                world_size):
        input = input.contiguous()
        mean, var, total = _global_stats(input, group, world_size)
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(mean.to(running_mean.dtype) * momentum)
        if running_var is not None:
            unbiased = var * (total / max(total - 1, 1))
            running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype) * momentum)
        invstd = (var + eps).rsqrt()
        shape = _channel_shape(input)
        out = (input - mean.view(shape)) * invstd.view(shape)
        if weight is not None:
            out = out * weight.view(shape)
        if bias is not None:
            out = out + bias.view(shape)
        ctx.save_for_backward(input, weight, mean, invstd)
        ctx.total = total
        ctx.group = group
        return out

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, mean, invstd = ctx.saved_tensors
        shape = _channel_shape(input)
        dims = _reduce_dims(input)
        xmu = input - mean.view(shape)
        sum_dy = grad_output.sum(dim=dims)
        sum_dy_xmu = (grad_output * xmu).sum(dim=dims)
        grad_weight = sum_dy_xmu * invstd if weight is not None and ctx.needs_input_grad[1] \
            else None
        grad_bias = sum_dy if ctx.needs_input_grad[2] else None
        grad_input = None
        if ctx.needs_input_grad[0]:
            channels = sum_dy.shape[0]
            combined = cat([sum_dy, sum_dy_xmu])
            dist.all_reduce(combined, group=ctx.group)   # the global batch's sums
            sum_dy, sum_dy_xmu = combined[:channels], combined[channels:]
            scale = invstd if weight is None else invstd * weight
            grad_input = (grad_output - (sum_dy / ctx.total).view(shape)
                          - xmu * (invstd * invstd * sum_dy_xmu / ctx.total).view(shape)) \
                * scale.view(shape)
        return grad_input, grad_weight, grad_bias, None, None, None, None, None, None
