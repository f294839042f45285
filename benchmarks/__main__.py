"""`python -m benchmarks`: run every workload under both libraries, print Markdown tables.

Options: `--only W1` (substring filter), `--chart [PATH]` (bar chart of the ratios, PNG;
default out/benchmarks.png, which git ignores: docs/benchmarks.png is the published one),
`--threads N` (default 2, applied to PyTorch, Numba and OpenBLAS alike), `--rounds N`
(alternating timing rounds, default 9), `--memory` (peak memory of W1 and W2, a fresh process
per library), `--startup` (W6: import and first-step times in fresh processes), `--all`
(both). Tables: times and ratios, throughput beside the NumPy references (W4, W5), memory,
start-up, and every target of issue 5 with whether this run met it.

`--device cuda` runs W1 and W2 (each at two batch sizes), W3 and W7 on the GPU under both
libraries (the same workload code, built on the device), synchronizing after every timed call,
and judges the GPU targets of issue 6 (see `gpu_targets`). `--tf32` and `--cudnn-benchmark`
change PyTorch's (and CuPy's) defaults there; the report's header says which were in force.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field

from . import machine

__all__ = ["main", "run", "Row", "parse_args", "synchronized", "targets", "gpu_targets",
           "ratio_limit", "skipped_on_cuda", "configure_gpu", "gpu_header"]


def _set_threads(threads: int) -> None:
    """Thread counts for every library, set before numpy/Numba/PyTorch start their pools."""
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))


@dataclass
class Row:
    """One workload's figures: seconds per `per` for each library and for the reference."""
    name: str
    per: str
    ours: float | None
    torch: float | None
    references: dict = field(default_factory=dict)   # reference name -> seconds per call
    workload: object = field(default=None, repr=False)
    note: str = ""   # what went wrong, where a library could not run the workload

    @property
    def ratio(self) -> float | None:
        return self.ours / self.torch if self.ours and self.torch else None


def _libraries(threads: int, device: str = "cpu") -> dict:
    import minitorch_nn
    libs = {"minitorch_nn": minitorch_nn}
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: showing minitorch_nn times only", file=sys.stderr)
        return libs
    if device == "cuda" and not torch.cuda.is_available():
        print("This PyTorch sees no GPU (a CPU-only build?): showing minitorch_nn times only",
              file=sys.stderr)
        return libs
    torch.set_num_threads(threads)
    libs["torch"] = torch
    return libs


def _available(workload, T) -> bool:
    return all(hasattr(T.nn, name) for name in workload.needs)


def synchronized(step, synchronize):
    """`step` followed by `synchronize()`: on a GPU a call only queues kernels, so the clock
    must wait for the device to finish them before the call counts as done."""
    def timed():
        out = step()
        synchronize()
        return out
    return timed


def _prepare(workload, T, device: str, warmup: int):
    """Build `workload` for library `T` on `device` and call it `warmup` times (Numba and CuPy
    compile on first use, optimizers create their state lazily): the step, ready to time.

    At least two calls, so that a step failing only once state exists (a second gradient
    accumulated into `.grad`) fails here, where the library that failed is known."""
    T.manual_seed(0)
    step = workload.make(T, device)
    if device != "cpu":
        step = synchronized(step, T.cuda.synchronize)
    return _warm(step, max(warmup, 2))


def _warm(step, warmup: int):
    for _ in range(warmup):
        step()
    return step


WARMUP = {"cpu": 3, "cuda": 10}   # untimed calls before timing, by device


def run(only: str | None, threads: int, rounds: int = 9, device: str = "cpu",
        warmup: int | None = None) -> list[Row]:
    """Time each workload under each library (and its NumPy reference) in alternating rounds.

    A library that fails to build or run a workload gets no figure and a note in the table
    (the traceback goes to stderr), so that one failure does not lose the other figures.
    """
    import numpy

    from .timing import compare
    from .workloads import on_device
    libs = _libraries(threads, device)
    warmup = WARMUP[device] if warmup is None else warmup
    rows = []
    for w in on_device(device):
        if only and only not in w.name:
            continue
        steps, notes = {}, []
        for name, T in libs.items():
            if not _available(w, T):
                continue
            try:
                steps[name] = _prepare(w, T, device, warmup)
            except Exception as err:   # report it and go on with the other figures
                traceback.print_exc()
                notes.append(f"{name} failed: {type(err).__name__}: {str(err)[:120]}")
        host_refs = w.references if device == "cpu" else ()   # NumPy runs on the host
        for ref in host_refs:
            steps[ref.name] = _warm(ref.make(numpy), warmup)
        try:
            times = compare(steps, rounds=rounds, warmup=0)
        except Exception as err:   # a step that failed later than its warm-up calls
            traceback.print_exc()
            times = {}
            notes.append(f"timing failed: {type(err).__name__}: {str(err)[:120]}")
        del steps   # free the workload's arrays before the next one
        per_op = {k: v / w.ops_per_call for k, v in times.items()}
        refs = {ref.name: times.get(ref.name) for ref in host_refs}
        row = Row(w.name, w.per, per_op.get("minitorch_nn"), per_op.get("torch"), refs, w,
                  "; ".join(notes))
        rows.append(row)
        # the figures as they come, so that a run cut short still leaves them in the log
        print(f"  {w.name}: done (ours {_fmt(row.ours)}, PyTorch {_fmt(row.torch)})",
              file=sys.stderr, flush=True)
    return rows


# ------------------------------------------------------------------ formatting
def _fmt(seconds):
    if seconds is None:
        return "n/a"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e3:.2f} ms"


def _rate(work: int, seconds: float | None, unit: str) -> str:
    if not seconds or not work:
        return "n/a"
    return f"{work / seconds / 1e9:.1f} {unit}"


def _throughput(row: Row) -> str:
    """GB/s (W4) or GFLOP/s (W5, model workloads) of each library and of the NumPy
    reference timed beside it (CPU runs)."""
    w = row.workload
    if w is None or not (w.bytes or w.flops):
        return ""
    work, unit = (w.bytes, "GB/s") if w.bytes else (w.flops, "GFLOP/s")
    text = f"ours {_rate(work, row.ours, unit)}, PyTorch {_rate(work, row.torch, unit)}"
    for ref in w.references:
        if ref.name in row.references:
            text += f"; {ref.name} {_rate(ref.work, row.references[ref.name], unit)}"
    return text


def table(rows: list[Row]) -> str:
    lines = ["| workload | minitorch_nn | PyTorch | ratio (ours / PyTorch) | throughput |",
             "|---|---|---|---|---|"]
    for r in rows:
        ratio = f"{r.ratio:.2f}×" if r.ratio else "n/a"
        last = "; ".join(text for text in (_throughput(r), r.note) if text)
        lines.append(f"| {r.name} (per {r.per}) | {_fmt(r.ours)} | {_fmt(r.torch)} | {ratio} "
                     f"| {last} |")
    return "\n".join(lines)


# The time-ratio targets of issue 5 (ours / PyTorch at most this), by workload.
RATIO_TARGETS = {"W1": 0.75, "W2": 1.5, "W3a": 3.0, "W3b": 3.0, "W3c": 3.0}
# Issue 16's (speed II) time-ratio targets on the CPU, and its bandwidth target for W4: at
# least this fraction of the copy bandwidth and at most PyTorch's time.
SPEED_II_TARGETS = {"W2": 1.1, "W4a": 1.0, "W4b": 1.0, "W7": 1.0, "W8": 1.2, "W9": 1.0}
SPEED_II_BANDWIDTH = 0.6
# Issue 6's targets on a GPU, by (workload, batch size): W1 and W2 at most 1.5x PyTorch's time
# at batch 128/64, at most 1.2x at batch 1024/512 (where the GPU is busy, not waiting on Python).
GPU_RATIO_TARGETS = {("W1", 128): 1.5, ("W2", 64): 1.5, ("W1", 1024): 1.2, ("W2", 512): 1.2}


def ratio_limit(row: Row, device: str = "cpu") -> float | None:
    """The time-ratio target for `row` on `device`, or None where it has none."""
    key = row.name.split()[0]
    if device == "cpu":
        return RATIO_TARGETS.get(key)
    batch = row.workload.batch if row.workload is not None else None
    return GPU_RATIO_TARGETS.get((key, batch))


DEFAULT_CHART = os.path.join("out", "benchmarks.png")


def speed_ii_limit(row: Row, device: str = "cpu"):
    """Issue 16's time-ratio target for this row's workload (CPU runs only), or None."""
    if device != "cpu":
        return None
    return SPEED_II_TARGETS.get(row.name.split()[0])


def chart(rows: list[Row], path: str, device: str = "cpu") -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    named = [(r.name, r.ratio) for r in rows if r.ratio]
    rows_by_name = {r.name: r for r in rows}
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(named) + 1.2))
    ax.barh([n for n, _ in named], [v for _, v in named], color="tab:blue")
    ax.axvline(1.0, color="black", linewidth=1)
    for i, (name, v) in enumerate(named):
        ax.text(v, i, f" {v:.2f}×", va="center", fontsize=8)
        limit = ratio_limit(rows_by_name[name], device)
        if limit:   # the target for this workload, as a red tick
            ax.plot([limit, limit], [i - 0.45, i + 0.45], color="tab:red", linewidth=2)
        second = speed_ii_limit(rows_by_name[name], device)
        if second:   # issue 16's target, as an orange tick
            ax.plot([second, second], [i - 0.45, i + 0.45], color="tab:orange", linewidth=2)
    where = "" if device == "cpu" else f" on {device}"
    ticks = "red: target" if device != "cpu" else "red: issue 5's target, orange: issue 16's"
    ax.set_xlabel(f"time ratio minitorch_nn / PyTorch{where} (lower is better; {ticks})")
    ax.invert_yaxis()
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ------------------------------------------------------------------ memory and start-up
MEMORY_WORKLOADS = ("W1", "W2")


def memory(threads: int, libraries=("minitorch_nn", "torch")) -> dict:
    """{(workload, library): figures in bytes} from a fresh process for each pair."""
    from .memory import measure_in_subprocess
    out = {}
    for w in MEMORY_WORKLOADS:
        for lib in libraries:
            try:
                out[(w, lib)] = measure_in_subprocess(lib, w, threads)
            except subprocess.CalledProcessError as err:   # e.g. PyTorch not installed
                print(f"  memory {w} {lib} failed: {err.stderr.strip()[-200:]}",
                      file=sys.stderr)
        print(f"  memory {w}: done", file=sys.stderr)
    return out


def memory_table(mem: dict) -> str:
    mib = 1024 * 1024
    lines = ["| workload | library | private memory of the workload (peak) | RSS of the workload "
             "(peak, code pages incl.) | whole process (peak RSS) |", "|---|---|---|---|---|"]
    for (w, lib), d in mem.items():
        lines.append(f"| {w} | {lib} | {d['workload_peak_anon'] / mib:.1f} MiB "
                     f"| {d['workload_peak'] / mib:.1f} MiB | {d['process_peak'] / mib:.1f} MiB |")
    return "\n".join(lines)


def startup() -> dict:
    """W6: whole-process import time, and the first W1 step with a cold and a warm Numba cache.

    Each figure is the best of 3 runs (a fresh process each; the cold runs each get an empty
    cache directory). Python's bytecode cache is on, as it is for users: a machine that
    exports PYTHONDONTWRITEBYTECODE (this project's does) would otherwise compile the whole
    package from source at every import (about 0.5 s here).
    """
    import tempfile
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    base_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    code_first = ("import time; t=time.perf_counter(); import minitorch_nn as T; "
                  "from benchmarks.workloads import mlp_step; s=mlp_step(T); s(); "
                  "print(time.perf_counter()-t)")

    def whole(code: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=root, env=base_env)
        return time.perf_counter() - t0

    out = {"python": min(whole("pass") for _ in range(3)),
           "import": min(whole("import minitorch_nn") for _ in range(3))}
    cold, warm = [], []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as cache:
            env = dict(base_env, NUMBA_CACHE_DIR=cache)
            for times in (cold, warm):
                res = subprocess.run([sys.executable, "-c", code_first], env=env, check=True,
                                     capture_output=True, text=True, cwd=root)
                times.append(float(res.stdout.strip()))
    out["first_step_cold"], out["first_step_warm"] = min(cold), min(warm)
    return out


def startup_table(s: dict) -> str:
    return "\n".join([
        "| start-up (fresh process each, best of 3) | time |", "|---|---|",
        f"| W6 `python -c \"import minitorch_nn\"` (whole process; `python -c pass` takes "
        f"{s['python']:.2f} s) | {s['import']:.2f} s |",
        f"| W6 import + build + first W1 step, cold Numba cache | {s['first_step_cold']:.2f} s |",
        f"| W6 import + build + first W1 step, warm Numba cache | {s['first_step_warm']:.2f} s |"])


# ------------------------------------------------------------------ targets (issue 5)
def targets(rows: list[Row], mem: dict | None, start: dict | None) -> list[tuple]:
    """(target, measured, met) for every target this run has figures for."""
    by = {r.name.split()[0]: r for r in rows}
    out = []

    def ratio_target(key, limit, label):
        r = by.get(key)
        if r and r.ratio:
            out.append((f"{label}: ours / PyTorch time ≤ {limit}×", f"{r.ratio:.2f}×",
                        r.ratio <= limit))

    ratio_target("W1", RATIO_TARGETS["W1"], "W1 MLP step")
    ratio_target("W2", RATIO_TARGETS["W2"], "W2 CNN step")
    for key in ("W3a", "W3b", "W3c"):
        ratio_target(key, RATIO_TARGETS[key], f"{key} dispatch")
    for key in ("W4a", "W4b"):
        r = by.get(key)
        frac = _reference_fraction(r)
        if frac is not None:
            out.append((f"{key} GB/s ≥ 80% of copy bandwidth", f"{frac:.0%}", frac >= 0.8))
    for key, limit in SPEED_II_TARGETS.items():
        ratio_target(key, limit, f"{key} (issue 16)")
    for key in ("W4a", "W4b"):
        frac = _reference_fraction(by.get(key))
        if frac is not None:
            out.append((f"{key} GB/s ≥ {SPEED_II_BANDWIDTH:.0%} of copy bandwidth (issue 16)",
                        f"{frac:.0%}", frac >= SPEED_II_BANDWIDTH))
    for r in rows:
        frac = _reference_fraction(r) if r.name.startswith("W5") else None
        if frac is not None:
            out.append((f"{r.name}: GFLOP/s ≥ 0.95× numpy's", f"{frac:.2f}×", frac >= 0.95))
    if start:
        out.append(("W6 import ≤ 0.4 s", f"{start['import']:.2f} s", start["import"] <= 0.4))
        out.append(("W6 first W1 step, warm cache ≤ 1 s", f"{start['first_step_warm']:.2f} s",
                    start["first_step_warm"] <= 1.0))
        out.append(("W6 first W1 step, cold cache ≤ 10 s", f"{start['first_step_cold']:.2f} s",
                    start["first_step_cold"] <= 10.0))
    for w in MEMORY_WORKLOADS if mem else ():
        ours, theirs = mem.get((w, "minitorch_nn")), mem.get((w, "torch"))
        if ours and theirs:
            frac = ours["workload_peak_anon"] / theirs["workload_peak_anon"]
            out.append((f"{w} peak private memory ≤ 1.2× PyTorch's", f"{frac:.2f}×",
                        frac <= 1.2))
    return out


def _reference_fraction(row: Row | None) -> float | None:
    """Our throughput over the first reference's (the one the target names)."""
    if row is None or not row.ours or not row.workload.references:
        return None
    ref = row.workload.references[0]
    seconds = row.references.get(ref.name)
    if not seconds:
        return None
    work = row.workload.bytes or row.workload.flops
    return (work / row.ours) / (ref.work / seconds)


# ------------------------------------------------------------------ the GPU (issue 6)
_GPU_LABELS = {"W1": "W1 MLP step", "W2": "W2 CNN step"}


def gpu_targets(rows: list[Row]) -> list[tuple]:
    """(target, measured, met) for issue 6's GPU targets this run has rows for; a row without
    a ratio (a library failed, see its note) counts as missed."""
    out = []
    for (key, batch), limit in GPU_RATIO_TARGETS.items():
        row = next((r for r in rows if r.name.split()[0] == key and r.workload is not None
                    and r.workload.batch == batch), None)
        if row is None:   # not run (--only)
            continue
        label = f"{_GPU_LABELS[key]}, batch {batch}, GPU: ours / PyTorch time ≤ {limit}×"
        if row.ratio:
            out.append((label, f"{row.ratio:.2f}×", row.ratio <= limit))
        else:
            out.append((label, f"no figure ({row.note or 'PyTorch did not run'})", False))
    return out


# Why the host-only parts of the report are not run with --device cuda.
NOT_ON_CUDA = {
    "W6 start-up": "import time and Numba's cache are the host's, whatever the device",
    "peak memory": "measures the process's resident host memory; the GPU's memory is CuPy's "
                   "and PyTorch's caching pools, not compared here",
}


def skipped_on_cuda(only: str | None = None) -> list[str]:
    """One line per workload or measurement that `--device cuda` leaves out, saying why."""
    from .workloads import WORKLOADS
    lines = [f"- {w.name}: not run on cuda, {w.not_on_cuda}" for w in WORKLOADS
             if "cuda" not in w.devices and w.not_on_cuda and (not only or only in w.name)]
    lines += [f"- {what}: not run on cuda, {why}" for what, why in NOT_ON_CUDA.items()]
    return lines


def configure_gpu(tf32: bool, cudnn_benchmark: bool) -> str:
    """Put both libraries in the same numeric mode on the GPU; say what was set.

    TF32 (10-bit mantissa products) is off by default for both, so both compute the float32
    function: CuPy reads CUPY_TF32 at its first float32 product (so this must run before any),
    PyTorch has two switches (and turns TF32 on for cuDNN convolutions by default). cuDNN's
    autotuner (PyTorch only: minitorch_nn does not call cuDNN) stays off, PyTorch's default,
    unless asked for.
    """
    os.environ["CUPY_TF32"] = "1" if tf32 else "0"
    text = (f"TF32 {'on' if tf32 else 'off'} in both libraries (CUPY_TF32={int(tf32)}, "
            f"torch.backends.cuda.matmul.allow_tf32={tf32}, "
            f"torch.backends.cudnn.allow_tf32={tf32}); cuDNN autotuning "
            f"{'on' if cudnn_benchmark else 'off'} (torch.backends.cudnn.benchmark="
            f"{cudnn_benchmark})")
    try:
        import torch
    except ImportError:
        return text
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cudnn.benchmark = cudnn_benchmark
    return text


def gpu_header() -> str:
    """The GPU, its driver and the CUDA, CuPy and PyTorch versions, and the date (UTC).

    Each part that cannot be read says so instead of stopping the run.
    """
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = []
    for describe in (_cupy_gpu, _torch_gpu):
        try:
            parts.append(describe())
        except Exception as err:   # a missing attribute in some version: say so, go on
            parts.append(f"{describe.__name__.strip('_')}: unreadable ({err!r})")
    return "; ".join(parts) + f"; date {date}"


def _cupy_gpu() -> str:
    import cupy
    rt = cupy.cuda.runtime
    props = rt.getDeviceProperties(0)
    name = props["name"]
    name = name.decode() if isinstance(name, bytes) else name
    gib = props["totalGlobalMem"] / 2 ** 30
    return (f"GPU: {name} (compute capability {props['major']}.{props['minor']}, "
            f"{props['multiProcessorCount']} SMs, {gib:.0f} GiB); "
            f"CUDA driver {_cuda_version(rt.driverGetVersion())}, "
            f"runtime {_cuda_version(rt.runtimeGetVersion())}; CuPy {cupy.__version__}")


def _torch_gpu() -> str:
    try:
        import torch
    except ImportError:
        return "PyTorch not installed"
    seen = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (f"PyTorch {torch.__version__} (CUDA {torch.version.cuda}, cuDNN "
            f"{torch.backends.cudnn.version()}, sees {seen})")


def _cuda_version(number: int) -> str:
    """CUDA's integer version (12040) as text (12.4)."""
    return f"{number // 1000}.{number % 1000 // 10}"


def targets_table(items: list[tuple]) -> str:
    lines = ["| target | this run | met |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {'yes' if ok else '**no**'} |" for t, m, ok in items]
    return "\n".join(lines)


def _load() -> str:
    """The 1, 5 and 15-minute load averages (other processes' demand for the cores)."""
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def _versions() -> str:
    import numpy
    parts = [f"Python {platform.python_version()}", f"numpy {numpy.__version__}"]
    for name in ("numba", "torch"):
        try:
            parts.append(f"{name} {__import__(name).__version__}")
        except ImportError:
            parts.append(f"{name} not installed")
    return ", ".join(parts)


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """`--help` shows each option's default, except where there is none to show."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks",
                                description="minitorch_nn vs PyTorch benchmarks",
                                formatter_class=_HelpFormatter)
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="where both libraries run the workloads (cuda: W1, W2, W3, W7)")
    p.add_argument("--only", help="run workloads whose name contains this")
    p.add_argument("--threads", type=int, default=2,
                   help="threads for PyTorch, Numba, OpenBLAS and OpenMP alike")
    p.add_argument("--rounds", type=int, default=9, help="alternating timing rounds")
    p.add_argument("--warmup", type=int, default=None,
                   help=f"untimed calls before timing (default {WARMUP['cpu']} on cpu, "
                        f"{WARMUP['cuda']} on cuda)")
    p.add_argument("--chart", metavar="PNG", nargs="?", const=DEFAULT_CHART,
                   help=f"write a bar chart of the ratios to PNG (without PNG: "
                        f"{DEFAULT_CHART}, ignored by git; docs/benchmarks.png is the "
                        f"published chart: name it to replace it)")
    p.add_argument("--memory", action="store_true", help="also measure peak memory (W1, W2)")
    p.add_argument("--startup", action="store_true", help="also measure W6 (start-up)")
    p.add_argument("--all", action="store_true", help="--memory and --startup")
    p.add_argument("--tf32", action="store_true",
                   help="cuda: allow TF32 products in both libraries (default: full float32)")
    p.add_argument("--cudnn-benchmark", action="store_true",
                   help="cuda: let PyTorch autotune cuDNN (default: off, PyTorch's default)")
    args = p.parse_args(argv)
    if args.device == "cpu" and (args.tf32 or args.cudnn_benchmark):
        p.error("--tf32 and --cudnn-benchmark apply to --device cuda only")
    if args.device == "cuda":
        import minitorch_nn
        if not minitorch_nn.cuda.is_available():
            p.error("--device cuda: no GPU is usable here (CuPy is not installed, or it sees "
                    "no NVIDIA GPU). Run it where a GPU is lent (docs/benchmarks.md, section "
                    "'GPU'), or leave --device out for the CPU benchmarks.")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    _set_threads(args.threads)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; {_versions()}; "
          f"threads {args.threads}")
    if args.device != "cuda":
        print("\n".join(machine.describe()))
    if args.device == "cuda":
        print(f"device: cuda; {configure_gpu(args.tf32, args.cudnn_benchmark)}")
        print(gpu_header())
        print("timing: every timed call ends with minitorch_nn.cuda.synchronize() / "
              f"torch.cuda.synchronize(); {args.warmup or WARMUP['cuda']} untimed calls first")
    print(f"load average before: {_load()}")
    rows = run(args.only, args.threads, args.rounds, args.device, args.warmup)
    print(f"load average after the timings: {_load()}")
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print(f"(a load above {os.cpu_count()}: other processes competed for the cores; the "
              "figures are unreliable, rerun on a quiet machine)")
    print()
    print(table(rows))
    if args.device == "cuda":
        print()
        print("\n".join(skipped_on_cuda(args.only)))
        print()
        judged = gpu_targets(rows)
        print(targets_table(judged) if judged else "(no GPU target among these workloads)")
    else:
        _cpu_extras(args, rows)
    if args.chart:
        chart(rows, args.chart, args.device)
        print(f"\nchart written to {args.chart}")
    failed = [r.name for r in rows if r.note]
    if failed:
        raise SystemExit(f"some workloads failed (tracebacks above): {', '.join(failed)}")


def _cpu_extras(args: argparse.Namespace, rows: list[Row]) -> None:
    """Memory and start-up tables where asked for, and issue 5's targets."""
    mem = memory(args.threads) if args.memory or args.all else None
    if mem:
        print()
        print(memory_table(mem))
    start = startup() if args.startup or args.all else None
    if start:
        print()
        print(startup_table(start))
    print()
    print(targets_table(targets(rows, mem, start)))


if __name__ == "__main__":
    main()
