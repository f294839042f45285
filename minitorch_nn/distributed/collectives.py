"""The collectives on tensors, with PyTorch's signatures, checks and errors.

Each one checks its arguments, hands the tensors' arrays to the group's backend for their
device (CPU: mpi_backend.py; GPU: gpu_collectives.py over NCCL) and returns None, or the
`Work` with `async_op=True`. Results are written into the tensors' own
memory when the work finishes (a view writes through to its base), bumping their version
counters as any in-place write does. Ranks named by `src`/`dst` are global ranks, as in
PyTorch; inside a subgroup they are translated to the group's own ranks.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..tensor import Tensor
from . import gpu_collectives as gpu
from . import mpi_backend as backend
from . import nccl_backend
from .process_group import GroupMember, ProcessGroup, resolve
from .reduce_op import RedOpType


# ------------------------------------------------------------------ shared checks
def _check_tensor(t, name: str) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"torch.Tensor\n             but got {type(t)} instead.")
    if t.device.type not in ("cpu", "cuda"):
        raise RuntimeError(f"No backend type associated with device type {t.device.type}")


def _check_list(ts, name: str) -> None:
    if not isinstance(ts, (list, tuple)) or not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"List[torch.Tensor]\n             but got {type(ts)} instead.")
    for t in ts:
        _check_tensor(t, name)


def _group(group, op_name: str) -> ProcessGroup | None:
    """The group to run on, or None (with PyTorch's warning) on a non-member rank."""
    pg = resolve(group)
    if pg is GroupMember.NON_GROUP_MEMBER or pg.comm is None:
        warnings.warn(f"Running {op_name} on global rank {resolve(None).rank()} which does "
                      f"not belong to the given group.", stacklevel=3)
        return None
    return pg


def _gpu_call(pg: ProcessGroup, *tensors, contiguous=()):
    """None for CPU tensors (the MPI backend serves them); for GPU tensors, the NCCL call
    on their GPU. PyTorch's errors: a device type the group has no backend for, tensors on
    two devices, a dtype NCCL lacks, a tensor NCCL must read or write that is not
    contiguous (`contiguous`)."""
    kind = tensors[0].device.type
    if pg.device_backends.get(kind) is None:
        raise RuntimeError(f"No backend type associated with device type {kind}")
    if kind == "cpu":
        if any(t.device.type != "cpu" for t in tensors):
            raise RuntimeError("Expected all tensors to be on the same device, but found at "
                               "least two devices, cpu and cuda")
        return None
    if any(t.device != tensors[0].device for t in tensors):
        raise ValueError("Tensors must be CUDA and dense, and all on the same device")
    for t in tensors:
        nccl_backend.check_dtype(t._data)
    for t in contiguous:
        if not t.is_contiguous():
            raise ValueError("Tensors must be contiguous")
    return nccl_backend.Call(pg, tensors[0].device.index)


def _on_gpu(call, fn, *args):
    """Run a gpu_collectives function with the tensors' GPU current."""
    with call:
        return fn(call, *args)


def _root(pg: ProcessGroup, rank: int, op_name: str) -> int:
    """Group rank of global rank `rank`, with PyTorch's error for an invalid root."""
    if rank not in pg.ranks:
        raise RuntimeError(f"{pg.label()}::{op_name}: invalid root rank: {rank}")
    return pg.ranks.index(rank)


def _writer(t: Tensor):
    """Store an array into tensor `t` (its own memory) and bump its version."""
    def write(result):
        if result is not t._data:   # else: reduced in the tensor's own memory already
            t._data[...] = result
        t._version_counter.value += 1
    return write


def _done(work, async_op):
    if async_op:
        return work
    work.wait()
    return None


def _same_shapes(pg, op_name, outputs, like, what="tensor size"):
    for i, o in enumerate(outputs):
        if tuple(o.shape) != tuple(like.shape):
            raise RuntimeError(f"{pg.label()}::{op_name}: invalid {what} at index {i} "
                               f"(expected {_dims(like.shape)}, got {_dims(o.shape)})")
        if o.dtype != like.dtype:
            raise RuntimeError(f"{pg.label()}::{op_name}: invalid tensor type at index {i} "
                               f"(expected {like.dtype}, got {o.dtype})")


def _dims(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")"


def _list_length(pg, op_name, ts, what="output tensor list"):
    if len(ts) != pg.size():
        raise RuntimeError(f"{pg.label()}::{op_name}: invalid {what} at index 0 (expected "
                           f"length {pg.size()}, got {len(ts)})")


# ------------------------------------------------------------------ reductions
def all_reduce(tensor, op=RedOpType.SUM, group=None, async_op=False):
    """Every rank's `tensor` becomes the reduction (op) of all ranks' tensors."""
    _check_tensor(tensor, "tensor")
    pg = _group(group, "all_reduce")
    if pg is None:
        return None
    call = _gpu_call(pg, tensor, contiguous=[tensor])
    if call is not None:
        return _done(_on_gpu(call, gpu.all_reduce, tensor, RedOpType(op)), async_op)
    work = backend.allreduce(pg.comm, tensor._data, RedOpType(op), _writer(tensor), pg.label())
    return _done(work, async_op)


def reduce(tensor, dst=None, op=RedOpType.SUM, group=None, async_op=False, group_dst=None):
    """Like all_reduce, but only rank `dst` receives the result."""
    _check_tensor(tensor, "tensor")
    pg = _group(group, "reduce")
    if pg is None:
        return None
    root = group_dst if group_dst is not None else _root(pg, dst, "reduce")
    call = _gpu_call(pg, tensor, contiguous=[tensor])
    if call is not None:
        return _done(_on_gpu(call, gpu.reduce, tensor, RedOpType(op), root), async_op)
    work = backend.reduce(pg.comm, tensor._data, RedOpType(op), root, _writer(tensor),
                          pg.label())
    return _done(work, async_op)


def reduce_scatter(output, input_list, op=RedOpType.SUM, group=None, async_op=False):
    """Reduce the ranks' lists elementwise; rank i receives entry i into `output`."""
    _check_tensor(output, "output")
    _check_list(input_list, "input_list")
    pg = _group(group, "reduce_scatter")
    if pg is None:
        return None
    _list_length(pg, "reduce_scatter", input_list, "input tensor list")
    _same_shapes(pg, "reduce_scatter", input_list, output)
    call = _gpu_call(pg, output, *input_list, contiguous=[output])
    if call is not None:
        return _done(_on_gpu(call, gpu.reduce_scatter, output, input_list, RedOpType(op)),
                     async_op)
    work = backend.reduce_scatter(pg.comm, [t._data for t in input_list], RedOpType(op),
                                  _writer(output), pg.label())
    return _done(work, async_op)


def reduce_scatter_tensor(output, input, op=RedOpType.SUM, group=None, async_op=False):
    """reduce_scatter with the inputs concatenated along dim 0 of one tensor."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = _group(group, "reduce_scatter_tensor")
    if pg is None:
        return None
    if input.numel() != output.numel() * pg.size():
        raise ValueError("input tensor must be the same size as output size times world size")
    call = _gpu_call(pg, output, input, contiguous=[output, input])
    if call is not None:
        return _done(_on_gpu(call, gpu.reduce_scatter_tensor, output, input, RedOpType(op)),
                     async_op)
    pieces = np.split(np.ascontiguousarray(input._data).reshape(pg.size(), -1), pg.size())
    pieces = [p.reshape(output.shape) for p in pieces]
    work = backend.reduce_scatter(pg.comm, pieces, RedOpType(op), _writer(output), pg.label())
    return _done(work, async_op)


# ------------------------------------------------------------------ moving data
def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Every rank's `tensor` becomes rank `src`'s."""
    _check_tensor(tensor, "tensor")
    pg = _group(group, "broadcast")
    if pg is None:
        return None
    root = group_src if group_src is not None else _root(pg, src, "broadcast")
    call = _gpu_call(pg, tensor, contiguous=[tensor])
    if call is not None:
        return _done(_on_gpu(call, gpu.broadcast, tensor, root), async_op)
    return _done(backend.broadcast(pg.comm, tensor._data, root, _writer(tensor)), async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """tensor_list[i] becomes rank i's `tensor` (on every rank)."""
    _check_list(tensor_list, "tensor_list")
    _check_tensor(tensor, "tensor")
    pg = _group(group, "all_gather")
    if pg is None:
        return None
    if len(tensor_list) != pg.size():
        raise RuntimeError(f"{pg.label()}::allgather: invalid output tensor list at index 0 "
                           f"(expected length {pg.size()}, got {len(tensor_list)})")
    _same_shapes(pg, "allgather", tensor_list, tensor)
    call = _gpu_call(pg, tensor, *tensor_list, contiguous=[tensor])
    if call is not None:
        return _done(_on_gpu(call, gpu.all_gather, tensor_list, tensor), async_op)

    def write_all(arrays):
        for t, a in zip(tensor_list, arrays):
            _writer(t)(a)
    return _done(backend.allgather(pg.comm, tensor._data, write_all), async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's `input_tensor`, concatenated along dim 0 (or stacked) into the output."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    pg = _group(group, "all_gather_into_tensor")
    if pg is None:
        return None
    if output_tensor.numel() != input_tensor.numel() * pg.size():
        raise RuntimeError(f"{pg.label()}::allgather: invalid tensor size at index 0 "
                           f"(expected {_dims(input_tensor.shape)}, got "
                           f"{_dims(output_tensor.shape)})")
    call = _gpu_call(pg, input_tensor, output_tensor,
                     contiguous=[input_tensor, output_tensor])
    if call is not None:
        return _done(_on_gpu(call, gpu.all_gather_into_tensor, output_tensor, input_tensor),
                     async_op)

    def write_all(arrays):
        _writer(output_tensor)(np.concatenate([a.reshape(-1) for a in arrays])
                               .reshape(output_tensor.shape))
    return _done(backend.allgather(pg.comm, input_tensor._data, write_all), async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Rank `dst` receives every rank's `tensor` into gather_list."""
    _check_tensor(tensor, "tensor")
    pg = _group(group, "gather")
    if pg is None:
        return None
    root = group_dst if group_dst is not None else _root(pg, 0 if dst is None else dst,
                                                          "gather")
    if pg.rank() == root:
        if gather_list is None:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
        _check_list(gather_list, "gather_list")
        _list_length(pg, "gather", gather_list)
        _same_shapes(pg, "gather", gather_list, tensor)
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination "
                         "ranks.")
    call = _gpu_call(pg, tensor, *(gather_list or ()))
    if call is not None:
        return _done(_on_gpu(call, gpu.gather, tensor, gather_list, root), async_op)

    def write_all(arrays):
        for t, a in zip(gather_list, arrays):
            _writer(t)(a)
    return _done(backend.gather(pg.comm, tensor._data, root, write_all), async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank i's `tensor` becomes scatter_list[i] of rank `src`."""
    _check_tensor(tensor, "tensor")
    pg = _group(group, "scatter")
    if pg is None:
        return None
    root = group_src if group_src is not None else _root(pg, 0 if src is None else src,
                                                          "scatter")
    arrays = None
    if pg.rank() == root:
        if scatter_list is None:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        _check_list(scatter_list, "scatter_list")
        _list_length(pg, "scatter", scatter_list, "input tensor list")
        _same_shapes(pg, "scatter", scatter_list, tensor)
        arrays = [t._data for t in scatter_list]
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source "
                         "ranks.")
    call = _gpu_call(pg, tensor, *(scatter_list or ()), contiguous=[tensor])
    if call is not None:
        return _done(_on_gpu(call, gpu.scatter, tensor, scatter_list, root), async_op)
    return _done(backend.scatter(pg.comm, arrays, tensor._data, root, _writer(tensor)),
                 async_op)


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """Rank i sends input_tensor_list[j] to rank j, which stores it in its
    output_tensor_list[i]."""
    _check_list(output_tensor_list, "output_tensor_list")
    _check_list(input_tensor_list, "input_tensor_list")
    pg = _group(group, "all_to_all")
    if pg is None:
        return None
    _list_length(pg, "alltoall", input_tensor_list, "input tensor list")
    _list_length(pg, "alltoall", output_tensor_list)
    call = _gpu_call(pg, *output_tensor_list, *input_tensor_list)
    if call is not None:
        return _done(_on_gpu(call, gpu.all_to_all, output_tensor_list, input_tensor_list),
                     async_op)

    def write_all(arrays):
        for t, a in zip(output_tensor_list, arrays):
            _writer(t)(a)
    return _done(backend.alltoall(pg.comm, [t._data for t in input_tensor_list],
                                  [t._data for t in output_tensor_list], write_all), async_op)


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank of the group reaches the barrier."""
    pg = _group(group, "barrier")
    if pg is None:
        return None
    if "cpu" not in pg.device_backends:   # an NCCL-only group: PyTorch's NCCL barrier
        device = device_ids[0] if device_ids else nccl_backend.current_device()
        return _done(nccl_backend.barrier(nccl_backend.Call(pg, device)), async_op)
    return _done(backend.Work([pg.comm.Ibarrier()]), async_op)


# ------------------------------------------------------------------ point to point
def _peer(pg, rank, role):
    me = resolve(None).rank()
    if rank == me:
        word = "destination" if role == "dst" else "source"
        raise ValueError(f"Invalid {word} rank: {word} rank should not be the same as the "
                         f"rank of the current process.")
    return pg.group_rank(rank)


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send `tensor` to global rank `dst` without waiting; returns the Work."""
    _check_tensor(tensor, "tensor")
    pg = _group(group, "isend")
    if pg is None:
        return None
    dest = group_dst if group_dst is not None else _peer(pg, dst, "dst")
    call = _gpu_call(pg, tensor, contiguous=[tensor])
    if call is not None:
        return _on_gpu(call, gpu.send, tensor, dest)
    return backend.send(pg.comm, tensor._data, dest, tag)


def send(tensor, dst=None, group=None, tag=0, group_dst=None) -> None:
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def _receive(tensor, src, group, tag, group_src, op_name):
    """Start receiving into `tensor`: (Work, a function giving the sender's group rank), or
    None on a non-member. NCCL must be told the source (PyTorch's error otherwise)."""
    _check_tensor(tensor, "tensor")
    pg = _group(group, op_name)
    if pg is None:
        return None
    source = group_src if group_src is not None else (
        None if src is None else _peer(pg, src, "src"))
    call = _gpu_call(pg, tensor, contiguous=[tensor])
    if call is None:
        return pg, backend.recv(pg.comm, tensor._data, source, tag, _writer(tensor))
    if source is None:
        raise RuntimeError("ProcessGroupNCCL does not support recvAnysource")
    return pg, (_on_gpu(call, gpu.recv, tensor, source), lambda: source)


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into `tensor` from global rank `src` (None: any) without waiting."""
    started = _receive(tensor, src, group, tag, group_src, "irecv")
    return None if started is None else started[1][0]


def recv(tensor, src=None, group=None, tag=0, group_src=None) -> int:
    """Receive into `tensor`; returns the sender's global rank (-1 on a non-member)."""
    started = _receive(tensor, src, group, tag, group_src, "recv")
    if started is None:
        return -1
    pg, (work, sender) = started
    work.wait()
    return pg.ranks[sender()]
