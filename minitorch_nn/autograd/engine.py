"""The backward engine: walks the tape from the outputs to the leaves, iteratively.

PyTorch's scheme: first count, for every node reachable from the roots, how many edges lead
into it (its dependents). Then run nodes whose dependents are all done, newest first; the
gradients reaching a node by several paths are summed in its buffer before it runs, so each
node runs once. No recursion, so graph depth is unlimited.
"""
from __future__ import annotations

import heapq
import sys

import numpy as np
from numpy import asarray as _np_asarray, empty as _np_empty, generic as _np_generic
from numpy import ndarray as _np_ndarray

from ..array_backends import backend_of, large_arrays
from ..tensor import Tensor, _wrap
from . import grad_mode
from .function import _expandable, numpy_quiet, numpy_restore, sum_array_to
from .graph import AccumulateGrad

__all__ = ["run_backward", "start_walk", "queue_callback"]

_state = grad_mode._state

# The recorder of minitorch_nn.profiler while a profile records, else None: read once per
# backward pass; when set, every node runs through `_profiler.run_node` / `.accumulate`.
_profiler = None


# The final callbacks of the backward pass running now (None outside one): PyTorch's
# `Variable._execution_engine.queue_callback(fn)`, which DistributedDataParallel uses to wait
# for its gradient all-reduces before backward returns. run_backward swaps in a fresh list per
# pass (so a backward inside a hook keeps its own) and calls them, in order, at the end.
_final_callbacks = None


def queue_callback(fn) -> None:
    """Run `fn()` when the backward pass now running has finished (PyTorch's queue_callback).

    Only valid during backward (from a hook), as in PyTorch. Callbacks run in the order
    queued, after every gradient has been accumulated; one may queue another.
    """
    if _final_callbacks is None:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    _final_callbacks.append(fn)


def _run_with_callbacks(propagate, *args):
    """`propagate(*args)` with a callback list of its own, then the queued callbacks."""
    global _final_callbacks
    outer = _final_callbacks
    callbacks = _final_callbacks = []
    try:
        result = propagate(*args)
        i = 0
        while i < len(callbacks):   # len re-read: a callback may queue another
            callbacks[i]()
            i += 1
        return result
    finally:
        _final_callbacks = outer


def _count_dependents(roots) -> dict:
    deps: dict = {}
    stack = list(roots)
    seen = set(roots)
    while stack:
        node = stack.pop()
        for nxt, _ in node._edges:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps


def recorded_shape(node, nxt, nr: int, grad_shape: tuple):
    """The shape a gradient from `node` to output `nr` of `nxt` must be summed to, None when
    it fits: that output's shape when it was recorded (tensor.keep_recorded_shape), checked as
    PyTorch checks it (an error where the gradient does not broadcast to it)."""
    shape = nxt._recorded_shapes.get(nr)
    if shape is None or grad_shape == shape:
        return None
    if not _expandable(shape, grad_shape):
        index = node._edges.index((nxt, nr))
        raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index "
                           f"{index} - got {list(grad_shape)} but expected shape compatible "
                           f"with {list(shape)}")
    return shape


def _add_into(buffer: list, nr: int, grad) -> None:
    old = buffer[nr]
    if old is not None:
        grad = old + grad
    if isinstance(grad, _np_generic):   # numpy turns 0-d results into scalars: re-wrap them
        grad = _np_asarray(grad)
    buffer[nr] = grad


def _refs(holder: list) -> int:
    """sys.getrefcount of holder[0], as seen from here."""
    return sys.getrefcount(holder[0])


def _base_refs(array) -> int:
    """sys.getrefcount of array.base, as seen from here."""
    base = array.base
    return sys.getrefcount(base)


# What the two functions above report when nothing else holds the object: measured once with
# the same functions, so the figures fit whatever reference counting this interpreter does.
_SOLE = _refs([object()])
_SOLE_BASE = _base_refs(_np_empty(1)[:])


def _sole_owner(holder: list) -> bool:
    """May a leaf's `.grad` take over holder[0] instead of copying it?

    Yes when nothing but the engine's buffer reaches that gradient array (PyTorch's
    AccumulateGrad "steals" a gradient whose use count allows it, for the same reason: a
    copy of every parameter's gradient per step): not the user's `backward(gradient)` tensor,
    not a tensor a hook kept, not the buffer of another leaf (AddBackward hands one array to
    both inputs), and, for a view, not a base array that anything else can reach. The array
    must also be a writable C-contiguous numpy array, as the copy would have been.
    """
    refs = _refs(holder)
    if refs != _SOLE and not (refs == _SOLE + 1 and large_arrays.held(holder[0])):
        return False   # (a reused large array is also held by its cache: not a user)
    grad = holder[0]
    if type(grad) is not _np_ndarray or not (grad.flags.writeable and grad.flags.c_contiguous):
        return False
    base = grad.base
    if base is None:
        return True
    return (type(base) is _np_ndarray and base.base is None and base.nbytes == grad.nbytes
            and _base_refs(grad) == _SOLE_BASE + 1)   # + 1: `base` above


def _run_tensor_hooks(node, grads: list) -> None:
    """Hooks registered with `tensor.register_hook`, then `retain_grad()` results."""
    hooks = node._tensor_pre_hooks
    if hooks:
        for nr, fns in hooks.items():
            for fn in list(fns.values()):
                if grads[nr] is None:
                    continue
                new = fn(_wrap(grads[nr]))
                if new is not None:
                    grads[nr] = _checked_hook_result(fn, new, grads[nr])
    retained = node._retained
    if retained:
        for nr, ref in retained.items():
            t = ref()
            if t is not None and grads[nr] is not None:
                t._grad = _wrap(grads[nr].copy()) if t._grad is None \
                    else _wrap(t._grad._data + grads[nr])


def _hook_name(fn) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def _checked_hook_result(fn, new, old):
    """A tensor hook's replacement gradient: a Tensor of the same size (PyTorch's checks)."""
    if not isinstance(new, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(new).__name__}'")
    if new._data.shape != old.shape:
        raise RuntimeError(f"hook '{_hook_name(fn)}' has changed the size of value")
    return new._data


def _run_node(node, grads: list, retain_graph: bool):
    """Run one node's backward (with its hooks); grad mode is already off."""
    if node._pre_hooks:
        for fn in list(node._pre_hooks.values()):
            new = fn(tuple(None if g is None else _wrap(g) for g in grads))
            if new is not None:
                grads = [None if g is None else g._data for g in new]
    meta = node._output_meta
    if meta is not None and node._materialize_grads:
        xp = None
        for i, g in enumerate(grads):
            if g is None and meta[i] is not None:
                xp = xp or _namespace_of(grads)
                grads[i] = xp.zeros(meta[i][0], meta[i][1])
    out = node.apply(tuple(grads))
    if node._post_hooks:
        for fn in list(node._post_hooks.values()):
            new = fn(tuple(None if g is None else _wrap(g) for g in out),
                     tuple(None if g is None else _wrap(g) for g in grads))
            if new is not None:
                new = tuple(new) if isinstance(new, (tuple, list)) else (new,)
                if len(new) != len(out):
                    raise RuntimeError(f"hook '{_hook_name(fn)}' has returned an incorrect "
                                       f"number of values (got {len(new)}, but expected "
                                       f"{len(out)})")
                out = tuple(None if g is None else g._data for g in new)
    if not retain_graph:
        node._release()
    return out


def _namespace_of(grads):
    for g in grads:
        if g is not None:
            return backend_of(g).xp
    return np


def run_backward(roots, retain_graph: bool, capture=None, accumulate: bool = True):
    """Propagate `roots` = [(node, output_nr, grad_array)] back through the graph.

    `capture` maps (node, output_nr) → index: the gradient arriving there is stored in the
    returned list instead of (for leaves) being accumulated into `.grad`. The pass records
    no graph (grad mode off, as PyTorch without create_graph), hooks included, and runs with
    numpy's floating-point warnings off, as the ops' forwards do (PyTorch prints none).
    """
    previous = _state.enabled
    _state.enabled = False
    token = numpy_quiet()
    try:
        return _run_with_callbacks(_propagate, roots, retain_graph, capture, accumulate)
    finally:
        numpy_restore(token)
        _state.enabled = previous


def start_walk(roots, add):
    """The state a pass starts from: each root's gradient in its node's buffer (`add(buffer,
    output_nr, grad)` sums gradients arriving at one output), the dependents count of every
    reachable node, and the heap of ready nodes (newest first). Shared with higher_order.py."""
    root_nodes = []
    buffers: dict = {}
    for node, nr, grad in roots:
        if node not in buffers:
            buffers[node] = [None] * node._n_outputs
            root_nodes.append(node)
        add(buffers[node], nr, grad)
    deps = _count_dependents(root_nodes)
    ready = [(-n._seq, id(n), n) for n in root_nodes if deps.get(n, 0) == 0]
    heapq.heapify(ready)
    return buffers, deps, ready


def _propagate(roots, retain_graph: bool, capture, accumulate: bool):
    buffers, deps, ready = start_walk(roots, _add_into)
    captured = [None] * (len(capture) if capture else 0)
    profiler = _profiler
    heappush, heappop = heapq.heappush, heapq.heappop
    while ready:
        node = heappop(ready)[2]
        grads = buffers.pop(node, None)   # None: no gradient reached it (it still counts down)
        if grads is not None and (node._tensor_pre_hooks or node._retained):
            _run_tensor_hooks(node, grads)
        if capture:
            for nr in range(node._n_outputs):
                slot = capture.get((node, nr))
                if slot is not None and grads is not None:
                    captured[slot] = grads[nr]
        if isinstance(node, AccumulateGrad):
            if grads is not None and accumulate:
                owned = _sole_owner(grads)   # before grads[0] is read: a reference too
                if profiler is not None:
                    profiler.accumulate(node, grads[0], owned)
                else:
                    node.accumulate(grads[0], owned)
            continue
        edges = node._edges
        if grads is None:
            out = (None,) * len(edges)
        elif profiler is not None:   # minitorch_nn.profiler times the node (and its hooks)
            out = profiler.run_node(node, grads, retain_graph)
        elif node._pre_hooks or node._post_hooks or node._output_meta is not None:
            out = _run_node(node, grads, retain_graph)
        else:   # the common case, inlined
            out = node.apply(tuple(grads))
            if not retain_graph:
                node._release()
        for (nxt, nr), g in zip(edges, out):
            if nxt is None:
                continue
            if g is not None:
                if nxt._recorded_shapes is not None:
                    shape = recorded_shape(node, nxt, nr, g.shape)
                    g = g if shape is None else sum_array_to(g, shape)
                buf = buffers.get(nxt)
                if buf is None:
                    buf = buffers[nxt] = [None] * nxt._n_outputs
                _add_into(buf, nr, g)
            left = deps[nxt] - 1
            deps[nxt] = left
            if left == 0:
                heappush(ready, (-nxt._seq, id(nxt), nxt))
        out = g = None   # hold no gradient array past its node (see _sole_owner)
    return captured


def node_outputs(node) -> int:
    return node._n_outputs
