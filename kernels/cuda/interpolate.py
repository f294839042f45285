"""Launchers of interpolate.cu: the bilinear2d kernels of kernels/cpu/interpolate.py, on CuPy
arrays.

Same arguments as the Numba kernels: x and gx (N, C, H, W) (gx zeroed by the caller), out
and g (N, C, OH, OW), the taps hi (2, OH) and wi (2, OW) int64 with their weights hw, ww
in the accumulation type (float32 for float32, float16 and bfloat16 arrays, float64 for
float64 ones). One thread per output element; the backward pass scatters with atomics, into
a float32 copy of gx for the half types that is rounded into gx once (`accumulating`).
The shapes are checked here (the kernels index by them); a tap index outside the input is
not (that would read the device array back): the kernels read 0 there and write nothing.
The uint8 kernels stay CPU-only (PyTorch's CUDA has no uint8 bilinear/bicubic).
"""
from __future__ import annotations

from ._launch import WITH_HALF_TYPES, Family, accumulating, elementwise_config

__all__ = ["bilinear2d_fwd", "bilinear2d_bwd"]

_TAPS = ("const long long* hi, const A* hw, const long long* wi, const A* ww, "
         "long long planes, long long height, long long width, long long out_h, "
         "long long out_w")

KERNELS = Family("interpolate", f"""
    bilinear2d_fwd(const T* x, T* out, {_TAPS})
    bilinear2d_bwd(const T* g, A* gx, {_TAPS})
""", dtypes=WITH_HALF_TYPES)


def _geometry(kernel: str, big, small, hi, hw, wi, ww) -> tuple:
    """(N*C, H, W, OH, OW) of input-sized `big` and output-sized `small` after checking that
    the arrays agree (ValueError otherwise)."""
    if big.ndim != 4 or small.ndim != 4:
        raise ValueError(f"{kernel}: expected 4-D (N, C, H, W) arrays, got {big.shape} and "
                         f"{small.shape}")
    n, c, height, width = big.shape
    if small.shape[:2] != (n, c):
        raise ValueError(f"{kernel}: planes differ: {big.shape} and {small.shape}")
    out_h, out_w = small.shape[2:]
    if hi.shape != (2, out_h) or hw.shape != (2, out_h) or wi.shape != (2, out_w) or \
            ww.shape != (2, out_w):
        raise ValueError(f"{kernel}: tap arrays {hi.shape}, {hw.shape}, {wi.shape}, "
                         f"{ww.shape} do not match the output size {(out_h, out_w)}")
    return n * c, height, width, out_h, out_w


def bilinear2d_fwd(x, out, hi, hw, wi, ww) -> None:
    geometry = _geometry("bilinear2d_fwd", x, out, hi, hw, wi, ww)
    launch_grid, block = elementwise_config(out.size)
    KERNELS.launch("bilinear2d_fwd", launch_grid, block, x, out, hi, hw, wi, ww, *geometry)


def bilinear2d_bwd(g, gx, hi, hw, wi, ww) -> None:
    """gx (zeroed by the caller) += the input gradient of the forward for output gradient g."""
    geometry = _geometry("bilinear2d_bwd", gx, g, hi, hw, wi, ww)
    launch_grid, block = elementwise_config(g.size)
    with accumulating(gx) as acc:
        KERNELS.launch("bilinear2d_bwd", launch_grid, block, g, acc, hi, hw, wi, ww, *geometry)
