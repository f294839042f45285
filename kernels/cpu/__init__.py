"""Numba CPU kernels, one module per family (`kernels/cpu/<family>.py`).

Ops and optimizers reach them through the backends' `kernel_for(array, family, name)`
(minitorch_nn/array_backends/base.py), which imports the family module on first use, so
`import minitorch_nn` does not import Numba; every kernel uses `cache=True`. Kernels take
float32/float64 arrays (Numba has no float16/bfloat16); ops fall back to numpy for other
dtypes.

Importing this package starts the compile ledger (_compile_ledger.py): Numba compilations
of this process are timed from here on, for `python -m minitorch_nn kernels`.
"""
from __future__ import annotations

from ._compile_ledger import install as _install_ledger

__all__: list[str] = []

_install_ledger()
