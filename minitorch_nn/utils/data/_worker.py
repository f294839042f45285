"""What runs inside a DataLoader worker process (`torch.utils.data._utils.worker`).

Each worker gets its own copy of the dataset, seeds the random generators (ours, Python's
`random` and NumPy's legacy global one) from the loader's base seed and its id, runs
`worker_init_fn(worker_id)`, then loops: take `(task_idx, indices)` from its index queue,
fetch and collate the batch, put `(task_idx, batch)` on the shared result queue. Errors
travel back as an `ExceptionWrapper` holding the worker's traceback text, re-raised in the
main process as PyTorch does.
"""
from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from typing import Any

from ._fetch import create_fetcher
from ._result_queue import ResultQueue

__all__ = ["WorkerInfo", "get_worker_info"]

MP_STATUS_CHECK_INTERVAL = 5.0   # how long the main process waits between liveness checks
# An idle worker also checks `done_event` this often. The main process asks a worker to exit
# by putting None on its index queue, but when the iterator is freed by the garbage
# collector the queue's feeder thread may already have been closed by its finalizer, so the
# None is never sent; the event still reaches the worker.
_DONE_CHECK_INTERVAL = 0.1


@dataclass(frozen=True)
class WorkerInfo:
    """About the current DataLoader worker: `id`, `num_workers`, `seed` (the seed its
    generators got) and `dataset` (this process's copy)."""

    id: int
    num_workers: int
    seed: int
    dataset: Any
    rng: Any = None
    worker_method: str | None = "multiprocessing"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The `WorkerInfo` of this DataLoader worker process; None in the main process.

    An IterableDataset can use it in `__iter__` to read only its share of the data (see
    docs/data.md), and a `worker_init_fn` to configure each worker's copy of the dataset.
    """
    return _worker_info


class KeyErrorMessage(str):
    """A str that is its own repr: KeyError shows its argument's repr, not the text."""

    __slots__ = ()

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception's type and formatted traceback, sent from a worker to be re-raised."""

    def __init__(self, exc_info=None, where: str = "in background") -> None:
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        """Raise the exception again, its message carrying the original traceback."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        try:
            raise exception
        finally:
            del exception   # no frame <-> traceback cycle keeping the iterator (and workers)

    def __reduce__(self):
        """Pickle the type by reference when it can be; a type defined where the main
        process cannot import it (a local class) travels as RuntimeError."""
        import pickle
        exc_type = self.exc_type
        try:
            pickle.dumps(exc_type)
        except Exception:
            exc_type = RuntimeError
        return (_rebuild_wrapper, (exc_type, self.exc_msg, self.where))


def _rebuild_wrapper(exc_type, exc_msg, where) -> ExceptionWrapper:
    wrapper = ExceptionWrapper.__new__(ExceptionWrapper)
    wrapper.exc_type, wrapper.exc_msg, wrapper.where = exc_type, exc_msg, where
    return wrapper


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """A worker's iterable dataset is exhausted."""
    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Persistent workers: start a new epoch (new fetcher over the dataset)."""
    seed: int | None = None


def _generate_state(base_seed: int, worker_id: int) -> list[int]:
    """NumPy's seed for a worker: PyTorch's SeedSequence-style mix of (worker_id, base_seed)
    into four 32-bit words, so NumPy draws in our workers equal those in PyTorch's."""
    init_a, mult_a, init_b, mult_b = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
    mix_mult_l, mix_mult_r, xshift, mask32 = 0xCA01F9DD, 0x4973F715, 16, 0xFFFFFFFF
    entropy = [worker_id, base_seed & mask32, base_seed >> 32, 0]
    hash_const_a = init_a

    def hash_(value):
        nonlocal hash_const_a
        value = (value ^ hash_const_a) & mask32
        hash_const_a = (hash_const_a * mult_a) & mask32
        value = (value * hash_const_a) & mask32
        return (value ^ (value >> xshift)) & mask32

    def mix(x, y):
        result = ((mix_mult_l * x) & mask32) - ((mix_mult_r * y) & mask32)
        result &= mask32
        return (result ^ (result >> xshift)) & mask32

    pool = [hash_(e) for e in entropy]
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hash_(pool[i_src]))
    hash_const_b, state = init_b, []
    for value in pool:
        value = (value ^ hash_const_b) & mask32
        hash_const_b = (hash_const_b * mult_b) & mask32
        value = (value * hash_const_b) & mask32
        state.append((value ^ (value >> xshift)) & mask32)
    return state


def _seed_worker(base_seed: int, worker_id: int) -> int:
    """Seed this process's generators as PyTorch's workers do; one compute thread."""
    import numpy as np
    from ... import random as mt_random
    seed = base_seed + worker_id
    random.seed(seed)
    mt_random.manual_seed(seed)
    np.random.seed(_generate_state(base_seed, worker_id))
    if "numba" in sys.modules:
        from ...settings import set_num_threads
        set_num_threads(1)
    else:
        os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    return seed


class _ParentWatchdog:
    """Is the process that started this worker still alive? (a worker never outlives it)"""

    def __init__(self) -> None:
        import multiprocessing
        self._parent = multiprocessing.parent_process()
        self._ppid = os.getppid()

    def is_alive(self) -> bool:
        if self._parent is not None:
            return self._parent.is_alive()
        return os.getppid() == self._ppid


def worker_loop(dataset_kind: str, dataset, index_queue, result_queue: ResultQueue,
                done_event, auto_collation: bool, collate_fn, drop_last: bool,
                base_seed: int, init_fn, worker_id: int, num_workers: int) -> None:
    """The body of worker process `worker_id` (see the module docstring)."""
    global _worker_info
    try:
        result_queue.close_reader()
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        def new_fetcher():
            return create_fetcher(dataset_kind, dataset, auto_collation, collate_fn, drop_last)

        fetcher, init_exception = _start(new_fetcher, init_fn, worker_id)
        iteration_end = False
        watchdog = _ParentWatchdog()
        while watchdog.is_alive():
            try:
                r = index_queue.get(timeout=_DONE_CHECK_INTERVAL)
            except queue.Empty:
                if done_event.is_set():
                    break   # shutting down (the final None may never come: see above)
                continue
            if isinstance(r, _ResumeIteration):
                result_queue.put((r, None))
                iteration_end = False
                fetcher, init_exception = _start(new_fetcher, None, worker_id)
                continue
            if r is None:   # the main process asks this worker to exit
                break
            if done_event.is_set() or iteration_end:
                continue
            idx, index = r
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                data, iteration_end = _fetch(fetcher, index, dataset_kind, worker_id)
            _send(result_queue, idx, data, worker_id)
            del data, idx, index, r
    except (KeyboardInterrupt, BrokenPipeError):
        pass   # interrupted, or the main process is gone


def _start(new_fetcher, init_fn, worker_id: int):
    """(fetcher, None) after `init_fn(worker_id)`, or (None, the wrapped error) if either
    fails: the error is then the answer to the worker's next task."""
    try:
        if init_fn is not None:
            init_fn(worker_id)
        return new_fetcher(), None
    except Exception:
        return None, ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")


def _fetch(fetcher, index, dataset_kind: str, worker_id: int):
    """(batch or the wrapped error or the end marker, whether the dataset is exhausted)."""
    try:
        return fetcher.fetch(index), False
    except StopIteration:
        if dataset_kind == "iterable":
            return _IterableDatasetStopIteration(worker_id), True
        return ExceptionWrapper(where=f"in DataLoader worker process {worker_id}"), False
    except Exception:
        return ExceptionWrapper(where=f"in DataLoader worker process {worker_id}"), False


def _send(result_queue: ResultQueue, idx: int, data, worker_id: int) -> None:
    """Put a result on the queue; a batch that cannot be pickled becomes its error."""
    try:
        result_queue.put((idx, data))
    except Exception:
        result_queue.put((idx, ExceptionWrapper(
            where=f"in DataLoader worker process {worker_id}")))
