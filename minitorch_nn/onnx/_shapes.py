"""Which dims of each op's result follow the dynamic axes: a second run at other sizes.

A Reshape target written from one trace fixes every size it names. To know which sizes follow
a dynamic axis (the batch, the sequence length), the exporter first runs the forward once more
with every dynamic input dim one larger (rows repeated, so token ids and masks stay valid) and
keeps the shape of each top-level op's result. A result dim whose size differs between the two
runs is dynamic; the Reshape handler writes it as a copied input dim (0 or Shape/Gather) or as
the one inferred dim (-1). If the second run fails or calls other ops (control flow on sizes),
the exporter uses the single-trace rule (docs/export.md) instead.
"""
from __future__ import annotations

from ..autograd.op_hook import OpHook
from ..tensor import Tensor


class ShapeRecorder(OpHook):
    """A tracer hook that only keeps (Function class, result shapes) of each top-level call."""

    def __init__(self):
        self.shapes: list[tuple] = []

    def run(self, cls, args, kwargs):
        out = self.call(cls, args, kwargs)
        outs = out if type(out) is tuple else (out,)
        self.shapes.append((cls, tuple(tuple(o.shape) if isinstance(o, Tensor) else None
                                       for o in outs)))
        return out


def grown_inputs(named_inputs, dynamic_axes):
    """{id(tensor): the tensor with its dynamic dims grown}, or None if one symbol names dims
    of different sizes (nothing consistent to grow). The k-th symbol grows by k + 1, so two
    symbols that happen to have the same size here are still told apart."""
    sizes, growth = {}, {}
    plan = []
    for name, t in named_inputs:
        axes = dynamic_axes.get(name)
        if not axes:
            continue
        axes = axes if isinstance(axes, dict) else {a: f"{name}_{a}" for a in axes}
        dims = {int(a) % max(t.ndim, 1): sym for a, sym in axes.items()}
        for d, sym in dims.items():
            if sizes.setdefault(sym, t.shape[d]) != t.shape[d] or t.shape[d] == 0:
                return None
            growth.setdefault(sym, len(growth) + 1)
        plan.append((t, dims))
    grown = {}
    for t, dims in plan:
        g = t.detach()
        for d, sym in dims.items():
            g = g.index_select(d, _wrap_indices(g.shape[d], growth[sym], g))
        grown[id(t)] = g
    return grown


def _wrap_indices(n: int, extra: int, like: Tensor) -> Tensor:
    """0, 1, ..., n-1, 0, 1, ...: n + extra rows that repeat the first ones."""
    from ..creation import arange
    return arange(n + extra, device=like.device) % n


def dynamic_result_shapes(run_model, named_inputs, args, kwargs, dynamic_axes):
    """(the result shapes of every top-level op when the model runs on grown inputs, the
    grown inputs' shapes by tensor id), or (None, {}) if there are no dynamic inputs or that
    run fails."""
    grown = grown_inputs(named_inputs, dynamic_axes)
    if not grown:
        return None, {}
    swap = lambda a: grown.get(id(a), a) if isinstance(a, Tensor) else a   # noqa: E731
    args2 = tuple(swap(a) for a in args)
    kwargs2 = {k: swap(v) for k, v in kwargs.items()}
    from ..random import get_rng_state, set_rng_state
    state = get_rng_state()
    recorder = ShapeRecorder()
    try:
        with recorder:
            run_model(recorder, args2, kwargs2)
    except Exception:   # noqa: BLE001 - sizes the model refuses: use the one trace
        return None, {}
    finally:
        set_rng_state(state)
    return recorder.shapes, {key: tuple(t.shape) for key, t in grown.items()}


def note_grown(g, index: int, cls, outs) -> None:
    """Keep the grown-run shapes of record `index`'s results (g.grown, by tensor id); a record
    that is not the op the grown run called there ends the alignment (g.shadow = None)."""
    shadow = g.shadow
    if shadow is None:
        return
    if index >= len(shadow) or shadow[index][0] is not cls:
        g.shadow = None
        return
    for o, s in zip(outs, shadow[index][1]):
        if isinstance(o, Tensor) and s is not None and len(s) == o.ndim:
            g.grown[id(o)] = s


def note_sources(g, tensors) -> None:
    """Make each traced tensor of `tensors` the source of its changed sizes (Shape/Gather
    reads them there), unless an earlier tensor already is: graph inputs come first."""
    for t in tensors:
        grown = g.grown.get(id(t)) if isinstance(t, Tensor) else None
        if grown is None or not g.known(t) or g.is_constant(t):
            continue
        for d, (n, m) in enumerate(zip(t.shape, grown)):
            if n != m:
                g.dim_sources.setdefault((n, m), (t, d))
