"""Parameter, Buffer and the uninitialized (lazy) tensors, as in `torch.nn.parameter`.

A `Parameter` *is* a Tensor (a subclass sharing the storage and version counter of the data
it was made from), so every op accepts it; assigning one to a Module attribute registers it.

    p = Parameter(torch.ones(2))     # requires_grad=True, even inside no_grad()
    repr(p)    # 'Parameter containing:\\ntensor([1., 1.], requires_grad=True)'

`UninitializedParameter` / `UninitializedBuffer` hold no data yet: their shape is unknown
until `materialize(shape)` turns the *same object* into a Parameter / Tensor by changing its
`__class__` (so an optimizer built before the lazy module's first call keeps working).
Until then only moves and casts are allowed; other methods raise ValueError as PyTorch does.
"""
from __future__ import annotations

from ..creation import empty
from ..tensor import Tensor, _inference

__all__ = ["Parameter", "UninitializedParameter", "is_lazy", "Buffer", "UninitializedBuffer",
           "UninitializedTensorMixin"]

_new = object.__new__

# Fields of a Tensor's __dict__ that belong to autograd, not to the user: never pickled.
_AUTOGRAD_FIELDS = ("_grad", "_accumulator", "_retains_grad", "_view_fn")


def _share(cls, data: Tensor) -> Tensor:
    """A new `cls` instance over `data`'s storage and version counter (a detached alias).

    It is an inference tensor iff `data` is, as in PyTorch: the weights of a module built
    under `inference_mode` are made there, so they are inference tensors (a Parameter made
    there from an ordinary tensor is not)."""
    t = _new(cls)
    t._data = data._data
    t._version_counter = data._version_counter
    t._requires_grad = False
    t.grad_fn = None
    t._output_nr = 0
    t._base = None
    if data._is_inference:
        t._is_inference = True
    return t


def _check_can_require_grad(data: Tensor) -> None:
    if not (data.is_floating_point() or data.is_complex()):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    if data._is_inference and not _inference.on:
        raise RuntimeError("Setting requires_grad=True on inference tensor outside "
                           "InferenceMode is not allowed.")


class Parameter(Tensor):
    """A Tensor that is a module parameter: assigning it to a Module attribute registers it.

    `Parameter(data=None, requires_grad=True)`: `None` means `torch.empty(0)`. The parameter
    shares `data`'s storage (and version counter) but is a leaf, even if `data` is not.
    `no_grad()` does not change the default `requires_grad=True`.
    """

    def __new__(cls, data=None, requires_grad: bool = True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            # PyTorch calls data.detach() here: a list or a float fails the same way.
            raise AttributeError(f"'{type(data).__name__}' object has no attribute 'detach'")
        if requires_grad:
            _check_can_require_grad(data)
        t = _share(cls, data)
        t._requires_grad = bool(requires_grad)
        return t

    def __init__(self, *args, **kwargs):
        """Everything happens in __new__ (Tensor.__init__ must not run again)."""

    def __deepcopy__(self, memo):
        """A new Parameter over cloned data; like PyTorch, `.grad` and attributes stay behind."""
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        """Pickle data, requires_grad and user attributes; never hooks or `.grad`."""
        state = {k: v for k, v in self.__dict__.items() if k not in _AUTOGRAD_FIELDS}
        return (_rebuild_parameter, (type(self), self.data.cpu()._data, self.requires_grad,
                                     str(self.device), state))


def _rebuild_parameter(cls, array, requires_grad, device, state):
    from ..creation import tensor
    p = cls(tensor(array, device=device), requires_grad)
    p.__dict__.update(state)
    return p


class _BufferMeta(type):
    """`isinstance(t, Buffer)` is true for tensors flagged by `Buffer(...)` (a plain Tensor)."""

    def __instancecheck__(cls, instance) -> bool:
        if cls is Buffer and isinstance(instance, Tensor) and \
                getattr(instance, "_is_buffer", False):
            return True
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """A Tensor to be registered as a buffer when assigned to a Module attribute.

    `Buffer(data=None, *, persistent=True)` returns a plain Tensor (detached from `data`'s
    graph, sharing its storage) flagged so that `module.name = Buffer(t)` registers it with
    that persistence; `isinstance(b, Buffer)` is True, `type(b)` is Tensor, as in PyTorch.
    """

    def __new__(cls, data=None, *, persistent: bool = True):
        if data is None:
            data = empty(0)
        t = data.detach()
        t._requires_grad = data.requires_grad
        t.persistent = persistent
        t._is_buffer = True
        return t


_ALLOWED_METHODS = frozenset([
    "__hash__", "size", "copy_", "is_complex", "is_floating_point", "half", "float", "double",
    "char", "short", "int", "long", "cuda", "cpu", "to", "get_device",
])

# Operator dunders that PyTorch routes through __torch_function__ (and so refuses).
_BLOCKED_DUNDERS = frozenset([
    "__add__", "__radd__", "__iadd__", "__sub__", "__rsub__", "__isub__", "__mul__",
    "__rmul__", "__imul__", "__truediv__", "__rtruediv__", "__itruediv__", "__floordiv__",
    "__rfloordiv__", "__ifloordiv__", "__mod__", "__rmod__", "__pow__", "__rpow__",
    "__ipow__", "__matmul__", "__rmatmul__", "__neg__", "__pos__", "__abs__", "__invert__",
    "__and__", "__or__", "__xor__", "__rand__", "__ror__", "__rxor__", "__lt__", "__le__",
    "__gt__", "__ge__", "__eq__", "__ne__", "__getitem__", "__setitem__", "__len__",
    "__iter__", "__bool__", "__float__", "__int__", "__index__", "__complex__",
])


class UninitializedTensorMixin:
    """What uninitialized parameters and buffers share: no shape until `materialize`."""

    __slots__ = ()
    cls_to_become: type = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give this object data of `shape` and turn it, in place, into `cls_to_become`.

        `device` and `dtype` default to the ones the uninitialized tensor has now (which
        `module.to(...)` may have changed before the first forward call).
        """
        if device is None:
            device = self.data.device
        if dtype is None:
            dtype = self.data.dtype
        self.data = empty(shape, device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error "
            "usually happens in `load_state_dict` when trying to load an uninitialized "
            "parameter into an initialized one. Call `forward` to initialize the parameters "
            "before accessing their attributes.")

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
            "initialize the parameters before calling `module.share_memory()`.")

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"

    def __reduce_ex__(self, protocol):
        return (self.__class__, (self.requires_grad,))


def _blocked(name: str):
    """A stand-in for Tensor method `name` that refuses to run on uninitialized data."""

    def method(self, *args, **kwargs):
        raise ValueError(
            f"Attempted to use an uninitialized parameter in <method '{name}' of 'Tensor' "
            "objects>. This error happens when you are using a `LazyModule` or explicitly "
            "manipulating `torch.nn.parameter."
            f"{type(self).__name__}` objects. When using LazyModules Call `forward` with a "
            "dummy batch to initialize the parameters before calling torch functions")

    method.__name__ = name
    return method


def _install_blocked_methods() -> None:
    """Shadow every Tensor method and operator except the allowed ones (PyTorch's list).

    Runs once at import, after the op families have attached their methods to Tensor.
    Properties (`dtype`, `device`, `requires_grad`, `data`, `grad`) stay readable.
    """
    for klass in Tensor.__mro__:
        for name, value in vars(klass).items():
            if name in _ALLOWED_METHODS or name in vars(UninitializedTensorMixin):
                continue
            public = not name.startswith("_") or name in _BLOCKED_DUNDERS
            if public and callable(value) and not isinstance(value, type):
                setattr(UninitializedTensorMixin, name, _blocked(name))


_install_blocked_methods()


def is_lazy(param) -> bool:
    """True for an UninitializedParameter or UninitializedBuffer."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape is not known yet (used by lazy modules).

    `UninitializedParameter(requires_grad=True, device=None, dtype=None)`; `materialize`
    makes it a regular Parameter in place.
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        t = _share(cls, empty(0, device=device, dtype=dtype))
        t._requires_grad = bool(requires_grad)
        return t

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, self.data.device, self.data.dtype)
        memo[id(self)] = result
        return result


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet; `materialize` makes it a plain Tensor.

    `UninitializedBuffer(requires_grad=False, device=None, dtype=None, persistent=True)`.
    """

    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None,
                persistent: bool = True):
        t = _share(cls, empty(0, device=device, dtype=dtype))
        t._requires_grad = bool(requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t

    def __init__(self, *args, **kwargs):
        """Everything happens in __new__."""

    # PyTorch gives UninitializedBuffer no __deepcopy__: copying one raises ValueError.
    __deepcopy__ = _blocked("__deepcopy__")


def _stays_uninitialized(name: str):
    """A cast/move of an UninitializedBuffer that returns an UninitializedBuffer (as PyTorch),
    so `lazy_module.double()` before the first call keeps its buffers lazy."""
    def method(self, *args, **kwargs):
        out = getattr(_share(Tensor, self), name)(*args, **kwargs)
        if out._data is self._data:
            return self
        result = _share(UninitializedBuffer, out)
        result._requires_grad = self._requires_grad
        result._is_buffer = True
        return result

    method.__name__ = name
    return method


for _name in ("half", "float", "double", "char", "short", "int", "long", "cuda", "cpu", "to"):
    setattr(UninitializedBuffer, _name, _stays_uninitialized(_name))

