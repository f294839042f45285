"""DataLoader with worker processes: batches and their order, worker info and seeding,
errors re-raised from workers, timeouts, persistent workers, start methods, shutdown.

Every loader here has a `timeout`, so a broken worker fails the test instead of hanging it.
"""
from __future__ import annotations

import collections
import multiprocessing
import os
import random
import re
import time
import traceback
import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.utils import data as mdata
from minitorch_nn.utils.data import _worker

torch = pytest.importorskip("torch")
tdata = torch.utils.data

TIMEOUT = 30


def loader(ds, **kwargs):
    kwargs.setdefault("num_workers", 2)
    kwargs.setdefault("timeout", TIMEOUT)
    return mdata.DataLoader(ds, **kwargs)


def py(batch):
    if isinstance(batch, (mt.Tensor, torch.Tensor)):
        return (str(batch.dtype).replace("torch.", ""), batch.tolist())
    if isinstance(batch, dict):
        return {k: py(v) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return [py(v) for v in batch]
    return batch


def no_children_left():
    """True once every worker process has been reaped (waits a little for exits)."""
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.02)
    return not multiprocessing.active_children()


# ---------------------------------------------------------------------- datasets
class Samples(mdata.Dataset):
    """Dict samples with a NumPy array, an int and a string."""

    def __init__(self, n=9):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": np.full((2, 3), i, np.float32), "y": i, "name": f"s{i}"}


class WhoLoads(mdata.Dataset):
    """Each sample says which process and worker loaded it, and what it drew."""

    tag = "main"

    def __len__(self):
        return 6

    def __getitem__(self, i):
        info = mdata.get_worker_info()
        return {"i": i, "pid": os.getpid(), "id": info.id, "num_workers": info.num_workers,
                "seed": info.seed, "tag": self.tag, "same": info.dataset is self,
                "py": random.random(), "np": float(np.random.rand()),
                "mt": float(mt.rand(1).item())}


def tag_worker(worker_id):
    mdata.get_worker_info().dataset.tag = f"w{worker_id}"


class Failing(mdata.Dataset):
    def __init__(self, exc):
        self.exc = exc

    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 3:
            raise self.exc
        return i


class Range(mdata.IterableDataset):
    """range(n); with `shard`, each worker yields every num_workers-th item."""

    def __init__(self, n, shard=True):
        self.n, self.shard = n, shard

    def __iter__(self):
        info = mdata.get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


class TorchRange(tdata.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = tdata.get_worker_info()
        return iter(range(info.id, self.n, info.num_workers))


class Slow(mdata.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            time.sleep(1.0)
        return i


class Dies(mdata.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            os._exit(3)
        return i


class Pid(mdata.Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return os.getpid()


# ---------------------------------------------------------------------- batches and order
def test_workers_give_the_in_process_batches_in_order():
    ds = Samples(9)
    plain = [py(b) for b in mdata.DataLoader(ds, batch_size=2)]
    assert [py(b) for b in loader(ds, batch_size=2)] == plain
    assert [py(b) for b in loader(ds, batch_size=2, prefetch_factor=1)] == plain
    assert no_children_left()


def test_shuffled_order_with_workers_equals_in_process_order_for_the_same_generator():
    ds = mdata.TensorDataset(mt.arange(10))
    in_process = [b[0].tolist() for b in mdata.DataLoader(
        ds, batch_size=3, shuffle=True, generator=mt.Generator().manual_seed(5))]
    workers = [b[0].tolist() for b in loader(
        ds, batch_size=3, shuffle=True, generator=mt.Generator().manual_seed(5))]
    assert workers == in_process
    assert sorted(sum(workers, [])) == list(range(10))


def test_batch_size_none_and_custom_collate_in_workers():
    ds = Samples(3)
    got = [py(b) for b in loader(ds, batch_size=None)]
    assert got == [py(mdata.default_convert(ds[i])) for i in range(3)]
    names = list(loader(ds, batch_size=2, collate_fn=collate_names))
    assert names == [["s0", "s1"], ["s2"]]


def collate_names(batch):
    return [s["name"] for s in batch]


def test_out_of_order_delivery_gives_every_batch():
    got = [b.tolist() for b in loader(range(10), batch_size=2, in_order=False)]
    assert sorted(got) == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]


def test_large_batches_cross_the_process_boundary_intact_and_writable():
    x = mt.arange(2 * 64 * 64 * 8, dtype=mt.float64).reshape(2, 64, 64, 8)
    ds = mdata.TensorDataset(x.transpose(1, 3), mt.arange(2).to(mt.int16))   # non-contiguous
    (xb, yb), = list(loader(ds, batch_size=2))
    np.testing.assert_array_equal(xb.numpy(), x.transpose(1, 3).numpy())
    assert xb.dtype is mt.float64 and yb.dtype is mt.int16 and yb.tolist() == [0, 1]
    xb.add_(1)                                       # the received memory is writable
    assert xb[0, 0, 0, 0].item() == 1.0


def test_prefetch_keeps_prefetch_factor_batches_per_worker_in_flight():
    it = iter(loader(range(20), batch_size=1, prefetch_factor=3))
    assert it._send_idx == 6                          # 3 tasks for each of 2 workers
    next(it)
    assert it._send_idx == 7 and it._tasks_outstanding <= 6
    del it
    assert no_children_left()


# ---------------------------------------------------------------------- worker info and seeds
def test_worker_info_init_fn_and_seeds_follow_pytorch():
    g = mt.Generator().manual_seed(11)
    samples = list(loader(WhoLoads(), batch_size=None, worker_init_fn=tag_worker, generator=g))
    base_seed = int(mt.empty((), dtype=mt.int64).random_(
        generator=mt.Generator().manual_seed(11)).item())
    assert mdata.get_worker_info() is None
    assert WhoLoads.tag == "main"                     # the main copy is untouched
    assert {s["pid"] for s in samples}.isdisjoint({os.getpid()})
    assert len({s["pid"] for s in samples}) == 2
    by_worker = collections.defaultdict(list)
    for s in samples:
        assert s["id"] == s["i"] % 2 and s["num_workers"] == 2 and s["same"]
        assert s["tag"] == f"w{s['id']}" and s["seed"] == base_seed + s["id"]
        by_worker[s["id"]].append(s)
    for worker_id, rows in by_worker.items():        # the draws each worker's seeding gives
        seed = base_seed + worker_id
        py_rng = random.Random(seed)
        np_rng = np.random.RandomState(_worker._generate_state(base_seed, worker_id))
        mt_gen = mt.Generator().manual_seed(seed)
        for s in rows:
            assert s["py"] == py_rng.random() and s["np"] == np_rng.rand()
            assert s["mt"] == mt.rand(1, generator=mt_gen).item()


@pytest.mark.parametrize("base_seed", [0, 1, 2 ** 32 - 1, 2 ** 32, 123456789012345678,
                                       2 ** 63 - 1])
@pytest.mark.parametrize("worker_id", [0, 1, 7])
def test_numpy_worker_seed_equals_pytorchs(base_seed, worker_id):
    from torch.utils.data._utils.worker import _generate_state
    assert _worker._generate_state(base_seed, worker_id) == \
        _generate_state(base_seed, worker_id)


def test_each_epoch_reseeds_the_workers():
    first = {s["id"]: s["seed"] for s in loader(WhoLoads(), batch_size=None)}
    second = {s["id"]: s["seed"] for s in loader(WhoLoads(), batch_size=None)}
    assert first != second and first[1] == first[0] + 1


# ---------------------------------------------------------------------- iterable datasets
@pytest.mark.parametrize("batch_size,drop_last", [(None, False), (2, False), (2, True)])
def test_iterable_dataset_sharding_matches_pytorch(batch_size, drop_last):
    ours = [py(b) for b in loader(Range(9), batch_size=batch_size, drop_last=drop_last)]
    theirs = [py(b) for b in tdata.DataLoader(TorchRange(9), batch_size=batch_size,
                                              drop_last=drop_last, num_workers=2,
                                              timeout=TIMEOUT)]
    assert ours == theirs


def test_iterable_dataset_without_sharding_is_read_once_per_worker():
    got = sorted(loader(Range(4, shard=False), batch_size=None))
    assert got == [0, 0, 1, 1, 2, 2, 3, 3]


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize("exc", [KeyError("missing"), ValueError("bad sample"),
                                 ZeroDivisionError("zero")])
def test_worker_exceptions_are_reraised_with_the_worker_traceback(exc):
    with pytest.raises(type(exc)) as ours:
        list(loader(Failing(exc), batch_size=2))
    text = str(ours.value)
    del ours                       # frees the iterator: its workers exit, no gc needed
    assert no_children_left()
    with pytest.raises(type(exc)) as theirs:
        list(tdata.DataLoader(TorchFailing(exc), batch_size=2, num_workers=2,
                              timeout=TIMEOUT))
    their_text = str(theirs.value)
    traceback.clear_frames(theirs.tb)   # (PyTorch's reraise leaves a reference cycle)
    del theirs
    first = "Caught {} in DataLoader worker process 1.".format(type(exc).__name__)
    assert text.splitlines()[0].strip("'") == first
    assert their_text.splitlines()[0].strip("'") == first
    assert "Original Traceback (most recent call last):" in text
    assert "raise self.exc" in text and str(exc.args[0]) in text.splitlines()[-1]


class TorchFailing(tdata.Dataset):
    def __init__(self, exc):
        self.exc = exc

    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 3:
            raise self.exc
        return i


def test_an_error_in_one_batch_leaves_the_epoch_going():
    it = iter(loader(Failing(ValueError("x")), batch_size=2))
    assert next(it).tolist() == [0, 1]
    with pytest.raises(ValueError, match="in DataLoader worker process 1"):
        next(it)
    assert next(it).tolist() == [4, 5]


def failing_init(worker_id):
    raise RuntimeError(f"init failed in {worker_id}")


def test_worker_init_fn_errors_are_reraised():
    with pytest.raises(RuntimeError, match=r"(?s)Caught RuntimeError in DataLoader worker "
                                           r"process 0\..*init failed in 0"):
        list(loader(range(4), batch_size=2, worker_init_fn=failing_init))


class BadStream(mdata.IterableDataset):
    def __iter__(self):
        raise ValueError("cannot open the stream")


def test_an_iterable_dataset_failing_to_start_is_reported_from_the_worker():
    with pytest.raises(ValueError, match=r"(?s)Caught ValueError in DataLoader worker "
                                         r"process 0\..*cannot open the stream"):
        list(loader(BadStream(), batch_size=2))


class Unpicklable(mdata.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        return (lambda: i)


def test_a_batch_that_cannot_be_pickled_raises_instead_of_hanging():
    with pytest.raises(Exception, match="in DataLoader worker process 0"):
        list(loader(Unpicklable(), batch_size=None, collate_fn=lambda b: b))


def test_timeout_raises_pytorchs_error():
    with pytest.raises(RuntimeError, match=re.escape("DataLoader timed out after 0.2 "
                                                     "seconds")):
        list(loader(Slow(), batch_size=1, timeout=0.2))
    assert no_children_left()


def test_a_dead_worker_raises_pytorchs_error_at_once():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited "
                                           r"unexpectedly"):
        list(loader(Dies(), batch_size=1))
    assert time.monotonic() - start < 5
    assert no_children_left()


def test_the_iterator_cannot_be_pickled():
    import pickle
    it = iter(loader(range(4)))
    with pytest.raises(NotImplementedError):
        pickle.dumps(it)


# ---------------------------------------------------------------------- lifetime
def test_workers_exit_at_the_end_of_an_epoch_and_when_the_iterator_is_dropped():
    list(loader(range(6), batch_size=2))
    assert no_children_left()
    it = iter(loader(range(100), batch_size=2))
    next(it)
    assert len(multiprocessing.active_children()) == 2
    del it
    assert no_children_left()


def test_persistent_workers_serve_every_epoch_then_exit_with_the_loader():
    dl = loader(Pid(), batch_size=None, persistent_workers=True)
    first, second = list(dl), list(dl)
    assert set(first) == set(second) and len(set(first)) == 2
    it = iter(dl)
    next(it)
    assert list(dl) == first                          # an abandoned epoch is discarded
    del dl, it
    assert no_children_left()
    fresh = loader(Pid(), batch_size=None)
    assert set(list(fresh)).isdisjoint(list(fresh))   # new workers each epoch


def test_persistent_workers_restart_an_iterable_dataset_each_epoch():
    dl = loader(Range(5), batch_size=2, persistent_workers=True)
    assert [b.tolist() for b in dl] == [b.tolist() for b in dl] == [[0, 2], [1, 3], [4]]


# ---------------------------------------------------------------------- options
def test_pin_memory_is_accepted_with_pytorchs_warning_and_changes_nothing():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        batches = [b.tolist() for b in loader(range(4), batch_size=2, pin_memory=True)]
    assert batches == [[0, 1], [2, 3]]
    messages = [str(w.message) for w in caught]
    if mt.cuda.is_available():                # (a GPU, or the fake one of --fake-gpu)
        assert messages == []
    else:
        assert messages == ["'pin_memory' argument is set as true but no accelerator is "
                            "found, then device pinned memory won't be used."]


def test_multiprocessing_context_arguments_match_pytorch():
    for T in (mt, torch):
        D = T.utils.data
        with pytest.raises(ValueError, match="multiprocessing_context can only be used with "
                                             "multi-process loading"):
            D.DataLoader(range(3), multiprocessing_context="fork")
        with pytest.raises(ValueError, match=re.escape(
                "multiprocessing_context option should specify a valid start method in "
                f"{multiprocessing.get_all_start_methods()!r}, but got "
                "multiprocessing_context='thread'")):
            D.DataLoader(range(3), num_workers=1, multiprocessing_context="thread")
        with pytest.raises(TypeError, match="should be a valid context object"):
            D.DataLoader(range(3), num_workers=1, multiprocessing_context=3)
    ctx = multiprocessing.get_context("fork")
    dl = loader(range(4), batch_size=2, multiprocessing_context=ctx)
    assert dl.multiprocessing_context is ctx and [b.tolist() for b in dl] == [[0, 1], [2, 3]]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_spawn_and_forkserver_workers(method):
    ds = mdata.TensorDataset(mt.arange(6.0).reshape(3, 2))
    dl = loader(ds, batch_size=2, multiprocessing_context=method)
    assert dl.multiprocessing_context.get_start_method() == method
    assert [b[0].tolist() for b in dl] == [[[0.0, 1.0], [2.0, 3.0]], [[4.0, 5.0]]]
    assert sorted(loader(Range(5), batch_size=None, multiprocessing_context=method)) == \
        [0, 1, 2, 3, 4]
    assert no_children_left()


def test_too_many_workers_warns_like_pytorch():
    n = len(os.sched_getaffinity(0)) + 1
    for T in (mt, torch):
        with pytest.warns(UserWarning, match=f"This DataLoader will create {n} worker "
                                             "processes in total"):
            T.utils.data.DataLoader(range(3), num_workers=n)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mdata.DataLoader(range(3), num_workers=1)
