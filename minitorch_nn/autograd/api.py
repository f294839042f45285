"""`backward` and `grad`: the two entry points into the engine, with PyTorch's checks."""
from __future__ import annotations

from .._user_warning import warn_user
from ..array_backends import backend_of
from ..tensor import Tensor, _wrap
from .engine import run_backward
from .function import _edge
from .higher_order import run_backward_graph

__all__ = ["backward", "grad"]


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, (tuple, list)):
        return tuple(x)
    return (x,)


def _make_roots(outputs, grad_outputs, as_tensors: bool = False):
    """Pair each output with its gradient array (a Tensor with `as_tensors`: create_graph
    differentiates through the gradients too), checking shapes as PyTorch does."""
    roots = []
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor):
            raise TypeError(f"outputs[{i}] must be a Tensor, got {type(out).__name__}")
        node, nr = _edge(out)
        if node is None:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out.dtype.kind != 2:   # bool, int: no grad; complex: PyTorch refuses
                raise RuntimeError("grad can be implicitly created only for real scalar "
                                   f"outputs but got {out.dtype}")
            garr = backend_of(out._data).xp.ones(out._data.shape, out._data.dtype)
        else:
            if not isinstance(g, Tensor):
                raise TypeError(f"grad_outputs[{i}] must be a Tensor or None, got "
                                f"{type(g).__name__}")
            if tuple(g.shape) != tuple(out.shape):
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {out.shape}.")
            garr = g._data.astype(out._data.dtype, copy=False)
            if as_tensors:
                garr = g if g._data.dtype == out._data.dtype else g.to(out.dtype)
        if as_tensors and not isinstance(garr, Tensor):
            garr = _wrap(garr)
        roots.append((node, nr, garr))
    return roots


_CYCLE_WARNING = {"given": False}


def _warn_cycle_once() -> None:
    """PyTorch's warning (once per process) for backward(create_graph=True) into `.grad`."""
    if not _CYCLE_WARNING["given"]:
        _CYCLE_WARNING["given"] = True
        warn_user("Using backward() with create_graph=True will create a reference cycle "
                  "between the parameter and its gradient which can cause a memory leak. We "
                  "recommend using autograd.grad when creating the graph to avoid this. If you "
                  "have to use this function, make sure to reset the .grad fields of your "
                  "parameters to None after use to break the cycle and avoid the leak.",
                  UserWarning)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Compute gradients of `tensors` and accumulate them into the leaves' `.grad`.

    With `create_graph=True` the pass records its own graph (higher_order.py): `.grad` can
    then be differentiated again; `retain_graph` defaults to `create_graph`, as in PyTorch."""
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph and inputs is None:
        _warn_cycle_once()
    tensors = _as_tuple(tensors)
    roots = _make_roots(tensors, _as_tuple(grad_tensors), create_graph)
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        grads = grad(tensors, inputs, grad_tensors, retain_graph=retain_graph,
                     create_graph=create_graph, allow_unused=True)
        for t, g in zip(inputs, grads):
            if g is not None:
                if create_graph:
                    t._grad = g if t._grad is None else t._grad + g
                else:
                    t._accumulate_grad(g._data)
        return
    if create_graph:
        run_backward_graph(roots, bool(retain_graph))
    else:
        run_backward(roots, bool(retain_graph))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return the gradients of `outputs` with respect to `inputs` (no `.grad` is touched).

    With `create_graph=True` the gradients are recorded results (differentiable again)."""
    if retain_graph is None:
        retain_graph = create_graph
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    roots = _make_roots(outputs, _as_tuple(grad_outputs), create_graph)
    capture = {}
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"inputs[{i}] must be a Tensor, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        capture[_edge(t)] = i
    run = run_backward_graph if create_graph else run_backward
    captured = run(roots, bool(retain_graph), capture, accumulate=False)
    result = []
    for i, (t, g) in enumerate(zip(inputs, captured)):
        if g is None:
            if materialize_grads:
                result.append(t.new_zeros(t.shape))
                continue
            if not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is "
                                   "the desired behavior.")
            result.append(None)
        else:
            result.append(g if create_graph else _wrap(g))
    return tuple(result)
