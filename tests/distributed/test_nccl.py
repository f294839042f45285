"""The nccl backend on the fake GPU: every collective against numpy on 2 and 4 processes,
the routing of "cpu:gloo,cuda:nccl", PyTorch's errors, DDP and SyncBatchNorm on GPU modules;
and the fake `cupy.cuda.nccl` (tests/fake_cupy/_nccl.py) held to CuPy 14's API.

Each job installs the fake CuPy in its own processes (FAKE below), whatever the pytest
process uses, so these run in the plain pass and in the --fake-gpu pass alike; the fake's
NCCL moves the data between the job's processes over MPI. What a real GPU adds (NCCL's own
kernels, streams) is the `cuda`-marked test at the end, run where a GPU and NCCL are there.
"""
from __future__ import annotations

import pathlib

import numpy as np
import pytest
from mpi_jobs import needs_mpi, rank_lines, run_job

import minitorch_nn as mt

TESTS = pathlib.Path(__file__).resolve().parents[1]
FAKE = f'''
import sys
sys.path.insert(0, {str(TESTS)!r})
from fake_cupy import install
install.install()          # this process's cupy is the fake, its cupy.cuda.nccl too
'''

COLLECTIVES = FAKE + r'''
import numpy as np
import minitorch_nn as torch
import minitorch_nn.distributed as dist
from fake_cupy import _nccl

calls = []                  # every NCCL call this rank makes, by name
for name in ("allReduce", "reduce", "broadcast", "allGather", "reduceScatter", "send", "recv"):
    def spy(self, *args, _name=name, _real=getattr(_nccl.NcclCommunicator, name)):
        calls.append(_name)
        return _real(self, *args)
    setattr(_nccl.NcclCommunicator, name, spy)

dist.init_process_group("nccl")
r, n = dist.get_rank(), dist.get_world_size()
assert dist.get_backend() == "nccl" and dist.is_nccl_available()
base = lambda q: np.arange(6, dtype=np.float64).reshape(2, 3) * (q + 1) - q   # rank q's data
gpu = lambda a, dtype=torch.float64: torch.tensor(a).to(dtype).cuda()
mine = lambda dtype=torch.float64: gpu(base(r), dtype)
everyone = np.stack([base(q) for q in range(n)])
checked = []

def check(name, got, want, **kw):
    assert got.device.type == "cuda", name
    np.testing.assert_allclose(got.cpu().double().numpy(), want, **kw, err_msg=name)
    checked.append(name)

for op, fn in [(dist.ReduceOp.SUM, np.sum), (dist.ReduceOp.PRODUCT, np.prod),
               (dist.ReduceOp.MIN, np.min), (dist.ReduceOp.MAX, np.max),
               (dist.ReduceOp.AVG, np.mean)]:
    t = mine()
    version = t._version
    assert dist.all_reduce(t, op=op) is None
    assert t._version == version + 1
    check(f"all_reduce {op}", t, fn(everyone, axis=0))

for dtype, tol in [(torch.float32, 1e-6), (torch.float16, 1e-3), (torch.bfloat16, 1e-2),
                   (torch.int64, 0), (torch.int32, 0), (torch.int8, 0)]:
    t = mine(dtype)
    dist.all_reduce(t)
    assert t.dtype == dtype
    check(f"all_reduce {dtype}", t, everyone.astype(np.int64).sum(0) if not dtype.is_floating_point
          else everyone.sum(0), rtol=tol)

t = gpu(np.array([-7, 7, 5]) * (r + 1), torch.int64)   # NCCL's integer AVG truncates
dist.all_reduce(t, op=dist.ReduceOp.AVG)
total = np.array([-7, 7, 5]) * sum(range(1, n + 1))
check("all_reduce AVG int64", t, np.trunc(total / n))

t = gpu(np.array([r == 0, False, True]), torch.bool)
dist.all_reduce(t)
assert t.dtype == torch.bool and t.cpu().tolist() == [True, False, True], t

t = (mine() + 1j * mine()).to(torch.complex128)
dist.all_reduce(t)
np.testing.assert_allclose(t.cpu().numpy(), everyone.sum(0) * (1 + 1j))

whole = gpu(np.stack([base(r), base(r) * 10]))       # a contiguous view writes through
dist.all_reduce(whole[1])
check("all_reduce view", whole, np.stack([base(r), everyone.sum(0) * 10]))

t = mine()
work = dist.all_reduce(t, op=dist.ReduceOp.MAX, async_op=True)
assert work.wait() is True and work.is_completed()
check("all_reduce async", t, everyone.max(0))

t = mine()
dist.broadcast(t, src=n - 1)
check("broadcast", t, base(n - 1))

t = mine()
dist.reduce(t, dst=1, op=dist.ReduceOp.SUM)
check("reduce", t, everyone.sum(0) if r == 1 else base(r))

outs = [torch.zeros(2, 3, dtype=torch.float64, device="cuda") for _ in range(n)]
dist.all_gather(outs, mine())
check("all_gather", torch.stack(outs), everyone)

flat = torch.zeros(n * 2, 3, dtype=torch.float64, device="cuda")
dist.all_gather_into_tensor(flat, mine())
check("all_gather_into_tensor", flat, everyone.reshape(n * 2, 3))

out = torch.zeros(2, 3, dtype=torch.float64, device="cuda")
dist.reduce_scatter(out, [mine() + i for i in range(n)])
check("reduce_scatter", out, everyone.sum(0) + n * r)

out = torch.zeros(3, dtype=torch.float64, device="cuda")
dist.reduce_scatter_tensor(out, gpu(np.arange(3.0 * n) + r))
check("reduce_scatter_tensor", out, sum(np.arange(3.0 * n) + q for q in range(n))[3 * r:3 * r + 3])

gl = [torch.zeros(2, 3, dtype=torch.float64, device="cuda") for _ in range(n)] if r == 0 else None
dist.gather(mine(), gather_list=gl, dst=0)
if r == 0:
    check("gather", torch.stack(gl), everyone)

t = torch.zeros(2, 3, dtype=torch.float64, device="cuda")
dist.scatter(t, [gpu(base(q) * 10) for q in range(n)] if r == 0 else None, src=0)
check("scatter", t, base(r) * 10)

ins = [torch.full((2,), float(10 * r + j), device="cuda") for j in range(n)]
outs = [torch.zeros(2, device="cuda") for _ in range(n)]
dist.all_to_all(outs, ins)
check("all_to_all", torch.stack(outs), np.stack([np.full(2, 10.0 * q + r) for q in range(n)]))

if r == 0:
    dist.send(gpu(np.array([1.0, 2.0])), dst=1)
    reply = torch.zeros(1, device="cuda")
    assert dist.recv(reply, src=1) == 1 and reply.cpu().tolist() == [5.0]
elif r == 1:
    got = torch.zeros(2, dtype=torch.float64, device="cuda")
    assert dist.irecv(got, src=0).wait() and got.cpu().tolist() == [1.0, 2.0]
    dist.isend(torch.tensor([5.0], device="cuda"), dst=0).wait()
checked.append("send/recv")

objs = [None] * n
dist.all_gather_object(objs, {"rank": r})
assert objs == [{"rank": q} for q in range(n)]

evens = dist.new_group([q for q in range(n) if q % 2 == 0])
t = mine()
if r % 2 == 0:
    dist.all_reduce(t, group=evens)
    check("subgroup", t, everyone[::2].sum(0))
    assert len(evens.nccl_comms) == 1 and dist.get_backend(evens) == "nccl"
else:
    assert evens is dist.GroupMember.NON_GROUP_MEMBER
dist.barrier()
assert set(calls) >= {"allReduce", "reduce", "broadcast", "allGather", "reduceScatter", "send",
                      "recv"}, calls
sys.stdout.write(f"OK {r} {' | '.join(checked)}\n")
sys.stdout.flush()
dist.destroy_process_group()
'''


@needs_mpi
@pytest.mark.parametrize("n", [2, 4])
def test_every_collective_on_the_fake_gpu_against_numpy(tmp_path, n):
    code, out = run_job(tmp_path, COLLECTIVES, n, timeout=90)
    assert code == 0, out
    done = rank_lines(out, "OK")
    assert sorted(done) == list(range(n)), out
    for name in ("all_reduce RedOpType.AVG", "all_reduce AVG int64", "all_to_all", "scatter",
                 "reduce_scatter_tensor", "send/recv"):
        assert name in done[0], (name, done[0])


MIXED = FAKE + r'''
import numpy as np
import minitorch_nn as torch
import minitorch_nn.distributed as dist
from fake_cupy import _nccl

reduced = []
real_all_reduce = _nccl.NcclCommunicator.allReduce
def spy(self, *args):
    reduced.append(self.size())
    return real_all_reduce(self, *args)
_nccl.NcclCommunicator.allReduce = spy

def say(*parts):   # one write: the lines of two ranks never mix
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")
    sys.stdout.flush()

def error(fn):
    try:
        fn()
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return "no error"

dist.init_process_group("cpu:gloo,cuda:nccl")
r, n = dist.get_rank(), dist.get_world_size()
world = dist.group.WORLD
assert dist.get_backend() == "cpu:gloo,cuda:nccl"
cpu = torch.ones(3) * (r + 1)
dist.all_reduce(cpu)                              # through MPI: no NCCL communicator yet
assert cpu.device.type == "cpu" and cpu.tolist() == [n * (n + 1) / 2] * 3
assert reduced == [] and world.nccl_comms == {}
gpu = torch.ones(3, device="cuda") * (r + 1)
dist.all_reduce(gpu)                              # through NCCL
assert gpu.device.type == "cuda" and gpu.cpu().tolist() == [n * (n + 1) / 2] * 3
assert reduced == [n] and list(world.nccl_comms) == [0]
say("R", r, "routed")

only_mpi = dist.new_group(backend="gloo")
only_nccl = dist.new_group(backend="nccl")
c, g = torch.ones(2), torch.ones(2, device="cuda")
say("E", r, "cpu_to_nccl", error(lambda: dist.all_reduce(c, group=only_nccl)))
say("E", r, "gpu_to_mpi", error(lambda: dist.all_reduce(g, group=only_mpi)))
say("E", r, "short", error(lambda: dist.all_reduce(g.to(torch.int16))))
say("E", r, "short_bcast", error(lambda: dist.broadcast(g.to(torch.int16), src=0)))
say("E", r, "band", error(lambda: dist.all_reduce(g.int(), op=dist.ReduceOp.BAND)))
say("E", r, "bool_avg", error(lambda: dist.all_reduce(g.bool(), op=dist.ReduceOp.AVG)))
say("E", r, "complex_max", error(lambda: dist.all_reduce(g.to(torch.complex64), op=dist.ReduceOp.MAX)))
say("E", r, "strided", error(lambda: dist.all_reduce(torch.ones(2, 3, device="cuda").t())))
say("E", r, "anysource", error(lambda: dist.recv(g)))
say("E", r, "mixed", error(lambda: dist.all_gather([c] * n, g)))
dist.barrier(group=only_nccl)
dist.destroy_process_group(only_nccl)
assert only_nccl.nccl_comms == {}
dist.destroy_process_group()
assert world.nccl_comms == {}
'''

NCCL_ERRORS = {   # PyTorch's ProcessGroupNCCL (c10d) messages
    "cpu_to_nccl": "RuntimeError: No backend type associated with device type cpu",
    "gpu_to_mpi": "RuntimeError: No backend type associated with device type cuda",
    "short": "TypeError: Input tensor data type is not supported for NCCL process group: Short",
    "short_bcast": "TypeError: Input tensor data type is not supported for NCCL process "
                   "group: Short",
    "band": "ValueError: Cannot use ReduceOp.BAND with NCCL",
    "bool_avg": "TypeError: Cannot use ReduceOp.AVG with boolean inputs",
    "complex_max": "RuntimeError: all_reduce does not support RedOpType.MAX on complex tensors",
    "strided": "ValueError: Tensors must be contiguous",
    "anysource": "RuntimeError: ProcessGroupNCCL does not support recvAnysource",
}


@needs_mpi
def test_mixed_backend_routes_by_device_and_errors_are_pytorchs(tmp_path):
    code, out = run_job(tmp_path, MIXED, 2, timeout=60)
    assert code == 0, out
    assert sorted(rank_lines(out, "R")) == [0, 1], out
    for rank in (0, 1):
        lines = {line.split(" ", 3)[2]: line.split(" ", 3)[3] for line in out.splitlines()
                 if line.startswith(f"E {rank} ")}
        for key, want in NCCL_ERRORS.items():
            assert lines[key] == want, (key, lines[key])
        assert lines["mixed"].startswith("ValueError: Tensors must be CUDA and dense"), lines


DDP = FAKE + r'''
import copy
import numpy as np
import minitorch_nn as torch
import minitorch_nn.distributed as dist
from minitorch_nn import nn
from minitorch_nn.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("nccl", device_id=torch.device("cuda:0"))
R, W = dist.get_rank(), dist.get_world_size()
assert list(dist.group.WORLD.nccl_comms) == [0]          # eager init on device_id
torch.cuda.set_device(int(__import__("os").environ["LOCAL_RANK"]) % torch.cuda.device_count())

def done(case):   # one write: the lines of two ranks never mix
    sys.stdout.write(f"ok {R} {case}\n")
    sys.stdout.flush()

def host(module):
    return [t.detach().cpu().numpy().copy() for t in module.state_dict().values()]

def same_on_every_rank(values):
    everyone = [None] * W
    dist.all_gather_object(everyone, values)
    assert all(np.array_equal(a, b) for other in everyone for a, b in zip(values, other))

def shard(t):
    per = t.shape[0] // W
    return t[R * per:(R + 1) * per]

CASES = sys.argv[1:]

# training: rank-different starts, broadcast from rank 0, several buckets, momentum SGD
torch.manual_seed(100 + R)
model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3)).cuda()
ddp = DDP(model, device_ids=[0], output_device=0, bucket_cap_mb=0.0005)
assert len(ddp.reducer.buckets) > 1 and ddp.device_ids == [0] and ddp.output_device == 0
reference = copy.deepcopy(model)
opt = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
ref_opt = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
g = np.random.default_rng(0)
for step in range(4):
    x = torch.tensor(g.standard_normal((4 * W, 6)).astype(np.float32)).cuda()
    y = torch.tensor(g.integers(0, 3, 4 * W)).cuda()
    opt.zero_grad()
    nn.functional.cross_entropy(ddp(shard(x)), shard(y)).backward()
    opt.step()
    ref_opt.zero_grad()
    nn.functional.cross_entropy(reference(x), y).backward()
    ref_opt.step()
assert all(p.device.type == "cuda" and p.grad.device.type == "cuda" for p in model.parameters())
for a, b in zip(host(model), host(reference)):
    np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)
same_on_every_rank(host(model))
done("training")

if "find_unused" not in CASES:
    dist.destroy_process_group()
    sys.exit(0)

# find_unused_parameters: the reducer's "used" flags travel on the GPU too
torch.manual_seed(5)
heads = nn.ModuleList([nn.Linear(4, 2), nn.Linear(4, 2)]).cuda()
class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = heads
    def forward(self, x):
        return self.heads[0](x)
ddp = DDP(TwoHeads(), find_unused_parameters=True)
ddp(torch.ones(2, 4, device="cuda") * (R + 1)).sum().backward()
assert heads[1].weight.grad is None
np.testing.assert_allclose(heads[0].weight.grad.cpu().numpy(),
                           np.full((2, 4), 2 * sum(range(1, W + 1)) / W), rtol=1e-6)
done("find_unused")

# SyncBatchNorm in a GPU model equals one process's BatchNorm2d on the whole batch
torch.manual_seed(8)
model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                      nn.Flatten(), nn.Linear(4 * 4 * 4, 3)).cuda()
reference = copy.deepcopy(model)
ddp = DDP(nn.SyncBatchNorm.convert_sync_batchnorm(model), device_ids=[0])
opt = torch.optim.SGD(ddp.parameters(), lr=0.1)
ref_opt = torch.optim.SGD(reference.parameters(), lr=0.1)
g = np.random.default_rng(9)
for _ in range(2):
    x = torch.tensor(g.standard_normal((2 * W, 2, 4, 4)).astype(np.float32)).cuda()
    y = torch.tensor(g.integers(0, 3, 2 * W)).cuda()
    opt.zero_grad()
    nn.functional.cross_entropy(ddp(shard(x)), shard(y)).backward()
    opt.step()
    ref_opt.zero_grad()
    nn.functional.cross_entropy(reference(x), y).backward()
    ref_opt.step()
for a, b in zip(host(model), host(reference)):
    np.testing.assert_allclose(a, b, atol=1e-5)
same_on_every_rank(host(model))
done("sync_batchnorm")
dist.destroy_process_group()
'''


@needs_mpi
@pytest.mark.parametrize("n, cases", [(2, ("training", "find_unused", "sync_batchnorm")),
                                      (4, ("training",))])
def test_ddp_on_the_fake_gpu_equals_one_process_training(tmp_path, n, cases):
    """DDP of a GPU model (device_ids as PyTorch) over nccl: parameters identical on every
    rank and equal (1e-5) to one process training on the whole batch; find_unused on the
    GPU; SyncBatchNorm + DDP on the GPU against one process's BatchNorm2d."""
    code, out = run_job(tmp_path, DDP, n, launcher="run", args=cases, timeout=120)
    assert code == 0, out
    finished = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "ok":
            finished.setdefault(parts[2], []).append(int(parts[1]))
    for case in cases:
        assert sorted(finished.get(case, [])) == list(range(n)), (case, out)


# ------------------------------------------------------------------ without a GPU
def test_nccl_without_a_gpu_is_pytorchs_cpu_build():
    """No GPU (or no NCCL library): is_nccl_available() is False and init says PyTorch's
    CPU-build message, before MPI starts."""
    import minitorch_nn.distributed as dist
    if mt.cuda.is_available():
        pytest.skip("a GPU (or the fake) is there: this checks the machine without one")
    assert dist.is_nccl_available() is False
    for backend in ("nccl", "cpu:gloo,cuda:nccl"):
        with pytest.raises(RuntimeError, match="^Distributed package doesn't have NCCL built in"):
            dist.init_process_group(backend)
    assert not dist.is_initialized()


# ------------------------------------------------------------------ the fake's API
# CuPy 14.2's cupy_backends/cuda/libs/nccl.pyx, as its Cython-embedded signatures say
CUPY_14_SIGNATURES = {
    "allReduce": "self, intptr_t sendbuf, intptr_t recvbuf, size_t count, int datatype, "
                 "int op, intptr_t stream",
    "reduce": "self, intptr_t sendbuf, intptr_t recvbuf, size_t count, int datatype, int op, "
              "int root, intptr_t stream",
    "broadcast": "self, intptr_t sendbuff, intptr_t recvbuff, size_t count, int datatype, "
                 "int root, intptr_t stream",
    "bcast": "self, intptr_t buff, size_t count, int datatype, int root, intptr_t stream",
    "reduceScatter": "self, intptr_t sendbuf, intptr_t recvbuf, size_t recvcount, "
                     "int datatype, int op, intptr_t stream",
    "allGather": "self, intptr_t sendbuf, intptr_t recvbuf, size_t count, int datatype, "
                 "intptr_t stream",
    "send": "self, intptr_t sendbuf, size_t count, int datatype, int peer, intptr_t stream",
    "recv": "self, intptr_t recvbuf, size_t count, int datatype, int peer, intptr_t stream",
    "destroy": "self", "abort": "self",
}
CUPY_14_CONSTANTS = {"NCCL_SUM": 0, "NCCL_PROD": 1, "NCCL_MAX": 2, "NCCL_MIN": 3,
                     "NCCL_AVG": 4, "NCCL_INT8": 0, "NCCL_UINT8": 1, "NCCL_INT32": 2,
                     "NCCL_UINT32": 3, "NCCL_INT64": 4, "NCCL_UINT64": 5, "NCCL_FLOAT16": 6,
                     "NCCL_FLOAT32": 7, "NCCL_FLOAT64": 8, "NCCL_BFLOAT16": 9}


def _real_nccl():
    """The real cupy.cuda.nccl with its library loaded, or None (the usual case here)."""
    from fake_cupy import install
    if install.installed():
        return None
    import warnings
    try:
        with warnings.catch_warnings():   # CuPy warns when NCCL's library is missing
            warnings.simplefilter("ignore")
            from cupy.cuda import nccl
    except ImportError:
        return None
    return nccl if nccl.available else None


def test_fake_nccl_has_cupy_14s_names_and_parameters():
    import inspect

    from fake_cupy import _nccl
    for name, params in CUPY_14_SIGNATURES.items():
        want = [p.split()[-1] for p in params.split(", ")]
        got = list(inspect.signature(getattr(_nccl.NcclCommunicator, name)).parameters)
        assert got == want, name
    assert list(inspect.signature(_nccl.NcclCommunicator).parameters) == [
        "ndev", "commId", "rank", "config"]
    assert {k: getattr(_nccl, k) for k in CUPY_14_CONSTANTS} == CUPY_14_CONSTANTS
    real = _real_nccl()
    if real is not None:   # a machine with NCCL: the reference above is still CuPy's
        for name, params in CUPY_14_SIGNATURES.items():
            doc = getattr(real.NcclCommunicator, name).__doc__.splitlines()[0]
            assert doc == f"NcclCommunicator.{name}({params})", doc
        assert {k: getattr(real, k) for k in CUPY_14_CONSTANTS} == CUPY_14_CONSTANTS


def test_fake_nccl_refuses_what_real_cupy_refuses():
    """Pointers and streams are plain ints (Cython's intptr_t: not numpy ints, not a
    MemoryPointer, not a Stream); counts are non-negative; the id is bytes; a pointer
    into no device allocation (host memory) is NCCL's invalid argument. Checked before
    any communication, so no MPI job is needed."""
    from fake_cupy import _core, _nccl
    comm = _nccl.NcclCommunicator.__new__(_nccl.NcclCommunicator)
    comm._size, comm._rank, comm._mpi = 2, 0, None
    device = _core.from_host(np.zeros(4, np.float32))
    ptr = device.data.ptr
    for bad in (float(ptr), np.int64(ptr), device.data, None):
        with pytest.raises(TypeError, match="an integer is required"):
            comm.allReduce(bad, ptr, 4, _nccl.NCCL_FLOAT32, _nccl.NCCL_SUM, 0)
    with pytest.raises(TypeError, match="an integer is required"):
        comm.allReduce(ptr, ptr, 4, _nccl.NCCL_FLOAT32, _nccl.NCCL_SUM, None)
    with pytest.raises(OverflowError, match="can't convert negative value to size_t"):
        comm.allReduce(ptr, ptr, -1, _nccl.NCCL_FLOAT32, _nccl.NCCL_SUM, 0)
    host = np.zeros(4, np.float32)
    with pytest.raises(_nccl.NcclError, match="NCCL_ERROR_INVALID_ARGUMENT"):
        comm.allReduce(host.ctypes.data, host.ctypes.data, 4, _nccl.NCCL_FLOAT32,
                       _nccl.NCCL_SUM, 0)
    with pytest.raises(_nccl.NcclError, match="NCCL_ERROR_INVALID_ARGUMENT"):
        comm.allReduce(ptr, ptr, 5, _nccl.NCCL_FLOAT32, _nccl.NCCL_SUM, 0)   # past the end
    with pytest.raises(TypeError, match="expected bytes, got tuple"):
        _nccl.NcclCommunicator(2, tuple(_nccl.get_unique_id()), 0)
    assert isinstance(_nccl.get_unique_id(), bytes) and len(_nccl.get_unique_id()) == 128


# ------------------------------------------------------------------ a real GPU
REAL = r'''
import numpy as np
import minitorch_nn as torch
import minitorch_nn.distributed as dist
dist.init_process_group("nccl")
t = torch.arange(6, dtype=torch.float32, device="cuda").view(2, 3)
dist.all_reduce(t, op=dist.ReduceOp.AVG)
outs = [torch.zeros(2, 3, device="cuda")]
dist.all_gather(outs, t)
work = dist.broadcast(t, src=0, async_op=True)
work.wait()
torch.cuda.synchronize()
assert np.array_equal(outs[0].cpu().numpy(), np.arange(6.0).reshape(2, 3))
print("REAL", dist.get_rank(), t.cpu().tolist(), flush=True)
dist.destroy_process_group()
'''


@pytest.mark.cuda
@needs_mpi
def test_real_nccl_on_one_gpu(tmp_path):
    """Where a GPU and NCCL are there: one process through CuPy's real NCCL."""
    if _real_nccl() is None or not mt.cuda.is_available():
        pytest.skip("needs a GPU with CuPy's NCCL (pip install nvidia-nccl-cu12)")
    code, out = run_job(tmp_path, REAL, 1, timeout=120)
    assert code == 0, out
    assert rank_lines(out, "REAL") == {0: "[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]"}, out


@pytest.mark.cuda
def test_set_device_makes_a_gpu_current():
    """torch.cuda.set_device, as torchrun scripts call it with LOCAL_RANK: an int, "cuda:i"
    or a device; a negative index does nothing (PyTorch's rule)."""
    last = mt.cuda.device_count() - 1
    for spec in (last, f"cuda:{last}", mt.device("cuda", last), 0):
        mt.cuda.set_device(spec)
        index = spec if isinstance(spec, int) else mt.device(spec).index
        assert mt.cuda.current_device() == index
        assert mt.ones(1, device="cuda").device == mt.device("cuda", index)
    mt.cuda.set_device(-1)
    assert mt.cuda.current_device() == 0
    with pytest.raises(ValueError, match="Expected a cuda device"):
        mt.cuda.set_device("cpu")
