"""Sliding blocks: F.unfold (im2col) and F.fold (col2im), each the other's gradient.

unfold: (N, C, H, W) -> (N, C*kh*kw, L), column l holding the block at output position l
(row-major over the oh x ow grid of block positions), rows ordered (c, i, j) as PyTorch's;
fold sums such columns back into an (N, C, H, W) image (overlapping blocks add up).
Block position (p, q) covers rows p*sh - ph + i*dh, cols q*sw - pw + j*dw.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import type_name
from ._util import check_tensor, xp_of
from .registry import op


def _blocks(size: int, k: int, d: int, p: int, s: int) -> int:
    return (size + 2 * p - (d * (k - 1) + 1)) // s + 1


def _im2col(a, geom):
    """(N, C, H, W) -> (N, C*kh*kw, oh*ow)."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw), (oh, ow) = geom
    xp = xp_of(a)
    n, c, h, w = a.shape
    padded = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), a.dtype)
    padded[:, :, ph:ph + h, pw:pw + w] = a
    cols = xp.empty((n, c, kh, kw, oh, ow), a.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = padded[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                                      j * dw:j * dw + sw * (ow - 1) + 1:sw]
    return cols.reshape(n, c * kh * kw, oh * ow)


def _col2im(cols, geom, out_hw):
    """(N, C*kh*kw, oh*ow) -> (N, C, H, W): the transpose of `_im2col` (overlaps summed)."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw), (oh, ow) = geom
    xp = xp_of(cols)
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    h, w = out_hw
    blocks = cols.reshape(n, c, kh, kw, oh, ow)
    padded = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            padded[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                   j * dw:j * dw + sw * (ow - 1) + 1:sw] += blocks[:, :, i, j]
    return xp.ascontiguousarray(padded[:, :, ph:ph + h, pw:pw + w])


class Im2Col(ArrayFunction):
    """im2col of (N, C, H, W), or of (C, H, W) as a batch of one (one node either way)."""

    @staticmethod
    def forward(ctx, x, geom):
        a = x._data
        ctx.meta = (geom, a.shape)
        cols = _im2col(a if a.ndim == 4 else a[None], geom)
        return _wrap(cols if a.ndim == 4 else cols[0])

    @staticmethod
    def backward(ctx, g):
        geom, shape = ctx.meta
        gx = _col2im(g if len(shape) == 4 else g[None], geom, shape[-2:])
        return gx.reshape(shape), None

    @staticmethod
    def grad_formula(ctx, g):   # linear: the adjoint is col2im (and its adjoint im2col)
        geom, shape = ctx.meta
        return Col2Im.apply(g, geom, tuple(shape[-2:])), None


class Col2Im(ArrayFunction):
    """col2im of (N, C*kh*kw, L), or of (C*kh*kw, L) as a batch of one."""

    @staticmethod
    def forward(ctx, x, geom, out_hw):
        a = x._data
        ctx.meta = (geom, a.shape)
        img = _col2im(a if a.ndim == 3 else a[None], geom, out_hw)
        return _wrap(img if a.ndim == 3 else img[0])

    @staticmethod
    def backward(ctx, g):
        geom, shape = ctx.meta
        return _im2col(g if len(shape) == 3 else g[None], geom).reshape(shape), None, None

    @staticmethod
    def grad_formula(ctx, g):
        geom, _ = ctx.meta
        return Im2Col.apply(g, geom), None, None


def _pair(value, name: str) -> tuple:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * 2
    if isinstance(value, (tuple, list)):
        values = tuple(int(v) for v in value)
        if len(values) != 2:
            raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(values)}")
        return values
    raise TypeError(f"{name} must be an int or a tuple of two ints, not {type(value).__name__}")


def _check_params(kernel_size, dilation, padding, stride):
    k, d = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    p, s = _pair(padding, "padding"), _pair(stride, "stride")
    if min(k) <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: "
                           f"{k[0]} kernel_width: {k[1]}")
    if min(s) <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {s[0]} "
                           f"stride_width: {s[1]}")
    if min(d) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: "
                           f"{d[0]} dilation_width: {d[1]}")
    if min(p) < 0:
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} "
                           f"pad_width: {p[1]}")
    return k, d, p, s


def _dtype_check(input: Tensor, kernel: str) -> None:
    if not (input.is_floating_point() or input.is_complex() or str(input.dtype) == "torch.bool"):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(input)}\'')


@op("unfold", namespace="nn.functional")
def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extract sliding kernel_size blocks of (N, C, H, W) input as columns (im2col):
    (N, C*kh*kw, L), L the number of block positions."""
    check_tensor(input, "input", "unfold")
    k, d, p, s = _check_params(kernel_size, dilation, padding, stride)
    if input.ndim < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-max(input.ndim, 1)}, {max(input.ndim, 1) - 1}], but got "
                         f"{input.ndim})")
    if input.ndim > 4 or any(v == 0 for v in input.shape[1:]):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                           f"and other non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    _dtype_check(input, "im2col_out_cpu")
    hw = input.shape[-2:]
    out = tuple(_blocks(hw[i], k[i], d[i], p[i], s[i]) for i in range(2))
    if min(out) < 1:
        raise RuntimeError(f"Given input with spatial size {tuple(hw)}, kernel_size={k}, "
                           f"dilation={d}, padding={p}, calculated shape of the array of "
                           f"sliding blocks as {out}, but its components must be at least one.")
    return Im2Col.apply(input, (k, d, p, s, out))


@op("fold", namespace="nn.functional")
def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum columns of sliding blocks (N, C*kh*kw, L) into an (N, C, *output_size) image
    (col2im; overlapping positions add up): the adjoint of unfold."""
    check_tensor(input, "input", "fold")
    hw = _pair(output_size, "output_size")
    k, d, p, s = _check_params(kernel_size, dilation, padding, stride)
    if input.ndim not in (2, 3) or any(v == 0 for v in input.shape[-2:]):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           f"batch size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    _dtype_check(input, "col2im_out_cpu")
    rows, length = input.shape[-2], input.shape[-1]
    if rows % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size, but got input.size(1)={rows} and "
                           f"kernel_size={k}.")
    out = tuple(_blocks(hw[i], k[i], d[i], p[i], s[i]) for i in range(2))
    if out[0] * out[1] != length or min(out) < 1:
        raise RuntimeError(f"Given output_size={hw}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, stride={s}, expected size of input's dimension 2 to "
                           f"match the calculated number of sliding blocks {out[0]} * {out[1]} "
                           f"= {out[0] * out[1]}, but got input.size(2)={length}.")
    return Col2Im.apply(input, (k, d, p, s, out), hw)
from . import conv_tbc  # noqa: F401
from . import linear_cross_entropy  # noqa: F401
