"""grid_sample kernels (F.grid_sample): sample (N, C, D, H, W) inputs at grid locations.

Layout: x (N, C, D, H, W) (a 2-D input is passed as D = 1), grid (N, P, nd) with the P
output points flattened and nd = 2 (x, y) or 3 (x, y, z): grid[..., 0] indexes W, [..., 1]
H, [..., 2] D. out and g are (N, C, P), gx (N, C, D, H, W) zeroed by the caller, ggrid
(N, P, nd). mode 0 bilinear, 1 nearest, 2 bicubic (nd = 2 only); padding 0 zeros,
1 border, 2 reflection; align and need_grid are flags.

Per spatial dim the coordinate follows PyTorch's GridSampler.h: unnormalize
(g + 1) / 2 * (size - 1) with align, ((g + 1) * size - 1) / 2 without; pad it (border clips
to [0, size - 1], reflection reflects about the borders then clips), each with its
derivative (0 where clipping saturates, -1 where a reflection flips); a non-finite
coordinate becomes -100 (outside). Bilinear taps floor(c) and floor(c) + 1 with weights
1 - frac and frac, nearest rint(c) (half to even) with weight 1, bicubic floor(c) - 1 ..
floor(c) + 2 with Keys' weights (A = -0.75), each tap padded on its own. A tap outside
[0, size - 1] reads zero: its index is never formed (the float coordinate is compared
first), so no grid value, NaN and inf included, can make a kernel read or write outside
the arrays. A sample is the sum over tap combinations of value * product of per-dim
weights, in PyTorch's order; the grid gradient of one dim is the sum of value * g * (d
weight of that dim) * (other weights) times the coordinate map's derivative (zero for
nearest). Arithmetic is in the arrays' type (float32 or float64), as PyTorch's.

The forward pass is parallel over blocks of points; the backward pass over the batch (the
points of one image scatter into the same gradient plane).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._fastmath import like
from ._variants import parallel_kernel

__all__ = ["grid_sample_fwd", "grid_sample_bwd"]

_TAPS = 4          # most taps per dim (bicubic)
_COMBOS = 16       # most tap combinations per point (bicubic 4 x 4; 3-D bilinear 2 x 2 x 2)
_BLOCK = 256       # points per parallel iteration of the forward pass


# ------------------------------------------------------------------ one coordinate
@njit(cache=True, inline="always")
def _clip(c, size):
    """Border clipping and its derivative (0 where clipped; NaN stays NaN)."""
    hi = like(c, size - 1)
    if c > 0 and c < hi:
        return c, like(c, 1.0)
    if c <= 0:
        return like(c, 0.0), like(c, 0.0)
    if c >= hi:
        return hi, like(c, 0.0)
    return c, like(c, 0.0)


@njit(cache=True, inline="always")
def _reflect(c, twice_low, twice_high):
    if twice_low == twice_high:
        return like(c, 0.0), like(c, 0.0)
    lo = like(c, twice_low / 2)
    span = like(c, (twice_high - twice_low) / 2)
    c = c - lo
    sign = like(c, -1.0) if c < 0 else like(c, 1.0)
    c = abs(c)
    extra = np.fmod(c, span)
    flips = np.floor(c / span)
    if np.fmod(flips, like(c, 2.0)) == 0:
        return extra + lo, sign
    return span - extra + lo, -sign


@njit(cache=True, inline="always")
def _pad(c, size, padding, align):
    """PyTorch's compute_coordinates, with its derivative."""
    if padding == 1:
        return _clip(c, size)
    if padding == 2:
        if align:
            c, d1 = _reflect(c, 0, 2 * (size - 1))
        else:
            c, d1 = _reflect(c, -1, 2 * size - 1)
        c, d2 = _clip(c, size)
        return c, d1 * d2
    return c, like(c, 1.0)


@njit(cache=True, inline="always")
def _finite(c):
    """PyTorch's safe_downgrade_to_int_range: a non-finite coordinate goes far outside."""
    return c if np.isfinite(c) else like(c, -100.0)


@njit(cache=True, inline="always")
def _index(c, size):
    """The integer index of tap coordinate c, or -1 when outside [0, size - 1] (compared as
    a float before any conversion, so a huge c is never converted)."""
    if c >= 0 and c <= like(c, size - 1):
        return np.int64(c)
    return np.int64(-1)


@njit(cache=True, inline="always")
def _cubic1(x):
    a = like(x, -0.75)
    return ((a + like(x, 2.0)) * x - (a + like(x, 3.0))) * x * x + like(x, 1.0)


@njit(cache=True, inline="always")
def _cubic2(x):
    a = like(x, -0.75)
    return ((a * x - like(x, 5.0) * a) * x + like(x, 8.0) * a) * x - like(x, 4.0) * a


@njit(cache=True, inline="always")
def _dcubic1(x):
    a = like(x, -0.75)
    return (like(x, 3.0) * (a + like(x, 2.0)) * x - like(x, 2.0) * (a + like(x, 3.0))) * x


@njit(cache=True, inline="always")
def _dcubic2(x):
    a = like(x, -0.75)
    return (like(x, 3.0) * a * x - like(x, 10.0) * a) * x + like(x, 8.0) * a


@njit(cache=True, inline="always")
def _dim_taps(g, size, mode, padding, align, d, idx, w, dw):
    """Row d of idx/w/dw: the taps of one dim at grid value g (index -1: outside, reads
    zero); returns their number."""
    one = like(g, 1.0)
    if align:
        c = (g + one) / like(g, 2.0) * like(g, size - 1)
        dc = like(g, (size - 1) / 2)
    else:
        c = ((g + one) * like(g, size) - one) / like(g, 2.0)
        dc = like(g, size / 2)
    if mode == 2:   # bicubic: the coordinate is not padded, each tap index is
        c = _finite(c)
        base = np.floor(c)
        t = c - base
        w[d, 0] = _cubic2(t + one)
        w[d, 1] = _cubic1(t)
        w[d, 2] = _cubic1(one - t)
        w[d, 3] = _cubic2(like(g, 2.0) - t)
        dw[d, 0] = _dcubic2(t + one) * dc
        dw[d, 1] = _dcubic1(t) * dc
        dw[d, 2] = -_dcubic1(one - t) * dc
        dw[d, 3] = -_dcubic2(like(g, 2.0) - t) * dc
        for k in range(4):
            tap, _ = _pad(base - one + like(g, k), size, padding, align)
            idx[d, k] = _index(_finite(tap), size)
        return 4
    c, dpad = _pad(c, size, padding, align)
    c = _finite(c)
    dc = dc * dpad
    if mode == 1:
        idx[d, 0] = _index(np.rint(c), size)   # round half to even, as nearbyint
        w[d, 0] = one
        dw[d, 0] = like(g, 0.0)
        return 1
    i0 = np.floor(c)
    frac = c - i0
    idx[d, 0] = _index(i0, size)
    idx[d, 1] = _index(i0 + one, size)
    w[d, 0] = one - frac
    w[d, 1] = frac
    dw[d, 0] = -dc
    dw[d, 1] = dc
    return 2


@njit(cache=True, inline="always")
def _point(grid, n, p, sizes, mode, padding, align, cnt, idx, w, dw, offs, cw, cdw):
    """The valid tap combinations of point (n, p): offsets into the (D, H, W) plane, weights
    and per-dim derivative weights; returns their number."""
    nd = grid.shape[2]
    one = like(grid[0, 0, 0], 1.0)
    first = 3 - nd
    if nd == 2:   # a 2-D input: one depth tap, index 0, weight 1
        cnt[0] = 1
        idx[0, 0] = 0
        w[0, 0] = one
        dw[0, 0] = like(one, 0.0)
    for d in range(first, 3):
        cnt[d] = _dim_taps(grid[n, p, 2 - d], sizes[d], mode, padding, align, d, idx, w, dw)
    m = 0
    for a in range(cnt[0]):
        ia = idx[0, a]
        if ia < 0:
            continue
        for b in range(cnt[1]):
            ib = idx[1, b]
            if ib < 0:
                continue
            for e in range(cnt[2]):
                ie = idx[2, e]
                if ie < 0:
                    continue
                offs[m] = (ia * sizes[1] + ib) * sizes[2] + ie
                cw[m] = w[0, a] * w[1, b] * w[2, e]
                cdw[m, 0] = dw[0, a] * w[1, b] * w[2, e]
                cdw[m, 1] = dw[1, b] * w[0, a] * w[2, e]
                cdw[m, 2] = dw[2, e] * w[0, a] * w[1, b]
                m += 1
    return m


@njit(cache=True)
def _check(x, grid, pts, mode):
    """ValueError for arrays whose shapes disagree (the kernels index by these shapes)."""
    if x.ndim != 5 or grid.ndim != 3 or pts.ndim != 3:
        raise ValueError("grid_sample: expected x (N, C, D, H, W), grid (N, P, nd), (N, C, P)")
    nd = grid.shape[2]
    if nd != 2 and nd != 3 or (nd == 2 and x.shape[2] != 1) or (mode == 2 and nd != 2):
        raise ValueError("grid_sample: bad grid dims for this input or mode")
    if grid.shape[0] != x.shape[0] or pts.shape[0] != x.shape[0] or \
            pts.shape[1] != x.shape[1] or pts.shape[2] != grid.shape[1]:
        raise ValueError("grid_sample: out, g or gx does not match x and grid")
    if x.shape[2] < 1 or x.shape[3] < 1 or x.shape[4] < 1:
        raise ValueError("grid_sample: empty spatial dims")


@njit(cache=True, inline="always")
def _scratch(dtype_of):
    cnt = np.zeros(3, np.int64)
    idx = np.zeros((3, _TAPS), np.int64)
    w = np.zeros((3, _TAPS), dtype_of.dtype)
    dw = np.zeros((3, _TAPS), dtype_of.dtype)
    offs = np.zeros(_COMBOS, np.int64)
    cw = np.zeros(_COMBOS, dtype_of.dtype)
    cdw = np.zeros((_COMBOS, 3), dtype_of.dtype)
    return cnt, idx, w, dw, offs, cw, cdw


# ------------------------------------------------------------------ kernels
@parallel_kernel(globals())
def grid_sample_fwd(x, grid, out, mode, padding, align):
    _check(x, grid, out, mode)
    n_batch, channels = x.shape[0], x.shape[1]
    sizes = (x.shape[2], x.shape[3], x.shape[4])
    xs = x.reshape((n_batch, channels, sizes[0] * sizes[1] * sizes[2]))
    points = grid.shape[1]
    blocks = (points + _BLOCK - 1) // _BLOCK
    for job in prange(n_batch * blocks):
        n = job // blocks
        start = (job % blocks) * _BLOCK
        cnt, idx, w, dw, offs, cw, cdw = _scratch(out)
        for p in range(start, min(start + _BLOCK, points)):
            m = _point(grid, n, p, sizes, mode, padding, align, cnt, idx, w, dw, offs, cw, cdw)
            for ch in range(channels):
                acc = like(cw[0], 0.0)
                for k in range(m):
                    acc += xs[n, ch, offs[k]] * cw[k]
                out[n, ch, p] = acc


@parallel_kernel(globals())
def grid_sample_bwd(x, grid, g, gx, ggrid, mode, padding, align, need_grid):
    """gx (zeroed by the caller) += the input gradient; ggrid = the grid gradient (zeros
    for nearest or when need_grid is 0)."""
    _check(x, grid, g, mode)
    _check(gx, grid, g, mode)
    if ggrid.shape[0] != grid.shape[0] or ggrid.shape[1] != grid.shape[1] or \
            ggrid.shape[2] != grid.shape[2]:
        raise ValueError("grid_sample: ggrid does not match grid")
    n_batch, channels = x.shape[0], x.shape[1]
    sizes = (x.shape[2], x.shape[3], x.shape[4])
    plane = sizes[0] * sizes[1] * sizes[2]
    xs = x.reshape((n_batch, channels, plane))
    gxs = gx.reshape((n_batch, channels, plane))
    nd = grid.shape[2]
    points = grid.shape[1]
    want_grid = need_grid and mode != 1
    for n in prange(n_batch):
        cnt, idx, w, dw, offs, cw, cdw = _scratch(g)
        for p in range(points):
            m = _point(grid, n, p, sizes, mode, padding, align, cnt, idx, w, dw, offs, cw, cdw)
            s0 = like(cw[0], 0.0)
            s1 = s0
            s2 = s0
            for k in range(m):
                off = offs[k]
                wk = cw[k]
                gv = like(wk, 0.0)
                for ch in range(channels):
                    go = g[n, ch, p]
                    gxs[n, ch, off] += go * wk
                    gv += xs[n, ch, off] * go
                if want_grid:
                    s0 += gv * cdw[k, 0]
                    s1 += gv * cdw[k, 1]
                    s2 += gv * cdw[k, 2]
            # grid component j indexes spatial dim 2 - j
            ggrid[n, p, 0] = s2
            ggrid[n, p, 1] = s1
            if nd == 3:
                ggrid[n, p, 2] = s0
