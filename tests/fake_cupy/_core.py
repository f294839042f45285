"""The fake `cupy.ndarray` and `cupy.ufunc`: numpy underneath, CuPy's rules on top.

Where CuPy and numpy differ in ways that break code written for numpy, this follows CuPy:
- an ndarray is not a numpy array: `numpy.asarray(x)` raises CuPy's TypeError (implicit
  conversion), only `x.get()` / `cupy.asnumpy(x)` copy to the host;
- a numpy array given to a ufunc, an operator or a routine raises TypeError ("Unsupported
  type"): there is no implicit host-to-device copy (`cupy.asarray`, `array`, setitem values
  and indices are the exceptions, as in CuPy);
- reductions, integer indexing and routines return 0-d arrays, not numpy scalars;
- numpy functions called on fake arrays dispatch to the fake (`__array_ufunc__`,
  `__array_function__`), and only for what CuPy has;
- `ufunc.at` only for the ufuncs CuPy scatters (add, subtract, maximum, minimum, bitwise
  and/or/xor), `reduce`/`accumulate` only for add and multiply, `reduceat` only for add;
- host-to-device and device-to-host transfers copy; dtypes CuPy lacks are refused.
Every array's bytes are allocated through `cuda.alloc`, so the memory pool counts them.
"""
from __future__ import annotations

import numbers
import weakref

import numpy as np

from . import cuda

__all__ = ["ndarray", "ufunc", "wrap", "unwrap", "check_dtype", "SETTINGS"]

# Switches a test may flip: bfloat16 is supported from CuPy v14 (with ml_dtypes installed).
SETTINGS = {"bfloat16": True}

_SCALARS = (bool, int, float, complex, np.generic)
_UNSUPPORTED_KINDS = "OSUVMm"   # object, strings, void, datetime, timedelta


def check_dtype(dtype) -> None:
    """ValueError for a dtype CuPy cannot hold (as CuPy's `get_dtype` checks)."""
    dtype = np.dtype(dtype)
    if dtype.name == "bfloat16":   # ml_dtypes: kind 'V', but CuPy v14 supports it
        if not SETTINGS["bfloat16"]:
            raise ValueError(f"Unsupported dtype {dtype}")
        return
    if dtype.kind in _UNSUPPORTED_KINDS or dtype == np.longdouble and dtype.itemsize > 8 \
            or dtype.kind == "c" and dtype.itemsize > 16:
        raise ValueError(f"Unsupported dtype {dtype}")


def _unsupported(value):
    return TypeError(f"Unsupported type {type(value)}")


# ------------------------------------------------------------------ wrapping
# numpy buffers that back fake arrays, by id: views of one buffer share its device memory.
_OWNERS: "weakref.WeakValueDictionary[int, cuda.Memory]" = weakref.WeakValueDictionary()


def _root(a: np.ndarray) -> np.ndarray:
    """The numpy array that owns `a`'s memory (follows as_strided's DummyArray too)."""
    root, base = a, a.base
    while base is not None:
        if isinstance(base, np.ndarray):
            root = base
        base = getattr(base, "base", None)
    return root


def _memory_for(a: np.ndarray) -> cuda.Memory:
    root = _root(a)
    mem = _OWNERS.get(id(root))
    if mem is None or mem.root is not root:
        mem = cuda.alloc(root.nbytes).mem
        mem.root = root
        _OWNERS[id(root)] = mem
    return mem


_new = object.__new__


def _make(a: np.ndarray, mem: cuda.Memory) -> "ndarray":
    out = _new(ndarray)
    out._a = a
    out._mem = mem
    return out


def wrap(result, inputs=()):
    """A numpy result as fake arrays (recursively); 0-d results stay arrays.

    When numpy returned one of the inputs' own arrays, that input's fake is returned (CuPy
    returns `x` itself from `asarray(x)`, `astype(..., copy=False)`, ...).
    """
    if isinstance(result, np.ndarray):
        for x in inputs:
            if type(x) is ndarray and x._a is result:
                return x
        check_dtype(result.dtype)
        return _make(result, _memory_for(result))
    if isinstance(result, np.generic):
        return wrap(np.asarray(result))
    if type(result) is tuple or type(result) is list:
        return type(result)(wrap(r, inputs) for r in result)
    if isinstance(result, tuple) and hasattr(result, "_fields"):   # namedtuple results
        return type(result)(*(wrap(r, inputs) for r in result))
    return result


def unwrap(value, host_ok: bool = False):
    """Fake arrays → their numpy arrays (recursively); numpy arrays are refused unless
    `host_ok` (a host-to-device copy CuPy does implicitly there)."""
    if type(value) is ndarray:
        return value._a
    if isinstance(value, np.ndarray):
        if host_ok:
            return value
        raise _unsupported(value)
    if type(value) is list or type(value) is tuple:
        return type(value)(unwrap(v, host_ok) for v in value)
    return value


def unwrap_kwargs(kwargs: dict, host_ok: bool = False) -> dict:
    return {k: unwrap(v, host_ok) for k, v in kwargs.items()}


def from_host(host, dtype=None, order="K", ndmin=0) -> "ndarray":
    """A new device array holding a copy of host data (lists may hold fake arrays)."""
    host = np.array(unwrap(host, host_ok=True), dtype=dtype, order=order, copy=True,
                     ndmin=ndmin)
    if host.dtype.kind == "O":
        raise ValueError("Unsupported dtype object")
    return wrap(host)


# ------------------------------------------------------------------ ufuncs
_SCATTER = {"add", "subtract", "maximum", "minimum", "bitwise_and", "bitwise_or", "bitwise_xor"}


def _operand(value):
    """A ufunc operand as numpy: fake arrays and scalars only, like CuPy's kernels."""
    if type(value) is ndarray:
        return value._a
    if isinstance(value, _SCALARS):
        return value
    raise _unsupported(value)


def _out_arg(out):
    if out is None:
        return None
    if isinstance(out, tuple):
        return tuple(_out_arg(o) for o in out)
    if type(out) is not ndarray:
        raise TypeError(f"Output arrays must be cupy.ndarray, got {type(out).__name__}")
    return out._a


class ufunc:
    """A CuPy ufunc: numpy's computation, CuPy's operand rules and supported methods."""

    def __init__(self, np_ufunc: np.ufunc):
        self._np = np_ufunc
        self.__name__ = self.name = np_ufunc.__name__
        self.nin, self.nout, self.nargs = np_ufunc.nin, np_ufunc.nout, np_ufunc.nargs
        self.__doc__ = np_ufunc.__doc__

    def __repr__(self) -> str:
        return f"<ufunc 'cupy_{self.__name__}'>"

    def _kwargs(self, kwargs):
        if "out" in kwargs:
            kwargs["out"] = _out_arg(kwargs["out"])
        if "where" in kwargs and not isinstance(kwargs["where"], bool):
            kwargs["where"] = _operand(kwargs["where"])
        return kwargs

    def __call__(self, *args, **kwargs):
        out = kwargs.get("out")
        result = self._np(*(_operand(a) for a in args), **self._kwargs(kwargs))
        if out is not None:
            return out if not isinstance(out, tuple) or len(out) > 1 else out[0]
        return wrap(result)

    def _only(self, method: str, names) -> None:
        if self.__name__ not in names:
            raise NotImplementedError(f"`cupy_{self.__name__}.{method}` is not supported yet")

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        self._only("reduce", ("add", "multiply"))
        return self._method("reduce", array, axis=axis, dtype=dtype, out=out,
                            keepdims=keepdims)

    def accumulate(self, array, axis=0, dtype=None, out=None):
        self._only("accumulate", ("add", "multiply"))
        return self._method("accumulate", array, axis=axis, dtype=dtype, out=out)

    def reduceat(self, array, indices, axis=0, dtype=None, out=None):
        self._only("reduceat", ("add",))
        return self._method("reduceat", array, unwrap(indices), axis=axis, dtype=dtype,
                            out=out)

    def outer(self, A, B, **kwargs):   # CuPy's parameter names
        return self._method("outer", A, _operand(B), **kwargs)

    def _method(self, method, array, *rest, out=None, **kwargs):
        if type(array) is not ndarray:
            raise _unsupported(array)
        result = getattr(self._np, method)(array._a, *rest, out=_out_arg(out), **kwargs)
        return out if out is not None else wrap(result)

    def at(self, a, indices, b=None):
        if self.__name__ not in _SCATTER:
            raise NotImplementedError(f"`cupy_{self.__name__}.at` is not supported yet")
        if type(a) is not ndarray:
            raise _unsupported(a)
        values = () if b is None else (unwrap(b, host_ok=True),)
        self._np.at(a._a, unwrap(indices, host_ok=True), *values)


# Filled in by the package: name -> fake ufunc / function (for the operators and dispatch).
UFUNCS: dict[str, ufunc] = {}
NAMESPACE: dict = {}


def _ufunc(name: str) -> ufunc:
    return UFUNCS[name]


def _foreign(other) -> bool:
    """Operands a CuPy operator hands back to Python (e.g. a Tensor with a higher priority)."""
    return not isinstance(other, (ndarray, np.ndarray) + _SCALARS) and \
        getattr(other, "__array_priority__", 0) > ndarray.__array_priority__


def _binary(name: str, reflected: bool = False):
    def op(self, other):
        if _foreign(other) or not isinstance(other, (ndarray, np.ndarray) + _SCALARS) \
                and not isinstance(other, numbers.Number):
            return NotImplemented
        return _ufunc(name)(other, self) if reflected else _ufunc(name)(self, other)
    op.__name__ = f"__{'r' if reflected else ''}{name}__"
    return op


def _inplace(name: str):
    def op(self, other):
        if _foreign(other):
            return NotImplemented
        _ufunc(name)(self, other, out=self)
        return self
    return op


def _unary(name: str):
    def op(self):
        return _ufunc(name)(self)
    return op


# ------------------------------------------------------------------ ndarray
def _index(key):
    """An index with fake arrays unwrapped (numpy arrays and lists are accepted, as CuPy
    copies them to the device)."""
    return unwrap(key, host_ok=True)


def _scalar_view(a: np.ndarray, key):
    """numpy gives a scalar for a full integer index; CuPy a 0-d view: redo it as a view."""
    items = key if isinstance(key, tuple) else (key,)
    if all(isinstance(k, (int, np.integer)) for k in items):
        return a[items + (Ellipsis,)]
    return None


class _Flags:
    def __init__(self, a: np.ndarray):
        self.c_contiguous = bool(a.flags.c_contiguous)
        self.f_contiguous = bool(a.flags.f_contiguous)
        self.owndata = a.base is None

    def __getitem__(self, name: str) -> bool:
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous,
                "OWNDATA": self.owndata}[name]


class _CudaCapsule:
    """What the fake's `__dlpack__` exports: device memory only `cupy.from_dlpack` reads."""

    def __init__(self, array: "ndarray"):
        self.array = array


class ndarray:
    """A CuPy array living on the fake device (numpy memory, CuPy behaviour)."""

    __slots__ = ("_a", "_mem", "__weakref__")
    __array_priority__ = 100
    __hash__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        check_dtype(dtype)
        a = np.empty(shape, dtype, order=order)
        self._a, self._mem = a, _memory_for(a)

    # ------------------------------------------------------------ attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: _Flags(self._a))
    T = property(lambda self: wrap(self._a.T, (self,)))
    mT = property(lambda self: wrap(np.swapaxes(self._a, -1, -2)))

    @shape.setter
    def shape(self, value):
        self._a.shape = value

    @property
    def base(self):
        root = self._mem.root
        if root is None or root is self._a:
            return None
        return _make(root, self._mem)

    @property
    def data(self) -> cuda.MemoryPointer:
        start = self._a.__array_interface__["data"][0]
        return cuda.MemoryPointer(self._mem, start - self._mem.ptr)

    @property
    def device(self) -> cuda.Device:
        return cuda.Device(self._mem.device_id)

    @property
    def real(self):
        return wrap(self._a.real, (self,))

    @real.setter
    def real(self, value):
        self._a.real = unwrap(value)

    @property
    def imag(self):
        return wrap(self._a.imag, (self,))

    @imag.setter
    def imag(self, value):
        self._a.imag = unwrap(value)

    @property
    def __cuda_array_interface__(self) -> dict:
        a = self._a
        return {"shape": a.shape, "typestr": a.dtype.str, "descr": a.dtype.descr,
                "data": (self.data.ptr, False), "version": 3,
                "strides": None if a.flags.c_contiguous else a.strides}

    # ------------------------------------------------------------ host transfers
    def get(self, stream=None, order="C", out=None, blocking=True) -> np.ndarray:
        """A host copy (C order by default, as CuPy)."""
        if out is not None:
            out[...] = self._a
            return out
        return np.array(self._a, order=order, copy=True)

    def set(self, arr, stream=None) -> None:
        arr = np.asarray(arr)
        if arr.shape != self._a.shape or arr.dtype != self._a.dtype:
            raise ValueError("Shape or dtype mismatch: cannot set from host array "
                             f"{arr.shape}/{arr.dtype} into {self._a.shape}/{self._a.dtype}")
        self._a[...] = arr

    def item(self):
        """CuPy's item() takes no index (numpy's does)."""
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def tobytes(self, order="C") -> bytes:
        return self._a.tobytes(order)

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use "
                        "`.get()` to construct a NumPy array explicitly.")

    # ------------------------------------------------------------ numpy interop
    def __array_ufunc__(self, np_ufunc, method, *inputs, **kwargs):
        fake = UFUNCS.get(np_ufunc.__name__)
        if fake is None:
            special = NAMESPACE.get("_special_ufunc")
            fake = special(np_ufunc.__name__) if special else None
        if fake is None:
            return NotImplemented
        if "out" in kwargs and isinstance(kwargs["out"], tuple) and len(kwargs["out"]) == 1:
            kwargs["out"] = kwargs["out"][0]
        fn = fake if method == "__call__" else getattr(fake, method)
        return fn(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        module = NAMESPACE.get("_module_for")(func.__module__)
        fake = getattr(module, func.__name__, None) if module is not None else None
        if fake is None or fake is func:
            return NotImplemented
        for t in types:
            if not issubclass(t, (ndarray, np.ndarray)):
                return NotImplemented
        return fake(*args, **kwargs)

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        return _CudaCapsule(self)

    def __dlpack_device__(self):
        return (2, self._mem.device_id)   # kDLCUDA

    def toDlpack(self):
        return _CudaCapsule(self)

    # ------------------------------------------------------------ Python protocol
    def __len__(self) -> int:
        if self._a.ndim == 0:
            raise TypeError("len() of unsized object")
        return self._a.shape[0]

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self._a.shape[0]))

    def __bool__(self) -> bool:
        return bool(self._a)

    def __int__(self) -> int:
        return int(self.get())

    def __float__(self) -> float:
        return float(self.get())

    def __complex__(self) -> complex:
        return complex(self.get())

    def __repr__(self) -> str:
        return repr(self._a)

    def __str__(self) -> str:
        return str(self._a)

    def __format__(self, spec: str) -> str:
        return format(self.get(), spec)

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def __reduce__(self):
        return (_unpickle, (self.get(order="A"),))

    # ------------------------------------------------------------ indexing
    def __getitem__(self, key):
        key = _index(key)
        result = self._a[key]
        if isinstance(result, np.generic):
            view = _scalar_view(self._a, key)
            result = np.asarray(result) if view is None else view
        return wrap(result, (self,))

    def __setitem__(self, key, value):
        if _foreign(value):
            value = np.asarray(value)   # e.g. a Tensor: numpy would try its __array__
        self._a[_index(key)] = unwrap(value, host_ok=True)

    # ------------------------------------------------------------ methods
    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        check_dtype(dtype)
        if not copy and np.dtype(dtype) == self._a.dtype:
            return self
        return wrap(self._a.astype(dtype, order=order, copy=True))

    def copy(self, order="C"):
        return wrap(self._a.copy(order=order))

    def view(self, dtype=None, type=None):   # noqa: A002 (CuPy's name; not supported)
        if dtype is None:
            return wrap(self._a.view(), (None,))
        check_dtype(dtype)
        return wrap(self._a.view(dtype))

    def fill(self, value) -> None:
        self._a.fill(unwrap(value))

    def sort(self, axis=-1, kind=None) -> None:
        self._a.sort(axis=axis)

    def put(self, indices, values, mode="wrap") -> None:
        self._a.put(unwrap(indices, host_ok=True), unwrap(values, host_ok=True), mode=mode)

    def ptp(self, axis=None, out=None, keepdims=False):
        return wrap(np.ptp(self._a, axis=axis, keepdims=keepdims))

    def scatter_add(self, slices, value) -> None:
        np.add.at(self._a, _index(slices), unwrap(value, host_ok=True))

    def scatter_max(self, slices, value) -> None:
        np.maximum.at(self._a, _index(slices), unwrap(value, host_ok=True))

    def scatter_min(self, slices, value) -> None:
        np.minimum.at(self._a, _index(slices), unwrap(value, host_ok=True))

    def __matmul__(self, other):
        if _foreign(other):
            return NotImplemented
        return NAMESPACE["matmul"](self, other)

    def __rmatmul__(self, other):
        if _foreign(other):
            return NotImplemented
        return NAMESPACE["matmul"](other, self)

    def __pow__(self, other, mod=None):
        if _foreign(other):
            return NotImplemented
        return _ufunc("power")(self, other)

    def __rpow__(self, other):
        return _ufunc("power")(other, self)

    def __divmod__(self, other):
        return _ufunc("divmod")(self, other)


def _unpickle(host: np.ndarray) -> ndarray:
    return from_host(host)


def _method(name: str):
    """A method of ndarray forwarded to numpy's (arguments unwrapped, results wrapped)."""
    def method(self, *args, **kwargs):
        result = getattr(self._a, name)(*unwrap(args), **unwrap_kwargs(kwargs))
        return wrap(result, (self,))
    method.__name__ = name
    return method


for _name in ("all any argmax argmin argpartition argsort choose clip compress conj "
              "conjugate cumprod cumsum diagonal dot flatten max mean min nonzero prod "
              "partition ravel repeat reshape round searchsorted squeeze std sum swapaxes "
              "take trace transpose var").split():
    setattr(ndarray, _name, _method(_name))

_BINARY = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
           "floordiv": "floor_divide", "mod": "remainder", "and": "bitwise_and",
           "or": "bitwise_or", "xor": "bitwise_xor", "lshift": "left_shift",
           "rshift": "right_shift"}
for _op, _uf in _BINARY.items():
    setattr(ndarray, f"__{_op}__", _binary(_uf))
    setattr(ndarray, f"__r{_op}__", _binary(_uf, reflected=True))
    setattr(ndarray, f"__i{_op}__", _inplace(_uf))
ndarray.__ipow__ = _inplace("power")
for _op, _uf in {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
                 "gt": "greater", "ge": "greater_equal"}.items():
    setattr(ndarray, f"__{_op}__", _binary(_uf))
for _op, _uf in {"neg": "negative", "pos": "positive", "abs": "absolute",
                 "invert": "invert"}.items():
    setattr(ndarray, f"__{_op}__", _unary(_uf))
