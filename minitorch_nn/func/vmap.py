"""`vmap` (torch.func.vmap, torch.vmap): map a function over a dimension of its inputs.

This vmap runs the function once per sample: for each index `i` along the mapped dimension
it calls `func` on the slices `x.select(in_dim, i)` (inputs with in_dim None are passed
whole), then stacks each output along its `out_dim`. Inside `func` every tensor has its
per-sample shape, nested vmaps nest the loop, and gradients flow through it (select and stack
are recorded ops), so `vmap(grad(f))` gives per-sample gradients and a vmapped model over
stacked parameters can be trained. It costs one Python call of `func` per sample: fine for
small batches, slower than PyTorch's batching rules for large ones (docs/func.md).

randomness: 'error' (default) makes any draw from the default generator inside `func` raise
PyTorch's error; 'same' gives every sample the same random numbers (the generator is reset
to its state before the first sample); 'different' lets each sample draw its own (the values
are not PyTorch's batched draws).
"""
from __future__ import annotations

import functools

from ..ops.joining import stack
from ..tensor import Tensor
from ._pytree import broadcast_to_and_flatten, tree_flatten, tree_unflatten

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


def _guarded_class():
    """A Generator subclass whose stream state raises on access: the default generator wears
    it while a vmap in randomness='error' mode runs (every sampler reads `_ctl`)."""
    from ..random import Generator

    class _VmapErrorGenerator(Generator):
        @property
        def _ctl(self):
            raise RuntimeError(_RANDOM_ERROR)

        @_ctl.setter
        def _ctl(self, value):
            self.__dict__["_ctl"] = value

        def get_state(self):
            return _unguarded(lambda: Generator.get_state(self))

        def set_state(self, new_state):
            return _unguarded(lambda: Generator.set_state(self, new_state))

    return _VmapErrorGenerator


_GUARD = None


def _unguarded(fn):
    from .. import random as _random
    gen = _random.default_generator
    cls = type(gen)
    gen.__class__ = _random.Generator
    try:
        return fn()
    finally:
        gen.__class__ = cls


class _randomness_error:
    def __enter__(self):
        global _error_depth, _GUARD
        from .. import random as _random
        if _error_depth == 0:
            if _GUARD is None:
                _GUARD = _guarded_class()
            _random.default_generator.__class__ = _GUARD
        _error_depth += 1

    def __exit__(self, *exc):
        global _error_depth
        from .. import random as _random
        _error_depth -= 1
        if _error_depth == 0:
            _random.default_generator.__class__ = _random.Generator


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
        if isinstance(d, int) and not isinstance(arg, Tensor):
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

    if isinstance(outputs, Tensor):
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
def _vmap_impl(func, in_dims, out_dims, randomness, args, kwargs):
    _check_out_dims(out_dims, func)
    batch, flat_in_dims, flat_args, spec = _process_inputs(in_dims, args, func)
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
        if not isinstance(first, Tensor):
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                             f"{type(first)}. Did you mean to set out_dims= to None for output?")
        results.append(stack([s[j] for s in per_sample], dim=d))
    return tree_unflatten(results, out_spec)


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """`vmap(func)(*args)`: `func` mapped over dim `in_dims` of the inputs, the results stacked
    along `out_dims` (see the module docstring: it runs per sample)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        return _vmap_impl(func, in_dims, out_dims, randomness, args, kwargs)

    return wrapped
