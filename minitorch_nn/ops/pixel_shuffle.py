"""Channel/space rearrangements: pixel_shuffle (channels to space), pixel_unshuffle (space
to channels) and channel_shuffle (interleave channel groups), as in PyTorch: results are new
contiguous tensors (not views), any leading batch dims are kept, any dtype is accepted.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._util import check_tensor, xp_of
from .registry import op

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle"]


def _shuffle(a, r: int):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): out[c, h*r+i, w*r+j] = in[c*r*r + i*r + j, h, w]."""
    *lead, c, h, w = a.shape
    oc = c // (r * r)
    b = a.reshape(*lead, oc, r, r, h, w)
    n = len(lead)
    b = b.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return xp_of(a).ascontiguousarray(b).reshape(*lead, oc, h * r, w * r)


def _unshuffle(a, r: int):
    """The inverse of `_shuffle`: (*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    *lead, c, hr, wr = a.shape
    h, w = hr // r, wr // r
    b = a.reshape(*lead, c, h, r, w, r)
    n = len(lead)
    b = b.transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return xp_of(a).ascontiguousarray(b).reshape(*lead, c * r * r, h, w)


def _group_shuffle(a, groups: int):
    """(N, g*k, *) -> (N, k*g, *): channel i*k + j moves to j*g + i."""
    n, c = a.shape[:2]
    rest = a.shape[2:]
    b = a.reshape(n, groups, c // groups, *rest).swapaxes(1, 2)
    return xp_of(a).ascontiguousarray(b).reshape(a.shape)


class PixelShuffle(ArrayFunction):
    @staticmethod
    def forward(ctx, x, r):
        ctx.r = r
        return _wrap(_shuffle(x._data, r))

    @staticmethod
    def backward(ctx, g):
        return _unshuffle(g, ctx.r), None

    @staticmethod
    def grad_formula(ctx, g):   # a permutation: its inverse, every order
        return PixelUnshuffle.apply(g, ctx.r), None


class PixelUnshuffle(ArrayFunction):
    @staticmethod
    def forward(ctx, x, r):
        ctx.r = r
        return _wrap(_unshuffle(x._data, r))

    @staticmethod
    def backward(ctx, g):
        return _shuffle(g, ctx.r), None

    @staticmethod
    def grad_formula(ctx, g):
        return PixelShuffle.apply(g, ctx.r), None


class ChannelShuffle(ArrayFunction):
    @staticmethod
    def forward(ctx, x, groups):
        ctx.groups = groups
        return _wrap(_group_shuffle(x._data, groups))

    @staticmethod
    def backward(ctx, g):   # the inverse permutation: shuffle with C/groups groups
        return _group_shuffle(g, g.shape[1] // ctx.groups), None

    @staticmethod
    def grad_formula(ctx, g):
        return ChannelShuffle.apply(g, g.shape[1] // ctx.groups), None


def _int_arg(value, name: str, fn: str) -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"{fn}(): argument '{name}' (position 2) must be int, not "
                    f"{type(value).__name__}")


def _factor(input: Tensor, value, name: str, fn: str) -> int:
    check_tensor(input, "input", fn)
    r = _int_arg(value, name, fn)
    if input.ndim < 3:
        raise RuntimeError(f"{fn} expects input to have at least 3 dimensions, but got input "
                           f"with {input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"{fn} expects a positive {name}, but got {r}")
    return r


@op("pixel_shuffle", namespace="nn.functional", autocast=False)
@op("pixel_shuffle")
def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r^2, H, W) -> (*, C, H*r, W*r): each group of r^2 channels becomes an r x r
    block of pixels (sub-pixel convolution's upsampling)."""
    r = _factor(input, upscale_factor, "upscale_factor", "pixel_shuffle")
    c = input.shape[-3]
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    return PixelShuffle.apply(input, r)


@op("pixel_unshuffle", namespace="nn.functional", autocast=False)
@op("pixel_unshuffle")
def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r^2, H, W): the inverse of pixel_shuffle."""
    r = _factor(input, downscale_factor, "downscale_factor", "pixel_unshuffle")
    for dim, name in ((-2, "height"), (-1, "width")):
        if input.shape[dim] % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by "
                               f"downscale_factor, but input.size({dim})={input.shape[dim]} "
                               f"is not divisible by {r}")
    return PixelUnshuffle.apply(input, r)


def _check_groups(input: Tensor, groups) -> int:
    check_tensor(input, "input", "channel_shuffle")
    g = _int_arg(groups, "groups", "channel_shuffle")
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. "
                           f"Value of groups:{g}")
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    c = input.shape[1]
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {g} groups.")
    return g


@op("channel_shuffle", namespace="nn.functional", autocast=False)
@op("channel_shuffle")
def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, g*k, *) -> (N, k*g, *): split the channels into `groups` groups and interleave
    them (ShuffleNet), channel i*k + j going to j*g + i."""
    return ChannelShuffle.apply(input, _check_groups(input, groups))


@op("native_channel_shuffle", namespace="nn.functional", autocast=False)
@op("native_channel_shuffle")
def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """channel_shuffle's native kernel (PyTorch records no gradient formula for it: here it
    is differentiable like channel_shuffle)."""
    return ChannelShuffle.apply(input, _check_groups(input, groups))
