"""The op registry: every public op is declared once, where it is written.

A declaration is a decorator on the op's public function:

    @op("mul", aliases=("multiply",), methods=("mul", "multiply"))
    def mul(input, other):
        return Mul.apply(input, other)

    @method_of("mul", "mul_", "__imul__")          # the in-place form, bound on Tensor
    def mul_(self, other):
        ...

    @method_of("mul", "__mul__", "__rmul__")       # the operators
    def _mul_op(self, other):
        return Mul.apply(self, other)

It says everything the rest of the engine needs to know about `mul`:
  * `name` and `aliases`: the public names, `minitorch_nn.mul` and `minitorch_nn.multiply`
    (or `minitorch_nn.<namespace>.<name>` for a namespace such as "nn.functional");
  * `methods` (and `method_of`): the Tensor methods, in-place forms and operators it binds;
  * `autocast`: the op's key in PyTorch's autocast lists (amp/op_lists.py). By default the
    op's own name; False never casts. A listed op is wrapped here, once, by `_autocast_hook`,
    so no op body tests for autocast itself. In-place methods are not cast (PyTorch's lists
    hold only out-of-place ops) unless their declaration names a key;
  * `kernels`: the named kernels it calls, "family.name" (kernels/cpu/<family>.py and its
    CUDA twin); tests/ops/test_registry.py checks that each exists on every backend.
The graph node's name is the Function's: `MulBackward0` from class `Mul`, or its
`node_name` attribute where PyTorch numbers variants (`SumBackward1`).

`REGISTRY` maps each qualified name ("mul", "nn.functional.softmax") to its `OpDecl`:
`python -m minitorch_nn.ops mul` prints where an op and its methods live (`describe`).
`bind_methods()` sets the declared methods on Tensor once every family is imported, and
refuses a method declared twice or one that Tensor's class body already defines.
"""
from __future__ import annotations

import functools
import inspect
from typing import Callable

from ..amp.autocast_mode import AUTOCAST as _AMP, autocast_call, autocast_listed

__all__ = ["op", "method_of", "OpDecl", "REGISTRY", "bind_methods", "public_ops", "lookup"]


class OpDecl:
    """What one declaration says about an op (see the module docstring)."""

    __slots__ = ("name", "namespace", "fn", "public", "aliases", "methods", "autocast",
                 "kernels", "exported")

    def __init__(self, name, namespace, fn, public, aliases, autocast, kernels):
        self.name = name
        self.namespace = namespace
        self.fn = fn                    # the op as written (autocast calls this one)
        self.public = public            # what `minitorch_nn.<name>` is (fn, or its hook)
        self.aliases = tuple(aliases)
        self.methods: dict[str, Callable] = {}   # Tensor method name -> function bound
        self.autocast = autocast        # key in amp/op_lists.py, or None
        self.kernels = tuple(kernels)
        self.exported: dict[str, Callable] = {}  # public method forms (torch.relu_)

    @property
    def qualname(self) -> str:
        return self.name if self.namespace == "torch" else f"{self.namespace}.{self.name}"

    def __repr__(self) -> str:
        return f"<op {self.qualname} from {self.fn.__module__}>"


REGISTRY: dict[str, OpDecl] = {}
_BOUND: dict[str, tuple[OpDecl, Callable]] = {}   # method name -> (its op, the function)


def _autocast_key(autocast, name: str):
    """The key the op is looked up under in the autocast lists, or None (never cast)."""
    if autocast is False:
        return None
    key = name if autocast is None or autocast is True else autocast
    return key if autocast_listed(key) else None


def _autocast_hook(key: str, fn: Callable) -> Callable:
    """`fn` behind autocast: inside an autocast region its arguments are cast by the policy
    of `key` and `fn` runs with autocast off (ops it calls inside are not cast again).
    Outside a region the cost is one attribute read (`_AMP.on`)."""
    @functools.wraps(fn)
    def hooked(*args, **kwargs):
        if _AMP.on and _AMP.active():
            return autocast_call(key, fn, *args, **kwargs)
        return fn(*args, **kwargs)
    hooked.__wrapped_op__ = fn
    return hooked


# PyTorch's argument parser accepts NumPy's names for two parameters of every torch.* function
# and Tensor method (not of the Python-written torch.nn.functional): `axis` for `dim` and
# `keepdims` for `keepdim`, so `torch.sum(x, axis=0, keepdims=True)` runs.
_NUMPY_NAMES = {"axis": "dim", "keepdims": "keepdim"}


def _numpy_names_hook(fn: Callable, namespace: str) -> Callable:
    """`fn` accepting `axis=`/`keepdims=` for its `dim`/`keepdim` parameters. Only ops that
    have such a parameter are wrapped (elementwise ops keep their direct call)."""
    if namespace == "nn.functional":
        return fn
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn
    if "dim" not in params and "keepdim" not in params:
        return fn

    @functools.wraps(fn)
    def aliased(*args, **kwargs):
        if "axis" in kwargs or "keepdims" in kwargs:
            kwargs = _torch_names(fn.__name__, kwargs)
        return fn(*args, **kwargs)
    if hasattr(fn, "__wrapped_op__"):           # the autocast hook's mark stays visible
        aliased.__wrapped_op__ = fn.__wrapped_op__
    return aliased


def _torch_names(fn_name: str, kwargs: dict) -> dict:
    """`kwargs` with NumPy's names replaced by PyTorch's (both given: PyTorch's TypeError)."""
    out = {}
    for key, value in kwargs.items():
        torch_name = _NUMPY_NAMES.get(key, key)
        if torch_name in out or (torch_name != key and torch_name in kwargs):
            raise TypeError(f"{fn_name}() got an unexpected keyword argument {key!r}")
        out[torch_name] = value
    return out


def op(name: str | None = None, *, namespace: str = "torch", aliases=(), methods=(),
       autocast=None, kernels=()):
    """Declare the decorated function as the public op `name` (default: its __name__)."""
    def declare(fn: Callable) -> Callable:
        op_name = name or fn.__name__
        key = _autocast_key(autocast, op_name)
        public = _numpy_names_hook(_autocast_hook(key, fn) if key else fn, namespace)
        decl = OpDecl(op_name, namespace, fn, public, aliases, key, kernels)
        if decl.qualname in REGISTRY:
            raise RuntimeError(f"op {decl.qualname!r} declared twice: in "
                               f"{REGISTRY[decl.qualname].fn.__module__} and {fn.__module__}")
        REGISTRY[decl.qualname] = decl
        for method in methods:
            _declare_method(decl, method, public)
        return public
    return declare


def method_of(op_name: str, *method_names: str, autocast=None, namespace: str = "torch",
              export: bool = False):
    """Declare the decorated function as Tensor methods (in-place forms, operators, method
    signatures that differ from the function's) belonging to the already declared op.
    `export=True` also makes the first name public in the op's namespace, as PyTorch has
    some in-place forms at top level (`torch.relu_`, `torch.abs_`)."""
    def declare(fn: Callable) -> Callable:
        decl = lookup(op_name if namespace == "torch" else f"{namespace}.{op_name}")
        if autocast is None:   # an out-of-place method is cast like its op; in-place is not
            key = None if method_names[0].endswith("_") and not method_names[0].endswith("__") \
                else decl.autocast
        else:
            key = _autocast_key(autocast, op_name)
        bound = _numpy_names_hook(_autocast_hook(key, fn) if key else fn, namespace)
        for method in method_names:
            _declare_method(decl, method, bound)
        if export:
            decl.exported[method_names[0]] = bound
        return bound
    return declare


def _declare_method(decl: OpDecl, method: str, fn: Callable) -> None:
    if method in _BOUND and _BOUND[method][1] is not fn:
        raise RuntimeError(f"Tensor.{method} declared twice: by op {_BOUND[method][0].qualname} "
                           f"and by op {decl.qualname}")
    _BOUND[method] = (decl, fn)
    decl.methods[method] = fn


def lookup(qualname: str) -> OpDecl:
    """The declaration of op `qualname` ("mul", "nn.functional.softmax")."""
    try:
        return REGISTRY[qualname]
    except KeyError:
        raise KeyError(f"no op named {qualname!r} is declared") from None


def public_ops(namespace: str = "torch") -> dict[str, Callable]:
    """Every public name of the ops in `namespace` (aliases included) -> its function."""
    out = {}
    for decl in REGISTRY.values():
        if decl.namespace == namespace:
            for name in (decl.name, *decl.aliases):
                out[name] = decl.public
            out.update(decl.exported)
    return out


def bind_methods(cls) -> None:
    """Set every declared method on `cls` (Tensor). A method that the class body defines
    itself is a conflict: one of the two would silently win."""
    for method, (decl, fn) in _BOUND.items():
        if method in cls.__dict__ and getattr(cls.__dict__[method], "__op__", None) is None:
            raise RuntimeError(f"Tensor.{method} is defined in tensor.py and declared by op "
                               f"{decl.qualname}: keep one")
        fn.__op__ = decl.qualname
        setattr(cls, method, fn)


def describe(qualname: str) -> str:
    """Where op `qualname` and the methods it binds are written (file:line)."""
    decl = lookup(qualname)
    lines = [f"{decl.qualname}: {_where(decl.fn)}"]
    if decl.aliases:
        lines.append(f"  aliases: {', '.join(decl.aliases)}")
    if decl.autocast:
        lines.append(f"  autocast key: {decl.autocast}")
    for method, fn in decl.methods.items():
        lines.append(f"  Tensor.{method}: {_where(fn)}")
    for kernel in decl.kernels:
        lines.append(f"  kernel: {kernel}")
    return "\n".join(lines)


def _where(fn: Callable) -> str:
    fn = inspect.unwrap(fn)   # a hooked op: where its body is written
    try:
        return f"{inspect.getsourcefile(fn)}:{inspect.getsourcelines(fn)[1]}"
    except (OSError, TypeError):
        return fn.__module__
