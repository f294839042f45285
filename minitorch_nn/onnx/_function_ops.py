"""Ops that are not ArrayFunctions (comparisons, logical ops: no gradient, so no graph node):
watched at their public names while exporting.

The tracer sees every `ArrayFunction.apply`; an op computed without one (`x < 0` builds its
bool array directly) would otherwise reach the graph as a Constant holding the traced values:
silently wrong for any other input. So, during an export only, every public op and Tensor
method of the registry is wrapped: after the call, a tensor result that no traced op made,
from arguments that depend on a graph input, is mapped by a handler here (comparisons ->
Less/Equal/..., logical ops -> Not/And/Or/Xor) or stops the export with an error naming the
op. `zeros_like(x)` and kin become the fill value expanded to x's shape; ops whose result
does not depend on the values otherwise (`empty_like`, `detach`, `size`) pass.
Outside an export nothing is wrapped.
"""
from __future__ import annotations

import contextlib
import functools
import importlib

from ..autograd import function as _function
from ..tensor import Tensor
from ._base import OnnxExporterError

_COMPARISONS = {"lt": "Less", "le": "LessOrEqual", "gt": "Greater", "ge": "GreaterOrEqual",
                "eq": "Equal", "ne": "Equal", "logical_and": "And", "logical_or": "Or",
                "logical_xor": "Xor"}
_FILLED_LIKE = ("zeros_like", "ones_like", "full_like", "new_zeros", "new_ones", "new_full")
_VALUE_FREE = ("detach", "detach_", "empty_like", "rand_like", "randn_like", "randint_like", "new_zeros", "new_ones", "new_empty",
               "new_full", "new_tensor", "size", "dim", "numel", "equal", "allclose",
               "is_nonzero", "item", "tolist")
_NAMESPACES = {"torch": "minitorch_nn", "nn.functional": "minitorch_nn.nn.functional",
               "linalg": "minitorch_nn.linalg", "fft": "minitorch_nn.fft",
               "special": "minitorch_nn.special"}


@contextlib.contextmanager
def watched_public_ops(g, tracer):
    """While the block runs, every public op and Tensor method is wrapped (see above)."""
    from ..ops.registry import REGISTRY
    patched = []
    for decl in REGISTRY.values():
        if decl.name in _VALUE_FREE:
            continue
        module = _module(decl.namespace)
        for name in (decl.name, *decl.aliases):
            fn = getattr(module, name, None) if module is not None else None
            if fn is not None and fn is decl.public:
                patched.append((module, name, fn))
        for name, fn in decl.methods.items():
            if Tensor.__dict__.get(name) is fn and name not in _VALUE_FREE:
                patched.append((Tensor, name, fn))
    wrappers = {}
    for owner, name, fn in patched:
        key = id(fn)
        if key not in wrappers:
            wrappers[key] = _watch(g, tracer, _op_name(name), fn)
        setattr(owner, name, wrappers[key])
    try:
        yield
    finally:
        for owner, name, fn in patched:
            setattr(owner, name, fn)


def _module(namespace: str):
    path = _NAMESPACES.get(namespace)
    return importlib.import_module(path) if path else None


def _op_name(name: str) -> str:
    """`__lt__` -> `lt`, `__rand__` -> `and`, `greater` -> `gt` (the handler keys)."""
    if name.startswith("__"):
        name = name.strip("_")
        name = name[1:] if name in ("rand", "ror", "rxor") else name
    return {"greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le",
            "not_equal": "ne"}.get(name, name)


def _watch(g, tracer, name, fn):
    if isinstance(fn, property):   # mT, H, real, ...: watch the getter
        return property(_watch(g, tracer, name, fn.fget), fn.fset, fn.fdel, fn.__doc__)

    @functools.wraps(fn)
    def watched(*args, **kwargs):
        out = fn(*args, **kwargs)
        if _function._tracer is tracer and out is not NotImplemented:
            _check_result(g, name, out, args, kwargs)
        return out
    return watched


def _check_result(g, name, out, args, kwargs):
    results = out if isinstance(out, tuple) else (out,)
    fresh = [t for t in results if isinstance(t, Tensor) and not g.known(t)
             and g.is_constant(t)]
    if not fresh:
        return
    inputs = [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]
    if all(g.is_constant(a) for a in inputs):
        return   # computed from constants: a constant result is right
    if name in _FILLED_LIKE:
        _filled_like(g, name, out, args)
        return
    handler = _COMPARISONS.get(name) or _HANDLERS.get(name)
    if handler is None or len(fresh) != 1 or len(results) != 1:
        raise OnnxExporterError(
            f"Exporting the operator '{name}' to ONNX is not supported yet by "
            f"minitorch_nn.onnx.export: it computes its result outside the traced ops, so the "
            f"exported graph would hold this trace's values (see docs/export.md).")
    if isinstance(handler, str):
        handler = functools.partial(_binary, op_type=handler, negate=name == "ne")
    g.bind(out, handler(g, out, args, kwargs))


def _filled_like(g, name, out, args):
    """zeros_like(x) and kin: the fill value expanded to x's shape (read from x at run time
    when `x` has the same shape, so a dynamic batch stays dynamic); the result counts as a
    constant (it holds no input values)."""
    import numpy as np
    src = args[0]
    if not out.numel():
        return
    value = g.scalar(np.asarray(out._data).flat[0], out._data.dtype)
    if tuple(out.shape) == tuple(src.shape):
        shape = g.node("Shape", [g.value(src)])
    else:
        shape = g.ints(out.shape)
    g.bind(out, g.node("Expand", [value, shape]))
    g.mark_constant(g.value(out))


def _operand(g, a, dtype):
    from ._handlers import _in
    return _in(g, a, dtype)


def _binary(g, out, args, kwargs, op_type, negate):
    """A comparison or logical op: both operands in their promoted dtype, a bool result."""
    import numpy as np
    a, b = args[0], args[1] if len(args) > 1 else kwargs.get("other")
    dtypes = [x._data.dtype for x in (a, b) if isinstance(x, Tensor)]
    if op_type in ("And", "Or", "Xor"):
        x, y = (_truth(g, v) for v in (a, b))
    else:
        common = np.result_type(*dtypes) if len(dtypes) == 2 else \
            np.result_type(dtypes[0], b if isinstance(a, Tensor) else a)   # weak scalar
        x, y = _operand(g, a, common), _operand(g, b, common)
    y = g.node(op_type, [x, y])
    return g.node("Not", [y]) if negate else y


def _truth(g, t):
    """A tensor's elements as bools (nonzero is True), as the logical ops read them."""
    import numpy as np
    v = g.value(t)
    if t._data.dtype == np.bool_:
        return v
    return g.node("Not", [g.node("Equal", [v, g.scalar(0, t._data.dtype)])])


def _logical_not(g, out, args, kwargs):
    return g.node("Not", [_truth(g, args[0])])


def _isnan(g, out, args, kwargs):
    return g.node("IsNaN", [g.value(args[0])])


def _bitwise(op_type):
    """&, |, ^ and ~ on bool tensors (masks); on integers they have no mapping yet."""
    def handler(g, out, args, kwargs):
        import numpy as np
        operands = [a for a in args if isinstance(a, Tensor)]
        if any(a._data.dtype != np.bool_ for a in operands) or \
                any(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args):
            raise OnnxExporterError(f"Exporting the operator 'bitwise {op_type}' to ONNX is "
                                    f"supported for bool tensors only")
        values = [g.value(a) if isinstance(a, Tensor) else g.constant(np.asarray(a))
                  for a in args[:1 if op_type == "Not" else 2]]
        return g.node(op_type, values)
    return handler


_HANDLERS = {"logical_not": _logical_not, "isnan": _isnan}
for _names, _op_type in [(("invert", "bitwise_not"), "Not"), (("and", "bitwise_and"), "And"),
                         (("or", "bitwise_or"), "Or"), (("xor", "bitwise_xor"), "Xor")]:
    for _name in _names:
        _HANDLERS[_name] = _bitwise(_op_type)
