"""Fixtures for the checks against the real CuPy package that need no device.

- `real_cupy` (session): the installed `cupy` module (its import needs no GPU). Skipped,
  saying why, in the `--fake-gpu` pass (there `cupy` is the fake; the plain pass runs
  these checks) and when CuPy cannot be imported; with MINITORCH_REQUIRE_NVRTC=1 (CI, as
  for test_nvrtc_compile.py) an import failure fails instead of skipping.
- `cupy_scan` (session): every CuPy name our code reaches (cupy_api_scan.py), read once.

test_nvrtc_compile.py keeps its own loader: it also needs NVRTC's shared library.
"""
from __future__ import annotations

import os
import pathlib

import pytest

import cupy_api_scan

ROOT = pathlib.Path(__file__).resolve().parents[3]
INSTALL = 'pip install -e ".[cuda]" (or: pip install cupy-cuda12x); no GPU needed'


@pytest.fixture(scope="session")
def real_cupy():
    from fake_cupy import install
    if install.installed():
        pytest.skip("the --fake-gpu pass replaces CuPy with the fake; the checks against "
                    "the real package run in the plain pass")
    try:
        import cupy
        import cupyx.scipy.special  # noqa: F401  (our code imports it)
    except Exception as exc:   # ImportError, or a broken CuPy install
        if os.environ.get("MINITORCH_REQUIRE_NVRTC") == "1":
            raise
        pytest.skip(f"CuPy cannot be imported ({type(exc).__name__}: "
                    f"{str(exc).splitlines()[0] if str(exc) else ''}): {INSTALL}")
    return cupy


@pytest.fixture(scope="session")
def cupy_scan():
    return cupy_api_scan.scan_tree(ROOT)
