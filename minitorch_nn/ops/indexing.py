"""Indexing: `x[index]`, `x[index] = value` and index_put. Gather / scatter / index_select /
index_add / take are in ops/scatter_gather.py, masked ops and nonzero in ops/masked.py.

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

import numpy as np

from .._user_warning import warn_user
from ..autograd.function import ArrayFunction, _device_mismatch
from ..autograd.grad_mode import _state
from ..autograd.higher_order import linear_formula, sum_to
from ..dtypes import from_numpy_dtype
from ..array_backends import backend_of
from ..tensor import Tensor, _wrap
from ._util import sum_to_shape, xp_of
from .inplace import _legacy_name, _writable, apply_inplace, bump, check_inplace
from .registry import method_of, op
from .views import Alias, Select, Slice, Unsqueeze, view_index


# ------------------------------------------------------------------ array helpers
def _add_at(target, index, values) -> None:
    """target[index] += values, adding once per occurrence of a repeated index."""
    _ufunc_at("add", target, index if isinstance(index, tuple) else (index,), values)


# cupyx's scatter routines and the dtypes (numpy type chars) their atomics support
_CUPYX_AT = {"add": ("scatter_add", "iILQefd"), "maximum": ("scatter_max", "iILQfd"),
             "minimum": ("scatter_min", "iILQfd")}


def _ufunc_at(name: str, target, index: tuple, values) -> None:
    """`target[index] = name(target[index], values)` once per occurrence of an index, for a
    numpy ufunc `name`. On the GPU: cupyx's atomic scatter where it has one for the dtype,
    else (multiply; int64, int8/16, uint8, complex) this rare path runs on the host and
    copies back."""
    if isinstance(target, np.ndarray):
        getattr(np, name).at(target, index, values)
        return
    routine, chars = _CUPYX_AT.get(name, (None, ""))
    if target.dtype.char in chars and type(values) is type(target):
        import cupyx
        getattr(cupyx, routine)(target, index, values.astype(target.dtype, copy=False))
        return
    backend = backend_of(target)
    host = backend.to_host(target)
    on_host = [backend.to_host(i) if type(i) is backend.array_type else i for i in index]
    if type(values) is backend.array_type:
        values = backend.to_host(values)
    getattr(np, name).at(host, tuple(on_host), values)
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
        warn_user("Using a non-tuple sequence for multidimensional indexing is deprecated "
                  "and will be changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq].",
                  UserWarning)
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
        warn_user("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                  "torch.bool instead.", UserWarning)
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

    @staticmethod
    def grad_formula(ctx, g):
        adv = ctx.meta[1]
        return linear_formula(ctx, g, lambda t: Index.apply(t, adv)), None


@op("__getitem__", namespace="Tensor", methods=("__getitem__",))
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

    @staticmethod
    def grad_formula(ctx, g):
        key, accumulate, vmeta = ctx.meta
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = g if accumulate else IndexPut.apply(g, key, 0, False)
        if vmeta is not None and ctx.needs_input_grad[2]:
            gv = _region_tensor(g, key)
            shape = vmeta[0]
            if gv.dim() < len(shape):
                gv = gv.reshape((1,) * (len(shape) - gv.dim()) + tuple(gv.shape))
            gv = sum_to(gv, shape)
            if gv._data.dtype != vmeta[1]:
                gv = gv.to(from_numpy_dtype(vmeta[1]))
        return gx, None, gv, None


def _region_tensor(g: Tensor, key) -> Tensor:
    """`_region` with recorded Tensor ops (differentiable in g)."""
    basic, adv = key
    view = Alias.apply(g, view_index(basic)) if basic is not None else g
    return view if adv is None else Index.apply(view, adv)


def _check_value(self: Tensor, value) -> None:
    if isinstance(value, Tensor) or isinstance(value, (bool, int, float, complex, np.generic)):
        return
    raise TypeError(f"can't assign a {type(value).__name__} to a {_tensor_type(self)}")


def _write(self: Tensor, key: tuple, value, accumulate: bool) -> Tensor:
    """Write in place: the fast path without a graph, else IndexPut through apply_inplace.

    As in PyTorch, a key with a basic part writes into the view `self[basic]`, so `self`
    continues from a CopySlices node (`z[0] = v`); without one (`z[[0]] = v`, a mask) the
    write is an IndexPut on `self` itself. A view `self` is written as it is: its base gets
    the CopySlices node and `self` its AsStridedBackward0.
    """
    basic, adv = key
    if basic is not None and self._base is None and _state.enabled and (
            self._requires_grad or getattr(value, "_requires_grad", False)):
        view = Alias.apply(self, view_index(basic))
        apply_inplace(view, lambda s, v: IndexPut.apply(s, (None, adv), v, accumulate), value)
        return self
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


@op("__setitem__", namespace="Tensor", methods=("__setitem__",))
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


@op("index_put", methods=("index_put",))
def index_put(input: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    key = _index_tuple(input, indices, values, "index_put")
    return IndexPut.apply(input, key, values, accumulate)


@method_of("index_put", "index_put_")
def index_put_(self: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """`self[indices] = values` (or `+=` with accumulate=True, repeated indices adding up)."""
    _check_value(self, values)
    return _write(self, _index_tuple(self, indices, values, "index_put_"), values, accumulate)
