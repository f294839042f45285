"""`cupy.cuda.nccl` of the fake: NCCL communicators between the processes of an MPI job.

Installed as `cupy.cuda.nccl` by install.py. It has CuPy 14's API (the names, parameter
names and argument kinds of `cupy_backends/cuda/libs/nccl.pyx`: pointers, counts and
streams are plain ints, the unique id is 128 bytes) and performs each collective for real
between the processes, over mpi4py, on the fake arrays' numpy buffers:

- `NcclCommunicator(ndev, unique_id, rank)`: the ranks holding the same id find each other
  through a directory named after the id in the temp folder (each writes its MPI rank), then
  make an MPI communicator of just them (`Create_group`, collective over the members only,
  as ncclCommInitRank is);
- a device pointer is resolved through the fake's memory records (`_core._OWNERS`: the
  numpy buffer behind each allocation): a pointer into no fake allocation (host memory, a
  freed array, past the end) is NCCL's "invalid argument", as a bad pointer is on a GPU;
- reductions gather every rank's data and reduce with numpy in rank order (AVG of integers
  truncates, as NCCL's does); sends and receives between groupStart and groupEnd are posted
  together at groupEnd (so all-to-all patterns cannot deadlock), a send to oneself matched
  with the receive from oneself.

Everything completes before the call returns (the fake has no asynchronous streams).
"""
from __future__ import annotations

import hashlib
import operator
import os
import pathlib
import tempfile
import time
import typing

import numpy as np

from . import _core, cuda

available = True
NCCL_SUM, NCCL_PROD, NCCL_MAX, NCCL_MIN, NCCL_AVG = 0, 1, 2, 3, 4
NCCL_INT8 = NCCL_CHAR = 0
NCCL_UINT8 = 1
NCCL_INT32 = NCCL_INT = 2
NCCL_UINT32 = 3
NCCL_INT64 = 4
NCCL_UINT64 = 5
NCCL_FLOAT16 = NCCL_HALF = 6
NCCL_FLOAT32 = NCCL_FLOAT = 7
NCCL_FLOAT64 = NCCL_DOUBLE = 8
NCCL_BFLOAT16 = 9

_UNIQUE_ID_BYTES = 128
_RENDEZVOUS_SECONDS = 60
_P2P_TAG = 7


def _numpy_dtype(datatype: int) -> np.dtype:
    if datatype == NCCL_BFLOAT16:
        import ml_dtypes
        return np.dtype(ml_dtypes.bfloat16)
    table = {NCCL_INT8: np.int8, NCCL_UINT8: np.uint8, NCCL_INT32: np.int32,
             NCCL_UINT32: np.uint32, NCCL_INT64: np.int64, NCCL_UINT64: np.uint64,
             NCCL_FLOAT16: np.float16, NCCL_FLOAT32: np.float32, NCCL_FLOAT64: np.float64}
    if datatype not in table:
        raise NcclError(4, f"invalid datatype {datatype}")
    return np.dtype(table[datatype])


class NcclError(RuntimeError):
    """CuPy's NcclError: `status` and NCCL's error name and text."""

    _NAMES: typing.ClassVar[dict] = {1: ("NCCL_ERROR_UNHANDLED_CUDA_ERROR", "unhandled cuda error"),
              2: ("NCCL_ERROR_SYSTEM_ERROR", "unhandled system error"),
              3: ("NCCL_ERROR_INTERNAL_ERROR", "internal error"),
              4: ("NCCL_ERROR_INVALID_ARGUMENT", "invalid argument"),
              5: ("NCCL_ERROR_INVALID_USAGE", "invalid usage")}

    def __init__(self, status: int, detail: str = ""):
        self.status = status
        name, text = self._NAMES.get(status, ("NCCL_ERROR", "error"))
        super().__init__(f"{name}: {text}" + (f" ({detail})" if detail else ""))


# ------------------------------------------------------------------ argument kinds
def _intptr(value, name: str) -> int:
    """Cython's intptr_t parameter: a Python int only (not numpy ints, not MemoryPointer)."""
    if not isinstance(value, int):
        raise TypeError("an integer is required")
    return value


def _size_t(value, name: str) -> int:
    value = operator.index(value)
    if value < 0:
        raise OverflowError("can't convert negative value to size_t")
    return value


def _int(value, name: str) -> int:
    return operator.index(value)


def _buffer(ptr: int, count: int, datatype: int) -> np.ndarray:
    """The numpy elements behind device pointer `ptr` (count elements of `datatype`)."""
    dtype = _numpy_dtype(datatype)
    nbytes = count * dtype.itemsize
    if nbytes == 0:
        return np.empty(0, dtype)
    for mem in list(_core._OWNERS.values()):
        root = mem.root
        start = ptr - mem.ptr
        if root is not None and 0 <= start and start + nbytes <= root.nbytes:
            raw = root.reshape(-1, order="A").view(np.uint8)
            return raw[start:start + nbytes].view(dtype)
    raise NcclError(4, f"pointer {ptr:#x} ({nbytes} bytes) is not in fake device memory")


# ------------------------------------------------------------------ unique ids, groups
def get_unique_id() -> bytes:
    return os.urandom(_UNIQUE_ID_BYTES)


def get_version() -> int:
    return 22501


def get_build_version() -> int:
    return 22501


_GROUP = {"depth": 0, "pending": []}   # sends/receives queued between groupStart/End


def groupStart() -> None:
    _GROUP["depth"] += 1


def groupEnd() -> None:
    if _GROUP["depth"] == 0:
        raise NcclError(5, "groupEnd without groupStart")
    _GROUP["depth"] -= 1
    if _GROUP["depth"] == 0:
        pending, _GROUP["pending"] = _GROUP["pending"], []
        _run_point_to_point(pending)


def _run_point_to_point(ops) -> None:
    """[(communicator, "send"/"recv", peer, array)]: post all, wait for all."""
    from mpi4py import MPI
    requests, selves = [], {}
    for comm, kind, peer, array in ops:
        if peer == comm._rank:
            selves.setdefault(id(comm), {"send": [], "recv": []})[kind].append(array)
        elif kind == "send":
            requests.append(comm._mpi.Isend(array.copy().view(np.uint8), peer, _P2P_TAG))
        else:
            requests.append(comm._mpi.Irecv(array.view(np.uint8), peer, _P2P_TAG))
    for pairs in selves.values():
        if len(pairs["send"]) != len(pairs["recv"]):
            raise NcclError(5, "a send to oneself needs a receive from oneself in the group")
        for sent, received in zip(pairs["send"], pairs["recv"]):
            received.view(np.uint8)[...] = sent.view(np.uint8)
    MPI.Request.Waitall(requests)


# ------------------------------------------------------------------ the communicator
def _reduce(stacked: np.ndarray, op: int, size: int) -> np.ndarray:
    """NCCL's reduction of the ranks' arrays (stacked on axis 0), in their dtype."""
    if op == NCCL_SUM:
        return stacked.sum(axis=0, dtype=stacked.dtype)
    if op == NCCL_PROD:
        return stacked.prod(axis=0, dtype=stacked.dtype)
    if op == NCCL_MAX:
        return stacked.max(axis=0)
    if op == NCCL_MIN:
        return stacked.min(axis=0)
    if op == NCCL_AVG:
        total = stacked.sum(axis=0, dtype=stacked.dtype)
        if stacked.dtype.kind in "iu":   # NCCL divides integers with truncation
            return (np.sign(total) * (np.abs(total) // size)).astype(stacked.dtype)
        return (total.astype(np.float64) / size).astype(stacked.dtype)
    raise NcclError(4, f"invalid reduction op {op}")


class NcclCommunicator:
    """One rank's membership of an NCCL communicator (see the module docstring)."""

    def __init__(self, ndev, commId, rank, config=None):
        ndev, rank = _int(ndev, "ndev"), _int(rank, "rank")
        if not isinstance(commId, bytes):
            raise TypeError(f"Argument 'commId' has incorrect type (expected bytes, got "
                            f"{type(commId).__name__})")
        if len(commId) != _UNIQUE_ID_BYTES:
            raise AssertionError
        if not 0 <= rank < ndev:
            raise NcclError(4, f"rank {rank} of {ndev}")
        self._size, self._rank = ndev, rank
        self._device = cuda.get_device_id()
        self._mpi = _rendezvous(commId, ndev, rank)

    @property
    def comm(self) -> int:
        return 0 if self._mpi is None else id(self)

    def _live(self):
        if self._mpi is None:
            raise NcclError(4, "the communicator was destroyed")
        return self._mpi

    def device_id(self) -> int:
        return self._device

    def rank_id(self) -> int:
        return self._rank

    def size(self) -> int:
        return self._size

    def destroy(self) -> None:
        if self._mpi is not None:
            self._mpi.Free()
            self._mpi = None

    def abort(self) -> None:
        self.destroy()

    def check_async_error(self) -> None:
        """Nothing runs asynchronously here: no error can be pending."""

    def _gather(self, data: np.ndarray) -> np.ndarray:
        """Every rank's `data`, stacked in rank order."""
        out = np.empty((self._size,) + data.shape, data.dtype)
        self._live().Allgather(np.ascontiguousarray(data).view(np.uint8),
                               out.reshape(self._size, -1).view(np.uint8))
        return out

    # -------------------------------------------------------------- collectives
    def allReduce(self, sendbuf, recvbuf, count, datatype, op, stream):
        send, recv = _intptr(sendbuf, "sendbuf"), _intptr(recvbuf, "recvbuf")
        count, datatype, op = _size_t(count, "count"), _int(datatype, "datatype"), _int(op, "op")
        _intptr(stream, "stream")
        source, target = _buffer(send, count, datatype), _buffer(recv, count, datatype)
        target[...] = _reduce(self._gather(source), op, self._size)

    def reduce(self, sendbuf, recvbuf, count, datatype, op, root, stream):
        send, recv = _intptr(sendbuf, "sendbuf"), _intptr(recvbuf, "recvbuf")
        count, datatype, op = _size_t(count, "count"), _int(datatype, "datatype"), _int(op, "op")
        root = _int(root, "root")
        _intptr(stream, "stream")
        source = _buffer(send, count, datatype)
        result = _reduce(self._gather(source), op, self._size)
        if self._rank == root:
            _buffer(recv, count, datatype)[...] = result

    def broadcast(self, sendbuff, recvbuff, count, datatype, root, stream):
        send, recv = _intptr(sendbuff, "sendbuff"), _intptr(recvbuff, "recvbuff")
        count, datatype = _size_t(count, "count"), _int(datatype, "datatype")
        root = _int(root, "root")
        _intptr(stream, "stream")
        target = _buffer(recv, count, datatype)
        data = _buffer(send, count, datatype).copy() if self._rank == root else target
        self._live().Bcast(data.view(np.uint8), root=root)
        target[...] = data

    def bcast(self, buff, count, datatype, root, stream):
        self.broadcast(buff, buff, count, datatype, root, stream)

    def reduceScatter(self, sendbuf, recvbuf, recvcount, datatype, op, stream):
        send, recv = _intptr(sendbuf, "sendbuf"), _intptr(recvbuf, "recvbuf")
        count, datatype, op = (_size_t(recvcount, "recvcount"), _int(datatype, "datatype"),
                               _int(op, "op"))
        _intptr(stream, "stream")
        source = _buffer(send, count * self._size, datatype)
        target = _buffer(recv, count, datatype)
        reduced = _reduce(self._gather(source), op, self._size)
        target[...] = reduced[self._rank * count:(self._rank + 1) * count]

    def allGather(self, sendbuf, recvbuf, count, datatype, stream):
        send, recv = _intptr(sendbuf, "sendbuf"), _intptr(recvbuf, "recvbuf")
        count, datatype = _size_t(count, "count"), _int(datatype, "datatype")
        _intptr(stream, "stream")
        source = _buffer(send, count, datatype).copy()
        target = _buffer(recv, count * self._size, datatype)
        target[...] = self._gather(source).reshape(-1)

    # -------------------------------------------------------------- point to point
    def send(self, sendbuf, count, datatype, peer, stream):
        self._point_to_point("send", sendbuf, count, datatype, peer, stream)

    def recv(self, recvbuf, count, datatype, peer, stream):
        self._point_to_point("recv", recvbuf, count, datatype, peer, stream)

    def _point_to_point(self, kind, buf, count, datatype, peer, stream):
        ptr, count = _intptr(buf, f"{kind}buf"), _size_t(count, "count")
        datatype, peer = _int(datatype, "datatype"), _int(peer, "peer")
        _intptr(stream, "stream")
        if not 0 <= peer < self._size:
            raise NcclError(4, f"peer {peer} of {self._size}")
        self._live()
        _GROUP["pending"].append((self, kind, peer, _buffer(ptr, count, datatype)))
        if _GROUP["depth"] == 0:   # alone: a group of one call
            groupStart()
            groupEnd()


def _rendezvous(unique_id: bytes, size: int, rank: int):
    """The MPI communicator of the ranks holding `unique_id`, in NCCL rank order."""
    from mpi4py import MPI
    world = MPI.COMM_WORLD
    key = hashlib.sha256(unique_id).hexdigest()[:32]
    folder = pathlib.Path(tempfile.gettempdir()) / "fake_nccl" / key
    folder.mkdir(parents=True, exist_ok=True)
    mine = folder / str(rank)
    (folder / f"{rank}.tmp").write_text(str(world.Get_rank()))
    os.replace(folder / f"{rank}.tmp", mine)
    deadline = time.monotonic() + _RENDEZVOUS_SECONDS
    while len([p for p in folder.iterdir() if p.suffix != ".tmp"]) < size:
        if time.monotonic() > deadline:
            raise NcclError(2, f"only {len(list(folder.iterdir()))} of {size} ranks joined")
        time.sleep(0.01)
    members = [int((folder / str(r)).read_text()) for r in range(size)]
    comm = world.Create_group(world.Get_group().Incl(members), tag=int(key[:4], 16) % 32768)
    comm.Barrier()   # everyone has read the folder
    mine.unlink()
    comm.Barrier()
    if rank == 0:
        folder.rmdir()
    return comm
