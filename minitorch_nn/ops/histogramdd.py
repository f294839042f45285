"""histogramdd: the D-dimensional histogram of the points in the last dim of `input`.

Each dimension is binned as torch.histogram bins one (ops/binning.py, whose kernel helpers
this reuses): equal-width edges over a range (the data's, per dimension, unless `range`
gives [min0, max0, min1, max1, ...]), or the given edges. A point counts when it lies inside
every dimension's range; the count (or the summed `weight`) goes to the cell of its bins.
`density` divides by the total and by each cell's volume. Like PyTorch, the result has no
derivative (a node whose backward raises).
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import return_types
from ..creation import _linspace_values
from ..tensor import Tensor, _wrap
from ._quiet import quiet_numpy
from ._util import check_tensor, xp_of
from .binning import _NoDerivative, _bin_positions, _check_points, _fmt
from .registry import op

_CPP_NAMES = {"float32": "float", "float64": "double"}
_SIGNATURES = (
    " * (Tensor input, int bins, tuple of floats range = None, Tensor weight = None, bool "
    "density = False)\n"
    " * (Tensor input, tuple of ints bins, tuple of floats range = None, Tensor weight = None, "
    "bool density = False)\n"
    " * (Tensor input, tuple of Tensors bins, tuple of floats range = None, Tensor weight = "
    "None, bool density = False)\n")


class Histogramdd(_NoDerivative):
    node_name = "NotImplemented"
    node_qualified_name = "torch::autograd::NotImplemented"
    _aten = "_histogramdd_from_bin_cts"

    @staticmethod
    def forward(ctx, x, edges, algorithm, weight, density):
        points = x._data.reshape(-1, x._data.shape[-1])
        xp = xp_of(points)
        shape = tuple(e._data.shape[0] - 1 for e in edges)
        cell = xp.zeros(points.shape[0], dtype=np.int64)
        inside = xp.ones(points.shape[0], dtype=bool)
        for d, e in enumerate(edges):
            pos = _bin_positions(xp.ascontiguousarray(points[:, d]), e._data, algorithm)
            inside &= pos >= 0
            cell = cell * shape[d] + xp.maximum(pos, 0)
        w = None if weight is None else weight._data.reshape(-1)[inside].astype(np.float64)
        size = int(np.prod(shape))
        hist = xp.bincount(cell[inside], weights=w, minlength=size)[:size].reshape(shape)
        hist = hist.astype(points.dtype)
        if density:
            hist = hist / hist.sum()
            for d, e in enumerate(edges):
                widths = xp.diff(e._data).reshape((-1,) + (1,) * (len(shape) - d - 1))
                hist = hist / widths
        return (_wrap(hist.astype(points.dtype, copy=False)),
                *(_wrap(e._data.copy()) for e in edges))

    @staticmethod
    def backward(ctx, *grads):
        Histogramdd._raise()


def _check_input(input: Tensor, weight) -> None:
    _check_points(input, "histogramdd")
    if input.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    if weight is None:
        return
    check_tensor(weight, "weight", "histogramdd")
    if weight.dtype is not input.dtype:
        raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor and "
                           "weight tensor should have the same dtype, but got input("
                           f"{_CPP_NAMES[input.dtype.name]}), and weight("
                           f"{_CPP_NAMES.get(weight.dtype.name, weight.dtype.name)})")
    if tuple(weight.shape) != tuple(input.shape[:-1]):
        points = [input.numel() // input.shape[-1], input.shape[-1]]
        raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the "
                           "same shape as the input tensor excluding its innermost dimension, "
                           f"but got input with shape {points} and weight with shape "
                           f"{list(weight.shape)}")


def _ranges(input: Tensor, bounds, dims: int) -> list:
    """(min, max) per dimension: the pairs of `bounds` (histogramdd's `range`) or the data's,
    checked, widened by 0.5 each side if empty."""
    points = input._data.reshape(-1, dims)
    if bounds is not None:
        if len(bounds) != 2 * dims:
            raise RuntimeError(f"torch.histogramdd: for a {dims}-dimensional histogram range "
                               f"should have {2 * dims} elements, but got {len(bounds)}")
        pairs = [(float(bounds[2 * d]), float(bounds[2 * d + 1])) for d in range(dims)]
    elif points.shape[0]:
        lo, hi = points.min(0), points.max(0)
        pairs = [(float(lo[d]), float(hi[d])) for d in range(dims)]
    else:
        pairs = [(0.0, 1.0)] * dims
    out = []
    for d, (lo, hi) in enumerate(pairs):
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension {d}'s range [{_fmt(lo)}, "
                               f"{_fmt(hi)}] is not finite")
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                               f"{_fmt(lo)} max {_fmt(hi)} for dimension {d}")
        out.append((lo - 0.5, hi + 0.5) if lo == hi else (lo, hi))
    return out


def _edges(input: Tensor, bins, range, dims: int):
    """The edges of every dimension (Tensors) and the kernel's algorithm for them."""
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        bins = [int(bins)] * dims
    if not isinstance(bins, (list, tuple)) or not (
            all(isinstance(b, Tensor) for b in bins) or
            all(isinstance(b, (int, np.integer)) and not isinstance(b, bool) for b in bins)):
        raise TypeError(f"histogramdd() received an invalid combination of arguments - got "
                        f"(Tensor, {type(bins).__name__}), but expected one of:\n{_SIGNATURES}")
    if len(bins) != dims:
        raise RuntimeError("histogramdd: The size of bins must be equal to the innermost "
                           "dimension of the input.")
    if bins and isinstance(bins[0], Tensor):
        for d, b in enumerate(bins):
            if b.ndim != 1:
                raise RuntimeError(f"torch.histogramdd: bins tensor should have one dimension, "
                                   f"but got {b.ndim} dimensions in the bins tensor for "
                                   f"dimension {d}")
            if b.dtype is not input.dtype:
                raise RuntimeError(f"torch.histogramdd: input tensor and bins tensors should "
                                   f"have the same dtype, but got input with dtype "
                                   f"{input.dtype.name} and bins for dimension {d} with dtype "
                                   f"{b.dtype.name}")
            _check_count(b.shape[0] - 1, d)
        return [b.detach() for b in bins], "search"
    for d, n in enumerate(bins):
        _check_count(int(n), d)
    xp = xp_of(input._data)
    edges = [_wrap(xp.asarray(_linspace_values(lo, hi, int(n) + 1, input.dtype)
                              .astype(input._data.dtype)))
             for n, (lo, hi) in zip(bins, _ranges(input, range, dims))]
    return edges, "local"


def _check_count(n: int, d: int) -> None:
    if n <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {n} for dimension {d}")


@op("histogramdd")
@quiet_numpy
def histogramdd(input: Tensor, bins, range=None, weight=None, density: bool = False):
    """(hist, bin_edges), `torch.return_types.histogramdd`: the counts of the points
    `input[..., :]` (the last dim holds a point's D coordinates) in a grid of bins; `bins` is
    an int, one int per dimension, or one tensor of edges per dimension.

        >>> torch.histogramdd(torch.tensor([[0., 0.], [1., 1.]]), bins=2).hist
        tensor([[1., 0.],
                [0., 1.]])
    """
    _check_input(input, weight)
    if range is not None and (not isinstance(range, (list, tuple)) or
                              not all(isinstance(v, numbers.Real) for v in range)):
        raise TypeError(f"histogramdd() received an invalid combination of arguments - got "
                        f"(Tensor, range={type(range).__name__}), but expected one of:\n"
                        f"{_SIGNATURES}")
    dims = input.shape[-1]
    edges, algorithm = _edges(input, bins, range, dims)
    out = Histogramdd.apply(input, edges, algorithm, weight, bool(density))
    return return_types.histogramdd(out[0], tuple(out[1:]))
