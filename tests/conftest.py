"""Shared test setup: the op harness lives in op_harness.py; GPU tests are marked `cuda`."""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import minitorch_nn as mt  # noqa: E402


@pytest.fixture(autouse=True)
def _seed_and_grad_mode():
    """Every test starts seeded, with grad mode on and the default dtype float32."""
    mt.manual_seed(0)
    yield
    mt.set_default_dtype(mt.float32)
    mt.autograd.grad_mode._state.enabled = True


def pytest_collection_modifyitems(config, items):
    if mt.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs CuPy and an NVIDIA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    """Say plainly how many GPU checks ran: none is a skip, not a pass."""
    from op_harness import DEVICE_CHECKS
    ran, skipped = DEVICE_CHECKS["ran"], DEVICE_CHECKS["skipped"]
    if ran or skipped:
        terminalreporter.write_line(
            f"cuda device checks in op tests: {ran} ran, {skipped} skipped "
            f"({'GPU present' if mt.cuda.is_available() else 'no GPU: CPU only'})")
