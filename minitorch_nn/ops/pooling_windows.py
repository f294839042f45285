"""The window engine of the n-d pooling ops (pooling3d.py, pooling_unpool.py,
fractional_pool.py): every pooling is a set of windows given per spatial axis.

How: each axis contributes a table of input positions, (B, O, K) — B planes (1 when all planes
share the windows; N*C for fractional pooling's per-plane random windows), O outputs, K
positions per window — and a validity mask (positions in the padding, or past a shorter
adaptive window, are invalid). The tables combine into one flat table (B, O1*O2*.., K1*K2*..)
of positions inside an input plane, so a pooling is one gather (`take`), one reduction over
the last axis and, backward, one scatter-add (`bincount`). All `xp` code: NumPy and CuPy run the
same body. Max pooling keeps PyTorch's rules: the first maximum wins, a NaN wins (the last
one, as PyTorch's `val > max || isnan(val)` scan), and a window holding only the lowest
value reports its first real (non-padding) position.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import no_grad
from ..tensor import _wrap
from ._nn_util import compute_array
from ._util import xp_of


# ------------------------------------------------------------------ window tables
def axis_windows(size: int, starts, lengths, dilation: int = 1):
    """(positions (B, O, K) clipped into [0, size), valid (B, O, K)) for windows starting at
    `starts` ((O,) or (B, O)) with `lengths` positions (an int or per window), `dilation`
    apart. Invalid positions (outside the input, past a window's length) are clipped to 0."""
    starts = np.asarray(starts, np.int64)
    starts = starts.reshape((1,) + starts.shape) if starts.ndim == 1 else starts
    lengths = np.broadcast_to(np.asarray(lengths, np.int64), starts.shape)
    k = int(lengths.max()) if lengths.size else 1
    steps = np.arange(k, dtype=np.int64)
    pos = starts[..., None] + dilation * steps
    valid = (pos >= 0) & (pos < size) & (steps < lengths[..., None])
    return np.where(valid, pos, 0), valid


class Windows:
    """The flat window table of an n-d pooling: `flat` (B, O, K) positions in a plane of
    `sizes`, `valid` (B, O, K), `out` the output's spatial shape."""

    def __init__(self, sizes, axes):
        n = len(sizes)
        self.sizes, self.out = tuple(sizes), tuple(a[0].shape[1] for a in axes)
        b = max(a[0].shape[0] for a in axes)
        flat = np.zeros((1,) * (2 * n + 1), np.int64)
        valid = np.ones((1,) * (2 * n + 1), bool)
        for i, (pos, ok) in enumerate(axes):
            shape = (pos.shape[0],) + (1,) * i + (pos.shape[1],) + (1,) * (n - 1) + \
                (pos.shape[2],) + (1,) * (n - 1 - i)
            step = int(np.prod(sizes[i + 1:], dtype=np.int64))
            flat = flat + pos.reshape(shape) * step
            valid = valid & ok.reshape(shape)
        full = (b,) + self.out + tuple(a[0].shape[2] for a in axes)
        o = int(np.prod(self.out, dtype=np.int64))
        k = int(np.prod(full[n + 1:], dtype=np.int64))
        self.flat = np.broadcast_to(flat, full).reshape(b, o, k)
        self.valid = np.broadcast_to(valid, full).reshape(b, o, k)

    def gather(self, x, fill):
        """x (N, C, *sizes) → (N*C, O, K) window values, `fill` at invalid positions."""
        xp = xp_of(x)
        planes = x.reshape(-1, int(np.prod(self.sizes, dtype=np.int64)))
        flat, valid = xp.asarray(self.flat), xp.asarray(self.valid)
        if flat.shape[0] == 1:
            values = planes[:, flat[0]] if planes.shape[1] else \
                xp.zeros((planes.shape[0],) + flat.shape[1:], x.dtype)
        else:
            values = xp.take_along_axis(planes, flat.reshape(flat.shape[0], -1), axis=1)
            values = values.reshape(flat.shape)
        return xp.where(valid, values, xp.asarray(fill, dtype=x.dtype))

    def positions(self, choice):
        """The plane positions (N*C, O) of the chosen window slot `choice` (N*C, O)."""
        xp = xp_of(choice)
        flat = xp.asarray(self.flat)
        flat = xp.broadcast_to(flat, (choice.shape[0],) + flat.shape[1:])
        return xp.take_along_axis(flat, choice[..., None], axis=2)[..., 0]


def scatter_add(values, positions, shape, plane: int):
    """An array of `shape` (planes of `plane` elements each) holding the sum of `values` at
    the plane `positions` (both (planes, ...)); float64 sums, rounded once to values' dtype."""
    xp = xp_of(values)
    nc = positions.shape[0]
    offsets = (xp.arange(nc, dtype=np.int64) * plane).reshape((nc,) + (1,) * (positions.ndim - 1))
    sums = xp.bincount((positions + offsets).reshape(-1),
                       weights=values.astype(np.float64).reshape(-1), minlength=nc * plane)
    return sums.reshape(shape).astype(values.dtype)


def _lowest(dtype):
    return np.iinfo(dtype).min if dtype.kind in "iu" else -np.inf


def window_argmax(values, valid):
    """The chosen slot (N*C, O) of each window by PyTorch's max rules (module docstring)."""
    xp = xp_of(values)
    if values.shape[-1] == 0:
        return xp.zeros(values.shape[:-1], np.int64)
    best = values.argmax(axis=-1)
    valid = xp.broadcast_to(xp.asarray(valid), values.shape)
    chosen_valid = xp.take_along_axis(valid, best[..., None], axis=-1)[..., 0]
    best = xp.where(chosen_valid, best, valid.argmax(axis=-1))
    if values.dtype.kind == "f":
        nan = xp.isnan(values)
        last_nan = values.shape[-1] - 1 - nan[..., ::-1].argmax(axis=-1)
        best = xp.where(nan.any(axis=-1), last_nan, best)
    return best


# ------------------------------------------------------------------ Functions
def _lead(arr, windows) -> tuple:
    """The leading (batch and channel) dims of arr: all but the pooled spatial ones."""
    return tuple(arr.shape[:arr.ndim - len(windows.sizes)])


def _planes(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


class WindowMax(ArrayFunction):
    """Max over the windows of x (*lead, *sizes): (values, int64 plane positions), both
    (*lead, *out), for batched and unbatched input alike (one node, as PyTorch). Subclasses
    name PyTorch's node (MaxPool3DWithIndicesBackward0, ...)."""

    @staticmethod
    def forward(ctx, x, windows):
        arr = compute_array(x._data)
        values = windows.gather(arr, _lowest(arr.dtype))
        best = window_argmax(values, windows.valid)
        out = xp_of(arr).take_along_axis(values, best[..., None], axis=-1)[..., 0]
        idx = windows.positions(best)
        ctx.idx, ctx.shape, ctx.windows = idx, arr.shape, windows
        shape = _lead(arr, windows) + windows.out
        indices = _wrap(idx.reshape(shape))
        ctx.mark_non_differentiable(indices)
        return _wrap(out.reshape(shape).astype(x._data.dtype, copy=False)), indices

    @staticmethod
    def backward(ctx, g, _g_idx):
        check_grad_output(ctx, g)
        gc = compute_array(g)
        gx = scatter_add(gc.reshape(ctx.idx.shape), ctx.idx, ctx.shape,
                         _planes(ctx.windows.sizes))
        return gx.astype(g.dtype, copy=False), None

    @staticmethod
    def grad_formula(ctx, g, _g_idx):
        check_grad_output(ctx, g)
        idx = ctx.idx
        return WindowScatter.apply(g.reshape(idx.shape), idx[..., None], None, ctx.shape), None


class WindowAvg(ArrayFunction):
    """Sum over the windows of x divided by `divisor` (O,) (or a number); int64 divides as C
    does, truncating toward zero. Subclasses name PyTorch's node."""

    @staticmethod
    def forward(ctx, x, windows, divisor):
        arr = compute_array(x._data)
        xp = xp_of(arr)
        total = windows.gather(arr, 0).sum(axis=-1)
        div = xp.asarray(divisor, dtype=arr.dtype if arr.dtype.kind == "f" else np.int64)
        if arr.dtype.kind in "iu":
            out = xp.where(total >= 0, total // div, -((-total) // div))
        else:
            out = total / div
        ctx.windows, ctx.divisor, ctx.shape = windows, divisor, arr.shape
        shape = _lead(arr, windows) + windows.out
        return _wrap(out.reshape(shape).astype(x._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        check_grad_output(ctx, g)
        gc = compute_array(g)
        xp = xp_of(gc)
        w = ctx.windows
        n_planes = _planes(_lead(gc, w))
        share = gc.reshape(n_planes, w.flat.shape[1]) / xp.asarray(ctx.divisor, gc.dtype)
        valid = xp.asarray(w.valid)
        values = xp.where(valid, share[..., None], 0)
        flat = xp.broadcast_to(xp.asarray(w.flat), values.shape)
        gx = scatter_add(values, flat, ctx.shape, _planes(w.sizes))
        return gx.astype(g.dtype, copy=False), None, None

    @staticmethod
    def grad_formula(ctx, g):
        check_grad_output(ctx, g)
        return window_avg_grad(g, ctx.windows, ctx.divisor, ctx.shape), None, None


# ------------------------------------------------------------------ differentiable gradients
# The gradients of the poolings (and of embedding) under create_graph: a linear pair of
# Functions, each the other's adjoint, so their gradients are each other (every order works).
def _table(flat, valid, planes: int):
    """The (planes, O, K) positions (0 where invalid) and validity (or None: all valid)."""
    xp = xp_of(flat)
    pos = xp.broadcast_to(flat, (planes,) + tuple(flat.shape[1:]))
    if valid is None:
        return pos, None
    ok = xp.broadcast_to(xp.asarray(valid), pos.shape)
    return xp.where(ok, pos, 0), ok


class WindowScatter(ArrayFunction):
    """values (P, O) → an array of `shape` (P planes): value (p, o) added at every valid plane
    position flat[p, o, k] (flat, valid: (P or 1, O, K) constant tables)."""

    @staticmethod
    def forward(ctx, values, flat, valid, shape):
        v = compute_array(values._data)
        xp = xp_of(v)
        pos, ok = _table(flat, valid, v.shape[0])
        spread = xp.broadcast_to(v[..., None], pos.shape)
        if ok is not None:
            spread = xp.where(xp.asarray(ok), spread, 0)
        out = scatter_add(spread, xp.asarray(pos), shape, _planes(shape) // max(v.shape[0], 1))
        ctx.table = (flat, valid, tuple(v.shape), tuple(shape))
        return _wrap(out.astype(values._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        flat, valid, vshape, _ = ctx.table
        return _gather_sum(compute_array(g), flat, valid, vshape).astype(g.dtype, copy=False), \
            None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        flat, valid, vshape, _ = ctx.table
        return WindowGather.apply(g, flat, valid, vshape), None, None, None


def _gather_sum(x, flat, valid, vshape):
    """(P, O): the sum over k of x's plane p at the valid positions flat[p, o, k]."""
    xp = xp_of(x)
    planes = x.reshape(vshape[0], -1)
    pos, ok = _table(flat, valid, vshape[0])
    k = pos.shape[-1]
    values = xp.take_along_axis(planes, xp.asarray(pos).reshape(vshape[0], -1), axis=1) \
        if planes.shape[1] else xp.zeros((vshape[0], pos[0].size), x.dtype)
    values = values.reshape(tuple(vshape) + (k,))
    if ok is not None:
        values = xp.where(xp.asarray(ok), values, 0)
    return values.sum(axis=-1)


class WindowGather(ArrayFunction):
    """x (P planes, any shape) → (P, O) = the sum over each window of valid plane positions;
    WindowScatter's adjoint."""

    @staticmethod
    def forward(ctx, x, flat, valid, vshape):
        ctx.table = (flat, valid, tuple(vshape), tuple(x.shape))
        arr = compute_array(x._data)
        return _wrap(_gather_sum(arr, flat, valid, vshape).astype(x._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        flat, valid, _, shape = ctx.table
        with no_grad():
            out = WindowScatter.apply(_wrap(g), flat, valid, shape)
        return out._data, None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        flat, valid, _, shape = ctx.table
        return WindowScatter.apply(g, flat, valid, shape), None, None, None


def window_avg_grad(g, windows, divisor, shape):
    """The input gradient (a Tensor of `shape`) of the windowed average with `divisor` (a
    number or an (O,) array), written with recorded ops."""
    planes = _planes(shape[:len(shape) - len(windows.sizes)])
    share = g.reshape(planes, windows.flat.shape[1])
    if not (isinstance(divisor, (int, float)) and divisor == 1):
        share = share / _wrap(np.asarray(divisor, dtype=g._data.dtype))
    return WindowScatter.apply(share, windows.flat, windows.valid, tuple(shape))


def check_grad_output(ctx, g) -> None:
    """Adaptive pooling's backward refuses an empty output (PyTorch's check and message);
    the adaptive ops name their backward in `windows.backward_name`."""
    name = getattr(ctx.windows, "backward_name", None)
    for dim in range(1, g.ndim if name else 0):
        if g.shape[dim] == 0:
            raise RuntimeError(f"{name}(): Expected grad_output to have non-zero size for "
                               f"non-batch dimensions, but grad_output has sizes "
                               f"{list(g.shape)} with dimension {dim} being empty")


def _strided_windows(sizes, k, s, p, d, out) -> Windows:
    """The windows of a strided pooling (kernel k, stride s, padding p, dilation d) per axis."""
    axes = [axis_windows(i, np.arange(o) * si - pi, ki, di)
            for i, ki, si, pi, di, o in zip(sizes, k, s, p, d, out)]
    return Windows(sizes, axes)


def _adaptive_windows(sizes, out) -> Windows:
    """PyTorch's adaptive windows: output o of an axis covers [floor(oI/O), ceil((o+1)I/O))."""
    axes = []
    for i, o in zip(sizes, out):
        pos = np.arange(o)
        start = (pos * i) // o if o else pos
        end = -((-(pos + 1) * i) // o) if o else pos
        axes.append(axis_windows(i, start, end - start))
    return Windows(sizes, axes)
