"""benchmarks/profile_step.py reports both libraries' profiles of one workload's step (the
figures docs/benchmarks.md quotes come from it; no timing is checked here)."""
from __future__ import annotations

import pytest

from benchmarks.profile_step import profile


def test_profile_reports_rounds_and_both_profiles():
    pytest.importorskip("torch")
    pytest.importorskip("threadpoolctl")
    text = profile("W3a", steps=2, rows=5)
    lines = text.splitlines()
    assert lines[0].startswith("W3a a*b+a, (8,): median step, ours / PyTorch, five rounds")
    assert len(lines[0].split(":")[-1].split()) == 5
    assert "minitorch_nn, cProfile over 2 steps:" in text
    assert "function calls" in text
    assert "PyTorch, torch.profiler over 2 steps:" in text and "aten::" in text
