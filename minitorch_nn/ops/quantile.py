"""quantile and nanquantile: the q-th quantiles of a tensor, over one dim or all elements.

PyTorch's algorithm (aten Sorting.cpp): a stable sort with NaN last, a fractional rank per q
(`q * (n - 1)`; for nanquantile `q * (count of non-NaN - 1)`; quantile gives the last rank, NaN,
to a slice holding a NaN), rounded per `interpolation`, then `lerp` between the two
neighbouring sorted values. The gradient follows that graph: lerp's weights (1 - w, w) go
back to the two picked elements and, for 'linear', (above - below) * (n - 1) to a `q` tensor
that requires grad. The result has q's dims first: `q.shape + reduced input shape`.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._reduce_util import _one_dim, xp_of
from ._util import check_tensor
from .registry import op

_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _lerp(lo, hi, w):
    """PyTorch's lerp: lo + w (hi - lo) below w = 0.5, hi - (hi - lo)(1 - w) from it."""
    xp = xp_of(lo)
    diff = hi - lo
    return xp.where(w < 0.5, lo + w * diff, hi - diff * (1 - w))


def _ranks(s, qv, ignore_nan: bool):
    """Fractional ranks (..., k) into the sorted rows `s` (..., n), d rank / d q, and where
    that derivative flows (PyTorch's masked_fill stops it: rank set to a constant)."""
    xp = xp_of(s)
    n = s.shape[-1]
    nan = xp.isnan(s)
    if ignore_nan:
        factor = (n - nan.sum(axis=-1, keepdims=True) - 1).astype(s.dtype)
        ranks = qv * factor
        flows = ~(ranks < 0)
        return xp.where(flows, ranks, s.dtype.type(0)), factor, flows
    has_nan = nan.any(axis=-1, keepdims=True)
    last = s.dtype.type(n - 1)
    ranks = xp.where(has_nan, last, qv * last)
    return ranks, last, xp.broadcast_to(~has_nan, ranks.shape)


def _rounded(ranks, interpolation: str):
    xp = xp_of(ranks)
    if interpolation == "lower":
        return xp.floor(ranks)
    if interpolation == "higher":
        return xp.ceil(ranks)
    if interpolation == "nearest":
        return xp.round(ranks)   # half to even, as torch.round
    return ranks


class Quantile(ArrayFunction):
    """The quantiles along the last axis of the prepared `rows` view; see the module doc."""

    node_name = "SqueezeBackward4"   # PyTorch's graph ends in a squeeze

    @staticmethod
    def forward(ctx, x, q, layout, ignore_nan, interpolation):
        xp = xp_of(x._data)
        rows = _to_rows(x._data, layout)
        order = xp.argsort(rows, axis=-1, kind="stable")   # NaN last, ties in input order
        s = xp.take_along_axis(rows, order, axis=-1)
        qv = q._data.reshape(-1).astype(s.dtype, copy=False)
        ranks, dq_factor, flows = _ranks(s, qv, ignore_nan)
        ranks = _rounded(ranks, interpolation)
        below = ranks.astype(np.int64)
        lo = xp.take_along_axis(s, below, axis=-1)
        above, w, hi = below, None, lo
        if interpolation in ("linear", "midpoint"):
            w = xp.full_like(ranks, 0.5) if interpolation == "midpoint" else \
                ranks - below.astype(ranks.dtype)
            above = xp.ceil(ranks).astype(np.int64)
            hi = xp.take_along_axis(s, above, axis=-1)
            out = _lerp(lo, hi, w)
        else:
            out = lo
        dq = None
        if interpolation == "linear" and q.requires_grad:
            dq = xp.where(flows, (hi - lo) * dq_factor, s.dtype.type(0))
        ctx.meta = (x._data.shape, layout, order, below, above, w, dq)
        ctx.dq_meta = (x, q, qv, dq_factor, flows) if dq is not None else None
        return _wrap(_from_rows(out, layout))

    @staticmethod
    def backward(ctx, g):
        shape, layout, order, below, above, w, dq = ctx.meta
        xp = xp_of(g)
        gk = _grad_rows(g, layout)
        n = order.shape[-1]
        if w is None:
            pos, weights = xp.take_along_axis(order, below, -1), gk
        else:
            pos = xp.concatenate([xp.take_along_axis(order, below, -1),
                                  xp.take_along_axis(order, above, -1)], axis=-1)
            weights = xp.concatenate([gk * (1 - w), gk * w], axis=-1)
        row_start = xp.arange(order.size // n, dtype=np.int64).reshape(order.shape[:-1] + (1,))
        flat = (row_start * n + pos).reshape(-1)
        summed = xp.bincount(flat, weights=weights.reshape(-1), minlength=order.size)
        gx = _rows_back(summed.reshape(order.shape).astype(g.dtype), shape, layout)
        gq = None
        if dq is not None:
            gq = (gk * dq).reshape(-1, gk.shape[-1]).sum(axis=0).astype(g.dtype)
        return gx, gq, None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        """backward in Tensor ops (PyTorch's graph: sort, gather, lerp): g (1 - w) and g w
        scatter-added to the picked elements, w a function of q for 'linear' (d w / d q =
        the rank factor where it flows); q's gradient g (above - below) * factor."""
        shape, layout, order, below, above, w, dq = ctx.meta
        xp = xp_of(g._data)
        gk = _grad_rows_tensor(g, layout)
        zeros = _wrap(xp.zeros(order.shape, g._data.dtype))
        pos_below = _wrap(xp.take_along_axis(order, below, -1))
        if w is None:
            gx = zeros.scatter_add(-1, pos_below, gk)
        else:
            wt = _wrap(w.astype(g._data.dtype, copy=False))
            if ctx.dq_meta is not None:   # w = q * factor - below where the rank flows
                x, q, qv, factor, flows = ctx.dq_meta
                wt = wt + (q.reshape(-1) - _wrap(qv)) * _wrap(xp.where(flows, factor, 0))
            pos_above = _wrap(xp.take_along_axis(order, above, -1))
            gx = zeros.scatter_add(-1, pos_below, gk * (1 - wt)).scatter_add(
                -1, pos_above, gk * wt)
        gx = gx.reshape(shape) if layout[0] is None else gx.movedim(-1, layout[0])
        gq = None
        if ctx.dq_meta is not None:
            x, q, qv, factor, flows = ctx.dq_meta
            rows = x.reshape(-1) if layout[0] is None else x.movedim(layout[0], -1)
            spread = rows.gather(-1, pos_above) - rows.gather(-1, pos_below)
            # PyTorch's order: lerp's weight gradient, masked where the rank is constant
            dq_t = (gk * spread).where(_wrap(flows), 0) * _wrap(xp.asarray(factor))
            gq = dq_t.reshape(-1, gk.shape[-1]).sum(0).reshape(q.shape)
        return gx, gq, None, None, None


def _grad_rows_tensor(g, layout):
    """`_grad_rows` with Tensor ops (recorded)."""
    d, keepdim, ndim, q_ndim = layout
    if q_ndim == 0:
        g = g.unsqueeze(0)
    g = g.movedim(0, -1)
    if keepdim:
        g = g.reshape(g.shape[-1:]) if d is None else g.squeeze(d)
    return g


# ---------------------------------------------------------------------- layouts
# layout = (d, keepdim, input ndim, q ndim): d None reduces all elements.
def _to_rows(a, layout):
    """The input as rows (..., n) to take quantiles of: flattened, or `d` moved last."""
    d = layout[0]
    if d is None:
        return a.reshape(-1)
    return xp_of(a).moveaxis(a, d, -1)


def _from_rows(out, layout):
    """(..., k) quantiles to PyTorch's result shape: q's dims first, then the reduced dims."""
    xp = xp_of(out)
    d, keepdim, ndim, q_ndim = layout
    if keepdim:
        out = out.reshape((1,) * ndim + out.shape[-1:]) if d is None else \
            xp.expand_dims(out, d)
    out = xp.moveaxis(out, -1, 0)
    return out.reshape(out.shape[1:]) if q_ndim == 0 else out


def _grad_rows(g, layout):
    """The output gradient back in the (..., k) layout `_from_rows` started from."""
    xp = xp_of(g)
    d, keepdim, ndim, q_ndim = layout
    if q_ndim == 0:
        g = g.reshape((1,) + g.shape)
    g = xp.moveaxis(g, 0, -1)
    if keepdim:
        g = g.reshape(g.shape[-1:]) if d is None else xp.squeeze(g, axis=d)
    return g


def _rows_back(rows, shape, layout):
    d = layout[0]
    if d is None:
        return rows.reshape(shape)
    return xp_of(rows).moveaxis(rows, -1, d)


# ---------------------------------------------------------------------- argument checks
def _check_q(input: Tensor, q):
    """q as a Tensor of input's dtype, after PyTorch's checks in PyTorch's order."""
    if isinstance(q, Tensor):
        return q
    if isinstance(q, (bool, int, float, np.integer, np.floating)):
        if not (0 <= q <= 1):
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")
        return None
    raise TypeError(f"quantile(): argument 'q' must be float or Tensor, not {type(q).__name__}")


def _check_tensors(input: Tensor, q: Tensor) -> None:
    if input._data.size == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if q.ndim > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if input.dtype not in (_dt.float32, _dt.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if q.dtype is not input.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    if type(q._data) is not type(input._data):
        raise RuntimeError("quantile() q tensor must be on the same device as the input tensor")
    qa = q._data
    if qa.size and not bool(((qa >= 0) & (qa <= 1)).all()):
        raise RuntimeError("quantile() q values must be in the range [0, 1]")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan: bool, fn: str):
    check_tensor(input, "input", fn)
    q_tensor = _check_q(input, q)
    if not isinstance(interpolation, str):
        raise TypeError(f"{fn}(): argument 'interpolation' must be str, not "
                        f"{type(interpolation).__name__}")
    if interpolation not in _MODES:
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    d = None if dim is None else _one_dim(dim, input.ndim, fn)
    if q_tensor is None:   # a Python number: a 0-d tensor of input's dtype, as PyTorch
        q_tensor = _wrap(xp_of(input._data).asarray(float(q), dtype=input._data.dtype))
    _check_tensors(input, q_tensor)
    layout = (None if input.ndim == 0 else d, bool(keepdim), input.ndim, q_tensor.ndim)
    return Quantile.apply(input, q_tensor, layout, ignore_nan, interpolation)


@op("quantile", methods=("quantile",))
def quantile(input: Tensor, q, dim=None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The q-th quantiles over `dim` (all elements by default); a NaN in a slice gives NaN.

    q is a float or a 1-D tensor of input's dtype (its dim comes first in the result).
    """
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


@op("nanquantile", methods=("nanquantile",))
def nanquantile(input: Tensor, q, dim=None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """quantile ignoring NaNs (NaN only where a slice is all NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")

