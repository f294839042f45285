"""Shape ops that broadcast or rearrange elements: expand / broadcast_to / broadcast_tensors
(views, stride 0 on the expanded dims), repeat / tile / repeat_interleave, flip / roll / rot90
(copies) and take_along_dim (a gather over the broadcast input and indices).

Expand's backward sums the gradient over the expanded dims, repeat's over the copies; flip
and roll's backward flips (rolls) the gradient back. Reshaping and the other views are in
ops/views.py, cat / stack / split in ops/joining.py.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.higher_order import sum_to
from ..tensor import Size, Tensor, _view_of, _wrap, _wrap_dim
from ._reduce_util import _type_name
from .broadcast_error import broadcast_error
from ._util import check_tensor, sum_to_shape, xp_of
from .registry import method_of, op
from .scatter_gather import gather, index_select
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

    @staticmethod
    def grad_formula(ctx, g):
        return sum_to(g, ctx.in_shape), None


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

    @staticmethod
    def grad_formula(ctx, g):
        shape, reps = ctx.meta
        padded = (1,) * (len(reps) - len(shape)) + tuple(shape)
        split = []
        for r, s in zip(reps, padded):
            split += [r, s]
        return g.reshape(split).sum(tuple(range(0, len(split), 2))).reshape(shape), None


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

    @staticmethod
    def grad_formula(ctx, g):
        return (Flip.apply(g, ctx.dims) if ctx.dims else g), None


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

    @staticmethod
    def grad_formula(ctx, g):
        shifts, dims = ctx.args
        back = tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts
        return Roll.apply(g, back, dims), None, None


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


# ------------------------------------------------------------------ repeat_interleave
class RepeatInterleave(ArrayFunction):
    """Each element repeated `r` times along `d`; PyTorch builds it as a reshape of an
    expanded copy (ViewBackward0). Backward sums each run of `r` gradients."""

    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, r, d):
        ctx.meta = (x._data.shape, r, d)
        return _wrap(xp_of(x._data).repeat(x._data, r, axis=d))

    @staticmethod
    def backward(ctx, g):
        shape, r, d = ctx.meta
        runs = g.reshape(shape[:d] + (shape[d], r) + shape[d + 1:])
        return runs.sum(axis=d + 1), None, None

    @staticmethod
    def grad_formula(ctx, g):
        shape, r, d = ctx.meta
        return g.reshape(shape[:d] + (shape[d], r) + shape[d + 1:]).sum(d + 1), None, None


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _repeats_array(repeats: Tensor, output_size):
    """torch.repeat_interleave(repeats): index i repeated repeats[i] times (repeats' dtype)."""
    if repeats.dtype.name not in ("int32", "int64"):
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for "
                                  f"'{_type_name(repeats.dtype)}'")
    r = repeats._data
    if r.ndim != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    xp = xp_of(r)
    if r.size and bool((r < 0).any()):
        raise RuntimeError("repeats can not be negative")
    total = int(r.sum()) if r.size else 0
    if output_size is not None and r.size and int(output_size) != total:
        raise RuntimeError("allocated size does not match required size")
    return xp.repeat(xp.arange(r.size, dtype=r.dtype), r.astype(np.int64))


@op("repeat_interleave")
def repeat_interleave(input: Tensor, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Repeat each element `repeats` times (an int, or a tensor of one count per element)
    along `dim` (of the flattened input when dim is None). With a tensor alone,
    `repeat_interleave(repeats)` gives the index i repeated repeats[i] times.

        >>> torch.repeat_interleave(torch.tensor([1, 2]), 2)
        tensor([1, 1, 2, 2])
    """
    check_tensor(input, "input", "repeat_interleave")
    if repeats is None:
        if dim is not None:
            raise TypeError("repeat_interleave() got an unexpected keyword argument 'dim' "
                            "(the one-argument form takes only `repeats` and `output_size`)")
        return _wrap(_repeats_array(input, output_size))
    if isinstance(repeats, Tensor):
        return _interleave_by_tensor(input, repeats, dim, output_size)
    if not _is_int(repeats):
        raise TypeError(f"repeat_interleave(): argument 'repeats' (position 2) must be Tensor "
                        f"or int, not {type(repeats).__name__}")
    return _interleave_by_int(input, int(repeats), dim, output_size)


@method_of("repeat_interleave", "repeat_interleave")
def _repeat_interleave_method(self: Tensor, repeats, dim=None, *, output_size=None) -> Tensor:
    return repeat_interleave(self, repeats, dim, output_size=output_size)


def _interleave_by_int(x: Tensor, r: int, dim, output_size) -> Tensor:
    d = _wrap_dim(0 if dim is None else dim, x._data.ndim)
    if r < 0:
        raise RuntimeError("Repeats must be non-negative")
    if dim is None:
        x = x.reshape(-1)
    elif x._data.ndim == 0:   # PyTorch unsqueezes at dim + 1, out of range for 0-d input
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got "
                         "1)")
    n = x._data.shape[d] * r
    if output_size is not None and int(output_size) != n:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {n} but got "
                           f"{output_size}")
    return RepeatInterleave.apply(x, r, d)


def _interleave_by_tensor(x: Tensor, repeats: Tensor, dim, output_size) -> Tensor:
    if dim is None:
        x, dim = x.reshape(-1), 0
    elif x._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = _wrap_dim(dim, x._data.ndim)
    size = x._data.shape[d]
    if repeats._data.ndim == 0 or repeats._data.shape == (1,):
        repeats = _wrap(xp_of(repeats._data).broadcast_to(repeats._data.reshape(1), (size,)))
    elif repeats._data.ndim == 1:
        if repeats._data.shape[0] != size:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {repeats._data.shape[0]} and input.size("
                               f"{dim}) = {size}")
    else:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    index = _repeats_array(repeats, output_size)
    return index_select(x, d, _wrap(index.astype(np.int64, copy=False)))


# ------------------------------------------------------------------ rot90
class Rot90(ArrayFunction):
    """Rotation by k * 90 degrees in the plane (d0, d1), from d0 towards d1 (a copy)."""

    @staticmethod
    def forward(ctx, x, k, d0, d1):
        ctx.meta = (k, d0, d1)
        return _wrap(_rot90(x._data, k, d0, d1))

    @staticmethod
    def backward(ctx, g):
        k, d0, d1 = ctx.meta
        return _rot90(g, (4 - k) % 4, d0, d1), None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        k, d0, d1 = ctx.meta
        return Rot90.apply(g, (4 - k) % 4, d0, d1), None, None, None


def _rot90(a, k: int, d0: int, d1: int):
    """PyTorch's layout too: k=1/3 are a transposed view of a flipped copy, k=0/2 contiguous."""
    xp = xp_of(a)
    if k == 1:
        return xp.ascontiguousarray(xp.flip(a, d1)).swapaxes(d0, d1)
    if k == 2:
        return xp.ascontiguousarray(xp.flip(a, (d0, d1)))
    if k == 3:
        return xp.ascontiguousarray(xp.flip(a, d0)).swapaxes(d0, d1)
    return a.copy(order="C")


@op("rot90", methods=("rot90",))
def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees `k` times in the plane of `dims`, from the first dim towards the
    second (negative k: the other way).

        >>> torch.rot90(torch.tensor([[1, 2], [3, 4]])).tolist()
        [[2, 4], [1, 3]]
    """
    check_tensor(input, "input", "rot90")
    if not _is_int(k):
        raise TypeError(f"rot90(): argument 'k' (position 2) must be int, not "
                        f"{type(k).__name__}")
    if not isinstance(dims, (list, tuple)):
        raise TypeError(f"rot90(): argument 'dims' (position 3) must be tuple of ints, not "
                        f"{type(dims).__name__}")
    dims = _int_tuple((dims,), "rot90", "dims")
    ndim = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {ndim}")
    d0, d1 = _wrap_dim(dims[0], ndim), _wrap_dim(dims[1], ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} "
                           f"and dim1 = {dims[1]}")
    return Rot90.apply(input, int(k) % 4, d0, d1)


# ------------------------------------------------------------------ take_along_dim
def _infer_size(a: tuple, b: tuple) -> tuple:
    """PyTorch's infer_size: the broadcast of shapes a and b, with its RuntimeError."""
    ndim = max(len(a), len(b))
    pa = (1,) * (ndim - len(a)) + tuple(a)
    pb = (1,) * (ndim - len(b)) + tuple(b)
    for i in range(ndim - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            raise broadcast_error(a, b, i)
    return tuple(y if x == 1 else x for x, y in zip(pa, pb))


@op("take_along_dim", methods=("take_along_dim",))
def take_along_dim(input: Tensor, indices: Tensor, dim=None) -> Tensor:
    """Values of `input` at `indices` along `dim` (input and indices broadcast against each
    other except along dim), as numpy's take_along_axis; dim=None: of the flattened input.
    Indices out of range raise (no wrap-around of negative indices).

        >>> x = torch.tensor([[10, 30, 20]])
        >>> torch.take_along_dim(x, x.argsort(dim=1), dim=1)
        tensor([[10, 20, 30]])
    """
    check_tensor(input, "input", "take_along_dim")
    check_tensor(indices, "indices", "take_along_dim", 2)
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    ndim = input._data.ndim
    if indices._data.ndim != ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {ndim} dimensions for input, and "
                           f"{indices._data.ndim} dimensions for indices")
    if indices.dtype.name != "int64":
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_type_name(indices.dtype)}")
    d = _wrap_dim(dim, ndim)
    if ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    x_shape, i_shape = list(input._data.shape), list(indices._data.shape)
    index_to = _infer_size(x_shape[:d] + [i_shape[d]] + x_shape[d + 1:], i_shape)
    input_to = _infer_size(i_shape[:d] + [x_shape[d]] + i_shape[d + 1:], x_shape)
    return gather(expand(input, input_to), d, expand(indices, index_to))
