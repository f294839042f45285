"""Joining and splitting: cat / stack / hstack / vstack / dstack / column_stack (copies),
atleast_1d/2d/3d (views) and split / chunk / unbind (views of the input, see ops/views.py).

cat and stack promote their inputs' dtypes (float32 + float64 -> float64); their backward
slices the gradient back into the inputs, each in its own dtype. split and unbind's backward
concatenates (stacks) the pieces' gradients.
"""
from __future__ import annotations

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction, _device_mismatch
from ..tensor import Tensor, _view_of, _wrap, _wrap_dim
from ._util import check_tensor, xp_of
from .registry import method_of, op
from .views import Select, Slice, _int_tuple, _select_index, reshape, unsqueeze


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

    @staticmethod
    def grad_formula(ctx, *grads):
        return Cat.apply(ctx.dim, grads[0]._data.dtype, *grads), None, None


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

    @staticmethod
    def grad_formula(ctx, *grads):
        return Stack.apply(ctx.dim, grads[0]._data.dtype, *grads), None


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


@op("split")
def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Pieces of `split_size` along `dim` (the last may be smaller) or of the given sizes.

        >>> [t.tolist() for t in torch.arange(5).split(2)]
        [[0, 1], [2, 3], [4]]
    """
    check_tensor(tensor, "tensor", "split")
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


@op("split_with_sizes", namespace="Tensor", methods=("split_with_sizes",))
def split_with_sizes(self: Tensor, split_sizes, dim: int = 0) -> tuple:
    return split(self, list(split_sizes), dim)


@op("chunk", methods=("chunk",))
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """At most `chunks` pieces of equal size along `dim` (the last may be smaller)."""
    check_tensor(input, "input", "chunk")
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


@op("unbind", methods=("unbind",))
def unbind(input: Tensor, dim: int = 0) -> tuple:
    """Every slice along `dim`, with that dim removed (views)."""
    check_tensor(input, "input", "unbind")
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

    @staticmethod
    def grad_formula(ctx, g):
        dim, metas = ctx.meta
        grads, start = [], 0
        for (shape, dtype), needed in zip(metas, ctx.needs_input_grad[2:]):
            if len(shape) == 1 and shape[0] == 0:
                grads.append(_wrap(xp_of(g._data).zeros(shape, dtype)) if needed else None)
                continue
            n = shape[dim]
            if needed:
                idx = _select_index(g.dim(), dim, slice(start, start + n))
                grads.append(_cast(Slice.apply(g, idx), dtype))
            else:
                grads.append(None)
            start += n
        return (None, None, *grads)


def _cast(t: Tensor, dtype) -> Tensor:
    """Tensor `t` in numpy dtype `dtype` (recorded)."""
    return t if t._data.dtype == dtype else t.to(_dt.from_numpy_dtype(dtype))


def _legacy_empty(a) -> bool:
    """PyTorch's cat skips 1-D empty tensors (shape (0,)) whatever the others' shapes."""
    return a.ndim == 1 and a.shape[0] == 0


@op("cat", aliases=("concat",))
def cat(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join tensors along an existing dim; dtypes promote (float32 + float64 -> float64).

        >>> torch.cat([torch.zeros(2, 3), torch.ones(2, 1)], dim=-1).shape
        torch.Size([2, 4])
    """
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


@op("concatenate")
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
    out._version_counter.value += 1
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

    @staticmethod
    def grad_formula(ctx, g):
        dim, dtypes = ctx.meta
        return (None, None, *(_cast(Select.apply(g, _select_index(g.dim(), dim, i)), dt)
                              if needed else None
                              for i, (dt, needed) in enumerate(zip(dtypes,
                                                                   ctx.needs_input_grad[2:]))))


@op("stack")
def stack(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join equal-shape tensors along a new dim `dim` (in [-ndim-1, ndim]).

        >>> torch.stack([torch.zeros(3), torch.ones(3)], dim=1).shape
        torch.Size([3, 2])
    """
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


@op("atleast_1d")
def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (0-d becomes shape (1,)): one tensor gives a tensor,
    several (or a list) give a tuple."""
    return _atleast(tensors, 1)


@op("atleast_2d")
def atleast_2d(*tensors):
    """Each tensor with at least 2 dims: 0-d -> (1, 1), 1-D (n,) -> (1, n)."""
    return _atleast(tensors, 2)


@op("atleast_3d")
def atleast_3d(*tensors):
    """Each tensor with at least 3 dims: 0-d -> (1, 1, 1), (n,) -> (1, n, 1), (m, n) ->
    (m, n, 1), as numpy's atleast_3d."""
    return _atleast(tensors, 3)


def _atleast(tensors, n: int):
    if len(tensors) == 1:
        tensors = tensors[0]
    if isinstance(tensors, Tensor):
        return _raise_to(tensors, n)
    fn = f"atleast_{n}d"
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}() received an invalid combination of arguments - got "
                        f"({type(tensors).__name__}), but expected one of: (Tensor input) or "
                        "(tuple of Tensors tensors)")
    return tuple(_raise_to(t, n) for t in _tensor_list(tensors, fn))


def _raise_to(t: Tensor, n: int) -> Tensor:
    """`t` with at least `n` dims, by the ops PyTorch uses (reshape for 0-d, unsqueeze for
    1-D/2-D), so the graph nodes are PyTorch's; `t` itself when it has enough dims."""
    ndim = t._data.ndim
    if ndim >= n:
        return t
    if ndim == 0:
        return reshape(t, (1,) * n)
    if ndim == 1:
        t = unsqueeze(t, 0)
        return unsqueeze(t, -1) if n == 3 else t
    return unsqueeze(t, -1)


def _stack_list(tensors, fn: str) -> list:
    tensors = _tensor_list(tensors, fn)
    if not tensors:
        raise RuntimeError(f"{fn} expects a non-empty TensorList")
    return tensors


@op("hstack")
def hstack(tensors, *, out=None) -> Tensor:
    """Concatenate along dim 1 (dim 0 for 1-D tensors)."""
    tensors = atleast_1d(_stack_list(tensors, "hstack"))
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1, out=out)


@op("vstack", aliases=("row_stack",))
def vstack(tensors, *, out=None) -> Tensor:
    """Concatenate along dim 0 after making every tensor at least 2-D (row_stack: the same)."""
    tensors = atleast_2d(_stack_list(tensors, "vstack"))
    return cat(tensors, 0, out=out)


@op("dstack")
def dstack(tensors, *, out=None) -> Tensor:
    """Concatenate along dim 2 (depth) after making every tensor at least 3-D.

        >>> torch.dstack([torch.tensor([1, 2]), torch.tensor([3, 4])]).shape
        torch.Size([1, 2, 2])
    """
    tensors = atleast_3d(_stack_list(tensors, "dstack"))
    return cat(tensors, 2, out=out)


@op("column_stack")
def column_stack(tensors, *, out=None) -> Tensor:
    """Join as columns: 0-D and 1-D tensors become (numel, 1) columns, then hstack.

        >>> torch.column_stack([torch.tensor([1, 2]), torch.tensor([3, 4])]).tolist()
        [[1, 3], [2, 4]]
    """
    tensors = _stack_list(tensors, "column_stack")
    columns = [reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in tensors]
    return hstack(columns, out=out)


# ------------------------------------------------------------- Tensor methods, own signature
@method_of("split", "split")
def _split_method(self: Tensor, split_size, dim: int = 0) -> tuple:
    return split(self, split_size, dim)
