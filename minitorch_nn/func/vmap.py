"""`vmap` (torch.func.vmap, torch.vmap): map a function over a dimension of its inputs.

vmap batches for real: each vmapped input is passed to `func` as a BatchedTensor
(batched_tensor.py) holding the whole batch with the mapped dim first and answering the
per-sample shape; while `func` runs, every public op dispatches (batching_dispatch.py) to its
batching rule (batching_rules.py), which computes the whole batch with ordinary ops on the
physical tensors, or, for an op without a rule, runs that one op per sample and stacks the
results (a warning names the op, once). `func` itself runs once, whatever the batch size.
Gradients flow through the rules (they are recorded ops), so `vmap(grad(f))` gives
per-sample gradients, and nested vmaps nest levels (a BatchedTensor of a BatchedTensor).

If a BatchedTensor reaches code that cannot take it (an error naming BatchedTensor) before
`func` changed any tensor in place, vmap warns and runs the whole call once per sample
instead (the old behaviour, same numbers); after an in-place change it raises.

randomness: 'error' (default) makes any draw from the default generators inside `func`
raise PyTorch's error; 'same' gives every sample the same random numbers; 'different' gives
each sample its own (random ops on batched inputs draw with the physical shape; a draw
without batched inputs, `rand(3)`, is drawn once per sample). chunk_size runs the batch in
chunks of that size and concatenates the results.
"""
from __future__ import annotations

import contextlib
import functools
import warnings

from ._pytree import broadcast_to_and_flatten, tree_flatten, tree_unflatten
from .batched_tensor import (
    LEVELS,
    BatchedTensor,
    Level,
    NotBatchable,
    is_batched_at,
    is_tensor_like,
)
from .batching_dispatch import (
    dispatching,
    install,
    mutation_count,
    set_different,
    uninstall,
)

__all__ = ["vmap"]

_RANDOM_ERROR = ("vmap: called random operation while in randomness error mode. Please either "
                 "use the 'same' or 'different' randomness flags on vmap or perform the "
                 "randomness operation out of vmap")


def _get_name(func) -> str:
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_get_name(func.func)}, ...)"
    return repr(func)


# ----------------------------------------------------------------------------- randomness
_error_depth = 0
_guarded: list = []


def _guarded_class():
    """A Generator subclass whose stream state raises on access: the default generators
    (the CPU's and each GPU's made so far) wear it while a vmap in randomness='error' mode
    runs (every sampler reads `_ctl`)."""
    from ..generator import Generator

    class _VmapErrorGenerator(Generator):
        @property
        def _ctl(self):
            raise RuntimeError(_RANDOM_ERROR)

        @_ctl.setter
        def _ctl(self, value):
            self.__dict__["_ctl"] = value

        def get_state(self):
            return _unguarded(self, lambda: Generator.get_state(self))

        def set_state(self, new_state):
            return _unguarded(self, lambda: Generator.set_state(self, new_state))

    return _VmapErrorGenerator


_GUARD = None


def _unguarded(gen, fn):
    from ..generator import Generator
    cls = type(gen)
    gen.__class__ = Generator
    try:
        return fn()
    finally:
        gen.__class__ = cls


class _randomness_error:
    def __enter__(self):
        global _error_depth, _GUARD
        from .. import generator as _generator
        if _error_depth == 0:
            if _GUARD is None:
                _GUARD = _guarded_class()
            _guarded[:] = [_generator.default_generator, *_generator._gpu_generators.values()]
            for gen in _guarded:
                gen.__class__ = _GUARD
        _error_depth += 1

    def __exit__(self, *exc):
        global _error_depth
        from ..generator import Generator
        _error_depth -= 1
        if _error_depth == 0:
            for gen in _guarded:
                gen.__class__ = Generator
            _guarded.clear()


# ----------------------------------------------------------------------------- checks
def _check_out_dims(out_dims, func) -> None:
    if isinstance(out_dims, int):
        return
    for x in tree_flatten(out_dims)[0]:
        if x is not None and not isinstance(x, int):
            raise ValueError(
                f"vmap({_get_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, "
                "None or a python collection of ints representing where in the outputs the "
                "vmapped dimension should appear.")


def _process_inputs(in_dims, args, func):
    name = _get_name(func)
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a "
            "(potentially nested) tuple matching the structure of inputs, got: "
            f"{type(in_dims)}.")
    if len(args) == 0:
        raise ValueError(
            f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you "
            "are trying to vmap over a function with no inputs. The latter is unsupported.")
    flat_args, spec = tree_flatten(args)
    flat_in_dims = broadcast_to_and_flatten(in_dims, spec)
    if flat_in_dims is None:
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with "
            f"the structure of `inputs`. in_dims has structure {tree_flatten(in_dims)[1]} but "
            f"inputs has structure {spec}.")
    for i, (arg, d) in enumerate(zip(flat_args, flat_in_dims)):
        if not isinstance(d, int) and d is not None:
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input "
                "but in_dim must be either an integer dimension or None.")
        if isinstance(d, int) and not is_tensor_like(arg):
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input "
                f"but the input is of type {type(arg)}. We cannot vmap over non-Tensor "
                "arguments, please use None as the respective in_dim")
        if d is not None and (d < -arg.dim() or d >= arg.dim()):
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for some "
                f"input, but that input is a Tensor of dimensionality {arg.dim()} so expected "
                f"in_dim to satisfy -{arg.dim()} <= in_dim < {arg.dim()}.")
        if d is not None and d < 0:
            flat_in_dims[i] = d % arg.dim()
    sizes = [arg.size(d) for d, arg in zip(flat_in_dims, flat_args) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0], flat_in_dims, flat_args, spec


def _flat_out_dims(out_dims, outputs, spec, func):
    def incompatible():
        raise ValueError(
            f"vmap({_get_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is not "
            "compatible with the structure of `outputs`. out_dims has structure "
            f"{tree_flatten(out_dims)[1]} but outputs has structure {spec}.")

    if is_tensor_like(outputs):
        if isinstance(out_dims, int) or out_dims is None:
            return [out_dims]
        if isinstance(out_dims, tuple) and len(out_dims) == 1:
            return list(out_dims)
        incompatible()
    flat = broadcast_to_and_flatten(out_dims, spec)
    if flat is None:
        incompatible()
    return flat


# ----------------------------------------------------------------------------- vmap
@contextlib.contextmanager
def _running_level(size: int, randomness: str):
    """A new vmap level; the first one installs the ops' dispatchers, the last removes them."""
    guard = _randomness_error() if randomness == "error" else None
    if guard is not None:
        guard.__enter__()
    level = Level(len(LEVELS) + 1, size, randomness)
    if not LEVELS:
        install()
    LEVELS.append(level)
    set_different(sum(lv.randomness == "different" for lv in LEVELS))
    try:
        yield level
    finally:
        LEVELS.pop()
        set_different(sum(lv.randomness == "different" for lv in LEVELS))
        if not LEVELS:
            uninstall()
        if guard is not None:
            guard.__exit__(None, None, None)


def _blames_batching(exc: BaseException) -> bool:
    return isinstance(exc, NotBatchable) or "BatchedTensor" in str(exc)


_fell_back: set = set()


def _vmap_batched(func, batch, flat_in_dims, flat_args, spec, out_dims, randomness, kwargs):
    """(flat results, their spec): `func` run once on BatchedTensors, or per sample when
    they cannot pass (see the module docstring)."""
    name = _get_name(func)
    with _running_level(batch, randomness) as level:
        batched = [a if d is None else BatchedTensor(a if d == 0 else a.movedim(d, 0),
                                                     level.level)
                   for a, d in zip(flat_args, flat_in_dims)]
        mutations = mutation_count()
        try:
            out = dispatching(func)(*tree_unflatten(batched, spec), **kwargs)
        except (TypeError, AttributeError) as exc:
            if mutation_count() != mutations or not _blames_batching(exc):
                raise
            retry = exc
        else:
            retry = None
            flat_out, out_spec = tree_flatten(out)
            flat_out_dims = _flat_out_dims(out_dims, out, out_spec, func)
            results = [_unbatch(o, d, level, batch, name)
                       for o, d in zip(flat_out, flat_out_dims)]
    if retry is None:
        return results, out_spec
    if name not in _fell_back:
        _fell_back.add(name)
        warnings.warn(f"vmap: `{name}` could not run batched ({retry}); it ran once per "
                      "sample instead (same results, one call of it per sample).",
                      UserWarning, stacklevel=4)
    return _vmap_per_sample(func, batch, flat_in_dims, flat_args, spec, out_dims, randomness,
                            kwargs)


def _unbatch(o, d, level, batch, name):
    """An output of `func` with the batch dim at `d` (None: returned as is)."""
    if d is None:
        if is_batched_at(o, level.level):
            raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor "
                             "when out_dim is None")
        return o
    if not is_tensor_like(o):
        raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                         f"{type(o)}. Did you mean to set out_dims= to None for output?")
    if is_batched_at(o, level.level):
        v = o.value
    else:
        v = o.unsqueeze(0).expand(batch, *o.shape)
    return v if d == 0 else v.movedim(0, d)


def _vmap_per_sample(func, batch, flat_in_dims, flat_args, spec, out_dims, randomness,
                     kwargs):
    """The whole call once per sample (the fallback when func cannot run batched)."""
    import minitorch_nn as _mt

    from .. import random as _random
    start_state = _random.get_rng_state() if randomness == "same" else None
    per_sample = []
    out_spec = None
    first_out = None
    guard = _randomness_error() if randomness == "error" else None
    if guard is not None:
        guard.__enter__()
    try:
        for i in range(batch):
            if start_state is not None:
                _random.set_rng_state(start_state)
            sample = [a if d is None else a.select(d, i) for a, d in zip(flat_args, flat_in_dims)]
            out = func(*tree_unflatten(sample, spec), **kwargs)
            flat_out, o_spec = tree_flatten(out)
            if out_spec is None:
                out_spec, first_out = o_spec, out
            elif o_spec != out_spec:
                raise ValueError(f"vmap({_get_name(func)}, ...): `{_get_name(func)}` returned "
                                 "outputs of different structures for different samples")
            per_sample.append(flat_out)
    finally:
        if guard is not None:
            guard.__exit__(None, None, None)
    flat_out_dims = _flat_out_dims(out_dims, first_out, out_spec, func)
    name = _get_name(func)
    results = []
    for j, d in enumerate(flat_out_dims):
        first = per_sample[0][j]
        if d is None:
            results.append(first)
            continue
        if not is_tensor_like(first):
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                             f"{type(first)}. Did you mean to set out_dims= to None for output?")
        results.append(_mt.stack([s[j] for s in per_sample], dim=d))
    return results, out_spec


def _vmap_impl(func, in_dims, out_dims, randomness, chunk_size, args, kwargs):
    _check_out_dims(out_dims, func)
    batch, flat_in_dims, flat_args, spec = _process_inputs(in_dims, args, func)
    if chunk_size is None or chunk_size >= batch:
        results, out_spec = _vmap_batched(func, batch, flat_in_dims, flat_args, spec,
                                          out_dims, randomness, kwargs)
        return tree_unflatten(results, out_spec)
    import minitorch_nn as _mt
    chunks = []
    for start in range(0, batch, chunk_size):
        size = min(chunk_size, batch - start)
        part = [a if d is None else a.narrow(d, start, size)
                for a, d in zip(flat_args, flat_in_dims)]
        chunks.append(_vmap_batched(func, size, flat_in_dims, part, spec, out_dims,
                                    randomness, kwargs))
    out_spec = chunks[0][1]
    flat_out_dims = _flat_out_dims(out_dims, tree_unflatten(chunks[0][0], out_spec), out_spec,
                                   func)
    results = []
    for j, d in enumerate(flat_out_dims):
        parts = [c[0][j] for c in chunks]
        results.append(parts[0] if d is None else _mt.cat(parts, dim=d))
    return tree_unflatten(results, out_spec)


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """`vmap(func)(*args)`: `func` mapped over dim `in_dims` of the inputs, the results stacked
    along `out_dims` (see the module docstring: it batches through the ops' rules)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        return _vmap_impl(func, in_dims, out_dims, randomness, chunk_size, args, kwargs)

    return wrapped
