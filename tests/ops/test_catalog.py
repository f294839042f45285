"""docs/ops.md is the op catalog the registry generates (python -m minitorch_nn.ops --table):
regenerate it after adding an op; this test says so when it is stale."""
from __future__ import annotations

import pathlib

import minitorch_nn  # noqa: F401
from minitorch_nn.ops.catalog import table
from minitorch_nn.ops.registry import REGISTRY

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "ops.md"


def test_docs_ops_md_is_the_generated_catalog():
    assert DOC.read_text(encoding="utf-8") == table(), \
        "docs/ops.md is stale: python -m minitorch_nn.ops --table > docs/ops.md"


def test_every_declared_op_has_a_row():
    text = table()
    for decl in REGISTRY.values():
        assert f"{decl.name}` |" in text, decl.qualname


def test_kernel_cells_name_the_declared_kernels():
    from minitorch_nn.ops.catalog import _devices
    assert _devices(()) == ("NumPy", "CuPy")
    assert _devices(("loss.nll_fwd",)) == ("Numba `loss.nll_fwd`", "CUDA `loss.nll_fwd`")
    assert _devices(("cpu:sorting.topk",)) == ("Numba `sorting.topk`", "CuPy")
    assert _devices(("a.x", "cpu:a.y")) == ("Numba `a.x`, `a.y`", "CUDA `a.x` + CuPy")
