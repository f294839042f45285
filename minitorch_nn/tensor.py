"""Tensor: one backend array plus what autograd needs to know about it.

A Tensor holds `_data` (a numpy array on the CPU, a cupy array on the GPU; its dtype and device
are the tensor's), `_version_counter` (shared by every view of the same storage, bumped by
in-place ops) and its place in the graph (`grad_fn`, `_output_nr`). The ops themselves live in
`minitorch_nn.ops`, which attaches them as methods (`t.sum()`, `t + u`, ...).
"""
from __future__ import annotations

import copy as _copy
import threading as _threading

import numpy as np

from ._user_warning import warn_user
from . import dtypes as _dt
from ._tensor_str import tensor_repr
from .array_backends import backend_for_device, backend_of
from .device import CPU, to_device

__all__ = ["Tensor", "Size"]


class _Version:
    """The version counter of one storage: shared by views and `detach()`, not by `.data`.

    Each tensor holds it as `_version_counter` (views share the object); `t._version` reads
    its count as an int, as PyTorch's `_version` does.
    """

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0

    def __repr__(self) -> str:
        return f"_Version({self.value})"


class Size(tuple):
    """A shape: a tuple printed as `torch.Size([2, 3])`."""

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __reduce__(self):
        return (Size, (tuple(self),))


_new = object.__new__


class _InferenceState(_threading.local):
    """Whether `inference_mode` is on in this thread (set by autograd.grad_mode)."""

    on = False


_inference = _InferenceState()


class _GradState(_threading.local):
    """Whether grad mode is on in this thread (set by autograd.grad_mode, which sits above
    tensor.py; kept here so a Tensor can read it without importing upward)."""

    enabled = True


_grad_state = _GradState()

_INFERENCE_INPLACE = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
    "clone to get a normal tensor before doing inplace update.See "
    "https://github.com/pytorch/rfcs/pull/17 for more details.")


_generic = np.generic


def _wrap(data, requires_grad: bool = False) -> "Tensor":
    """A new plain Tensor over `data` (no copy): the fast constructor the ops use.

    numpy turns 0-d results into scalars (np.float32); those become 0-d arrays again here.
    """
    if isinstance(data, _generic):
        data = np.asarray(data)
    t = _new(Tensor)
    t._data = data
    t._version_counter = _Version()
    t._requires_grad = requires_grad
    t.grad_fn = None
    t._output_nr = 0
    t._base = None
    if _inference.on:   # made inside inference_mode: an inference tensor
        t._is_inference = True
    return t


def _view_of(base: "Tensor", data, view_fn) -> "Tensor":
    """A new Tensor over `data`, a view of `base`'s array: it shares base's version counter.

    `view_fn(array)` redoes the view on any array of base's shape; in-place ops on the view
    use it to route gradients through the base (PyTorch's CopySlices).
    """
    t = _new(Tensor)
    t._data = data
    t._version_counter = base._version_counter
    t._requires_grad = False
    t.grad_fn = None
    t._output_nr = 0
    t._view_version = base._version_counter.value
    root = base._base
    if root is None:
        t._base, t._view_fn = base, view_fn
    else:
        outer = base._view_fn
        t._base, t._view_fn = root, (lambda a: view_fn(outer(a)))
    if base._is_inference:   # a view is an inference tensor iff its base is
        t._is_inference = True
    return t


def _leaf_grad_error():
    return RuntimeError("only Tensors of floating point and complex dtype can require gradients")


class Tensor:
    """A multi-dimensional array that can record the ops applied to it for autograd."""

    __slots__ = ("_data", "_version_counter", "_requires_grad", "grad_fn", "_output_nr", "_base",
                 "__dict__", "__weakref__")

    # Rarely used fields live in the instance __dict__ only once set; these are the defaults.
    _grad = None
    _accumulator = None
    _retains_grad = False
    _view_fn = None
    _view_version = 0       # a view: its storage's version when its grad_fn was last set
    _is_inference = False   # True for a tensor created inside inference_mode
    __array_priority__ = 1000   # numpy scalars defer to Tensor's reflected operators

    def __init__(self, *args, device=None):
        """`Tensor(2, 3)` (uninitialised float), `Tensor([1, 2])` (float data) or `Tensor()`."""
        dtype = _dt.get_default_dtype()
        backend = backend_for_device(to_device(device))
        if len(args) == 1 and isinstance(args[0], Size):
            data = backend.xp.empty(tuple(args[0]), dtype.np)   # Tensor(t.shape): a shape
        elif len(args) == 1 and not isinstance(args[0], int):
            data = as_array(args[0], dtype, backend)
        else:
            shape = tuple(args[0]) if len(args) == 1 and isinstance(args[0], tuple) else args
            data = backend.xp.empty(shape if args else (0,), dtype.np)
        self._data = data
        self._version_counter = _Version()
        self._requires_grad = False
        self.grad_fn = None
        self._output_nr = 0
        self._base = None
        if _inference.on:
            self._is_inference = True

    def is_inference(self) -> bool:
        """Whether this tensor was created inside `inference_mode` (PyTorch's inference
        tensors: outside that mode they cannot be saved for backward, updated in place, or
        made to require grad)."""
        return self._is_inference

    # ---------------------------------------------------------------- metadata
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim_of_shape(dim, self._data.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    @property
    def dtype(self) -> _dt.dtype:
        return _dt.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return backend_of(self._data).device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    @property
    def is_meta(self) -> bool:
        return False

    @property
    def is_sparse(self) -> bool:
        return False

    @property
    def layout(self):
        return "torch.strided"

    def get_device(self) -> int:
        dev = self.device
        return -1 if dev.type == "cpu" else (dev.index or 0)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f" or self.dtype is _dt.bfloat16

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    def element_size(self) -> int:
        return self._data.itemsize

    itemsize = property(element_size, doc="Bytes per element (PyTorch's Tensor.itemsize).")
    nbytes = property(lambda self: self._data.size * self._data.itemsize,
                      doc="Bytes of the elements: numel() * itemsize (views count their own).")

    def stride(self, dim: int | None = None):
        a = self._data
        item = a.itemsize
        strides = tuple(s // item for s in a.strides)
        if a.size == 0 and not any(strides):   # numpy 2 gives a new empty array strides 0;
            strides = _contiguous_strides(a.shape)   # PyTorch's are those of its shape (a
            # permuted view of such an array reports its own shape's, not the permuted ones)
        if dim is None:
            return strides
        return strides[_wrap_dim_of_shape(dim, self._data.ndim)]

    def storage_offset(self) -> int:
        if not isinstance(self._data, np.ndarray):   # CuPy: the offset into the allocation
            pointer = self._data.data
            return (pointer.ptr - pointer.mem.ptr) // self._data.itemsize
        base = self._data.base if self._data.base is not None else self._data
        try:
            start = base.__array_interface__["data"][0]
        except AttributeError:
            return 0
        return (self._data.__array_interface__["data"][0] - start) // self._data.itemsize

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def data_ptr(self) -> int:
        if isinstance(self._data, np.ndarray):
            return self._data.__array_interface__["data"][0]
        return self._data.data.ptr

    def untyped_storage(self):
        return self._data.base if self._data.base is not None else self._data

    @property
    def _version(self) -> int:
        """How many times the storage was modified in place (PyTorch's `_version`)."""
        return self._version_counter.value

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __hash__(self) -> int:
        return id(self)

    def __iter__(self):
        """Iterate over the first dimension (sub-tensors are views), as PyTorch does."""
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        unbind = getattr(type(self), "unbind", None)
        if unbind is not None:
            return iter(unbind(self, 0))
        return (self[i] for i in range(self._data.shape[0]))

    def __repr__(self, *, tensor_contents=None) -> str:
        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:   # as PyTorch: a 0-d tensor formats as its Python number
            return format(self.item(), spec)
        return object.__format__(self, spec) if spec else repr(self)

    # ---------------------------------------------------------------- host conversion
    def _host_array(self) -> np.ndarray:
        return backend_of(self._data).to_host(self._data)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        value = self._host_array().reshape(()).item()
        if self._data.dtype.name == "bfloat16":
            value = float(value)
        return value

    def tolist(self):
        host = self._host_array()
        if host.dtype.name == "bfloat16" or host.dtype == np.float16:
            host = host.astype(np.float32)
        return host.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The array itself on the CPU (writes show in the tensor); `force` copies from a GPU."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self._data.dtype.name == "bfloat16" and not force:
            raise TypeError("Got unsupported ScalarType BFloat16")
        if not isinstance(self._data, np.ndarray):
            if not force:
                raise TypeError(f"can't convert {self.device} device type tensor to numpy. "
                                "Use Tensor.cpu() to copy the tensor to host memory first.")
            return self._host_array()
        return self._data

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        host = self._host_array()
        return host if dtype is None else host.astype(dtype)

    def __bool__(self) -> bool:
        if self._data.size != 1:
            amount = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {amount} is ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        if self._requires_grad and _grad_state.enabled:   # PyTorch: not under no_grad
            warn_user("Converting a tensor with requires_grad=True to a scalar may lead to "
                      "unexpected behavior.\nConsider using tensor.detach() first.",
                      UserWarning)
        return float(self._scalar_value("double"))

    def __int__(self) -> int:
        return int(self._scalar_value("int64_t"))

    def __complex__(self) -> complex:
        return complex(self._scalar_value("complex"))

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def _scalar_value(self, c_type: str):
        """The single element, for int()/float()/complex(), with PyTorch's errors."""
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        value = self.item()
        if isinstance(value, complex) and c_type != "complex":
            raise RuntimeError(f"value cannot be converted to type {c_type} without overflow")
        return value

    # ---------------------------------------------------------------- autograd state
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if flag and not self._is_differentiable_dtype():
            raise _leaf_grad_error()
        self.requires_grad_(flag)

    def _is_differentiable_dtype(self) -> bool:
        return self._data.dtype.kind in "fc" or self._data.dtype.name == "bfloat16"

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Start (or stop, on a leaf) recording ops on this tensor; returns self."""
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad_(): argument 'requires_grad' (position 1) must be "
                            f"bool, not {type(requires_grad).__name__}")
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if requires_grad and not self._is_differentiable_dtype():
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if requires_grad and self._is_inference and not _inference.on:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside "
                               "InferenceMode is not allowed.")
        self._requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad:
            warn_user(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during autograd.backward(). If you "
                "indeed want the .grad field to be populated for a non-leaf Tensor, use "
                ".retain_grad() on the non-leaf Tensor.", UserWarning)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a "
                    f"tensor of size '{list(self._data.shape)}'. Please ensure that the "
                    "gradient and the tensor are the same size")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.dtype}' to a tensor "
                    f"with grad_dtype '{self.dtype}'. The gradient must match the tensor's "
                    "grad_dtype (defaults to the tensor's dtype).")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self) -> None:
        """Keep `.grad` for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self.grad_fn._retain(self._output_nr, self)
        self._retains_grad = True

    # backward(), register_hook(), register_post_accumulate_grad_hook() and a leaf's
    # AccumulateGrad node (_get_accumulator) need the graph and the engine, which sit above
    # this module: they are written in autograd/tensor_methods.py and bound here from there.

    def detach(self) -> "Tensor":
        """The same storage and version counter, outside the graph."""
        t = _wrap(self._data)
        t._version_counter = self._version_counter
        if self._is_inference:
            t._is_inference = True
        return t

    def detach_(self) -> "Tensor":
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    def _alias(self) -> "Tensor":
        """A new Tensor object over the same array and counter (no graph)."""
        t = _wrap(self._data)
        t._version_counter = self._version_counter
        return t

    @property
    def data(self) -> "Tensor":
        """The same storage with its own version counter: edits escape autograd's checks.
        (The data of an inference tensor is one too, as in PyTorch.)"""
        t = _wrap(self._data)
        if self._is_inference:
            t._is_inference = True
        return t

    @data.setter
    def data(self, value: "Tensor") -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got "
                            f"{type(value).__name__}")
        old_shape, self._data = self._data.shape, value._data
        keep_recorded_shape(self, old_shape)   # gradients are checked against the old shape

    @property
    def _cdata(self) -> int:
        return id(self)

    # ---------------------------------------------------------------- copying and pickling
    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.  If you were "
                               "attempting to deepcopy a module, this may be because of a "
                               "torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        new = _new(type(self))
        new._data = self._data.copy(order="K")   # keeps a transposed layout, as PyTorch
        new._version_counter = _Version()
        new._requires_grad = self._requires_grad
        new.grad_fn = None
        new._output_nr = 0
        new._base = None
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            if key in _GRAPH_STATE:
                continue
            setattr(new, key, _copy.deepcopy(value, memo))
        return new

    def __reduce_ex__(self, protocol):
        """Pickle the values (layout kept), requires_grad and user attributes; like PyTorch,
        not `.grad` nor any graph state."""
        state = {k: v for k, v in self.__dict__.items()
                 if k not in _GRAPH_STATE and k not in ("_grad", "_retains_grad")}
        host = self._host_array()
        if not (host.flags.c_contiguous or host.flags.f_contiguous):
            host = host.copy(order="K")
        return (_rebuild, (type(self), host, self._requires_grad, str(self.device), state))


# Per-object autograd bookkeeping kept in a tensor's __dict__: never copied or pickled.
_GRAPH_STATE = ("_accumulator", "_view_fn")


def _rebuild(cls, array, requires_grad, device, state):
    backend = backend_for_device(to_device(device))
    t = _new(cls)
    t._data = backend.from_host(array, to_device(device))
    t._version_counter = _Version()
    t._requires_grad = requires_grad
    t.grad_fn = None
    t._output_nr = 0
    t._base = None
    t.__dict__.update(state)
    return t


def _wrap_dim_of_shape(dim: int, ndim: int) -> int:
    """size(dim) / stride(dim): like _wrap_dim, but a 0-d tensor has no dim at all."""
    if ndim == 0 and isinstance(dim, int):
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, ndim)


def _wrap_dim(dim: int, ndim: int) -> int:
    """A dim in [-ndim, ndim) mapped to [0, ndim), with PyTorch's IndexError otherwise."""
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if dim < lo or dim > hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                         f"but got {dim})")
    if ndim == 0:
        return 0          # a 0-d tensor acts as 1-d for dims: -1 and 0 both name it
    return dim + ndim if dim < 0 else dim


def as_array(value, dtype: "_dt.dtype | None", backend):
    """Turn Python data, a numpy array or a Tensor into a backend array of `dtype`.

    `dtype=None` infers as PyTorch does: Python floats give the default dtype, ints int64,
    bools bool; numpy arrays keep their dtype.
    """
    if isinstance(value, Tensor):
        arr = value._data
        if backend_of(arr) is not backend:
            arr = backend.from_host(backend_of(arr).to_host(arr), CPU)
        return arr if dtype is None else arr.astype(dtype.np, copy=False)
    if isinstance(value, (np.ndarray, np.generic)):   # numpy data keeps its dtype
        host = np.asarray(value)
        if dtype is None:
            _dt.from_numpy_dtype(host.dtype)   # rejects types PyTorch lacks
    else:
        host = _python_to_numpy(value)
        if dtype is None:
            dtype = _scalars_dtype(value) or _inferred_dtype(host)
        elif dtype.kind == 1 and host.dtype.kind in "iu" and host.size:
            _check_int_range(host, dtype)
    if dtype is not None:
        with np.errstate(over="ignore"):   # 1e300 as float32 is inf, silently (PyTorch)
            host = host.astype(dtype.np, copy=False)
    return backend.from_host(host, None)


def _check_int_range(host: np.ndarray, dtype) -> None:
    """Python ints that do not fit the requested integer dtype: PyTorch's RuntimeError.
    uint8 also takes negatives down to -255 and wraps them (PyTorch: -1 -> 255)."""
    info = np.iinfo(dtype.np)
    lowest = -int(info.max) if dtype.np == np.uint8 else info.min
    if host.min() < lowest or host.max() > info.max:
        raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")


def _python_to_numpy(value) -> np.ndarray:
    if isinstance(value, (list, tuple)):
        if any(isinstance(v, Tensor) for v in _flat_items(value)):
            value = _tensors_to_lists(value)
        return _checked_ints(np.asarray(value))
    if isinstance(value, (int, float, complex, bool, np.generic)):
        return _checked_ints(np.asarray(value))
    if hasattr(value, "__dlpack__") or hasattr(value, "__array__"):
        return np.asarray(value)
    raise TypeError(f"Could not infer dtype of {type(value).__name__}")


def _checked_ints(host: np.ndarray) -> np.ndarray:
    """Python ints beyond int64 (numpy makes uint64 or object arrays): PyTorch's ValueError."""
    if host.dtype == np.uint64 or (host.dtype == object and any(
            isinstance(v, int) and not isinstance(v, bool) for v in host.reshape(-1).tolist())):
        raise ValueError("Overflow when unpacking long long")
    return host


def _flat_items(value):
    for v in value:
        if isinstance(v, (list, tuple)):
            yield from _flat_items(v)
        else:
            yield v


def _tensors_to_lists(value):
    if isinstance(value, Tensor):
        if value.numel() != 1 and value.dim() != 0:
            return value.tolist()
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_tensors_to_lists(v) for v in value]
    return value


def _scalars_dtype(value):
    """PyTorch's dtype for a list holding NumPy scalars: each item counts with its own dtype
    (np.int32 -> int32, a Python float -> the default float dtype), promoted together. None
    when the list holds no NumPy scalar (the array's dtype rule then applies)."""
    if not isinstance(value, (list, tuple)):
        return None
    items = list(_flat_items(value))
    if not any(isinstance(v, np.generic) for v in items):
        return None
    result = None
    for v in items:
        if isinstance(v, np.generic):
            d = _dt.from_numpy_dtype(v.dtype)
        elif isinstance(v, bool):
            d = _dt.bool
        elif isinstance(v, int):
            d = _dt.int64
        elif isinstance(v, float):
            d = _dt.get_default_dtype()
        elif isinstance(v, complex):
            d = _dt.get_default_dtype().to_complex()
        else:
            return None
        result = d if result is None else _dt.promote_types(result, d)
    return result


def _inferred_dtype(host: np.ndarray):
    kind = host.dtype.kind
    if kind == "f":
        return _dt.get_default_dtype() if host.dtype == np.float64 else None
    if kind in "iu":
        return _dt.int64 if host.dtype == np.int64 or kind == "i" else None
    if kind == "b":
        return _dt.bool
    if kind == "c":
        return _dt.get_default_dtype().to_complex()
    if kind == "O" or kind == "U":
        raise TypeError(f"Could not infer dtype of {host.dtype}: expected numbers or nested "
                        "lists of numbers of equal length")
    return None


def keep_recorded_shape(tensor, old_shape: tuple) -> None:
    """`tensor` changed shape in place without a graph being recorded (`y.t_()` under
    no_grad, `y.data = other`): its node remembers the shape the tensor had when it was
    recorded, and the engine checks the gradients reaching it against that shape, as
    PyTorch's engine checks every gradient against its input's metadata ("returned an invalid
    gradient"): a gradient that no longer fits is an error, not a silently wrong `.grad`."""
    fn = tensor.grad_fn
    if fn is None or tuple(old_shape) == tensor._data.shape:
        return
    if fn._recorded_shapes is None:
        fn._recorded_shapes = {}
    fn._recorded_shapes.setdefault(tensor._output_nr, tuple(old_shape))


def _contiguous_strides(shape) -> tuple:
    """Row-major strides (in elements) of `shape`, as PyTorch gives a new tensor: a dim of
    size 0 or 1 counts as 1 for the dims before it."""
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))
