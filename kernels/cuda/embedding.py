"""Launcher of embedding.cu: the weight gradient of an embedding lookup, on CuPy arrays.

`embedding_bwd(indices, g, gw, padding_idx)`: indices (M,) int64 (flattened lookups, in
[0, V) as checked by the forward), g (M, D) the output gradient, gw (V, D) zeroed by the
caller; rows looked up at `padding_idx` get no gradient (-1 or None: no padding index).
There is no Numba twin: on the CPU `numpy.add.at` does this in one call.
"""
from __future__ import annotations

from ._launch import Family, elementwise_config

__all__ = ["embedding_bwd"]

KERNELS = Family("embedding", """
    embedding_bwd(const long long* indices, const T* g, T* gw, long long padding_idx,
                  long long m, long long d)
""")


def embedding_bwd(indices, g, gw, padding_idx) -> None:
    m, d = g.shape
    if indices.shape != (m,) or gw.ndim != 2 or gw.shape[1] != d:
        raise ValueError(f"embedding_bwd: expected indices ({m},) and gw (V, {d}), got "
                         f"{indices.shape} and {gw.shape}")
    grid, block = elementwise_config(g.size)
    KERNELS.launch("embedding_bwd", grid, block, indices, g, gw,
                   -1 if padding_idx is None else padding_idx, m, d)
