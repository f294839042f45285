"""`python -m minitorch_nn check` (minitorch_nn/self_check.py, minitorch_nn/__main__.py): it
passes on this install, in-process and as a command, and a failing check makes it exit
non-zero. Also runs the examples of docs/tools.md."""
from __future__ import annotations

import io
import os
import pathlib
import re
import subprocess
import sys

import pytest

import minitorch_nn as mt
from minitorch_nn import self_check
from minitorch_nn.__main__ import main

ROOT = pathlib.Path(__file__).resolve().parents[1]
LINE = re.compile(r"^(PASS|FAIL|SKIP)  (\S+) +(.*)  \[\d+\.\d\d s\]$")


def _lines(text):
    """(status, name) of each check line; every line but the header/summary must be one."""
    body = text.strip().splitlines()
    assert body[0].startswith("minitorch_nn ") and "self-check" in body[0]
    out = []
    for line in body[1:-1]:
        m = LINE.match(line)
        assert m, line
        out.append((m.group(1), m.group(2)))
    return out, body[-1]


def test_all_checks_pass_or_skip_in_process():
    buf = io.StringIO()
    state = mt.get_rng_state()
    code = self_check.run(file=buf)
    lines, summary = _lines(buf.getvalue())
    assert code == 0, buf.getvalue()
    assert [n for _, n in lines] == list(self_check.CHECKS)
    assert {s for s, _ in lines} <= {"PASS", "SKIP"}
    assert summary.startswith("OK: ")
    assert mt.equal(mt.get_rng_state(), state)   # the caller's random stream is untouched


def test_gpu_check_skips_or_compares_with_the_cpu():
    status, detail = self_check.check_gpu()
    if mt.cuda.is_available():
        assert status == "PASS" and "equals the CPU" in detail
    else:
        assert status == "SKIP" and ("CuPy" in detail)


def test_a_failing_or_crashing_check_gives_a_nonzero_exit():
    def finds_a_problem():
        raise self_check.CheckFailed("loss went up")

    def crashes():
        raise ValueError("boom")

    buf = io.StringIO()
    code = self_check.run({"ok": lambda: ("PASS", "fine"), "bad": finds_a_problem,
                           "crash": crashes, "opt": lambda: ("SKIP", "absent")}, file=buf)
    lines, summary = _lines(buf.getvalue())
    assert code == 1
    assert lines == [("PASS", "ok"), ("FAIL", "bad"), ("FAIL", "crash"), ("SKIP", "opt")]
    assert "loss went up" in buf.getvalue() and "ValueError: boom" in buf.getvalue()
    assert summary.startswith("FAILED: 1 passed, 2 failed, 1 skipped")


def test_the_training_check_fails_when_the_loss_does_not_decrease(monkeypatch):
    monkeypatch.setattr(mt.optim.SGD, "step", lambda self, closure=None: None)
    with pytest.raises(self_check.CheckFailed, match="loss did not decrease"):
        self_check.check_training()


def test_the_ops_check_fails_on_a_wrong_result(monkeypatch):
    real = mt.softmax
    monkeypatch.setattr(mt, "softmax", lambda x, dim: real(x, dim=dim) * 1.001)
    with pytest.raises(self_check.CheckFailed, match="softmax"):
        self_check.check_ops()


def test_unknown_check_name_is_refused(capsys):
    assert main(["check", "no-such-check"]) == 2
    assert "no-such-check" in capsys.readouterr().err


def _cli(*args, env=None):
    full = dict(os.environ, **(env or {}))
    full.pop("MINITORCH_FAKE_GPU", None)
    return subprocess.run([sys.executable, "-m", "minitorch_nn", *args], capture_output=True,
                          text=True, env=full, timeout=120, cwd=ROOT)


def test_command_line_check_passes():
    proc = _cli("check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines, summary = _lines(proc.stdout)
    assert {s for s, _ in lines} <= {"PASS", "SKIP"} and len(lines) == len(self_check.CHECKS)
    assert summary.startswith("OK: ")


def test_command_line_check_fails_on_an_unwritable_numba_cache(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")   # a directory under a regular file cannot be made, even by root
    proc = _cli("check", "numba-cache", "versions",
                env={"NUMBA_CACHE_DIR": str(blocker / "cache")})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines, summary = _lines(proc.stdout)
    assert lines == [("FAIL", "numba-cache"), ("PASS", "versions")]
    assert "NUMBA_CACHE_DIR" in proc.stdout and summary.startswith("FAILED")


def test_command_without_subcommand_prints_help():
    proc = _cli()
    assert proc.returncode == 2 and "check" in proc.stdout
