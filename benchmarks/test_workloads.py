"""Each workload under minitorch_nn and PyTorch (grouped by workload for a side-by-side view)."""
from __future__ import annotations

import pytest

from benchmarks.workloads import on_device

LIBS = ["minitorch_nn", "torch"]


def _lib(name):
    if name == "torch":
        torch = pytest.importorskip("torch")
        torch.set_num_threads(2)
        return torch
    import minitorch_nn
    return minitorch_nn


CPU_WORKLOADS = on_device("cpu")


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("workload", CPU_WORKLOADS, ids=[w.name for w in CPU_WORKLOADS])
def test_workload(benchmark, workload, lib):
    T = _lib(lib)
    if not all(hasattr(T.nn, n) for n in workload.needs):
        pytest.skip(f"{lib} lacks {workload.needs}")
    T.manual_seed(0)
    step = workload.make(T)
    benchmark.group = workload.name
    benchmark.pedantic(step, warmup_rounds=3, rounds=20, iterations=1)
