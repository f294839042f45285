"""The benchmark report's arithmetic (benchmarks/__main__.py) on made-up timings: no timing is
measured or asserted here, only how figures become ratios, throughputs and target verdicts."""
from __future__ import annotations

import pytest

pytest.importorskip("benchmarks.workloads", reason="run from the repository root")
from benchmarks.__main__ import Row, table, targets   # noqa: E402
from benchmarks.workloads import WORKLOADS, by_name   # noqa: E402


def _row(prefix, ours, theirs, refs=None):
    w = by_name(prefix)
    return Row(w.name, w.per, ours, theirs, refs or {}, w)


def test_ratio_targets_and_their_verdicts():
    rows = [_row("W1", 1.0e-3, 2.0e-3), _row("W2", 9e-3, 5e-3), _row("W3a", 2e-6, 1e-6)]
    verdicts = {t.split(":")[0]: (m, ok) for t, m, ok in targets(rows, None, None)}
    assert verdicts["W1 MLP step"] == ("0.50×", True)
    assert verdicts["W2 CNN step"] == ("1.80×", False)
    assert verdicts["W3a dispatch"] == ("2.00×", True)


def test_bandwidth_is_judged_against_the_first_copy_reference():
    w4 = by_name("W4a")
    copy = w4.references[0]
    # ours moves w4.bytes in the time the reference moves copy.work at 40% of its rate
    ours = (w4.bytes / copy.work) * 1e-3 / 0.4
    row = _row("W4a", ours, None, {copy.name: 1e-3, w4.references[1].name: 5e-4})
    issue5, issue16 = targets([row], None, None)   # at least 80%, then at least 60%
    assert issue5[1:] == ("40%", False) and "80%" in issue5[0]
    assert issue16[1:] == ("40%", False) and "60%" in issue16[0]
    assert "GB/s" in table([row])


def test_speed_ii_ratio_targets():
    rows = [_row("W8 LSTM language-model step", 1.1e-3, 1.0e-3),
            _row("W9 GPT stack step", 1.1e-3, 1.0e-3)]
    verdicts = {label.split()[0]: (measured, met) for label, measured, met
                in targets(rows, None, None)}
    assert verdicts == {"W8": ("1.10×", True), "W9": ("1.10×", False)}


def test_matmul_is_judged_against_numpy():
    row = _row("W5 matmul 1024", 1.0e-3, 2.0e-3, {"numpy matmul": 0.96e-3})
    (verdict,) = targets([row], None, None)
    assert verdict[1:] == ("0.96×", True)


def test_memory_and_startup_verdicts():
    mem = {("W1", "minitorch_nn"): {"workload_peak_anon": 130},
           ("W1", "torch"): {"workload_peak_anon": 100}}
    start = {"import": 0.3, "first_step_warm": 1.2, "first_step_cold": 3.0}
    verdicts = {t: ok for t, _, ok in targets([], mem, start)}
    assert verdicts == {"W6 import ≤ 0.4 s": True, "W6 first W1 step, warm cache ≤ 1 s": False,
                        "W6 first W1 step, cold cache ≤ 10 s": True,
                        "W1 peak private memory ≤ 1.2× PyTorch's": False}


def test_workload_names_are_unique_and_found_by_prefix():
    assert len({w.name for w in WORKLOADS}) == len(WORKLOADS)
    assert by_name("W7").needs == ("TransformerEncoderLayer",)
    assert by_name("W8").needs == ("LSTM",)
    with pytest.raises(KeyError, match="no workload named"):
        by_name("W99")
