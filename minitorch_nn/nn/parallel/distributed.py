"""`nn.parallel.DistributedDataParallel`: data-parallel training across processes.

Every process (rank) holds a full copy of the model and runs it on its own share of each
batch; after backward every rank holds the gradients averaged over all ranks, so the same
optimizer step keeps the copies identical. With equal shares this is exactly training on the
whole batch in one process (the mean of per-shard mean losses is the full-batch mean).

    dist.init_process_group("gloo")            # under mpiexec or distributed.run
    model = nn.parallel.DistributedDataParallel(Net())
    loss_fn(model(x_shard), y_shard).backward() # gradients averaged across ranks here
    optimizer.step()

How, as in PyTorch (docs/distributed.md):
  * construction broadcasts parameters and buffers from rank 0, so all copies start equal;
  * each forward first broadcasts the buffers from rank 0 (`broadcast_buffers`, e.g.
    BatchNorm's running statistics), then calls `self.module`;
  * gradients are reduced in buckets (buckets.py) by the reducer (reducer.py): post-
    accumulate-grad hooks start each bucket's all-reduce as soon as it is full, overlapping
    the rest of backward, and a final backward callback waits for them and writes the
    averages into `param.grad` before `backward()` returns;
  * `no_sync()` skips the reduction (gradients accumulate locally; the next synchronized
    backward averages the sum), `find_unused_parameters` reduces parameters that got no
    gradient as zeros (without it, PyTorch's error at the next forward).

The wrapped model is `.module` (state_dict keys carry PyTorch's "module." prefix).
"""
from __future__ import annotations

import itertools
import warnings
from contextlib import contextmanager
from dataclasses import fields, is_dataclass

from ... import distributed as dist
from ...autograd import grad_mode
from ...ops.joining import cat
from ...distributed.process_group import default_group
from ...tensor import Tensor
from ..modules.module import Module
from .buckets import assign_buckets
from .reducer import Reducer

__all__ = ["DistributedDataParallel"]

_MB = 1024 * 1024
_DEFAULT_BUCKET_CAP_MB = 25
_DEFAULT_FIRST_BUCKET_BYTES = 1024 * 1024   # dist._DEFAULT_FIRST_BUCKET_BYTES
_BROADCAST_WARNING = (
    "`broadcast_buffers` is deprecated. Use `forward_sync_buffers` instead. IMPORTANT: unlike "
    "`broadcast_buffers=False`, `forward_sync_buffers=False` still syncs buffers at init. If "
    "you rely on buffers NOT being synced at init (e.g. rank-local buffers), keep using "
    "`broadcast_buffers=False` until `init_sync_buffers` is available.")


def _find_tensors(obj):
    """The tensors in a forward's output (nested lists, tuples, dicts, dataclasses)."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return list(itertools.chain.from_iterable(map(_find_tensors, obj)))
    if isinstance(obj, dict):
        return list(itertools.chain.from_iterable(map(_find_tensors, obj.values())))
    if is_dataclass(obj) and not isinstance(obj, type):
        return list(itertools.chain.from_iterable(
            _find_tensors(getattr(obj, f.name)) for f in fields(obj)))
    return []


def _broadcast_coalesced(tensors, group) -> None:
    """Overwrite `tensors` with group rank 0's values: one broadcast per dtype (the tensors
    flattened into one buffer, as PyTorch's _broadcast_coalesced)."""
    by_dtype: dict = {}
    for t in tensors:
        by_dtype.setdefault(t.dtype, []).append(t)
    with grad_mode.no_grad():
        for same in by_dtype.values():
            flat = cat([t.detach().reshape(-1) for t in same])
            dist.broadcast(flat, group=group, group_src=0)
            offset = 0
            for t in same:
                n = t.numel()
                version = t._version_counter.value
                t.copy_(flat[offset:offset + n].view(t.shape))
                t._version_counter.value = version   # PyTorch keeps buffers' versions
                offset += n


def _verify_shapes_across_ranks(params, group) -> None:
    """Every rank must wrap the same model: compare parameter counts and shapes (PyTorch's
    _verify_param_shape_across_processes), so a mismatch is an error, not a broken broadcast."""
    mine = [tuple(p.shape) for p in params]
    everyone = [None] * dist.get_world_size(group)
    dist.all_gather_object(everyone, mine, group=group)
    rank = dist.get_rank(group)
    for other, shapes in enumerate(everyone):
        if len(shapes) != len(mine):
            raise RuntimeError(f"DDP expects same model across all ranks, but Rank {rank} has "
                               f"{len(mine)} params, while rank {other} has inconsistent "
                               f"{len(shapes)} params.")
        for i, (a, b) in enumerate(zip(mine, shapes)):
            if a != b:
                raise RuntimeError(f"[Rank {rank}]: params[{i}] in this process with sizes "
                                   f"{list(a)} appears not to match sizes of the same param "
                                   f"in process {other}.")


def _bucket_limits(bucket_cap_mb, bucket_cap_mb_list) -> tuple[int, list[int]]:
    """(bucket_bytes_cap, the size limits of the buckets in bytes): PyTorch's defaults are
    25 MiB with a first bucket of 1 MiB; a bucket_cap_mb given applies to every bucket."""
    cap = int((bucket_cap_mb if bucket_cap_mb is not None else _DEFAULT_BUCKET_CAP_MB) * _MB)
    if bucket_cap_mb_list:
        return int(max(bucket_cap_mb_list) * _MB), [int(mb * _MB) for mb in bucket_cap_mb_list]
    if bucket_cap_mb is None:
        return cap, [_DEFAULT_FIRST_BUCKET_BYTES, cap]
    return cap, [cap]


def _check_device_args(params, device_ids, output_device) -> None:
    if device_ids is not None and len(device_ids) > 1:
        raise ValueError("device_ids can only be None or contain a single element.")
    types = {p.device.type for p in params}
    if len(types) != 1:
        raise ValueError("DistributedDataParallel's input module must be on the same type of "
                         f"devices, but input module parameters locate in {types}.")
    if (device_ids or output_device) and types == {"cpu"}:
        devices = {p.device for p in params}
        raise ValueError(
            "DistributedDataParallel device_ids and output_device arguments only work with "
            "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
            f"{device_ids}, output_device {output_device}, and module parameters {devices}.")


class DistributedDataParallel(Module):
    """Averages gradients of `module` across the ranks of `process_group` (module doc).

    Accepted as PyTorch's and ignored: `check_reduction` (deprecated there, with its
    warning), `static_graph` and `gradient_as_bucket_view` (gradients are copied in and out
    of the buckets either way: same values), `init_sync=False` skips the construction
    broadcast. Not supported (NotImplementedError): mixed_precision, device_mesh,
    delay_all_reduce_named_params."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=None, init_sync=True, process_group=None,
                 bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None,
                 mixed_precision=None, device_mesh=None, skip_all_reduce_unused_params=False,
                 bucket_cap_mb_list=None, batched_grad_copy=False, forward_sync_buffers=None):
        super().__init__()
        for name, value in (("mixed_precision", mixed_precision), ("device_mesh", device_mesh),
                            ("delay_all_reduce_named_params", delay_all_reduce_named_params)):
            if value is not None:
                raise NotImplementedError(f"DistributedDataParallel({name}=...) is not "
                                          "supported by minitorch_nn")
        self.process_group = process_group if process_group is not None else default_group()
        self.parameters_to_ignore = set(getattr(module, "_ddp_params_and_buffers_to_ignore",
                                                ()))
        self._module_parameters = [p for n, p in module.named_parameters()
                                   if n not in self.parameters_to_ignore]
        if not any(p.requires_grad for p in self._module_parameters):
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        _check_device_args(self._module_parameters, device_ids, output_device)
        self.device_type = self._module_parameters[0].device.type
        self.device_ids = None if self.device_type == "cpu" else list(device_ids or []) or None
        self.output_device = None if self.device_ids is None else (
            output_device if output_device is not None else self.device_ids[0])
        self.dim = dim
        self.module = module
        self.device = self._module_parameters[0].device
        self.forward_sync_buffers = self._buffer_setting(broadcast_buffers,
                                                         forward_sync_buffers)
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = False
        if check_reduction:
            warnings.warn("The `check_reduction` argument in `DistributedDataParallel` module "
                          "is deprecated. Please avoid using it.", FutureWarning, stacklevel=2)
        self.bucket_bytes_cap, limits = _bucket_limits(bucket_cap_mb, bucket_cap_mb_list)
        params = self._params_for_reducer()
        self._assign_modules_buffers()
        if init_sync:
            self._sync_module_states(params)
        indices, _ = assign_buckets(params, limits)
        self.reducer = Reducer(params, list(reversed(indices)), self.process_group,
                               find_unused_parameters)
        if static_graph:
            self._set_static_graph()

    def _sync_module_states(self, params) -> None:
        """Construction: check that every rank has the same parameter shapes, then give all
        ranks rank 0's parameters (and buffers, unless broadcast_buffers=False)."""
        _verify_shapes_across_ranks(params, self.process_group)
        states = [p for n, p in self.module.named_parameters()
                  if n not in self.parameters_to_ignore]
        if self._init_sync_buffers:
            states += self.modules_buffers
        _broadcast_coalesced(states, self.process_group)

    def _buffer_setting(self, broadcast_buffers, forward_sync_buffers) -> bool:
        """forward_sync_buffers (PyTorch 2.13's name) or the deprecated broadcast_buffers,
        with PyTorch's warnings; also sets whether the construction broadcast sends buffers."""
        if broadcast_buffers is not None:
            if forward_sync_buffers is not None:
                warnings.warn("Both `broadcast_buffers` and `forward_sync_buffers` were "
                              "specified. `broadcast_buffers` is deprecated and its value is "
                              "ignored when `forward_sync_buffers` is provided.",
                              FutureWarning, stacklevel=3)
            else:
                warnings.warn(_BROADCAST_WARNING, FutureWarning, stacklevel=3)
        if forward_sync_buffers is not None:
            self._init_sync_buffers = True
            return bool(forward_sync_buffers)
        value = True if broadcast_buffers is None else bool(broadcast_buffers)
        self._init_sync_buffers = value
        return value

    @property
    def broadcast_buffers(self) -> bool:
        return self.forward_sync_buffers

    @broadcast_buffers.setter
    def broadcast_buffers(self, value: bool) -> None:
        self.forward_sync_buffers = value

    def _params_for_reducer(self) -> list:
        """The parameters that need a gradient, in registration order, shared ones once."""
        seen, params = set(), []
        for module_name, sub in self.module.named_modules():
            for name, p in sub.named_parameters(recurse=False):
                full = f"{module_name}.{name}" if module_name else name
                if p.requires_grad and full not in self.parameters_to_ignore \
                        and id(p) not in seen:
                    seen.add(id(p))
                    params.append(p)
        return params

    def _assign_modules_buffers(self) -> None:
        self.modules_buffers = [b for n, b in self.module.named_buffers()
                                if n not in self.parameters_to_ignore]

    def _set_static_graph(self) -> None:
        """Accepted (PyTorch's optimization for a graph that never changes): same results."""
        self.static_graph = True

    # ------------------------------------------------------------------ forward
    def will_sync_module_buffers(self) -> bool:
        return (self.require_forward_param_sync and self.forward_sync_buffers
                and len(self.modules_buffers) > 0)

    def _sync_buffers(self) -> None:
        self._assign_modules_buffers()
        _broadcast_coalesced(self.modules_buffers, self.process_group)

    def forward(self, *inputs, **kwargs):
        grad_on = grad_mode.is_grad_enabled()
        if grad_on:
            self.reducer.check_prior_reduction()
        if self.will_sync_module_buffers():
            self._sync_buffers()
        if self.device_ids:
            inputs = tuple(t.to(self.device) if isinstance(t, Tensor) else t for t in inputs)
            kwargs = {k: v.to(self.device) if isinstance(v, Tensor) else v
                      for k, v in kwargs.items()}
        output = self.module(*inputs, **kwargs)
        if grad_on and self.require_backward_grad_sync:
            self.require_forward_param_sync = True
            self.reducer.prepare_for_backward(
                _find_tensors(output) if self.find_unused_parameters else [])
        else:
            self.require_forward_param_sync = False
        return output

    @contextmanager
    def no_sync(self):
        """Within this context gradients accumulate locally; the first synchronized
        backward after it averages the accumulated sums. The forward pass must be inside
        the context too (as in PyTorch)."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def train(self, mode: bool = True):
        super().train(mode)
        return self
