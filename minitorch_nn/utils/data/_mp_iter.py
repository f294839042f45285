"""num_workers > 0: an epoch served by worker processes (PyTorch's design).

Each worker has its own index queue; all share one result queue. The main process keeps
`prefetch_factor * num_workers` tasks outstanding, sending task i to the workers in turn,
and hands batches out in task order (`in_order=True`) whatever order they arrive in:
early arrivals wait in `_task_info`. An iterable dataset's worker that runs dry reports it
and gets no more tasks. Workers stop when the epoch ends (unless `persistent_workers`, when
the next epoch sends each a `_ResumeIteration`), when the iterator is deleted, or on error;
a worker that dies raises RuntimeError here, and `timeout` bounds each wait for a batch.
"""
from __future__ import annotations

import atexit
import itertools
import multiprocessing
import os
import queue
import time
from multiprocessing.connection import wait as _wait

from . import _worker
from ._iterators import BaseLoaderIter
from ._result_queue import ResultQueue, WorkerDied

__all__ = ["MultiProcessingLoaderIter"]

_STATUS_INTERVAL = _worker.MP_STATUS_CHECK_INTERVAL
_python_exiting = False


def _set_python_exiting() -> None:
    """At interpreter exit, multiprocessing terminates the (daemonic) workers itself."""
    global _python_exiting
    _python_exiting = True


atexit.register(_set_python_exiting)


class MultiProcessingLoaderIter(BaseLoaderIter):
    """An epoch (or, with persistent workers, every epoch) of a multi-process DataLoader."""

    def __init__(self, loader) -> None:
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        if self._prefetch_factor <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for "
                                 "MultiProcessingDataLoaderIter")
        ctx = loader.multiprocessing_context or multiprocessing.get_context()
        self._shutdown = False
        self._owner_pid = os.getpid()
        self._data_queue = ResultQueue(ctx)
        self._workers_done_event = ctx.Event()
        self._index_queues: list = []
        self._workers_status = [True] * self._num_workers
        self._workers: list = []
        try:
            for worker_id in range(self._num_workers):
                self._start_worker(ctx, loader, worker_id)
        except BaseException:
            self._shutdown_workers()
            raise
        self._reset(loader, first_iter=True)

    def _start_worker(self, ctx, loader, worker_id: int) -> None:
        index_queue = ctx.Queue()
        index_queue.cancel_join_thread()
        w = ctx.Process(target=_worker.worker_loop, daemon=True, args=(
            self._dataset_kind, self._dataset, index_queue, self._data_queue,
            self._workers_done_event, self._auto_collation, self._collate_fn,
            self._drop_last, self._base_seed, loader.worker_init_fn, worker_id,
            self._num_workers))
        w.start()
        self._index_queues.append(index_queue)
        self._workers.append(w)

    # ------------------------------------------------------------------ epochs
    def _reset(self, loader, first_iter: bool = False) -> None:
        super()._reset(loader, first_iter)
        self._send_idx = 0        # the next task to send to a worker
        self._rcvd_idx = 0        # the next task to hand out from __next__
        self._task_info: dict = {}    # task -> (worker,) pending, or (worker, data) arrived
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._workers_num_tasks = [0] * self._num_workers
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:        # persistent workers: a new epoch for each
            for index_queue in self._index_queues:
                index_queue.put(_worker._ResumeIteration())
            waiting = self._num_workers
            while waiting > 0:
                return_idx, _ = self._get_data()
                if isinstance(return_idx, _worker._ResumeIteration):
                    waiting -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _next_data(self):
        while True:
            while self._rcvd_idx < self._send_idx:   # skip tasks of exhausted workers
                info = self._task_info.get(self._rcvd_idx)
                if info:
                    worker_id = info[0]
                    if len(info) == 2 or self._workers_status[worker_id]:
                        break
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:   # arrived earlier
                worker_id, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)
            idx, data = self._get_data()
            self._tasks_outstanding -= 1
            if self._dataset_kind == "iterable" and \
                    isinstance(data, _worker._IterableDatasetStopIteration):
                if self._persistent_workers:
                    self._workers_status[data.worker_id] = False
                else:
                    self._mark_worker_as_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                if not self._in_order:
                    return self._process_data(data, self._task_info.pop(idx)[0])
                self._task_info[idx] += (data,)
            else:
                worker_id = self._task_info.pop(idx)[0]
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

    def _try_put_index(self) -> None:
        max_tasks = self._prefetch_factor * self._num_workers
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):   # the next active worker, if any
            worker_queue_idx = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_queue_idx]:
                if self._in_order or self._workers_num_tasks[worker_queue_idx] < \
                        max_tasks // sum(self._workers_status):
                    break
        else:
            return
        self._index_queues[worker_queue_idx].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_queue_idx,)
        self._workers_num_tasks[worker_queue_idx] += 1
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _process_data(self, data, worker_idx: int):
        self._workers_num_tasks[worker_idx] -= 1
        self._try_put_index()
        if isinstance(data, _worker.ExceptionWrapper):
            data.reraise()
        return data

    # ------------------------------------------------------------------ waiting
    def _get_data(self):
        if self._timeout > 0:
            success, data = self._try_get_data(self._timeout)
            if success:
                return data
            raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
        while True:
            success, data = self._try_get_data(_STATUS_INTERVAL)
            if success:
                return data

    def _try_get_data(self, timeout: float):
        """(True, item), or (False, None) after `timeout` seconds; RuntimeError if a worker
        died. The wait also wakes when a live worker exits, so a crash is seen at once."""
        deadline = time.monotonic() + timeout
        while True:
            live = [w.sentinel for i, w in enumerate(self._workers) if self._workers_status[i]]
            try:
                return True, self._data_queue.get(max(deadline - time.monotonic(), 0), live)
            except (queue.Empty, WorkerDied) as e:
                failed = self._failed_workers(live)
                if failed:
                    pids = ", ".join(str(w.pid) for w in failed)
                    raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited "
                                       "unexpectedly") from e
                if time.monotonic() >= deadline:
                    return False, None

    def _failed_workers(self, live_sentinels) -> list:
        """Active workers that have exited (marked unavailable)."""
        exited = set(_wait(live_sentinels, 0)) if live_sentinels else set()
        failed = []
        for worker_id, w in enumerate(self._workers):
            if self._workers_status[worker_id] and w.sentinel in exited:
                w.join(timeout=1.0)
                failed.append(w)
                self._mark_worker_as_unavailable(worker_id)
        return failed

    # ------------------------------------------------------------------ shutdown
    def _mark_worker_as_unavailable(self, worker_id: int, shutdown: bool = False) -> None:
        """Tell worker `worker_id` to exit (it gets no more tasks)."""
        self._index_queues[worker_id].put(None)
        self._workers_status[worker_id] = False

    def _shutdown_workers(self) -> None:
        """Stop every worker and wait for it (draining the result pipe meanwhile, so a
        worker blocked writing a batch can finish); terminate any that hang."""
        if _python_exiting or self._shutdown or os.getpid() != self._owner_pid:
            return   # (a forked child holding a copy of this iterator must not touch it)
        self._shutdown = True
        try:
            self._workers_done_event.set()
            for worker_id in range(len(self._workers)):
                if self._persistent_workers or self._workers_status[worker_id]:
                    self._mark_worker_as_unavailable(worker_id, shutdown=True)
            self._join_workers(time.monotonic() + _STATUS_INTERVAL)
            for index_queue in self._index_queues:
                index_queue.cancel_join_thread()
                index_queue.close()
        finally:
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=_STATUS_INTERVAL)
            self._data_queue.close()

    def _join_workers(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            self._data_queue.drain()
            alive = [w for w in self._workers if w.is_alive()]
            if not alive:
                return
            _wait([w.sentinel for w in alive], 0.05)

    def __del__(self) -> None:
        if getattr(self, "_workers", None) is not None:
            self._shutdown_workers()
