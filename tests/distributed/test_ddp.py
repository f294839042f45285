"""nn.parallel.DistributedDataParallel: multi-process checks (ddp_cases.py, run as MPI jobs of
2 and 4 processes), the bucket assignment against PyTorch's, and the single-process errors.
examples/ddp_digits.py runs at 2 processes through the torchrun-style launcher."""
from __future__ import annotations

import pathlib
import re
import sys

import pytest

import minitorch_nn as mt
from mpi_jobs import needs_mpi, run_job

HERE = pathlib.Path(__file__).resolve().parent
CASES = (HERE / "ddp_cases.py").read_text()
EXAMPLE = HERE.parents[1] / "examples" / "ddp_digits.py"


TWO_PROCESS_CASES = ["attributes", "training", "overlap", "no_sync", "buffers", "find_unused",
                     "unused_error", "sync_batchnorm", "sync_batchnorm_ddp"]


def _run_cases(tmp_path, cases, n: int) -> tuple[dict, str]:
    """Run `cases` in one n-process job: ({case: ranks that finished it}, output). A case
    that fails aborts the job, so it and the cases after it have no finished ranks."""
    code, out = run_job(tmp_path, CASES, n, args=cases, timeout=60)
    finished: dict = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "ok":
            finished.setdefault(parts[2], []).append(int(parts[1]))
    return {c: sorted(r) for c, r in finished.items()}, f"exit status {code}\n{out}"


@pytest.fixture(scope="module")
def two_process_job(tmp_path_factory):
    """One 2-process job runs every case (one start-up instead of six)."""
    return _run_cases(tmp_path_factory.mktemp("ddp2"), TWO_PROCESS_CASES, 2)


@needs_mpi
@pytest.mark.parametrize("case", TWO_PROCESS_CASES)
def test_ddp_on_two_processes(two_process_job, case):
    """attributes: module, repr, state_dict keys, flags, construction errors as PyTorch's;
    training: parameters identical on every rank and equal (1e-5) to whole-batch training
    in one process; overlap: all-reduces launched from the hooks during backward; no_sync:
    accumulation equals the single-process sum; buffers: broadcast from rank 0;
    find_unused: partly used and unused parameters; unused_error: PyTorch's error;
    sync_batchnorm(_ddp): SyncBatchNorm equals one process's BatchNorm on the whole batch."""
    finished, out = two_process_job
    assert finished.get(case) == [0, 1], out


@needs_mpi
def test_ddp_training_on_four_processes(tmp_path):
    finished, out = _run_cases(tmp_path, ["training"], 4)
    assert finished.get("training") == [0, 1, 2, 3], out


@needs_mpi
def test_ddp_digits_example_trains(tmp_path):
    """examples/ddp_digits.py, 2 processes through `python -m minitorch_nn.distributed.run`:
    rank 0 prints each epoch's loss, accuracy and samples/s; the accuracy is high."""
    code, out = run_job(tmp_path, EXAMPLE.read_text(), 2, launcher="run", timeout=120)
    assert code == 0, out
    epochs = re.findall(r"epoch (\d+): loss (\S+) +test accuracy (\S+) +(\d+) samples/s", out)
    assert len(epochs) >= 1, out
    assert float(epochs[-1][2]) > 0.85, out
    assert float(epochs[-1][1]) < float(epochs[0][1]) or len(epochs) == 1, out


def test_bucket_assignment_is_pytorchs():
    torch = pytest.importorskip("torch")
    from minitorch_nn.nn.parallel.buckets import assign_buckets
    shapes = [(300000,), (10,), (300000,), (5,), (200000,), (7, 3), (400000,)]
    dtypes = ["float32", "float32", "float32", "float64", "float32", "float64", "float32"]
    ours = [mt.zeros(s, dtype=getattr(mt, d)) for s, d in zip(shapes, dtypes)]
    theirs = [torch.zeros(s, dtype=getattr(torch, d)) for s, d in zip(shapes, dtypes)]
    for limits in ([1 << 20, 2 << 20], [1 << 20], [100, 3 << 20], [sys.maxsize]):
        want = torch.distributed._compute_bucket_assignment_by_size(theirs, limits)
        assert assign_buckets(ours, limits) == (want[0], list(want[1])), limits


def test_ddp_needs_an_initialized_group():
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        mt.nn.parallel.DistributedDataParallel(mt.nn.Linear(2, 2))


def test_exported_as_in_pytorch():
    from minitorch_nn.nn.parallel.distributed import DistributedDataParallel
    assert mt.nn.parallel.DistributedDataParallel is DistributedDataParallel
    assert "DistributedDataParallel" in mt.nn.parallel.__all__
