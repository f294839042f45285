"""Adam/AdamW over every parameter of a group in one kernel call (PyTorch's multi-tensor apply).

The per-tensor path (adam.py: `adam_update`) calls the fused kernel once per parameter, and
each call costs about 7 us of Python and argument passing (measured: 51 parameters of 8
elements, 0.32 ms per step; 0.11 ms here). Here the parameters of a group that share an array type and a dtype go to
`adam_multi_update` (kernels/cpu/optim.py, kernels/cuda/optim.cu) in one call, described by
three tables:

- addresses, int64 (tensors, 5): where each tensor's p, grad, exp_avg, exp_avg_sq and
  max_exp_avg_sq (0 without AMSGrad) start;
- chunks, int64 (chunks, 3): rows (tensor, start, stop) of at most CHUNK elements, the units
  of work (CPU threads, CUDA blocks);
- scalars, (tensors, 2) in the arrays' dtype: each tensor's step_size and sqrt(1 - beta2^t),
  computed by the same Python lines as the per-tensor path (the steps may differ).

The kernels run adam_update's very loop per chunk, so the numbers are the per-tensor path's
bit for bit. A tensor takes this path when p, grad and its state are float32 or float64,
C-contiguous, of one size and array type, p and the state writable; the others stay on the
per-tensor path (float16/bfloat16, complex, strided views).

Parameters and moment buffers are the same arrays step after step, so their addresses and
the chunk table are kept in a `_Plan`, reused while the state holds the very same array
objects (checked by identity each step); only the gradients' addresses are read anew. A
plan holds a reference to every array it names, so no address in its tables can outlive its
array, and every size comes from the arrays themselves, never from user data: the kernel
cannot reach outside them.
"""
from __future__ import annotations

import numpy as np

from ..array_backends import kernel_for, xp_of
from .optimizer import _bump_step

__all__ = ["adam_multi_tensor", "chunk_table", "CHUNK"]

CHUNK = 1 << 16   # elements per chunk (PyTorch's multi_tensor_apply uses 65536 too)
_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def chunk_table(sizes, chunk: int | None = None) -> np.ndarray:
    """int64 rows (tensor, start, stop) cutting tensors of `sizes` into pieces of at most
    `chunk` elements (CHUNK when None); empty tensors get no row."""
    chunk = CHUNK if chunk is None else chunk
    rows = [(k, start, min(start + chunk, n))
            for k, n in enumerate(sizes) for start in range(0, n, chunk)]
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def adam_multi_tensor(opt, group: dict, pairs: list, lr: float, beta1: float,
                      beta2: float) -> list:
    """Update the (param, grad) `pairs` of `group` that the multi-tensor kernel takes, one
    call per array type and dtype; return the other pairs, for the per-tensor path."""
    amsgrad = group["amsgrad"]
    batches: dict = {}
    rest = []
    for p, grad in pairs:
        p_arr, g_arr = p._data, grad._data
        if not _takes(p_arr, g_arr):
            rest.append((p, grad))
            continue
        batches.setdefault((type(p_arr), p_arr.dtype), []).append((p, grad))
    for key, batch in batches.items():
        rest += _run_batch(opt, group, key, batch, lr, beta1, beta2, amsgrad)
    return rest


def _takes(p_arr, g_arr) -> bool:
    """Whether a parameter and its gradient suit the kernel (its state is checked by the
    plan): float32/float64, one array type, dtype and size, C-contiguous, p writable."""
    return (p_arr.dtype in _DTYPES and type(g_arr) is type(p_arr)
            and g_arr.dtype == p_arr.dtype and g_arr.size == p_arr.size
            and p_arr.flags.c_contiguous and g_arr.flags.c_contiguous
            and getattr(p_arr.flags, "writeable", True))   # CuPy arrays have no such flag


def _run_batch(opt, group, key, batch, lr, beta1, beta2, amsgrad) -> list:
    """One kernel call for the (param, grad) pairs of `batch` (one array type and dtype);
    returns the batch instead when it cannot run (no kernel for this device, or a state
    array unsuited), for the per-tensor path."""
    kernel = kernel_for(max((p._data for p, _ in batch), key=lambda a: a.size), "optim",
                        "adam_multi_update")   # threads or the serial twin: by PARALLEL_MIN
    if kernel is None:
        return batch
    states = [opt._state_of(p, group) for p, _ in batch]
    plan = _plan_for(opt, group, key, [_persistent_arrays(p, state, amsgrad)
                                       for (p, _), state in zip(batch, states)])
    if plan is None:
        return batch
    grads = [grad._data for _, grad in batch]
    address = kernel_for(grads[0], "optim", "data_address")
    plan.addresses[:, 1] = [address(g) for g in grads]
    scalars = _step_scalars(batch, states, lr, beta1, beta2, key[1])
    xp = xp_of(grads[0])
    c = key[1].type
    kernel(xp.asarray(plan.addresses), plan.chunks, xp.asarray(scalars), c(beta1),
           c(1 - beta1), c(beta2), c(1 - beta2), c(group["eps"]), c(group["weight_decay"]),
           c(1 - lr * group["weight_decay"]), bool(amsgrad), bool(group["maximize"]),
           bool(group["decoupled_weight_decay"]))
    return []


def _persistent_arrays(p, state, amsgrad) -> tuple:
    """(p, exp_avg, exp_avg_sq, max_exp_avg_sq or None): the arrays that stay from step to
    step."""
    vmax = state["max_exp_avg_sq"]._data if amsgrad else None
    return p._data, state["exp_avg"]._data, state["exp_avg_sq"]._data, vmax


def _step_scalars(batch, states, lr, beta1, beta2, dtype):
    """Bump every step counter; (tensors, 2) [step_size, sqrt(1 - beta2^t)] in `dtype`, by
    the per-tensor path's own formulas (adam.py: adam_update)."""
    per_step: dict = {}
    rows = []
    for (p, _), state in zip(batch, states):
        t = _bump_step(state["step"])
        p._version_counter.value += 1
        row = per_step.get(t)
        if row is None:
            bias_correction1 = 1 - beta1 ** t
            bias_correction2 = 1 - beta2 ** t
            row = per_step[t] = (lr / bias_correction1, bias_correction2 ** 0.5)
        rows.append(row)
    return np.array(rows, dtype=dtype)


class _Plan:
    """The tables of one batch that do not change between steps: the addresses of every
    persistent array (the gradients' column is filled in each step) and the chunk table
    (on the arrays' device). Holds the arrays themselves, keeping every address valid."""

    def __init__(self, persistent: list[tuple]):
        self.persistent = persistent
        self.ids = _ids(persistent)
        address = kernel_for(persistent[0][0], "optim", "data_address")
        self.addresses = np.array(
            [[address(p), 0, address(m), address(v), 0 if vmax is None else address(vmax)]
             for p, m, v, vmax in persistent], dtype=np.int64).reshape(-1, 5)
        sizes = [arrays[0].size for arrays in persistent]
        self.chunks = xp_of(persistent[0][0]).asarray(chunk_table(sizes))

    def holds(self, persistent: list[tuple]) -> bool:
        """Whether `persistent` names the very arrays of this plan, in order (by id: the
        plan keeps its arrays alive, so no other object can have their ids)."""
        return _ids(persistent) == self.ids


def _ids(persistent: list[tuple]) -> list[int]:
    return [id(a) for arrays in persistent for a in arrays]


def _plan_for(opt, group, key, persistent) -> _Plan | None:
    """The cached plan of this group and batch key when it still names these arrays, else a
    new one (None when a state array does not suit the kernel)."""
    plans = opt.__dict__.setdefault("_multi_tensor_plans", {})
    cache_key = (id(group),) + key
    cached = plans.get(cache_key)
    if cached is not None and cached[0] is group and cached[1].holds(persistent):
        return cached[1]
    if not all(_state_suits(arrays) for arrays in persistent):
        return None
    live = {id(g) for g in opt.param_groups}   # forget the plans of replaced groups (a
    for stale in [k for k, (g, _) in plans.items() if id(g) not in live]:   # loaded state
        del plans[stale]                                                    # dict's arrays)
    plan = _Plan(persistent)
    plans[cache_key] = (group, plan)
    return plan


def _state_suits(arrays) -> bool:
    """Whether a tensor's state arrays match its parameter (array type, dtype, size,
    C-contiguous, writable): a loaded state dict may hold anything."""
    p = arrays[0]
    for a in arrays[1:]:
        if a is None:
            continue
        if (type(a) is not type(p) or a.dtype != p.dtype or a.size != p.size
                or not a.flags.c_contiguous or not getattr(a.flags, "writeable", True)):
            return False
    return True
