"""A kernel's first (uncached) compilation prints nothing: kernels that inline the fast exp
more than once per loop (the cross-entropy rows, the LSTM gates) made Numba's pedantic SSA
check warn "variable ... is not in scope" and ask for a bug report (kernels/cpu/_fastmath.py
silences that one message for every kernel module)."""
from __future__ import annotations

import os
import subprocess
import sys

_SCRIPT = """
import minitorch_nn as torch
x = torch.randn(4, 5, requires_grad=True)
torch.nn.functional.cross_entropy(x, torch.tensor([0, 1, 2, 3])).backward()
print(float(x.grad.abs().sum()) > 0)
"""


def test_cross_entropy_first_compile_prints_no_numba_warning(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba_cache"))
    proc = subprocess.run([sys.executable, "-W", "always", "-c", _SCRIPT], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True"
    assert "not in scope" not in proc.stderr, proc.stderr
    assert "NumbaIRAssumptionWarning" not in proc.stderr, proc.stderr
    assert any((tmp_path / "numba_cache").rglob("*cross_entropy*.nbi"))   # it did compile
