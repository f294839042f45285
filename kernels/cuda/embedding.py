"""Launcher of embedding.cu: the embedding_bwd kernel of kernels/cpu/embedding.py, on CuPy.

`embedding_bwd(idx, g, out, padding_idx)`: idx (M,) int64 (flattened lookups, in [0, V) as
checked by the forward), g (M, D) the output gradient, out (V, D) zeroed by the caller; rows
looked up at `padding_idx` get no gradient (negative: no padding index). Rows looked up
several times accumulate through atomicAdd (a row outside [0, V) is skipped), so the float sums' order (and last bits) may
vary from run to run. float16 / bfloat16 gradients are accumulated in a float32 copy of
`out` and rounded into it once (`accumulating`).
"""
from __future__ import annotations

from ._launch import WITH_HALF_TYPES, Family, accumulating, elementwise_config

__all__ = ["embedding_bwd"]

KERNELS = Family("embedding", """
    embedding_bwd(const long long* idx, const T* g, A* out, long long padding_idx, long long m,
                  long long d, long long v)
""", dtypes=WITH_HALF_TYPES)


def embedding_bwd(idx, g, out, padding_idx) -> None:
    """out (V, D) zeroed; idx (M,) int64; g (M, D); padding_idx < 0 means none."""
    m, d = g.shape
    if idx.shape != (m,) or out.ndim != 2 or out.shape[1] != d:
        raise ValueError(f"embedding_bwd: expected idx ({m},) and out (V, {d}), got "
                         f"{idx.shape} and {out.shape}")
    grid, block = elementwise_config(g.size)
    with accumulating(out) as acc:
        KERNELS.launch("embedding_bwd", grid, block, idx, g, acc, padding_idx, m, d,
                       out.shape[0])
