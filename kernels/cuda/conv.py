"""Launchers of conv.cu: im2col and col2im of kernels/cpu/conv.py, on CuPy arrays.

Same arguments as the Numba kernels: x / out (N, C, H, W), cols (C*kh*kw, N*OH*OW)
preallocated (`out` of col2im zeroed by the caller), geometry as ints. The GEMMs of a
convolution stay with the caller (cupy.matmul, i.e. cuBLAS). float32, float64, float16
and bfloat16 (col2im sums in float32 for the half types).
"""
from __future__ import annotations

from ._launch import WITH_HALF_TYPES, Family, elementwise_config

__all__ = ["im2col", "col2im"]

_ARGS = ("const T* {src}, T* {dst}, int kh, int kw, int sh, int sw, int ph, int pw, int dh, "
         "int dw, long long oh_n, long long ow_n, long long n_batch, long long channels, "
         "long long height, long long width")

KERNELS = Family("conv", f"""
    im2col({_ARGS.format(src="x", dst="cols")})
    col2im({_ARGS.format(src="cols", dst="out")})
""", dtypes=WITH_HALF_TYPES)


def _check(kernel: str, image, cols, kh, kw, oh_n, ow_n) -> None:
    n, c = image.shape[:2]
    want = (c * kh * kw, n * oh_n * ow_n)
    if image.ndim != 4 or cols.shape != want:
        raise ValueError(f"{kernel}: expected an (N, C, H, W) array and columns {want}, got "
                         f"{image.shape} and {cols.shape}")


def im2col(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, oh_n, ow_n) -> None:
    """Fill cols (C*kh*kw, N*OH*OW) from x (N, C, H, W); one thread per column entry."""
    _check("im2col", x, cols, kh, kw, oh_n, ow_n)
    grid, block = elementwise_config(cols.size)
    KERNELS.launch("im2col", grid, block, x, cols, kh, kw, sh, sw, ph, pw, dh, dw, oh_n, ow_n,
                   *x.shape)


def col2im(cols, out, kh, kw, sh, sw, ph, pw, dh, dw, oh_n, ow_n) -> None:
    """Add cols (C*kh*kw, N*OH*OW) into out (N, C, H, W); one thread per element of out."""
    _check("col2im", out, cols, kh, kw, oh_n, ow_n)
    grid, block = elementwise_config(out.size)
    KERNELS.launch("col2im", grid, block, cols, out, kh, kw, sh, sw, ph, pw, dh, dw, oh_n,
                   ow_n, *out.shape)
