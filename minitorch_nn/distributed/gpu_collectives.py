"""The collectives on GPU tensors, over NCCL (nccl_backend.py): what collectives.py calls
once it has checked the arguments and found that the tensors are on a GPU.

NCCL reads and writes the tensors' own memory where it can (all_reduce, broadcast, reduce,
all_gather_into_tensor, reduce_scatter_tensor, send/recv: contiguous tensors, as PyTorch
requires); the list forms go through one flat buffer and are copied out on the same
stream, as PyTorch's ProcessGroupNCCL does. gather, scatter and all_to_all are grouped
sends and receives (NCCL has no such collectives). Every tensor written has its version
bumped, as any in-place write. collectives.py calls these inside `with call:` (the
tensors' GPU current).
"""
from __future__ import annotations

from . import nccl_backend as nccl


def _bump(*tensors) -> None:
    for t in tensors:
        t._version_counter.value += 1


def _copy_out(outputs, flat, count: int) -> None:
    """outputs[i] <- flat[i * count:(i + 1) * count] (on the device, stream-ordered)."""
    for i, t in enumerate(outputs):
        t._data[...] = flat[i * count:(i + 1) * count].reshape(t._data.shape)
    _bump(*outputs)


def all_reduce(call, tensor, op):
    work = nccl.allreduce(call, tensor._data, op)
    _bump(tensor)
    return work


def reduce(call, tensor, op, root: int):
    work = nccl.reduce(call, tensor._data, op, root)
    if call.pg.rank() == root:
        _bump(tensor)
    return work


def broadcast(call, tensor, root: int):
    work = nccl.broadcast(call, tensor._data, root)
    _bump(tensor)
    return work


def all_gather(call, outputs, tensor):
    count = tensor.numel()
    flat = call.empty(count * call.pg.size(), tensor._data.dtype)
    work = nccl.allgather(call, tensor._data, flat)
    _copy_out(outputs, flat, count)
    work.keep.append(flat)
    return work


def all_gather_into_tensor(call, output, tensor):
    work = nccl.allgather(call, tensor._data, output._data)
    _bump(output)
    return work


def reduce_scatter(call, output, inputs, op):
    flat = call.cupy.concatenate([t._data.reshape(-1) for t in inputs])
    work = nccl.reduce_scatter(call, flat, output._data, op)
    _bump(output)
    work.keep.append(flat)
    return work


def reduce_scatter_tensor(call, output, input, op):
    work = nccl.reduce_scatter(call, input._data, output._data, op)
    _bump(output)
    return work


def _contiguous(call, t):
    """`t`'s array, or a contiguous copy on the same GPU (what NCCL may read)."""
    return call.cupy.ascontiguousarray(t._data)


def all_to_all(call, outputs, inputs):
    """Rank i's inputs[j] to rank j's outputs[i]: grouped sends and receives."""
    sends = [(j, _contiguous(call, t)) for j, t in enumerate(inputs)]
    receives = [(j, call.empty(t._data.shape, t._data.dtype)) for j, t in enumerate(outputs)]
    work = nccl.exchange(call, sends, receives)
    for t, (_, a) in zip(outputs, receives):
        t._data[...] = a
    _bump(*outputs)
    work.keep.extend(a for _, a in sends + receives)
    return work


def gather(call, tensor, gather_list, root: int):
    me = call.pg.rank()
    if me != root:
        return nccl.exchange(call, [(root, _contiguous(call, tensor))], [])
    receives = [(q, call.empty(tensor._data.shape, tensor._data.dtype))
                for q in range(call.pg.size()) if q != me]
    work = nccl.exchange(call, [], receives)
    pieces = dict(receives)
    for q, t in enumerate(gather_list):
        t._data[...] = tensor._data if q == me else pieces[q]
    _bump(*gather_list)
    work.keep.extend(pieces.values())
    return work


def scatter(call, tensor, scatter_list, root: int):
    me = call.pg.rank()
    if me != root:
        work = nccl.exchange(call, [], [(root, tensor._data)])
    else:
        sends = [(q, _contiguous(call, t)) for q, t in enumerate(scatter_list) if q != me]
        work = nccl.exchange(call, sends, [])
        tensor._data[...] = scatter_list[me]._data
        work.keep.extend(a for _, a in sends)
    _bump(tensor)
    return work


def send(call, tensor, peer: int):
    work = nccl.exchange(call, [(peer, tensor._data)], [])
    work.keep.append(tensor._data)
    return work


def recv(call, tensor, peer: int):
    work = nccl.exchange(call, [], [(peer, tensor._data)])
    _bump(tensor)
    return work
