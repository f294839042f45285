"""The package list in pyproject.toml must name every package folder (else wheels miss it)."""
from __future__ import annotations

import pathlib

import pytest

tomllib = pytest.importorskip("tomllib")   # Python 3.11+

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _package_dirs():
    found = set()
    for init in (ROOT / "minitorch_nn").rglob("__init__.py"):
        rel = init.parent.relative_to(ROOT)
        found.add(".".join(rel.parts))
    for init in (ROOT / "kernels").rglob("__init__.py"):
        rel = init.parent.relative_to(ROOT / "kernels")
        found.add(".".join(("minitorch_nn", "kernels") + rel.parts))
    return found


def test_every_package_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    missing = _package_dirs() - listed
    assert not missing, f"add these to [tool.setuptools] packages: {sorted(missing)}"


def test_kernels_are_importable_as_a_subpackage():
    import minitorch_nn.kernels.cpu as cpu_kernels
    assert pathlib.Path(cpu_kernels.__file__).parent == ROOT / "kernels" / "cpu"
