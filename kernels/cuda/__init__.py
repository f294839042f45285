"""CUDA kernels: `*.cu` sources compiled by CuPy's RawModule, and the Python that launches them."""
from __future__ import annotations

__all__: list[str] = []
