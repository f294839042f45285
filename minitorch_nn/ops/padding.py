"""F.pad: constant, reflect, replicate, circular (any mode: negative pads crop, as PyTorch).

`pad` lists (before, after) pairs starting from the last dim, as in PyTorch. Constant padding
copies the input into a filled array (backward slices the gradient back out). The other modes
are gathers: each padded dim gets an index map (e.g. reflect: [2, 1, 0, 1, 2, 3, 2, 1] for size
4 and pads (2, 2)); forward takes along it, backward scatter-adds along it. torch.constant_pad_nd
exists at top level in PyTorch (namespace "torch"), F.pad in "nn.functional" (`@op`,
ops/registry.py).
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._util import xp_of
from .registry import op


def _pairs(pad, ndim: int):
    """[(dim, before, after)] for the dims `pad` covers (last dim first)."""
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{ndim}")
    return [(ndim - 1 - i, pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]


class ConstantPadNd(ArrayFunction):
    @staticmethod
    def forward(ctx, x, pad, value):
        a = x._data
        xp = xp_of(a)
        pairs = _pairs(pad, a.ndim)
        shape = list(a.shape)
        src = [slice(None)] * a.ndim
        dst = [slice(None)] * a.ndim
        for dim, before, after in pairs:
            size = a.shape[dim]
            new = size + before + after
            if new < 0:
                raise RuntimeError(f"The input size {size}, plus negative padding {before} and "
                                   f"{after} resulted in a negative output size, which is "
                                   f"invalid. Check dimension {dim} of your input.")
            shape[dim] = new
            src[dim] = slice(max(-before, 0), size - max(-after, 0))
            dst[dim] = slice(max(before, 0), new - max(after, 0))
        out = xp.full(shape, value, a.dtype)
        out[tuple(dst)] = a[tuple(src)]
        ctx.slices = (a.shape, tuple(src), tuple(dst))
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        shape, src, dst = ctx.slices
        gx = xp_of(g).zeros(shape, g.dtype)
        gx[src] = g[dst]
        return gx, None, None

    @staticmethod
    def grad_formula(ctx, g):
        """Cropping back is constant padding by the negated pads (and the other way round),
        so the gradient is this op again: linear, every order."""
        shape, src, dst = ctx.slices
        pad = []
        for dim in reversed(range(len(shape))):
            before = (dst[dim].start or 0) - (src[dim].start or 0)
            after = (g.shape[dim] - (dst[dim].stop if dst[dim].stop is not None
                                     else g.shape[dim])) - \
                (shape[dim] - (src[dim].stop if src[dim].stop is not None else shape[dim]))
            pad += [-before, -after]
        return ConstantPadNd.apply(g, tuple(pad), 0), None, None


def _index_map(size: int, before: int, after: int, mode: str):
    """Source index of each output position along one dim; negative pads crop, as PyTorch:
    reflect/replicate index the input as if the positive pads were added, then crop;
    circular crops first and wraps the cropped content (PyTorch's _pad_circular)."""
    grow = (max(before, 0), max(after, 0))
    lo, hi = max(-before, 0), size - max(-after, 0)
    if mode == "circular":
        kept = np.arange(size)[lo:hi]
        return np.pad(kept, grow, mode="wrap") if size + before + after > 0 else kept[:0]
    full = np.pad(np.arange(size), grow, mode="reflect" if mode == "reflect" else "edge")
    return full[lo:len(full) - max(-after, 0)]


class IndexPad(ArrayFunction):
    """reflect / replicate / circular padding as a gather along each padded dim."""

    @staticmethod
    def forward(ctx, x, pairs, mode):
        a = x._data
        xp = xp_of(a)
        maps = []
        for dim, before, after in pairs:
            idx = xp.asarray(_index_map(a.shape[dim], before, after, mode))
            maps.append((dim, idx, a.shape[dim]))
            a = xp.take(a, idx, axis=dim)
        ctx.maps = maps
        return _wrap(a)

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        for dim, idx, size in reversed(ctx.maps):
            moved = xp.moveaxis(g, dim, 0)
            out = xp.zeros((size,) + moved.shape[1:], g.dtype)
            xp.add.at(out, idx, moved)
            g = xp.moveaxis(out, 0, dim)
        return g, None, None

    @staticmethod
    def grad_formula(ctx, g):
        """backward's scatter-adds as WindowScatter (its adjoint gather differentiates it)."""
        from .pooling_windows import WindowScatter
        for dim, idx, size in reversed(ctx.maps):
            moved = g.transpose(dim, -1)
            lead = tuple(moved.shape[:-1])
            planes = int(np.prod(lead, dtype=np.int64))
            out = WindowScatter.apply(moved.reshape(planes, moved.shape[-1]),
                                      idx.reshape(1, -1, 1), None, (planes, size))
            g = out.reshape(lead + (size,)).transpose(dim, -1)
        return g, None, None


@op("constant_pad_nd")
def constant_pad_nd(input: Tensor, pad, value: float = 0) -> Tensor:
    """torch.constant_pad_nd: pad (or crop, with negative values) with a constant."""
    return ConstantPadNd.apply(input, tuple(pad), value)


@op("pad", namespace="nn.functional")
def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """F.pad(input, pad, mode='constant', value=None)."""
    if mode == "constant":
        return ConstantPadNd.apply(input, tuple(pad), 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    pairs = _pairs(pad, input.ndim)
    k = len(pairs)
    if k > 3 or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError("Only 2D, 3D, 4D, 5D padding with non-constant padding are "
                                  "supported for now")
    for dim, before, after in pairs:
        size = input.shape[dim]
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError(f"Argument #{4 * k}: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({before}, "
                               f"{after}) at dimension {dim} of input {list(input.shape)}")
        if mode == "circular":
            new = size + before + after
            if before > size or after > size:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if new < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
            # wrapping reads the cropped content: a pad longer than it would wrap it again
            if new and max(before, after) > size - max(-before, 0) - max(-after, 0):
                raise RuntimeError("Padding value causes wrapping around more than once.")
    if mode != "circular":
        if input.dtype.name == "bool":   # PyTorch's reflect/replicate kernels have no Bool
            kernel = "reflection_pad" if mode == "reflect" else "replication_pad"
            raise NotImplementedError(f'"{kernel}{k}d" not implemented for \'Bool\'')
        _check_cropped_size(input, pairs, mode)
    return IndexPad.apply(input, pairs, mode)


def _check_cropped_size(input: Tensor, pairs, mode: str) -> None:
    """PyTorch's reflect/replicate output-size checks for negative (cropping) pads: an error
    when every padded dim comes out empty, or when one comes out negative."""
    dims = [dim for dim, _, _ in reversed(pairs)]                  # D, H, W order
    outs = [input.shape[dim] + b + a for dim, b, a in reversed(pairs)]
    if all(o < 1 for o in outs):
        ins = [input.shape[dim] for dim in dims]
        names = "DHW"[3 - len(dims):]
        if len(dims) == 1:
            given = f"W: {ins[0]}"
        elif len(dims) == 2:
            given = f"H: {ins[0]}, W: {ins[1]}" + (" " if mode == "replicate" else "")
        else:
            given = f"D: {ins[0]} H: {ins[1]}, W: {ins[2]}"
        calc = " ".join(f"{n}: {o}" for n, o in zip(names, outs))
        raise RuntimeError(f"input ({given}) is too small. Calculated output {calc}")
    for dim, o in zip(dims, outs):
        if o < 0:
            shape = list(input.shape)
            for d, b, a in pairs:
                shape[d] += b + a
            raise RuntimeError(f"Trying to create tensor with negative dimension {o}: {shape}")
