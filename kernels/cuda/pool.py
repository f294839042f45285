"""Launchers of pool.cu: the pooling kernels of kernels/cpu/pool.py, on CuPy arrays.

Same arguments as the Numba kernels: (N, C, H, W) inputs, outputs (N, C, OH, OW)
preallocated, max-pooling indices int64, gradients (N, C, H, W) zeroed by the caller;
window geometry as ints, `count_include_pad` a bool, `divisor_override` an int (0: none).
One thread per output element. float32, float64, float16 and bfloat16: sums in float32
for the half types; the backward passes, which scatter with atomics, add into a float32
copy of gx that is rounded into gx once (`accumulating`).
"""
from __future__ import annotations

from ._launch import (WITH_HALF_TYPES, Family, accumulating, check_same_shape,
                      elementwise_config)

__all__ = ["max_pool2d_fwd", "max_pool2d_bwd", "avg_pool2d_fwd", "avg_pool2d_bwd",
           "adaptive_avg_pool2d_fwd", "adaptive_avg_pool2d_bwd"]

_GEOMETRY = "long long planes, long long height, long long width, long long oh_n, long long ow_n"

KERNELS = Family("pool", f"""
    max_pool2d_fwd(const T* x, T* out, long long* idx, int kh, int kw, int sh, int sw, int ph,
                   int pw, int dh, int dw, {_GEOMETRY})
    max_pool2d_bwd(const T* g, const long long* idx, A* gx, {_GEOMETRY})
    avg_pool2d_fwd(const T* x, T* out, int kh, int kw, int sh, int sw, int ph, int pw,
                   int count_include_pad, int divisor_override, {_GEOMETRY})
    avg_pool2d_bwd(const T* g, A* gx, int kh, int kw, int sh, int sw, int ph, int pw,
                   int count_include_pad, int divisor_override, {_GEOMETRY})
    adaptive_avg_pool2d_fwd(const T* x, T* out, {_GEOMETRY})
    adaptive_avg_pool2d_bwd(const T* g, A* gx, {_GEOMETRY})
""", dtypes=WITH_HALF_TYPES)


def _geometry(kernel: str, big, small) -> tuple[int, int, int, int, int]:
    """(planes, H, W, OH, OW) from an (N, C, H, W) and an (N, C, OH, OW) array."""
    n, c, height, width = big.shape
    if small.ndim != 4 or small.shape[:2] != (n, c):
        raise ValueError(f"{kernel}: expected arrays (N, C, H, W) and (N, C, OH, OW), got "
                         f"{big.shape} and {small.shape}")
    return n * c, height, width, small.shape[2], small.shape[3]


def _launch(kernel: str, arrays: tuple, params: tuple, geometry: tuple) -> None:
    planes, _, _, oh_n, ow_n = geometry
    grid, block = elementwise_config(planes * oh_n * ow_n)
    KERNELS.launch(kernel, grid, block, *arrays, *params, *geometry)


def max_pool2d_fwd(x, out, idx, kh, kw, sh, sw, ph, pw, dh, dw) -> None:
    check_same_shape("max_pool2d_fwd", out, idx)
    _launch("max_pool2d_fwd", (x, out, idx), (kh, kw, sh, sw, ph, pw, dh, dw),
            _geometry("max_pool2d_fwd", x, out))


def max_pool2d_bwd(g, idx, gx) -> None:
    """gx (N, C, H, W), zeroed by the caller, receives g at the recorded positions."""
    check_same_shape("max_pool2d_bwd", g, idx)
    geometry = _geometry("max_pool2d_bwd", gx, g)
    with accumulating(gx) as acc:
        _launch("max_pool2d_bwd", (g, idx, acc), (), geometry)


def avg_pool2d_fwd(x, out, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override) -> None:
    _launch("avg_pool2d_fwd", (x, out),
            (kh, kw, sh, sw, ph, pw, bool(count_include_pad), divisor_override or 0),
            _geometry("avg_pool2d_fwd", x, out))


def avg_pool2d_bwd(g, gx, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override) -> None:
    """gx (N, C, H, W), zeroed by the caller: each window spreads g / divisor over itself."""
    geometry = _geometry("avg_pool2d_bwd", gx, g)
    with accumulating(gx) as acc:
        _launch("avg_pool2d_bwd", (g, acc),
                (kh, kw, sh, sw, ph, pw, bool(count_include_pad), divisor_override or 0),
                geometry)


def adaptive_avg_pool2d_fwd(x, out) -> None:
    _launch("adaptive_avg_pool2d_fwd", (x, out), (), _geometry("adaptive_avg_pool2d_fwd", x, out))


def adaptive_avg_pool2d_bwd(g, gx) -> None:
    geometry = _geometry("adaptive_avg_pool2d_bwd", gx, g)
    with accumulating(gx) as acc:
        _launch("adaptive_avg_pool2d_bwd", (g, acc), (), geometry)
