"""Launchers of dropout.cu, and the same counter-based random numbers in numpy.

- `dropout_mask(mask, p, seed, offset)`: mask (uint8, any shape) = 1 where kept.
- `dropout_fwd(x, out, mask, p, seed, offset)`: out = x / (1 - p) where kept, else 0, and
  the mask for backward (p == 1 drops everything).
- `dropout_bwd(g, mask, out, p)`: out = g / (1 - p) where the mask kept, else 0.

Element i of a call uses the random number of counter `offset + i` under `seed`; callers
advance `offset` by the element count after each call so that calls never share numbers.
`uniform_host(seed, offset, n)` computes those numbers on the CPU (tests, reproducibility).
There is no Numba twin: the CPU path draws its mask with numpy's generator. float32,
float64, float16 and bfloat16 (x * scale in float32, rounded once, for the half types).
"""
from __future__ import annotations

import numpy as np

from ._launch import WITH_HALF_TYPES, Family, check_same_shape, elementwise_config

__all__ = ["dropout_mask", "dropout_fwd", "dropout_bwd", "uniform_host"]

KERNELS = Family("dropout", """
    dropout_mask(unsigned char* mask, double p, unsigned long long seed,
                 unsigned long long offset, long long n)
    dropout_fwd(const T* x, T* out, unsigned char* mask, double p, A scale,
                unsigned long long seed, unsigned long long offset, long long n)
    dropout_bwd(const T* g, const unsigned char* mask, T* out, A scale, long long n)
""", dtypes=WITH_HALF_TYPES)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _scale(p: float) -> float:
    return 0.0 if p >= 1.0 else 1.0 / (1.0 - p)


def _seed(seed: int) -> int:
    return int(seed) % (1 << 64)   # negative or large Python seeds wrap as in C


def dropout_mask(mask, p, seed, offset) -> None:
    grid, block = elementwise_config(mask.size)
    KERNELS.launch("dropout_mask", grid, block, mask, p, _seed(seed), offset, mask.size)


def dropout_fwd(x, out, mask, p, seed, offset) -> None:
    check_same_shape("dropout_fwd", x, out, mask)
    grid, block = elementwise_config(x.size)
    KERNELS.launch("dropout_fwd", grid, block, x, out, mask, p, _scale(p), _seed(seed), offset,
                   x.size)


def dropout_bwd(g, mask, out, p) -> None:
    check_same_shape("dropout_bwd", g, mask, out)
    grid, block = elementwise_config(g.size)
    KERNELS.launch("dropout_bwd", grid, block, g, mask, out, _scale(p), g.size)


def _splitmix64(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def uniform_host(seed: int, offset: int, n: int) -> np.ndarray:
    """The uniforms in [0, 1) (float64, 24 random bits) that dropout.cu draws for
    counters offset .. offset + n - 1 under `seed`."""
    with np.errstate(over="ignore"):
        mixed = _splitmix64(np.array([_seed(seed)], np.uint64))[0]
        counters = np.arange(n, dtype=np.uint64) + np.uint64(offset) + np.uint64(1)
        bits = _splitmix64(mixed + counters * _GOLDEN)
    return (bits >> np.uint64(40)).astype(np.float64) * (1.0 / 16777216.0)
