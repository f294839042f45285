"""Where one workload's step spends its time, in both libraries.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.profile_step W9 [steps]

Builds the workload (benchmarks/workloads.py) under minitorch_nn and PyTorch, 2 threads each,
runs 5 warm-up steps, prints five alternating rounds of `steps` steps (median step time of
each library), then ours under cProfile (functions by self time: BLAS calls show up inside the
Python function that makes them, Numba kernels as functions of their own) and PyTorch's under
torch.profiler (ops by self CPU time). Divide the totals by `steps` for per-step figures
(docs/benchmarks.md, "Target by target", quotes them so).
"""
from __future__ import annotations

import cProfile
import io
import pstats
import sys

from .timing import median_time

_THREADS = 2


def profile(key: str, steps: int = 20, rows: int = 18) -> str:
    """The report for workload `key` ("W9"), as text."""
    import torch
    from numba import set_num_threads
    from threadpoolctl import threadpool_limits
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    import minitorch_nn as mt

    from .workloads import by_name
    torch.set_num_threads(_THREADS)
    set_num_threads(_THREADS)
    out = []
    with threadpool_limits(_THREADS, user_api="blas"):
        workload = by_name(key)
        ours, theirs = workload.make(mt), workload.make(torch)
        for _ in range(5):
            ours()
            theirs()
        rounds = [(median_time(ours, steps) * 1e3, median_time(theirs, steps) * 1e3)
                  for _ in range(5)]
        out.append(f"{workload.name}: median step, ours / PyTorch, five rounds (ms): "
                   + "  ".join(f"{a:.2f}/{b:.2f}" for a, b in rounds))
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(steps):
            ours()
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(rows)
        out.append(f"minitorch_nn, cProfile over {steps} steps:")
        out.append("\n".join(line for line in text.getvalue().splitlines() if line.strip()))
        with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(steps):
                theirs()
        out.append(f"PyTorch, torch.profiler over {steps} steps:")
        out.append(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows))
    return "\n".join(out)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    print(profile(argv[0], int(argv[1]) if len(argv) > 1 else 20))


if __name__ == "__main__":
    main()
