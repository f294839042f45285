"""The queue DataLoader workers put their batches on: many writers, one reader, one pipe.

A batch is pickled with protocol 5 and its large buffers (tensor and NumPy array data) go
out of band: the worker writes them to the pipe straight from the arrays' memory, and the
main process reads each into a fresh bytearray that becomes the new array's memory. So a
batch is copied through the pipe but never serialised into an intermediate bytes object, as
`multiprocessing.Queue` (pickle protocol 4) would on both sides.

Messages of one item are written under a lock, so items from different workers never
interleave. `put` blocks while the pipe is full: a worker runs at most `prefetch_factor`
batches ahead, and the main process reads them (and drains the pipe at shutdown).
"""
from __future__ import annotations

import copyreg
import io
import os
import pickle
import queue
import struct
from multiprocessing import context as _mp_context
from multiprocessing.connection import wait as _wait
from multiprocessing.reduction import ForkingPickler

__all__ = ["ResultQueue", "WorkerDied"]

_IN_BAND_LIMIT = 16 * 1024     # smaller buffers are cheaper inside the pickle stream
_STATUS_INTERVAL = 5.0
_PIPE_SIZE = 1 << 20


def _dispatch_table() -> dict:
    """copyreg's reducers plus multiprocessing's (connections, sockets, ...), as in
    ForkingPickler, whose constructor does not take `buffer_callback`."""
    table = copyreg.dispatch_table.copy()
    table.update(ForkingPickler._extra_reducers)
    return table


def _grow_pipe(fd: int) -> None:
    """Ask Linux for a 1 MiB pipe buffer (fewer wake-ups per batch); harmless if refused."""
    try:
        import fcntl
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    except (ImportError, AttributeError, OSError):
        pass


def _read_exactly(fd: int, n: int) -> bytes:
    parts, left = [], n
    while left:
        chunk = os.read(fd, left)
        if not chunk:
            raise EOFError
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


class WorkerDied(Exception):
    """A worker process exited while the main process waited on the queue."""


class ResultQueue:
    """put(obj) from any worker, get(timeout, sentinels) in the main process."""

    def __init__(self, ctx) -> None:
        self._reader, self._writer = ctx.Pipe(duplex=False)
        self._wlock = ctx.Lock()
        _grow_pipe(self._writer.fileno())

    def __getstate__(self):
        _mp_context.assert_spawning(self)
        return self._reader, self._writer, self._wlock

    def __setstate__(self, state) -> None:
        self._reader, self._writer, self._wlock = state

    # ------------------------------------------------------------------ writer side
    def put(self, obj) -> None:
        """Send `obj`; raises (sending nothing) if it cannot be pickled."""
        buffers: list = []

        def out_of_band(buf: pickle.PickleBuffer) -> bool:
            if buf.raw().nbytes < _IN_BAND_LIMIT:
                return True            # keep it in the pickle stream
            buffers.append(buf.raw())
            return False

        stream = io.BytesIO()
        pickler = pickle.Pickler(stream, 5, buffer_callback=out_of_band)
        pickler.dispatch_table = _dispatch_table()
        pickler.dump(obj)
        sizes = struct.pack(f"<{len(buffers)}Q", *(b.nbytes for b in buffers))
        with self._wlock:
            self._writer.send_bytes(sizes)
            self._writer.send_bytes(stream.getbuffer())
            for buf in buffers:
                self._writer.send_bytes(buf)

    # ------------------------------------------------------------------ reader side
    def get(self, timeout: float, sentinels=()):
        """The next item; queue.Empty after `timeout` seconds, or as soon as one of the
        `sentinels` (live workers' process sentinels) fires with nothing to read."""
        ready = _wait([self._reader, *sentinels], timeout)
        if self._reader not in ready:
            raise queue.Empty
        sizes = self._reader.recv_bytes()
        self._wait_part(sentinels)
        head = self._reader.recv_bytes()
        buffers = []
        for (size,) in struct.iter_unpack("<Q", sizes):
            buf = bytearray(size)
            self._wait_part(sentinels)
            self._recv_into(buf)
            buffers.append(buf)
        return pickle.loads(head, buffers=buffers)

    def _recv_into(self, buf: bytearray) -> None:
        """`recv_bytes_into(buf)` reading the pipe straight into `buf` (Connection's own
        reads through a temporary bytes object per chunk plus a BytesIO, a 2-3x slowdown for
        large batches). Same framing: a big-endian int32 size, or -1 then a uint64 size."""
        fd = self._reader.fileno()
        (size,) = struct.unpack("!i", _read_exactly(fd, 4))
        if size == -1:
            (size,) = struct.unpack("!Q", _read_exactly(fd, 8))
        if size != len(buf):
            raise RuntimeError(f"DataLoader result queue: expected {len(buf)} bytes, "
                               f"got a message of {size}")
        view, done = memoryview(buf), 0
        while done < size:
            n = os.readv(fd, [view[done:]])
            if n == 0:
                raise EOFError
            done += n

    def _wait_part(self, sentinels) -> None:
        """Wait for the rest of an item; a writer that died half-way raises WorkerDied."""
        while True:
            ready = _wait([self._reader, *sentinels], _STATUS_INTERVAL)
            if self._reader in ready:
                return
            if ready:
                raise WorkerDied

    def drain(self) -> None:
        """Discard whatever is readable now (unblocks workers writing at shutdown)."""
        while self._reader.poll(0):
            self._reader.recv_bytes()

    def close_reader(self) -> None:
        """In a worker: drop the read end, so that writes fail once the main process is
        gone instead of blocking forever."""
        self._reader.close()

    def close(self) -> None:
        self._reader.close()
        self._writer.close()
