"""Binning: searchsorted, bucketize, histc, histogram, bincount.

searchsorted is PyTorch's binary search (also over the rows of an N-D `sorted_sequence`):
left finds the first boundary not below the value (`!(b >= v)` moves right), right the first
above it, so NaN values land at the end and NaN boundaries compare as PyTorch's do. Values and
boundaries are compared in their promoted dtype (float16/bfloat16 in float32).
histc/histogram bin like PyTorch's histogram kernel: equal-width edges from its linspace,
an element's bin by the kernel's division (histogram then checks the neighbouring edges),
the last bin closed on the right, elements outside the range (and NaN) skipped.
None of them has a derivative: histc's result needs no grad (as PyTorch's); histogram and
weighted bincount keep PyTorch's `NotImplemented` node, whose backward raises.
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import dtypes as _dt, return_types
from ..autograd.function import ArrayFunction
from ..creation import _linspace_values
from ..tensor import Tensor, _wrap
from ._quiet import quiet_numpy
from ._reduce_util import _type_name, xp_of
from ._util import check_tensor, to_tensor
from .registry import op



def _name(x) -> str:
    return _type_name(_dt.from_numpy_dtype(x.dtype))


def _not_implemented(kernel: str, arr) -> NotImplementedError:
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_name(arr)}'")


# ====================================================================== searchsorted
def _binary_search(bd, vals, right: bool):
    """PyTorch's searchsorted loop, vectorized: bd (B, n) or (1, n) rows, vals (B, m)."""
    xp = xp_of(bd)
    n = bd.shape[-1]
    lo = xp.zeros(vals.shape, dtype=np.int64)
    hi = xp.full(vals.shape, n, dtype=np.int64)
    for _ in range(int(n).bit_length()):
        active = lo < hi
        mid = (lo + hi) // 2
        at = xp.take_along_axis(bd, xp.minimum(mid, n - 1), axis=-1)
        go_right = ~(at > vals) if right else ~(at >= vals)
        lo = xp.where(active & go_right, mid + 1, lo)
        hi = xp.where(active & ~go_right, mid, hi)
    return lo


def _searchsorted_checks(bd: Tensor, values, side, right: bool, sorter) -> bool:
    """PyTorch's argument errors; returns whether the search is right-sided."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError("torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
    if bd.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension")
    if bd.ndim > 1:
        if values.ndim == 0:
            raise RuntimeError("torch.searchsorted(): input value can be a scalar only when "
                               f"boundaries tensor dimension is 1, but we got boundaries tensor "
                               f"dim({bd.ndim}) and input value's dim(0) numel(1)")
        if values.ndim != bd.ndim or values.shape[:-1] != bd.shape[:-1]:
            raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or "
                               "the first N-1 dimensions of boundaries tensor and input value "
                               f"tensor must match, but we got boundaries tensor "
                               f"{list(bd.shape)} and input value tensor {list(values.shape)}")
    for arr in (bd._data, values._data):
        if arr.dtype.kind in "bc":
            raise _not_implemented("searchsorted_out_cpu", arr)
    if sorter is not None:
        check_tensor(sorter, "sorter", "searchsorted")
        if sorter.dtype is not _dt.int64:
            raise RuntimeError("torch.searchsorted(): sorter must be a tensor of long dtype but "
                               f"got dtype {_name(sorter._data)}")
        if sorter.shape != bd.shape:
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {list(bd.shape)}and got sorter "
                               f"tensor {list(sorter.shape)}")
        s = sorter._data
        if s.size and (bool((s < 0).any()) or bool((s >= bd.shape[-1]).any())):
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
    return bool(right) or side == "right"


def _compare_dtype(bd: Tensor, values) -> np.dtype:
    np_dtype = _dt.result_type(bd, values).np
    return np.dtype(np.float32) if np_dtype.name in ("float16", "bfloat16") else np_dtype


@quiet_numpy
def _search(bd: Tensor, values: Tensor, right: bool, sorter, out_int32: bool) -> Tensor:
    xp = xp_of(bd._data)
    cmp = _compare_dtype(bd, values)
    b = bd._data.astype(cmp, copy=False)
    v = values._data.astype(cmp, copy=False)
    if sorter is not None:
        b = xp.take_along_axis(b, sorter._data, axis=-1)
    if b.ndim == 1 and not (b.dtype.kind == "f" and bool(xp.isnan(b).any())):
        idx = xp.searchsorted(b, v, side="right" if right else "left")
    elif b.ndim == 1:
        idx = _binary_search(b.reshape(1, -1), v.reshape(1, -1), right).reshape(v.shape)
    else:
        n = b.shape[-1]
        rows = int(np.prod(b.shape[:-1]))
        idx = _binary_search(b.reshape(rows, n), v.reshape(rows, -1), right).reshape(v.shape)
    return _wrap(xp.asarray(idx).astype(np.int32 if out_int32 else np.int64))


def _as_values(values, like: Tensor, fn: str, name: str) -> Tensor:
    if isinstance(values, Tensor):
        return values
    if isinstance(values, numbers.Number) and not isinstance(values, complex):
        return to_tensor(values, like)
    raise TypeError(f"{fn}(): argument '{name}' must be Tensor or Number, not "
                    f"{type(values).__name__}")


@op("searchsorted")
def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False,
                 right: bool = False, side=None, sorter=None) -> Tensor:
    """Indices where `input` would be inserted into the innermost dim of `sorted_sequence`
    to keep it sorted (left: before equal values; right=True or side='right': after)."""
    check_tensor(sorted_sequence, "sorted_sequence", "searchsorted")
    values = _as_values(input, sorted_sequence, "searchsorted", "input")
    is_right = _searchsorted_checks(sorted_sequence, values, side, right, sorter)
    return _search(sorted_sequence, values, is_right, sorter, bool(out_int32))


@op("bucketize")
def bucketize(input, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False) -> Tensor:
    """The bucket of each element of `input` given 1-D sorted `boundaries` (searchsorted of
    input into boundaries; right=True puts a value equal to a boundary after it)."""
    check_tensor(boundaries, "boundaries", "bucketize", 2)
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got "
                           f"dim({boundaries.ndim})")
    values = _as_values(input, boundaries, "bucketize", "input")
    _searchsorted_checks(boundaries, values, None, right, None)
    return _search(boundaries, values, bool(right), None, bool(out_int32))


# ====================================================================== histograms
def _bin_positions(x, edges, algorithm: str):
    """PyTorch's histogram kernel: the bin of every element of flat `x` (float, the input's
    dtype), -1 for the skipped ones. `algorithm`: 'linear' (histc), 'local' (histogram
    with a bin count) or 'search' (histogram with given edges)."""
    xp = xp_of(x)
    nb = edges.shape[0] - 1
    left, right = edges[0], edges[-1]
    inside = (x >= left) & (x <= right)
    if algorithm == "search":
        pos = _binary_search(edges.reshape(1, -1), x.reshape(1, -1), True).reshape(-1) - 1
    else:
        t = (x - left) * x.dtype.type(nb) / (right - left)
        pos = xp.where(inside, t, 0).astype(np.int64)
        if algorithm == "local":   # upper_bound among edges[pos - 1 : pos + 2]
            lo = xp.maximum(pos - 1, 0)
            hi = xp.minimum(pos + 2, nb + 1)
            count = xp.zeros(pos.shape, dtype=np.int64)
            for j in range(3):
                e = edges[xp.minimum(lo + j, nb)]
                count += ((lo + j < hi) & ~(x < e)).astype(np.int64)
            pos = lo + count - 1
    pos = xp.where(pos == nb, nb - 1, pos)
    return xp.where(inside, pos, -1)


def _count(pos, nb: int, weight, out_dtype):
    xp = xp_of(pos)
    keep = pos >= 0
    w = None if weight is None else weight[keep].astype(np.float64)
    hist = xp.bincount(pos[keep], weights=w, minlength=nb)[:nb]
    return hist.astype(out_dtype)


def _check_bins(bins: int) -> None:
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                           "dimension 0")


def _check_int(value, name: str, fn: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}(): argument '{name}' must be int, not {type(value).__name__}")
    return int(value)


def _check_float(value, name: str, fn: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}(): argument '{name}' must be Number, not "
                        f"{type(value).__name__}")
    return float(value)


def _fmt(v: float) -> str:
    return str(int(v)) if np.isfinite(v) and v == int(v) else str(v)


@op("histc", methods=("histc",))
def histc(input: Tensor, bins: int = 100, min=0, max=0) -> Tensor:
    """Counts of the elements in `bins` equal-width bins over [min, max] (the data's range
    when min == max; widened by 1 each side if that is still empty), as `input`'s dtype."""
    check_tensor(input, "input", "histc")
    bins = _check_int(bins, "bins", "histc")
    lo, hi = _check_float(min, "min", "histc"), _check_float(max, "max", "histc")
    arr = input._data
    if arr.dtype.kind != "f" and arr.dtype.name != "bfloat16":
        raise _not_implemented("histogram_cpu", arr)
    _check_bins(bins)
    return _histc(input, bins, lo, hi)


@quiet_numpy
def _histc(input: Tensor, bins: int, lo: float, hi: float) -> Tensor:
    xp = xp_of(input._data)
    flat = input._data.reshape(-1)
    if lo == hi and flat.size:
        lo, hi = float(flat.min()), float(flat.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{_fmt(lo)}, {_fmt(hi)}] is not finite")
    if not lo < hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    dt = _dt.from_numpy_dtype(flat.dtype)
    edges = xp.asarray(_linspace_values(lo, hi, bins + 1, dt).astype(flat.dtype))
    return _wrap(_count(_bin_positions(flat, edges, "linear"), bins, None, flat.dtype))


class _NoDerivative(ArrayFunction):
    """A result PyTorch gives the node `NotImplemented`: its backward raises."""

    node_name = "NotImplemented"
    _aten = ""

    @classmethod
    def _raise(cls):
        raise RuntimeError(f"derivative for aten::{cls._aten} is not implemented")


class Histogram(_NoDerivative):
    node_name = "NotImplemented"
    node_qualified_name = "torch::autograd::NotImplemented"
    _aten = "histogram"

    @staticmethod
    def forward(ctx, x, edges, algorithm, weight, density):
        flat = x._data.reshape(-1)
        e = edges._data
        nb = e.shape[0] - 1
        w = None if weight is None else weight._data.reshape(-1)
        hist = _count(_bin_positions(flat, e, algorithm), nb, w, flat.dtype)
        if density:
            hist = hist / hist.sum()
            hist = hist / xp_of(e).diff(e)
        return _wrap(hist.astype(flat.dtype, copy=False)), _wrap(e.copy())

    @staticmethod
    def backward(ctx, *grads):
        Histogram._raise()


def _check_points(input: Tensor, fn: str) -> None:
    """histogram/histogramdd take float32/float64 points (PyTorch's kernel is histogramdd's)."""
    check_tensor(input, "input", fn)
    if input._data.dtype.kind != "f" or input._data.dtype.itemsize < 4:
        raise _not_implemented("histogramdd", input._data)


def _histogram_checks(input: Tensor, weight) -> None:
    _check_points(input, "histogram")
    if weight is None:
        return
    check_tensor(weight, "weight", "histogram")
    if weight.dtype is not input.dtype:
        raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor and "
                           "weight tensor should have the same dtype, but got "
                           f"input({input.dtype.name}), and weight({weight.dtype.name})")
    if weight.shape != input.shape:
        raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the "
                           "same shape as the input tensor excluding its innermost dimension, "
                           f"but got input with shape {[input.numel(), 1]} and weight with "
                           f"shape {list(weight.shape)}")


def _histogram_edges(input: Tensor, bins: int, range) -> Tensor:
    """Equal-width edges over `range` (default: the data's min and max; [0, 1] when empty),
    widened by 0.5 each side when empty, as PyTorch's (and NumPy's)."""
    if range is None:
        flat = input._data.reshape(-1)
        lo, hi = (float(flat.min()), float(flat.max())) if flat.size else (0.0, 1.0)
    else:
        if not isinstance(range, (tuple, list)) or len(range) != 2:
            got = len(range) if isinstance(range, (tuple, list)) else type(range).__name__
            raise RuntimeError("torch.histogramdd: for a 1-dimensional histogram range should "
                               f"have 2 elements, but got {got}")
        lo, hi = (_check_float(v, "range", "histogram") for v in range)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histogramdd: dimension 0's range [{_fmt(lo)}, {_fmt(hi)}] "
                           "is not finite")
    if lo > hi:
        raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                           f"{_fmt(lo)} max {_fmt(hi)} for dimension 0")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    host = _linspace_values(lo, hi, bins + 1, input.dtype).astype(input._data.dtype)
    return _wrap(xp_of(input._data).asarray(host))


def _edges_tensor(input: Tensor, bins: Tensor) -> Tensor:
    if bins.ndim != 1:
        raise RuntimeError("torch.histogramdd: bins tensor should have one dimension, but got "
                           f"{bins.ndim} dimensions in the bins tensor for dimension 0")
    if bins.dtype is not input.dtype:
        raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have the "
                           f"same dtype, but got input with dtype {input.dtype.name} and bins "
                           f"for dimension 0 with dtype {bins.dtype.name}")
    _check_bins(bins.shape[0] - 1)
    return bins.detach()


@op("histogram", methods=("histogram",))
def histogram(input: Tensor, bins=100, *, range=None, weight=None, density: bool = False):
    """(hist, bin_edges), `torch.return_types.histogram`: counts (or summed `weight`) of
    `input` in `bins` equal-width bins over `range`, or in the bins between given edges;
    `density` divides by the total and the bin widths."""
    _histogram_checks(input, weight)
    if isinstance(bins, Tensor):
        if range is not None:
            raise TypeError("histogram(): argument 'range' is not accepted with a Tensor "
                            "'bins' (overloads: (input, Tensor bins, *, weight, density) and "
                            "(input, int bins=100, *, range, weight, density))")
        edges, algorithm = _edges_tensor(input, bins), "search"
    else:
        bins = _check_int(bins, "bins", "histogram")
        _check_bins(bins)
        edges, algorithm = _histogram_edges(input, bins, range), "local"
    out = Histogram.apply(input, edges, algorithm, weight, bool(density))
    return return_types.histogram(*out)


# ====================================================================== bincount
class Bincount(_NoDerivative):
    node_name = "NotImplemented"
    node_qualified_name = "torch::autograd::NotImplemented"
    _aten = "bincount"

    @staticmethod
    def forward(ctx, x, weights, length):
        xp = xp_of(x._data)
        w = weights._data
        out_np = np.float32 if w.dtype == np.float32 else np.float64
        counts = xp.bincount(x._data, weights=w.astype(np.float64), minlength=length)
        return _wrap(counts.astype(out_np))

    @staticmethod
    def backward(ctx, *grads):
        Bincount._raise()


@op("bincount", methods=("bincount",))
def bincount(input: Tensor, weights=None, minlength: int = 0) -> Tensor:
    """How often each value 0..max(input) occurs in the 1-D non-negative integer `input`
    (at least `minlength` bins), or the sum of `weights` per value (float64 unless float32)."""
    check_tensor(input, "input", "bincount")
    minlength = _check_int(minlength, "minlength", "bincount")
    arr = input._data
    if arr.dtype.kind not in "iu":
        raise _not_implemented("bincount_cpu", arr)
    if arr.ndim != 1 or (arr.size and bool((arr < 0).any())):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    xp = xp_of(arr)
    if weights is not None:
        check_tensor(weights, "weights", "bincount")
        if weights.ndim != 1 or weights.shape[0] != arr.shape[0]:
            raise RuntimeError("weights should be 1-d and have the same length as input")
    if arr.size == 0:
        return _wrap(xp.zeros(minlength, dtype=np.int64))
    length = max(int(arr.max()) + 1, minlength)
    if weights is None:
        return _wrap(xp.bincount(arr.astype(np.int64), minlength=length).astype(np.int64))
    return Bincount.apply(input, weights, length)
