"""Index updates: slices along a dim filled (index_fill), copied in (index_copy) or reduced
in (index_reduce), and elements of the flattened tensor written (put).

Gradients as PyTorch's: a written place passes no gradient to the old value (index_fill,
index_copy, put without accumulate); the gradient of what was written is the gradient there
(index_select / take of it). index_reduce shares scatter_reduce's reduction and gradient
(ops/scatter_gather.py). Each Function saves the index *tensor*, so editing it in place
between forward and backward raises PyTorch's "modified by an inplace operation" error.
The in-place forms run through `ops.inplace.apply_inplace` (version counter, CopySlices).
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap, _wrap_dim
from ._util import check_tensor, xp_of
from .indexing import Index, IndexPut, _on_device_of
from .inplace import _legacy_name, apply_inplace
from .registry import method_of, op
from .scatter_gather import _ReduceAt, _as_1d, _index_add_args, _kept, _long_index, _ufunc_at


def _where(dim: int, index) -> tuple:
    """The index tuple that picks the slices `index` along `dim`."""
    return (slice(None),) * dim + (index,)


# ------------------------------------------------------------------ index_fill
class IndexFill(ArrayFunction):
    """`x` with the slices at `where` set to a number; grad to x is zero there."""

    @staticmethod
    def forward(ctx, x, where, value, index_tensor):
        ctx.save_for_backward(index_tensor)
        out = _as_1d(x).copy()
        v = value._data if isinstance(value, Tensor) else value
        out[where] = xp_of(out).asarray(v).astype(out.dtype)
        vmeta = value._data.dtype if isinstance(value, Tensor) else None
        ctx.meta = (where, vmeta)
        return _wrap(out.reshape(x._data.shape))

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors   # PyTorch's error if the index was edited in place
        where, vdtype = ctx.meta
        g1 = g.reshape(-1) if g.ndim == 0 else g
        gx = g1.copy()
        gx[where] = 0
        gv = None
        if vdtype is not None and ctx.needs_input_grad[2]:
            xp = xp_of(g)
            mask = xp.zeros(g1.shape, bool)
            mask[where] = True
            gv = g1[mask].sum().astype(vdtype)
        return gx.reshape(g.shape), None, gv, None

    @staticmethod
    def grad_formula(ctx, g):
        ctx.saved_tensors
        where, vdtype = ctx.meta
        g1 = g.reshape(-1) if g.dim() == 0 else g
        gx = IndexPut.apply(g1, (None, where), 0, False).reshape(tuple(g.shape))
        gv = None
        if vdtype is not None and ctx.needs_input_grad[2]:
            unique = where[:-1] + (xp_of(where[-1]).unique(where[-1]),)
            gv = Index.apply(g1, unique).sum()
            if gv._data.dtype != vdtype:
                gv = gv.to(_dt.from_numpy_dtype(vdtype))
        return gx, None, gv, None


class IndexFillTensor(IndexFill):
    """index_fill with a 0-d value tensor: its gradient is the sum over the filled places."""

    node_name = "IndexFillBackward1"


def _fill_index(fn: str, x: Tensor, dim, index):
    """The wrapped index array of index_fill (int64, a vector or a scalar, negatives count
    from the end) and the dim; PyTorch's errors otherwise."""
    check_tensor(index, "index", fn, 2)
    d = _wrap_dim(dim, x._data.ndim)
    if index.dtype is not _dt.int64:
        raise IndexError(f"{fn}(): Expected dtype int64 for index.")
    idx = index._data
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    idx = idx.reshape(-1)
    size = _as_1d(x).shape[d]
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < -size or hi >= size:
            bad = hi if hi >= size else lo
            raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {size}")
        if lo < 0:
            idx = idx % size
    return d, _on_device_of(idx, x._data)


def _fill_value(fn: str, value):
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"{fn} only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.dim()} dimension(s).")
        return value
    if isinstance(value, (bool, int, float, complex, np.number, np.bool_)):
        return value
    raise TypeError(f"index_fill(): argument 'value' (position 3) must be Number or Tensor, "
                    f"not {type(value).__name__}")


def _index_fill_fn(value):
    return IndexFillTensor if isinstance(value, Tensor) else IndexFill


@op("index_fill", methods=("index_fill",))
def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """A copy of `input` with the slices at `index` along `dim` set to `value` (a number or a
    0-d tensor, whose gradient is the sum of the gradient at the filled places).

        >>> torch.zeros(2, 3).index_fill(1, torch.tensor([0, 2]), 1.0)
        tensor([[1., 0., 1.],
                [1., 0., 1.]])
    """
    d, idx = _fill_index("index_fill_", input, dim, index)
    value = _fill_value("index_fill_", value)
    return _index_fill_fn(value).apply(input, _where(d, idx), value, _kept(index, input))


@method_of("index_fill", "index_fill_")
def index_fill_(self: Tensor, dim: int, index: Tensor, value) -> Tensor:
    d, idx = _fill_index("index_fill_", self, dim, index)
    value = _fill_value("index_fill_", value)
    fn = _index_fill_fn(value)
    return apply_inplace(self, lambda s, v: fn.apply(s, _where(d, idx), v, _kept(index, s)),
                         value)


# ------------------------------------------------------------------ index_copy
class IndexCopy(ArrayFunction):
    """`x` with the slices at `index` along `dim` replaced by `source`'s (a repeated index:
    the last one wins). Grad to x: zero there; grad to source: index_select of the grad."""

    @staticmethod
    def forward(ctx, x, dim, index, source, index_tensor):
        ctx.save_for_backward(index_tensor)
        out = _as_1d(x).copy()
        src = _as_1d(source).reshape(_copy_shape(out.shape, dim, index.size))
        out[_where(dim, index)] = src
        ctx.meta = (dim, index, source._data.shape)
        return _wrap(out.reshape(x._data.shape))

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors   # PyTorch's error if the index was edited in place
        dim, index, s_shape = ctx.meta
        g1 = g.reshape(-1) if g.ndim == 0 else g
        gx = g1.copy()
        gx[_where(dim, index)] = 0
        gsrc = xp_of(g).take(g1, index, axis=dim).reshape(s_shape)
        return gx.reshape(g.shape), None, None, gsrc, None

    @staticmethod
    def grad_formula(ctx, g):
        ctx.saved_tensors
        dim, index, s_shape = ctx.meta
        g1 = g.reshape(-1) if g.dim() == 0 else g
        where = _where(dim, index)
        gx = IndexPut.apply(g1, (None, where), 0, False).reshape(tuple(g.shape))
        gsrc = Index.apply(g1, where).reshape(s_shape) if ctx.needs_input_grad[3] else None
        return gx, None, None, gsrc, None


def _copy_shape(shape: tuple, dim: int, n: int) -> tuple:
    return shape[:dim] + (n,) + shape[dim + 1:]


def _sizes(shape) -> str:
    return " ".join(str(n) for n in shape)


def _index_copy_args(fn: str, x: Tensor, dim, index, source):
    """PyTorch's checks of index_copy, in its order; returns (dim, index array)."""
    check_tensor(index, "index", "index_copy", 2)
    check_tensor(source, "source", "index_copy", 3)
    d = _wrap_dim(dim, x._data.ndim)
    if index.dim() > 1:
        raise IndexError(f"{fn}(): Index should have dimension 1 or 0 (got {index.dim()})")
    n = index._data.size
    if source.dim() == 0 and n != 1:
        raise IndexError(f"{fn}(): When source is scalar, index should have one element "
                         f"(got {n})")
    if source.dim() != x.dim() and source.dim() != 0 and x.dim() != 0:
        raise IndexError(f"{fn}(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({source.dim()}), "
                         f"destination dimensionality ({x.dim()})")
    idx = _long_index(index, fn, 2)
    if source.dtype is not x.dtype:
        raise RuntimeError(f"{fn}(): self and source expected to have the same dtype, but got "
                           f"(self) {_legacy_name(x.dtype)} and (source) "
                           f"{_legacy_name(source.dtype)}")
    x_sliced = [s for k, s in enumerate(x.shape) if k != d]
    s_sliced = [s for k, s in enumerate(source.shape) if k != d]
    if x_sliced != s_sliced:
        raise RuntimeError(f"{fn}(): Source/destination tensor must have same slice shapes. "
                           f"Destination slice shape: {_sizes(x_sliced)} at dimension {d} and "
                           f"source slice shape: {_sizes(s_sliced)} at dimension 0.")
    if source.dim() != 0 and n != source.shape[d]:
        raise IndexError(f"{fn}(): Number of indices ({n}) should be equal to "
                         f"source.size(dim) ({source.shape[d]})")
    idx = idx.reshape(-1)
    size = _as_1d(x).shape[d]
    if n and (int(idx.min()) < 0 or int(idx.max()) >= size):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise IndexError(f"{fn}(): index {bad} is out of bounds for dimension {d} with size "
                         f"{size}")
    return d, _on_device_of(idx, x._data)


@op("index_copy", methods=("index_copy",))
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of `input` with the slices at `index` along `dim` replaced by those of `source`
    (in index order; with a repeated index the last slice wins)."""
    d, idx = _index_copy_args("index_copy_", input, dim, index, source)
    return IndexCopy.apply(input, d, idx, source, _kept(index, input))


@method_of("index_copy", "index_copy_")
def index_copy_(self: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    d, idx = _index_copy_args("index_copy_", self, dim, index, source)
    return apply_inplace(self, lambda s, v: IndexCopy.apply(s, d, idx, v, _kept(index, s)),
                         source)


# ------------------------------------------------------------------ index_reduce
class IndexReduce(_ReduceAt):
    """index_reduce: scatter_reduce's reduction and gradient at whole slices."""


_INDEX_REDUCES = ("prod", "mean", "amax", "amin")


def _index_reduce_args(fn: str, x: Tensor, dim, index, source, reduce: str) -> tuple:
    """PyTorch's checks of index_reduce; returns the index tuple of the slices reduced into."""
    if reduce not in _INDEX_REDUCES:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    if isinstance(index, Tensor) and index.dim() > 1:
        raise IndexError(f"{fn}(): Index is supposed to be a vector, but got dim: "
                         f"{index.dim()} with type: {_legacy_name(index.dtype)} and size: "
                         f"{list(index.shape)}")
    d, idx = _index_add_args(fn, x, dim, index, source)
    name = _legacy_name(x.dtype)
    if name.startswith("Complex"):
        raise NotImplementedError(f"\"index_func_\" not implemented for '{name}'")
    if reduce == "mean" and name == "Bool":
        raise NotImplementedError("\"div_floor_cpu\" not implemented for 'Bool'")
    return _where(d, idx)


@op("index_reduce", methods=("index_reduce",))
def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """A copy of `input` with the slices of `source` reduced ("prod", "mean", "amax" or
    "amin") into the slices at `index` along `dim`; include_self=False leaves input's values
    out where the index reaches. An integer mean rounds down, as in PyTorch."""
    where = _index_reduce_args("index_reduce_", input, dim, index, source, reduce)
    return IndexReduce.apply(input, source, where, None, reduce, include_self,
                             _kept(index, input))


@method_of("index_reduce", "index_reduce_")
def index_reduce_(self: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                  include_self: bool = True) -> Tensor:
    where = _index_reduce_args("index_reduce_", self, dim, index, source, reduce)
    return apply_inplace(self, lambda s, v: IndexReduce.apply(
        s, v, where, None, reduce, include_self, _kept(index, s)), source)


# ------------------------------------------------------------------ put
class Put(ArrayFunction):
    """`x` seen as 1-D with `source` written (or added, accumulate=True) at `index`.

    Grad to x: zero at the written places unless accumulating; grad to source: the grad at
    its places (take), whatever the repeats.
    """

    @staticmethod
    def forward(ctx, x, index, source, accumulate, index_tensor):
        ctx.save_for_backward(index_tensor)
        arr = x._data
        vals = source._data.reshape(-1)
        if accumulate:
            work = np.float32 if arr.dtype.kind == "V" or \
                (arr.dtype.kind == "f" and arr.dtype.itemsize == 2) else arr.dtype
            flat = arr.astype(work).reshape(-1)   # a C-ordered copy
            _ufunc_at("add", flat, (index,), vals.astype(work, copy=False))
            flat = flat.astype(arr.dtype, copy=False)
        else:
            flat = arr.copy().reshape(-1)
            flat[index] = vals
        ctx.meta = (index, accumulate, source._data.shape)
        return _wrap(flat.reshape(arr.shape))

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors   # PyTorch's error if the index was edited in place
        index, accumulate, s_shape = ctx.meta
        flat = g.reshape(-1)
        gx = g
        if not accumulate:
            gx = g.copy().reshape(-1)
            gx[index] = 0
            gx = gx.reshape(g.shape)
        return gx, None, flat[index].reshape(s_shape), None, None

    @staticmethod
    def grad_formula(ctx, g):
        ctx.saved_tensors
        index, accumulate, s_shape = ctx.meta
        shape = tuple(g.shape)
        flat = g.reshape(-1)
        gx = g if accumulate else IndexPut.apply(flat, (None, (index,)), 0, False).reshape(shape)
        gsrc = Index.apply(flat, (index,)).reshape(s_shape) if ctx.needs_input_grad[2] else None
        return gx, None, gsrc, None, None


def _put_args(fn: str, x: Tensor, index, source):
    """PyTorch's checks of put_; returns the index array (negatives count from the end)."""
    check_tensor(index, "index", "put", 1)
    check_tensor(source, "source", "put", 2)
    idx = _long_index(index, fn, 1).reshape(-1)
    if source.dtype is not x.dtype:
        raise RuntimeError(f"{fn}(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {_legacy_name(x.dtype)} and source.dtype = "
                           f"{_legacy_name(source.dtype)}")
    if idx.size != source._data.size:
        raise IndexError(f"{fn}(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {source._data.size}, "
                         f"index.numel() = {idx.size}")
    n = x._data.size
    if n == 0 and idx.size:
        raise IndexError(f"{fn}(): Tried to put elements into an empty tensor")
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < -n or hi >= n:
            bad = hi if hi >= n else lo
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                             "elements.")
        if lo < 0:
            idx = idx % n
    return _on_device_of(idx, x._data)


@op("put", methods=("put",))
def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of `input`, seen as 1-D, with `source` written at `index` (negatives count from
    the end; a repeated index: the last write wins) or added there with accumulate=True."""
    idx = _put_args("put_", input, index, source)
    return Put.apply(input, idx, source, bool(accumulate), _kept(index, input))


@method_of("put", "put_")
def put_(self: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    idx = _put_args("put_", self, index, source)
    return apply_inplace(self, lambda s, v: Put.apply(s, idx, v, bool(accumulate),
                                                      _kept(index, s)), source)
