"""Gather and scatter: values picked (gather, index_select, take) or written (scatter,
scatter_add, scatter_reduce, index_add) at integer indices along a dim.

The gradient of a pick is a scatter-add of the gradient into zeros (repeated indices add
up); the gradient of a write is the gradient with the written places zeroed (for the input)
and the gradient at those places (for the source). With `reduce=` scatter has no gradient,
as in PyTorch; scatter_reduce has PyTorch's (mean divides by the count, prod takes the
product of the others, amax/amin split the gradient between ties).

Each Function also receives the index *tensor* and saves it (`ctx.save_for_backward`), so an
in-place edit of the index between forward and backward raises PyTorch's "modified by an
inplace operation" error instead of scattering the gradient at indices never checked.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import backward_without_graph, linear_formula
from ..tensor import Tensor, _wrap, _wrap_dim
from ._util import check_tensor, xp_of
from .indexing import Index, IndexPut, _add_at, _on_device_of, _ufunc_at
from .inplace import _legacy_name, apply_inplace
from .registry import method_of, op


# ------------------------------------------------------------------ array helpers
def _multiply_at(target, index: tuple, values) -> None:
    """target[index] *= values, once per occurrence (scatter reduce='multiply')."""
    _ufunc_at("multiply", target, index, values)


def _kept(index: Tensor, like: Tensor):
    """The index tensor to save for backward (its version is checked there), or None when
    it lives on another device than `like` (its array was copied over: nothing to check)."""
    return index if type(index._data) is type(like._data) else None


# ------------------------------------------------------------------ gather / scatter
def _index_array(index, fn: str, arg: str = "index", pos: int = 3, dtype_error=None):
    """The array of an integer index tensor; PyTorch's TypeError/RuntimeError otherwise."""
    check_tensor(index, arg, fn, pos)
    if index.dtype not in (_dt.int64, _dt.int32):
        message = dtype_error or "{fn}(): Expected dtype int32/int64 for index"
        raise RuntimeError(message.format(fn=fn, dtype=_legacy_name(index.dtype)))
    return index._data


def _along(index, dim: int) -> tuple:
    """The index tuple that picks `index[i0, .., ik]` along `dim` at position (i0, .., ik)."""
    xp = xp_of(index)
    idx = []
    for d, n in enumerate(index.shape):
        if d == dim:
            idx.append(index.astype(np.int64, copy=False))
        else:
            shape = [1] * index.ndim
            shape[d] = n
            idx.append(xp.arange(n).reshape(shape))
    return tuple(idx)


def _check_index_shape(fn: str, x_shape, dim: int, index, src_shape=None,
                       noun: str = "input") -> None:
    """PyTorch's checks of an index for gather/scatter along `dim` (`noun`: what PyTorch
    calls the tensor indexed, "input" for gather, "self" for the scatters)."""
    if index.ndim != len(x_shape):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {noun} "
                           "tensor")
    if src_shape is not None and index.ndim != len(src_shape):
        raise RuntimeError("Index tensor must have the same number of dimensions as src "
                           "tensor")
    for d, n in enumerate(index.shape):
        too_big = (d != dim and n > x_shape[d]) or \
            (src_shape is not None and n > src_shape[d])
        if too_big and src_shape is None:
            raise RuntimeError(f"Size does not match at dimension {d} expected index "
                               f"{list(index.shape)} to be no larger than self "
                               f"{list(x_shape)} apart from dimension {dim}")
        if too_big:
            raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                               f"{list(x_shape)} apart from dimension {dim} and to be no "
                               f"larger size than src {list(src_shape)}")
    if index.size:
        lo, hi = int(index.min()), int(index.max())
        if lo < 0 or hi >= x_shape[dim]:
            bad = lo if lo < 0 else hi
            raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size "
                               f"{x_shape[dim]}")


def _as_1d(x: Tensor):
    """0-d inputs of gather/scatter behave as 1-element 1-D tensors."""
    return x._data.reshape(1) if x._data.ndim == 0 else x._data


class Gather(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, index, index_tensor):
        arr = _as_1d(x)
        flat = index.reshape(1) if index.ndim == 0 else index
        idx = _along(flat, dim)
        ctx.save_for_backward(index_tensor)
        ctx.meta = (x._data.shape, arr.shape, flat.shape, idx)
        return _wrap(arr[idx].reshape(index.shape))

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors   # PyTorch's error if the index was edited in place
        shape, shape1d, flat_shape, idx = ctx.meta
        z = xp_of(g).zeros(shape1d, g.dtype)
        _add_at(z, idx, g.reshape(flat_shape))
        return z.reshape(shape), None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        shape1d, idx = ctx.meta[1], ctx.meta[3]
        out_shape = tuple(g.shape)
        return linear_formula(ctx, g, lambda t: Index.apply(t.reshape(shape1d), idx)
                              .reshape(out_shape)), None, None, None


@op("gather", methods=("gather",))
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """`out[i][j] = input[index[i][j]][j]` for dim=0 (and so on): values picked along `dim`.

        >>> torch.tensor([[1, 2], [3, 4]]).gather(1, torch.tensor([[0, 0], [1, 0]]))
        tensor([[1, 1],
                [4, 3]])
    """
    idx = _index_array(index, "gather")
    d = _wrap_dim(dim, input._data.ndim)
    x_shape = _as_1d(input).shape
    if input._data.ndim <= 1 and idx.ndim <= 1:   # 0-d acts as a 1-element 1-D tensor
        _check_index_shape("gather", x_shape, d, idx.reshape(-1))
    else:
        _check_index_shape("gather", x_shape, d, idx)
    return Gather.apply(input, d, _on_device_of(idx, input._data), _kept(index, input))


class Scatter(ArrayFunction):
    """A copy of x with `src` (or a number) written at `index` along `dim`.

    Grad to x: zero where written; grad to src: the gradient at the written places, for the
    part of src that `index` covers. With `reduce` there is no gradient (as in PyTorch).
    """

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce, index_tensor):
        ctx.save_for_backward(index_tensor)
        out = x._data.copy()
        idx = _along(index, dim)
        part = tuple(slice(0, n) for n in index.shape)
        vals = src._data[part].astype(out.dtype, copy=False) if isinstance(src, Tensor) \
            else src
        if reduce is None:
            out[idx] = vals
        elif reduce == "add":
            xp = xp_of(out)
            _ufunc_at("add", out, idx, xp.broadcast_to(xp.asarray(vals, out.dtype), index.shape))
        else:
            _multiply_at(out, idx, vals)
        src_meta = (src._data.shape, src._data.dtype) if isinstance(src, Tensor) else None
        ctx.meta = (idx, part, src_meta, reduce)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        idx, part, src_meta, reduce = ctx.meta
        if reduce is not None:   # as in PyTorch: use scatter_add / scatter_reduce instead
            raise RuntimeError("derivative for aten::scatter is not implemented")
        ctx.saved_tensors   # PyTorch's error if the index was edited in place
        gx = g.copy()
        gx[idx] = 0
        gsrc = None
        if src_meta is not None:
            gsrc = xp_of(g).zeros(src_meta[0], src_meta[1])
            gsrc[part] = g[idx]
        return gx, None, None, gsrc, None, None

    @staticmethod
    def grad_formula(ctx, g):
        idx, part, src_meta, reduce = ctx.meta
        if reduce is not None:
            raise RuntimeError("derivative for aten::scatter is not implemented")
        ctx.saved_tensors
        gx = IndexPut.apply(g, (None, idx), 0, False) if ctx.needs_input_grad[0] else None
        gsrc = None
        if src_meta is not None and ctx.needs_input_grad[3]:
            gsrc = _padded(Index.apply(g, idx), part, *src_meta)
        return gx, None, None, gsrc, None, None


def _padded(t: Tensor, part: tuple, shape: tuple, dtype) -> Tensor:
    """Zeros of `shape`/`dtype` with `t` at `part` (recorded, differentiable in t)."""
    if t._data.dtype != dtype:
        t = t.to(_dt.from_numpy_dtype(dtype))
    if tuple(t.shape) == tuple(shape):
        return t
    z = _wrap(xp_of(t._data).zeros(shape, dtype))
    return IndexPut.apply(z, (part, None), t, False)


class ScatterAdd(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, index, src, index_tensor):
        ctx.save_for_backward(index_tensor)
        out = x._data.copy()
        idx = _along(index, dim)
        part = tuple(slice(0, n) for n in index.shape)
        _ufunc_at("add", out, idx, src._data[part])
        ctx.meta = (idx, part, src._data.shape, src._data.dtype)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors   # PyTorch's error if the index was edited in place
        idx, part, shape, dtype = ctx.meta
        gsrc = xp_of(g).zeros(shape, dtype)
        gsrc[part] = g[idx]
        return g, None, None, gsrc, None

    @staticmethod
    def grad_formula(ctx, g):
        ctx.saved_tensors
        idx, part, shape, dtype = ctx.meta
        gsrc = _padded(Index.apply(g, idx), part, shape, dtype) if ctx.needs_input_grad[3] \
            else None
        return g, None, None, gsrc, None


def _scatter_args(fn: str, input: Tensor, dim, index, src, value):
    """Check scatter's arguments; returns (dim, index array, src Tensor or number)."""
    idx = _index_array(index, fn, dtype_error="scatter(): Expected dtype int32/int64 for index")
    if src is None:
        src = value
    if src is None:
        raise TypeError(f"{fn}() missing required argument 'src' or 'value'")
    d = _wrap_dim(dim, input._data.ndim)
    if isinstance(src, Tensor):
        if src.dtype is not input.dtype:
            raise RuntimeError(f"{fn}(): Expected self.dtype to be equal to src.dtype")
        _check_index_shape(fn, input._data.shape, d, idx, src._data.shape, noun="self")
    else:
        _check_index_shape(fn, input._data.shape, d, idx, noun="self")
    return d, _on_device_of(idx, input._data), src


def _check_reduce(reduce):
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")


@op("scatter", methods=("scatter",))
def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None,
            reduce=None) -> Tensor:
    """A copy of `input` with `src[i][j]` written at `[index[i][j]][j]` (dim=0) and so on.

    `src` may be a tensor (same dtype as input) or a number (`value=`).
    """
    _check_reduce(reduce)
    d, idx, src = _scatter_args("scatter", input, dim, index, src, value)
    return Scatter.apply(input, d, idx, src, reduce, _kept(index, input))


@method_of("scatter", "scatter_")
def scatter_(self: Tensor, dim: int, index: Tensor, src=None, *, value=None,
             reduce=None) -> Tensor:
    _check_reduce(reduce)
    d, idx, src = _scatter_args("scatter_", self, dim, index, src, value)
    return apply_inplace(self, lambda s, v: Scatter.apply(s, d, idx, v, reduce, _kept(index, s)),
                         src)


@op("scatter_add", methods=("scatter_add",))
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of `input` with `src` added at `index` along `dim` (repeats add up)."""
    check_tensor(src, "src", "scatter_add", 3)
    d, idx, src = _scatter_args("scatter_add", input, dim, index, src, None)
    return ScatterAdd.apply(input, d, idx, src, _kept(index, input))


@method_of("scatter_add", "scatter_add_")
def scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    check_tensor(src, "src", "scatter_add_", 3)
    d, idx, src = _scatter_args("scatter_add_", self, dim, index, src, None)
    return apply_inplace(self, lambda s, v: ScatterAdd.apply(s, d, idx, v, _kept(index, s)), src)


# ------------------------------------------------------------------ scatter_reduce
# The reduction core is shared with index_reduce (ops/index_update.py): both reduce values
# in at an index tuple `idx` (scatter: one index array per dim; index_reduce: slices and the
# index vector at `dim`), so `g[idx]` is their gather and `_ufunc_at("add", z, idx, v)` their
# scatter-add.
_AT = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}
_BOOL_AT = {"sum": "maximum", "prod": "minimum", "amax": "maximum", "amin": "minimum"}


def _identity(reduce: str, dtype):
    """The value a reached slot starts from when include_self=False (the neutral element)."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _work_dtype(arr):
    """The dtype a reduction runs in: float32 for float16/bfloat16 (rounded once at the
    end), uint8 for bool (sum is `or`, prod `and`: max and min of 0/1), else arr's own."""
    if arr.dtype.kind == "V" or (arr.dtype.kind == "f" and arr.dtype.itemsize == 2):
        return np.dtype(np.float32)
    if arr.dtype.kind == "b":
        return np.dtype(np.uint8)
    return arr.dtype


def _reduce_at(arr, idx: tuple, vals, reduce: str, include_self: bool):
    """A copy of `arr` with `vals` reduced in at `idx` (repeated indices combine). With
    include_self=False a reached slot starts from the neutral element, not arr's value;
    an integer mean rounds down (floor), as PyTorch's does."""
    xp = xp_of(arr)
    work = _work_dtype(arr)
    out = arr.astype(work, copy=True)
    v = vals.astype(work, copy=False)
    if not include_self:
        out[idx] = _identity(reduce, work)
    _ufunc_at((_BOOL_AT if arr.dtype.kind == "b" else _AT)[reduce], out, idx, v)
    if reduce == "mean":
        count = xp.ones(out.shape, np.float64)   # (float: cupyx has no int64 atomics)
        if not include_self:
            count[idx] = 0
        _ufunc_at("add", count, idx, xp.ones(v.shape, np.float64))
        count = xp.maximum(count, 1)
        if work.kind in "fc":
            out = out / count.astype(work)
        else:
            out = xp.floor_divide(out.astype(np.int64), count.astype(np.int64))
    return out.astype(arr.dtype, copy=False)


def _prod_grads(g, x, vals, out, idx, include_self):
    """PyTorch's gradient of a product reduction: the product of the others, computed
    without dividing by a zero (a slot with one zero among src sends that zero the product
    of the rest; with two or more zeros every gradient there is zero)."""
    xp = xp_of(g)
    masked_self = xp.where(x == 0, 1, x)
    gx = g * _reduce_at(masked_self, idx, vals, "prod", include_self) / masked_self
    src_zero = vals == 0
    zeros = xp.zeros(x.shape, g.dtype)
    _ufunc_at("add", zeros, idx, src_zero.astype(g.dtype))
    single = src_zero & (zeros[idx] == 1)
    masked_src_result = _reduce_at(x, idx, xp.where(single, 1, vals), "prod", include_self)
    gs = xp.where(single, (g * masked_src_result)[idx],
                  (g * out)[idx] / xp.where(src_zero, 1, vals))
    return gx, gs


def _extremum_grads(g, x, vals, out, idx):
    """amax/amin: the gradient of a slot is split evenly between the values equal to its
    result (self counted when equal, as in PyTorch, even with include_self=False)."""
    self_is = (x == out).astype(g.dtype)
    src_is = (vals == out[idx]).astype(g.dtype)
    n = self_is.copy()
    _ufunc_at("add", n, idx, src_is)
    shared = g / n
    return self_is * shared, src_is * shared[idx]


def _reduce_grads(g, x, vals, out, idx, reduce: str, include_self: bool):
    """(grad to x, grad to the values reduced in) of `_reduce_at`."""
    xp = xp_of(g)
    work = _work_dtype(g)
    if work != g.dtype:
        g, x, vals, out = (a.astype(work) for a in (g, x, vals, out))
    if reduce == "sum":
        gx, gs = g, g[idx]
    elif reduce == "mean":
        n = xp.ones(g.shape, g.dtype) if include_self else xp.zeros(g.shape, g.dtype)
        _ufunc_at("add", n, idx, xp.ones(vals.shape, g.dtype))
        n[n == 0] = 1
        gx, gs = g / n, g[idx] / n[idx]
    elif reduce == "prod":
        gx, gs = _prod_grads(g, x, vals, out, idx, include_self)
    else:
        gx, gs = _extremum_grads(g, x, vals, out, idx)
    if not include_self:
        gx = gx.copy()
        gx[idx] = 0
    return gx, gs


class _ReduceAt(ArrayFunction):
    """`x` with `src` reduced in at `idx` (x and src seen as 1-D when 0-d); `part`: the slice
    of src the index covers (None: all of src). Gradients as PyTorch's (see _reduce_grads);
    the index, x, src and the result are saved, so editing one in place makes backward raise.
    """

    @staticmethod
    def forward(ctx, x, src, idx, part, reduce, include_self, index_tensor):
        arr, s = _as_1d(x), _as_1d(src)
        vals = s if part is None else s[part]
        out = _reduce_at(arr, idx, vals, _LEGACY.get(reduce, reduce), include_self)
        result = _wrap(out.reshape(x._data.shape))
        ctx.save_for_backward(index_tensor, x, src, result)
        ctx.meta = (arr, vals, out, idx, part, reduce, include_self, s.shape, src._data.shape)
        return result

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors   # PyTorch's error if the index, an input or the result was edited
        arr, vals, out, idx, part, reduce, include_self, s_shape, src_shape = ctx.meta
        if reduce in _LEGACY:
            raise RuntimeError(f"Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', "
                               f"'amin' but got {reduce}.")
        gx, gs = _reduce_grads(g.reshape(arr.shape), arr, vals, out, idx, reduce, include_self)
        gx = gx.astype(g.dtype, copy=False).reshape(g.shape)
        gsrc = None
        if ctx.needs_input_grad[1]:
            if part is None:
                gsrc = gs.astype(g.dtype, copy=False)
            else:   # the part of src the index does not cover gets zero
                gsrc = xp_of(g).zeros(s_shape, g.dtype)
                gsrc[part] = gs
            gsrc = gsrc.reshape(src_shape)
        return gx, gsrc, None, None, None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        ctx.saved_tensors
        arr, vals, out, idx, part, reduce, include_self, s_shape, src_shape = ctx.meta
        if reduce == "prod":
            return _prod_formula(ctx, g)
        if reduce not in ("sum", "mean", "amax", "amin"):   # the legacy names
            return backward_without_graph(ctx, (g,), f"derivative for {type(ctx).__name__} is "
                                          f"not implemented: minitorch_nn has no double "
                                          f"backward for scatter_reduce/index_reduce with "
                                          f"reduce='{reduce}'")
        cx, cs = _reduce_coefficients(g._data.dtype, arr, vals, out, idx, reduce, include_self)
        g1 = g.reshape(arr.shape)
        needs = ctx.needs_input_grad
        gx = (g1 * _wrap(cx)).reshape(tuple(g.shape)) if needs[0] else None
        gsrc = None
        if needs[1]:
            gs = Index.apply(g1, idx) * _wrap(cs)
            gsrc = gs if part is None else _padded(gs, part, s_shape, g._data.dtype)
            gsrc = gsrc.reshape(src_shape)
        return gx, gsrc, None, None, None, None, None


def _prod_formula(ctx, g):
    """The gradient of a product reduction written with recorded ops (PyTorch's
    scatter_reduce_backward for "prod"), so it can be differentiated again: x's gradient is
    g * (the product with x's zeros set to 1) / (x with zeros set to 1); a value's gradient is
    g * result / value, or, for the one zero in its slot, g * (the product with it set to 1).
    Two or more zeros in one slot: PyTorch refuses to differentiate the values' gradient."""
    index_tensor, x, src, result = ctx.saved_tensors
    arr, vals, out, idx, part, reduce, include_self, s_shape, src_shape = ctx.meta
    xp, dtype = xp_of(vals), g._data.dtype
    src_zero = vals == 0
    zeros_per_slot = xp.zeros(arr.shape, np.int64)
    _ufunc_at("add", zeros_per_slot, idx, src_zero.astype(np.int64))
    if ctx.needs_input_grad[1] and bool((zeros_per_slot > 1).any()):
        return backward_without_graph(ctx, (g,), "scatter_reduce(): Double backward is "
                                      "unsupported for src when >1 zeros in src are scattered "
                                      "to the same position.")
    needs = ctx.needs_input_grad
    gx = gsrc = None
    if needs[0]:
        masked_x = x.masked_fill(_wrap(x._data == 0), 1)
        others = _ReduceAt.apply(masked_x, src, idx, part, "prod", include_self, index_tensor)
        gx = g * others / masked_x
        if not include_self:
            keep = xp.ones(arr.shape, dtype)
            keep[idx] = 0
            gx = gx * _wrap(keep.reshape(x._data.shape))
    if needs[1]:
        single = src_zero & (zeros_per_slot[idx] == 1)
        single_full = xp.zeros(s_shape, np.bool_)
        single_full[slice(None) if part is None else part] = single
        masked_src = src.masked_fill(_wrap(single_full.reshape(src_shape)), 1)
        without = _ReduceAt.apply(x, masked_src, idx, part, "prod", include_self, index_tensor)
        v = src.reshape(s_shape)
        v = v if part is None else v[part]
        through_zero = Index.apply((g * without).reshape(arr.shape), idx)
        through_result = Index.apply((g * result).reshape(arr.shape), idx) / \
            v.masked_fill(_wrap(src_zero), 1)
        gs = through_result.where(_wrap(~single), through_zero)
        gsrc = gs if part is None else _padded(gs, part, s_shape, dtype)
        gsrc = gsrc.reshape(src_shape)
    return gx, gsrc, None, None, None, None, None


def _reduce_coefficients(dtype, x, vals, out, idx, reduce: str, include_self: bool):
    """The constant factors (for x, for the values) of the gradient of a sum, mean, amax
    or amin reduction: linear in g, so grad = g * cx and g[idx] * cs (see _reduce_grads)."""
    xp = xp_of(x)
    if reduce == "sum":
        cx, cs = xp.ones(x.shape, dtype), xp.ones(vals.shape, dtype)
    elif reduce == "mean":
        n = xp.ones(x.shape, dtype) if include_self else xp.zeros(x.shape, dtype)
        _ufunc_at("add", n, idx, xp.ones(vals.shape, dtype))
        n[n == 0] = 1
        cx = 1 / n
        cs = cx[idx]
    else:
        self_is = (x == out).astype(dtype)
        src_is = (vals == out[idx]).astype(dtype)
        n = self_is.copy()
        _ufunc_at("add", n, idx, src_is)
        cx = self_is / n
        cs = src_is / n[idx]
    if not include_self:
        cx = cx.copy()
        cx[idx] = 0
    return cx, cs


class ScatterReduce(_ReduceAt):
    pass


_REDUCES = ("sum", "prod", "mean", "amax", "amin")
_LEGACY = {"max": "amax", "min": "amin"}   # accepted by PyTorch's forward, not its backward


def _scatter_reduce_args(fn: str, input: Tensor, dim, index, src, reduce: str):
    """Check scatter_reduce's arguments; returns (index tuple, part of src covered)."""
    check_tensor(src, "src", fn, 4)
    if reduce not in _REDUCES and reduce not in _LEGACY:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, "
                           f"got {reduce}")
    idx = _index_array(index, fn, dtype_error="scatter(): Expected dtype int32/int64 for index")
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    d = _wrap_dim(dim, input._data.ndim)
    idx = idx.reshape(1) if idx.ndim == 0 else idx   # 0-d tensors act as 1-element 1-D ones
    _check_index_shape(fn, _as_1d(input).shape, d, idx, _as_1d(src).shape, noun="self")
    kind, name = _LEGACY.get(reduce, reduce), _legacy_name(input.dtype)
    if (kind == "mean" and name == "Bool") or \
            (kind in ("amax", "amin") and name.startswith("Complex")):
        raise NotImplementedError(f'"scatter_gather_tensor_cpu_reduce_{kind}" not '
                                  f"implemented for '{name}'")
    idx = _on_device_of(idx, input._data)
    return _along(idx, d), tuple(slice(0, n) for n in idx.shape)


@op("scatter_reduce", methods=("scatter_reduce",))
def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """A copy of `input` with `src` reduced in at `index` along `dim` ("sum", "prod",
    "mean", "amax" or "amin"); include_self=False leaves input's values out of the reduction
    where the index reaches. An integer mean rounds down, as in PyTorch."""
    idx, part = _scatter_reduce_args("scatter_reduce", input, dim, index, src, reduce)
    return ScatterReduce.apply(input, src, idx, part, reduce, include_self,
                               _kept(index, input))


@method_of("scatter_reduce", "scatter_reduce_")
def scatter_reduce_(self: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                    include_self: bool = True) -> Tensor:
    idx, part = _scatter_reduce_args("scatter_reduce_", self, dim, index, src, reduce)
    return apply_inplace(self, lambda s, v: ScatterReduce.apply(
        s, v, idx, part, reduce, include_self, _kept(index, s)), src)


# ------------------------------------------------------------------ index_select / index_add
def _vector_index(index, fn: str, size: int, pos: int = 2, dtype_error=None):
    idx = _index_array(index, fn, pos=pos, dtype_error=dtype_error)
    if idx.ndim > 1:
        raise IndexError(f"{fn}(): Index is supposed to be a vector")
    idx = idx.reshape(-1)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= size):
        raise IndexError("index out of range in self")
    return idx


class IndexSelect(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, index, index_tensor):
        arr = _as_1d(x)
        ctx.save_for_backward(index_tensor)
        ctx.meta = (x._data.shape, arr.shape, dim, index)
        out = xp_of(arr).take(arr, index, axis=dim)
        return _wrap(out.reshape(()) if x._data.ndim == 0 else out)

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors   # PyTorch's error if the index was edited in place
        shape, shape1d, dim, index = ctx.meta
        z = xp_of(g).zeros(shape1d, g.dtype)
        _add_at(z, (slice(None),) * dim + (index,), g.reshape(-1) if len(shape) == 0 else g)
        return z.reshape(shape), None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        dim, index = ctx.meta[2], ctx.meta[3]
        return linear_formula(ctx, g, lambda t: IndexSelect.apply(t, dim, index, None)), \
            None, None, None


@op("index_select", methods=("index_select",))
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of `input` at positions `index` (a 1-D integer tensor) along `dim`.

        >>> torch.arange(6).view(2, 3).index_select(1, torch.tensor([2, 0]))
        tensor([[2, 0],
                [5, 3]])
    """
    d = _wrap_dim(dim, input._data.ndim)
    idx = _vector_index(index, "index_select", _as_1d(input).shape[d],
                        dtype_error="{fn}(): Expected dtype int32 or int64 for index")
    return IndexSelect.apply(input, d, _on_device_of(idx, input._data),
                             _kept(index, input))


class IndexAdd(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, index, source, alpha, index_tensor):
        ctx.save_for_backward(index_tensor)
        out = x._data.copy()
        where = (slice(None),) * dim + (index,)
        src = source._data if alpha == 1 else source._data * alpha
        _ufunc_at("add", out, where, src.astype(out.dtype, copy=False))
        ctx.meta = (dim, index, alpha, source._data.dtype)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors   # PyTorch's error if the index was edited in place
        dim, index, alpha, dtype = ctx.meta
        gsrc = xp_of(g).take(g, index, axis=dim)
        if alpha != 1:
            gsrc = gsrc * alpha
        return g, None, None, gsrc.astype(dtype, copy=False), None, None

    @staticmethod
    def grad_formula(ctx, g):
        ctx.saved_tensors
        dim, index, alpha, dtype = ctx.meta
        gsrc = None
        if ctx.needs_input_grad[3]:
            gsrc = IndexSelect.apply(g, dim, index, None)
            if alpha != 1:
                gsrc = gsrc * alpha
            if gsrc._data.dtype != dtype:
                gsrc = gsrc.to(_dt.from_numpy_dtype(dtype))
        return g, None, None, gsrc, None, None


def _index_add_args(fn: str, x: Tensor, dim, index, source):
    d = _wrap_dim(dim, x._data.ndim)
    idx = _vector_index(index, fn, x._data.shape[d] if x._data.ndim else 1, pos=3,
                        dtype_error="{fn}(): Expected dtype int32/int64 for index but got: "
                                    "{dtype}")
    check_tensor(source, "source", fn, 3)
    if source.dtype is not x.dtype:
        raise RuntimeError(f"{fn}(): self ({_legacy_name(x.dtype)}) and source "
                           f"({_legacy_name(source.dtype)}) must have the same scalar type")
    s_shape, x_shape = source._data.shape, x._data.shape
    if len(s_shape) != len(x_shape) or any(a != b for k, (a, b) in
                                           enumerate(zip(s_shape, x_shape)) if k != d):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(x_shape)} "
                           f"source.shape = {list(s_shape)}")
    if idx.size != (s_shape[d] if s_shape else 1):
        raise RuntimeError(f"{fn}(): Number of indices ({idx.size}) should be equal to "
                           f"source.size(dim): ({s_shape[d]}), for dim: {d}")
    return d, _on_device_of(idx, x._data)


@op("index_add", methods=("index_add",))
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *,
              alpha=1) -> Tensor:
    """A copy of `input` with `alpha * source` slices added at positions `index` along `dim`."""
    d, idx = _index_add_args("index_add_", input, dim, index, source)
    return IndexAdd.apply(input, d, idx, source, alpha, _kept(index, input))


@method_of("index_add", "index_add_")
def index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    d, idx = _index_add_args("index_add_", self, dim, index, source)
    return apply_inplace(self, lambda s, v: IndexAdd.apply(s, d, idx, v, alpha, _kept(index, s)),
                         source)


# ------------------------------------------------------------------ take
def _long_index(index, fn: str, pos: int):
    """The array of an int64 index tensor (take, put_ and index_copy refuse int32 too)."""
    check_tensor(index, "index", fn, pos)
    if index.dtype is not _dt.int64:
        raise RuntimeError(f"{fn}(): Expected a long tensor for index, but got "
                           f"{_legacy_name(index.dtype)}")
    return index._data


class Take(ArrayFunction):
    @staticmethod
    def forward(ctx, x, index, index_tensor):
        ctx.save_for_backward(index_tensor)
        ctx.meta = (x._data.shape, index)
        return _wrap(x._data.reshape(-1)[index])

    @staticmethod
    def backward(ctx, g):
        ctx.saved_tensors   # PyTorch's error if the index was edited in place
        shape, index = ctx.meta
        z = xp_of(g).zeros(int(np.prod(shape)), g.dtype)
        _add_at(z, index, g)
        return z.reshape(shape), None, None

    @staticmethod
    def grad_formula(ctx, g):
        index = ctx.meta[1]
        return linear_formula(ctx, g, lambda t: Take.apply(t, index, None)), None, None


@op("take", methods=("take",))
def take(input: Tensor, index: Tensor) -> Tensor:
    """Elements of `input` seen as 1-D, at positions `index` (negative counts from the end)."""
    idx = _long_index(index, "take", pos=2)
    n = input._data.size
    if idx.size and n == 0:
        raise IndexError("take(): tried to take from an empty tensor")
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < -n or hi >= n:
            bad = hi if hi >= n else lo
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                             "elements.")
    return Take.apply(input, _on_device_of(idx, input._data), _kept(index, input))
