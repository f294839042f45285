"""View ops: reshape and view, select / narrow / squeeze / unsqueeze, transpose / permute /
movedim, diagonal and unfold (sliding windows). Broadcast views (expand) are in ops/shape.py,
split / unbind in ops/joining.py.

Where PyTorch returns a VIEW, so do we: the result is built with `_view_of(base, array,
view_fn)`, so it shares the base's storage and version counter, and an in-place op on it
routes gradients through the base (see ops/inplace.py, CopySlices). `view_fn(a)` redoes the
same view on any array `a` of the base's shape and returns a numpy/cupy view of `a`.

Every view op's backward puts the gradient back where the view came from: reshape it, permute
it back, or write it into zeros through the same `view_fn`.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import linear_formula
from ..tensor import Tensor, _view_of, _wrap, _wrap_dim
from ._util import check_tensor, xp_of
from .registry import op


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

    @staticmethod
    def grad_formula(ctx, g):
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

    @staticmethod
    def grad_formula(ctx, g):
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


@op("view", namespace="Tensor", methods=("view",))
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


@op("reshape", methods=("reshape",))
def reshape(input: Tensor, *shape, **kwargs) -> Tensor:
    """A tensor with a new shape: a view when the strides allow it, else a copy.

        >>> torch.reshape(torch.arange(6), (3, 2)).shape
        torch.Size([3, 2])
    """
    check_tensor(input, "input", "reshape")
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


@op("view_as", namespace="Tensor", methods=("view_as",))
def view_as(self: Tensor, other: Tensor) -> Tensor:
    return view(self, tuple(other.shape))


@op("reshape_as", namespace="Tensor", methods=("reshape_as",))
def reshape_as(self: Tensor, other: Tensor) -> Tensor:
    return reshape(self, tuple(other.shape))


@op("ravel", methods=("ravel",))
def ravel(input: Tensor) -> Tensor:
    """The elements as a 1-D tensor (a view when possible)."""
    return reshape(input, -1)


@op("flatten", methods=("flatten",))
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims `start_dim..end_dim` into one (a view when possible).

        >>> torch.flatten(torch.zeros(2, 3, 4), 1).shape
        torch.Size([2, 12])
    """
    check_tensor(input, "input", "flatten")
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


@op("unflatten", methods=("unflatten",))
def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dim `dim` into `sizes` (one of them may be -1); always a view.

        >>> torch.zeros(2, 6).unflatten(1, (2, 3)).shape
        torch.Size([2, 2, 3])
    """
    check_tensor(input, "input", "unflatten")
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

    @staticmethod
    def grad_formula(ctx, g):
        idx = ctx.meta[1]
        return linear_formula(ctx, g, lambda t: ctx._forward_cls.apply(t, idx)), None


class Select(_IndexView):
    pass


class Slice(_IndexView):
    pass


class Alias(_IndexView):
    pass


class Squeeze(_IndexView):
    """squeeze() (SqueezeBackward0); PyTorch numbers the dim forms below."""


class SqueezeDim(Squeeze):
    node_name = "SqueezeBackward1"    # squeeze(x, 0)


class SqueezeDims(Squeeze):
    node_name = "SqueezeBackward2"    # squeeze(x, (0, 2))


class Unsqueeze(_IndexView):
    """A basic index with None (x[None], x[0, None]): the node PyTorch names for it."""


class UnsqueezeDim(_IndexView):
    """x.unsqueeze(dim) with PyTorch's stride for the new dim: size * stride of the dim it
    is inserted before (1 at the end), where numpy's newaxis gives 0 (seen by `stride()`)."""

    node_name = "UnsqueezeBackward0"

    @staticmethod
    def forward(ctx, x, idx):
        ctx.meta = (x._data.shape, view_index(idx))
        dim = idx.index(None)   # idx is (slice(None),) * dim + (None,[ Ellipsis])

        def fn(a):
            return _inserted_dim(a, dim)
        return _view_of(x, fn(x._data), fn)


def _inserted_dim(a, dim: int):
    """A view of `a` with a size-1 dim at `dim`, strided as PyTorch's unsqueeze."""
    step = a.strides[dim] * a.shape[dim] if dim < a.ndim else a.itemsize
    shape = a.shape[:dim] + (1,) + a.shape[dim:]
    strides = a.strides[:dim] + (step,) + a.strides[dim:]
    if type(a) is np.ndarray and a.flags.c_contiguous:   # a view of a's buffer, ~0.4 us
        return np.ndarray(shape, a.dtype, a, 0, strides)
    return xp_of(a).lib.stride_tricks.as_strided(a, shape, strides)   # ~3 us


def view_index(idx: tuple) -> tuple:
    """A basic index that always yields a view (numpy gives a scalar for `a[0]` on 1-D)."""
    if any(i is Ellipsis for i in idx):
        return idx
    return idx + (Ellipsis,)


def _select_index(ndim: int, dim: int, index) -> tuple:
    """`index` (an int or a slice) at `dim`, everything else kept: a view index."""
    return (slice(None),) * dim + (index, Ellipsis)


@op("select", methods=("select",))
def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at `index` along `dim`, with that dim removed (a view): `x.select(0, 1)`."""
    check_tensor(input, "input", "select")
    shape = input._data.shape
    if len(shape) == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, len(shape))
    index = int(index)
    if not -shape[d] <= index < shape[d]:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(shape)} at dimension {d}")
    return Select.apply(input, _select_index(len(shape), d, index))


@op("narrow", methods=("narrow",))
def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    """Elements `start .. start+length-1` along `dim` (a view).

        >>> torch.arange(5).narrow(0, 1, 3)
        tensor([1, 2, 3])
    """
    check_tensor(input, "input", "narrow")
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


@op("squeeze", methods=("squeeze",))
def squeeze(input: Tensor, dim=None) -> Tensor:
    """Remove size-1 dims: all of them, or those of `dim` (an int or a tuple) that are size 1."""
    check_tensor(input, "input", "squeeze")
    shape = input._data.shape
    if dim is None:
        dims = tuple(range(len(shape)))
    else:
        dims = _dims_arg(dim, len(shape), "squeeze")
    idx = tuple(0 if d in dims and shape[d] == 1 else slice(None) for d in range(len(shape)))
    fn = Squeeze if dim is None else SqueezeDims if isinstance(dim, (tuple, list)) else SqueezeDim
    return fn.apply(input, idx)


@op("unsqueeze", methods=("unsqueeze",))
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at `dim` (in [-ndim-1, ndim]); a view."""
    check_tensor(input, "input", "unsqueeze")
    ndim = input._data.ndim
    d = _wrap_dim(dim, ndim + 1)
    return UnsqueezeDim.apply(input, (slice(None),) * d + (None,))


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

    @staticmethod
    def grad_formula(ctx, g):
        return g.transpose(*ctx.dims), None, None


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

    @staticmethod
    def grad_formula(ctx, g):
        return g.permute(*ctx.inverse), None


@op("transpose", aliases=("swapaxes", "swapdims"), methods=("transpose", "swapaxes", "swapdims"))
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims (a view).

        >>> torch.zeros(2, 3).transpose(0, 1).shape
        torch.Size([3, 2])
    """
    check_tensor(input, "input", "transpose")
    ndim = input._data.ndim
    d0, d1 = _wrap_dim(dim0, ndim), _wrap_dim(dim1, ndim)
    if ndim == 0:
        return Alias.apply(input, ())
    return Transpose.apply(input, d0, d1)


@op("permute", methods=("permute",))
def permute(input: Tensor, *dims, **kwargs) -> Tensor:
    """Reorder all dims: `x.permute(2, 0, 1)` or `torch.permute(x, (2, 0, 1))` (a view)."""
    check_tensor(input, "input", "permute")
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


@op("movedim", aliases=("moveaxis",), methods=("movedim", "moveaxis"))
def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dims `source` to positions `destination` (ints or equal-length sequences)."""
    check_tensor(input, "input", "movedim")
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


class Diagonal(ArrayFunction):
    """The diagonal of two dims, as a writable strided view appended as the last dim."""

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.in_shape = x._data.shape
        ctx.args = (offset, d1, d2)

        def fn(a):
            return _diagonal_view(a, offset, d1, d2)
        ctx.fn = fn
        return _view_of(x, fn(x._data), fn)

    @staticmethod
    def backward(ctx, g):
        z = xp_of(g).zeros(ctx.in_shape, g.dtype)
        ctx.fn(z)[...] = g
        return z, None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        return linear_formula(ctx, g, lambda t: Diagonal.apply(t, *ctx.args)), None, None, None


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


@op("diagonal", methods=("diagonal",))
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of dims (dim1, dim2), shifted by `offset` (a view).

        >>> torch.arange(9).view(3, 3).diagonal()
        tensor([0, 4, 8])
    """
    check_tensor(input, "input", "diagonal")
    ndim = input._data.ndim
    d1, d2 = _wrap_dim(dim1, ndim), _wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, int(offset), d1, d2)


# ------------------------------------------------------------------ sliding windows: unfold
class Unfold(ArrayFunction):
    """Windows of `size` elements every `step` along dim `d`, as a new last dim (a view;
    windows overlap when step < size). Backward adds each window's gradient back."""

    @staticmethod
    def forward(ctx, x, d, size, step):
        ctx.meta = (x._data.shape, d, size, step)

        def fn(a):
            return _unfold_view(a, d, size, step)
        return _view_of(x, fn(x._data), fn)

    @staticmethod
    def backward(ctx, g):
        shape, d, size, step = ctx.meta
        xp = xp_of(g)
        if len(shape) == 0:
            return g.sum().reshape(()), None, None, None
        z = xp.zeros(shape, g.dtype)
        n = g.shape[d]
        if size <= n:   # one pass per position in the window
            for j in range(size):
                z[_select_index(len(shape), d, slice(j, j + step * (n - 1) + 1, step))] += \
                    g[..., j]
        else:           # one pass per window
            for i in range(n):
                part = xp.moveaxis(g[_select_index(g.ndim, d, i)], -1, d)
                z[_select_index(len(shape), d, slice(i * step, i * step + size))] += part
        return z, None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        _, d, size, step = ctx.meta
        return linear_formula(ctx, g, lambda t: Unfold.apply(t, d, size, step)), None, None, None


def _unfold_view(a, d: int, size: int, step: int):
    """The strided view of the windows (PyTorch's unfold strides: dim d steps by `step`)."""
    if a.ndim == 0:   # size is 0 or 1 (checked), so the stride never steps past the element
        return xp_of(a).lib.stride_tricks.as_strided(a, (size,), (a.itemsize,))
    n = (a.shape[d] - size) // step + 1
    shape = a.shape[:d] + (n,) + a.shape[d + 1:] + (size,)
    strides = a.strides[:d] + (a.strides[d] * step,) + a.strides[d + 1:] + (a.strides[d],)
    if type(a) is np.ndarray and a.flags.c_contiguous:   # a view of a's buffer, ~0.4 us
        return np.ndarray(shape, a.dtype, a, 0, strides)
    return xp_of(a).lib.stride_tricks.as_strided(a, shape, strides)   # ~3 us


@op("unfold", namespace="Tensor", methods=("unfold",))
def unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """All windows of `size` elements, `step` apart, along `dimension`, as a new last dim of
    a view (no copy; windows overlap when step < size).

        >>> torch.arange(5).unfold(0, 2, 2)
        tensor([[0, 1],
                [2, 3]])
    """
    for pos, (name, v) in enumerate((("dimension", dimension), ("size", size),
                                     ("step", step)), 1):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"unfold(): argument '{name}' (position {pos}) must be int, not "
                            f"{type(v).__name__}")
    ndim = self._data.ndim
    d = _wrap_dim(dimension, ndim)
    max_size = self._data.shape[d] if ndim else 1
    if size > max_size:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {max_size} but size "
                           f"is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return Unfold.apply(self, d, int(size), int(step))
