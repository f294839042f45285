"""fractional_max_pool2d/3d (Graham, "Fractional Max-Pooling"): max over kh x kw (kt x kh x kw)
windows whose starts follow a pseudo-random sequence per plane, so that the output has any
size between the input's and a stride-2 pooling's.

The starts are PyTorch's: with one sample u in [0, 1) per (batch, plane, axis) and
alpha = (I - K) / (O - 1), start_i = int((i + u) * alpha) - int(u * alpha) for i < O - 1 and
start_{O-1} = I - K, computed in the input's precision (float32 for float32 and the half types,
float64 for float64). Samples come from `_random_samples` (N, C, 2) — [..., 0] for the width,
[..., 1] for the height; the 3-D op's (N, C, 3) run the other way: time, height, width —
or from torch.rand with the input's dtype (the global generator).
The starts are clipped into [0, I - K] whatever the samples, so no window leaves the input.
Registered by pooling3d.py (its family module), which imports this file.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._nn_util import type_name
from .pooling_windows import WindowMax, Windows, axis_windows
from .registry import op


class FractionalMaxPool2D(WindowMax):
    node_name = "FractionalMaxPool2DBackward0"


class FractionalMaxPool3D(WindowMax):
    node_name = "FractionalMaxPool3DBackward0"


def _starts(samples, in_size: int, out_size: int, pool: int):
    """(planes, out_size) window starts for (planes,) samples (module docstring)."""
    starts = np.zeros(samples.shape + (out_size,), np.int64)
    if out_size > 1:
        dtype = samples.dtype
        alpha = dtype.type(in_size - pool) / dtype.type(out_size - 1)
        i = np.arange(out_size - 1).astype(dtype)
        u = samples[:, None]
        starts[:, :-1] = ((i + u) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)
    if out_size > 0:
        starts[:, -1] = in_size - pool
    return np.clip(starts, 0, max(in_size - pool, 0))


def _tuple(value, name: str, nd: int):
    """An int or a tuple of nd ints (1 repeats) for fractional_max_pool{nd}d's `name`."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * nd
    values = tuple(value)
    if len(values) == 1:
        values = values * nd
    if len(values) != nd:
        count = "Ints" if nd == 2 else "three Ints"
        raise RuntimeError(f"fractional_max_pool{nd}d: {name} must either be a single Int or "
                           f"tuple of {count}")
    return values


def _pair(value, name: str):
    return _tuple(value, name, 2)


def _check_samples(samples: Tensor, x: Tensor, nd: int = 2) -> None:
    if samples.dtype is not x.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.ndim}")
    if samples.shape[0] < x.shape[0]:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != x.shape[1]:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got "
                           f"{samples.shape[2]}.")


def _output_size(input: Tensor, output_size, output_ratio, nd: int = 2):
    if output_size is None and output_ratio is None:
        raise ValueError(f"fractional_max_pool{nd}d requires specifying either an output_size "
                         f"or an output_ratio")
    if output_size is None:
        if nd == 2:
            if len(output_ratio) > 2:   # PyTorch calls len(): a float ratio is a TypeError
                raise ValueError("fractional_max_pool2d requires output_ratio to either be a "
                                 "single Int or tuple of Ints.")
            ratio = _pair(output_ratio, "output_ratio")
        else:   # PyTorch's _triple, then ratio[0..2]: a shorter tuple is an IndexError
            ratio = tuple(output_ratio) if isinstance(output_ratio, (tuple, list)) else \
                (output_ratio,) * 3
            if len(ratio) < 3:
                raise IndexError("tuple index out of range")
        output_size = [int(input.shape[d - nd] * ratio[d]) for d in range(nd)]
    return output_size


_AXES = ("time", "height", "width")


def _check_sizes(input: Tensor, kernel, out, nd: int) -> None:
    """Rank, non-empty planes and pool-vs-input size, with PyTorch's messages (the 3-D check
    is strict: out + k - 1 < size; the 2-D one allows equality)."""
    where = "fractional_max_pool2d()" if nd == 2 else "fractional_max_pool3d_out()"
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{where}: Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"{list(input.shape)}")
    for dim in range(1, input.ndim):
        if input.shape[dim] == 0:
            raise RuntimeError(f"{where}: Expected input to have non-zero size for non-batch "
                               f"dimensions, but got{list(input.shape)} with dimension {dim} "
                               f"being empty.")
    for name, o, k, size in zip(_AXES[3 - nd:], out, kernel, input.shape[-nd:]):
        if o + k - 1 > size - (nd == 3):
            raise RuntimeError(f"{where}: pool {name} {k} too large relative to input "
                               f"{name} {size}")


def _check_nonnegative(x: Tensor, out) -> None:
    if min(out) < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: "
                           f"{list(x.shape[:2]) + list(out)}")


def _pool(input: Tensor, kernel_size, output_size, samples, nd: int = 2):
    """PyTorch's checks in its order, then the max over the fractional windows."""
    kernel = tuple(int(v) for v in _tuple(kernel_size, "kernel_size", nd))
    out = tuple(int(v) for v in _tuple(output_size, "output_size", nd))
    _check_sizes(input, kernel, out, nd)
    x = input.unsqueeze(0) if input.ndim == nd + 1 else input
    if nd == 3:
        _check_nonnegative(x, out)
    _check_samples(samples, x, nd)
    if not x.is_floating_point():
        raise NotImplementedError(f'"fractional_max_pool{nd}d_out_frame" not implemented for '
                                  f"'{type_name(x)}'")
    if nd == 2:
        _check_nonnegative(x, out)
    if min(kernel) <= 0:
        raise RuntimeError(f"fractional_max_pool{nd}d(): kernel_size must be greater than "
                           f"zero, but got {list(kernel)}")
    n, c = x.shape[0], x.shape[1]
    wide = samples.detach().cpu().double() if x.dtype.name == "float64" else \
        samples.detach().cpu().float()
    u = wide.numpy()[:n].reshape(n * c, nd)
    if n == 0:   # an empty batch: one shared (unused) window table, which gathers nothing
        u = np.zeros((1, nd), u.dtype)
    sizes = tuple(input.shape[-nd:])
    column = (1, 0) if nd == 2 else (0, 1, 2)   # samples run (w, h) in 2-D, (t, h, w) in 3-D
    axes = [axis_windows(sizes[d], _starts(u[:, column[d]], sizes[d], out[d], kernel[d]),
                         kernel[d]) for d in range(nd)]
    node = FractionalMaxPool2D if nd == 2 else FractionalMaxPool3D
    return node.apply(input, Windows(sizes, axes))


def _pooled(input: Tensor, kernel_size, output_size, output_ratio, return_indices,
            samples, nd: int):
    output_size = _output_size(input, output_size, output_ratio, nd)
    if samples is None:
        from ..random import rand
        n_batch = 1 if input.ndim == nd + 1 else input.shape[0]
        samples = rand(n_batch, input.shape[-nd - 1], nd, dtype=input.dtype,
                       device=input.device)
    values, indices = _pool(input, kernel_size, output_size, samples, nd)
    return (values, indices) if return_indices else values


@op("fractional_max_pool2d", namespace="nn.functional")
def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    """Max over pseudo-randomly placed kh x kw windows giving an output_size (or
    output_ratio * input size) output; optionally the indices h*W + w."""
    return _pooled(input, kernel_size, output_size, output_ratio, return_indices,
                   _random_samples, 2)


@op("fractional_max_pool2d_with_indices", namespace="nn.functional")
def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples=None):
    """fractional_max_pool2d returning (values, indices) whatever return_indices says."""
    return fractional_max_pool2d(input, kernel_size, output_size, output_ratio, True,
                                 _random_samples)


@op("fractional_max_pool3d", namespace="nn.functional")
def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    """Max over pseudo-randomly placed kt x kh x kw windows of (N, C, T, H, W) or (C, T, H, W)
    input; optionally the indices t*H*W + h*W + w. Samples (N, C, 3) run (t, h, w)."""
    return _pooled(input, kernel_size, output_size, output_ratio, return_indices,
                   _random_samples, 3)


@op("fractional_max_pool3d_with_indices", namespace="nn.functional")
def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples=None):
    """fractional_max_pool3d returning (values, indices) whatever return_indices says."""
    return fractional_max_pool3d(input, kernel_size, output_size, output_ratio, True,
                                 _random_samples)
