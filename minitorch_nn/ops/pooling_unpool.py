"""max_unpool1d/2d/3d: the partial inverse of max pooling; each value goes to the position its
index names in a zero output plane (indices as max_pool*d(return_indices=True) gives them).

Every index is validated before anything is written (PyTorch's "Found an invalid max index"
RuntimeError, never an out-of-bounds write); a position named twice keeps the later value, as
PyTorch's serial CPU loop does. The gradient gathers the output's gradient at the indices
(MaxUnpool2DBackward0 / MaxUnpool3DBackward0). 1-D is 2-D of a width-1 image, as in PyTorch.
Registered by pooling3d.py (its family module), which imports this file.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import type_name
from ._util import xp_of
from .registry import op


class _MaxUnpool(ArrayFunction):
    @staticmethod
    def forward(ctx, x, idx, sizes):
        arr, index = x._data, idx._data
        xp = xp_of(arr)
        nc = arr.shape[0] * arr.shape[1]
        plane = int(np.prod(sizes, dtype=np.int64))
        flat = index.reshape(nc, -1)
        out = xp.zeros((nc, plane), arr.dtype)
        rows = xp.broadcast_to(xp.arange(nc).reshape(-1, 1), flat.shape)
        out[rows.reshape(-1), flat.reshape(-1)] = arr.reshape(-1)
        ctx.flat, ctx.in_shape = flat, arr.shape
        return _wrap(out.reshape(tuple(arr.shape[:2]) + tuple(sizes)))

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        planes = g.reshape(ctx.flat.shape[0], -1)
        gx = xp.take_along_axis(planes, ctx.flat, axis=1) if planes.size else \
            xp.zeros(ctx.flat.shape, g.dtype)
        return gx.reshape(ctx.in_shape), None, None

    @staticmethod
    def grad_formula(ctx, g):
        """backward's gather in Tensor ops (PyTorch's: its derivative is a scatter-add)."""
        planes = g.reshape(ctx.flat.shape[0], -1)
        if not planes.numel():
            return _wrap(xp_of(g._data).zeros(ctx.in_shape, g._data.dtype)), None, None
        return planes.gather(1, _wrap(ctx.flat)).reshape(ctx.in_shape), None, None


class MaxUnpool2D(_MaxUnpool):
    node_name = "MaxUnpool2DBackward0"


class MaxUnpool3D(_MaxUnpool):
    node_name = "MaxUnpool3DBackward0"


def _ntuple(value, n: int) -> tuple:
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    values = tuple(int(v) for v in value)
    return values * n if len(values) == 1 else values


def _output_size(input: Tensor, k, s, p, output_size) -> list:
    """PyTorch's _unpool_output_size: the default size, or output_size checked against it."""
    n = len(k)
    default = [(input.shape[input.ndim - n + d] - 1) * s[d] + k[d] - 2 * p[d] for d in range(n)]
    if output_size is None:
        ret = default
    else:
        if len(output_size) == n + 2:
            output_size = output_size[2:]
        if len(output_size) != n:
            raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} "
                             f"elements, but it has a length of '{len(output_size)}'")
        for d in range(n):
            low, high = default[d] - s[d], default[d] + s[d]
            if not low < output_size[d] < high:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be '
                                 f'between {low} and {high})')
        ret = output_size
    for d in range(n):
        if ret[d] < 0:
            raise ValueError(f"max_unpooling: output_size must contain non-negative spatial "
                             f"dimensions, but got output_size[{d}]={ret[d]}")
    return [int(v) for v in ret]


def _unpool(input: Tensor, indices: Tensor, sizes, n: int, function, stride=None):
    """Checks in PyTorch's order, then the scatter; `n` spatial dims (2 or 3)."""
    name = f"max_unpooling{n}d"
    if indices.dtype.name != "int64":
        raise RuntimeError("elements in indices should be type int64" +
                           (f" but got: {type_name(indices)}" if n == 2 else ""))
    if input.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"Input to {name} should be a {n + 1}d or {n + 2}d Tensor, but got "
                           f"a tensor with {input.ndim} dimensions.")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    if stride is not None and min(stride) <= 0:
        raise RuntimeError(f"strides should be greater than zero, but got stride: "
                           f"{list(stride)}")
    for dim in range(1, input.ndim):
        if input.shape[dim] == 0:
            raise RuntimeError(f"{name}_forward_out_cpu(): Expected input to have non-zero "
                               f"size for non-batch dimensions, but got {list(input.shape)} "
                               f"with dimension {dim} being empty.")
    if not input.is_floating_point():
        raise NotImplementedError(f'"max_unpool{n}d" not implemented for '
                                  f"'{type_name(input)}'")
    _validate(indices, sizes)
    unbatched = input.ndim == n + 1
    x, idx = (input.unsqueeze(0), indices.unsqueeze(0)) if unbatched else (input, indices)
    out = function.apply(x, idx, tuple(sizes))
    return out.squeeze(0) if unbatched else out


def _validate(indices: Tensor, sizes) -> None:
    """PyTorch's error for the first index outside the output plane."""
    plane = int(np.prod(sizes, dtype=np.int64))
    idx = indices._data
    xp = xp_of(idx)
    bad = (idx < 0) | (idx >= plane)
    if idx.size and bool(bad.any()):
        first = int(idx.reshape(-1)[int(xp.argmax(bad.reshape(-1)))])
        raise RuntimeError(f"Found an invalid max index: {first} (output volumes are of size "
                           f"{'x'.join(map(str, sizes))})")


@op("max_unpool1d", namespace="nn.functional")
def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Place each value of (N, C, L) or (C, L) input at its index in a zero length-L' row."""
    k = _ntuple(kernel_size, 1)
    s = _ntuple(stride, 1) if stride is not None else k
    size = _output_size(input, k, s, _ntuple(padding, 1), output_size)
    return _unpool(input.unsqueeze(-1), indices.unsqueeze(-1), size + [1], 2,
                   MaxUnpool2D).squeeze(-1)


@op("max_unpool2d", namespace="nn.functional")
def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Place each value of (N, C, H, W) or (C, H, W) input at its flat index h*W' + w."""
    k = _ntuple(kernel_size, 2)
    s = _ntuple(stride, 2) if stride is not None else k
    size = _output_size(input, k, s, _ntuple(padding, 2), output_size)
    return _unpool(input, indices, size, 2, MaxUnpool2D)


@op("max_unpool3d", namespace="nn.functional")
def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """Place each value of (N, C, D, H, W) or (C, D, H, W) input at its flat index."""
    k = _ntuple(kernel_size, 3)
    s = _ntuple(stride, 3) if stride is not None else k
    size = _output_size(input, k, s, _ntuple(padding, 3), output_size)
    return _unpool(input, indices, size, 3, MaxUnpool3D, stride=s)
