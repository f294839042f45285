"""Without PyTorch the differential tests skip, or their modules are not collected: the run's
summary says so in one line, with the counts (tests/conftest.py), instead of staying silent."""
from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
# One module with `requires_torch` marks, one with a module-level importorskip("torch").
FILES = ["tests/test_printing.py", "tests/utils/test_data.py"]


def _pytest(extra_path: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MINITORCH_FAKE_GPU")}
    if extra_path:
        env["PYTHONPATH"] = extra_path
    return subprocess.run([sys.executable, "-m", "pytest", *FILES, "-p", "no:warnings"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_summary_says_pytorch_is_absent_and_what_did_not_run(tmp_path):
    hidden = tmp_path / "torch"   # `import torch` fails as if it were not installed
    hidden.mkdir()
    (hidden / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n")
    res = _pytest(str(tmp_path))
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("PyTorch is not installed")]
    assert len(lines) == 1, res.stdout[-3000:]
    m = re.match(r"PyTorch is not installed: (\d+) differential tests skipped, and 1 test "
                 r"modules \((\d+) test functions\) not collected", lines[0])
    assert m, lines[0]
    assert int(m[1]) > 0 and int(m[2]) > 0
    assert "pip install torch" in lines[0]


def test_no_such_line_with_pytorch_installed():
    pytest.importorskip("torch")
    res = _pytest(None)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "PyTorch is not installed" not in res.stdout
