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

import warnings

from numpy.exceptions import ComplexWarning as _ComplexWarning

from ..array_backends import _BY_ARRAY_TYPE
from ..tensor import Tensor, _inference, _wrap
from . import grad_mode
from .graph import _NO_GRAD, _NO_TENSOR, Node, SavedTensor

__all__ = ["Function", "ArrayFunction", "FunctionCtx", "once_differentiable", "numpy_quiet",
           "numpy_restore"]

# Built-in ops run with numpy's floating-point warnings off ("overflow encountered in
# multiply", ...): PyTorch lets inf and nan flow silently. numpy >= 2 keeps its error state in
# a context variable; setting it for the duration of an op costs two C calls (an
# `np.errstate` block would cost ~1 us). The user's own numpy settings are untouched.
try:
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj
    _QUIET = _make_extobj(all="ignore")
    numpy_restore = _extobj_contextvar.reset

    def numpy_quiet():
        """numpy's floating-point warnings off; returns the token for numpy_restore."""
        return _extobj_contextvar.set(_QUIET)
except (ImportError, TypeError):   # numpy < 2: warnings are not silenced
    def numpy_quiet():
        return None

    def numpy_restore(token) -> None:
        pass

_state = grad_mode._state

# A tool that sees every built-in op call, or None: an object whose `run(cls, args, kwargs)`
# runs the op (set by minitorch_nn.onnx while exporting, minitorch_nn.profiler while
# profiling, testing.compare while comparing; each saves the previous one and chains to it).
_tracer = None
# ops/inplace.py's `refresh_view`: gives a view whose storage was written in place since its
# grad_fn was set (through its base or a sibling view) its base's current history, as
# PyTorch regenerates a view's grad_fn when the version counter moved.
_refresh_view = None


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
    _dirty = ()
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
        return tuple([None if s is None else s.unpack(self) for s in self._saved])

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
    """Run a user's Tensor-level backward: wrap the arrays, check and unwrap the results.

    As PyTorch's engine does, a gradient for a non-tensor input must be None, and a gradient
    must have its input's shape (or one that sums back to it) and is cast to its dtype.
    """
    with grad_mode.no_grad():
        out = fwd.backward(ctx, *(None if g is None else _wrap(g) for g in grads))
    return checked_gradients(ctx, out, lambda i, g, meta: g._data if meta is None
                             else _fit_gradient(ctx, i, g._data, *meta))


def checked_gradients(ctx, out, fit) -> tuple:
    """The results of a user's backward, checked as PyTorch's engine checks them: each is None
    or a Tensor, and None for an input that was not a Tensor. `fit(index, grad, meta)` turns a
    gradient into what the pass moves on (meta: the input's (shape, dtype), None if unknown)."""
    if type(out) is not tuple:
        out = (out,)
    meta = ctx.__dict__.get("_input_meta", ())
    result = []
    for i, g in enumerate(out):
        if g is None:
            result.append(None)
            continue
        if not isinstance(g, Tensor):
            raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
        if i < len(meta) and meta[i] is None:
            raise RuntimeError(f"function {type(ctx).__name__} returned a gradient different "
                               f"than None at position {i + 1}, but the corresponding forward "
                               "input was not a Variable")
        result.append(fit(i, g, meta[i] if i < len(meta) else None))
    return tuple(result)


def _fit_gradient(ctx, index: int, grad, shape: tuple, dtype):
    """`grad` summed to `shape` (if it broadcasts) and cast to `dtype`, else RuntimeError."""
    if grad.shape != shape:
        if not _expandable(shape, grad.shape):
            raise RuntimeError(f"Function {type(ctx).__name__} returned an invalid gradient at "
                               f"index {index} - got {list(grad.shape)} but expected shape "
                               f"compatible with {list(shape)}")
        grad = sum_array_to(grad, shape)
    return grad if grad.dtype == dtype else grad.astype(dtype)


def sum_array_to(grad, shape: tuple):
    """An array gradient that broadcasts to `shape` summed back to it."""
    extra = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(extra))) if extra else grad
    axes = tuple(d for d, n in enumerate(shape) if n == 1 and grad.shape[d] != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


def _expandable(shape: tuple, target: tuple) -> bool:
    """Can a tensor of `shape` be broadcast (expanded) to `target`?"""
    if len(shape) > len(target):
        return False
    return all(s == t or s == 1 for s, t in zip(reversed(shape), reversed(target)))


class _FunctionMeta(type):
    """Gives each Function subclass its node class, named as PyTorch names it: `MulBackward0`
    from class `Mul`, or the class's own `node_name` where PyTorch numbers the variants of
    one op (`node_name = "SumBackward1"`) or names the node otherwise (`CopyBackwards`);
    `node_qualified_name` is what `node.name()` answers for PyTorch's namespaced C++ nodes."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        suffix = "Backward0" if attrs.get("_array_backward", cls._array_backward) else "Backward"
        node = attrs.get("node_name") or name + suffix
        body = {"_forward_cls": cls}
        if attrs.get("node_qualified_name"):
            body["_qualified_name"] = attrs["node_qualified_name"]
        cls._backward_cls = type(node, (BackwardFunction,), body)


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
    """A built-in op: `forward(ctx, *args)` returns Tensors, `backward` maps arrays to arrays.

    `apply` first checks that the tensor arguments live on one device (PyTorch's error), so
    an op never hands numpy and CuPy arrays to the same array routine. Until a second backend
    exists (the first `cuda` tensor) every array is numpy and the check is skipped. The
    forward runs with numpy's floating-point warnings off (the backward pass too: engine.py).
    """

    _array_backward = True
    complex_grad_direct = False   # True: backward follows PyTorch's complex convention itself
    # Where PyTorch turns a Python number argument into an ordinary tensor (the operands of
    # add, sub, mul, div): see `_below_autograd`.
    wrapped_scalars = ()
    # True for ops PyTorch writes as a copy into a new ordinary tensor (clone, .to()): they
    # record even when every input is an inference tensor.
    copies_into_new_tensor = False

    @classmethod
    def apply(cls, *args, **kwargs):
        if _tracer is not None:   # a tool is watching (ONNX export, profiler, compare)
            return _tracer.run(cls, args, kwargs)
        if len(_BY_ARRAY_TYPE) > 1:
            _check_one_device(args, kwargs)
        token = numpy_quiet()
        try:
            if _state.enabled:
                for a in args:
                    if getattr(a, "_requires_grad", False) or _stale_view(a):
                        if a._is_inference and _below_autograd(cls, args, kwargs):
                            break
                        return _record(cls, args, kwargs)
            return cls.forward(FunctionCtx(), *args, **kwargs)
        finally:
            numpy_restore(token)


def _below_autograd(cls, args, kwargs) -> bool:
    """Whether PyTorch runs this built-in op without recording it although an input requires
    grad: when every tensor argument is an inference tensor (outside inference mode; such
    a tensor can require grad, as the weights of a module built under `inference_mode` do).

    PyTorch's inference tensors carry no autograd dispatch key, so an op that sees only
    inference tensors skips autograd: `weight.t()`, `weight.exp()` or `w1 * w2` give results
    that require no grad, and `nn.Linear` (addmm of `weight.t()`) gives its weight no
    gradient. A Python number that PyTorch wraps into an ordinary tensor (`weight * 2`) counts
    as an ordinary tensor, and clone/.to() copy into a new ordinary tensor: those record;
    so does an op given an array (a mask or index the op unwrapped). Reached only when a
    requiring-grad argument is an inference tensor.
    """
    if cls.copies_into_new_tensor:
        return False
    for i, a in enumerate((*args, *kwargs.values()) if kwargs else args):
        if isinstance(a, Tensor):
            if not a._is_inference:
                return False
        elif type(a) in _BY_ARRAY_TYPE:   # a tensor the op passed on as its array (a mask)
            return False
        elif i in cls.wrapped_scalars and isinstance(a, (int, float, complex)):
            return False
    return True


def _check_one_device(args, kwargs) -> None:
    """PyTorch's error unless every tensor argument has the same array type (device)."""
    kind = first = None
    for a in (*args, *kwargs.values()) if kwargs else args:
        if isinstance(a, Tensor):
            if kind is None:
                kind, first = type(a._data), a
            elif type(a._data) is not kind:
                _device_mismatch(first, a)


def _device_mismatch(a, b):
    raise RuntimeError(f"Expected all tensors to be on the same device, but found at least "
                       f"two devices, {a.device} and {b.device}!")


def _stale_view(a) -> bool:
    """Whether `a` is a view written since its grad_fn was set whose base now records a
    graph: it is refreshed (and so requires grad). Only views pay the check's cost."""
    if getattr(a, "_base", None) is None or a._view_version == a._version_counter.value:
        return False
    _refresh_view(a)
    return a._requires_grad


def _edge(t):
    """Where the gradient of tensor `t` goes: its node, its leaf accumulator, or nowhere."""
    if t._base is not None and t._view_version != t._version_counter.value:
        _refresh_view(t)
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    if t._requires_grad:
        return (t._get_accumulator(), 0)
    return _NO_GRAD


def _record(cls, args, kwargs):
    """Run `cls.forward` with a fresh node as ctx and connect the outputs to that node.

    This is the per-op hot path when a graph is recorded: plain loops, no generators, and
    multi-output bookkeeping (`_n_outputs`, `_output_meta`) only for multi-output ops.
    """
    node = cls._backward_cls()
    needs = []
    edges = []
    for a in args:
        if isinstance(a, Tensor):
            if a._base is not None and a._view_version != a._version_counter.value:
                _refresh_view(a)
            if a.grad_fn is not None:
                edges.append((a.grad_fn, a._output_nr))
                needs.append(True)
            elif a._requires_grad:
                edges.append((a._get_accumulator(), 0))
                needs.append(True)
            else:
                edges.append(_NO_GRAD)
                needs.append(False)
        else:
            edges.append(_NO_TENSOR)
            needs.append(False)
    node.needs_input_grad = tuple(needs)
    node._edges = tuple(edges)
    if cls._array_backward:
        out = cls.forward(node, *args, **kwargs)
    else:
        node._input_meta = tuple((a._data.shape, a._data.dtype) if isinstance(a, Tensor)
                                 else None for a in args)
        with grad_mode.no_grad():
            out = cls.forward(node, *args, **kwargs)
    if type(out) is tuple:
        outputs = tuple(_fresh_output(o, args, node._dirty) for o in out)
        node._n_outputs = len(outputs)
        node._output_meta = tuple((o._data.shape, o._data.dtype) if isinstance(o, Tensor)
                                  else None for o in outputs)
    else:
        for a in args:
            if out is a:
                out = _fresh_output(out, args, node._dirty)
                break
        outputs = (out,)
    non_diff = node._non_differentiable
    for nr, o in enumerate(outputs):
        if isinstance(o, Tensor) and (diff := _is_differentiable(o._data.dtype)) \
                and not (non_diff and any(o is n for n in non_diff)):
            o._requires_grad = True
            o.grad_fn = node
            o._output_nr = nr
            if diff is _COMPLEX_OUT:
                _conjugate_backward(node, cls)
    to_save = node._to_save
    if to_save:
        node._saved = tuple([None if t is None else _pack(t, outputs) for t in to_save])
        node._to_save = ()
    return outputs if type(out) is tuple else out


_COMPLEX_OUT = 2   # what _is_differentiable answers for a complex result


def _is_differentiable(np_dtype):
    """Float and complex results get a grad_fn (complex: `_COMPLEX_OUT`, truthy); integer
    and bool results never do."""
    kind = np_dtype.kind
    return kind == "f" or (kind == "c" and _COMPLEX_OUT) or np_dtype.name == "bfloat16"


def _conjugate_backward(node, cls) -> None:
    """Give a built-in op with a complex result PyTorch's complex gradient convention.

    A built-in backward is written as for real numbers, `grad * f'(z)`. For complex z PyTorch
    propagates the conjugate Wirtinger derivative, `grad * conj(f'(z))` for a holomorphic f,
    which is `conj(backward(conj(grad)))`; a gradient for a real input is the real part of
    that. Ops whose backward already follows PyTorch's convention (conj, real, view_as_real,
    polar, the FFTs: ops/complex.py, ops/fft.py) set `complex_grad_direct = True`. Only
    complex results reach here, so real ops pay one identity test in `_record`.
    """
    if cls._array_backward and not cls.complex_grad_direct:
        node.__class__ = _conjugated_node_class(type(node))


_CONJUGATED: dict = {}   # node class -> its subclass with the conjugating apply


def _conjugated_node_class(node_cls):
    """A subclass of `node_cls`, of the same name, whose apply is conj(backward(conj(grads)));
    a gradient for a real input is the real part of that."""
    sub = _CONJUGATED.get(node_cls)
    if sub is None:
        def apply(self, grads):
            grads = tuple([_conj(g) for g in grads])
            with warnings.catch_warnings():   # a real input's gradient: the real part
                warnings.simplefilter("ignore", _ComplexWarning)
                out = node_cls.apply(self, grads)
            return tuple([_conj(g) for g in out])
        sub = _CONJUGATED[node_cls] = type(node_cls.__name__, (node_cls,),
                                           {"apply": apply, "_conjugate": True})
    return sub


def _conj(g):
    return g.conj() if g is not None and g.dtype.kind == "c" else g


def _fresh_output(o, args, dirty=()):
    """An output that is one of the inputs is returned as a new alias (as PyTorch does),
    unless forward modified it in place and said so with `ctx.mark_dirty`: then it is the
    same object, now the output of this node."""
    for a in args:
        if o is a:
            if any(o is d for d in dirty):
                if o.grad_fn is None and o._requires_grad:
                    raise RuntimeError("a leaf Variable that requires grad has been used in an "
                                       "in-place operation.")
                o._version_counter.value += 1   # PyTorch bumps a dirty tensor once more
                return o
            return o._alias()
    return o


def _pack(t, outputs):
    """A saved tensor, remembered as output `nr` of its node when it is one of its outputs."""
    if t._is_inference and not _inference.on:
        raise RuntimeError(
            "Inference tensors cannot be saved for backward. Please do not use Tensors created "
            "in inference mode in computation tracked by autograd. To work around this, you can "
            "make a clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` "
            "instead of `torch.inference_mode()`.")
    nr = 0
    for o in outputs:
        if t is o:
            return SavedTensor(t, nr)
        nr += 1
    return SavedTensor(t, None)


def once_differentiable(fn):
    """Mark a Function's `backward` as not differentiable: it runs without recording, and a
    gradient it computes under `create_graph=True` raises if differentiated (PyTorch's)."""
    import functools

    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        with grad_mode.no_grad():
            return fn(ctx, *grads)
    wrapper._once_differentiable = True
    return wrapper
