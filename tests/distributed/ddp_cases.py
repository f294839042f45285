"""The DistributedDataParallel checks that run inside an MPI job (test_ddp.py starts this file
with `mpiexec -n N python ddp_cases.py CASE [CASE ...]`). Each case asserts on every rank and
ends by printing `ok <rank> <case>`; a failed assertion aborts the job (non-zero exit status,
and no `ok` line for that case or the ones after it).

Every rank builds the same data (seeded), takes its own shard, and also computes the
single-process reference on the whole data itself, so each check is local and exact.
"""
from __future__ import annotations

import copy
import sys

import numpy as np

import minitorch_nn as torch
import minitorch_nn.distributed as dist
from minitorch_nn import nn
from minitorch_nn.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("gloo")
RANK, WORLD = dist.get_rank(), dist.get_world_size()


def done(case: str) -> None:
    sys.stdout.write(f"ok {RANK} {case}\n")
    sys.stdout.flush()


def arrays(module) -> list:
    return [p.detach().numpy().copy() for p in module.parameters()]


def same_on_every_rank(values: list) -> None:
    """`values` (numpy arrays) are identical, bit for bit, on every rank."""
    everyone = [None] * WORLD
    dist.all_gather_object(everyone, values)
    for other in everyone:
        for a, b in zip(values, other):
            assert np.array_equal(a, b), "ranks disagree"


def net(seed: int):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(),
                         nn.Linear(16, 3))


def data(n: int, seed: int = 0):
    g = np.random.default_rng(seed)
    return (torch.tensor(g.standard_normal((n, 6)).astype(np.float32)),
            torch.tensor(g.integers(0, 3, n)))


def shard(t, rank=RANK):
    per = t.shape[0] // WORLD
    return t[rank * per:(rank + 1) * per]


def attributes() -> None:
    """`module`, PyTorch's repr and state_dict keys, the flags, the errors at construction."""
    import warnings
    torch.manual_seed(0)
    inner = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ddp = DDP(inner, check_reduction=True, static_graph=True, gradient_as_bucket_view=True)
    assert [str(w.message) for w in caught] == [
        "The `check_reduction` argument in `DistributedDataParallel` module is deprecated. "
        "Please avoid using it."]
    assert ddp.module is inner
    assert repr(ddp) == ("DistributedDataParallel(\n  (module): Sequential(\n"
                         "    (0): Linear(in_features=3, out_features=2, bias=True)\n"
                         "    (1): BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                         "track_running_stats=True)\n  )\n)"), repr(ddp)
    assert list(ddp.state_dict()) == [
        "module.0.weight", "module.0.bias", "module.1.weight", "module.1.bias",
        "module.1.running_mean", "module.1.running_var", "module.1.num_batches_tracked"]
    assert (ddp.static_graph, ddp.gradient_as_bucket_view, ddp.broadcast_buffers,
            ddp.find_unused_parameters, ddp.device_ids, ddp.output_device, ddp.dim,
            ddp.bucket_bytes_cap) == (True, True, True, False, None, None, 0, 25 * 2 ** 20)
    try:
        DDP(nn.Linear(3, 2 + RANK))                   # a different model on every rank
    except RuntimeError as e:
        assert str(e).startswith("[Rank "), e
        assert "appears not to match sizes of the same param in process" in str(e), e
    else:
        raise AssertionError("no error")
    try:
        DDP(nn.ReLU())
    except RuntimeError as e:
        assert str(e) == ("DistributedDataParallel is not needed when a module doesn't have "
                          "any parameter that requires a gradient."), e
    else:
        raise AssertionError("no error")
    done("attributes")


def training() -> None:
    """Several SGD steps: every rank ends identical and equal to whole-batch training;
    the construction broadcast makes rank 0's initial weights everyone's."""
    model = net(seed=100 + RANK)              # a different start on every rank
    ddp = DDP(model, bucket_cap_mb=0.001)     # ~1 KB buckets: several, each its own reduce
    assert len(ddp.reducer.buckets) > 1
    reference = copy.deepcopy(model)          # rank 0's initial weights, after the broadcast
    assert all(np.array_equal(a, b) for a, b in zip(arrays(reference), arrays(net(100))))
    opt = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    ref_opt = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for step in range(5):
        x, y = data(8 * WORLD, seed=step)
        opt.zero_grad()
        loss_fn(ddp(shard(x)), shard(y)).backward()
        opt.step()
        ref_opt.zero_grad()
        loss_fn(reference(x), y).backward()
        ref_opt.step()
    for a, b in zip(arrays(model), arrays(reference)):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)
    same_on_every_rank(arrays(model))
    done("training")


def overlap() -> None:
    """The all-reduces start during backward, from the hooks: when the gradient reaches the
    first layer's output (layers 2 and 3 done, layer 1 still to come), the buckets of the
    later layers are already launched and the first layer's is not."""
    model = net(seed=1)
    ddp = DDP(model, bucket_cap_mb=0.0001)   # ~100 B: [b3] [b2 w3] [b1 w2] [w1]
    seen = []
    probe = lambda grad: seen.append([b.work is not None for b in ddp.reducer.buckets])  # noqa
    model[0].register_forward_hook(lambda mod, args, out: [out.register_hook(probe)] and None)
    x, y = data(4 * WORLD)
    nn.CrossEntropyLoss()(ddp(shard(x)), shard(y)).backward()
    assert seen == [[True, True, False, False]], seen
    assert all(b.work is None for b in ddp.reducer.buckets)   # all waited for at the end
    done("overlap")


def no_sync() -> None:
    """Two backward passes under no_sync and a synchronized third: the gradients are the
    single-process sums over the three batches (local sums until the third)."""
    model = net(seed=2)
    ddp = DDP(model)
    reference = copy.deepcopy(model)
    loss_fn = nn.CrossEntropyLoss()
    batches = [data(4 * WORLD, seed=10 + i) for i in range(3)]
    local = copy.deepcopy(model)
    with ddp.no_sync():
        for x, y in batches[:2]:
            loss_fn(ddp(shard(x)), shard(y)).backward()
            loss_fn(local(shard(x)), shard(y)).backward()
    for p, q in zip(model.parameters(), local.parameters()):   # still this rank's own
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-6)
    x, y = batches[2]
    loss_fn(ddp(shard(x)), shard(y)).backward()
    for x, y in batches:
        loss_fn(reference(x), y).backward()
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-5, rtol=0)
    same_on_every_rank([p.grad.numpy() for p in model.parameters()])
    done("no_sync")


def buffers() -> None:
    """Buffers come from rank 0: at construction, and before each forward (broadcast_buffers);
    with broadcast_buffers=False they stay each rank's own."""
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(6, 4), nn.BatchNorm1d(4), nn.Linear(4, 3))
    model[1].running_mean.fill_(float(RANK))          # rank-dependent buffers
    ddp = DDP(model)
    assert model[1].running_mean.tolist() == [0.0] * 4   # rank 0's, broadcast at construction
    x, y = data(4 * WORLD, seed=RANK)                 # different data on every rank
    nn.CrossEntropyLoss()(ddp(x), y).backward()
    stats = [model[1].running_mean.numpy().copy()]
    everyone = [None] * WORLD
    dist.all_gather_object(everyone, stats)
    assert not np.array_equal(everyone[0][0], everyone[1][0])   # each updated its own
    ddp.eval()
    with torch.no_grad():
        ddp(x)                                        # the forward broadcasts rank 0's first
    same_on_every_rank([model[1].running_mean.numpy(), model[1].running_var.numpy(),
                        model[1].num_batches_tracked.numpy()])
    if RANK == 0:
        np.testing.assert_array_equal(model[1].running_mean.numpy(), stats[0])

    torch.manual_seed(3)
    own = nn.Sequential(nn.Linear(6, 4), nn.BatchNorm1d(4))
    own[1].running_mean.fill_(float(RANK))
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        DDP(own, broadcast_buffers=False)
    assert [w.category for w in caught] == [FutureWarning]   # PyTorch 2.13 deprecates it
    assert own[1].running_mean.tolist() == [float(RANK)] * 4
    done("buffers")


class TwoHeads(nn.Module):
    """`a` always used; `b` used when asked; `c` never used."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 3)
        self.b = nn.Linear(6, 3)
        self.c = nn.Linear(6, 3)

    def forward(self, x, use_b: bool):
        out = self.a(x)
        return out + self.b(x) if use_b else out


def find_unused() -> None:
    """Parameters used on some ranks get the average with zeros from the others; unused on
    every rank keep `.grad` None; an output left out of the loss is no error either."""
    torch.manual_seed(4)
    model = TwoHeads()
    ddp = DDP(model, find_unused_parameters=True)
    reference = copy.deepcopy(model)
    x, y = data(4 * WORLD)
    use_b = lambda rank: rank == 0                    # noqa: E731
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(2):                                # twice: no error at the next forward
        for p in model.parameters():
            p.grad = None
        loss_fn(ddp(shard(x), use_b(RANK)), shard(y)).backward()
    for q in range(WORLD):                            # mean of the ranks' gradients
        loss_fn(reference(shard(x, q), use_b(q)), shard(y, q)).backward()
    for name, p in model.named_parameters():
        q = dict(reference.named_parameters())[name]
        if name.startswith("c."):
            assert p.grad is None and q.grad is None
        else:
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy() / WORLD, atol=1e-6)

    heads = nn.ModuleDict({"a": nn.Linear(6, 3), "b": nn.Linear(6, 3)})

    class Both(nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = heads

        def forward(self, x):
            return self.heads["a"](x), self.heads["b"](x)

    ddp2 = DDP(Both(), find_unused_parameters=True)
    for _ in range(2):
        first, _second = ddp2(shard(x))
        first.sum().backward()                        # b reachable, but not in the loss
    assert heads["b"].weight.grad is None and heads["a"].weight.grad is not None
    done("find_unused")


def unused_error() -> None:
    """Without find_unused_parameters, a parameter with no gradient is PyTorch's error at
    the next forward (with grad enabled), naming the parameter indices."""
    torch.manual_seed(5)
    model = TwoHeads()
    ddp = DDP(model)
    x, y = data(4 * WORLD)
    ddp(shard(x), True).sum().backward()              # c (indices 4 and 5) got nothing
    with torch.no_grad():
        ddp(shard(x), True)                           # no check without grad, as PyTorch
    try:
        ddp(shard(x), True)
    except RuntimeError as e:
        message = str(e)
    else:
        raise AssertionError("no error")
    assert message.startswith("Expected to have finished reduction in the prior iteration "
                              "before starting a new one."), message
    assert f"Parameter indices which did not receive grad for rank {RANK}: 4 5\n" in message
    done("unused_error")


def sync_batchnorm() -> None:
    """SyncBatchNorm over ranks holding 3 and 5 samples (2 ranks) is the batch norm of the
    8 together: outputs, running statistics, input gradients and (summed) parameter
    gradients equal one process's BatchNorm2d on the whole batch."""
    assert WORLD == 2
    g = np.random.default_rng(7)
    x_all = g.standard_normal((8, 3, 2, 2)).astype(np.float32) * 2 + 1
    c_all = g.standard_normal((8, 3, 2, 2)).astype(np.float32)
    rows = slice(0, 3) if RANK == 0 else slice(3, 8)
    sync = nn.SyncBatchNorm(3, momentum=0.3)
    plain = nn.BatchNorm2d(3, momentum=0.3)
    with torch.no_grad():
        for bn in (sync, plain):
            bn.weight.copy_(torch.tensor([1.5, -0.5, 2.0]))
            bn.bias.copy_(torch.tensor([0.1, 0.2, -0.3]))
    x = torch.tensor(x_all[rows], requires_grad=True)
    y = sync(x)
    (y * torch.tensor(c_all[rows])).sum().backward()
    x_ref = torch.tensor(x_all, requires_grad=True)
    y_ref = plain(x_ref)
    (y_ref * torch.tensor(c_all)).sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), y_ref.detach().numpy()[rows], atol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), x_ref.grad.numpy()[rows], atol=1e-5)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(getattr(sync, name).numpy(), getattr(plain, name).numpy(),
                                   atol=1e-6)
    for p, q in ((sync.weight, plain.weight), (sync.bias, plain.bias)):
        total = p.grad.clone()
        dist.all_reduce(total)                        # each rank's share of the gradient
        np.testing.assert_allclose(total.numpy(), q.grad.numpy(), atol=1e-5)
    sync.eval()                                       # eval: the running statistics
    np.testing.assert_allclose(sync(x).detach().numpy(), plain.eval()(x_ref).detach()
                               .numpy()[rows], atol=1e-5)
    done("sync_batchnorm")


def sync_batchnorm_ddp() -> None:
    """A CNN with SyncBatchNorm trained by DDP on equal shards equals one process's
    BatchNorm2d training on the whole batch: parameters and running statistics."""
    torch.manual_seed(8)
    model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    reference = copy.deepcopy(model)
    ddp = DDP(nn.SyncBatchNorm.convert_sync_batchnorm(model))
    opt = torch.optim.SGD(ddp.parameters(), lr=0.1)
    ref_opt = torch.optim.SGD(reference.parameters(), lr=0.1)
    g = np.random.default_rng(9)
    for _ in range(3):
        x = torch.tensor(g.standard_normal((4 * WORLD, 2, 4, 4)).astype(np.float32))
        y = torch.tensor(g.integers(0, 3, 4 * WORLD))
        opt.zero_grad()
        nn.functional.cross_entropy(ddp(shard(x)), shard(y)).backward()
        opt.step()
        ref_opt.zero_grad()
        nn.functional.cross_entropy(reference(x), y).backward()
        ref_opt.step()
    for a, b in zip(model.state_dict().values(), reference.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5)
    same_on_every_rank([t.numpy() for t in model.state_dict().values()])
    done("sync_batchnorm_ddp")


if __name__ == "__main__":
    for case in sys.argv[1:]:   # one job runs several cases: one start-up for all
        globals()[case]()
    dist.destroy_process_group()
