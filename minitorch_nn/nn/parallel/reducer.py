"""The reducer behind DistributedDataParallel: averages gradients across ranks during backward.

PyTorch's `dist.Reducer`, in Python. Each parameter gets a post-accumulate-grad hook (it runs
when backward has added into `param.grad`). Per iteration:

  * forward ends with `prepare_for_backward` (when gradients are to be synchronized): every
    bucket's pending count is reset, and with `find_unused_parameters` the autograd graph is
    walked from the outputs to find the parameters that cannot get a gradient;
  * each hook copies its gradient into the parameter's bucket (`mark_ready`); a bucket whose
    gradients are all in starts its all-reduce at once (async), in bucket order, so the
    collectives are issued in the same order on every rank and run while backward goes on;
  * when the last bucket has started, a final callback of the backward pass
    (`autograd.engine.queue_callback`) waits for them all and writes the averages into each
    `param.grad` before `backward()` returns.

With `find_unused_parameters`, the parameters the forward pass did not reach are marked ready
(zeros, or their `.grad` accumulated under no_sync) at the first hook, as PyTorch does, and
any reachable one that still got no gradient (an output left out of the loss) at the end of
backward; a parameter that got a gradient on no rank keeps its `.grad`. Without it, a
parameter without gradient leaves its bucket unfinished, and the next forward raises
PyTorch's "Expected to have finished reduction in the prior iteration" error.
"""
from __future__ import annotations

import functools
import weakref

from ... import distributed as dist
from ...autograd.engine import queue_callback
from ...autograd.graph import AccumulateGrad
from ...creation import tensor
from ...dtypes import int32
from .buckets import Bucket

__all__ = ["Reducer"]

_UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. "
    "This error indicates that your module has parameters that were not used in producing "
    "loss. You can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `torch.nn.parallel.DistributedDataParallel`, and by \n"
    "making sure all `forward` function outputs participate in calculating loss. \n"
    "If you already have done the above, then the distributed data parallel module wasn't "
    "able to locate the output tensors in the return value of your module's `forward` "
    "function. Please include the loss function and the structure of the return value of "
    "`forward` of your module when reporting this issue (e.g. list, dict, iterable).\n"
    "Parameter indices which did not receive grad for rank {rank}: {indices}\n"
    " In addition, you can set the environment variable TORCH_DISTRIBUTED_DEBUG to either "
    "INFO or DETAIL to print out information about which particular parameters did not "
    "receive gradient on this rank as part of this error")

_MARKED_TWICE = (
    "Expected to mark a variable ready only once. This error is caused by one of the following "
    "reasons: 1) Use of a module parameter outside the `forward` function. Please make sure "
    "model parameters are not shared across multiple concurrent forward-backward passes. or "
    "try to use _set_static_graph() as a workaround if this module graph does not change "
    "during training loop.2) Reused parameters in multiple reentrant backward passes. For "
    "example, if you use multiple `checkpoint` functions to wrap the same part of your model, "
    "it would result in the same set of parameters been used by different reentrant backward "
    "passes multiple times, and hence marking a variable ready multiple times. DDP does not "
    "support such use cases in default. You can try to use _set_static_graph() as a "
    "workaround if your module graph does not change over iterations.\n"
    "Parameter at index {index} has been marked as ready twice. This means that multiple "
    "autograd engine  hooks have fired for this particular parameter during this iteration.")


def _reached_leaves(outputs) -> set:
    """The AccumulateGrad nodes (leaves) reachable backwards from the output tensors."""
    stack = [t.grad_fn for t in outputs if t.grad_fn is not None]
    seen = set(stack)
    leaves = set()
    while stack:
        node = stack.pop()
        if isinstance(node, AccumulateGrad):
            leaves.add(node)
            continue
        for nxt, _ in node._edges:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return leaves


def _hook(reducer_ref, index, _param) -> None:
    reducer = reducer_ref()
    if reducer is not None:   # the DDP module (and its reducer) may be gone
        reducer.autograd_hook(index)


class Reducer:
    """Bucketed, overlapped gradient averaging for `params` over `group` (see module doc)."""

    def __init__(self, params, bucket_indices, group, find_unused_parameters: bool):
        self.params = list(params)
        self.group = group
        self.find_unused_parameters = find_unused_parameters
        self.buckets = [Bucket([self.params[i] for i in idx], idx) for idx in bucket_indices]
        self.locator = {}   # parameter index -> (bucket number, slot in the bucket)
        for b, bucket in enumerate(self.buckets):
            for slot, index in enumerate(bucket.indices):
                self.locator[index] = (b, slot)
        n = len(self.params)
        self.ready = [False] * n
        self.local_used = [0] * n    # got a gradient since the last reduction (1/0)
        self.used = None             # local_used summed over the ranks, while it travels
        self.used_work = None
        self.unused = []             # not reachable from the outputs (find_unused_parameters)
        self.marked_unused = False
        self.expect_hooks = False    # this backward is to be synchronized
        self.require_finalize = False
        self.next_bucket = 0
        ref = weakref.ref(self)
        self.handles = [p.register_post_accumulate_grad_hook(functools.partial(_hook, ref, i))
                        for i, p in enumerate(self.params)]

    # ------------------------------------------------------------------ forward side
    def check_prior_reduction(self) -> None:
        """Raise PyTorch's error when the last synchronized backward left buckets unfinished
        (a parameter got no gradient without find_unused_parameters)."""
        if self.require_finalize:
            missing = " ".join(str(i) for i, r in enumerate(self.ready) if not r)
            raise RuntimeError(_UNFINISHED.format(rank=dist.get_rank(self.group),
                                                  indices=missing))

    def prepare_for_backward(self, outputs) -> None:
        """Expect the hooks of a synchronized backward; `outputs`: the forward's tensors,
        searched for unused parameters when find_unused_parameters is set."""
        self.expect_hooks = True
        self.next_bucket = 0
        self.ready = [False] * len(self.params)
        for bucket in self.buckets:
            bucket.pending = len(bucket.params)
        self.marked_unused = False
        self.unused = []
        if self.find_unused_parameters:
            leaves = _reached_leaves(outputs)
            self.unused = [i for i, p in enumerate(self.params)
                           if p._get_accumulator() not in leaves]

    # ------------------------------------------------------------------ backward side
    def autograd_hook(self, index: int) -> None:
        """Parameter `index` has its gradient: record it, and reduce when synchronizing."""
        self.local_used[index] = 1   # also under no_sync: "used" since the last reduction
        if not self.expect_hooks:
            return
        if self.find_unused_parameters and not self.marked_unused:
            self.marked_unused = True
            queue_callback(self._mark_rest_ready)   # runs before any finalize queued below
            for i in self.unused:
                self.mark_ready(i)
        self.mark_ready(index)

    def mark_ready(self, index: int) -> None:
        """Copy parameter `index`'s gradient into its bucket; launch the buckets now full."""
        if self.ready[index]:
            raise RuntimeError(_MARKED_TWICE.format(index=index))
        self.ready[index] = True
        self.require_finalize = True
        b, slot = self.locator[index]
        bucket = self.buckets[b]
        bucket.fill(slot, self.params[index].grad)
        bucket.pending -= 1
        if bucket.pending == 0:
            self._launch_ready_buckets()

    def _launch_ready_buckets(self) -> None:
        """Start the all-reduce of each full bucket, in bucket order (the same on every
        rank); after the last one, queue the end-of-backward wait."""
        world = dist.get_world_size(self.group)
        while self.next_bucket < len(self.buckets) and \
                self.buckets[self.next_bucket].pending == 0:
            self.buckets[self.next_bucket].launch(self._all_reduce, world)
            self.next_bucket += 1
        if self.next_bucket == len(self.buckets):
            if self.find_unused_parameters:
                self.used = tensor(self.local_used, dtype=int32,
                                   device=self.params[0].device)   # the group's backend
                self.used_work = self._all_reduce(self.used)
            queue_callback(self._finalize)

    def _all_reduce(self, tensor):
        return dist.all_reduce(tensor, op=dist.ReduceOp.SUM, group=self.group, async_op=True)

    def _mark_rest_ready(self) -> None:
        """End of backward, find_unused_parameters: parameters that were reachable but got
        no gradient (an output not in the loss) are ready too."""
        for i, r in enumerate(self.ready):
            if not r:
                self.mark_ready(i)

    def _finalize(self) -> None:
        """Wait for every bucket and write the averaged gradients into `param.grad`."""
        used = None
        if self.find_unused_parameters:
            self.used_work.wait()
            used = self.used.tolist()
        for bucket in self.buckets:
            bucket.wait()
        for bucket in self.buckets:
            bucket.write_back(used)
        self.local_used = [0] * len(self.params)
        self.used = self.used_work = None
        self.expect_hooks = False
        self.require_finalize = False

    def remove_hooks(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles = []
