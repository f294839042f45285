"""Local response normalization (F.local_response_norm) and RMS normalization (F.rms_norm,
torch.rms_norm).

Both are composites in PyTorch and here: the same tensor ops, so the same values, graph
nodes (DivBackward0, MulBackward0) and gradients. local_response_norm divides each element
by (k + alpha * mean of x^2 over `size` neighbouring channels)^beta, the window zero-padded
(size // 2 before, (size - 1) // 2 after) and averaged with avg_pool2d; PyTorch uses
avg_pool3d for 4-D+ input, with a window 1 wide in every other dim, which is avg_pool2d over
the flattened spatial dims. rms_norm computes x / sqrt(mean(x^2) + eps) over the trailing
`normalized_shape` dims in float32 for half types (eps defaults to that type's machine
epsilon), times weight.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor, _wrap
from ._nn_util import compute_array, type_name
from ._util import xp_of
from .padding import pad
from .pooling import avg_pool2d
from .registry import op


@op("local_response_norm", namespace="nn.functional")
def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """x / (k + alpha * mean(x^2 over `size` neighbouring channels))^beta, channels dim 1."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          "
                         f"input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    sizes = input.shape
    div = div.view(sizes[0], 1, sizes[1], -1)   # (N, 1, C, spatial...)
    div = pad(div, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(div, (size, 1), stride=1).squeeze(1).view(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div


def _check_rms_shape(input: Tensor, normalized_shape, weight: Tensor | None) -> tuple:
    if isinstance(normalized_shape, (int, np.integer)):
        raise TypeError("rms_norm(): argument 'normalized_shape' (position 2) must be tuple of "
                        "ints, not int")
    shape = tuple(int(s) for s in normalized_shape)
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got "
                           f"weight of shape {list(weight.shape)} and normalized_shape = "
                           f"{list(shape)}")
    k = len(shape)
    if input.ndim < k:
        raise ValueError(f"Input tensor must have at least {k} dimensions, but got {input.ndim}")
    if tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    return shape


_EPS = {"float64": float(np.finfo(np.float64).eps)}
_HALF = ("float16", "bfloat16")


@op("rms_norm")
def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """torch.rms_norm: x / sqrt(mean(x^2 over the trailing dims) + eps) * weight."""
    shape = _check_rms_shape(input, normalized_shape, weight)
    if not (input.is_floating_point() or input.is_complex()):
        raise NotImplementedError(f'"rms_norm" not implemented for \'{type_name(input)}\'')
    if eps is None:
        eps = _EPS.get(input.dtype.name, float(np.finfo(np.float32).eps))
    x = input.float() if input.dtype.name in _HALF else input
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    result = x.mul(x.pow(2).mean(dims, keepdim=True).add(eps).rsqrt())
    if weight is not None:
        result = result.mul(weight)
    return result.type_as(input)


@op("rms_norm", namespace="nn.functional", autocast=False)
def rms_norm_f(input: Tensor, normalized_shape, weight: Tensor | None = None,
               eps: float | None = None) -> Tensor:
    """F.rms_norm(input, normalized_shape, weight=None, eps=None)."""
    return rms_norm(input, normalized_shape, weight, eps)


# ------------------------------------------------------------------ legacy CrossMapLRN2d
class CrossMapLRN2d(ArrayFunction):
    """nn.CrossMapLRN2d's function (PyTorch's legacy Lua-torch port, kept as is): the running
    channel-window sums of x^2 and their hand-written backward, on (N, C, H, W) input.

    The window of channel c is [max(0, c - pre_pad + 1), c + pre_pad - 1] except that PyTorch
    only starts dropping channels after c = pre_pad (`if c > pre_pad`), and the backward is
    its own formula rather than the exact derivative: both are copied, so values and
    gradients equal PyTorch's.
    """

    _array_backward = False   # PyTorch's node: a Python Function's "CrossMapLRN2dBackward"

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        a = compute_array(x._data)
        c = a.shape[1]
        sq = a * a
        pre_pad = int((size - 1) / 2 + 1)
        scale = xp_of(a).zeros_like(a)
        scale[:, 0] = sq[:, :min(pre_pad, c)].sum(axis=1)
        for ch in range(1, c):
            scale[:, ch] = scale[:, ch - 1]
            if ch < c - pre_pad + 1:
                scale[:, ch] += sq[:, ch + pre_pad - 1]
            if ch > pre_pad:
                scale[:, ch] -= sq[:, ch - pre_pad]
        scale = scale * (alpha / size) + k
        out = scale ** -beta * a
        ctx.saved = (a, out, scale, size, alpha, beta, x._data.dtype)
        return _wrap(out.astype(x._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        if is_grad_enabled():   # create_graph=True: PyTorch's backward uses out= ops
            raise RuntimeError("mul(): functions with out=... arguments don't support "
                               "automatic differentiation, but one of the arguments requires "
                               "grad.")
        a, out, scale, size, alpha, beta, dtype = ctx.saved
        g = compute_array(g._data if isinstance(g, Tensor) else g)
        xp = xp_of(a)
        n, c = a.shape[:2]
        grad = scale ** -beta * g
        padded = xp.zeros((n, c + size - 1) + a.shape[2:], a.dtype)
        inverse_pre_pad = int(size - (size - 1) / 2)
        padded[:, inverse_pre_pad:inverse_pre_pad + c] = g * out / scale
        accum = padded[:, :size - 1].sum(axis=1)
        cache = 2 * alpha * beta / size
        for ch in range(c):
            accum = accum + padded[:, ch + size - 1]
            grad[:, ch] -= cache * a[:, ch] * accum
            accum = accum - padded[:, ch]
        return _wrap(grad.astype(dtype, copy=False)), None, None, None, None


def cross_map_lrn2d(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                    k: float = 1) -> Tensor:
    """The forward of nn.CrossMapLRN2d (4-D input only, as PyTorch)."""
    if input.dim() != 4:
        raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D "
                         f"instead.")
    return CrossMapLRN2d.apply(input, int(size), alpha, beta, k)
