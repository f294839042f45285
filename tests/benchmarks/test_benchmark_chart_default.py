"""The benchmark command a newcomer copies from the README leaves the repository clean: its
chart goes to out/ (ignored by git), not over the tracked docs/benchmarks.png."""
from __future__ import annotations

import pathlib
import re
import shutil
import subprocess

import pytest

pytest.importorskip("benchmarks.workloads", reason="run from the repository root")
from benchmarks import __main__ as report   # noqa: E402
from benchmarks.workloads import by_name   # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _readme_benchmark_command() -> str:
    text = (ROOT / "README.md").read_text()
    (line,) = [ln for ln in text.splitlines() if "python -m benchmarks" in ln
               and not ln.lstrip().startswith(("#", "`"))]
    return line


def test_chart_without_a_path_goes_to_out():
    assert report.parse_args(["--chart"]).chart == "out/benchmarks.png"
    assert report.parse_args([]).chart is None
    assert report.parse_args(["--chart", "x.png"]).chart == "x.png"


def test_readme_command_does_not_overwrite_the_tracked_chart():
    command = _readme_benchmark_command()
    assert "docs/benchmarks.png" not in command
    chart = report.parse_args(command.split("python -m benchmarks", 1)[1].split()).chart
    assert chart and not chart.startswith("docs")


def test_readme_explains_the_env_prefix():
    text = (ROOT / "README.md").read_text()
    assert "env -u OPENBLAS_CORETYPE" in _readme_benchmark_command()
    assert re.search(r"The `env -u` prefix removes two OpenBLAS settings", text)


def test_default_chart_location_is_ignored_by_git():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    res = subprocess.run(["git", "check-ignore", "-q", "out/benchmarks.png"], cwd=ROOT)
    assert res.returncode == 0


def test_chart_makes_its_folder(tmp_path):
    pytest.importorskip("matplotlib")
    w = by_name("W1")
    path = tmp_path / "new" / "folder" / "chart.png"
    report.chart([report.Row(w.name, w.per, 2e-3, 1e-3, {}, w)], str(path))
    assert path.stat().st_size > 1000


def test_help_shows_defaults(capsys):
    with pytest.raises(SystemExit):
        report.parse_args(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "(default: 2)" in out and "(default: 9)" in out and "(default: cpu)" in out
    assert "(default: None)" not in out and "(default: False)" not in out


def test_issue_16_targets_are_drawn_for_their_workloads_on_the_cpu():
    def row(prefix):
        w = by_name(prefix)
        return report.Row(w.name, w.per, 1e-3, 1e-3, {}, w)
    assert report.speed_ii_limit(row("W8")) == 1.2
    assert report.speed_ii_limit(row("W2")) == 1.1
    assert report.speed_ii_limit(row("W1")) is None
    assert report.speed_ii_limit(row("W8"), "cuda") is None
