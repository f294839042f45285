"""The NCCL backend: collectives on GPU tensors through CuPy's NCCL bindings.

PyTorch's ProcessGroupNCCL, on `cupy.cuda.nccl`. Per process group and GPU there is one
NCCL communicator, made the first time a GPU tensor goes through that group (or at
`init_process_group(device_id=...)`, as PyTorch's eager init): group rank 0 asks NCCL for a
unique id, the id travels to the other ranks through the group's MPI communicator (the
"store" of this package), and every rank joins with `NcclCommunicator(size, id, rank)` on
the tensor's device. Each collective hands NCCL the tensors' device pointers, NCCL's dtype
and operation constants and the current CuPy stream: NCCL reads and writes the tensors'
own memory, in stream order, so nothing waits on the host (a `Work` only makes another
stream wait). NCCL needs contiguous tensors and a dtype it knows (PyTorch's errors
otherwise); complex tensors travel as their real and imaginary floats.

Not modelled on the host: NCCL has no tags and no receive-from-any-source (PyTorch refuses
both too). docs/distributed.md, "The nccl backend".
"""
from __future__ import annotations

import importlib
import warnings

from .mpi_backend import Work
from .reduce_op import RedOpType

# numpy dtype name -> NCCL's datatype constant (PyTorch's table: bool moves as uint8)
_NCCL_DTYPES = {"int8": "NCCL_INT8", "uint8": "NCCL_UINT8", "bool": "NCCL_UINT8",
                "int32": "NCCL_INT32", "int64": "NCCL_INT64", "float16": "NCCL_FLOAT16",
                "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64",
                "bfloat16": "NCCL_BFLOAT16"}
_REAL_OF_COMPLEX = {"complex64": "float32", "complex128": "float64"}
# PyTorch's ScalarType names, for its "not supported" message
_SCALAR_TYPE = {"int16": "Short", "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64",
                "complex32": "ComplexHalf"}
_NCCL_OPS = {RedOpType.SUM: "NCCL_SUM", RedOpType.PRODUCT: "NCCL_PROD",
             RedOpType.MIN: "NCCL_MIN", RedOpType.MAX: "NCCL_MAX", RedOpType.AVG: "NCCL_AVG"}


# ------------------------------------------------------------------ availability
def nccl_module():
    """CuPy's `cupy.cuda.nccl` with its NCCL library loaded, or None."""
    from ..device import cupy_module
    if cupy_module() is None:
        return None
    try:
        with warnings.catch_warnings():   # CuPy warns when libnccl is missing
            warnings.simplefilter("ignore")
            module = importlib.import_module("cupy.cuda.nccl")
    except ImportError:
        return None
    return module if getattr(module, "available", False) else None


def is_available() -> bool:
    """A GPU, CuPy and a loadable NCCL (the `nvidia-nccl-cu12` wheel, or a system one)."""
    from ..array_backends.cuda import is_available as gpu_available
    return gpu_available() and nccl_module() is not None


def _cupy():
    from ..array_backends.cuda import get_backend
    return get_backend()._cupy


def current_device() -> int:
    """CuPy's current GPU (torch.cuda.set_device's)."""
    return _cupy().cuda.Device().id


# ------------------------------------------------------------------ communicators
def communicator(pg, device_index: int):
    """The NCCL communicator of group `pg` on GPU `device_index`, made on first use: every
    rank of the group gets here in the same collective, so the id broadcast matches."""
    comm = pg.nccl_comms.get(device_index)
    if comm is None:
        nccl, cupy = nccl_module(), _cupy()
        unique_id = nccl.get_unique_id() if pg.rank() == 0 else None
        unique_id = pg.comm.bcast(unique_id, root=0)   # through MPI: PyTorch's store
        with cupy.cuda.Device(device_index):
            comm = nccl.NcclCommunicator(pg.size(), unique_id, pg.rank())
        pg.nccl_comms[device_index] = comm
    return comm


def destroy(pg) -> None:
    """Free the group's NCCL communicators (destroy_process_group)."""
    for comm in pg.nccl_comms.values():
        comm.destroy()
    pg.nccl_comms.clear()


# ------------------------------------------------------------------ dtypes and ops
def wire(array, op_name: str, op=None) -> tuple:
    """(NCCL datatype constant, element count) of a contiguous array: complex numbers
    travel as pairs of floats (only sums and averages of them make sense)."""
    name, count = array.dtype.name, array.size
    if name in _REAL_OF_COMPLEX:
        if op is not None and op not in (RedOpType.SUM, RedOpType.AVG):
            raise RuntimeError(f"{op_name} does not support {op} on complex tensors")
        name, count = _REAL_OF_COMPLEX[name], 2 * count
    if name not in _NCCL_DTYPES:
        raise TypeError(f"Input tensor data type is not supported for NCCL process group: "
                        f"{_SCALAR_TYPE.get(name, name)}")
    return getattr(nccl_module(), _NCCL_DTYPES[name]), count


def check_dtype(array) -> None:
    """PyTorch's TypeError for a dtype NCCL cannot carry."""
    wire(array, "")


def nccl_op(op, array) -> int:
    """NCCL's constant for `op` on `array`'s dtype, with PyTorch's errors: bool sums are
    ORs (NCCL's MAX on uint8); AVG is NCCL's own (integers: truncated quotient)."""
    op = RedOpType(op)
    if array.dtype.name == "bool":
        if op == RedOpType.SUM:
            op = RedOpType.MAX
        elif op == RedOpType.AVG:
            raise TypeError("Cannot use ReduceOp.AVG with boolean inputs")
    if op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR):
        raise ValueError(f"Cannot use ReduceOp.{op.name} with NCCL")
    if op not in _NCCL_OPS:
        raise ValueError("Unhandled ReduceOp")
    return getattr(nccl_module(), _NCCL_OPS[op])


# ------------------------------------------------------------------ work
class NcclWork(Work):
    """A collective NCCL has queued on `stream`: its result is in the tensors' memory for
    every later kernel on that stream. `wait()` from another current stream synchronizes
    the collective's stream (a CUDA event would spare the host that wait; the fake GPU the
    tests run on has no events)."""

    def __init__(self, stream):
        super().__init__()
        self._stream = stream
        self.keep = []   # arrays NCCL reads or writes: alive until the work is dropped

    def wait(self, timeout=None) -> bool:
        if _cupy().cuda.get_current_stream().ptr != self._stream.ptr:
            self._stream.synchronize()
        return True

    def synchronize(self) -> None:
        self._stream.synchronize()

    def is_completed(self) -> bool:
        """True once the GPU has run it (waits for the stream to get there)."""
        self._stream.synchronize()
        return True


# ------------------------------------------------------------------ the calls
class Call:
    """One NCCL call site: the group's communicator on `device`, the current stream, and
    `run(fn)` which runs `fn(comm, stream_ptr)` with that device current."""

    def __init__(self, pg, device_index: int):
        self.pg, self.device = pg, device_index
        self.cupy = _cupy()
        self._devices = []
        with self.cupy.cuda.Device(device_index):
            self.comm = communicator(pg, device_index)
            self.stream = self.cupy.cuda.get_current_stream()

    def __enter__(self):
        """`with call:` makes the call's GPU current (for the copies around NCCL)."""
        self._devices.append(self.cupy.cuda.Device(self.device))
        self._devices[-1].__enter__()
        return self

    def __exit__(self, *exc):
        self._devices.pop().__exit__(*exc)

    def empty(self, shape, dtype):
        """A new contiguous array on this call's GPU."""
        with self:
            return self.cupy.empty(shape, dtype=dtype)

    def run(self, fn) -> NcclWork:
        with self:
            fn(self.comm, self.stream.ptr)
        return NcclWork(self.stream)

    def grouped(self, fn) -> NcclWork:
        """`fn` between groupStart and groupEnd: its sends and receives go together."""
        nccl = nccl_module()

        def inside(comm, stream):
            nccl.groupStart()
            try:
                fn(comm, stream)
            finally:
                nccl.groupEnd()
        return self.run(inside)


def _ptr(array) -> int:
    return array.data.ptr


def allreduce(call: Call, array, op) -> NcclWork:
    """Reduce `array` in place over the group."""
    dtype, count = wire(array, "all_reduce", op)
    code = nccl_op(op, array)
    return call.run(lambda c, s: c.allReduce(_ptr(array), _ptr(array), count, dtype, code, s))


def reduce(call: Call, array, op, root: int) -> NcclWork:
    """Reduce onto group rank `root` (in its array; the others keep theirs)."""
    dtype, count = wire(array, "reduce", op)
    code = nccl_op(op, array)
    return call.run(lambda c, s: c.reduce(_ptr(array), _ptr(array), count, dtype, code, root,
                                          s))


def broadcast(call: Call, array, root: int) -> NcclWork:
    dtype, count = wire(array, "broadcast")
    return call.run(lambda c, s: c.broadcast(_ptr(array), _ptr(array), count, dtype, root, s))


def allgather(call: Call, array, out) -> NcclWork:
    """Every rank's `array` into the contiguous `out` (rank after rank)."""
    dtype, count = wire(array, "all_gather")
    return call.run(lambda c, s: c.allGather(_ptr(array), _ptr(out), count, dtype, s))


def reduce_scatter(call: Call, flat, out, op) -> NcclWork:
    """Reduce the ranks' `flat` (size x out.size) elementwise; rank i keeps piece i."""
    dtype, count = wire(out, "reduce_scatter", op)
    code = nccl_op(op, out)
    return call.run(lambda c, s: c.reduceScatter(_ptr(flat), _ptr(out), count, dtype, code, s))


def exchange(call: Call, sends, receives) -> NcclWork:
    """Grouped point-to-point: `sends` and `receives` are [(group rank, array)]; NCCL
    matches them (all_to_all, gather, scatter: PyTorch's way on NCCL)."""
    def fn(comm, stream):
        for peer, array in sends:
            dtype, count = wire(array, "send")
            comm.send(_ptr(array), count, dtype, peer, stream)
        for peer, array in receives:
            dtype, count = wire(array, "recv")
            comm.recv(_ptr(array), count, dtype, peer, stream)
    return call.grouped(fn)


def barrier(call: Call) -> NcclWork:
    """PyTorch's NCCL barrier: an all-reduce of one element, then the host waits for it."""
    with call:
        one = call.cupy.zeros(1, dtype="float32")
        work = allreduce(call, one, RedOpType.SUM)
    work.synchronize()
    return work
