"""Gradient buckets for DistributedDataParallel: which parameters share one all-reduce.

All-reducing every gradient on its own costs one collective (and its latency) per parameter;
all-reducing them all at the end leaves nothing to overlap with backward. DDP groups the
gradients into buckets of about `bucket_cap_mb` MiB, flattened into one buffer each, and
all-reduces a bucket as soon as every gradient in it has been computed.

`assign_buckets` is PyTorch's `dist._compute_bucket_assignment_by_size`: parameters are taken
in registration order, separately per (dtype, device); a bucket is closed once it holds at
least its size limit, and the limits advance along `size_limits` (the last one repeats), so
with PyTorch's defaults [1 MiB, 25 MiB] the first bucket is small. DistributedDataParallel
then reverses the list: bucket 0 holds the last-registered parameters, whose gradients
backward produces first.

`Bucket` is one bucket's flat buffer: gradients are copied in as they become ready, the
buffer is divided by the world size and all-reduced (summed) asynchronously, and the averages
are copied back into each `param.grad` at the end of backward.
"""
from __future__ import annotations

from ...creation import zeros

__all__ = ["assign_buckets", "Bucket"]


def assign_buckets(tensors, size_limits) -> tuple[list[list[int]], list[int]]:
    """([indices of each bucket], [its size limit in bytes]), buckets sorted by their
    smallest index (PyTorch's `_compute_bucket_assignment_by_size` without sparse tensors)."""
    result = []
    open_buckets: dict = {}   # (dtype, device) -> [indices, bytes, limit position]
    for i, t in enumerate(tensors):
        key = (t.dtype, str(t.device))
        bucket = open_buckets.setdefault(key, [[], 0, 0])
        bucket[0].append(i)
        bucket[1] += t.numel() * t.element_size()
        limit = size_limits[bucket[2]]
        if bucket[1] >= limit:
            result.append((bucket[0], limit))
            open_buckets[key] = [[], 0, min(bucket[2] + 1, len(size_limits) - 1)]
    for indices, _, position in open_buckets.values():
        if indices:
            result.append((indices, size_limits[position]))
    result.sort(key=lambda item: min(item[0]))
    return [r[0] for r in result], [r[1] for r in result]


class Bucket:
    """The flat gradient buffer of some parameters (same dtype and device), and the
    all-reduce running on it. `pending` counts the gradients not ready yet this iteration."""

    def __init__(self, params, indices):
        self.params = list(params)
        self.indices = list(indices)
        self.offsets = []
        total = 0
        for p in self.params:
            self.offsets.append(total)
            total += p.numel()
        self.numel = total
        first = self.params[0]
        self.buffer = zeros(total, dtype=first.dtype, device=first.device)
        self.pending = len(self.params)
        self.work = None

    def _view(self, slot: int):
        start = self.offsets[slot]
        return self.buffer[start:start + self.params[slot].numel()]

    def fill(self, slot: int, grad) -> None:
        """Copy one parameter's gradient (None: zeros) into its place in the buffer."""
        view = self._view(slot)
        if grad is None:
            view.zero_()
        else:
            view.copy_(grad.reshape(-1))

    def launch(self, all_reduce, world_size: int) -> None:
        """Start averaging the buffer across ranks: divide, then an async SUM all-reduce
        (`all_reduce(buffer)` returns its Work), as PyTorch's default communication hook."""
        if world_size > 1:
            self.buffer.div_(world_size)
        self.work = all_reduce(self.buffer)

    def wait(self) -> None:
        if self.work is not None:
            self.work.wait()
            self.work = None

    def write_back(self, used=None) -> None:
        """Copy the averaged gradients into each `param.grad` (in place when it exists);
        parameters with `used[index]` false (unused on every rank) keep their `.grad`."""
        for slot, (p, index) in enumerate(zip(self.params, self.indices)):
            if used is not None and not used[index]:
                continue
            view = self._view(slot).view(p.shape)
            if p.grad is None:
                p.grad = view.clone()
            else:
                p.grad.copy_(view)
