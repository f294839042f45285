"""Shared test setup: the op harness lives in op_harness.py; GPU tests are marked `cuda`.

`--fake-gpu` (or MINITORCH_FAKE_GPU=1) runs every `cuda` case on the CPU through a strict
numpy-backed stand-in for CuPy (tests/fake_cupy), CUDA kernels emulated: code paths only.
"""
from __future__ import annotations

import os
import re
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import minitorch_nn as mt  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--fake-gpu", action="store_true", default=False,
                     help="run the cuda tests on a numpy-backed fake CuPy (tests/fake_cupy), "
                          "CUDA kernels emulated on the CPU; also MINITORCH_FAKE_GPU=1")


def _fake_gpu_wanted(config) -> bool:
    return config.getoption("--fake-gpu") or os.environ.get("MINITORCH_FAKE_GPU") == "1"


def pytest_configure(config):
    if _fake_gpu_wanted(config) and not mt.cuda.is_available():   # a real GPU wins
        from fake_cupy import install   # before minitorch_nn first imports cupy
        install.install()


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


# The skip reasons of the differential tests when `import torch` fails: pytest.importorskip's,
# and the `requires_torch`-style marks and skips of the test modules.
_NO_TORCH = re.compile(r"import 'torch'|pytorch (is )?not installed", re.IGNORECASE)


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def _count_test_functions(path: str) -> int:
    """`def test_...` in a module pytest could not collect (before parametrization)."""
    import ast
    try:
        tree = ast.parse(open(path, encoding="utf-8").read())
    except (OSError, SyntaxError):
        return 0
    return sum(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
               and node.name.startswith("test") for node in ast.walk(tree))


def torch_absent_summary(skipped_reports, rootdir=".") -> str | None:
    """One line saying what did not run for want of PyTorch, or None if nothing was skipped
    for that reason (PyTorch installed, or no differential test selected)."""
    tests, modules = 0, []
    for rep in skipped_reports:
        if not _NO_TORCH.search(_skip_reason(rep)):
            continue
        if isinstance(rep, pytest.CollectReport):   # a whole module (importorskip at the top)
            modules.append(rep.nodeid)
        else:
            tests += 1
    if not tests and not modules:
        return None
    line = f"PyTorch is not installed: {tests} differential tests skipped"
    if modules:
        functions = sum(_count_test_functions(os.path.join(rootdir, m.split("::")[0]))
                        for m in modules)
        line += (f", and {len(modules)} test modules ({functions} test functions) not "
                 f"collected")
    return (line + "; the op tests that ran left out their PyTorch comparison (check_op). "
            "Install PyTorch (CI: pip install torch==2.13.0, CPU build) to run them.")


def pytest_terminal_summary(terminalreporter):
    """Say plainly what did not run: the differential tests without PyTorch, and how many GPU
    checks ran (none is a skip, not a pass)."""
    line = torch_absent_summary(terminalreporter.stats.get("skipped", []),
                                str(terminalreporter.config.rootpath))
    if line:
        terminalreporter.write_line(line, yellow=True, bold=True)
    from op_harness import DEVICE_CHECKS
    ran, skipped = DEVICE_CHECKS["ran"], DEVICE_CHECKS["skipped"]
    if ran or skipped:
        terminalreporter.write_line(
            f"cuda device checks in op tests: {ran} ran, {skipped} skipped "
            f"({_gpu_kind()})")
    if "FAKE" in _gpu_kind():
        terminalreporter.write_line(
            "cuda tests ran on the FAKE GPU (tests/fake_cupy): GPU code paths checked on the "
            "CPU, not real hardware, not GPU speed")


def _gpu_kind() -> str:
    from fake_cupy import install
    if install.installed():
        return "FAKE GPU: numpy-backed CuPy stand-in, kernels emulated; not real hardware"
    return "GPU present" if mt.cuda.is_available() else "no GPU: CPU only"
