"""Launchers of norm.cu: the normalization kernels of kernels/cpu/norm.py, on CuPy arrays.

Same arguments as the Numba kernels: row norm over x (M, D) with w, b (D,) (always given:
ones and zeros when the layer has none), channel norm over x (N, C, L) with per-channel
(C,) arrays; `eps` a float, flags as bools; outputs preallocated by the caller
(gw_parts/gb_parts (P, D) zeroed, summed over axis 0 by the caller). The statistics
(mean, var, rstd) and gw_parts/gb_parts have the accumulation dtype (float32 for float16 /
bfloat16 x, as PyTorch keeps them; x's dtype otherwise), every other array x's dtype.
"""
from __future__ import annotations

from ._launch import (WITH_HALF_TYPES, Family, check_same_shape, elementwise_config,
                      row_config)

__all__ = ["row_norm_fwd", "row_norm_bwd", "channel_norm_fwd", "channel_norm_bwd"]

KERNELS = Family("norm", """
    row_norm_fwd(const T* x, const T* w, const T* b, A eps, T* out, A* mean, A* rstd,
                 long long rows, long long cols)
    row_norm_bwd_input(const T* x, const T* g, const A* mean, const A* rstd, const T* w,
                       T* gx, long long rows, long long cols)
    row_norm_bwd_params(const T* x, const T* g, const A* mean, const A* rstd, A* gw_parts,
                        A* gb_parts, long long rows, long long cols, long long parts)
    channel_norm_fwd(const T* x, A* mean, A* var, const T* w, const T* b, A eps,
                     int compute_stats, T* out, A* rstd, long long n, long long channels,
                     long long len)
    channel_norm_bwd(const T* x, const T* g, const A* mean, const A* rstd, const T* w,
                     int batch_stats, T* gx, T* gw, T* gb, long long n, long long channels,
                     long long len)
""", dtypes=WITH_HALF_TYPES)


def _check_vectors(kernel: str, length: int, *vectors) -> None:
    for v in vectors:
        if v.shape != (length,):
            raise ValueError(f"{kernel}: expected arrays of shape ({length},), got {v.shape}")


def row_norm_fwd(x, w, b, eps, out, mean, rstd) -> None:
    rows, cols = x.shape
    check_same_shape("row_norm_fwd", x, out)
    _check_vectors("row_norm_fwd", cols, w, b)
    _check_vectors("row_norm_fwd", rows, mean, rstd)
    grid, block = row_config(rows, cols)
    KERNELS.launch("row_norm_fwd", grid, block, x, w, b, eps, out, mean, rstd, rows, cols)


def row_norm_bwd(x, g, mean, rstd, w, gx, gw_parts, gb_parts) -> None:
    """gx (M, D); gw_parts/gb_parts (P, D) zeroed, P chunks of rows (see norm.cu)."""
    rows, cols = x.shape
    check_same_shape("row_norm_bwd", x, g, gx)
    check_same_shape("row_norm_bwd", gw_parts, gb_parts)
    _check_vectors("row_norm_bwd", rows, mean, rstd)
    _check_vectors("row_norm_bwd", cols, w)
    parts = gw_parts.shape[0]
    if gw_parts.shape != (parts, cols):
        raise ValueError(f"row_norm_bwd: gw_parts must be (P, {cols}), got {gw_parts.shape}")
    grid, block = row_config(rows, cols)
    KERNELS.launch("row_norm_bwd_input", grid, block, x, g, mean, rstd, w, gx, rows, cols)
    grid, block = elementwise_config(parts * cols)
    KERNELS.launch("row_norm_bwd_params", grid, block, x, g, mean, rstd, gw_parts, gb_parts,
                   rows, cols, parts)


def channel_norm_fwd(x, mean, var, w, b, eps, compute_stats, out, rstd) -> None:
    """Batch norm forward; with compute_stats, mean/var (C,) are filled from the batch."""
    n, c, length = x.shape
    check_same_shape("channel_norm_fwd", x, out)
    _check_vectors("channel_norm_fwd", c, mean, var, w, b, rstd)
    grid, block = row_config(c, n * length)
    KERNELS.launch("channel_norm_fwd", grid, block, x, mean, var, w, b, eps,
                   bool(compute_stats), out, rstd, n, c, length)


def channel_norm_bwd(x, g, mean, rstd, w, batch_stats, gx, gw, gb) -> None:
    """Batch norm backward; batch_stats says whether mean/var came from this batch."""
    n, c, length = x.shape
    check_same_shape("channel_norm_bwd", x, g, gx)
    _check_vectors("channel_norm_bwd", c, mean, rstd, w, gw, gb)
    grid, block = row_config(c, n * length)
    KERNELS.launch("channel_norm_bwd", grid, block, x, g, mean, rstd, w, bool(batch_stats),
                   gx, gw, gb, n, c, length)
