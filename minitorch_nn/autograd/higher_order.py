"""The backward pass that records its own graph (`create_graph=True`): higher-order gradients.

The ordinary pass (engine.py) moves raw arrays between nodes with grad mode off: fast, but
what it computes cannot be differentiated again. With `create_graph=True` the same walk
(same order, same dependents count) moves *Tensors* with grad mode on, and each node computes
its input gradients with Tensor ops, so every gradient it produces is itself the output of
recorded ops, and `backward()` or `autograd.grad` can run through it again, to any order.

How a node computes its gradients here:
  * a built-in op (`ArrayFunction`) with a `grad_formula(ctx, *grads)`: that formula, written
    in public Tensor ops next to the op's fast array `backward`. Saved outputs unpack
    attached to the node that made them (graph.SavedTensor.unpack), so `exp`'s formula
    `grad * result` is differentiable through `result` too;
  * a user's `autograd.Function`: its own `backward`, run with grad mode on (unless it is
    marked `once_differentiable`), as PyTorch does;
  * anything else (a built-in op without a formula, CopySlices, `once_differentiable`): the
    array backward, with its results attached to a `NoDoubleBackward` node, so the first
    derivative is right and differentiating it again raises PyTorch's error naming the op
    instead of silently giving zero.
The fast pass is untouched: engine.run_backward only branches here when asked to.
"""
from __future__ import annotations

import heapq

from ..tensor import Tensor, _wrap
from . import grad_mode
from .engine import _checked_hook_result, _run_with_callbacks, recorded_shape, start_walk
from .function import (ArrayFunction, BackwardFunction, _expandable, checked_gradients,
                       numpy_quiet, numpy_restore)
from .graph import AccumulateGrad, Node

__all__ = ["run_backward_graph", "NoDoubleBackward", "reduce_grad", "sum_to", "unreduce",
           "apply_with_graph", "backward_without_graph", "linear_formula"]

_state = grad_mode._state


class NoDoubleBackward(Node):
    """Stands behind a gradient that was computed without a graph: differentiating through
    it raises (PyTorch's `Error` node of a `once_differentiable` function, and its "derivative
    for ... is not implemented" for an op without a double backward)."""

    def __init__(self, message: str, edges):
        super().__init__()
        self._message = message
        self._edges = tuple(edges)

    def apply(self, grads):
        raise RuntimeError(self._message)

    def apply_graph(self, grads):
        raise RuntimeError(self._message)


def sum_to(g, shape: tuple):
    """Tensor `g`, broadcast from `shape`, summed back to it (recorded, so differentiable)."""
    if tuple(g.shape) == tuple(shape):
        return g
    extra = g.dim() - len(shape)
    if extra:
        g = g.sum(tuple(range(extra)))
    dims = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(dims, keepdim=True) if dims else g


def unreduce(g, shape: tuple, dims: tuple, keepdim: bool):
    """Tensor `g`, the gradient of a reduction over `dims` of a tensor of `shape`, put back
    to `shape` (unsqueezed where keepdim was False, then expanded): recorded, differentiable."""
    if not keepdim:
        for d in sorted(dims):
            g = g.unsqueeze(d)
    return g.expand(*shape) if tuple(g.shape) != tuple(shape) else g


def reduce_grad(g, x):
    """Tensor `g` summed to input `x`'s shape and cast to its dtype; None for a Python
    number `x` or no gradient (the Tensor-level twin of ops/elementwise._input_grad)."""
    if not isinstance(x, Tensor) or g is None:
        return None
    g = sum_to(g, x._data.shape)
    if g._data.dtype == x._data.dtype:
        return g
    if g.is_complex() and not x.is_complex():   # a real input's gradient: the real part
        g = g.real
    return g if g._data.dtype == x._data.dtype else g.to(x.dtype)


class _LinearBackward(ArrayFunction):
    """The array backward of a *linear* op (its gradient depends on g alone: an index view,
    a diagonal, sliding windows), made a differentiable op of g. Its forward is the op's own
    fast array backward; its derivative is the op itself (the adjoint of an adjoint), applied
    with the Tensor function `redo`. Each op gets a subclass named like PyTorch's node for
    that case (`SelectBackwardBackward0`), made once by `linear_formula`."""

    @staticmethod
    def forward(ctx, g, node, redo):
        ctx.redo = redo
        return _wrap(node._forward_cls.backward(node, g._data)[0])

    @staticmethod
    def backward(ctx, gg):
        return ctx.redo(_wrap(gg))._data, None, None

    @staticmethod
    def grad_formula(ctx, gg):
        return ctx.redo(gg), None, None


_ADJOINTS: dict = {}


def linear_formula(node, g, redo):
    """The grad_formula of a linear op whose backward ignores saved tensors: the first input's
    gradient as a recorded op of `g` (see _LinearBackward); `redo(t)` is the op applied to a
    Tensor `t` shaped like its input (e.g. `lambda t: t[idx]`)."""
    cls = type(node)
    adjoint = _ADJOINTS.get(cls)
    if adjoint is None:
        name = cls.__name__.replace("Backward", "BackwardBackward", 1)
        adjoint = _ADJOINTS[cls] = type(name, (_LinearBackward,), {"node_name": name})
    return adjoint.apply(g, node, redo)


def _edge_of(t):
    from .function import _edge
    return _edge(t) if isinstance(t, Tensor) else (None, 0)


def backward_without_graph(node, grads, message: str, through_inputs: bool = True):
    """Run the node's array backward; its results stand behind a NoDoubleBackward node
    whose edges lead to the gradients that require grad and (`through_inputs`) to the node's
    own inputs, on which the result also depends. PyTorch's once_differentiable looks at
    the gradients only: its results require grad only where an incoming gradient does."""
    with grad_mode.no_grad():
        out = node.apply(tuple(None if g is None else g._data for g in grads))
    if type(out) is not tuple:
        out = (out,)
    edges = [_edge_of(g) for g in grads if isinstance(g, Tensor) and g._requires_grad]
    if through_inputs:
        edges += [e for e in node._edges if e[0] is not None]
    result = []
    guard = NoDoubleBackward(message, edges) if edges else None
    for g in out:
        if g is None:
            result.append(None)
            continue
        t = _wrap(g)
        if guard is not None and _float_kind(g):
            t._requires_grad = True
            t.grad_fn = guard
            guard._n_outputs = max(guard._n_outputs, len(result) + 1)
            t._output_nr = len(result)
        result.append(t)
    return tuple(result)


def _float_kind(array) -> bool:
    return array.dtype.kind in "fc" or array.dtype.name == "bfloat16"


def _op_name(node) -> str:
    name = type(node).__name__
    for suffix in ("Backward0", "Backward1", "Backward2", "Backward"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def apply_with_graph(node, grads):
    """The input gradients (Tensors) of `node`, computed with a graph where possible."""
    apply_graph = getattr(node, "apply_graph", None)
    if apply_graph is not None:
        return apply_graph(grads)
    if not isinstance(node, BackwardFunction):
        return backward_without_graph(node, grads, f"derivative for {node.name()} is not "
                                      "implemented in minitorch_nn (create_graph=True through it)")
    fwd = node._forward_cls
    if node._released and node._saved:
        node.saved_tensors   # raises the "second time" error
    if not fwd._array_backward:
        return _user_backward(node, fwd, grads)
    formula = getattr(fwd, "grad_formula", None)
    if formula is None:
        return backward_without_graph(node, grads, f"derivative for {type(node).__name__} is "
                                      f"not implemented: minitorch_nn has no double backward "
                                      f"for {_op_name(node)} (create_graph=True)")
    if getattr(node, "_conjugate", False):
        grads = tuple(g if g is None or not g.is_complex() else g.conj() for g in grads)
        out = _as_tuple(formula(node, *grads))
        return tuple(g if g is None or not g.is_complex() else g.conj() for g in out)
    return _as_tuple(formula(node, *grads))


def _as_tuple(out):
    return out if type(out) is tuple else tuple(out) if isinstance(out, list) else (out,)


def _user_backward(node, fwd, grads):
    """A user's Function: its Tensor backward with grad mode on (PyTorch's create_graph)."""
    backward = fwd.backward
    if getattr(backward, "_once_differentiable", False):
        return backward_without_graph(node, grads, "trying to differentiate twice a function "
                                      "that was marked with @once_differentiable", False)
    return checked_gradients(node, backward(node, *grads), lambda i, g, meta: g if meta is None
                             else _fit(node, i, g, *meta))


def _fit(node, index, g, shape, dtype):
    if tuple(g.shape) != shape:
        if not _expandable(shape, tuple(g.shape)):
            raise RuntimeError(f"Function {type(node).__name__} returned an invalid gradient at "
                               f"index {index} - got {list(g.shape)} but expected shape "
                               f"compatible with {list(shape)}")
        g = sum_to(g, shape)
    if g._data.dtype != dtype:
        from ..dtypes import from_numpy_dtype
        g = g.to(from_numpy_dtype(dtype))
    return g


def _add(old, new):
    if old is None:
        return new
    if new is None:
        return old
    return old + new


def _zeros_for(meta):
    from ..creation import zeros
    from ..dtypes import from_numpy_dtype
    return zeros(meta[0], dtype=from_numpy_dtype(meta[1]))


def run_backward_graph(roots, retain_graph: bool, capture=None, accumulate: bool = True):
    """engine.run_backward with a recorded graph: `roots` = [(node, output_nr, grad Tensor)];
    returns the captured gradients as Tensors (see engine.run_backward)."""
    previous = _state.enabled
    _state.enabled = True
    token = numpy_quiet()
    try:
        return _run_with_callbacks(_propagate, roots, retain_graph, capture, accumulate)
    finally:
        numpy_restore(token)
        _state.enabled = previous


def _add_tensor(buffer: list, nr: int, grad) -> None:
    buffer[nr] = _add(buffer[nr], grad)


def _propagate(roots, retain_graph: bool, capture, accumulate: bool):
    buffers, deps, ready = start_walk(roots, _add_tensor)
    captured = [None] * (len(capture) if capture else 0)
    while ready:
        node = heapq.heappop(ready)[2]
        grads = buffers.pop(node, None)
        if grads is not None:
            _run_tensor_hooks(node, grads)
        if capture and grads is not None:
            for nr in range(node._n_outputs):
                slot = capture.get((node, nr))
                if slot is not None:
                    captured[slot] = grads[nr]
        if isinstance(node, AccumulateGrad):
            if grads is not None and grads[0] is not None and accumulate:
                node.accumulate_tensor(grads[0])
            continue
        edges = node._edges
        out = (None,) * len(edges) if grads is None else _run_node(node, grads, retain_graph)
        for (nxt, nr), g in zip(edges, out):
            if nxt is None:
                continue
            if g is not None:
                if nxt._recorded_shapes is not None:
                    shape = recorded_shape(node, nxt, nr, tuple(g.shape))
                    g = g if shape is None else sum_to(g, shape)
                buf = buffers.get(nxt)
                if buf is None:
                    buf = buffers[nxt] = [None] * nxt._n_outputs
                buf[nr] = _add(buf[nr], g)
            deps[nxt] -= 1
            if deps[nxt] == 0:
                heapq.heappush(ready, (-nxt._seq, id(nxt), nxt))
    return captured


def _run_tensor_hooks(node, grads: list) -> None:
    hooks = node._tensor_pre_hooks
    if hooks:
        for nr, fns in hooks.items():
            for fn in list(fns.values()):
                if grads[nr] is not None:
                    new = fn(grads[nr])
                    if new is not None:
                        _checked_hook_result(fn, new, grads[nr]._data)
                        grads[nr] = new
    retained = node._retained
    if retained:
        for nr, ref in retained.items():
            t = ref()
            if t is not None and grads[nr] is not None:
                t._grad = grads[nr] if t._grad is None else t._grad + grads[nr]


def _run_node(node, grads: list, retain_graph: bool):
    if node._pre_hooks:
        for fn in list(node._pre_hooks.values()):
            new = fn(tuple(grads))
            if new is not None:
                grads = list(new)
    meta = node._output_meta
    if meta is not None and node._materialize_grads:
        grads = [_zeros_for(meta[i]) if g is None and meta[i] is not None else g
                 for i, g in enumerate(grads)]
    out = apply_with_graph(node, grads)
    n_edges = len(node._edges)
    if len(out) != n_edges:
        if len(out) > n_edges and all(g is None for g in out[n_edges:]):
            out = out[:n_edges]
        else:
            raise RuntimeError(f"function {type(node).__name__} returned an incorrect number "
                               f"of gradients (expected {n_edges}, got {len(out)})")
    if node._post_hooks:
        for fn in list(node._post_hooks.values()):
            new = fn(tuple(out), tuple(grads))
            if new is not None:
                out = tuple(new) if isinstance(new, (tuple, list)) else (new,)
    if not retain_graph:
        node._release()
    return out
