"""Pooling: max_pool1d/2d (stride, padding, dilation, ceil_mode, return_indices), avg_pool1d/2d
(count_include_pad, ceil_mode, divisor_override), adaptive_avg_pool1d/2d.

CPU float32/float64 inputs run the Numba kernels of kernels/cpu/pool.py, which walk each
window in place (one pass forward, one pass backward; max pooling keeps the winner's index,
so its backward is a scatter; 2x2 windows at stride 2 without padding, the common case, have
kernels of their own without bounds checks: 3x faster, same values and indices). Other inputs
use `xp` code: windows as strided slices of a padded copy, adaptive pooling as two small
averaging matrices. 1-D pooling is 2-D pooling of a height-1 image.

torch.max_pool1d/2d, torch.max_pool1d_with_indices, torch.avg_pool1d and
torch.adaptive_avg_pool1d exist at top level in PyTorch, and F.* is the same function: they are
declared in both namespaces (`@op`, ops/registry.py); max_pool2d_with_indices, avg_pool2d and
adaptive_avg_pool2d are F-only.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import compute_array, kernel_for, type_name
from ._util import xp_of
from .pooling_windows import WindowScatter, _adaptive_windows, _strided_windows, window_avg_grad
from .registry import op


# ------------------------------------------------------------------ geometry
def _pair(value, name: str, fn: str) -> tuple:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value), int(value))
    values = list(value)
    if len(values) == 1:
        return (int(values[0]),) * 2
    if len(values) != 2:
        raise RuntimeError(f"{fn}: {name} must either be a single int, or a tuple of two ints")
    return tuple(int(v) for v in values)


def _out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling_output_shape: floor or ceil, never starting a window in the pad."""
    num = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _half(v: int) -> int:
    """v / 2 rounded toward zero (C++ integer division, as PyTorch's checks compute it)."""
    return -((-v) // 2) if v < 0 else v // 2


def _geometry(x: Tensor, kernel_size, stride, padding, dilation, ceil_mode, fn: str,
              shape=None):
    """(kernel, stride, pad, dilation, (OH, OW)) for 2-D pooling of (N, C, H, W) x.

    PyTorch's checks in PyTorch's order (pooling_output_shape per axis, then
    pool2d_shape_check), so every geometry a kernel sees has pad <= kernel/2 and windows
    that start inside the padded input. `shape` is the input's shape as the caller gave it
    (for the messages)."""
    k = _pair(kernel_size, "kernel_size", fn)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _pair(stride, "stride", fn)
    p = _pair(padding, "padding", fn)
    d = _pair(dilation, "dilation", fn)
    for ki, si, pi, di in zip(k, s, p, d):
        if si == 0:
            raise RuntimeError("stride should not be zero")
        if pi < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {pi}")
        if pi > _half((ki - 1) * di + 1):
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pi}, kernel_size={ki} and dilation={di}")
    if k[0] <= 0 or k[1] <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} "
                           f"kW: {k[1]}")
    if s[0] <= 0 or s[1] <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} "
                           f"dW: {s[1]}")
    if d[0] <= 0 or d[1] <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} "
                           f"dilationW: {d[1]}")
    if any(v == 0 for v in x.shape[1:]):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{list(x.shape if shape is None else shape)}")
    if p[1] > _half(k[1]) or p[0] > _half(k[0]):
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but "
                           f"got padW = {p[1]}, padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
    shape = x.shape
    out = (_out_size(shape[2], k[0], s[0], p[0], d[0], ceil_mode),
           _out_size(shape[3], k[1], s[1], p[1], d[1], ceil_mode))
    return k, s, p, d, out


def _too_small(x: Tensor, out, unbatched_1d: bool = False) -> None:
    if out[0] < 1 or out[1] < 1:
        c, h, w = x.shape[1], x.shape[2], x.shape[3]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}). Output size is too small")


def _as_4d(input: Tensor, fn: str):
    """(input as (N, C, H, W), whether a batch dim was added) for 2-D pooling."""
    if input.ndim == 3:
        return input.unsqueeze(0), True
    if input.ndim != 4:
        if fn == "avg_pool2d" and input.ndim < 3:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-max(input.ndim, 1)}, {max(input.ndim, 1) - 1}], but got -3)")
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    return input, False


def _as_3d(input: Tensor, fn: str):
    """(input as (N, C, L), whether a batch dim was added) for 1-D pooling."""
    if input.ndim == 2:
        return input.unsqueeze(0), True
    if input.ndim != 3:
        raise RuntimeError(f"{fn}: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{list(input.shape)}")
    return input, False


def _check_float(x: Tensor, name: str, allowed_ints=()) -> None:
    """PyTorch's dtype gate: floating types, plus the integer dtypes its kernel is also
    instantiated for (`allowed_ints`: max_pool2d every integer type, avg_pool2d int64)."""
    if not x.is_floating_point() and x.dtype.name not in allowed_ints:
        raise NotImplementedError(f'"{name}" not implemented for \'{type_name(x)}\'')


_INTS = ("uint8", "int8", "int16", "int32", "int64")


# ------------------------------------------------------------------ numpy fallbacks
def _frame(xp, x, k, s, p, d, out, fill):
    """x inside a frame of `fill` that holds every window (p before, the rest after)."""
    n, c, h, w = x.shape
    need_h = (out[0] - 1) * s[0] + (k[0] - 1) * d[0] + 1
    need_w = (out[1] - 1) * s[1] + (k[1] - 1) * d[1] + 1
    frame = xp.full((n, c, max(need_h, p[0] + h), max(need_w, p[1] + w)), fill, x.dtype)
    frame[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = x
    return frame


def _window(frame, i, j, k, s, d, out):
    r0, c0 = i * d[0], j * d[1]
    return frame[:, :, r0:r0 + s[0] * (out[0] - 1) + 1:s[0], c0:c0 + s[1] * (out[1] - 1) + 1:s[1]]


def _max_pool_np(x, k, s, p, d, out):
    xp = xp_of(x)
    lowest = np.iinfo(x.dtype).min if x.dtype.kind in "iu" else -np.inf
    frame = _frame(xp, x, k, s, p, d, out, lowest)
    windows = xp.stack([_window(frame, i, j, k, s, d, out)
                        for i in range(k[0]) for j in range(k[1])])
    best = windows.argmax(axis=0)
    # a tie between padding and real elements (an integer input's lowest value) goes to the
    # window's first real element, as PyTorch starts its search there
    inside = _frame(xp, xp.ones(x.shape, bool), k, s, p, d, out, False)
    inside = xp.stack([_window(inside, i, j, k, s, d, out)
                       for i in range(k[0]) for j in range(k[1])])
    chosen_inside = xp.take_along_axis(inside, best[None], axis=0)[0]
    best = xp.where(chosen_inside, best, inside.argmax(axis=0))
    values = xp.take_along_axis(windows, best[None], axis=0)[0]
    i, j = best // k[1], best % k[1]
    oh = xp.arange(out[0]).reshape(-1, 1)
    ow = xp.arange(out[1]).reshape(1, -1)
    ih = oh * s[0] - p[0] + i * d[0]
    iw = ow * s[1] - p[1] + j * d[1]
    return values, (ih * x.shape[3] + iw).astype(np.int64)


def _max_pool_bwd_np(g, idx, shape):
    """The gradient at the recorded positions; an index outside its plane (a window wholly in
    the padding) gets nowhere, as in the kernels."""
    xp = xp_of(g)
    n, c, h, w = shape
    inside = (idx >= 0) & (idx < h * w)
    planes = xp.arange(n * c).reshape(n, c, 1, 1) * (h * w)
    flat = xp.where(inside, idx + planes, 0).reshape(-1)
    weights = xp.where(inside, g.astype(np.float64), 0.0).reshape(-1)
    gx = xp.bincount(flat, weights=weights, minlength=n * c * h * w)
    return gx.reshape(shape).astype(g.dtype)


def _avg_divisors(xp, size, k, s, p, n_out):
    """Per output position along one axis: (clipped-to-padding size, clipped-to-input size)."""
    start = np.arange(n_out) * s - p
    end = np.minimum(start + k, size + p)
    padded = end - start
    inner = np.minimum(end, size) - np.maximum(start, 0)
    return padded, inner


def _avg_divisor_grid(xp, x_shape, k, s, p, out, count_include_pad, divisor_override, dtype):
    if divisor_override:
        return divisor_override
    ph, ih = _avg_divisors(xp, x_shape[2], k[0], s[0], p[0], out[0])
    pw, iw = _avg_divisors(xp, x_shape[3], k[1], s[1], p[1], out[1])
    grid = np.outer(ph, pw) if count_include_pad else np.outer(ih, iw)
    return xp.asarray(grid.astype(dtype))


def _avg_pool_np(x, k, s, p, out, count_include_pad, divisor_override):
    xp = xp_of(x)
    frame = _frame(xp, x, k, s, p, (1, 1), out, 0)
    total = sum(_window(frame, i, j, k, s, (1, 1), out)
                for i in range(k[0]) for j in range(k[1]))
    divisor = _avg_divisor_grid(xp, x.shape, k, s, p, out, count_include_pad,
                                divisor_override, x.dtype)
    if x.dtype.kind == "i":          # int64: C's integer division, truncating toward zero
        return xp.where(total >= 0, total // divisor, -((-total) // divisor))
    return total / divisor


def _avg_pool_bwd_np(g, shape, k, s, p, out, count_include_pad, divisor_override):
    xp = xp_of(g)
    v = g / _avg_divisor_grid(xp, shape, k, s, p, out, count_include_pad, divisor_override,
                              g.dtype)
    frame = _frame(xp, xp.zeros(shape, g.dtype), k, s, p, (1, 1), out, 0)
    for i in range(k[0]):
        for j in range(k[1]):
            _window(frame, i, j, k, s, (1, 1), out)[...] += v
    return frame[:, :, p[0]:p[0] + shape[2], p[1]:p[1] + shape[3]]


def _adaptive_matrix(xp, in_size: int, out_size: int, dtype):
    """(out, in) matrix averaging PyTorch's adaptive windows [floor(oI/O), ceil((o+1)I/O))."""
    m = np.zeros((out_size, in_size), dtype)
    for o in range(out_size):
        start = (o * in_size) // out_size
        end = -((-(o + 1) * in_size) // out_size)
        m[o, start:end] = 1.0 / (end - start)
    return xp.asarray(m)


# ------------------------------------------------------------------ Functions
def _kernel_in_float(arr, name: str):
    """(kernel `pool.name` for arr, the array to give it): float16/bfloat16 on the CPU, which
    the Numba kernels lack, run the float32 kernel on a float32 copy (rounded once after);
    (None, arr) where no kernel applies (the `xp` fallbacks)."""
    kernel = kernel_for(arr, "pool", name)
    if kernel is None:
        wide = compute_array(arr)
        if wide is not arr:
            return kernel_for(wide, "pool", name), wide
    return kernel, arr


def _is_2x2_stride_2(geom, shape) -> bool:
    """Whether every window is a whole 2x2 block at stride 2 (no padding, no dilation, no
    partial ceil_mode window): the case of the specialised kernels max_pool2d_2x2_*."""
    k, s, p, d, out = geom
    return (k == (2, 2) and s == (2, 2) and p == (0, 0) and d == (1, 1)
            and 2 * out[0] <= shape[2] and 2 * out[1] <= shape[3])


class MaxPool2DWithIndices(ArrayFunction):
    @staticmethod
    def forward(ctx, x, geom):
        k, s, p, d, out = geom
        # float16/bfloat16 on the CPU: the float32 kernel gives the same values (a max is
        # one of the inputs, or -inf) and PyTorch's indices (NaN and -inf rules).
        arr = _kernel_in_float(x._data, "max_pool2d_fwd")[1]
        fast = _is_2x2_stride_2(geom, arr.shape)
        kernel = kernel_for(arr, "pool", "max_pool2d_2x2_fwd") if fast else None
        fast = kernel is not None   # the GPU has only the general kernel
        kernel = kernel or kernel_for(arr, "pool", "max_pool2d_fwd")
        if kernel is not None:
            xp, n, c = xp_of(arr), arr.shape[0], arr.shape[1]
            values = xp.empty((n, c) + out, arr.dtype)
            idx = xp.empty((n, c) + out, np.int64)
            if fast:
                kernel(xp.ascontiguousarray(arr), values, idx)
            else:
                kernel(xp.ascontiguousarray(arr), values, idx, k[0], k[1], s[0], s[1], p[0],
                       p[1], d[0], d[1])
        else:
            values, idx = _max_pool_np(arr, k, s, p, d, out)
        ctx.idx, ctx.shape, ctx.fast = idx, arr.shape, fast
        indices = _wrap(idx)
        ctx.mark_non_differentiable(indices)
        return _wrap(values.astype(x._data.dtype, copy=False)), indices

    @staticmethod
    def backward(ctx, g, _g_idx):
        kernel, gc = _kernel_in_float(g, "max_pool2d_2x2_bwd" if ctx.fast else
                                      "max_pool2d_bwd")
        if kernel is not None:
            xp = xp_of(gc)
            # the 2x2 kernel writes every position of gx; the general one only adds
            gx = (xp.empty if ctx.fast else xp.zeros)(ctx.shape, gc.dtype)
            kernel(xp.ascontiguousarray(gc), ctx.idx, gx)
        else:
            gx = _max_pool_bwd_np(gc, ctx.idx, ctx.shape)
        return gx.astype(g.dtype, copy=False), None

    @staticmethod
    def grad_formula(ctx, g, _g_idx):
        n, c, h, w = ctx.shape
        idx = ctx.idx.reshape(n * c, -1, 1)
        inside = (idx >= 0) & (idx < h * w)   # a window wholly in the padding: nowhere
        return WindowScatter.apply(g.reshape(n * c, -1), idx, inside, ctx.shape), None


class AvgPool2D(ArrayFunction):
    @staticmethod
    def forward(ctx, x, geom, count_include_pad, divisor_override):
        k, s, p, _, out = geom
        arr = x._data
        ctx.meta = (arr.shape, k, s, p, out, bool(count_include_pad), divisor_override or 0)
        kernel, a = _kernel_in_float(arr, "avg_pool2d_fwd")
        if kernel is not None:
            xp = xp_of(a)
            values = xp.empty(a.shape[:2] + out, a.dtype)
            kernel(xp.ascontiguousarray(a), values, k[0], k[1], s[0], s[1], p[0], p[1],
                   bool(count_include_pad), int(divisor_override or 0))
            return _wrap(values.astype(arr.dtype, copy=False))
        values = _avg_pool_np(compute_array(arr), k, s, p, out, count_include_pad,
                              divisor_override)
        return _wrap(values.astype(arr.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        shape, k, s, p, out, include_pad, override = ctx.meta
        kernel, gc = _kernel_in_float(g, "avg_pool2d_bwd")
        if kernel is not None:
            xp = xp_of(gc)
            gx = xp.zeros(shape, gc.dtype)
            kernel(xp.ascontiguousarray(gc), gx, k[0], k[1], s[0], s[1], p[0], p[1],
                   include_pad, override)
            gx = gx.astype(g.dtype, copy=False)
        else:
            gx = _avg_pool_bwd_np(compute_array(g), shape, k, s, p, out, include_pad,
                                  override).astype(g.dtype, copy=False)
        return gx, None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        shape, k, s, p, out, include_pad, override = ctx.meta
        windows = _strided_windows(shape[2:], k, s, p, (1, 1), out)
        divisor = _avg_divisor_grid(np, shape, k, s, p, out, include_pad, override,
                                    np.float64)
        divisor = divisor if override else divisor.reshape(-1)
        return window_avg_grad(g, windows, divisor, shape), None, None, None


class AdaptiveAvgPool2D(ArrayFunction):
    @staticmethod
    def forward(ctx, x, out, unbatched=False):
        arr = x._data
        ctx.shape, ctx.unbatched = arr.shape, unbatched
        kernel, a = _kernel_in_float(arr, "adaptive_avg_pool2d_fwd")
        xp = xp_of(arr)
        if kernel is not None:
            values = xp.empty(a.shape[:2] + out, a.dtype)
            kernel(xp.ascontiguousarray(a), values)
            return _wrap(values.astype(arr.dtype, copy=False))
        a = compute_array(arr)
        mh = _adaptive_matrix(xp, arr.shape[2], out[0], a.dtype)
        mw = _adaptive_matrix(xp, arr.shape[3], out[1], a.dtype)
        return _wrap((mh @ a @ mw.T).astype(arr.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        shape = ctx.shape
        seen = g.shape[1:] if ctx.unbatched else g.shape   # grad_output as PyTorch sees it
        for dim in range(1, len(seen)):
            if seen[dim] == 0:
                raise RuntimeError(f"adaptive_avg_pool2d_backward(): Expected grad_output to "
                                   f"have non-zero size for non-batch dimensions, but "
                                   f"grad_output has sizes {list(seen)} with dimension {dim} "
                                   f"being empty")
        kernel, gk = _kernel_in_float(g, "adaptive_avg_pool2d_bwd")
        xp = xp_of(g)
        if kernel is not None:
            gx = xp.zeros(shape, gk.dtype)
            kernel(xp.ascontiguousarray(gk), gx)
            return gx.astype(g.dtype, copy=False), None, None
        gc = compute_array(g)
        mh = _adaptive_matrix(xp, shape[2], g.shape[2], gc.dtype)
        mw = _adaptive_matrix(xp, shape[3], g.shape[3], gc.dtype)
        return (mh.T @ gc @ mw).astype(g.dtype, copy=False), None, None

    @staticmethod
    def grad_formula(ctx, g):
        if 0 in g.shape[2:]:   # the array backward's check and message
            return AdaptiveAvgPool2D.backward(ctx, g._data)
        windows = _adaptive_windows(ctx.shape[2:], tuple(g.shape[2:]))
        divisor = windows.valid[0].sum(axis=-1)
        return window_avg_grad(g, windows, divisor, ctx.shape), None, None


# ------------------------------------------------------------------ declarations
_MAX_POOL = ("pool.max_pool2d_fwd", "pool.max_pool2d_bwd", "cpu:pool.max_pool2d_2x2_fwd",
             "cpu:pool.max_pool2d_2x2_bwd")
_AVG_POOL = ("pool.avg_pool2d_fwd", "pool.avg_pool2d_bwd")
_ADAPTIVE_AVG_POOL = ("pool.adaptive_avg_pool2d_fwd", "pool.adaptive_avg_pool2d_bwd")


# F.max_pool2d is torch.max_pool2d: the outer "nn.functional" declaration names the function
# the torch declaration returns (autocast=False: an autocast hook would be the torch one's).
@op("max_pool2d", namespace="nn.functional", autocast=False)
@op("max_pool2d", kernels=_MAX_POOL)
def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over kh x kw windows of (N, C, H, W) or (C, H, W) input; optionally the indices
    (flat positions h*W + w in each input plane, as PyTorch gives them)."""
    x, unbatched = _as_4d(input, "max_pool2d")
    _check_float(x, "max_pool2d", _INTS)
    geom = _geometry(x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d",
                     input.shape)
    _too_small(x, geom[4])
    values, indices = MaxPool2DWithIndices.apply(x, geom)
    if unbatched:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return (values, indices) if return_indices else values


@op("max_pool2d_with_indices", namespace="nn.functional", kernels=_MAX_POOL)
def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


@op("max_pool1d", namespace="nn.functional", autocast=False)
@op("max_pool1d", kernels=_MAX_POOL)
def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over windows of length k of (N, C, L) or (C, L) input.

    Without indices PyTorch checks the arguments itself (check_max_pool1d: padding at most
    half of the kernel, its messages); with indices it is max_pool2d of a height-1 image."""
    k = _single(kernel_size, "kernel_size", "max_pool1d")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _single(stride, "stride", "max_pool1d")
    p = _single(padding, "padding", "max_pool1d")
    d = _single(dilation, "dilation", "max_pool1d")
    if return_indices:
        if input.ndim not in (2, 3):
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional "
                               f"tensor for argument #1 'self' (while checking arguments for "
                               f"max_pool1d)")
        values, indices = max_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), (1, d),
                                     ceil_mode, True)
        return values.squeeze(-2), indices.squeeze(-2)
    x, unbatched = _as_3d(input, "max_pool1d")
    if any(v == 0 for v in input.shape[input.ndim - 2:]):
        raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{list(input.shape)}")
    _check_float(x, "max_pool1d_impl")
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but "
                           f"got padding={p} and kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    ow = _out_size(x.shape[2], k, s, p, d, ceil_mode)
    if ow < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {ow}")
    geom = ((1, k), (1, s), (0, p), (1, d), (1, ow))
    values, _ = MaxPool2DWithIndices.apply(x.unsqueeze(2), geom)
    values = values.squeeze(2)
    return values.squeeze(0) if unbatched else values


@op("max_pool1d_with_indices", namespace="nn.functional", autocast=False)
@op("max_pool1d_with_indices", kernels=_MAX_POOL)
def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _single(value, name: str, fn: str) -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    values = list(value)
    if len(values) != 1:
        raise RuntimeError(f"{fn}: {name} must either be a single int, or a tuple of one int")
    return int(values[0])


@op("avg_pool2d", namespace="nn.functional", kernels=_AVG_POOL)
def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over kh x kw windows; padding counts in the divisor unless count_include_pad=False.
    """
    x, unbatched = _as_4d(input, "avg_pool2d")
    _check_float(x, "avg_pool2d", ("int64",))
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    geom = _geometry(x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d",
                     input.shape)
    _too_small(x, geom[4])
    out = AvgPool2D.apply(x, geom, count_include_pad, divisor_override)
    return out.squeeze(0) if unbatched else out


@op("avg_pool1d", namespace="nn.functional", autocast=False)
@op("avg_pool1d", kernels=_AVG_POOL)
def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over windows of length k of (N, C, L) or (C, L) input."""
    x, unbatched = _as_3d(input, "avg_pool1d")
    k = _single(kernel_size, "kernel_size", "avg_pool1d")
    s = k if stride is None else _single(stride, "stride", "avg_pool1d")
    out = avg_pool2d(x.unsqueeze(2), (1, k), (1, s), (0, _single(padding, "padding",
                                                                  "avg_pool1d")),
                     ceil_mode, count_include_pad).squeeze(2)
    return out.squeeze(0) if unbatched else out


def _adaptive_sizes(output_size, x: Tensor) -> tuple:
    if isinstance(output_size, (int, np.integer)):
        sizes = (int(output_size),) * 2
    else:
        sizes = tuple(output_size)
        if len(sizes) == 1:
            sizes = sizes * 2
        if len(sizes) != 2:
            raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
    return tuple(x.shape[-2 + i] if v is None else int(v) for i, v in enumerate(sizes))


@op("adaptive_avg_pool2d", namespace="nn.functional", kernels=_ADAPTIVE_AVG_POOL)
def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output size: window o covers [floor(oH/O), ceil((o+1)H/O)).
    """
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                           f"{list(input.shape)}")
    _check_float(input, "adaptive_avg_pool2d")
    out = _adaptive_sizes(output_size, input)
    if out == (1, 1):
        # PyTorch's composite: a 1x1 output is the mean over H and W (NaN for an empty
        # plane, no size check; its node is MeanBackward1).
        return input.mean((-1, -2), keepdim=True)
    for dim in (input.ndim - 2, input.ndim - 1):   # only H and W must be non-empty
        if input.shape[dim] == 0:
            raise RuntimeError(f"adaptive_avg_pool2d(): Expected input to have non-zero size "
                               f"for non-batch dimensions, but input has sizes "
                               f"{list(input.shape)} with dimension {dim} being empty")
    if any(o < 0 for o in out):
        raise RuntimeError(f"adaptive_avg_pool2d: elements of output_size must be greater "
                           f"than or equal to 0 but received {{{out[0]}, {out[1]}}}")
    x, unbatched = _as_4d(input, "adaptive_avg_pool2d")
    result = AdaptiveAvgPool2D.apply(x, out, unbatched)
    return result.squeeze(0) if unbatched else result


@op("adaptive_avg_pool1d", namespace="nn.functional", autocast=False)
@op("adaptive_avg_pool1d", kernels=_ADAPTIVE_AVG_POOL)
def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Adaptive average pooling of (N, C, L) or (C, L) input to length output_size."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d() argument 'input' must be 2D or 3D, but got "
                           f"{list(input.shape)}")
    size = _single(output_size, "output_size", "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)
