"""Peak memory of a workload, measured in a fresh process per library.

`tracemalloc` sees only Python's allocator, not numpy's data buffers nor PyTorch's C++
allocations, so the measure here is the operating system's: the process's resident set.

    python -m benchmarks.memory torch W1      # prints one JSON line

In a fresh process: import the library (RSS then is the baseline), build the workload (model,
optimizer, data) and run one warm-up step (Numba loads its kernels, optimizers create their
state), reset the kernel's high-water mark (Linux: writing 5 to /proc/self/clear_refs), run
the timed steps, read the high-water mark (VmHWM). The workload's peak is that high-water mark
minus the baseline: parameters, gradients, optimizer state, activations and temporaries, plus
whatever the library allocates to run them (thread pools, Numba's runtime).

Resident memory counts the pages of shared libraries that were read from disk (libtorch,
LLVM inside llvmlite): clean, shared, reclaimable code, not memory the workload allocates. So
the private (anonymous) part is reported too: the high-water mark minus the file-backed pages
resident at the end (RssFile + RssShmem), minus the private memory after import. The targets
are judged on that private peak; the total and the whole process's peak (VmHWM, which unlike
ru_maxrss is not inherited from the parent across fork/exec) are shown beside it. Where the
high-water mark cannot be reset, the peak since start-up is used (warm-up included).
"""
from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys

__all__ = ["measure", "measure_in_subprocess"]

_MIB = 1024 * 1024


def _status_bytes(field: str) -> int | None:
    """A `Vm...` field of /proc/self/status in bytes, or None where there is none."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_high_water_mark() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _max_rss_bytes() -> int:
    """The process's peak RSS since it started (ru_maxrss is in KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def measure(library: str, workload: str, steps: int = 5, threads: int = 2) -> dict:
    """Run `steps` steps of `workload` under `library` here; return memory figures in bytes."""
    from .workloads import by_name
    T = importlib.import_module(library)
    if library == "torch":
        T.set_num_threads(threads)
    baseline = _status_bytes("VmRSS") or _max_rss_bytes()
    baseline_anon = _status_bytes("RssAnon") or baseline
    T.manual_seed(0)
    step = by_name(workload).make(T)
    step()
    startup_peak = _status_bytes("VmHWM") or 0
    reset = _reset_high_water_mark()
    for _ in range(steps):
        step()
    peak = _status_bytes("VmHWM") if reset else None
    if peak is None:
        peak = _max_rss_bytes()
    files = (_status_bytes("RssFile") or 0) + (_status_bytes("RssShmem") or 0)
    return {"library": library, "workload": workload, "baseline": baseline,
            "baseline_anon": baseline_anon, "peak": peak, "workload_peak": peak - baseline,
            "workload_peak_anon": peak - files - baseline_anon,
            "process_peak": max(startup_peak, peak), "reset": reset}


def measure_in_subprocess(library: str, workload: str, threads: int = 2) -> dict:
    """`measure` in a fresh Python process (so nothing else this process did is counted)."""
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    res = subprocess.run([sys.executable, "-m", "benchmarks.memory", library, workload],
                         env=env, cwd=root, check=True, capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        raise SystemExit("usage: python -m benchmarks.memory LIBRARY WORKLOAD  "
                         "(e.g. torch W1)")
    print(json.dumps(measure(args[0], args[1])))


if __name__ == "__main__":
    main()
