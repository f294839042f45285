"""Launchers of attention.cu: the softmax row kernels of kernels/cpu/attention.py on CuPy arrays.

Same names, arguments and contract as the Numba kernels: C-contiguous (items, L, S) arrays,
`out` preallocated (it may be the input array: in place), `scale` a scalar (cast to the
arrays' type), `causal` a flag. The forward scales the scores, masks the keys j > i when
causal and normalises each row; the backward turns the weights' gradient into the scores'.
float32 and float64, as on the CPU; float16 and bfloat16 attention reaches them too, as the
op computes half inputs in float32 (ops/_nn_util.py compute_array).
"""
from __future__ import annotations

from ._launch import FLOAT_TYPES, Family, check_same_shape, row_config

__all__ = ["attention_softmax_fwd", "attention_softmax_bwd"]

KERNELS = Family("attention", """
    attention_softmax_fwd(const T* s, A scale, int causal, T* out, long long rows,
                          long long length, long long keys)
    attention_softmax_bwd(const T* p, const T* dp, A scale, int causal, T* out,
                          long long rows, long long length, long long keys)
""", dtypes=FLOAT_TYPES)


def _rows(kernel: str, arrays: tuple, *args) -> None:
    """Launch `kernel(*args, rows, length, keys)`, one block per row of the (items, L, S)
    `arrays`."""
    check_same_shape(kernel, *arrays)
    if arrays[0].ndim != 3:
        raise ValueError(f"{kernel}: arrays must be 3-D (items, L, S), got shape "
                         f"{arrays[0].shape}")
    items, length, keys = arrays[0].shape
    grid, block = row_config(items * length, keys)
    KERNELS.launch(kernel, grid, block, *args, items * length, length, keys)


def attention_softmax_fwd(s, scale, causal, out) -> None:
    _rows("attention_softmax_fwd", (s, out), s, scale, bool(causal), out)


def attention_softmax_bwd(p, dp, scale, causal, out) -> None:
    _rows("attention_softmax_bwd", (p, dp, out), p, dp, scale, bool(causal), out)
