"""Shape ops that broadcast or rearrange elements: expand / broadcast_to / broadcast_tensors
(views, stride 0 on the expanded dims), repeat / tile, flip and roll (copies).

Expand's backward sums the gradient over the expanded dims, repeat's over the copies; flip
and roll's backward flips (rolls) the gradient back. Reshaping and the other views are in
ops/views.py, cat / stack / split in ops/joining.py.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..tensor import Size, Tensor, _view_of, _wrap, _wrap_dim
from ._util import check_tensor, sum_to_shape, xp_of
from .registry import method_of, op
from .views import _dims_arg, _int_tuple


# ------------------------------------------------------------------ broadcast views: expand
class Expand(ArrayFunction):
    """A broadcast view (stride 0 on expanded dims, read-only); backward sums them back."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x._data.shape
        xp = xp_of(x._data)

        def fn(a):
            return xp.broadcast_to(a, shape)
        return _view_of(x, fn(x._data), fn)

    @staticmethod
    def backward(ctx, g):
        return sum_to_shape(g, ctx.in_shape), None


def _expand_shape(x: Tensor, sizes: tuple) -> tuple:
    """The target shape of `x.expand(*sizes)`: -1 keeps a size; PyTorch's errors."""
    shape = x._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand({x.type()}{{{list(shape)}}}, size={list(sizes)}): the "
                           f"number of sizes provided ({len(sizes)}) must be greater or equal "
                           f"to the number of dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            out.append(s)
            continue
        have = shape[i - lead]
        if s == -1:
            s = have
        if have != s and have != 1:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({have}) at non-singleton dimension {i}.  Target sizes: "
                               f"{list(sizes)}.  Tensor sizes: {list(shape)}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(sizes)}")
        out.append(s)
    return tuple(out)


@op("expand", namespace="Tensor", methods=("expand",))
def expand(self: Tensor, *sizes, size=None) -> Tensor:
    """A broadcast view: size-1 dims repeated without copying; -1 keeps a size.

        >>> torch.tensor([[1], [2]]).expand(2, 3)
        tensor([[1, 1, 1],
                [2, 2, 2]])
    """
    sizes = _int_tuple(sizes if size is None else (size,), "expand", "size")
    return Expand.apply(self, _expand_shape(self, sizes))


@op("expand_as", namespace="Tensor", methods=("expand_as",))
def expand_as(self: Tensor, other: Tensor) -> Tensor:
    return expand(self, tuple(other.shape))


@op("broadcast_to", methods=("broadcast_to",))
def broadcast_to(input: Tensor, size) -> Tensor:
    check_tensor(input, "input", "broadcast_to")
    return expand(input, _int_tuple((size,), "broadcast_to", "size"))


@op("broadcast_shapes")
def broadcast_shapes(*shapes) -> Size:
    """The shape that `shapes` broadcast to (RuntimeError if they do not)."""
    out: list = []
    for shape in shapes:
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if len(shape) > len(out):
            out = [1] * (len(shape) - len(out)) + out
        for i, s in enumerate(shape):
            j = len(out) - len(shape) + i
            if out[j] == 1:
                out[j] = s
            elif s != 1 and s != out[j]:
                raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single "
                                   f"shape.  Mismatch is at dim {j}, sizes {out[j]} and {s}")
    return Size(out)


@op("broadcast_tensors")
def broadcast_tensors(*tensors) -> tuple:
    """Every tensor expanded to their common broadcast shape (views)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(expand(t, tuple(shape)) for t in tensors)


# ------------------------------------------------------------------ copies: repeat / flip / roll
class Repeat(ArrayFunction):
    """`x.repeat(*reps)` (numpy's tile); backward sums the gradient over the copies."""

    @staticmethod
    def forward(ctx, x, reps):
        ctx.meta = (x._data.shape, reps)
        return _wrap(xp_of(x._data).tile(x._data, reps))

    @staticmethod
    def backward(ctx, g):
        shape, reps = ctx.meta
        padded = (1,) * (len(reps) - len(shape)) + tuple(shape)
        split = []
        for r, s in zip(reps, padded):
            split += [r, s]
        g = g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return g.reshape(shape), None


@op("repeat", namespace="Tensor", methods=("repeat",))
def repeat(self: Tensor, *sizes, repeats=None) -> Tensor:
    """Tile the tensor `sizes[i]` times along each dim (a copy); len(sizes) >= ndim.

        >>> torch.tensor([1, 2]).repeat(2)
        tensor([1, 2, 1, 2])
    """
    sizes = _int_tuple(sizes if repeats is None else (repeats,), "repeat", "repeats")
    if len(sizes) < self._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    padded = (1,) * (len(sizes) - self._data.ndim) + self._data.shape
    target = [s * r for s, r in zip(padded, sizes)]
    for r in sizes:
        if r < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(target)}:"
                               f" {target}")
    return Repeat.apply(self, sizes)


@op("tile")
def tile(input: Tensor, dims) -> Tensor:
    """`repeat`, with missing leading dims taken as 1: `torch.tile(x, (2,))`."""
    check_tensor(input, "input", "tile")
    dims = _int_tuple((dims,), "tile", "dims")
    dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


@method_of("tile", "tile")
def _tile_method(self: Tensor, *dims) -> Tensor:
    return tile(self, _int_tuple(dims, "tile", "dims"))


class Flip(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        xp = xp_of(x._data)
        return _wrap(xp.flip(x._data, axis=dims).copy() if dims else x._data.copy())

    @staticmethod
    def backward(ctx, g):
        return (xp_of(g).flip(g, axis=ctx.dims) if ctx.dims else g), None


@op("flip", methods=("flip",))
def flip(input: Tensor, *dims, **kwargs) -> Tensor:
    """Reverse the order of elements along `dims` (a copy): `torch.flip(x, (0,))`."""
    check_tensor(input, "input", "flip")
    if "dims" in kwargs:
        dims = (kwargs.pop("dims"),)
    if kwargs:
        raise TypeError(f"flip() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if not dims:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    dims = _int_tuple(dims, "flip", "dims")
    return Flip.apply(input, _dims_arg(dims, input._data.ndim, "flip"))


@op("fliplr", methods=("fliplr",))
def fliplr(input: Tensor) -> Tensor:
    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


@op("flipud", methods=("flipud",))
def flipud(input: Tensor) -> Tensor:
    if input.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


class Roll(ArrayFunction):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.args = (shifts, dims)
        return _wrap(xp_of(x._data).roll(x._data, shifts, axis=dims))

    @staticmethod
    def backward(ctx, g):
        shifts, dims = ctx.args
        back = tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts
        return xp_of(g).roll(g, back, axis=dims), None, None


@op("roll", methods=("roll",))
def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Shift elements circularly along `dims` (all elements, flattened, when dims is None).

        >>> torch.roll(torch.arange(4), 1)
        tensor([3, 0, 1, 2])
    """
    check_tensor(input, "input", "roll")
    shifts = _int_tuple((shifts,), "roll", "shifts") if isinstance(shifts, (list, tuple)) \
        else (int(shifts),)
    if dims is None or (isinstance(dims, (list, tuple)) and len(dims) == 0):
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               "dims:0")
        return Roll.apply(input, shifts[0], None)
    dims = _int_tuple((dims,), "roll", "dims") if isinstance(dims, (list, tuple)) \
        else (int(dims),)
    if len(shifts) == 0:
        raise RuntimeError("`shifts` required")
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    ndim = input._data.ndim
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    dims = tuple(_wrap_dim(d, ndim) for d in dims)
    return Roll.apply(input, shifts, dims)
