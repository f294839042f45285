"""Autocast: PyTorch's automatic mixed precision regions (`torch.autocast`).

    import minitorch_nn as torch
    model = torch.nn.Linear(4, 2)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = model(torch.randn(3, 4))     # linear runs in bfloat16
        loss = y.float().pow(2).mean()
    loss.backward()                      # model.weight.grad is float32

Inside a region each listed op casts its floating-point inputs (float32/float16/bfloat16 on
the region's device; float64 and integer tensors are left alone) by the op's *policy*
(op_lists.py): `lower` (to the region's dtype: matmul, linear, conv, attention), `fp32`
(to float32: losses, some pointwise math), `fp32_opt_dtype` (softmax/sum/... get
`dtype=float32` when none is given), `promote` (to the widest input type: cat, stack).
The casts are ordinary differentiable `Tensor.to(dtype)` copies (ToCopyBackward0), so
gradients come back to the parameters in their own dtype, as in PyTorch.

How an op takes part: its declaration in the op registry (ops/registry.py) wraps a listed
op once in a hook (the whole cost when autocast is off is one attribute read):

    def hooked(*args, **kwargs):          # made by the registry for "linear"
        if _AMP.on and _AMP.active():
            return autocast_call("linear", linear, *args, **kwargs)
        return linear(*args, **kwargs)

`_AMP.on` is a plain flag, True while any thread has autocast enabled; `_AMP.active()` then
reads this thread's state. `autocast_call` casts the arguments, turns autocast off for this
thread while the op runs (PyTorch's ExcludeDispatchKeyGuard: ops an op calls internally are
not cast again), and calls the op's own function (not the hook). State is per thread, as
in PyTorch.
"""
from __future__ import annotations

import collections.abc
import functools
import inspect
import threading
from typing import Any, Callable

from .._user_warning import warn_user
from .. import dtypes as _dt
from ..autograd.grad_mode import is_grad_enabled
from ..array_backends import cuda as _cuda
from ..device import _parse as _parse_device
from ..tensor import Tensor
from . import op_lists

__all__ = ["autocast", "autocast_decorator", "is_autocast_available", "custom_fwd",
           "custom_bwd", "is_autocast_enabled", "set_autocast_enabled", "get_autocast_dtype",
           "set_autocast_dtype", "is_autocast_cache_enabled", "set_autocast_cache_enabled",
           "clear_autocast_cache", "autocast_increment_nesting", "autocast_decrement_nesting",
           "get_autocast_cpu_dtype", "get_autocast_gpu_dtype", "set_autocast_cpu_dtype",
           "set_autocast_gpu_dtype", "is_autocast_cpu_enabled", "set_autocast_cpu_enabled",
           "autocast_call", "autocast_args", "autocast_listed", "AUTOCAST"]

# Device types with an autocast state in PyTorch, and their default dtypes. Only cpu and cuda
# tensors exist here; a region for another type (autocast("mps")) enters and does nothing,
# as it would in PyTorch on a machine without that device.
_DEFAULT_DTYPES = {"cpu": _dt.bfloat16, "cuda": _dt.float16, "ipu": _dt.float16,
                   "xpu": _dt.float16, "maia": _dt.bfloat16, "xla": _dt.bfloat16,
                   "mps": _dt.float16, "hpu": _dt.bfloat16, "mtia": _dt.float16,
                   "privateuseone": _dt.float16}


class _ThreadState(threading.local):
    """Per-thread autocast state (PyTorch's is thread-local too)."""

    def __init__(self) -> None:
        self.enabled = dict.fromkeys(_DEFAULT_DTYPES, False)
        self.dtype = dict(_DEFAULT_DTYPES)
        self.cache_enabled = True
        self.nesting = 0
        self.excluded = 0         # depth of autocast-dispatched ops now running
        self.active = False       # some device enabled here and no autocast op running
        self.counted = False      # this thread is counted in _Switch.threads
        self.cache = {}           # id(fp32 leaf weight) -> (weight, its low-precision copy)


_STATE = _ThreadState()


class _Switch:
    """What the ops read first: `on` is a plain attribute (a thread-local read would cost
    ~60 ns per op), True while any thread has autocast enabled; `active()` then tells whether
    it is this thread, outside an autocast-dispatched op."""

    __slots__ = ("on", "threads", "lock")

    def __init__(self) -> None:
        self.on = False
        self.threads = 0
        self.lock = threading.Lock()

    @staticmethod
    def active() -> bool:
        return _STATE.active

    def refresh(self) -> None:
        """Recompute this thread's `active` and the global `on` after a state change."""
        state = _STATE
        enabled = state.enabled["cpu"] or state.enabled["cuda"]
        state.active = enabled and state.excluded == 0
        if enabled != state.counted:
            with self.lock:
                self.threads += 1 if enabled else -1
                self.on = self.threads > 0
            state.counted = enabled


AUTOCAST = _Switch()


# ------------------------------------------------------------------ state functions
def _device_type(device_type: str) -> str:
    """'cuda:0' -> 'cuda'; unknown names raise PyTorch's device-string RuntimeError."""
    if not isinstance(device_type, str):
        raise TypeError(f"expected a device type string, got {type(device_type).__name__}")
    return _parse_device(device_type)[0]


def _supported(device_type: str) -> str:
    name = _device_type(device_type)
    if name not in _DEFAULT_DTYPES:
        raise RuntimeError("unknown device type for autocast in "
                           "get_autocast_dispatch_key_from_device_type")
    return name


def is_autocast_available(device_type: str) -> bool:
    """True for the device types PyTorch keeps an autocast state for (cpu, cuda, xpu, mps,
    ...); only cpu and cuda tensors exist here."""
    return _device_type(device_type) in _DEFAULT_DTYPES


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether autocast is on for `device_type` in this thread (None means 'cuda')."""
    return _STATE.enabled[_supported("cuda" if device_type is None else device_type)]


def set_autocast_enabled(device_type, enabled: bool | None = None) -> None:
    """set_autocast_enabled(device_type, enabled), or the older set_autocast_enabled(enabled)
    for CUDA."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    _STATE.enabled[_supported(device_type)] = bool(enabled)
    AUTOCAST.refresh()


def get_autocast_dtype(device_type: str) -> _dt.dtype:
    """The dtype `lower` ops run in for `device_type` (default: cuda float16, cpu bfloat16)."""
    name = _device_type(device_type)
    if name not in _DEFAULT_DTYPES:
        raise RuntimeError("unsupported scalarType")
    return _STATE.dtype[name]


def set_autocast_dtype(device_type: str, dtype: _dt.dtype) -> None:
    _STATE.dtype[_supported(device_type)] = dtype


def is_autocast_cache_enabled() -> bool:
    return _STATE.cache_enabled


def set_autocast_cache_enabled(enabled: bool) -> None:
    _STATE.cache_enabled = bool(enabled)


def clear_autocast_cache() -> None:
    _STATE.cache.clear()


def autocast_increment_nesting() -> int:
    _STATE.nesting += 1
    return _STATE.nesting


def autocast_decrement_nesting() -> int:
    _STATE.nesting -= 1
    return _STATE.nesting


def _deprecated(old: str, new: str) -> None:
    warn_user(f"torch.{old}() is deprecated. Please use torch.{new} instead.",
              DeprecationWarning)


def get_autocast_cpu_dtype() -> _dt.dtype:
    _deprecated("get_autocast_cpu_dtype", "get_autocast_dtype('cpu')")
    return _STATE.dtype["cpu"]


def get_autocast_gpu_dtype() -> _dt.dtype:
    _deprecated("get_autocast_gpu_dtype", "get_autocast_dtype('cuda')")
    return _STATE.dtype["cuda"]


def set_autocast_cpu_dtype(dtype: _dt.dtype) -> None:
    _deprecated("set_autocast_cpu_dtype", "set_autocast_dtype('cpu', dtype)")
    _STATE.dtype["cpu"] = dtype


def set_autocast_gpu_dtype(dtype: _dt.dtype) -> None:
    _deprecated("set_autocast_gpu_dtype", "set_autocast_dtype('cuda', dtype)")
    _STATE.dtype["cuda"] = dtype


def is_autocast_cpu_enabled() -> bool:
    _deprecated("is_autocast_cpu_enabled", "is_autocast_enabled('cpu')")
    return _STATE.enabled["cpu"]


def set_autocast_cpu_enabled(enabled: bool) -> None:
    _deprecated("set_autocast_cpu_enabled", "set_autocast_enabled('cpu', enabled)")
    set_autocast_enabled("cpu", enabled)


# ------------------------------------------------------------------ the context manager
def autocast_decorator(autocast_instance: "autocast", func: Callable) -> Callable:
    @functools.wraps(func)
    def decorate_autocast(*args, **kwargs):
        with autocast_instance:
            return func(*args, **kwargs)
    return decorate_autocast


class autocast:
    """A region (context manager or decorator) where listed ops run in mixed precision.

    autocast(device_type, dtype=None, enabled=True, cache_enabled=None): dtype defaults to
    get_autocast_dtype(device_type) (cuda: float16, cpu: bfloat16). On the CPU only float16
    and bfloat16 are accepted (any other dtype warns and disables the region, as PyTorch);
    autocast("cuda") without a usable GPU warns and disables itself. Regions nest, and
    `autocast(..., enabled=False)` inside one turns casting off for a sub-region.

        >>> import minitorch_nn as torch
        >>> with torch.autocast("cpu"):
        ...     torch.mm(torch.ones(2, 2), torch.ones(2, 2)).dtype
        torch.bfloat16
    """

    def __init__(self, device_type: str, dtype: _dt.dtype | None = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self.device = device_type
        if not is_autocast_available(self.device):
            raise RuntimeError(f"User specified an unsupported autocast device_type "
                               f"'{self.device}'")
        self._cache_enabled = (is_autocast_cache_enabled() if cache_enabled is None
                               else cache_enabled)
        if enabled:
            enabled = self._check_enabled()
        self._enabled = enabled

    def _check_enabled(self) -> bool:
        """PyTorch's checks: no GPU disables a cuda region, an unsupported CPU dtype too."""
        name = _device_type(self.device)
        if name == "cuda":
            if not _cuda.is_available():
                warn_user("CUDA is not available or torch_xla is imported. Disabling "
                              "autocast.")
                return False
            return True
        supported = (_dt.bfloat16, _dt.float16)
        if self.fast_dtype not in supported:
            upper = self.device.upper()
            warn_user(f"In {upper} autocast, but the target dtype is not supported. "
                      f"Disabling autocast.\n{upper} Autocast only supports dtypes of "
                      + ", ".join(map(str, supported)) + " currently.")
            return False
        return True

    def __enter__(self) -> "autocast":
        state = _STATE
        name = _device_type(self.device)
        self.prev_cache_enabled = state.cache_enabled
        self.prev = state.enabled[name]
        self.prev_fastdtype = state.dtype[name]
        state.enabled[name] = bool(self._enabled)
        state.dtype[name] = self.fast_dtype
        state.nesting += 1
        state.cache_enabled = self._cache_enabled
        AUTOCAST.refresh()
        return self

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> bool:
        state = _STATE
        name = _device_type(self.device)
        state.nesting -= 1
        if state.nesting == 0:        # leaving the outermost region: drop cached casts
            state.cache.clear()
        state.enabled[name] = self.prev
        state.dtype[name] = self.prev_fastdtype
        state.cache_enabled = self.prev_cache_enabled
        AUTOCAST.refresh()
        return False

    def __call__(self, func: Callable) -> Callable:
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. "
                f"Did you mean to use autocast as a context manager? For example:\n"
                f"    with torch.autocast(device_type=...):\n"
                f"        output = model(input)")
        return autocast_decorator(self, func)


# ------------------------------------------------------------------ casting
def _to(t: Tensor, dtype: _dt.dtype) -> Tensor:
    """`t.to(dtype)`: a differentiable copy (ToCopyBackward0), through the method that
    minitorch_nn.ops binds on Tensor (ops import this module, not the reverse)."""
    return t.to(dtype)


def _is_eligible(value, device_type: str) -> bool:
    """A float32/float16/bfloat16 tensor on `device_type` (float64 is never cast)."""
    if not isinstance(value, Tensor):
        return False
    np_dtype = value._data.dtype
    floating = (np_dtype.kind == "f" and np_dtype.itemsize <= 4) or np_dtype.name == "bfloat16"
    return floating and value.device.type == device_type


def _cached_cast(to: _dt.dtype, value, device_type: str):
    """`value` cast to `to` if eligible; fp32 leaf weights' low-precision copies are cached
    for the region (PyTorch's heuristic: a weight used twice is cast once, one grad node)."""
    if isinstance(value, (list, tuple)):
        return type(value)(_cached_cast(to, v, device_type) for v in value)
    if not _is_eligible(value, device_type) or value._data.dtype == to.np:
        return value
    state = _STATE
    if (state.cache_enabled and to is state.dtype[device_type] and value.dtype is _dt.float32
            and value.requires_grad and value.grad_fn is None and value._base is None
            and is_grad_enabled()):   # a copy cast under no_grad has no graph: not kept
        hit = state.cache.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        cast = _to(value, to)
        state.cache[id(value)] = (value, cast)    # holds `value`: its id is not reused
        return cast
    return _to(value, to)


def _tensors(args, kwargs):
    for value in list(args) + list(kwargs.values()):
        if isinstance(value, Tensor):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from (v for v in value if isinstance(v, Tensor))


def _promote_type(lower: _dt.dtype, args, kwargs, device_type: str) -> _dt.dtype:
    """The widest eligible input type (PyTorch's at::autocast::prioritize)."""
    current = lower
    for t in _tensors(args, kwargs):
        if not _is_eligible(t, device_type):
            continue
        nxt = t.dtype
        if current is _dt.float32 or nxt is _dt.float32:
            current = _dt.float32
        elif not (current is lower and nxt is lower):
            raise RuntimeError("Unexpected floating ScalarType in at::autocast::prioritize")
    return current


def _cast_all(to: _dt.dtype, args, kwargs, device_type: str):
    args = tuple(_cached_cast(to, a, device_type) for a in args)
    kwargs = {k: _cached_cast(to, v, device_type) for k, v in kwargs.items()}
    return args, kwargs


_BCE_BANNED = (
    "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast.\n"
    "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
    "In this case, combine the two layers using torch.nn.functional."
    "binary_cross_entropy_with_logits\nor torch.nn.BCEWithLogitsLoss.  "
    "binary_cross_entropy_with_logits and BCEWithLogits are\nsafe to autocast.")


_SIGNATURES: dict = {}   # op function -> inspect.Signature (read inside regions only)


def _float32_unless_dtype(fn: Callable, device_type: str, args, kwargs):
    """FP32_OPT_DTYPE: `dtype=float32` unless the caller gave a dtype, positionally or by
    keyword, or the input (positional or `input=`) is not eligible. The arguments are bound
    to `fn`'s signature so `softmax(x, 1, float64)` and `sum(input=x)` read as they should."""
    sig = _SIGNATURES.get(fn)
    if sig is None:
        sig = _SIGNATURES[fn] = inspect.signature(fn)
    if "dtype" not in sig.parameters:
        return args, kwargs
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError:
        return args, kwargs          # the op raises its own error for these arguments
    given = bound.arguments
    first = next(iter(given.values()), None)
    if given.get("dtype") is None and _is_eligible(first, device_type):
        given["dtype"] = _dt.float32
    return bound.args, bound.kwargs


def _apply_policy(policy: str, device_type: str, args, kwargs, fn: Callable | None = None):
    """The arguments the op `fn` runs with under `policy` (see op_lists.py)."""
    if policy == op_lists.LOWER:
        return _cast_all(_STATE.dtype[device_type], args, kwargs, device_type)
    if policy == op_lists.FP32:
        return _cast_all(_dt.float32, args, kwargs, device_type)
    if policy == op_lists.FP32_OPT_DTYPE:
        if fn is not None:
            return _float32_unless_dtype(fn, device_type, args, kwargs)
        if args and _is_eligible(args[0], device_type) and kwargs.get("dtype") is None:
            kwargs = dict(kwargs, dtype=_dt.float32)
        return args, kwargs
    if policy == op_lists.PROMOTE:
        to = _promote_type(_STATE.dtype[device_type], args, kwargs, device_type)
        return _cast_all(to, args, kwargs, device_type)
    if policy == op_lists.BANNED:
        raise RuntimeError(_BCE_BANNED)
    return args, kwargs


def autocast_listed(op: str) -> bool:
    """Whether `op` is on the CPU or the CUDA list (ops built by a factory hook only these)."""
    return op in op_lists.CPU or op in op_lists.CUDA


def _first_tensor(args, kwargs):
    for value in args:
        if isinstance(value, Tensor):
            return value
        if isinstance(value, (list, tuple)):
            for v in value:
                if isinstance(v, Tensor):
                    return v
    return next(_tensors((), kwargs), None)


def autocast_call(op: str, fn: Callable, *args, **kwargs):
    """Run op `fn(*args, **kwargs)` under the current autocast state: cast its arguments by
    the op's policy for the device of its first tensor, then call `fn` with autocast off."""
    state = _STATE
    first = _first_tensor(args, kwargs)
    if first is not None:
        device_type = first.device.type
        if state.enabled.get(device_type):
            policy = op_lists.policy_for(device_type, op, args, kwargs)
            if policy is not None:
                args, kwargs = _apply_policy(policy, device_type, args, kwargs, fn)
    state.excluded += 1
    state.active = False
    try:
        return fn(*args, **kwargs)
    finally:
        state.excluded -= 1
        state.active = state.excluded == 0 and (state.enabled["cpu"] or state.enabled["cuda"])


def autocast_args(op: str, *args) -> tuple:
    """`args` cast by the policy of `op`, for composite ops that keep autocast on inside
    (the recurrent layers: PyTorch casts their input and states, here the weights are then
    cast by the linear ops they run)."""
    first = _first_tensor(args, {})
    if first is None or not _STATE.enabled.get(first.device.type):
        return args
    device_type = first.device.type
    policy = op_lists.policy_for(device_type, op, args, {})
    if policy is None:
        return args
    return _apply_policy(policy, device_type, args, {})[0]


# ------------------------------------------------------------------ custom autograd Functions
def _cast(value, device_type: str, dtype: _dt.dtype):
    """Floating tensors (not float64) on `device_type` inside `value` cast to `dtype`."""
    if isinstance(value, Tensor):
        eligible = (value.is_floating_point() and value.device.type == device_type
                    and value.dtype is not _dt.float64)
        return value.to(dtype) if eligible else value
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, collections.abc.Mapping):
        return {_cast(k, device_type, dtype): _cast(v, device_type, dtype)
                for k, v in value.items()}
    if isinstance(value, collections.abc.Iterable) and not hasattr(value, "__array__"):
        iterable = (_cast(v, device_type, dtype) for v in value)
        return type(value)(iterable) if isinstance(value, (list, tuple)) else iterable
    return value


def custom_fwd(fwd=None, *, device_type: str, cast_inputs: _dt.dtype | None = None):
    """Decorator for a custom Function's forward: with `cast_inputs`, inside an autocast
    region, floating inputs are cast to it and forward runs with autocast off."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        args[0]._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            args[0]._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        args[0]._fwd_used_autocast = False
        if is_autocast_enabled(device_type):
            with autocast(device_type=device_type, enabled=False):
                return fwd(*_cast(args, device_type, cast_inputs),
                           **_cast(kwargs, device_type, cast_inputs))
        return fwd(*args, **kwargs)

    return decorate_fwd


def custom_bwd(bwd=None, *, device_type: str):
    """Decorator for a custom Function's backward: runs it with forward's autocast state."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        with autocast(device_type=device_type, enabled=args[0]._fwd_used_autocast,
                      dtype=args[0]._dtype):
            return bwd(*args, **kwargs)

    return decorate_bwd
