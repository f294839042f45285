"""A clone named `minitorch_nn`, Python started in the folder that holds it (the repo-root
`__init__.py`): `import minitorch_nn` gives the real package, not an empty namespace package
("module 'minitorch_nn' has no attribute 'ones'"), or a clear ImportError."""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _clone(parent: pathlib.Path, name: str, *, with_package=True) -> pathlib.Path:
    """A stand-in for a clone: the root __init__.py, and the package and kernels as links."""
    clone = parent / name
    clone.mkdir()
    if (ROOT / "__init__.py").exists():   # (without it: the namespace-package failure)
        shutil.copy(ROOT / "__init__.py", clone / "__init__.py")
    if with_package:
        (clone / "minitorch_nn").symlink_to(ROOT / "minitorch_nn", target_is_directory=True)
        (clone / "kernels").symlink_to(ROOT / "kernels", target_is_directory=True)
    return clone


def _python(code: str, cwd: pathlib.Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONSAFEPATH", "MINITORCH_FAKE_GPU")}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_import_from_the_parent_of_a_clone_named_like_the_package(tmp_path):
    clone = _clone(tmp_path, "minitorch_nn")
    res = _python("import minitorch_nn as t, minitorch_nn.kernels.cpu as k\n"
                  "print(t.ones(2).sum().item()); print(t.__file__); print(k.__file__)\n"
                  "print(t.tensor([1.0, 2.0]) * 3)", tmp_path)
    assert res.returncode == 0, res.stderr
    total, package, kernels, product = res.stdout.splitlines()
    assert total == "2.0"
    assert package == str(clone / "minitorch_nn" / "__init__.py")
    assert kernels == str(clone / "kernels" / "cpu" / "__init__.py")
    assert product == "tensor([3., 6.])"


def test_a_clone_without_the_package_folder_is_a_clear_error(tmp_path):
    _clone(tmp_path, "minitorch_nn", with_package=False)
    res = _python("import minitorch_nn", tmp_path)
    assert res.returncode == 1
    assert "ImportError" in res.stderr and "is not the package" in res.stderr
    assert "has no attribute" not in res.stderr


def test_under_another_name_the_root_init_does_nothing(tmp_path):
    """A clone named `main` (pytest imports its benchmarks/ as `main.benchmarks`)."""
    _clone(tmp_path, "main")
    res = _python("import sys, main; print('minitorch_nn' in sys.modules, "
                  "[n for n in vars(main) if not n.startswith('__')])", tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "False []"


def test_the_root_init_is_not_part_of_the_installed_package():
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "" not in config["tool"]["setuptools"]["package-dir"]
    assert all(p.startswith("minitorch_nn") for p in config["tool"]["setuptools"]["packages"])
