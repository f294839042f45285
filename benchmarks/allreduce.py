"""All-reduce bandwidth of minitorch_nn.distributed (MPI backend) against raw mpi4py and the
machine's memory bandwidth, in one run.

    python -m benchmarks.allreduce --nproc 2

starts itself under `mpiexec -n 2` and prints, per message size: the median time of
`dist.all_reduce` (float32, SUM) and of mpi4py's own `Allreduce` on the same numpy buffer,
and the bus bandwidth 2 (n - 1) / n * bytes / time (what each rank sends and receives in a
ring all-reduce), next to a numpy copy's bandwidth (read + write) on this machine. The header
names the CPU and the MPI library: compare figures only within one run.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys

import numpy as np

from .timing import median_time

SIZES = [2 ** 10, 2 ** 14, 2 ** 18, 2 ** 22, 2 ** 24]   # float32 elements: 4 KB .. 64 MB


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def copy_bandwidth(nbytes: int = 64 * 2 ** 20) -> float:
    """Bytes per second read + written by a numpy copy of `nbytes` (memory bandwidth)."""
    a = np.ones(nbytes // 4, np.float32)
    b = np.empty_like(a)
    t = median_time(lambda: np.copyto(b, a), 9)
    return 2 * nbytes / t


def measure(reps: int) -> None:
    import minitorch_nn as torch
    import minitorch_nn.distributed as dist
    from mpi4py import MPI
    dist.init_process_group("mpi")
    rank, n = dist.get_rank(), dist.get_world_size()
    comm = MPI.COMM_WORLD
    if rank == 0:
        print(f"machine: {cpu_model()}, {os.cpu_count()} cores; {n} processes; "
              f"{MPI.Get_library_version().splitlines()[0].strip()}; mpi4py "
              f"{__import__('mpi4py').__version__}")
        print(f"numpy copy (memory bandwidth, read + write): {copy_bandwidth() / 1e9:.2f} GB/s")
        print(f"{'size':>9} {'ours':>10} {'mpi4py':>10} {'ours/raw':>8} {'bus GB/s':>9}")
    for size in SIZES:
        t = torch.ones(size)
        raw = np.ones(size, np.float32)
        out = np.empty_like(raw)

        def ours():
            comm.Barrier()
            dist.all_reduce(t)

        def theirs():
            comm.Barrier()
            comm.Allreduce(raw, out, op=MPI.SUM)
        for step in (ours, theirs):   # warm up
            step()
        t_ours, t_raw = median_time(ours, reps), median_time(theirs, reps)
        if rank == 0:
            nbytes = size * 4
            bus = 2 * (n - 1) / n * nbytes / t_ours / 1e9
            print(f"{_size(nbytes):>9} {t_ours * 1e3:>8.3f}ms {t_raw * 1e3:>8.3f}ms "
                  f"{t_ours / t_raw:>8.2f} {bus:>9.2f}")
    dist.destroy_process_group()


def _size(nbytes: int) -> str:
    return f"{nbytes // 2 ** 20} MB" if nbytes >= 2 ** 20 else f"{nbytes // 2 ** 10} KB"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.allreduce")
    p.add_argument("--nproc", type=int, default=2)
    p.add_argument("--reps", type=int, default=15)
    args = p.parse_args(argv)
    if "PMI_RANK" in os.environ or "OMPI_COMM_WORLD_RANK" in os.environ:
        measure(args.reps)
        return 0
    from minitorch_nn.distributed.run import mpiexec
    return subprocess.call([mpiexec(), "-n", str(args.nproc), sys.executable, "-m",
                            "benchmarks.allreduce", "--reps", str(args.reps)])


if __name__ == "__main__":
    sys.exit(main())
