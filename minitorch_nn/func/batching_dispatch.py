"""How ops reach batching rules while a vmap runs, and the per-sample fallback.

While at least one vmap runs (and only then: outside, nothing is wrapped and ops cost what
they always cost), every public name of the registry's ops (the torch namespace,
nn.functional, linalg, special, fft, the Tensor methods, and the names nn's modules imported
directly) is replaced by a dispatcher:

  * no BatchedTensor among the arguments (one level into lists and tuples): the original op;
  * else the op's batching rule (batching_rules.py, keyed by the op's registry qualname),
    which computes the result with ordinary ops on the physical tensors;
  * else, or when the rule declines a case (returns NotImplemented), the fallback: the op
    runs once per sample on `value.select(0, i)` and the results are stacked, the old
    per-sample vmap for that one op, with a warning issued once per op naming it.

Methods called on a BatchedTensor come here through `method_on_batched`, its Python
operators through the dunders `install` sets on the class.

Randomness: 'error' is the generator guard (vmap.py). 'different': random ops on batched
inputs draw with the physical shape (a rule) or in turn per sample (fallback); a random
factory called without batched inputs (`rand(3)`) is drawn once per sample of every
'different' level and comes back batched. 'same': random ops on batched inputs run per
sample with the generator reset to the same state before each sample.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import math
import sys
import warnings

from ..tensor import Tensor
from .batched_tensor import (
    LEVELS,
    BatchedTensor,
    from_base,
    is_batched_at,
    peel,
    to_base,
)

__all__ = ["install", "uninstall", "batched_call", "method_on_batched", "Call", "RANDOM_OPS",
           "mutation_count"]

_NAMESPACES = {"torch": "minitorch_nn", "nn.functional": "minitorch_nn.nn.functional",
               "linalg": "minitorch_nn.linalg", "fft": "minitorch_nn.fft",
               "special": "minitorch_nn.special"}
# nn's modules call some ops through names they imported (Linear: `addmm`).
_IMPORTING_MODULES = ("minitorch_nn.nn.modules.",)

RANDOM_OPS = frozenset({
    "rand", "randn", "randint", "randperm", "normal", "rand_like", "randn_like",
    "randint_like", "bernoulli", "multinomial", "poisson", "Tensor.uniform_",
    "Tensor.random_", "Tensor.exponential_", "Tensor.geometric_", "Tensor.cauchy_",
    "Tensor.log_normal_", "dropout", "dropout_", "nn.functional.dropout", "alpha_dropout",
    "alpha_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_",
    "nn.functional.alpha_dropout", "nn.functional.feature_alpha_dropout",
    "nn.functional.dropout1d", "nn.functional.dropout2d", "nn.functional.dropout3d",
    "nn.functional.rrelu", "nn.functional.rrelu_", "rrelu", "rrelu_",
    "nn.functional.gumbel_softmax", "nn.functional.fractional_max_pool2d",
    "nn.functional.fractional_max_pool2d_with_indices", "nn.functional.fractional_max_pool3d",
    "nn.functional.fractional_max_pool3d_with_indices"})

# In-place ops that change a tensor's metadata rather than its values: per sample they
# would change a slice, not the batched tensor.
_METADATA_INPLACE = frozenset({"squeeze_", "unsqueeze_", "t_", "transpose_", "swapaxes_",
                               "swapdims_", "resize_", "resize_as_", "as_strided_", "set_",
                               "detach_", "requires_grad_"})
_NOT_INPLACE_DUNDERS = frozenset({"__invert__", "__index__", "__int__", "__iter__"})

_INPLACE_ERROR = ("vmap: {op}(self, *extra_args) is not possible because there exists a "
                  "Tensor `other` in extra_args that has more elements than `self`. This "
                  "happened due to `other` being vmapped over but `self` not being vmapped "
                  "over in a vmap. Please try to use out-of-place operators instead of {op}. "
                  "If said operator is being called inside the PyTorch framework, please "
                  "file a bug report instead.")
_UNBATCHED_INPLACE_RANDOM = (
    "vmap: Cannot ask for different inplace randomness on an unbatched tensor. This will "
    "appear like same randomness. If this is necessary for your usage, please file an issue "
    "with functorch.")

_state = {"patches": None, "n_ops": -1, "mutations": 0, "inside": 0, "different": 0}
_warned: set = set()


def mutation_count() -> int:
    """How many in-place ops ran while a vmap ran (vmap's whole-call fallback checks it)."""
    return _state["mutations"]


def is_inplace(name: str) -> bool:
    if name.startswith("__"):
        return name == "__setitem__" or (name.startswith("__i") and
                                         name not in _NOT_INPLACE_DUNDERS)
    return name.endswith("_")


# ----------------------------------------------------------------------------- a call
class Call:
    """One op call at vmap level `level`: what a batching rule receives."""

    __slots__ = ("decl", "fn", "name", "level", "size", "args", "kwargs")

    def __init__(self, decl, fn, name, level, args, kwargs):
        self.decl, self.fn, self.name, self.level = decl, fn, name, level
        self.size = LEVELS[level - 1].size
        self.args, self.kwargs = args, kwargs

    @property
    def qualname(self) -> str:
        return self.decl.qualname

    def batched(self, x) -> bool:
        return type(x) is BatchedTensor and x.level == self.level

    def unwrap(self, x):
        return x.value if type(x) is BatchedTensor and x.level == self.level else x

    def wrap(self, out):
        """The op's result on physical tensors as the logical result (tuples element-wise)."""
        if isinstance(out, (Tensor, BatchedTensor)):
            return BatchedTensor(out, self.level)
        if isinstance(out, tuple):
            items = [self.wrap(o) for o in out]
            return type(out)(*items) if hasattr(out, "_fields") else type(out)(items)
        if isinstance(out, list):
            return [self.wrap(o) for o in out]
        return out

    def op(self, *args, **kwargs):
        """This op on (physical) arguments, dispatched again for lower vmap levels."""
        return redispatch(self.decl, self.fn, self.name, args, kwargs)

    def bind(self):
        """The arguments bound to the op's signature (defaults applied), or None."""
        sig = _signature(self.fn)
        if sig is None:
            return None
        try:
            bound = sig.bind(*self.args, **self.kwargs)
        except TypeError:
            return None
        bound.apply_defaults()
        return bound

    def expanded(self, x):
        """`x` as a physical tensor batched at this level (expanded when it is not)."""
        if self.batched(x):
            return x.value
        return x.unsqueeze(0).expand(self.size, *x.shape)


@functools.cache
def _signature(fn):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL or p.kind is p.VAR_KEYWORD
           for p in sig.parameters.values()):
        return None
    return sig


# ----------------------------------------------------------------------------- dispatch
def _max_level(args, kwargs) -> int:
    level = 0
    for a in args:
        t = type(a)
        if t is BatchedTensor:
            if a.level > level:
                level = a.level
        elif t is list or t is tuple:
            for b in a:
                if type(b) is BatchedTensor and b.level > level:
                    level = b.level
    if kwargs:
        for a in kwargs.values():
            if type(a) is BatchedTensor and a.level > level:
                level = a.level
            elif type(a) in (list, tuple):
                for b in a:
                    if type(b) is BatchedTensor and b.level > level:
                        level = b.level
    return level


def redispatch(decl, fn, name, args, kwargs):
    level = _max_level(args, kwargs)
    if level:
        return batched_call(decl, fn, name, level, args, kwargs)
    return fn(*args, **kwargs)


def _dispatcher(decl, fn, name):
    random = decl.qualname in RANDOM_OPS
    inplace = is_inplace(name)

    def dispatch(*args, **kwargs):
        level = _max_level(args, kwargs)
        if level:
            return batched_call(decl, fn, name, level, args, kwargs)
        if random and _state["different"] and not _state["inside"]:
            return _random_unbatched(decl, fn, name, args, kwargs)
        if inplace:   # a plain tensor changed: vmap may no longer rerun func per sample
            _state["mutations"] += 1
        return fn(*args, **kwargs)

    dispatch.__wrapped__ = fn
    dispatch.__name__ = getattr(fn, "__name__", name)
    dispatch.__doc__ = getattr(fn, "__doc__", None)
    return dispatch


def batched_call(decl, fn, name, level, args, kwargs):
    """`fn(*args, **kwargs)` where BatchedTensors of level `level` (the highest) are among
    the arguments: the op's rule, else the per-sample fallback."""
    inplace = is_inplace(name)
    if inplace:
        if name in _METADATA_INPLACE:
            raise RuntimeError(f"vmap: the in-place op {name} changes a tensor's shape or "
                               "metadata, which is not supported inside vmap; use its "
                               "out-of-place form")
        if not is_batched_at(args[0], level):
            raise RuntimeError(_INPLACE_ERROR.format(op=name))
        _state["mutations"] += 1
    qualname = decl.qualname
    randomness = LEVELS[level - 1].randomness
    if qualname in RANDOM_OPS:
        args, level = _cover_different_levels(args, level, inplace)
        randomness = LEVELS[level - 1].randomness
    call = Call(decl, fn, name, level, args, kwargs)
    _state["inside"] += 1
    try:
        if not (qualname in RANDOM_OPS and randomness == "same"):
            from .batching_rules import RULES
            rule = RULES.get(qualname)
            if rule is not None and (not inplace or getattr(rule, "inplace", False)):
                out = rule(call)
                if out is not NotImplemented:
                    return out
        return fallback(call)
    finally:
        _state["inside"] -= 1


def _cover_different_levels(args, level, inplace):
    """A random op under 'different' draws for every 'different' level: its first argument
    is expanded along those levels at which it is not batched."""
    different = [lv for lv in LEVELS if lv.randomness == "different"]
    if not different or inplace or not args:
        return args, level
    x = args[0]
    base, present = peel(x)
    missing = [lv for lv in different if lv.level not in present]
    if not missing or not isinstance(base, Tensor):
        return args, level
    keep = set(present) | {lv.level for lv in missing}
    levels = [lv for lv in LEVELS if lv.level in keep]
    x = from_base(to_base(x, levels), levels)
    return (x, *args[1:]), max(level, levels[-1].level)


# ----------------------------------------------------------------------------- fallback
def _warn_once(qualname: str) -> None:
    if qualname in _warned:
        return
    _warned.add(qualname)
    warnings.warn(
        f"There is a performance drop because we have not yet implemented the batching rule "
        f"for {qualname}. Please file us an issue on GitHub so that we can prioritize its "
        "implementation. (minitorch_nn: vmap ran it once per sample; docs/func.md lists the "
        "ops with batching rules.)", UserWarning, stacklevel=4)


def _slice(a, level, i):
    if type(a) is BatchedTensor and a.level == level:
        return a.value.select(0, i)
    if type(a) in (list, tuple):
        return type(a)(_slice(b, level, i) for b in a)
    return a


def _rng_states():
    from .. import generator as _generator
    gens = [_generator.default_generator, *_generator._gpu_generators.values()]
    return [(g, g.get_state()) for g in gens]


def fallback(call: Call):
    """Run the op once per sample and stack the results (see the module docstring)."""
    _warn_once(call.qualname)
    level, args, kwargs = call.level, call.args, call.kwargs
    same = call.qualname in RANDOM_OPS and LEVELS[level - 1].randomness == "same"
    start = _rng_states() if same else None
    after = None
    outs = []
    for i in range(call.size):
        if same and i:
            for gen, state in start:
                gen.set_state(state)
        a_i = [_slice(a, level, i) for a in args]
        k_i = {k: _slice(v, level, i) for k, v in kwargs.items()}
        outs.append(call.op(*a_i, **k_i))
        if same and i == 0:
            after = _rng_states()
    if after is not None:
        for gen, state in after:
            gen.set_state(state)
    if is_inplace(call.name):
        return args[0]
    return _stack_results(outs, call)


def _stack_results(outs, call: Call):
    first = outs[0] if outs else None
    if isinstance(first, (Tensor, BatchedTensor)):
        from .. import stack
        return BatchedTensor(stack(outs), call.level)
    if isinstance(first, (tuple, list)) and first and \
            isinstance(first[0], (Tensor, BatchedTensor, tuple, list, type(None))):
        items = [_stack_results([o[j] for o in outs], call) for j in range(len(first))]
        if hasattr(first, "_fields"):
            return type(first)(*items)
        return type(first)(items)
    if first is None or all(_same_value(o, first) for o in outs[1:]):
        return first
    raise RuntimeError(f"vmap: {call.qualname} returned a Python value that differs between "
                       "samples (data-dependent); vmap cannot batch it. Rewrite the function "
                       "with tensor operations.")


def _same_value(a, b) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


def _random_unbatched(decl, fn, name, args, kwargs):
    """A random op without batched inputs under randomness='different': one draw per sample
    of every 'different' level (drawn in turn), batched at those levels."""
    if is_inplace(name):
        raise RuntimeError(_UNBATCHED_INPLACE_RANDOM)
    levels = [lv for lv in LEVELS if lv.randomness == "different"]
    n = math.prod(lv.size for lv in levels)
    _state["inside"] += 1
    try:
        outs = [fn(*args, **kwargs) for _ in range(n)]
    finally:
        _state["inside"] -= 1
    if not isinstance(outs[0], Tensor):
        return outs[0]
    from ..ops.joining import stack
    base = stack(outs).reshape(*(lv.size for lv in levels), *outs[0].shape)
    return from_base(base, levels)


# ----------------------------------------------------------------------------- methods
class _PlainMethod:
    """A Tensor method that the registry does not declare (run per sample)."""

    def __init__(self, name):
        self.qualname = f"Tensor.{name}"
        self.name = name


def method_on_batched(bt: BatchedTensor, name: str):
    """`bt.<name>`: a declared Tensor method dispatches to its rule; another Tensor method
    or property runs per sample; anything else is an AttributeError."""
    from ..ops.registry import _BOUND
    entry = _BOUND.get(name)
    if entry is not None:
        decl, fn = entry
        if isinstance(fn, property):
            getter = _property_getter(name)
            return batched_call(decl, getter, name, bt.level, (bt,), {})
        return functools.partial(_method_call, decl, fn, name, bt)
    if name == "data":       # the same batched storage, outside autograd
        return BatchedTensor(bt.value.data, bt.level)
    attr = inspect.getattr_static(Tensor, name, None)
    if not (isinstance(attr, property) or inspect.isfunction(attr)):
        raise AttributeError(f"'BatchedTensor' object has no attribute '{name}' (a "
                             "BatchedTensor answers the logical shape and the ops; this "
                             "code needs a plain Tensor)")
    decl = _PlainMethod(name)
    getter = _property_getter(name)
    if isinstance(attr, property):
        return batched_call(decl, getter, name, bt.level, (bt,), {})
    method = functools.partial(_plain_method, name)
    return functools.partial(_method_call, decl, method, name, bt)


def _getattr(self, name: str):
    """BatchedTensor.__getattr__: Tensor methods that the registry declares dispatch to
    their batching rule; other Tensor methods run per sample; anything else is an
    AttributeError."""
    if name.startswith("__") or name in ("value", "level"):
        raise AttributeError(name)
    return method_on_batched(self, name)


BatchedTensor.__getattr__ = _getattr


@functools.cache
def _property_getter(name):
    def get(self):
        return getattr(self, name)
    get.__name__ = name
    return get


def _plain_method(name, self, *args, **kwargs):
    return getattr(self, name)(*args, **kwargs)


def _method_call(decl, fn, name, bt, *args, **kwargs):
    level = max(bt.level, _max_level(args, kwargs))
    return batched_call(decl, fn, name, level, (bt, *args), kwargs)


def _dunder(name):
    def method(self, *args, **kwargs):
        from ..ops.registry import _BOUND
        decl, fn = _BOUND[name]
        return _method_call(decl, fn, name, self, *args, **kwargs)
    method.__name__ = name
    return method


# ----------------------------------------------------------------------------- install
def _patch_list():
    """(owner, attribute, original, dispatcher) for every public name of every op."""
    from ..ops.registry import _BOUND, REGISTRY
    quick = (len(REGISTRY), len(sys.modules))
    if _state["patches"] is not None and _state.get("quick") == quick:
        return _state["patches"]
    key = (len(REGISTRY), sum(1 for m in list(sys.modules) if m.startswith(_IMPORTING_MODULES)))
    _state["quick"] = quick
    if _state["patches"] is not None and _state["n_ops"] == key:
        return _state["patches"]
    wrappers: dict = {}

    def wrapper(decl, fn, name):
        key = (id(fn), name)
        if key not in wrappers:
            wrappers[key] = _dispatcher(decl, fn, name)
        return wrappers[key]

    patches = []
    by_fn = {}
    for decl in REGISTRY.values():
        path = _NAMESPACES.get(decl.namespace)
        module = importlib.import_module(path) if path else None
        names = [(n, decl.public) for n in (decl.name, *decl.aliases)]
        names += list(decl.exported.items())
        for n, fn in names:
            by_fn[id(fn)] = (decl, fn)
            if module is not None and module.__dict__.get(n) is fn:
                patches.append((module, n, fn, wrapper(decl, fn, n)))
    for name, (decl, fn) in _BOUND.items():
        if name.startswith("__") and name not in BatchedTensor.__dict__ and \
                not name.startswith("__dlpack"):
            setattr(BatchedTensor, name, _dunder(name))
        if Tensor.__dict__.get(name) is not fn or _self_only(fn):
            continue     # a method taking only self: on a plain tensor it has no batched input
        patches.append((Tensor, name, fn, wrapper(decl, fn, name)))
    for mod_name, module in list(sys.modules.items()):
        if module is None or not mod_name.startswith(_IMPORTING_MODULES):
            continue
        for n, value in list(vars(module).items()):
            hit = by_fn.get(id(value))
            if hit is not None and hit[1] is value:
                patches.append((module, n, value, wrapper(hit[0], value, n)))
    _state["patches"] = patches
    _state["n_ops"] = key
    _state["by_original"] = {id(p[2]): p[3] for p in patches if not isinstance(p[3], property)}
    return patches


def dispatching(func):
    """`func` itself, or its dispatcher when it is a public op (`vmap(torch.dot)`)."""
    return (_state.get("by_original") or {}).get(id(func), func)


def _grouped():
    """The patches grouped by owner: {owner: ({name: dispatcher}, {name: original})}."""
    patches = _patch_list()
    if _state.get("grouped_for") is not patches:
        groups: dict = {}
        for owner, name, fn, disp in patches:
            new, old = groups.setdefault(id(owner), (owner, {}, {}))[1:]
            new[name], old[name] = disp, fn
        _state["grouped"] = list(groups.values())
        _state["grouped_for"] = patches
    return _state["grouped"]


def _apply(which: int) -> None:
    """Swap originals for dispatchers (`which`=0) or back (1); a name whose value is not
    the one expected (someone else replaced it meanwhile) is left alone."""
    for owner, *names in _state["grouped"]:
        now, expected = vars(owner), names[1 - which]
        change = {n: v for n, v in names[which].items() if now.get(n) is expected[n]}
        if isinstance(owner, type):          # Tensor: setattr keeps the type's caches right
            for name, value in change.items():
                setattr(owner, name, value)
        else:                                 # a module: one dict update
            now.update(change)


def _self_only(fn) -> bool:
    """A method (or property) whose only parameter is self."""
    if isinstance(fn, property):
        return True
    sig = _signature(fn)
    return sig is not None and len(sig.parameters) == 1


def install() -> None:
    """Replace every public op name by its dispatcher (the first vmap level starts)."""
    _grouped()
    _apply(0)


def uninstall() -> None:
    """Put every original back (the last vmap level ended)."""
    if _state.get("grouped"):
        _apply(1)


def set_different(count: int) -> None:
    _state["different"] = count
