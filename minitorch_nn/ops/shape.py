"""Shape ops: views (reshape, permute, expand, slicing ...) and copies (cat, stack, repeat ...).

Where PyTorch returns a VIEW, so do we: the result is built with `_view_of(base, array,
view_fn)`, so it shares the base's storage and version counter, and an in-place op on it
routes gradients through the base (see ops/inplace.py, CopySlices). `view_fn(a)` redoes the
same view on any array `a` of the base's shape and returns a numpy/cupy view of `a`.
Where PyTorch copies (cat, stack, repeat, flip, roll), the result is a fresh array.

Every view op's backward puts the gradient back where the view came from: reshape it, permute
it back, sum it over expanded dims, or write it into zeros through the same `view_fn`.
"""
from __future__ import annotations

import math

import numpy as np

from ..amp.autocast_mode import AUTOCAST as _AMP, autocast_call
from .. import dtypes as _dt
from ..autograd.function import ArrayFunction, _device_mismatch
from ..tensor import Size, Tensor, _view_of, _wrap, _wrap_dim
from ._util import grad_cast, sum_to_shape, xp_of

__all__ = [
    "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose", "swapaxes",
    "swapdims", "permute", "movedim", "moveaxis", "broadcast_to", "broadcast_tensors",
    "broadcast_shapes", "tile", "cat", "concat", "concatenate", "stack", "hstack", "vstack",
    "split", "chunk", "unbind", "narrow", "select", "flip", "fliplr", "flipud", "roll",
    "diagonal", "ravel", "atleast_1d", "atleast_2d", "atleast_3d",
]


# ------------------------------------------------------------------ argument helpers
def _int_tuple(args, fn: str, arg: str) -> tuple:
    """`f(2, 3)`, `f((2, 3))` or `f([2, 3])` as a tuple of Python ints (PyTorch's TypeError)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    out = []
    for i, v in enumerate(args):
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            out.append(int(v))
        elif isinstance(v, Tensor) and v.dtype.kind == 1 and v.numel() == 1:
            out.append(int(v.item()))
        else:
            raise TypeError(f"{fn}(): argument '{arg}' failed to unpack the object at pos "
                            f"{i + 1} with error \"type must be tuple of ints,but got "
                            f"{type(v).__name__}\"")
    return tuple(out)


def _dims_arg(dims, ndim: int, fn: str) -> tuple:
    """An int or a sequence of ints, each wrapped into [0, ndim); duplicates refused."""
    if isinstance(dims, (int, np.integer)):
        dims = (dims,)
    out = tuple(_wrap_dim(d, ndim) for d in dims)
    seen = set()
    for d in out:
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    return out


def _check_tensor(x, fn: str, arg: str = "input") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


# ------------------------------------------------------------------ reshape machinery
def _infer_shape(shape: tuple, numel: int) -> tuple:
    """`shape` with its -1 filled in, checked against `numel` (PyTorch's infer_size)."""
    infer = None
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape "
                               f"{list(shape)}")
        else:
            known *= s
    if infer is None:
        if known != numel:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return shape
    if known == 0:
        if numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} "
                               "because the unspecified dimension size -1 can be any value "
                               "and is ambiguous")
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    if numel % known:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape[:infer] + (numel // known,) + shape[infer + 1:]


def _contiguous_strides(shape: tuple, itemsize: int) -> list:
    strides = [itemsize] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        strides[d] = strides[d + 1] * max(shape[d + 1], 1)
    return strides


def _view_strides(old_shape: tuple, old_strides: tuple, new_shape: tuple, itemsize: int):
    """Strides that view (old_shape, old_strides) as `new_shape`, or None if a copy is needed.

    PyTorch's `computeStride` (itself adapted from numpy's _attempt_nocopy_reshape): walk
    both shapes from the right, chunk by chunk of dims that are contiguous with each other.
    """
    numel = math.prod(old_shape)
    if len(old_shape) == 0 or numel == 0:
        if numel == 0 and tuple(old_shape) == tuple(new_shape):
            return list(old_strides)
        return _contiguous_strides(new_shape, itemsize)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base = old_strides[-1]
    tensor_numel = view_numel = 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        if tensor_d == 0 or (old_shape[tensor_d - 1] != 1 and
                             old_strides[tensor_d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base = old_strides[tensor_d - 1]
                tensor_numel = view_numel = 1
    if view_d != -1:
        return None
    return new_strides


_VIEW_ERROR = ("view size is not compatible with input tensor's size and stride (at least one "
               "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")


def _reshape_view(a, shape: tuple):
    """`a` seen with `shape` WITHOUT copying (RuntimeError when strides do not allow it)."""
    if a.flags.c_contiguous:
        return a.reshape(shape)
    strides = _view_strides(a.shape, a.strides, shape, a.itemsize)
    if strides is None:
        raise RuntimeError(_VIEW_ERROR)
    return xp_of(a).lib.stride_tricks.as_strided(a, shape, tuple(strides))


def _can_view(a, shape: tuple) -> bool:
    return a.flags.c_contiguous or \
        _view_strides(a.shape, a.strides, shape, a.itemsize) is not None


class View(ArrayFunction):
    """A reshape that shares storage (ViewBackward0)."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x._data.shape

        def fn(a):
            return _reshape_view(a, shape)
        return _view_of(x, fn(x._data), fn)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class UnsafeView(ArrayFunction):
    """A reshape that had to copy (PyTorch names its node UnsafeViewBackward0)."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x._data.shape
        return _wrap(xp_of(x._data).ascontiguousarray(x._data).reshape(shape))

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


def _view_dtype(x: Tensor, dtype) -> Tensor:
    """`x.view(torch.int32)`: the same bytes read as another dtype (not differentiable)."""
    npd = _dt.to_dtype(dtype).np
    try:
        arr = x._data.view(npd)
    except ValueError as err:
        raise RuntimeError(f"view(): cannot view a tensor of dtype {x.dtype} as {dtype}: "
                           f"{err}") from None
    return _view_of(x, arr, lambda a: a.view(npd))


def view(self: Tensor, *shape, size=None, dtype=None) -> Tensor:
    """A view with a new shape; never copies (RuntimeError when strides do not allow it).

        >>> x = torch.arange(6).view(2, -1)      # shape (2, 3), same storage
    """
    if dtype is not None or (len(shape) == 1 and isinstance(shape[0], _dt.dtype)):
        return _view_dtype(self, dtype if dtype is not None else shape[0])
    if not shape and size is None:
        raise TypeError("view() received an invalid combination of arguments - got (), but "
                        "expected one of: (torch.dtype dtype) or (tuple of ints size)")
    shape = _int_tuple(shape if size is None else (size,), "view", "size")
    shape = _infer_shape(shape, self._data.size)
    if not _can_view(self._data, shape):
        raise RuntimeError(_VIEW_ERROR)
    return View.apply(self, shape)


def reshape(input: Tensor, *shape, **kwargs) -> Tensor:
    """A tensor with a new shape: a view when the strides allow it, else a copy.

        >>> torch.reshape(torch.arange(6), (3, 2)).shape
        torch.Size([3, 2])
    """
    _check_tensor(input, "reshape")
    if "shape" in kwargs:
        shape = (kwargs.pop("shape"),)
    if kwargs:
        raise TypeError(f"reshape() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if not shape:
        raise TypeError("reshape() missing 1 required positional argument: \"shape\"")
    shape = _infer_shape(_int_tuple(shape, "reshape", "shape"), input._data.size)
    if _can_view(input._data, shape):
        return View.apply(input, shape)
    return UnsafeView.apply(input, shape)


def view_as(self: Tensor, other: Tensor) -> Tensor:
    return view(self, tuple(other.shape))


def reshape_as(self: Tensor, other: Tensor) -> Tensor:
    return reshape(self, tuple(other.shape))


def ravel(input: Tensor) -> Tensor:
    """The elements as a 1-D tensor (a view when possible)."""
    return reshape(input, -1)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims `start_dim..end_dim` into one (a view when possible).

        >>> torch.flatten(torch.zeros(2, 3, 4), 1).shape
        torch.Size([2, 12])
    """
    _check_tensor(input, "flatten")
    ndim = input._data.ndim
    if ndim == 0:
        _wrap_dim(start_dim, 0)
        _wrap_dim(end_dim, 0)
        return reshape(input, 1)
    start, end = _wrap_dim(start_dim, ndim), _wrap_dim(end_dim, ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input
    shape = input._data.shape
    merged = math.prod(shape[start:end + 1])
    return reshape(input, shape[:start] + (merged,) + shape[end + 1:])


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dim `dim` into `sizes` (one of them may be -1); always a view.

        >>> torch.zeros(2, 6).unflatten(1, (2, 3)).shape
        torch.Size([2, 2, 3])
    """
    _check_tensor(input, "unflatten")
    d = _wrap_dim(dim, input._data.ndim)
    sizes = _int_tuple((sizes,), "unflatten", "sizes")
    if len(sizes) == 0:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = input._data.shape[d]
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten: only one dimension can be inferred")
    try:
        sizes = _infer_shape(sizes, n)
    except RuntimeError:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({n}) in the input tensor") from None
    shape = input._data.shape
    return View.apply(input, shape[:d] + sizes + shape[d + 1:])


# ------------------------------------------------------------------ basic-index views
class _IndexView(ArrayFunction):
    """A view given by a numpy basic index (ints, slices, None): `x[idx]`.

    The subclasses only give the node PyTorch's name (SelectBackward0, SliceBackward0, ...).
    Backward writes the gradient into zeros of the input's shape through the same index.
    """

    @staticmethod
    def forward(ctx, x, idx):
        idx = view_index(idx)
        ctx.meta = (x._data.shape, idx)

        def fn(a):
            return a[idx]
        return _view_of(x, x._data[idx], fn)

    @staticmethod
    def backward(ctx, g):
        shape, idx = ctx.meta
        z = xp_of(g).zeros(shape, g.dtype)
        z[idx] = g
        return z, None


class Select(_IndexView):
    pass


class Slice(_IndexView):
    pass


class Alias(_IndexView):
    pass


class Squeeze(_IndexView):
    pass


class Unsqueeze(_IndexView):
    pass


def view_index(idx: tuple) -> tuple:
    """A basic index that always yields a view (numpy gives a scalar for `a[0]` on 1-D)."""
    if any(i is Ellipsis for i in idx):
        return idx
    return idx + (Ellipsis,)


def _select_index(ndim: int, dim: int, index) -> tuple:
    """`index` (an int or a slice) at `dim`, everything else kept: a view index."""
    return (slice(None),) * dim + (index, Ellipsis)


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at `index` along `dim`, with that dim removed (a view): `x.select(0, 1)`."""
    _check_tensor(input, "select")
    shape = input._data.shape
    if len(shape) == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, len(shape))
    index = int(index)
    if not -shape[d] <= index < shape[d]:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(shape)} at dimension {d}")
    return Select.apply(input, _select_index(len(shape), d, index))


def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    """Elements `start .. start+length-1` along `dim` (a view).

        >>> torch.arange(5).narrow(0, 1, 3)
        tensor([1, 2, 3])
    """
    _check_tensor(input, "narrow")
    shape = input._data.shape
    if len(shape) == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, len(shape))
    start, length, size = int(start), int(length), shape[d]
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    return Slice.apply(input, _select_index(len(shape), d, slice(start, start + length)))


def squeeze(input: Tensor, dim=None) -> Tensor:
    """Remove size-1 dims: all of them, or those of `dim` (an int or a tuple) that are size 1."""
    _check_tensor(input, "squeeze")
    shape = input._data.shape
    if dim is None:
        dims = tuple(range(len(shape)))
    else:
        dims = _dims_arg(dim, len(shape), "squeeze")
    idx = tuple(0 if d in dims and shape[d] == 1 else slice(None) for d in range(len(shape)))
    return Squeeze.apply(input, idx)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at `dim` (in [-ndim-1, ndim]); a view."""
    _check_tensor(input, "unsqueeze")
    ndim = input._data.ndim
    d = _wrap_dim(dim, ndim + 1)
    return Unsqueeze.apply(input, (slice(None),) * d + (None,))


# ------------------------------------------------------------------ strided views
class Transpose(ArrayFunction):
    @staticmethod
    def forward(ctx, x, d0, d1):
        ctx.dims = (d0, d1)

        def fn(a):
            return a.swapaxes(d0, d1)
        return _view_of(x, fn(x._data), fn)

    @staticmethod
    def backward(ctx, g):
        return g.swapaxes(*ctx.dims), None, None


class Permute(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.inverse = tuple(int(i) for i in np.argsort(dims))

        def fn(a):
            return a.transpose(dims)
        return _view_of(x, fn(x._data), fn)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(ctx.inverse), None


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims (a view).

        >>> torch.zeros(2, 3).transpose(0, 1).shape
        torch.Size([3, 2])
    """
    _check_tensor(input, "transpose")
    ndim = input._data.ndim
    d0, d1 = _wrap_dim(dim0, ndim), _wrap_dim(dim1, ndim)
    if ndim == 0:
        return Alias.apply(input, ())
    return Transpose.apply(input, d0, d1)


swapaxes = swapdims = transpose


def permute(input: Tensor, *dims, **kwargs) -> Tensor:
    """Reorder all dims: `x.permute(2, 0, 1)` or `torch.permute(x, (2, 0, 1))` (a view)."""
    _check_tensor(input, "permute")
    if "dims" in kwargs:
        dims = (kwargs.pop("dims"),)
    if kwargs:
        raise TypeError(f"permute() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if not dims:
        raise TypeError('permute() missing 1 required positional arguments: "dims"')
    dims = _int_tuple(dims, "permute", "dims")
    ndim = input._data.ndim
    if len(dims) != ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {ndim} is not equal to len(dims) = {len(dims)}")
    dims = tuple(_wrap_dim(d, ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims)


def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dims `source` to positions `destination` (ints or equal-length sequences)."""
    _check_tensor(input, "movedim")
    single = (int, np.integer)
    if isinstance(source, single) != isinstance(destination, single):
        raise TypeError(f"movedim() received an invalid combination of arguments - got "
                        f"({type(source).__name__}, {type(destination).__name__}), but "
                        "expected one of: (Tensor input, tuple of ints source, tuple of ints "
                        "destination) or (Tensor input, int source, int destination)")
    src = (source,) if isinstance(source, single) else tuple(source)
    dst = (destination,) if isinstance(destination, single) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    ndim = input._data.ndim
    src = tuple(_wrap_dim(d, ndim) for d in src)
    dst = tuple(_wrap_dim(d, ndim) for d in dst)
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(source)})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(destination)})")
    order = [None] * ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(ndim) if d not in src)
    order = tuple(o if o is not None else next(rest) for o in order)
    if ndim == 0:
        return Alias.apply(input, ())
    return Permute.apply(input, order)


moveaxis = movedim


class Diagonal(ArrayFunction):
    """The diagonal of two dims, as a writable strided view appended as the last dim."""

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.in_shape = x._data.shape

        def fn(a):
            return _diagonal_view(a, offset, d1, d2)
        ctx.fn = fn
        return _view_of(x, fn(x._data), fn)

    @staticmethod
    def backward(ctx, g):
        z = xp_of(g).zeros(ctx.in_shape, g.dtype)
        ctx.fn(z)[...] = g
        return z, None, None, None


def _diagonal_view(a, offset: int, d1: int, d2: int):
    """A writable view of the diagonal: start at the offset element, step along both dims."""
    start = [slice(None)] * a.ndim
    if offset >= 0:
        start[d2] = slice(offset, None)
    else:
        start[d1] = slice(-offset, None)
    b = a[tuple(start)]
    n = min(b.shape[d1], b.shape[d2])
    keep = [d for d in range(a.ndim) if d not in (d1, d2)]
    shape = tuple(b.shape[d] for d in keep) + (n,)
    strides = tuple(b.strides[d] for d in keep) + (b.strides[d1] + b.strides[d2],)
    return xp_of(a).lib.stride_tricks.as_strided(b, shape, strides)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of dims (dim1, dim2), shifted by `offset` (a view).

        >>> torch.arange(9).view(3, 3).diagonal()
        tensor([0, 4, 8])
    """
    _check_tensor(input, "diagonal")
    ndim = input._data.ndim
    d1, d2 = _wrap_dim(dim1, ndim), _wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, int(offset), d1, d2)


# ------------------------------------------------------------------ expand
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


def expand(self: Tensor, *sizes, size=None) -> Tensor:
    """A broadcast view: size-1 dims repeated without copying; -1 keeps a size.

        >>> torch.tensor([[1], [2]]).expand(2, 3)
        tensor([[1, 1, 1],
                [2, 2, 2]])
    """
    sizes = _int_tuple(sizes if size is None else (size,), "expand", "size")
    return Expand.apply(self, _expand_shape(self, sizes))


def expand_as(self: Tensor, other: Tensor) -> Tensor:
    return expand(self, tuple(other.shape))


def broadcast_to(input: Tensor, size) -> Tensor:
    _check_tensor(input, "broadcast_to")
    return expand(input, _int_tuple((size,), "broadcast_to", "size"))


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


def broadcast_tensors(*tensors) -> tuple:
    """Every tensor expanded to their common broadcast shape (views)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(expand(t, tuple(shape)) for t in tensors)


# ------------------------------------------------------------------ split / chunk / unbind
class Split(ArrayFunction):
    """Pieces of `x` along `dim` (each a view); backward concatenates the pieces' grads."""

    @staticmethod
    def forward(ctx, x, dim, sizes):
        ctx.dim = dim
        outs = []
        start = 0
        ndim = x._data.ndim
        for n in sizes:
            idx = _select_index(ndim, dim, slice(start, start + n))
            outs.append(_view_of(x, x._data[idx], _indexer(idx)))
            start += n
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        return xp_of(grads[0]).concatenate(grads, axis=ctx.dim), None, None


class Unbind(ArrayFunction):
    """Every slice along `dim` (views); backward stacks their grads."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        ndim = x._data.ndim
        outs = []
        for i in range(x._data.shape[dim]):
            idx = _select_index(ndim, dim, i)
            outs.append(_view_of(x, x._data[idx], _indexer(idx)))
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        return xp_of(grads[0]).stack(grads, axis=ctx.dim), None


def _indexer(idx):
    def fn(a):
        return a[idx]
    return fn


def _split_sizes(size: int, split_size: int) -> list:
    if split_size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size="
                           f"{split_size}")
    if split_size == 0:
        if size != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {size}")
        return [0]
    n = max((size + split_size - 1) // split_size, 1)
    return [split_size] * (n - 1) + [size - split_size * (n - 1)]


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Pieces of `split_size` along `dim` (the last may be smaller) or of the given sizes.

        >>> [t.tolist() for t in torch.arange(5).split(2)]
        [[0, 1], [2, 3], [4]]
    """
    _check_tensor(tensor, "split", "tensor")
    if tensor._data.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, tensor._data.ndim)
    size = tensor._data.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = list(_int_tuple((split_size_or_sections,), "split", "split_size"))
        if sum(sizes) != size or any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {d}), but got split_sizes="
                               f"{sizes}")
    else:
        sizes = _split_sizes(size, int(split_size_or_sections))
    return Split.apply(tensor, d, tuple(sizes))


def split_with_sizes(self: Tensor, split_sizes, dim: int = 0) -> tuple:
    return split(self, list(split_sizes), dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """At most `chunks` pieces of equal size along `dim` (the last may be smaller)."""
    _check_tensor(input, "chunk")
    if input._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    split_size = (size + chunks - 1) // chunks
    if split_size == 0 and size == 0:
        return Split.apply(input, d, (0,) * chunks)
    return Split.apply(input, d, tuple(_split_sizes(size, split_size)))


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """Every slice along `dim`, with that dim removed (views)."""
    _check_tensor(input, "unbind")
    if input._data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    return Unbind.apply(input, _wrap_dim(dim, input._data.ndim))


# ------------------------------------------------------------------ copies: cat / stack
def _tensor_list(tensors, fn: str) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return list(tensors)


def _promoted(tensors) -> _dt.dtype:
    out = tensors[0].dtype
    for t in tensors[1:]:
        out = _dt.promote_types(out, t.dtype)
    return out


class Cat(ArrayFunction):
    """Concatenation along `dim`; backward slices the gradient back into the inputs."""

    @staticmethod
    def forward(ctx, dim, npd, *tensors):
        arrays = [t._data for t in tensors]
        ctx.meta = (dim, [(a.shape, a.dtype) for a in arrays])
        xp = xp_of(arrays[0])
        kept = [a.astype(npd, copy=False) for a in arrays if not _legacy_empty(a)]
        if not kept:
            return _wrap(xp.zeros((0,), npd))
        return _wrap(xp.concatenate(kept, axis=dim))

    @staticmethod
    def backward(ctx, g):
        dim, metas = ctx.meta
        grads, start = [], 0
        xp = xp_of(g)
        for shape, dtype in metas:
            if len(shape) == 1 and shape[0] == 0:
                grads.append(xp.zeros(shape, dtype))
                continue
            n = shape[dim]
            piece = g[_select_index(g.ndim, dim, slice(start, start + n))]
            grads.append(piece.astype(dtype, copy=False))
            start += n
        return (None, None, *grads)


def _legacy_empty(a) -> bool:
    """PyTorch's cat skips 1-D empty tensors (shape (0,)) whatever the others' shapes."""
    return a.ndim == 1 and a.shape[0] == 0


def cat(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join tensors along an existing dim; dtypes promote (float32 + float64 -> float64).

        >>> torch.cat([torch.zeros(2, 3), torch.ones(2, 1)], dim=-1).shape
        torch.Size([2, 4])
    """
    if _AMP.on and _AMP.active():
        return autocast_call("cat", cat, tensors, dim, out=out)
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    kept = [(i, t) for i, t in enumerate(tensors) if not _legacy_empty(t._data)]
    ref = kept[0][1] if kept else tensors[0]
    ndim = ref._data.ndim
    d = _wrap_dim(dim, ndim)
    for i, t in kept[1:]:
        if t._data.ndim != ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ndim} and "
                               f"{t._data.ndim}")
        for k in range(ndim):
            if k != d and t._data.shape[k] != ref._data.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {ref._data.shape[k]} but got size "
                                   f"{t._data.shape[k]} for tensor number {i} in the list.")
    _same_device(tensors)
    result = Cat.apply(d, _promoted(tensors).np, *tensors)
    return _into_out(result, out)


concat = cat


def concatenate(tensors, axis: int = 0, out=None) -> Tensor:
    return cat(tensors, axis, out=out)


def _same_device(tensors) -> None:
    kind = type(tensors[0]._data)
    for t in tensors[1:]:
        if type(t._data) is not kind:
            _device_mismatch(tensors[0], t)


def _into_out(result: Tensor, out) -> Tensor:
    """Honour `out=`: copy the result into `out` (resized like PyTorch does when empty)."""
    if out is None:
        return result
    if out._data.shape != result._data.shape:
        out._data = xp_of(out._data).empty(result._data.shape, out._data.dtype)
    out._data[...] = result._data
    out._version.value += 1
    return out


class Stack(ArrayFunction):
    """Join equal-shape tensors along a new dim; backward takes each slice of the gradient."""

    @staticmethod
    def forward(ctx, dim, npd, *tensors):
        arrays = [t._data.astype(npd, copy=False) for t in tensors]
        ctx.meta = (dim, [t._data.dtype for t in tensors])
        return _wrap(xp_of(arrays[0]).stack(arrays, axis=dim))

    @staticmethod
    def backward(ctx, g):
        dim, dtypes = ctx.meta
        grads = [g[_select_index(g.ndim, dim, i)].astype(dt, copy=False)
                 for i, dt in enumerate(dtypes)]
        return (None, None, *grads)


def stack(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join equal-shape tensors along a new dim `dim` (in [-ndim-1, ndim]).

        >>> torch.stack([torch.zeros(3), torch.ones(3)], dim=1).shape
        torch.Size([3, 2])
    """
    if _AMP.on and _AMP.active():
        return autocast_call("stack", stack, tensors, dim, out=out)
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(t._data.shape)} at entry "
                               f"{i}")
    d = _wrap_dim(dim, len(shape) + 1)
    _same_device(tensors)
    return _into_out(Stack.apply(d, _promoted(tensors).np, *tensors), out)


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (0-d becomes shape (1,))."""
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    return _atleast(tensors, 2)


def atleast_3d(*tensors):
    return _atleast(tensors, 3)


def _atleast(tensors, n: int):
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    out = []
    for t in tensors:
        shape = t._data.shape
        if len(shape) < n:
            if n == 3 and len(shape) == 2:
                shape = shape + (1,)
            elif n == 3 and len(shape) == 1:
                shape = (1,) + shape + (1,)
            else:
                shape = (1,) * (n - len(shape)) + shape
            t = reshape(t, shape)
        out.append(t)
    return out[0] if single else tuple(out)


def hstack(tensors, *, out=None) -> Tensor:
    """Concatenate along dim 1 (dim 0 for 1-D tensors)."""
    tensors = atleast_1d(_tensor_list(tensors, "hstack"))
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1, out=out)


def vstack(tensors, *, out=None) -> Tensor:
    """Concatenate along dim 0 after making every tensor at least 2-D."""
    tensors = atleast_2d(_tensor_list(tensors, "vstack"))
    return cat(tensors, 0, out=out)


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


def tile(input: Tensor, dims) -> Tensor:
    """`repeat`, with missing leading dims taken as 1: `torch.tile(x, (2,))`."""
    _check_tensor(input, "tile")
    dims = _int_tuple((dims,), "tile", "dims")
    dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


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


def flip(input: Tensor, *dims, **kwargs) -> Tensor:
    """Reverse the order of elements along `dims` (a copy): `torch.flip(x, (0,))`."""
    _check_tensor(input, "flip")
    if "dims" in kwargs:
        dims = (kwargs.pop("dims"),)
    if kwargs:
        raise TypeError(f"flip() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if not dims:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    dims = _int_tuple(dims, "flip", "dims")
    return Flip.apply(input, _dims_arg(dims, input._data.ndim, "flip"))


def fliplr(input: Tensor) -> Tensor:
    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


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


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Shift elements circularly along `dims` (all elements, flattened, when dims is None).

        >>> torch.roll(torch.arange(4), 1)
        tensor([3, 0, 1, 2])
    """
    _check_tensor(input, "roll")
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


# ------------------------------------------------------------------ Tensor methods
def _view_method(self: Tensor, *shape, size=None, dtype=None) -> Tensor:
    return view(self, *shape, size=size, dtype=dtype)


def _reshape_method(self: Tensor, *shape, **kwargs) -> Tensor:
    return reshape(self, *shape, **kwargs)


def _squeeze_method(self: Tensor, dim=None) -> Tensor:
    return squeeze(self, dim)


def _flip_method(self: Tensor, *dims, **kwargs) -> Tensor:
    return flip(self, *dims, **kwargs)


def _split_method(self: Tensor, split_size, dim: int = 0) -> tuple:
    return split(self, split_size, dim)


METHODS = {
    "view": _view_method, "view_as": view_as, "reshape": _reshape_method,
    "reshape_as": reshape_as, "flatten": flatten, "unflatten": unflatten, "ravel": ravel,
    "squeeze": _squeeze_method, "unsqueeze": unsqueeze, "transpose": transpose,
    "swapaxes": transpose, "swapdims": transpose, "permute": permute, "movedim": movedim,
    "moveaxis": movedim, "expand": expand, "expand_as": expand_as,
    "broadcast_to": broadcast_to, "repeat": repeat, "tile": _tile_method,
    "split": _split_method, "split_with_sizes": split_with_sizes, "chunk": chunk,
    "unbind": unbind, "narrow": narrow, "select": select, "flip": _flip_method,
    "fliplr": fliplr, "flipud": flipud, "roll": roll, "diagonal": diagonal,
}
