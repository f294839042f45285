"""F.interpolate of uint8 (N, C, H, W) tensors, modes bilinear and bicubic (antialiased or
not): PyTorch's CPU numbers, bit for bit.

PyTorch does not compute uint8 in float: it resamples one dim at a time (width, then height;
a dim whose size does not change is skipped, an unchanged image is copied) with int16
fixed-point weights and an integer sum rounded and clamped to 0..255 after each pass
(aten/src/ATen/native/cpu/UpSampleKernel.cpp; the Numba kernels are kernels/cpu/interpolate.py,
`uint8_taps` and `uint8_resample`). On x86 it runs the same arithmetic in AVX2 code for
C <= 4 and its generic TensorIterator loop for C > 4. The generic loop has a quirk this module
reproduces: when the height pass writes a channels-first (NCHW) output of width 1, every output
row gets row 0's value (its inner loop reads the taps of the first row only). (Above 32768
output elements PyTorch splits that loop over threads and each chunk starts a new "row 0";
that thread-dependent case is not reproduced.) One PyTorch failure is not reproduced either:
3 channels, a channels-first input of more than one pixel, a 1x1 output and a height pass
raise an internal assert in its AVX2 code; here the values are computed.

The result has PyTorch's memory format (channels_last when the input's strides say so, as
`suggest_memory_format`) and no gradient (uint8 tensors cannot require one). On CuPy arrays
PyTorch's CUDA kernels refuse uint8, and so does this module.
"""
from __future__ import annotations

import numpy as np

from ..array_backends import backend_of
from ..array_backends.base import PARALLEL_MIN, threaded
from ..tensor import Tensor, _wrap
from ._nn_util import type_name
from ._util import xp_of

__all__ = ["interpolate_uint8"]

_CUDA_KERNEL = {"bilinear": "upsample_bilinear2d_out_frame",
                "bicubic": "upsample_bicubic2d_out_frame"}


def _scale(in_size: int, out_size: int, align_corners: bool, scale) -> float:
    """PyTorch's area_pixel_compute_scale<double>."""
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    if scale is not None and scale > 0:
        return 1.0 / scale
    return in_size / out_size


def _channels_last_like(shape, strides) -> bool:
    """PyTorch's `suggest_memory_format() == channels_last`: c10's
    is_channels_last_strides_2d_s4 (strides in elements). It picks the output's layout."""
    if strides[1] == 0:
        return False
    low = 0
    for d in (1, 3, 2, 0):
        if shape[d] == 0 or strides[d] < low:
            return False
        if d == 0 and low == strides[1]:
            return False
        low = strides[d] * (shape[d] if shape[d] > 1 else 1)
    return True


def _kernel(name: str, size: int):
    if size < PARALLEL_MIN:
        return backend_of(np.empty(0)).kernel("interpolate", name + "_serial")
    return threaded(backend_of(np.empty(0)).kernel("interpolate", name))


def _pass(a: np.ndarray, axis: int, out_size: int, mode: str, align_corners: bool,
          antialias: bool, scale) -> np.ndarray:
    """Resample the C-contiguous uint8 array `a` along `axis` to `out_size`."""
    in_size = a.shape[axis]
    cubic = mode == "bicubic"
    coef = -0.5 if antialias else -0.75
    taps = backend_of(a).kernel("interpolate", "uint8_taps")
    mins, sizes, weights, precision = taps(
        in_size, out_size, _scale(in_size, out_size, align_corners, scale), cubic, coef,
        antialias, align_corners)
    lead = int(np.prod(a.shape[:axis], dtype=np.int64))
    trail = int(np.prod(a.shape[axis + 1:], dtype=np.int64))
    out_shape = a.shape[:axis] + (out_size,) + a.shape[axis + 1:]
    out = np.empty(out_shape, np.uint8)
    if out.size:
        _kernel("uint8_resample", out.size)(
            a.reshape(lead, in_size, trail), out.reshape(lead, out_size, trail), mins, sizes,
            weights, precision)
    return out


def _fresh_copy(a: np.ndarray) -> np.ndarray:
    out = np.empty(a.shape, a.dtype)
    out[...] = a
    return out


def _resample(arr: np.ndarray, output_size, scales, mode: str, align_corners: bool,
              antialias: bool, channels_last: bool) -> np.ndarray:
    """The uint8 result in NCHW order (a view of NHWC memory when `channels_last`)."""
    n, c, h, w = arr.shape
    oh, ow = output_size
    sh, sw = (None, None) if scales is None else scales
    a = arr.transpose(0, 2, 3, 1) if channels_last else arr
    if (ow, oh) == (w, h) or not a.flags.c_contiguous:   # a fresh array, canonical strides
        a = _fresh_copy(a)
    h_axis, w_axis = (1, 2) if channels_last else (2, 3)
    if ow != w:
        a = _pass(a, w_axis, ow, mode, align_corners, antialias, sw)
    if oh != h:
        a = _pass(a, h_axis, oh, mode, align_corners, antialias, sh)
        if c > 4 and ow == 1 and not channels_last:   # PyTorch's generic-loop quirk
            a[:, :, 1:] = a[:, :, :1]
    return a.transpose(0, 3, 1, 2) if channels_last else a


def interpolate_uint8(input: Tensor, mode: str, output_size, scales, align_corners: bool,
                      antialias: bool) -> Tensor:
    """uint8 bilinear/bicubic resampling of a 4-D tensor with PyTorch's fixed-point rules
    (see the module docstring). Sizes were checked by the caller."""
    arr = input._data
    if xp_of(arr) is not np:
        raise NotImplementedError(f'"{_CUDA_KERNEL[mode]}" not implemented for '
                                  f"'{type_name(input)}'")
    item = arr.itemsize or 1
    channels_last = _channels_last_like(arr.shape, [s // item for s in arr.strides])
    out = _resample(arr, [int(s) for s in output_size], scales, mode, bool(align_corners),
                    bool(antialias), channels_last)
    return _wrap(out)
