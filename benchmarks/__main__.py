"""`python -m benchmarks`: run every workload under both libraries, print Markdown tables.

Options: `--only W1` (substring filter), `--chart PATH` (bar chart of the ratios, PNG),
`--threads N` (default 2, applied to PyTorch, Numba and OpenBLAS alike), `--rounds N`
(alternating timing rounds, default 9), `--memory` (peak memory of W1 and W2, a fresh process
per library), `--startup` (W6: import and first-step times in fresh processes), `--all`
(both). Tables: times and ratios, throughput beside the NumPy references (W4, W5), memory,
start-up, and every target of issue 5 with whether this run met it.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field

__all__ = ["main", "run", "Row"]


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

    @property
    def ratio(self) -> float | None:
        return self.ours / self.torch if self.ours and self.torch else None


def _libraries(threads: int) -> dict:
    import minitorch_nn
    libs = {"minitorch_nn": minitorch_nn}
    try:
        import torch
        torch.set_num_threads(threads)
        libs["torch"] = torch
    except ImportError:
        print("PyTorch is not installed: showing minitorch_nn times only", file=sys.stderr)
    return libs


def _available(workload, T) -> bool:
    return all(hasattr(T.nn, name) for name in workload.needs)


def run(only: str | None, threads: int, rounds: int = 9) -> list[Row]:
    """Time each workload under each library (and its NumPy reference) in alternating rounds."""
    import numpy

    from .timing import compare
    from .workloads import WORKLOADS
    libs = _libraries(threads)
    rows = []
    for w in WORKLOADS:
        if only and only not in w.name:
            continue
        steps = {}
        for name, T in libs.items():
            if _available(w, T):
                T.manual_seed(0)
                steps[name] = w.make(T)
        for ref in w.references:
            steps[ref.name] = ref.make(numpy)
        times = compare(steps, rounds=rounds)
        del steps   # free the workload's arrays before the next one
        per_op = {k: v / w.ops_per_call for k, v in times.items()}
        refs = {ref.name: times[ref.name] for ref in w.references}
        rows.append(Row(w.name, w.per, per_op.get("minitorch_nn"), per_op.get("torch"),
                        refs, w))
        print(f"  {w.name}: done", file=sys.stderr)
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
    """GB/s (W4) or GFLOP/s (W5) of each library and of the NumPy reference."""
    w = row.workload
    if w is None or not (w.bytes or w.flops):
        return ""
    work, unit = (w.bytes, "GB/s") if w.bytes else (w.flops, "GFLOP/s")
    text = f"ours {_rate(work, row.ours, unit)}, PyTorch {_rate(work, row.torch, unit)}"
    for ref in w.references:
        text += f"; {ref.name} {_rate(ref.work, row.references.get(ref.name), unit)}"
    return text


def table(rows: list[Row]) -> str:
    lines = ["| workload | minitorch_nn | PyTorch | ratio (ours / PyTorch) | throughput |",
             "|---|---|---|---|---|"]
    for r in rows:
        ratio = f"{r.ratio:.2f}×" if r.ratio else "n/a"
        lines.append(f"| {r.name} (per {r.per}) | {_fmt(r.ours)} | {_fmt(r.torch)} | {ratio} "
                     f"| {_throughput(r)} |")
    return "\n".join(lines)


# The time-ratio targets of issue 5 (ours / PyTorch at most this), by workload.
RATIO_TARGETS = {"W1": 0.75, "W2": 1.5, "W3a": 3.0, "W3b": 3.0, "W3c": 3.0}


def chart(rows: list[Row], path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    named = [(r.name, r.ratio) for r in rows if r.ratio]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(named) + 1.2))
    ax.barh([n for n, _ in named], [v for _, v in named], color="tab:blue")
    ax.axvline(1.0, color="black", linewidth=1)
    for i, (name, v) in enumerate(named):
        ax.text(v, i, f" {v:.2f}×", va="center", fontsize=8)
        limit = RATIO_TARGETS.get(name.split()[0])
        if limit:   # the target for this workload, as a red tick
            ax.plot([limit, limit], [i - 0.45, i + 0.45], color="tab:red", linewidth=2)
    ax.set_xlabel("time ratio minitorch_nn / PyTorch (lower is better; red: target)")
    ax.invert_yaxis()
    fig.tight_layout()
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
    cache directory).
    """
    import tempfile
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code_first = ("import time; t=time.perf_counter(); import minitorch_nn as T; "
                  "from benchmarks.workloads import mlp_step; s=mlp_step(T); s(); "
                  "print(time.perf_counter()-t)")

    def whole(code: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
        return time.perf_counter() - t0

    out = {"python": min(whole("pass") for _ in range(3)),
           "import": min(whole("import minitorch_nn") for _ in range(3))}
    cold, warm = [], []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache)
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


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="minitorch_nn vs PyTorch benchmarks")
    p.add_argument("--only", help="run workloads whose name contains this")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=9, help="alternating timing rounds")
    p.add_argument("--chart", help="write a bar chart of the ratios to this PNG")
    p.add_argument("--memory", action="store_true", help="also measure peak memory (W1, W2)")
    p.add_argument("--startup", action="store_true", help="also measure W6 (start-up)")
    p.add_argument("--all", action="store_true", help="--memory and --startup")
    args = p.parse_args(argv)
    _set_threads(args.threads)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; {_versions()}; "
          f"threads {args.threads}")
    print(f"load average before: {_load()}")
    rows = run(args.only, args.threads, args.rounds)
    print(f"load average after the timings: {_load()}")
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print(f"(a load above {os.cpu_count()}: other processes competed for the cores; the "
              "figures are unreliable, rerun on a quiet machine)")
    print()
    print(table(rows))
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
    if args.chart:
        chart(rows, args.chart)
        print(f"\nchart written to {args.chart}")


if __name__ == "__main__":
    main()
