"""`Function`: an op with a forward and a backward, recorded on the tape when needed.

Public use mirrors `torch.autograd.Function`:

    class Double(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    y = Double.apply(x)

`forward` and `backward` get and return Tensors. The built-in ops (`minitorch_nn.ops`) are
`ArrayFunction`s: same structure, but `backward` gets and returns raw backend arrays, which
keeps the per-op Python overhead small. A node is recorded only when grad mode is on and some
tensor argument requires grad; otherwise `apply` is just the forward.
"""
from __future__ import annotations

from . import grad_mode
from .graph import _NO_TENSOR, Node, SavedTensor

__all__ = ["Function", "ArrayFunction", "FunctionCtx", "once_differentiable"]

_state = grad_mode._state


class FunctionCtx:
    """The context of a forward call that records nothing (no tensor needs a gradient)."""

    __slots__ = ("__dict__",)

    needs_input_grad = ()

    def save_for_backward(self, *tensors) -> None:
        pass

    def mark_dirty(self, *tensors) -> None:
        pass

    def mark_non_differentiable(self, *tensors) -> None:
        pass

    def set_materialize_grads(self, value: bool) -> None:
        pass


class BackwardFunction(Node):
    """The node of one recorded `Function.apply` call; it is also the `ctx` of that call."""

    _forward_cls = None
    _to_save = ()
    _saved = ()
    _released = False
    _non_differentiable = ()
    _materialize_grads = True

    # --- ctx API used inside forward and backward -----------------------------------------
    def save_for_backward(self, *tensors) -> None:
        self._to_save = tensors

    def mark_dirty(self, *tensors) -> None:
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize_grads = value

    @property
    def saved_tensors(self) -> tuple:
        if self._released:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        return tuple(None if s is None else s.unpack() for s in self._saved)

    # --- node API used by the engine ------------------------------------------------------
    def apply(self, grads):
        fwd = self._forward_cls
        if self._released and self._saved:
            self.saved_tensors   # raises the "second time" error
        if fwd._array_backward:
            out = fwd.backward(self, *grads)
        else:
            out = _tensor_backward(self, fwd, grads)
        if type(out) is not tuple:
            out = (out,)
        if len(out) != len(self._edges):
            if len(out) > len(self._edges) and all(g is None for g in out[len(self._edges):]):
                out = out[: len(self._edges)]
            else:
                raise RuntimeError(
                    f"function {type(self).__name__} returned an incorrect number of gradients "
                    f"(expected {len(self._edges)}, got {len(out)})")
        return out

    def _release(self) -> None:
        if self._saved:
            self._saved = ()
            self._released = True


def _tensor_backward(ctx, fwd, grads):
    """Run a user's Tensor-level backward: wrap the arrays, unwrap the results."""
    from ..tensor import Tensor, _wrap
    with grad_mode.no_grad():
        out = fwd.backward(ctx, *(None if g is None else _wrap(g) for g in grads))
    if type(out) is not tuple:
        out = (out,)
    result = []
    for g in out:
        if g is None:
            result.append(None)
        elif isinstance(g, Tensor):
            result.append(g._data)
        else:
            raise TypeError(f"{type(ctx).__name__}.backward must return Tensors or None, "
                            f"got {type(g).__name__}")
    return tuple(result)


class _FunctionMeta(type):
    """Gives each Function subclass its node class, named as PyTorch names it (MulBackward0)."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        suffix = "Backward0" if attrs.get("_array_backward", cls._array_backward) else "Backward"
        cls._backward_cls = type(name + suffix, (BackwardFunction,), {"_forward_cls": cls})


class Function(metaclass=_FunctionMeta):
    """Base of differentiable ops: subclass it with static `forward` and `backward`."""

    _array_backward = False   # True for built-in ops: backward works on raw arrays

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward "
                                  "mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        if _state.enabled:
            for a in args:
                if getattr(a, "_requires_grad", False):
                    return _record(cls, args, kwargs)
        return cls.forward(FunctionCtx(), *args, **kwargs)


class ArrayFunction(Function):
    """A built-in op: `forward(ctx, *args)` returns Tensors, `backward` maps arrays to arrays."""

    _array_backward = True


def _edge(t):
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    if t._requires_grad:
        return (t._get_accumulator(), 0)
    return _NO_TENSOR


def _record(cls, args, kwargs):
    """Run `cls.forward` with a fresh node as ctx and connect the outputs to that node."""
    from ..tensor import Tensor
    node = cls._backward_cls()
    node.needs_input_grad = tuple(getattr(a, "_requires_grad", False) for a in args)
    node._edges = tuple(_edge(a) if isinstance(a, Tensor) else _NO_TENSOR for a in args)
    if cls._array_backward:
        out = cls.forward(node, *args, **kwargs)
    else:
        with grad_mode.no_grad():
            out = cls.forward(node, *args, **kwargs)
    outputs = out if type(out) is tuple else (out,)
    outputs = tuple(_fresh_output(o, args) for o in outputs)
    non_diff = node._non_differentiable
    for nr, o in enumerate(outputs):
        if isinstance(o, Tensor) and o.dtype.kind >= 2 and not any(o is n for n in non_diff):
            o._requires_grad = True
            o.grad_fn = node
            o._output_nr = nr
    node._n_outputs = len(outputs)
    node._output_meta = tuple((o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None
                              for o in outputs)
    if node._to_save:
        node._saved = tuple(_pack(t, outputs, node) for t in node._to_save)
        node._to_save = ()
    return outputs if type(out) is tuple else outputs[0]


def _fresh_output(o, args):
    """An output that is one of the inputs is returned as a new alias (as PyTorch does)."""
    for a in args:
        if o is a:
            return o._alias()
    return o


def _pack(t, outputs, node):
    if t is None:
        return None
    for nr, o in enumerate(outputs):
        if t is o:
            return SavedTensor(t, nr, node)
    return SavedTensor(t, None, node)


def once_differentiable(fn):
    """Accepted for compatibility: minitorch_nn backward passes are never differentiated."""
    return fn
