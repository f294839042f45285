"""Spatial transformers: F.grid_sample (sample input at grid locations) and F.affine_grid.

grid_sample follows PyTorch's GridSampler.h: grid value g in [-1, 1] maps to the pixel
coordinate ((g + 1) * size - 1) / 2, or (g + 1) / 2 * (size - 1) with align_corners; the
padding mode then clips (border) or reflects (reflection) the coordinate; non-finite
coordinates become -100 (outside). Bilinear reads the 2 (per dim) neighbours, nearest the
round-half-even one, bicubic (2-D only) a 4x4 patch whose taps are each padded (Keys' cubic,
A = -0.75); taps outside the input read zero. Samples are products of per-dim weights, so
the grid gradient is the sum over taps of value * (d weight of one dim) * (other weights),
times the derivative of the coordinate map (0 where clipping saturates, -1 where a reflection
flips); the nearest mode has a zero grid gradient, as in PyTorch.
"""
from __future__ import annotations

import itertools

import numpy as np

from .._user_warning import warn_user
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import compute_array, type_name
from ._util import check_tensor, xp_of
from .registry import op

_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
_PADDINGS = {"zeros": 0, "border": 1, "reflection": 2}
_A = -0.75
_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the "
                  "old behavior is desired. See the documentation of grid_sample for details.")


# ------------------------------------------------------------------ coordinates
def _unnormalize(xp, g, size: int, align: bool):
    """(pixel coordinate, d coordinate / d g)."""
    if align:
        return (g + 1) / 2 * (size - 1), (size - 1) / 2
    return ((g + 1) * size - 1) / 2, size / 2


def _clip(xp, c, size: int):
    """Border clipping and its derivative (0 where clipped, as PyTorch's <= / >=)."""
    inside = (c > 0) & (c < size - 1)
    return xp.clip(c, 0, size - 1), inside.astype(c.dtype)


def _reflect(xp, c, twice_low: int, twice_high: int):
    if twice_low == twice_high:
        return xp.zeros_like(c), xp.zeros_like(c)
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    c = c - lo
    sign = xp.where(c < 0, -1.0, 1.0).astype(c.dtype)
    c = xp.abs(c)
    extra = xp.fmod(c, span)
    flips = xp.floor(c / span)
    even = (flips % 2) == 0
    return xp.where(even, extra + lo, span - extra + lo), xp.where(even, sign, -sign)


def _pad_coord(xp, c, size: int, padding: int, align: bool):
    """PyTorch's compute_coordinates with its derivative."""
    if padding == 1:
        return _clip(xp, c, size)
    if padding == 2:
        if align:
            c, d1 = _reflect(xp, c, 0, 2 * (size - 1))
        else:
            c, d1 = _reflect(xp, c, -1, 2 * size - 1)
        c, d2 = _clip(xp, c, size)
        return c, d1 * d2
    return c, xp.ones_like(c)


def _finite(xp, c):
    """PyTorch's safe_downgrade_to_int_range: non-finite coordinates go far outside."""
    return xp.where(xp.isfinite(c), c, c.dtype.type(-100))


def _cubic(xp, t):
    """Keys' cubic weights of taps -1..2 at fraction t, and their derivatives in t."""
    A = _A

    def c1(x):
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def c2(x):
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    def d1(x):
        return (3 * (A + 2) * x - 2 * (A + 3)) * x

    def d2(x):
        return (3 * A * x - 10 * A) * x + 8 * A
    w = [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)]
    dw = [d2(t + 1), d1(t), -d1(1 - t), -d2(2 - t)]
    return w, dw


def _dim_taps(xp, g, size: int, mode: int, padding: int, align: bool):
    """Taps of one spatial dim: list of (index, valid, weight, d weight / d g)."""
    c, dc = _unnormalize(xp, g, size, align)
    if mode == 2:   # bicubic: the coordinate is not padded, each tap index is
        c = _finite(xp, c)
        base = xp.floor(c)
        w, dw = _cubic(xp, c - base)
        taps = []
        for k in range(4):
            idx, _ = _pad_coord(xp, base - 1 + k, size, padding, align)
            idx = _finite(xp, idx)
            taps.append((idx, w[k], dw[k] * dc))
        return [_checked(xp, i, size) + (wk, dk) for i, wk, dk in taps]
    c, dpad = _pad_coord(xp, c, size, padding, align)
    c = _finite(xp, c)
    dc = dc * dpad
    if mode == 1:
        idx = xp.rint(c)   # round half to even, as nearbyint
        return [_checked(xp, idx, size) + (None, None)]
    i0 = xp.floor(c)
    frac = c - i0
    one = xp.ones_like(c)
    return [_checked(xp, i0, size) + (1 - frac, -dc * one),
            _checked(xp, i0 + 1, size) + (frac, dc * one)]


def _checked(xp, idx, size: int):
    """(index clipped into the input, whether the unclipped index was inside)."""
    valid = (idx >= 0) & (idx <= size - 1)
    return xp.clip(idx, 0, size - 1).astype(np.int64), valid


# ------------------------------------------------------------------ the sampler
def _gather(xp, a, idx):
    """a (N, C, *S) at per-batch spatial indices idx (tuple of (N, *O)) -> (N, C, *O)."""
    n = a.shape[0]
    nidx = xp.arange(n).reshape((n,) + (1,) * (idx[0].ndim - 1))
    moved = xp.moveaxis(a, 1, -1)                     # (N, *S, C): channels stay last
    vals = moved[(nidx,) + tuple(idx)]                # (N, *O, C)
    return xp.moveaxis(vals, -1, 1)


def _sample(xp, a, grid, mode: int, padding: int, align: bool, need_grid_grad: bool,
            g_out=None):
    """Forward values (g_out None) or (grad input, grad grid) for upstream gradient g_out."""
    sizes = a.shape[2:]
    nd = len(sizes)
    # grid[..., 0] indexes the last dim (x = width), grid[..., 1] the one before, ...
    per_dim = [_dim_taps(xp, grid[..., nd - 1 - d], sizes[d], mode, padding, align)
               for d in range(nd)]
    if g_out is None:
        out = None
    else:
        flat = xp.zeros(a.size, np.float64)
        ggrid = [xp.zeros(grid.shape[:-1], grid.dtype) for _ in range(nd)]
    for combo in itertools.product(*per_dim):
        valid = combo[0][1]
        for t in combo[1:]:
            valid = valid & t[1]
        idx = tuple(t[0] for t in combo)
        weights = [t[2] for t in combo]
        w = None
        for wk in weights:
            if wk is not None:
                w = wk if w is None else w * wk
        if g_out is None:
            vals = xp.where(valid[:, None], _gather(xp, a, idx), 0)
            term = vals if w is None else vals * w[:, None]
            out = term if out is None else out + term
            continue
        _scatter(xp, flat, a.shape, idx, valid, g_out if w is None else g_out * w[:, None])
        if need_grid_grad and mode != 1:
            vals = xp.where(valid[:, None], _gather(xp, a, idx), 0)
            gv = (vals * g_out).sum(axis=1)                  # (N, *O)
            for d in range(nd):
                dw = combo[d][3]
                for e in range(nd):
                    if e != d:
                        dw = dw * combo[e][2]
                ggrid[d] = ggrid[d] + gv * dw
    if g_out is None:
        return out
    gx = flat.reshape(a.shape)
    gg = xp.stack([ggrid[nd - 1 - k] for k in range(nd)], axis=-1) if need_grid_grad else None
    return gx, gg


def _scatter(xp, flat, shape, idx, valid, contrib):
    """flat (the input's size, float64) += contrib (N, C, *O) at the taps idx (valid ones)."""
    n, c = shape[:2]
    sizes = shape[2:]
    lin = xp.zeros(idx[0].shape, np.int64)
    for k, i in enumerate(idx):
        lin = lin * sizes[k] + i
    plane = int(np.prod(sizes))
    base = (xp.arange(n)[:, None] * c + xp.arange(c)[None, :]) * plane    # (N, C)
    where = base.reshape((n, c) + (1,) * (lin.ndim - 1)) + lin[:, None]
    weights = xp.where(valid[:, None], contrib, 0).astype(np.float64)
    flat += xp.bincount(where.ravel(), weights=weights.ravel(), minlength=flat.size)


class _GridSampler(ArrayFunction):
    @staticmethod
    def forward(ctx, x, grid, mode, padding, align):
        a, gr = compute_array(x._data), compute_array(grid._data)
        ctx.save_for_backward(x, grid)
        ctx.meta = (mode, padding, align)
        out = _sample(xp_of(a), a, gr, mode, padding, align, False)
        return _wrap(out.astype(x._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        x, grid = ctx.saved_tensors
        mode, padding, align = ctx.meta
        a, gr = compute_array(x._data), compute_array(grid._data)
        need_grid = ctx.needs_input_grad[1]
        gx, gg = _sample(xp_of(a), a, gr, mode, padding, align, need_grid, compute_array(g))
        gx = gx.astype(x._data.dtype, copy=False)
        gg = None if gg is None else gg.astype(grid._data.dtype, copy=False)
        return gx, gg, None, None, None


class GridSampler2D(_GridSampler):
    pass


class GridSampler3D(_GridSampler):
    pass


# ------------------------------------------------------------------ declarations
def _check_grid_sample(input: Tensor, grid: Tensor, mode: int) -> None:
    if input.ndim not in (4, 5) or grid.ndim != input.ndim or \
            input.shape[0] != grid.shape[0]:
        if grid.ndim != input.ndim or input.shape[0] != grid.shape[0]:
            raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch "
                               f"size, but got input with sizes {list(input.shape)} and grid "
                               f"with sizes {list(grid.shape)}")
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same "
                           f"number of dimensions, but got input with sizes "
                           f"{list(input.shape)} and grid with sizes {list(grid.shape)}")
    nd = input.ndim - 2
    if grid.shape[-1] != nd:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {nd} in last dimension, "
                           f"but got grid with sizes {list(grid.shape)}")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"expected scalar type {type_name(input)} but found "
                           f"{type_name(grid)}")
    for dim in range(2, input.ndim):
        if input.shape[dim] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {dim} being empty")
    if mode == 2 and input.ndim != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if not input.is_floating_point():
        raise NotImplementedError(f'"grid_sampler_{nd}d_cpu_kernel_impl" not implemented for '
                                  f"'{type_name(input)}'")


@op("grid_sample", namespace="nn.functional")
def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners=None) -> Tensor:
    """Sample (N, C, H, W) input at the grid's (N, Ho, Wo, 2) normalised (x, y) locations
    (5-D: (N, C, D, H, W) at (N, Do, Ho, Wo, 3)), by PyTorch's coordinate and padding rules."""
    if mode not in _MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warn_user(_ALIGN_WARNING)
        align_corners = False
    check_tensor(input, "input", "grid_sampler")
    check_tensor(grid, "grid", "grid_sampler", 2)
    _check_grid_sample(input, grid, _MODES[mode])
    fn = GridSampler2D if input.ndim == 4 else GridSampler3D
    return fn.apply(input, grid, _MODES[mode], _PADDINGS[padding_mode], bool(align_corners))


# ------------------------------------------------------------------ affine_grid
def _linspace(xp, steps: int, align: bool, dtype):
    """PyTorch's linspace_from_neg_one: -1..1, shrunk by (n-1)/n without align_corners."""
    if steps <= 1:
        return xp.zeros(max(steps, 0), dtype)
    r = xp.linspace(-1, 1, steps).astype(dtype)
    return r if align else r * dtype.type((steps - 1) / steps)


def _base_grid(xp, spatial, align: bool, dtype):
    """(*spatial, nd + 1): per location (x, y[, z], 1), x along the last dim."""
    nd = len(spatial)
    base = xp.ones(tuple(spatial) + (nd + 1,), dtype)
    for k in range(nd):
        axis = nd - 1 - k   # coordinate k (x first) varies along spatial dim nd-1-k
        shape = [1] * nd
        shape[axis] = spatial[axis]
        base[..., k] = _linspace(xp, spatial[axis], align, dtype).reshape(shape)
    return base


class AffineGridGenerator(ArrayFunction):
    @staticmethod
    def forward(ctx, theta, size, align):
        th = compute_array(theta._data)
        xp = xp_of(th)
        spatial = tuple(size[2:])
        base = _base_grid(xp, spatial, align, th.dtype).reshape(-1, len(spatial) + 1)
        ctx.meta = (base, spatial, theta._data.dtype)
        grid = xp.matmul(base[None], xp.swapaxes(th, 1, 2))      # (N, L, nd)
        out = grid.reshape((th.shape[0],) + spatial + (len(spatial),))
        return _wrap(out.astype(theta._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        base, spatial, dtype = ctx.meta
        xp = xp_of(g)
        gc = compute_array(g).reshape(g.shape[0], -1, len(spatial))
        gtheta = xp.swapaxes(xp.matmul(base.T[None], gc), 1, 2)    # (N, nd, nd + 1)
        return gtheta.astype(dtype, copy=False), None, None


@op("affine_grid", namespace="nn.functional")
def affine_grid(theta: Tensor, size, align_corners=None) -> Tensor:
    """The (N, H, W, 2) sampling grid of the affine maps theta (N, 2, 3) for an output of
    `size` (N, C, H, W); 5-D: theta (N, 3, 4), size (N, C, D, H, W). For grid_sample."""
    if align_corners is None:
        warn_user(_ALIGN_WARNING)
        align_corners = False
    check_tensor(theta, "theta", "affine_grid_generator")
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) in (4, 5):
        nd = len(size) - 2
        if theta.ndim != 3 or theta.shape[-2] != nd or theta.shape[-1] != nd + 1:
            shape = "Nx2x3" if nd == 2 else "Nx3x4"
            raise ValueError(f"Expected a batch of {nd}D affine matrices of shape {shape} for "
                             f"size {size}. Got {theta.shape}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warn_user("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                  "grids when align_corners=True. This is not an intended use case of "
                  "affine_grid. See the documentation of affine_grid for details.")
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{size[0]}, {nd + 1}] but got: [{theta.shape[0]}, {nd + 1}].")
    return AffineGridGenerator.apply(theta, size, bool(align_corners))
