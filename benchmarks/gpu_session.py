"""The GPU runbook: everything issue 6 asks of a machine with a GPU, in one command.

    python3 -m benchmarks.gpu_session                 # install, info, bench, tests
    python3 -m benchmarks.gpu_session tests           # only some steps, in the order given
    python3 -m benchmarks.gpu_session tests --pytest-args "tests/cuda -x"

Written for the device tool's `run` (a lent GPU machine with CuPy, PyTorch and nvcc installed,
no network, at most 10 minutes a command): each step runs in a child process with a time limit
taken from `--budget` (default 540 s for the whole call), so one call always comes back with
what it got. Results go under $OUT (the device tool's folder; ./gpu_results elsewhere), at
most 8 files, as the tool brings back:

    session.md   the summary: each step's exit status and time, then the benchmark tables
                 and the test summary (also printed last, so the tool's output tail has it)
    info.txt     nvidia-smi, nvcc, Python and library versions, what minitorch_nn sees
    bench.md     `python -m benchmarks --device cuda` (Markdown tables), bench.log its stderr
    bench_gpu.png the chart of the ratios
    install.log  what the install step did
    tests.log    `python -m pytest tests` with the cuda cases (they run wherever CuPy sees a
                 GPU; tests/conftest.py skips them elsewhere), tests.xml its JUnit report

Steps: `install` (`pip install -e .` without network or build isolation, only where
minitorch_nn does not already import from this tree), `info` (versions), `bench`, `tests`. The
benchmarks run before the tests: their duration is bounded and known, and their figures are
what docs/benchmarks.md needs; the tests get the time that is left.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

__all__ = ["STEPS", "Step", "main", "parse_args", "out_dir", "summarize_tests"]

ROOT = Path(__file__).resolve().parents[1]
STEPS = ("install", "info", "bench", "tests")
# The most each step may take (seconds), before the overall budget caps it further.
STEP_LIMITS = {"info": 60, "install": 120, "bench": 300, "tests": 540}


@dataclass
class Step:
    """What one step did: its name, exit status (None: cut at its time limit), seconds."""
    name: str
    rc: int | None
    seconds: float
    summary: str = ""


def out_dir() -> Path:
    """$OUT where the device tool provides it, else ./gpu_results (created, and ignored by git
    through a .gitignore of its own)."""
    if os.environ.get("OUT"):
        path = Path(os.environ["OUT"])
        path.mkdir(parents=True, exist_ok=True)
        return path
    path = Path("gpu_results")
    path.mkdir(parents=True, exist_ok=True)
    (path / ".gitignore").write_text("*\n")
    return path


def run_logged(cmd: list[str], log: Path, timeout: float, *, stdout: Path | None = None,
               append: bool = False) -> int | None:
    """Run `cmd` in ROOT, its output into `log` (stdout into `stdout` where given).

    At the time limit the child's process group gets SIGINT (pytest then still prints its
    summary of what ran), and SIGKILL 20 s later; the return value is then None.
    """
    mode = "a" if append else "w"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    shown = [("<code>" if i and cmd[i - 1] == "-c" else arg) for i, arg in enumerate(cmd)]
    # one handle for both streams unless stdout has a file of its own
    with open(log, mode) as err, open(stdout, mode) if stdout else nullcontext(err) as out:
        err.write(f"$ {shlex.join(shown)}\n")
        err.flush()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err, env=env,
                                start_new_session=True)
        try:
            return proc.wait(timeout=max(timeout, 1))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            err.write(f"\n[gpu_session] stopped after {timeout:.0f} s (its time limit)\n")
            return None


# ------------------------------------------------------------------ the steps
VERSIONS_CODE = """
import platform, sys
print("python", platform.python_version(), sys.executable)
for name in ("numpy", "numba", "cupy", "torch", "pytest"):
    try:
        print(name, __import__(name).__version__)
    except Exception as err:
        print(name, "unavailable:", repr(err))
try:
    import cupy
    rt = cupy.cuda.runtime
    print("cupy: CUDA runtime", rt.runtimeGetVersion(), "driver", rt.driverGetVersion(),
          "devices", rt.getDeviceCount())
    print("cupy: device 0", rt.getDeviceProperties(0)["name"])
except Exception as err:
    print("cupy: no GPU:", repr(err))
try:
    import torch
    print("torch: CUDA", torch.version.cuda, "cuDNN", torch.backends.cudnn.version(),
          "GPU", torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)
except Exception as err:
    print("torch:", repr(err))
import minitorch_nn
print("minitorch_nn", minitorch_nn.__file__, "cuda.is_available()",
      minitorch_nn.cuda.is_available(), "device_count()", minitorch_nn.cuda.device_count())
"""

INFO_COMMANDS = [
    ["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm,"
     "clocks.sm,temperature.gpu,utilization.gpu", "--format=csv"],
    ["nvcc", "--version"],
    ["git", "log", "-1", "--format=commit %H %s"],
    [sys.executable, "-c", VERSIONS_CODE],
]


def step_info(out: Path, timeout: float) -> Step:
    """Versions of everything the figures depend on, into info.txt."""
    log, start, rcs = out / "info.txt", time.monotonic(), []
    for i, cmd in enumerate(INFO_COMMANDS):
        left = timeout - (time.monotonic() - start)
        try:
            rcs.append(run_logged(cmd, log, left, append=i > 0))
        except FileNotFoundError:   # no nvidia-smi, no git: say so and go on
            with open(log, "a") as f:
                f.write(f"$ {cmd[0]}: not found\n")
    rc = 0 if rcs and rcs[-1] == 0 else 1   # the Python versions are the one that matters
    return Step("info", rc, time.monotonic() - start, _tail(log, 30))


# Exit 0 where minitorch_nn and its kernels (kernels/, installed as minitorch_nn.kernels) both
# import from this tree; 3 where they come from somewhere else; 1 where they do not import.
IMPORT_CHECK = ("import pathlib, sys, minitorch_nn, minitorch_nn.kernels.cuda as k; "
                "here = pathlib.Path.cwd().resolve(); "
                "paths = [minitorch_nn.__file__, k.__file__]; "
                "print('minitorch_nn from', *paths); "
                "sys.exit(0 if all(here in pathlib.Path(p).resolve().parents for p in paths) "
                "else 3)")


def step_install(out: Path, timeout: float) -> Step:
    """`pip install -e .` (no network: no dependencies, no build isolation) unless
    minitorch_nn and its kernels already import from this tree.

    Where pip cannot (a setuptools too old for editable installs), a link
    minitorch_nn/kernels -> ../kernels makes this tree importable from its root instead.
    """
    log, start = out / "install.log", time.monotonic()

    def left() -> float:
        return timeout - (time.monotonic() - start)

    def check() -> int | None:
        return run_logged([sys.executable, "-c", IMPORT_CHECK], log, left(), append=True)

    log.write_text("")
    if check() == 0:
        return Step("install", 0, time.monotonic() - start,
                    "minitorch_nn already imports from this tree: nothing installed")
    pip = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
           "--no-index", "-e", "."]
    rc = run_logged(pip, log, left(), append=True)
    how = "pip install -e ."
    if rc != 0 and not (ROOT / "minitorch_nn" / "kernels").exists():
        (ROOT / "minitorch_nn" / "kernels").symlink_to(Path("..") / "kernels")
        how = f"pip install -e . failed (exit {rc}); linked minitorch_nn/kernels -> ../kernels"
    rc = check()
    return Step("install", rc, time.monotonic() - start, f"{how}\n" + _tail(log, 3))


def step_bench(out: Path, timeout: float, extra: list[str]) -> Step:
    """`python -m benchmarks --device cuda`: tables into bench.md, progress into bench.log."""
    start = time.monotonic()
    cmd = [sys.executable, "-m", "benchmarks", "--device", "cuda",
           "--chart", str(out / "bench_gpu.png"), *extra]
    rc = run_logged(cmd, out / "bench.log", timeout, stdout=out / "bench.md")
    summary = (out / "bench.md").read_text()
    if rc != 0:   # the error, or the traceback of a workload that failed
        summary += "\nbench.log ends with:\n\n" + _tail(out / "bench.log", 25)
    return Step("bench", rc, time.monotonic() - start, summary)


def pytest_command(out: Path, extra: list[str]) -> list[str]:
    """The whole suite (or `extra`'s selection), with a JUnit report and skip reasons."""
    cmd = [sys.executable, "-m", "pytest", "-rs", "--junitxml", str(out / "tests.xml"),
           "--durations=15"]   # pyproject's addopts already has -q
    if _has_module("pytest_timeout"):   # one hung test must not take the whole call
        cmd += ["--timeout", "240"]
    return cmd + (extra or ["tests"])


def step_tests(out: Path, timeout: float, extra: list[str]) -> Step:
    """The test suite with its cuda cases, into tests.log."""
    start = time.monotonic()
    log = out / "tests.log"
    rc = run_logged(pytest_command(out, extra), log, timeout)
    return Step("tests", rc, time.monotonic() - start, summarize_tests(log.read_text()))


# pytest's closing line ("3 failed, 1200 passed, 40 skipped in 95.1s", framed by "=" unless -q)
_COUNTS = re.compile(r"^=*\s*\d+ (passed|failed|skipped|errors?|deselected)\b")
_SKIPPED_NO_GPU = re.compile(r"^SKIPPED \[(\d+)\].*needs CuPy and an NVIDIA GPU")


def summarize_tests(text: str) -> str:
    """The lines of a pytest log that say what ran: the count of GPU checks, the counts line,
    failures, and skips for want of a GPU (there should be none on a GPU)."""
    lines = text.splitlines()
    keep = [line for line in lines
            if line.startswith(("FAILED", "ERROR", "cuda device checks")) or _COUNTS.match(line)]
    no_gpu = sum(int(m.group(1)) for m in map(_SKIPPED_NO_GPU.match, lines) if m)
    if no_gpu:
        keep.append(f"{no_gpu} tests skipped as 'needs CuPy and an NVIDIA GPU': the cuda cases "
                    "did not run here")
    return "\n".join(keep[-60:]) or "(no pytest summary: see tests.log)"


# ------------------------------------------------------------------ driver
def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python3 -m benchmarks.gpu_session",
                                description="issue 6's checks on a GPU machine, one call")
    p.add_argument("steps", nargs="*", metavar="STEP",
                   help=f"any of {', '.join(STEPS)} or all (the default: all four)")
    p.add_argument("--budget", type=float, default=540,
                   help="seconds for the whole call (the device tool allows 600)")
    p.add_argument("--bench-args", default="", help="more options for python -m benchmarks")
    p.add_argument("--pytest-args", default="",
                   help="pytest's selection and options instead of the whole suite ('tests')")
    args = p.parse_args(argv)
    unknown = [s for s in args.steps if s not in STEPS + ("all",)]
    if unknown:   # (argparse's own choices= rejects an empty list of steps)
        p.error(f"unknown step {unknown[0]!r}: choose from {', '.join(STEPS)} or all")
    if not args.steps or "all" in args.steps:
        args.steps = list(STEPS)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    out = out_dir()
    start, done = time.monotonic(), []
    for name in args.steps:
        left = args.budget - (time.monotonic() - start)
        if left < 10:
            done.append(Step(name, None, 0.0, "not run: the budget was spent"))
            continue
        limit = min(STEP_LIMITS[name], left)
        print(f"[gpu_session] {name} (at most {limit:.0f} s)", flush=True)
        if name == "info":
            done.append(step_info(out, limit))
        elif name == "install":
            done.append(step_install(out, limit))
        elif name == "bench":
            done.append(step_bench(out, limit, shlex.split(args.bench_args)))
        else:
            done.append(step_tests(out, limit, shlex.split(args.pytest_args)))
    report = session_report(done)
    (out / "session.md").write_text(report)
    print(report)
    return 0 if all(s.rc == 0 for s in done) else 1


def session_report(steps: list[Step]) -> str:
    """session.md: a table of the steps, then what each one found."""
    lines = ["# GPU session (python3 -m benchmarks.gpu_session)", "",
             "| step | exit status | seconds |", "|---|---|---|"]
    for s in steps:
        status = "stopped at its time limit" if s.rc is None else str(s.rc)
        lines.append(f"| {s.name} | {status} | {s.seconds:.0f} |")
    for s in steps:
        lines += ["", f"## {s.name}", "", s.summary.rstrip()]
    return "\n".join(lines) + "\n"


def _tail(path: Path, n: int) -> str:
    try:
        return "\n".join(path.read_text().splitlines()[-n:])
    except OSError:
        return ""


def _has_module(name: str) -> bool:
    import importlib.util
    return importlib.util.find_spec(name) is not None


if __name__ == "__main__":
    sys.exit(main())
