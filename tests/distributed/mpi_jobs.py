"""Run a small script as an MPI job from a test: `run_job(code, n)` writes the code to a file,
starts it with `mpiexec -n n` (or through minitorch_nn.distributed.run) with a timeout, and
returns (exit status, output). `needs_mpi` skips a test, saying why, where mpi4py or mpiexec
is missing (`pip install -e ".[test]"` installs both)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest


def _mpiexec():
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return here if os.path.exists(here) else shutil.which("mpiexec")


def _have_mpi4py() -> bool:
    try:
        import importlib.util
        return importlib.util.find_spec("mpi4py") is not None
    except ImportError:
        return False


needs_mpi = pytest.mark.skipif(
    _mpiexec() is None or not _have_mpi4py(),
    reason="distributed tests need mpi4py and an MPI (pip install 'minitorch_nn[distributed]')")


def run_job(tmp_path, code: str, n: int, *, launcher: str = "mpiexec", args=(),
            timeout: float = 60, env=None) -> tuple[int, str]:
    """Run `code` on `n` processes; (exit status, stdout + stderr). A job that outlives
    `timeout` seconds fails the test (a hang is a failure, never a stuck suite)."""
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent(code))
    if launcher == "mpiexec":
        command = [_mpiexec(), "-n", str(n), sys.executable, str(script), *args]
    else:
        command = [sys.executable, "-m", "minitorch_nn.distributed.run",
                   "--nproc-per-node", str(n), str(script), *args]
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("PMI_", "OMPI_", "MPI_", "HYDRA_")) and
                k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE")}
    full_env.update(env or {})
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              env=full_env, cwd=tmp_path)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"MPI job did not finish in {timeout} s:\n{e.stdout}\n{e.stderr}")
    return done.returncode, done.stdout + done.stderr


def rank_lines(output: str, tag: str) -> dict[int, str]:
    """Lines printed as `tag <rank> <rest>`: {rank: rest}. (Ranks share one pipe: a job
    writes each such line with one `sys.stdout.write` so lines of two ranks never mix.)"""
    found = {}
    for line in output.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[0] == tag:
            found[int(parts[1])] = parts[2]
    return found
