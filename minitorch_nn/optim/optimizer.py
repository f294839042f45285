"""The Optimizer base class: parameter groups, per-parameter state, state dicts, hooks.

Invariants (PyTorch's, kept here):
- `param_groups` is a list of dicts; each holds `"params"` (a list of Tensors) and every
  hyper-parameter of `defaults` (filled in by `add_param_group`). No Tensor is in two groups.
- `state` maps a parameter Tensor (hashed by identity) to a dict of its buffers; an entry
  appears the first time a step touches the parameter (Adagrad fills it at construction).
- `state_dict()` replaces Tensors by integer indices (their position over all groups, in
  order) so it can be saved and loaded into another optimizer over other parameter objects.

Subclasses implement `step(closure=None)` decorated with `@_step_impl`, which runs the closure
with grad enabled, the update itself under `no_grad`, and the step hooks around it.
"""
from __future__ import annotations

import functools
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain
from typing import Any, Callable, Iterable

import numpy as np

from .._user_warning import warn_user
from .. import dtypes
from ..autograd.function import numpy_quiet, numpy_restore
from ..autograd.grad_mode import enable_grad, no_grad
from ..autograd.graph import RemovableHandle
from ..array_backends import backend_of, kernel_for, xp_of
from ..tensor import _INFERENCE_INPLACE, Tensor, _inference, _wrap

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook",
           "register_optimizer_step_post_hook"]


class _RequiredParameter:
    """Marks a hyper-parameter that has no default (e.g. SGD's lr in older PyTorch)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

_global_pre_hooks: "OrderedDict[int, Callable]" = OrderedDict()
_global_post_hooks: "OrderedDict[int, Callable]" = OrderedDict()


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """`hook(optimizer, args, kwargs)` runs before every optimizer's step."""
    handle = RemovableHandle(_global_pre_hooks)
    _global_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """`hook(optimizer, args, kwargs)` runs after every optimizer's step."""
    handle = RemovableHandle(_global_post_hooks)
    _global_post_hooks[handle.id] = hook
    return handle


def _typename(obj) -> str:
    """torch.typename: 'torch.FloatTensor' for tensors, 'module.Class' for other objects."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = obj if isinstance(obj, type) else type(obj)
    module = cls.__module__ or ""
    if module in ("", "builtins"):
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


def _step_impl(step: Callable) -> Callable:
    """Wrap a subclass's `step`: pre hooks, the update under no_grad (numpy's floating-point
    warnings off), post hooks.

    The closure (which recomputes the loss and calls backward) must record a graph, so it is
    the subclass's job to call it through `self._eval_closure(closure)`.
    """
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        for hook in chain(_global_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{hook} must return None or a tuple of (new_args, new_kwargs), but "
                        f"got {result}.")
                args, kwargs = result
        token = numpy_quiet()   # inf/nan flow silently through updates, as in PyTorch
        try:
            with no_grad():
                out = step(self, *args, **kwargs)
        finally:
            numpy_restore(token)
        for hook in chain(self._optimizer_step_post_hooks.values(), _global_post_hooks.values()):
            hook(self, args, kwargs)
        return out
    return wrapper


def _as_float(value, name: str):
    """A hyper-parameter given as a number or a 1-element Tensor, as a Python number."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(f"Tensor {name} must be 1-element")
        return value.item()
    return value


class Optimizer:
    """Base class of all optimizers (`torch.optim.Optimizer`).

    `params` is an iterable of Tensors, of `(name, Tensor)` pairs, or of dicts that each
    define a parameter group (`{"params": [...], "lr": 0.1}`); `defaults` holds the
    hyper-parameters a group takes when it does not name them.
    """

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ------------------------------------------------------------------ pickling and repr
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            self.__dict__.setdefault(name, OrderedDict())
        self.defaults.setdefault("differentiable", False)

    def __repr__(self) -> str:
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with its own hyper-parameters) to optimize."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        tensors, names = [], []
        for param in params:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some "
                                 "param names are missing")
            param_group["param_names"] = names
        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param))
            if not self.defaults.get("differentiable", None) and not (
                    param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(tensors) != len(set(tensors)):
            warn_user("optimizer contains a parameter group with duplicate parameters; "
                      "in future, this will cause an error; see "
                      "github.com/pytorch/pytorch/issues/40967 for more information")
        seen: set = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ gradients and step
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: `.grad = None` (default) or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                    continue
                if grad.grad_fn is not None:
                    grad.detach_()
                else:
                    grad._requires_grad = False
                grad._data[...] = 0
                grad._version_counter.value += 1

    def step(self, closure: Callable[[], float] | None = None):
        """Update the parameters once (subclasses implement it)."""
        raise NotImplementedError

    @staticmethod
    def _eval_closure(closure):
        """The loss from `closure()`, computed with grad recording on (None without one)."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """`hook(optimizer, args, kwargs)` before step; may return new (args, kwargs)."""
        return self._add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """`hook(optimizer, args, kwargs)` after step."""
        return self._add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        """`hook(optimizer)` before `state_dict()` builds its dict."""
        return self._add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        """`hook(optimizer, state_dict)` after; may return a replacement dict."""
        return self._add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        """`hook(optimizer, state_dict)` before loading; may return a replacement dict."""
        return self._add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        """`hook(optimizer)` after loading."""
        return self._add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    @staticmethod
    def _add_hook(hooks: OrderedDict, hook: Callable, prepend: bool = False):
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, Any]:
        """`{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}`.

        The state's tensors are the optimizer's own (not copies), as in PyTorch.
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        index_of: dict[int, int] = {}
        start = 0

        def pack_group(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index_of.setdefault(id(p), i)
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack_group(g) for g in self.param_groups]
        state = {(index_of[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        result = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            out = hook(self, result)
            if out is not None:
                result = out
        return result

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a dict made by `state_dict()` (of an optimizer with the same group sizes)."""
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            out = hook(self, state_dict)
            if out is not None:
                state_dict = out
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                param = id_map[key]
                state[param] = _cast_state(param, value)
            else:
                state[key] = value
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            new_groups.append(saved)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)


def _cast_state(param: Tensor, value, key=None):
    """A loaded state value placed like `param`: tensors take its device (and its float dtype,
    except the 'step' counters); containers are rebuilt; a tensor already right is kept."""
    if isinstance(value, Tensor):
        return _to_param_placement(param, value, keep_dtype=(key == "step"))
    if isinstance(value, dict):
        return {k: _cast_state(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v) for v in value)
    return value


def _to_param_placement(param: Tensor, value: Tensor, keep_dtype: bool) -> Tensor:
    arr = value._data
    target_backend = backend_of(param._data)
    if backend_of(arr) is not target_backend:
        host = backend_of(arr).to_host(arr)
        arr = target_backend.from_host(host, param.device)
    if not keep_dtype and param.is_floating_point() and arr.dtype != param._data.dtype:
        arr = arr.astype(param._data.dtype)
    if arr is value._data:
        return value
    return _wrap(arr)


# ---------------------------------------------------------------------- helpers for subclasses
def _scalar_dtype():
    """The dtype of the 'step' counters: float64 when that is the default dtype, else float32."""
    return dtypes.float64 if dtypes.get_default_dtype() is dtypes.float64 else dtypes.float32


def _new_step() -> Tensor:
    """A fresh 0-d step counter on the CPU (PyTorch's non-capturable layout)."""
    return _wrap(np.zeros((), dtype=_scalar_dtype().np))


def _bump_step(step_t: Tensor) -> float:
    """Add 1 to a step counter in place and return the new count as a Python float.

    The sum is exact in float64 and rounds once on the store, as `data + 1` in the
    counter's dtype would; a Python float in and out costs 0.2 us against 1.3 us for numpy's
    0-d arithmetic (once per parameter per step)."""
    data = step_t._data
    data[()] = float(data) + 1
    step_t._version_counter.value += 1
    return float(data)


class FusedKernel:
    """The fused update kernel `name` of kernels/<device>/optim.py (Numba on the CPU, CUDA
    on the GPU), looked up once per step rather than per parameter.

    An optimizer's `step` makes one and hands it to its update function for every
    parameter; calling it with a parameter's arrays answers the kernel, or None where the
    array formulas must run. The backend (`kernel_for`) is asked for the first parameter and
    again only when one of another device or dtype follows. The kernel takes the arrays
    when they share one float32/float64 dtype and one device and are C-contiguous and
    writable; float16, bfloat16 and strided views take the formulas.
    """

    __slots__ = ("name", "_key", "_fn")

    def __init__(self, name: str):
        self.name = name
        self._key = None
        self._fn = None

    def __call__(self, *arrays):
        first = arrays[0]
        kind, dtype = type(first), first.dtype
        if (kind, dtype) != self._key:   # optim kernels have no serial twins: size is moot
            self._key = (kind, dtype)
            self._fn = kernel_for(first, "optim", self.name)
        fn = self._fn
        if fn is None:
            return None
        for a in arrays:
            if type(a) is not kind or a.dtype != dtype or not a.flags.c_contiguous:
                return None
            if not getattr(a.flags, "writeable", True):   # CuPy arrays have no such flag
                return None
        return fn


def _no_array(p):
    """A 0-size array on p's device: the kernels' placeholder for a buffer not in use."""
    return xp_of(p).empty(0, p.dtype)


def _compute_dtype(arr):
    """The dtype the array formulas compute in: float32 for float16/bfloat16 storage (as
    PyTorch's CPU kernels do, then rounding on store), else the array's own dtype."""
    if arr.dtype.kind == "f" and arr.dtype.itemsize >= 4:
        return arr.dtype
    if arr.dtype.kind == "c":
        return arr.dtype
    return np.dtype(np.float32)


def _params_with_grad(group):
    """The group's parameters that have a gradient, each with its gradient. An inference
    tensor (a parameter of a module built under `inference_mode`) cannot be updated in
    place outside that mode: PyTorch's error, as for any in-place op on it."""
    for p in group["params"]:
        if p._grad is not None:
            if p._is_inference and not _inference.on:
                raise RuntimeError(_INFERENCE_INPLACE)
            yield p, p._grad


def _real_view(arr):
    """A complex array seen as twice as many real numbers (PyTorch's view_as_real): the
    optimizers treat real and imaginary parts as separate coordinates."""
    if arr.dtype.kind != "c":
        return arr
    if not arr.flags.c_contiguous:
        raise RuntimeError("optimizers need complex parameters and their state to be "
                           "contiguous: call .contiguous() on the parameter first")
    return arr.view(arr.real.dtype)


def _check_flags(name: str, differentiable: bool) -> None:
    """`differentiable=True` needs a graph through the update, which these optimizers do not
    record (they update arrays in place); refuse it clearly."""
    if differentiable:
        raise NotImplementedError(f"{name}(differentiable=True) is not supported by "
                                  "minitorch_nn: its updates run on raw arrays under no_grad")

