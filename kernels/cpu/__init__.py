"""Numba CPU kernels, one module per family, re-exported by name for the backend's table.

Numba is imported only when a kernel is first asked for (`Backend.kernel(name)`), so
`import minitorch_nn` stays fast; every kernel is compiled with `cache=True`.
"""
from __future__ import annotations

__all__: list[str] = []
