"""ONNX nodes for ops that split a tensor into several or join several into one, and for the
triangle masks: split/chunk, unbind, stack, tril, triu."""
from __future__ import annotations

from ._handlers import _dt, _in, handles, unsupported


@handles("ops.joining", "Split")
def _split(g, rec):
    """split / chunk / tensor_split with sizes: one Split node with the sizes as an input."""
    x, dim, sizes = rec.args
    outs = g.node("Split", [g.value(x), g.ints(sizes)], n_out=len(sizes), axis=int(dim))
    return tuple(outs) if len(sizes) > 1 else (outs,)


@handles("ops.joining", "Unbind")
def _unbind(g, rec):
    """unbind(x, dim): Split into pieces of 1, then drop `dim` from each."""
    x, dim = rec.args
    n = x.shape[dim]
    if n == 0:
        return ()
    pieces = g.node("Split", [g.value(x), g.ints([1] * n)], n_out=n, axis=int(dim))
    pieces = pieces if n > 1 else [pieces]
    return tuple(g.node("Squeeze", [p, g.ints([dim])]) for p in pieces)


@handles("ops.joining", "Stack")
def _stack(g, rec):
    """stack(tensors, dim): each tensor gains `dim` (Unsqueeze), then Concat along it."""
    dim, _, *tensors = rec.args
    dt, axis = _dt(rec.out), int(dim) % rec.out.ndim
    parts = [g.node("Unsqueeze", [_in(g, t, dt), g.ints([axis])]) for t in tensors]
    return g.node("Concat", parts, axis=axis)


def _triangle(upper: int):
    def handler(g, rec):
        x = rec.args[0]
        diagonal = rec.args[1] if len(rec.args) > 1 else rec.kwargs.get("diagonal", 0)
        if g.opset < 14:
            unsupported(rec, f"in opset {g.opset} (Trilu needs opset 14 or newer)")
        return g.node("Trilu", [g.value(x), g.scalar(int(diagonal), "int64")], upper=upper)
    return handler


handles("ops.linalg_extra", "Triu")(_triangle(1))
handles("ops.linalg_extra", "Tril")(_triangle(0))
