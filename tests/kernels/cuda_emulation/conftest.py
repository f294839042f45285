"""Fixtures for running the CUDA kernels on the CPU (see emulation_harness.py).

- `emulation_libraries` (session): every kernels/cuda/*.cu built once with g++ (cached on
  disk by content hash, built in parallel). Skips, saying so, only when g++ is missing.
- `emu`: installs the emulated runtime into kernels/cuda/_launch.py for one test, then puts
  the previous runtime back, so no other test ever sees it. Parametrized over two launch
  configurations: "default" (the launchers' real block and grid sizes) and "tiny" (blocks
  of 48 / 32 threads and at most 3 blocks per grid, so that sizes are not multiples of the
  block, rows are longer than a block and every grid-stride / block-stride loop turns).
"""
from __future__ import annotations

import pytest

import emulation_harness as harness
from minitorch_nn.kernels.cuda import _launch

CONFIGS = {
    "default": {},
    "tiny": {"BLOCK": 48, "ROW_BLOCK_MAX": 32, "MAX_GRID_BLOCKS": 3},
}


@pytest.fixture(scope="session")
def emulation_libraries():
    if harness.gxx_path() is None:
        pytest.skip("g++ is not installed: the CUDA kernels cannot be emulated on the CPU")
    return harness.build_all()   # failures are raised by the tests of that family


@pytest.fixture(params=sorted(CONFIGS))
def emu(request, emulation_libraries, monkeypatch):
    """The emulated runtime, installed for this test under one launch configuration."""
    for name, value in CONFIGS[request.param].items():
        monkeypatch.setattr(_launch, name, value)
    runtime = harness.EmulatedRuntime(emulation_libraries)
    previous = _launch.set_runtime(runtime)
    try:
        yield runtime
    finally:
        _launch.set_runtime(previous)
