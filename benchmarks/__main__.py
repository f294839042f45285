"""`python -m benchmarks`: run every workload under both libraries, print a Markdown table.

Options: `--only W1` (substring filter), `--chart PATH` (bar chart of the ratios, PNG),
`--threads N` (default 2, applied to PyTorch and Numba alike), `--startup` (W6: import and
first-step times in fresh processes).
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

from .timing import time_step
from .workloads import WORKLOADS


def _libraries(threads: int):
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


def run(only: str | None, threads: int):
    """Rows of (workload, per, minitorch seconds, torch seconds or None)."""
    libs = _libraries(threads)
    rows = []
    for w in WORKLOADS:
        if only and only not in w.name:
            continue
        times = {}
        for name, T in libs.items():
            if not _available(w, T):
                times[name] = None
                continue
            T.manual_seed(0)
            times[name] = time_step(w.make(T)) / w.ops_per_call
        rows.append((w.name, w.per, times.get("minitorch_nn"), times.get("torch")))
        print(f"  {w.name}: done", file=sys.stderr)
    return rows


def _fmt(seconds):
    if seconds is None:
        return "n/a"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e3:.2f} ms"


def table(rows) -> str:
    lines = ["| workload | minitorch_nn | PyTorch | ratio (ours / PyTorch) |",
             "|---|---|---|---|"]
    for name, per, ours, theirs in rows:
        ratio = f"{ours / theirs:.2f}×" if ours and theirs else "n/a"
        lines.append(f"| {name} (per {per}) | {_fmt(ours)} | {_fmt(theirs)} | {ratio} |")
    return "\n".join(lines)


def chart(rows, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    named = [(n, o / t) for n, _, o, t in rows if o and t]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(named) + 1))
    ax.barh([n for n, _ in named], [r for _, r in named], color="tab:blue")
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xlabel("time ratio minitorch_nn / PyTorch (lower is better)")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def startup() -> list[str]:
    """W6: whole-process import time, and the first W1 step with a cold and a warm Numba cache."""
    import tempfile
    out = []
    code_first = ("import time; t=time.perf_counter(); import minitorch_nn as T; "
                  "from benchmarks.workloads import mlp_step; s=mlp_step(T); s(); "
                  "print(time.perf_counter()-t)")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import minitorch_nn"], check=True)
    whole = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    bare = time.perf_counter() - t0
    out.append(f"| W6 import minitorch_nn (whole process, python itself {bare:.2f} s) | "
               f"{whole:.2f} s |")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("cold", "warm"):
            res = subprocess.run([sys.executable, "-c", code_first], env=env, check=True,
                                 capture_output=True, text=True)
            out.append(f"| W6 import + first W1 step, {label} Numba cache | "
                       f"{float(res.stdout.strip()):.2f} s |")
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="minitorch_nn vs PyTorch benchmarks")
    p.add_argument("--only", help="run workloads whose name contains this")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--chart", help="write a bar chart of the ratios to this PNG")
    p.add_argument("--startup", action="store_true", help="also measure W6 (start-up)")
    args = p.parse_args(argv)
    os.environ.setdefault("NUMBA_NUM_THREADS", str(args.threads))
    import numpy
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, numpy {numpy.__version__}, threads {args.threads}")
    rows = run(args.only, args.threads)
    print(table(rows))
    if args.startup:
        print("\n| start-up | time |\n|---|---|")
        print("\n".join(startup()))
    if args.chart:
        chart(rows, args.chart)
        print(f"chart written to {args.chart}")


if __name__ == "__main__":
    main()
