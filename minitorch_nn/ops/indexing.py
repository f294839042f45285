"""Indexing: `x[index]`, `x[index] = value`, gather / scatter, index_select, masked ops.

PyTorch applies an index in two steps, and so do we:
  1. the BASIC part (ints, slices with positive steps, None, Ellipsis) is a view of `x`;
  2. the ADVANCED part (integer tensors or lists, bool masks) then indexes that view and copies.
Ints are always basic here (unlike numpy, where an int next to an index array becomes an
advanced index), which is why `x[0, :, [0, 1]]` has shape (3, 2) in PyTorch but (2, 3) in
numpy for x of shape (2, 3, 4). Gradients of advanced indexing are scatter-adds (repeated
indices add up). `x[index] = value` is an out-of-place `IndexPut` run through
`ops.inplace.apply_inplace`, so it bumps the version counter and is differentiable with
respect to both `x` and `value`.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..amp.autocast_mode import AUTOCAST as _AMP, autocast_call
from .. import dtypes as _dt
from ..autograd.function import ArrayFunction, _device_mismatch
from ..backends import backend_of
from ..tensor import Tensor, _wrap, _wrap_dim
from ._util import sum_to_shape, xp_of
from .inplace import _legacy_name, _writable, apply_inplace, bump, check_inplace
from .shape import Alias, Select, Slice, Unsqueeze, unbind, view_index

__all__ = ["gather", "scatter", "scatter_add", "index_select", "masked_fill", "masked_select",
           "index_add", "index_put", "take", "nonzero", "argwhere"]


# ------------------------------------------------------------------ array helpers
def _add_at(target, index, values) -> None:
    """target[index] += values, adding once per occurrence of a repeated index."""
    if isinstance(target, np.ndarray):
        np.add.at(target, index, values)
    else:   # cupy
        import cupyx
        cupyx.scatter_add(target, index, values)


def _multiply_at(target, index: tuple, values) -> None:
    """target[index] *= values, once per occurrence. CuPy has no `multiply.at`
    (NotImplementedError): on the GPU this rare path (scatter reduce='multiply') runs on
    the host and copies back."""
    if isinstance(target, np.ndarray):
        np.multiply.at(target, index, values)
        return
    backend = backend_of(target)
    host = backend.to_host(target)
    on_host = [backend.to_host(i) if type(i) is backend.array_type else i for i in index]
    if type(values) is backend.array_type:
        values = backend.to_host(values)
    np.multiply.at(host, tuple(on_host), values)
    target[...] = backend.from_host(host, None)


def _on_device_of(array, like):
    """`array` (numpy or cupy) moved onto the backend of the array `like`."""
    if type(array) is type(like):
        return array
    src, dst = backend_of(array), backend_of(like)
    return dst.xp.asarray(src.to_host(array))


def _tensor_type(t: Tensor) -> str:
    return "torch." + t.dtype._legacy


# ------------------------------------------------------------------ parsing an index
def _as_items(index) -> tuple:
    """The index as a tuple of items (PyTorch's rule for lists that mean a tuple)."""
    if isinstance(index, tuple):
        return index
    if isinstance(index, list) and 0 < len(index) < 32 and any(
            isinstance(i, (Tensor, list, tuple, slice)) or i is None or i is Ellipsis
            for i in index):
        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated "
                      "and will be changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq].",
                      UserWarning, stacklevel=3)
        return tuple(index)
    return (index,)


def _index_error(item) -> IndexError:
    return IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                      f"Variables are valid indices (got {type(item).__name__})")


def _slice_part(v):
    return None if v is None else int(v.__index__())


def _classify(item):
    """(kind, value) for one index item: kind in none/ellipsis/int/slice/bool/array/mask."""
    if item is None:
        return "none", None
    if item is Ellipsis:
        return "ellipsis", None
    if isinstance(item, (bool, np.bool_)):
        return "bool", bool(item)
    if isinstance(item, (int, np.integer)):
        return "int", int(item)
    if isinstance(item, slice):
        step = _slice_part(item.step)
        if step == 0:
            raise ValueError("slice step cannot be zero")
        if step is not None and step < 0:
            raise ValueError("step must be greater than zero")
        return "slice", slice(_slice_part(item.start), _slice_part(item.stop), step)
    if isinstance(item, Tensor):
        return _classify_array(item._data, item)
    if isinstance(item, (list, tuple, np.ndarray)):
        arr = np.asarray(item)
        if arr.size == 0 and arr.dtype.kind not in "biu":
            arr = arr.astype(np.int64)
        return _classify_array(arr, item)
    raise _index_error(item)


def _classify_array(arr, item):
    kind = arr.dtype.kind
    if kind == "u" and arr.dtype.itemsize == 1:
        warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                      "torch.bool instead.", UserWarning, stacklevel=4)
        arr = arr.astype(bool)
        kind = "b"
    if kind == "b":
        return ("bool", bool(arr.item())) if arr.ndim == 0 else ("mask", arr)
    if kind in "iu":
        return ("int", int(arr.item())) if arr.ndim == 0 else ("array", arr)
    if isinstance(item, Tensor):
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    raise _index_error(item)


def _consumed(kind: str, value) -> int:
    """How many dims of the indexed tensor one item uses up."""
    if kind in ("int", "slice", "array"):
        return 1
    if kind == "mask":
        return value.ndim
    return 0


def _check_bounds(arr, size: int, dim: int) -> None:
    """IndexError (PyTorch's text) when an index array holds a value outside [-size, size)."""
    if arr.size == 0:
        return
    lo, hi = int(arr.min()), int(arr.max())
    if lo < -size or hi >= size:
        bad = hi if hi >= size else lo
        raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def _check_mask(mask, shape: tuple, dim: int) -> None:
    for j, n in enumerate(mask.shape):
        if dim + j >= len(shape) or shape[dim + j] != n:
            raise IndexError(f"The shape of the mask {list(mask.shape)} at index {j} does not "
                             f"match the shape of the indexed tensor {list(shape)} at index "
                             f"{dim + j}")


class _Parsed:
    """An index split into its basic part (a view) and its advanced part (a copy).

    `basic`: a numpy basic index for `x._data`, or None when it would change nothing.
    `adv`: None, or an index for the basic result with index arrays (on x's device) at the
    dims they index and `slice(None)` before them. `node`: the view class naming the node.
    `mask_only`: the index was one bool mask (PyTorch then writes like masked_fill).
    """

    __slots__ = ("basic", "adv", "node", "mask_only")


def _parse(x: Tensor, index) -> _Parsed:
    items = [_classify(i) for i in _as_items(index)]
    shape = x._data.shape
    ndim = len(shape)
    if sum(1 for k, _ in items if k == "ellipsis") > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(_consumed(k, v) for k, v in items)
    if used > ndim:
        if ndim == 0 and any(k == "int" for k, _ in items):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    basic, adv = [], []
    d = p = 0              # next dim of x, next dim of the basic result
    n_adv = 0              # dims indexed by arrays so far (PyTorch numbers them in errors)
    node = Alias
    for kind, v in items:
        if kind == "ellipsis":
            k = ndim - used
            basic += [slice(None)] * k
            d, p = d + k, p + k
        elif kind == "none":
            basic.append(None)
            node = Unsqueeze
            p += 1
        elif kind == "int":
            if not -shape[d] <= v < shape[d]:
                raise IndexError(f"index {v} is out of bounds for dimension {d} with size "
                                 f"{shape[d]}")
            basic.append(v)
            node = Select
            d += 1
        elif kind == "slice":
            basic.append(v)
            if v.indices(shape[d]) != (0, shape[d], 1) or len(items) == 1:
                node = Slice
            d, p = d + 1, p + 1
        elif kind == "array":
            _check_bounds(v, shape[d], n_adv)
            basic.append(slice(None))
            adv.append((p, v))
            d, p, n_adv = d + 1, p + 1, n_adv + 1
        elif kind == "mask":
            _check_mask(v, shape, d)
            for j, arr in enumerate(xp_of(v).nonzero(v)):
                adv.append((p + j, arr))
            basic += [slice(None)] * v.ndim
            d, p, n_adv = d + v.ndim, p + v.ndim, n_adv + v.ndim
        else:   # a Python bool: a new dim of size 1 (True) or 0 (False)
            basic.append(None)
            adv.append((p, np.zeros(1 if v else 0, np.int64)))
            p += 1
    out = _Parsed()
    trivial = all(isinstance(b, slice) and b == slice(None) for b in basic)
    out.basic = None if trivial else tuple(basic)
    out.adv = _adv_index(adv, x._data) if adv else None
    out.node = node
    out.mask_only = len(items) == 1 and items[0][0] == "mask"
    return out


def _adv_index(adv: list, like) -> tuple:
    last = max(p for p, _ in adv)
    idx = [slice(None)] * (last + 1)
    for p, arr in adv:
        idx[p] = _on_device_of(arr.astype(np.int64, copy=False), like)
    return tuple(idx)


# ------------------------------------------------------------------ x[index]
class Index(ArrayFunction):
    """Advanced indexing (a copy); backward scatter-adds the gradient (IndexBackward0)."""

    @staticmethod
    def forward(ctx, x, adv):
        ctx.meta = (x._data.shape, adv)
        return _wrap(x._data[adv])

    @staticmethod
    def backward(ctx, g):
        shape, adv = ctx.meta
        z = xp_of(g).zeros(shape, g.dtype)
        _add_at(z, adv, g)
        return z, None


def getitem(self: Tensor, index) -> Tensor:
    """`x[index]`: a view for ints/slices/None/Ellipsis, a copy once tensors or lists appear.

        >>> x = torch.arange(6).view(2, 3)
        >>> x[1, ::2], x[:, [2, 0]], x[x > 3]
        (tensor([3, 5]), tensor([[2, 0], [5, 3]]), tensor([4, 5]))
    """
    parsed = _parse(self, index)
    out = self
    if parsed.basic is not None or parsed.adv is None:
        idx = view_index(parsed.basic if parsed.basic is not None else ())
        out = parsed.node.apply(self, idx)
    if parsed.adv is not None:
        out = Index.apply(out, parsed.adv)
    return out


# ------------------------------------------------------------------ x[index] = value
def _value_array(value, x):
    """The value to write into `x`'s array: an array cast to x's dtype, or a Python scalar."""
    if not isinstance(value, Tensor):
        return value
    arr = value._data
    if type(arr) is not type(x._data):
        if arr.ndim != 0:
            _device_mismatch(x, value)
        arr = _on_device_of(arr, x._data)
    return arr.astype(x._data.dtype, copy=False)


def _put(arr, key, value, accumulate: bool) -> None:
    """Write `value` into `arr` at `key` = (basic, adv), in place (PyTorch's shape errors)."""
    basic, adv = key
    target = arr[view_index(basic)] if basic is not None else arr
    try:
        if adv is None:
            if accumulate:
                target += value
            else:
                target[...] = value
        elif accumulate:
            _add_at(target, adv, value)
        else:
            target[adv] = value
    except ValueError:
        raise RuntimeError(_shape_mismatch(target, adv, value)) from None


def _shape_mismatch(target, adv, value) -> str:
    vshape = list(getattr(value, "shape", ()))
    if adv is None:
        region = list(target.shape)
        if len(vshape) > len(region):
            return (f"expand(torch.Tensor{{{vshape}}}, size={region}): the number of sizes "
                    f"provided ({len(region)}) must be greater or equal to the number of "
                    f"dimensions in the tensor ({len(vshape)})")
        for i in range(1, len(vshape) + 1):
            if vshape[-i] not in (1, region[-i]):
                d = len(region) - i
                return (f"The expanded size of the tensor ({region[-i]}) must match the "
                        f"existing size ({vshape[-i]}) at non-singleton dimension {d}.  "
                        f"Target sizes: {region}.  Tensor sizes: {vshape}")
        return f"cannot copy a tensor of shape {vshape} into a region of shape {region}"
    region = list(_region_shape(target.shape, adv))
    return (f"shape mismatch: value tensor of shape {vshape} cannot be broadcast to indexing "
            f"result of shape {region}")


def _region_shape(shape: tuple, adv: tuple) -> tuple:
    """The shape `a[adv]` would have for an array `a` of `shape` (computed without data)."""
    dummy = np.lib.stride_tricks.as_strided(np.zeros(1, np.int8), shape, (0,) * len(shape))
    host = tuple(i if isinstance(i, slice) else backend_of(i).to_host(i) for i in adv)
    return dummy[host].shape


def _region(arr, key):
    basic, adv = key
    view = arr[view_index(basic)] if basic is not None else arr
    return view if adv is None else view[adv]


def _sum_to(g, shape: tuple):
    """`g` summed down to `shape`, which may carry extra leading 1-dims (value broadcasting)."""
    if g.ndim < len(shape):
        g = g.reshape((1,) * (len(shape) - g.ndim) + g.shape)
    return sum_to_shape(g, tuple(shape))


class IndexPut(ArrayFunction):
    """The out-of-place form of `x[key] = value`: a copy of x with the region written.

    Grad to x: the gradient with the region zeroed (kept whole when accumulating);
    grad to value: the gradient of the region, summed down to value's shape.
    """

    @staticmethod
    def forward(ctx, x, key, value, accumulate):
        out = x._data.copy()
        _put(out, key, _value_array(value, x), accumulate)
        vmeta = (value._data.shape, value._data.dtype) if isinstance(value, Tensor) else None
        ctx.meta = (key, accumulate, vmeta)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        key, accumulate, vmeta = ctx.meta
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = g
            if not accumulate:
                gx = g.copy()
                _put(gx, key, 0, False)
        if vmeta is not None and ctx.needs_input_grad[2]:
            gv = _sum_to(_region(g, key), vmeta[0]).astype(vmeta[1], copy=False)
        return gx, None, gv, None


def _check_value(self: Tensor, value) -> None:
    if isinstance(value, Tensor) or isinstance(value, (bool, int, float, complex, np.generic)):
        return
    raise TypeError(f"can't assign a {type(value).__name__} to a {_tensor_type(self)}")


def _write(self: Tensor, key: tuple, value, accumulate: bool) -> Tensor:
    """Write in place: the fast path without a graph, else IndexPut through apply_inplace."""
    if check_inplace(self, value):
        return apply_inplace(self, lambda s, v: IndexPut.apply(s, key, v, accumulate), value)
    if not _writable(self._data):
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.")
    _put(self._data, key, _value_array(value, self), accumulate)
    bump(self)
    return self


def _check_put_dtype(self: Tensor, parsed: _Parsed, value) -> None:
    """Basic regions cast the value (copy_); PyTorch's index_put wants equal dtypes."""
    if parsed.adv is None or not isinstance(value, Tensor) or value.dtype is self.dtype:
        return
    if parsed.mask_only and value.dim() == 0:
        return
    raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                       f"{_legacy_name(self.dtype)} for the destination and "
                       f"{_legacy_name(value.dtype)} for the source.")


def setitem(self: Tensor, index, value) -> None:
    """`x[index] = value` in place: value is a number or a tensor broadcast to the region.

        >>> z = torch.zeros(2, 3); z[0] = torch.tensor([1., 2., 3.]); z[:, 0] = 7
    """
    _check_value(self, value)
    parsed = _parse(self, index)
    _check_put_dtype(self, parsed, value)
    _write(self, (parsed.basic, parsed.adv), value, False)


def _index_tuple(x: Tensor, indices, values, fn: str) -> tuple:
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{fn}(): argument 'indices' (position 1) must be tuple of Tensors, "
                        f"not {type(indices).__name__}")
    parsed = _parse(x, tuple(indices))
    _check_put_dtype(x, parsed, values)
    return parsed.basic, parsed.adv


def index_put_(self: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """`self[indices] = values` (or `+=` with accumulate=True, repeated indices adding up)."""
    _check_value(self, values)
    return _write(self, _index_tuple(self, indices, values, "index_put_"), values, accumulate)


def index_put(input: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    if _AMP.on and _AMP.active():
        return autocast_call("index_put", index_put, input, indices, values, accumulate)
    key = _index_tuple(input, indices, values, "index_put")
    return IndexPut.apply(input, key, values, accumulate)


# ------------------------------------------------------------------ gather / scatter
def _index_array(index, fn: str, arg: str = "index", pos: int = 3, dtype_error=None):
    """The array of an integer index tensor; PyTorch's TypeError/RuntimeError otherwise."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{type(index).__name__}")
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


def _check_index_shape(fn: str, x_shape, dim: int, index, src_shape=None) -> None:
    if index.ndim != len(x_shape):
        raise RuntimeError("Index tensor must have the same number of dimensions as input "
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
    def forward(ctx, x, dim, index):
        arr = _as_1d(x)
        flat = index.reshape(1) if index.ndim == 0 else index
        idx = _along(flat, dim)
        ctx.meta = (x._data.shape, arr.shape, flat.shape, idx)
        return _wrap(arr[idx].reshape(index.shape))

    @staticmethod
    def backward(ctx, g):
        shape, shape1d, flat_shape, idx = ctx.meta
        z = xp_of(g).zeros(shape1d, g.dtype)
        _add_at(z, idx, g.reshape(flat_shape))
        return z.reshape(shape), None, None


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
    return Gather.apply(input, d, _on_device_of(idx, input._data))


class Scatter(ArrayFunction):
    """A copy of x with `src` (or a number) written at `index` along `dim`.

    Grad to x: zero where written; grad to src: the gradient at the written places, for the
    part of src that `index` covers. With `reduce` there is no gradient (as in PyTorch).
    """

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce):
        out = x._data.copy()
        idx = _along(index, dim)
        part = tuple(slice(0, n) for n in index.shape)
        vals = src._data[part].astype(out.dtype, copy=False) if isinstance(src, Tensor) \
            else src
        if reduce is None:
            out[idx] = vals
        elif reduce == "add":
            _add_at(out, idx, xp_of(out).broadcast_to(xp_of(out).asarray(vals, out.dtype),
                                                      index.shape))
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
        gx = g.copy()
        gx[idx] = 0
        gsrc = None
        if src_meta is not None:
            gsrc = xp_of(g).zeros(src_meta[0], src_meta[1])
            gsrc[part] = g[idx]
        return gx, None, None, gsrc, None


class ScatterAdd(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, index, src):
        out = x._data.copy()
        idx = _along(index, dim)
        part = tuple(slice(0, n) for n in index.shape)
        _add_at(out, idx, src._data[part])
        ctx.meta = (idx, part, src._data.shape, src._data.dtype)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        idx, part, shape, dtype = ctx.meta
        gsrc = xp_of(g).zeros(shape, dtype)
        gsrc[part] = g[idx]
        return g, None, None, gsrc


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
        _check_index_shape(fn, input._data.shape, d, idx, src._data.shape)
    else:
        _check_index_shape(fn, input._data.shape, d, idx)
    return d, _on_device_of(idx, input._data), src


def _check_reduce(reduce):
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None,
            reduce=None) -> Tensor:
    """A copy of `input` with `src[i][j]` written at `[index[i][j]][j]` (dim=0) and so on.

    `src` may be a tensor (same dtype as input) or a number (`value=`).
    """
    _check_reduce(reduce)
    d, idx, src = _scatter_args("scatter", input, dim, index, src, value)
    return Scatter.apply(input, d, idx, src, reduce)


def scatter_(self: Tensor, dim: int, index: Tensor, src=None, *, value=None,
             reduce=None) -> Tensor:
    _check_reduce(reduce)
    d, idx, src = _scatter_args("scatter_", self, dim, index, src, value)
    return apply_inplace(self, lambda s, v: Scatter.apply(s, d, idx, v, reduce), src)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of `input` with `src` added at `index` along `dim` (repeats add up)."""
    if _AMP.on and _AMP.active():
        return autocast_call("scatter_add", scatter_add, input, dim, index, src)
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 3) must be Tensor, not "
                        f"{type(src).__name__}")
    d, idx, src = _scatter_args("scatter_add", input, dim, index, src, None)
    return ScatterAdd.apply(input, d, idx, src)


def scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add_(): argument 'src' (position 3) must be Tensor, not "
                        f"{type(src).__name__}")
    d, idx, src = _scatter_args("scatter_add_", self, dim, index, src, None)
    return apply_inplace(self, lambda s, v: ScatterAdd.apply(s, d, idx, v), src)


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
    def forward(ctx, x, dim, index):
        arr = _as_1d(x)
        ctx.meta = (x._data.shape, arr.shape, dim, index)
        out = xp_of(arr).take(arr, index, axis=dim)
        return _wrap(out.reshape(()) if x._data.ndim == 0 else out)

    @staticmethod
    def backward(ctx, g):
        shape, shape1d, dim, index = ctx.meta
        z = xp_of(g).zeros(shape1d, g.dtype)
        _add_at(z, (slice(None),) * dim + (index,), g.reshape(-1) if len(shape) == 0 else g)
        return z.reshape(shape), None, None


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of `input` at positions `index` (a 1-D integer tensor) along `dim`.

        >>> torch.arange(6).view(2, 3).index_select(1, torch.tensor([2, 0]))
        tensor([[2, 0],
                [5, 3]])
    """
    d = _wrap_dim(dim, input._data.ndim)
    idx = _vector_index(index, "index_select", _as_1d(input).shape[d],
                        dtype_error="{fn}(): Expected dtype int32 or int64 for index")
    return IndexSelect.apply(input, d, _on_device_of(idx, input._data))


class IndexAdd(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dim, index, source, alpha):
        out = x._data.copy()
        where = (slice(None),) * dim + (index,)
        src = source._data if alpha == 1 else source._data * alpha
        _add_at(out, where, src.astype(out.dtype, copy=False))
        ctx.meta = (dim, index, alpha, source._data.dtype)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        dim, index, alpha, dtype = ctx.meta
        gsrc = xp_of(g).take(g, index, axis=dim)
        if alpha != 1:
            gsrc = gsrc * alpha
        return g, None, None, gsrc.astype(dtype, copy=False), None


def _index_add_args(fn: str, x: Tensor, dim, index, source):
    d = _wrap_dim(dim, x._data.ndim)
    idx = _vector_index(index, fn, x._data.shape[d] if x._data.ndim else 1, pos=3,
                        dtype_error="{fn}(): Expected dtype int32/int64 for index but got: "
                                    "{dtype}")
    if not isinstance(source, Tensor):
        raise TypeError(f"{fn}(): argument 'source' (position 3) must be Tensor, not "
                        f"{type(source).__name__}")
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


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *,
              alpha=1) -> Tensor:
    """A copy of `input` with `alpha * source` slices added at positions `index` along `dim`."""
    d, idx = _index_add_args("index_add_", input, dim, index, source)
    return IndexAdd.apply(input, d, idx, source, alpha)


def index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    d, idx = _index_add_args("index_add_", self, dim, index, source)
    return apply_inplace(self, lambda s, v: IndexAdd.apply(s, d, idx, v, alpha), source)


# ------------------------------------------------------------------ masked ops
_CPP_NAMES = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "float16": "c10::Half", "bfloat16": "c10::BFloat16",
              "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}
def _mask_array(mask, fn: str, message: str):
    if not isinstance(mask, Tensor):
        raise TypeError(f"{fn}(): argument 'mask' (position 1) must be Tensor, not "
                        f"{type(mask).__name__}")
    if mask.dtype is not _dt.bool:
        name = mask.dtype.name
        raise RuntimeError(message.format(dtype=_CPP_NAMES.get(name, name)))
    return mask._data


class MaskedFill(ArrayFunction):
    """`where(mask, value, x)` in x's dtype, broadcast; grad to a 0-d value tensor is the sum."""

    @staticmethod
    def forward(ctx, x, mask, value):
        xp = xp_of(x._data)
        v = value._data if isinstance(value, Tensor) else value
        v = xp.asarray(v).astype(x._data.dtype)
        out = xp.where(mask, v, x._data)
        vmeta = value._data.dtype if isinstance(value, Tensor) else None
        ctx.meta = (x._data.shape, mask, vmeta)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        shape, mask, vdtype = ctx.meta
        xp = xp_of(g)
        gx = sum_to_shape(xp.where(mask, 0, g), shape) if ctx.needs_input_grad[0] else None
        gv = None
        if vdtype is not None and ctx.needs_input_grad[2]:
            gv = xp.where(mask, g, 0).sum().astype(vdtype)
        return gx, None, gv


def _fill_value(value):
    if isinstance(value, Tensor) and value.dim() != 0:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.dim()} dimension(s).")
    return value


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """`input` with `value` (a number or 0-d tensor) wherever `mask` (bool, broadcast) is True.

        >>> torch.zeros(3).masked_fill(torch.tensor([True, False, True]), 5.0)
        tensor([5., 0., 5.])
    """
    m = _mask_array(mask, "masked_fill", "masked_fill_ only supports boolean masks, but got "
                                         "mask with dtype {dtype}")
    return MaskedFill.apply(input, _on_device_of(m, input._data), _fill_value(value))


def masked_fill_(self: Tensor, mask: Tensor, value) -> Tensor:
    m = _on_device_of(_mask_array(mask, "masked_fill_", "masked_fill_ only supports boolean "
                                                        "masks, but got mask with dtype "
                                                        "{dtype}"), self._data)
    value = _fill_value(value)
    return apply_inplace(self, lambda s, v: MaskedFill.apply(s, m, v), value)


class MaskedSelect(ArrayFunction):
    @staticmethod
    def forward(ctx, x, mask):
        xp = xp_of(x._data)
        shape = np.broadcast_shapes(x._data.shape, mask.shape)
        m = xp.broadcast_to(mask, shape)
        ctx.meta = (x._data.shape, m)
        return _wrap(xp.broadcast_to(x._data, shape)[m])

    @staticmethod
    def backward(ctx, g):
        shape, m = ctx.meta
        z = xp_of(g).zeros(m.shape, g.dtype)
        z[m] = g
        return sum_to_shape(z, shape), None


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of `input` where `mask` (bool, broadcast together) is True, as 1-D."""
    m = _mask_array(mask, "masked_select", "masked_select: expected BoolTensor for mask")
    try:
        np.broadcast_shapes(input._data.shape, m.shape)
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({input.shape[-1]}) must match the size of "
                           f"tensor b ({mask.shape[-1]}) at non-singleton dimension") from None
    return MaskedSelect.apply(input, _on_device_of(m, input._data))


# ------------------------------------------------------------------ take / nonzero
class Take(ArrayFunction):
    @staticmethod
    def forward(ctx, x, index):
        ctx.meta = (x._data.shape, index)
        return _wrap(x._data.reshape(-1)[index])

    @staticmethod
    def backward(ctx, g):
        shape, index = ctx.meta
        z = xp_of(g).zeros(int(np.prod(shape)), g.dtype)
        _add_at(z, index, g)
        return z.reshape(shape), None


def take(input: Tensor, index: Tensor) -> Tensor:
    """Elements of `input` seen as 1-D, at positions `index` (negative counts from the end)."""
    idx = _index_array(index, "take", pos=2, dtype_error="{fn}(): Expected a long tensor for "
                                                       "index, but got {dtype}")
    n = input._data.size
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < -n or hi >= n:
            bad = hi if hi >= n else lo
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                             "elements.")
    return Take.apply(input, _on_device_of(idx, input._data))


def nonzero(input: Tensor, *, out=None, as_tuple: bool = False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or a tuple of 1-D ones."""
    xp = xp_of(input._data)
    arr = input._data.reshape(1) if input._data.ndim == 0 else input._data
    found = xp.nonzero(arr)
    if as_tuple:
        return tuple(_wrap(i.astype(np.int64)) for i in found)
    stacked = xp.stack(found, axis=1).astype(np.int64) if found else xp.zeros((0, 0), np.int64)
    if input._data.ndim == 0:
        stacked = stacked[:, :0]
    return _wrap(stacked)


def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)


# ------------------------------------------------------------------ Tensor methods
def _iter(self: Tensor):
    if self._data.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return iter(unbind(self, 0))


def _index_put_method(self: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    return index_put(self, indices, values, accumulate)


METHODS = {
    "__getitem__": getitem, "__setitem__": setitem, "__iter__": _iter,
    "gather": gather, "scatter": scatter, "scatter_": scatter_, "scatter_add": scatter_add,
    "scatter_add_": scatter_add_, "index_select": index_select, "index_add": index_add,
    "index_add_": index_add_, "index_put": _index_put_method, "index_put_": index_put_,
    "masked_fill": masked_fill, "masked_fill_": masked_fill_, "masked_select": masked_select,
    "take": take, "nonzero": nonzero, "argwhere": argwhere,
}
