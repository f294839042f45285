"""torch.distributed's collectives on MPI: every result against numpy, on 2 and 4 processes;
PyTorch's errors; the launcher's environment; a failing rank ends the job."""
from __future__ import annotations

import pytest

import minitorch_nn.distributed as dist
from mpi_jobs import needs_mpi, rank_lines, run_job

COLLECTIVES = r'''
import numpy as np
import minitorch_nn as torch
import minitorch_nn.distributed as dist

dist.init_process_group("gloo")
r, n = dist.get_rank(), dist.get_world_size()
base = lambda q: np.arange(6, dtype=np.float64).reshape(2, 3) * (q + 1) - q   # rank q's data
mine = lambda dtype=torch.float64: torch.tensor(base(r)).to(dtype)
everyone = np.stack([base(q) for q in range(n)])
checked = []

def check(name, got, want, **kw):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), want, **kw, err_msg=name)
    checked.append(name)

for op, fn in [(dist.ReduceOp.SUM, np.sum), (dist.ReduceOp.PRODUCT, np.prod),
               (dist.ReduceOp.MIN, np.min), (dist.ReduceOp.MAX, np.max),
               (dist.ReduceOp.AVG, np.mean)]:
    t = mine()
    assert dist.all_reduce(t, op=op) is None
    check(f"all_reduce {op}", t.numpy(), fn(everyone, axis=0))

for dtype, tol in [(torch.float32, 1e-6), (torch.float16, 1e-3), (torch.bfloat16, 1e-2),
                   (torch.int64, 0)]:
    t = mine(dtype)
    dist.all_reduce(t)
    assert t.dtype == dtype
    want = everyone.astype(np.int64).sum(0) if dtype == torch.int64 else everyone.sum(0)
    check(f"all_reduce {dtype}", t.float().numpy(), want, rtol=tol)

t = torch.tensor([r == 0, False, True])
dist.all_reduce(t)
assert t.tolist() == [True, False, True], t

t = torch.tensor(base(r)).t()                 # a non-contiguous view writes through
dist.all_reduce(t)
check("all_reduce view", t.numpy(), everyone.sum(0).T)

t = mine()
work = dist.all_reduce(t, op=dist.ReduceOp.MAX, async_op=True)
assert work.wait() is True and work.is_completed()
check("all_reduce async", t.numpy(), everyone.max(0))

t = mine()
dist.broadcast(t, src=n - 1)
check("broadcast", t.numpy(), base(n - 1))

t = mine()
dist.reduce(t, dst=1, op=dist.ReduceOp.SUM)
check("reduce", t.numpy(), everyone.sum(0) if r == 1 else base(r))

outs = [torch.zeros(2, 3, dtype=torch.float64) for _ in range(n)]
dist.all_gather(outs, mine())
check("all_gather", np.stack([o.numpy() for o in outs]), everyone)

flat = torch.zeros(n * 2, 3, dtype=torch.float64)
dist.all_gather_into_tensor(flat, mine())
check("all_gather_into_tensor", flat.numpy(), everyone.reshape(n * 2, 3))

out = torch.zeros(2, 3, dtype=torch.float64)
dist.reduce_scatter(out, [mine() + i for i in range(n)])
check("reduce_scatter", out.numpy(), everyone.sum(0) + n * r)

out = torch.zeros(3, dtype=torch.float64)
dist.reduce_scatter_tensor(out, torch.tensor(np.arange(3.0 * n) + r))
check("reduce_scatter_tensor", out.numpy(),
      sum(np.arange(3.0 * n) + q for q in range(n))[3 * r:3 * r + 3])

gl = [torch.zeros(2, 3, dtype=torch.float64) for _ in range(n)] if r == 0 else None
dist.gather(mine(), gather_list=gl, dst=0)
if r == 0:
    check("gather", np.stack([g.numpy() for g in gl]), everyone)

t = torch.zeros(2, 3, dtype=torch.float64)
dist.scatter(t, [torch.tensor(base(q) * 10) for q in range(n)] if r == 0 else None, src=0)
check("scatter", t.numpy(), base(r) * 10)

ins = [torch.full((2,), float(10 * r + j)) for j in range(n)]
outs = [torch.zeros(2) for _ in range(n)]
dist.all_to_all(outs, ins)
check("all_to_all", np.stack([o.numpy() for o in outs]),
      np.stack([np.full(2, 10.0 * q + r) for q in range(n)]))

if r == 0:
    dist.send(torch.tensor([1.0, 2.0]), dst=1, tag=3)
    reply = torch.zeros(1)
    assert dist.recv(reply) == 1 and reply.tolist() == [5.0]
elif r == 1:
    got = torch.zeros(2)
    assert dist.recv(got, src=0, tag=3) == 0 and got.tolist() == [1.0, 2.0]
    dist.isend(torch.tensor([5.0]), dst=0).wait()

objs = [None] * n
dist.all_gather_object(objs, {"rank": r, "name": f"r{r}"})
assert objs == [{"rank": q, "name": f"r{q}"} for q in range(n)]
items = [r, "only rank 0's survives"] if r == 0 else [None, None]
dist.broadcast_object_list(items, src=0)
assert items == [0, "only rank 0's survives"]
gathered = [None] * n if r == 0 else None
dist.gather_object(r * r, gathered, dst=0)
assert r != 0 or gathered == [q * q for q in range(n)]
slot = [None]
dist.scatter_object_list(slot, [f"to {q}" for q in range(n)] if r == 0 else None, src=0)
assert slot == [f"to {r}"]

evens = dist.new_group([q for q in range(n) if q % 2 == 0])
t = mine()
if r % 2 == 0:
    dist.all_reduce(t, group=evens)
    check("subgroup", t.numpy(), everyone[::2].sum(0))
    assert dist.get_world_size(evens) == len(range(0, n, 2))
    assert dist.get_rank(evens) == r // 2
else:
    assert evens is dist.GroupMember.NON_GROUP_MEMBER
from minitorch_nn.utils.data import DistributedSampler
assert list(DistributedSampler(range(11), seed=3)) == \
    list(DistributedSampler(range(11), num_replicas=n, rank=r, seed=3))   # the group's own
checked.append("sampler")
dist.barrier()
import sys
sys.stdout.write(f"OK {r} {' '.join(checked)}\n")   # one write: lines of ranks never mix
sys.stdout.flush()
dist.destroy_process_group()
'''


@needs_mpi
@pytest.mark.parametrize("n", [2, 4])
def test_every_collective_against_numpy(tmp_path, n):
    code, out = run_job(tmp_path, COLLECTIVES, n)
    assert code == 0, out
    done = rank_lines(out, "OK")
    assert sorted(done) == list(range(n)), out
    assert "all_reduce RedOpType.AVG" in done[0] and "all_to_all" in done[0]
    assert all(line.endswith("sampler") for line in done.values())


ERRORS = r'''
import minitorch_nn as torch
import minitorch_nn.distributed as dist

def error(fn):
    try:
        fn()
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return "no error"

dist.init_process_group("gloo")
print("E twice", error(lambda: dist.init_process_group("gloo")))
print("E root", error(lambda: dist.broadcast(torch.ones(2), src=3)))
print("E list", error(lambda: dist.all_gather([torch.ones(2), torch.ones(2)], torch.ones(2))))
print("E size", error(lambda: dist.all_gather([torch.ones(3)], torch.ones(2))))
print("E type", error(lambda: dist.all_reduce([1, 2])))
print("E self", error(lambda: dist.send(torch.ones(2), dst=0)))
print("E gather", error(lambda: dist.gather(torch.ones(2), gather_list=None, dst=0)))
print("E backend", dist.get_backend())
print("E size1", dist.get_world_size(), dist.get_rank())
dist.destroy_process_group()
print("E after", error(lambda: dist.get_rank()))
print("E again", error(lambda: dist.destroy_process_group()))
print("E nccl", error(lambda: dist.init_process_group("nccl")))
print("E unknown", error(lambda: dist.init_process_group("foo")))
print("E world", error(lambda: dist.init_process_group("gloo", world_size=4)))
'''

PYTORCH_ERRORS = {   # what torch 2.13 says in a one-process gloo group
    "twice": "ValueError: trying to initialize the default process group twice!",
    "root": "RuntimeError: ProcessGroupGloo::broadcast: invalid root rank: 3",
    "list": "RuntimeError: ProcessGroupGloo::allgather: invalid output tensor list at index 0 "
            "(expected length 1, got 2)",
    "size": "RuntimeError: ProcessGroupGloo::allgather: invalid tensor size at index 0 "
            "(expected (2), got (3))",
    "self": "ValueError: Invalid destination rank: destination rank should not be the same as "
            "the rank of the current process.",
    "gather": "ValueError: Argument ``gather_list`` must be specified on destination rank.",
    "after": "ValueError: Default process group has not been initialized, please make sure to "
             "call init_process_group.",
    "again": "AssertionError: Process group cannot be None",
    "unknown": "AssertionError: Unknown backend type foo",
    "backend": "gloo",
    "size1": "1 0",
}


@needs_mpi
def test_errors_are_pytorchs(tmp_path):
    code, out = run_job(tmp_path, ERRORS, 1)
    assert code == 0, out
    lines = {line.split(" ", 2)[1]: line.split(" ", 2)[2] for line in out.splitlines()
             if line.startswith("E ")}
    for key, want in PYTORCH_ERRORS.items():
        assert lines[key] == want, (key, lines[key])
    assert lines["type"].startswith("TypeError: Invalid function argument. Expected parameter "
                                    "`tensor` of type torch.Tensor")
    assert lines["nccl"].startswith("RuntimeError: Distributed package doesn't have NCCL")
    assert lines["world"].startswith("ValueError: world_size=4, but MPI started this process "
                                     "as rank 0 of 1")


def test_calls_before_init_raise_pytorchs_error():
    assert dist.is_initialized() is False
    for call in (dist.get_rank, dist.get_world_size,
                 lambda: dist.all_reduce(__import__("minitorch_nn").ones(2))):
        with pytest.raises(ValueError, match="Default process group has not been initialized, "
                                             "please make sure to call init_process_group."):
            call()


@pytest.mark.parametrize("name", ["init_process_group", "all_reduce", "broadcast", "all_gather",
                                  "all_gather_into_tensor", "reduce_scatter_tensor", "gather",
                                  "scatter", "all_to_all", "send", "recv", "isend", "irecv",
                                  "barrier", "new_group", "get_rank", "get_world_size",
                                  "all_gather_object", "broadcast_object_list",
                                  "destroy_process_group", "is_initialized", "ReduceOp"])
def test_names_are_pytorchs(name):
    torch = pytest.importorskip("torch", reason="PyTorch not installed: name check skipped")
    assert hasattr(torch.distributed, name) and hasattr(dist, name)
    assert str(dist.ReduceOp.AVG) == str(torch.distributed.ReduceOp.AVG)


LAUNCHED = r'''
import os, sys
import minitorch_nn as torch
import minitorch_nn.distributed as dist
env = [os.environ[k] for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE")]
dist.init_process_group("gloo")
t = torch.ones(1) * (dist.get_rank() + 1)
dist.all_reduce(t)
if "--fail" in sys.argv and dist.get_rank() == 1:
    raise RuntimeError("rank 1 fails on purpose")
dist.all_reduce(t)        # the other ranks wait here: the failing rank must end the job
sys.stdout.write(f"ENV {dist.get_rank()} {' '.join(env)} {sys.argv[1:]} {t.item()}\n")
sys.stdout.flush()
'''


@needs_mpi
@pytest.mark.parametrize("launcher", ["mpiexec", "run"])
def test_launchers_set_torchruns_environment(tmp_path, launcher):
    code, out = run_job(tmp_path, LAUNCHED, 3, launcher=launcher, args=["--lr", "0.1"])
    assert code == 0, out
    lines = rank_lines(out, "ENV")
    assert lines == {r: f"{r} {r} 3 3 ['--lr', '0.1'] 18.0" for r in range(3)}, out


@needs_mpi
@pytest.mark.parametrize("launcher", ["mpiexec", "run"])
def test_a_failing_rank_ends_the_job_with_a_nonzero_status(tmp_path, launcher):
    code, out = run_job(tmp_path, LAUNCHED, 2, launcher=launcher, args=["--fail"],
                        timeout=30)
    assert code != 0
    assert "rank 1 fails on purpose" in out


def test_launcher_refuses_several_nodes():
    from minitorch_nn.distributed import run
    with pytest.raises(SystemExit, match="--hostfile"):
        run.main(["--nnodes", "2", "train.py"])


def test_torchrun_env_from_mpich_and_open_mpi_variables():
    from minitorch_nn.distributed.launch_env import torchrun_env_from_mpi
    env = {"PMI_RANK": "2", "PMI_SIZE": "4", "MPI_LOCALRANKID": "0", "MPI_LOCALNRANKS": "2"}
    assert torchrun_env_from_mpi(env)
    assert (env["RANK"], env["WORLD_SIZE"], env["LOCAL_RANK"], env["LOCAL_WORLD_SIZE"],
            env["MASTER_ADDR"]) == ("2", "4", "0", "2", "127.0.0.1")
    env = {"OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "2"}
    assert torchrun_env_from_mpi(env) and (env["RANK"], env["LOCAL_RANK"]) == ("1", "1")
    kept = {"RANK": "0", "PMI_RANK": "3", "PMI_SIZE": "4"}
    assert not torchrun_env_from_mpi(kept) and kept["RANK"] == "0"
    assert not torchrun_env_from_mpi({})


def test_launcher_gives_each_of_several_processes_one_thread(monkeypatch):
    from minitorch_nn.distributed import run
    for var in run.THREAD_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    env = run._one_thread_each(2)
    assert all(env[var] == "1" for var in run.THREAD_VARIABLES)
    assert not any(var in run._one_thread_each(1) for var in run.THREAD_VARIABLES)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")      # the user's choice is kept
    env = run._one_thread_each(4)
    assert env["OMP_NUM_THREADS"] == "3" and "NUMBA_NUM_THREADS" not in env
