"""conv_tbc: fairseq's 1-D convolution on (time, batch, channels) input, as PyTorch's
`torch.conv_tbc` / `F.conv_tbc`.

out[t, n, o] = bias[o] + sum_{k, c} xpad[t + k, n, c] * weight[k, c, o], where xpad is the input
with `pad` zero steps before and after in time (a negative `pad` crops that many steps instead,
as PyTorch's kernel does). Built from differentiable ops (cat, stack, matmul), so autograd
derives the gradients: the K shifted time windows are stacked into (T', N, K*C) and multiplied
by the weight reshaped to (K*C, O) in one product.
"""
from __future__ import annotations

from ..tensor import Tensor
from ._util import check_tensor
from .joining import cat, stack
from .registry import op


def _check(input: Tensor, weight: Tensor, bias: Tensor, pad) -> None:
    """PyTorch's argument checks and messages for conv_tbc."""
    for pos, (name, value) in enumerate((("input", input), ("weight", weight),
                                         ("bias", bias)), start=1):
        check_tensor(value, name, "conv_tbc", pos)
    if isinstance(pad, bool) or not isinstance(pad, int):
        raise TypeError(f"conv_tbc(): argument 'pad' (position 4) must be int, not "
                        f"{type(pad).__name__}")
    if input.ndim != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.ndim != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, "
                           "out_channels.")
    if bias.ndim != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{_short(input.dtype)} and {_short(weight.dtype)}")
    if str(input.dtype) == "torch.bool":
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")


def _short(dtype) -> str:
    """PyTorch's scalar-type name in messages: torch.float64 → Double."""
    names = {"float64": "Double", "float32": "Float", "float16": "Half", "bfloat16": "BFloat16",
             "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
             "bool": "Bool"}
    key = str(dtype).replace("torch.", "")
    return names.get(key, key)


def _padded(input: Tensor, pad: int) -> Tensor:
    """`input` with `pad` zero time steps on each side (pad < 0: -pad steps cut off each side)."""
    if pad < 0:
        return input[-pad:input.shape[0] + pad]
    if pad == 0:
        return input
    zeros = input.new_zeros((pad,) + tuple(input.shape[1:]))
    return cat([zeros, input, zeros], 0)


@op("conv_tbc", namespace="nn.functional")
@op("conv_tbc")
def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:
    """1-D convolution over (time, batch, in) input with weight (kernel, in, out) and bias
    (out); `pad` zero steps each side in time (negative: crop)."""
    _check(input, weight, bias, pad)
    t, n, c = input.shape
    k, _, o = weight.shape
    length = t + 2 * pad - k + 1
    if length < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {length}: "
                           f"[{length}, {n}, {o}]")
    x = _padded(input, pad)
    if k == 0:   # no taps: every output step is the bias (input and weight get zero grads)
        zero = (input[:0].sum() + weight.sum()).to(input.dtype)
        return input.new_zeros((length, n, o)) + zero + bias
    windows = stack([x[j:j + length] for j in range(k)], 2)   # (T', N, K, C)
    out = windows.reshape(length, n, k * c) @ weight.reshape(k * c, o)
    return out + bias
