"""Launchers of grid_sample.cu: the grid_sample kernels of kernels/cpu/grid_sample.py, on CuPy
arrays.

Same arguments as the Numba kernels: x (N, C, D, H, W) (2-D: D = 1), grid (N, P, nd), out and
g (N, C, P), gx (N, C, D, H, W) zeroed by the caller, ggrid (N, P, nd); mode, padding and the
flags as ints. One thread per output point. float32, float64, float16 and bfloat16:
coordinates and sums in float32 for the half types; the backward pass, which scatters with
atomics, adds into a float32 copy of gx that is rounded into gx once (`accumulating`).
The shapes are checked here: the kernels index by them.
"""
from __future__ import annotations

from ._launch import WITH_HALF_TYPES, Family, accumulating, elementwise_config

__all__ = ["grid_sample_fwd", "grid_sample_bwd"]

_GEOMETRY = ("long long n_batch, long long channels, long long depth, long long height, "
             "long long width, long long points, long long nd")

KERNELS = Family("grid_sample", f"""
    grid_sample_fwd(const T* x, const T* grid, T* out, int mode, int padding, int align,
                    {_GEOMETRY})
    grid_sample_bwd(const T* x, const T* grid, const T* g, A* gx, T* ggrid, int mode,
                    int padding, int align, int need_grid, {_GEOMETRY})
""", dtypes=WITH_HALF_TYPES)


def _geometry(kernel: str, x, grid, pts, mode: int) -> tuple:
    """(N, C, D, H, W, P, nd) after checking that the arrays agree (ValueError otherwise)."""
    if x.ndim != 5 or grid.ndim != 3 or pts.ndim != 3:
        raise ValueError(f"{kernel}: expected x (N, C, D, H, W), grid (N, P, nd) and "
                         f"(N, C, P), got {x.shape}, {grid.shape}, {pts.shape}")
    n, c, depth, height, width = x.shape
    nd = grid.shape[2]
    if nd not in (2, 3) or (nd == 2 and depth != 1) or (mode == 2 and nd != 2):
        raise ValueError(f"{kernel}: grid of {nd} coordinates for x {x.shape}, mode {mode}")
    if grid.shape[0] != n or pts.shape != (n, c, grid.shape[1]) or min(depth, height,
                                                                       width) < 1:
        raise ValueError(f"{kernel}: shapes {x.shape}, {grid.shape}, {pts.shape} disagree")
    return n, c, depth, height, width, grid.shape[1], nd


def grid_sample_fwd(x, grid, out, mode, padding, align) -> None:
    geometry = _geometry("grid_sample_fwd", x, grid, out, mode)
    launch_grid, block = elementwise_config(geometry[0] * geometry[5])
    KERNELS.launch("grid_sample_fwd", launch_grid, block, x, grid, out, mode, padding,
                   int(align), *geometry)


def grid_sample_bwd(x, grid, g, gx, ggrid, mode, padding, align, need_grid) -> None:
    """gx (zeroed by the caller) += the input gradient; ggrid = the grid gradient."""
    geometry = _geometry("grid_sample_bwd", x, grid, g, mode)
    if gx.shape != x.shape or ggrid.shape != grid.shape:
        raise ValueError(f"grid_sample_bwd: gx {gx.shape} / ggrid {ggrid.shape} must match "
                         f"x {x.shape} / grid {grid.shape}")
    launch_grid, block = elementwise_config(geometry[0] * geometry[5])
    with accumulating(gx) as acc:
        KERNELS.launch("grid_sample_bwd", launch_grid, block, x, grid, g, acc, ggrid, mode,
                       padding, int(align), int(need_grid), *geometry)
