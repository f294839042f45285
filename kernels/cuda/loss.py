"""Launchers of loss.cu: the cross-entropy kernels of kernels/cpu/loss.py, on CuPy arrays.

Same arguments as the Numba kernels: x (N, C) logits, target (N,) int64, weight (C,) (ones
when the loss has no weight), `ignore_index` an int, `eps` the label smoothing; the outputs
are preallocated by the caller. x, weight and the gradient `out` have x's dtype; the
per-row arrays (lse, loss, wt, scale) the accumulation dtype: float32 for float16 /
bfloat16 x (PyTorch also keeps them in float), x's dtype otherwise.
"""
from __future__ import annotations

from ._launch import WITH_HALF_TYPES, Family, check_same_shape, row_config

__all__ = ["cross_entropy_fwd", "cross_entropy_bwd"]

KERNELS = Family("loss", """
    cross_entropy_fwd(const T* x, const long long* target, const T* weight,
                      long long ignore_index, A eps, A* lse_out, A* loss_out, A* wt_out,
                      long long rows, long long cols)
    cross_entropy_bwd(const T* x, const long long* target, const T* weight,
                      long long ignore_index, A eps, const A* lse, const A* scale, T* out,
                      long long rows, long long cols)
""", dtypes=WITH_HALF_TYPES)


def _check(kernel: str, x, target, weight, *per_row) -> tuple[int, int]:
    rows, cols = x.shape
    check_same_shape(kernel, target, *per_row)
    if target.shape != (rows,) or weight.shape != (cols,):
        raise ValueError(f"{kernel}: expected target ({rows},) and weight ({cols},), got "
                         f"{target.shape} and {weight.shape}")
    return rows, cols


def cross_entropy_fwd(x, target, weight, ignore_index, eps, lse_out, loss_out, wt_out) -> None:
    """Fill lse_out (N,), loss_out (N,) and wt_out (N,) = w[y_i] (0 for ignored rows)."""
    rows, cols = _check("cross_entropy_fwd", x, target, weight, lse_out, loss_out, wt_out)
    grid, block = row_config(rows, cols)
    KERNELS.launch("cross_entropy_fwd", grid, block, x, target, weight, ignore_index, eps,
                   lse_out, loss_out, wt_out, rows, cols)


def cross_entropy_bwd(x, target, weight, ignore_index, eps, lse, scale, out) -> None:
    """Gradient of the per-row losses w.r.t. the logits, row i scaled by scale[i]."""
    rows, cols = _check("cross_entropy_bwd", x, target, weight, lse, scale)
    check_same_shape("cross_entropy_bwd", x, out)
    grid, block = row_config(rows, cols)
    KERNELS.launch("cross_entropy_bwd", grid, block, x, target, weight, ignore_index, eps,
                   lse, scale, out, rows, cols)
