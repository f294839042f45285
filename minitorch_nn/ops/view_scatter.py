"""The out-of-place inverses of view ops: select_scatter, slice_scatter, diagonal_scatter and
as_strided_scatter. Each returns a copy of `input` (same layout, as PyTorch's clone) whose
region that the view would show is replaced by `src`.

They are one operation, "copy with a region replaced", for four kinds of region: the region
is given by a `view_fn` (array -> view of it), and the work, with its gradients (the input's
gradient with the region zeroed, src's gradient the region) and double backward, is
ops/inplace.py's `_ReplaceRegion`, also used by in-place ops on views.
"""
from __future__ import annotations

from ..tensor import Tensor, _wrap_dim
from ._util import check_tensor
from .inplace import _ReplaceRegion, _stride_order
from .registry import op
from .strided import _geometry, strided_view
from .views import _diagonal_view, _select_index, select


class SelectScatter(_ReplaceRegion):
    pass


class SliceScatter(_ReplaceRegion):
    pass


class DiagonalScatter(_ReplaceRegion):
    pass


class AsStridedScatter(_ReplaceRegion):
    pass


def _scatter(cls, input: Tensor, src: Tensor, view_fn, slice_shape=None) -> Tensor:
    """A copy of `input` (its layout kept) with `view_fn`'s region set to `src`."""
    if slice_shape is None:
        slice_shape = view_fn(input._data).shape
    if tuple(src.shape) != tuple(slice_shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size "
                           f"= {list(src.shape)}, slice size = {list(slice_shape)}")
    return cls.apply(input, src, view_fn, _stride_order(input._data))


def _check_pair(input, src, fn: str) -> None:
    check_tensor(input, "input", fn)
    check_tensor(src, "src", fn, 2)


@op("select_scatter", methods=("select_scatter",))
def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """`input` with `input.select(dim, index)` replaced by `src`.

        >>> torch.select_scatter(torch.zeros(2, 2), torch.ones(2), 0, 0)
        tensor([[1., 1.],
                [0., 0.]])
    """
    _check_pair(input, src, "select_scatter")
    select(input, dim, index)   # PyTorch's checks of dim and index
    d = _wrap_dim(dim, input.ndim)
    idx = _select_index(input.ndim, d, int(index))
    return _scatter(SelectScatter, input, src, lambda a: a[idx])


@op("slice_scatter", methods=("slice_scatter",))
def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start=None, end=None,
                  step: int = 1) -> Tensor:
    """`input` with the slice start:end:step along `dim` replaced by `src`."""
    _check_pair(input, src, "slice_scatter")
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    d = _wrap_dim(dim, input.ndim)
    idx = _select_index(input.ndim, d, slice(start, end, step))
    return _scatter(SliceScatter, input, src, lambda a: a[idx])


@op("diagonal_scatter", methods=("diagonal_scatter",))
def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    """`input` with `input.diagonal(offset, dim1, dim2)` replaced by `src`."""
    _check_pair(input, src, "diagonal_scatter")
    d1, d2 = _wrap_dim(dim1, input.ndim), _wrap_dim(dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    offset = int(offset)
    return _scatter(DiagonalScatter, input, src,
                    lambda a: _diagonal_view(a, offset, d1, d2))


@op("as_strided_scatter", methods=("as_strided_scatter",))
def as_strided_scatter(input: Tensor, src: Tensor, size, stride, storage_offset=None) -> Tensor:
    """`input` with the region `input.as_strided(size, stride, storage_offset)` replaced by
    `src` (the offset counts from the start of the copy's storage, as PyTorch's clone)."""
    _check_pair(input, src, "as_strided_scatter")
    size, stride, offset = _geometry(input, size, stride, storage_offset,
                                     "as_strided_scatter", clone=True)
    return _scatter(AsStridedScatter, input, src,
                    lambda a: strided_view(a, size, stride, offset), size)
