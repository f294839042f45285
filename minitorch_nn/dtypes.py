"""dtypes: our own dtype objects, their numpy dtypes, and PyTorch's type promotion.

A `dtype` is a small immutable object (`minitorch_nn.float32`, ...) that knows the numpy dtype
that stores it. bfloat16 is stored with `ml_dtypes` (numpy computes with it; Numba cannot, so
kernels upcast it to float32). ml_dtypes takes over half a second to import, so it is imported
the first time `bfloat16.np` is read (see `dtype.__getattr__`), not with the package.
Promotion follows PyTorch's rules, not numpy's: an int64 tensor times a float16 tensor is
float16, a Python float never widens a float32 tensor, and so on.
"""
from __future__ import annotations

import builtins as _builtins
import sys as _sys

import numpy as np

# The names below shadow float/int/bool/complex on purpose (torch.float, torch.int, ...).
_pyfloat, _pyint, _pybool, _pycomplex = (_builtins.float, _builtins.int, _builtins.bool,
                                         _builtins.complex)

__all__ = [
    "dtype", "float16", "half", "bfloat16", "float32", "float", "float64", "double",
    "int8", "int16", "int32", "int", "int64", "long", "short", "uint8", "bool",
    "complex64", "cfloat", "complex128", "cdouble",
    "get_default_dtype", "set_default_dtype", "promote_types", "result_type",
    "can_cast", "is_floating_point", "is_complex",
]

_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3   # kinds, ordered as PyTorch's categories


class dtype:
    """A tensor element type, printed as PyTorch prints it (`torch.float32`)."""

    __slots__ = ("name", "np", "kind", "itemsize", "_legacy")

    def __init__(self, name: str, np_dtype, kind: int, legacy: str, itemsize: int = 0):
        self.name = name
        if np_dtype is not None:   # None: bfloat16, whose numpy dtype is made on first use
            self.np = np.dtype(np_dtype)
        self.kind = kind
        self.itemsize = itemsize or self.np.itemsize
        self._legacy = legacy

    def __getattr__(self, attr):
        # Called only when the slot is unset: `np` of bfloat16 before ml_dtypes is imported.
        # Every later read of `bfloat16.np` is a plain slot read, as for the other dtypes.
        if attr == "np" and self.name == "bfloat16":
            return _load_bfloat16()
        raise AttributeError(f"'dtype' object has no attribute '{attr}'")

    @property
    def is_floating_point(self) -> bool:
        return self.kind == _FLOAT

    @property
    def is_complex(self) -> bool:
        return self.kind == _COMPLEX

    @property
    def is_signed(self) -> bool:
        return self.name not in ("uint8", "bool")

    def to_real(self) -> "dtype":
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self) -> "dtype":
        return {float64: complex128, complex128: complex128}.get(self, complex64)

    def __repr__(self) -> str:
        return "torch." + self.name

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


float16 = half = dtype("float16", np.float16, _FLOAT, "HalfTensor")
bfloat16 = dtype("bfloat16", None, _FLOAT, "BFloat16Tensor", itemsize=2)
float32 = float = dtype("float32", np.float32, _FLOAT, "FloatTensor")
float64 = double = dtype("float64", np.float64, _FLOAT, "DoubleTensor")
int8 = dtype("int8", np.int8, _INT, "CharTensor")
int16 = short = dtype("int16", np.int16, _INT, "ShortTensor")
int32 = int = dtype("int32", np.int32, _INT, "IntTensor")
int64 = long = dtype("int64", np.int64, _INT, "LongTensor")
uint8 = dtype("uint8", np.uint8, _INT, "ByteTensor")
bool = dtype("bool", np.bool_, _BOOL, "BoolTensor")
complex64 = cfloat = dtype("complex64", np.complex64, _COMPLEX, "ComplexFloatTensor")
complex128 = cdouble = dtype("complex128", np.complex128, _COMPLEX, "ComplexDoubleTensor")

ALL_DTYPES = (float16, bfloat16, float32, float64, int8, int16, int32, int64, uint8, bool,
              complex64, complex128)
_BY_NUMPY = {d.np: d for d in ALL_DTYPES if d is not bfloat16}   # bfloat16: _load_bfloat16
_BY_NAME = {d.name: d for d in ALL_DTYPES}


def _load_bfloat16() -> np.dtype:
    """Import ml_dtypes, give `bfloat16` its numpy dtype and register it for lookups."""
    import ml_dtypes
    np_dtype = np.dtype(ml_dtypes.bfloat16)
    bfloat16.np = np_dtype
    _BY_NUMPY[np_dtype] = bfloat16
    return np_dtype


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The dtype that stores numpy dtype `np_dtype`; TypeError for types PyTorch lacks."""
    try:
        return _BY_NUMPY[np_dtype]
    except KeyError:
        d = np.dtype(np_dtype)
        if d in _BY_NUMPY:
            return _BY_NUMPY[d]
        if d.name == "bfloat16" and "ml_dtypes" in _sys.modules:
            # An ml_dtypes array made before our bfloat16 was first used: register it now.
            _load_bfloat16()
            if d in _BY_NUMPY:
                return _BY_NUMPY[d]
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{d.type.__name__}. The only supported "
            "types are: "
            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
            "uint8, and bool.") from None


def to_dtype(obj) -> dtype:
    """Accept a dtype, a numpy dtype or a Python type (float → float64, int → int64, ...)."""
    if type(obj) is dtype:
        return obj
    if obj is _pyfloat:   # a Python float is a C double, as in PyTorch
        return float64
    if obj is _pyint:
        return int64
    if obj is _pybool:
        return bool
    if obj is _pycomplex:
        return complex128
    if isinstance(obj, str):   # PyTorch refuses dtype names ('float32'): a TypeError
        raise TypeError("argument 'dtype' must be torch.dtype, not str")
    try:
        return from_numpy_dtype(np.dtype(obj))
    except TypeError:
        raise TypeError(f"dtype must be a minitorch_nn dtype (e.g. torch.float32), "
                        f"got {obj!r}") from None


_default_dtype = float32


def get_default_dtype() -> dtype:
    """The dtype of float tensors made from Python floats (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(d: dtype) -> None:
    """Set the default float dtype (float32, float64, float16 or bfloat16), as PyTorch does.

        >>> set_default_dtype(float64); tensor([1.]).dtype; set_default_dtype(float32)
    """
    global _default_dtype
    if type(d) is not dtype:
        raise TypeError("invalid dtype object: only floating-point types are supported as the "
                        "default type")
    if d.kind != _FLOAT:
        raise TypeError("only floating-point types are supported as the default type")
    _default_dtype = d


def is_floating_point(t) -> bool:
    return t.dtype.kind == _FLOAT


def is_complex(t) -> bool:
    return t.dtype.kind == _COMPLEX


def _promote_ints(a: dtype, b: dtype) -> dtype:
    return _BY_NUMPY[np.promote_types(a.np, b.np)]


def _check_dtype_args(fn: str, names: tuple, values: tuple) -> None:
    for pos, (name, value) in enumerate(zip(names, values), 1):
        if type(value) is not dtype:
            raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be torch.dtype, "
                            f"not {type(value).__name__}")


def promote_types(type1: dtype, type2: dtype) -> dtype:
    """PyTorch's promotion table: the smallest dtype both convert to safely.

        >>> promote_types(int64, float16)
        torch.float16
    """
    _check_dtype_args("promote_types", ("type1", "type2"), (type1, type2))
    return _promote(type1, type2)


def _promote(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a.kind != b.kind:
        hi, lo = (a, b) if a.kind > b.kind else (b, a)
        if hi.kind == _COMPLEX and lo.kind == _FLOAT and lo is float64:
            return complex128
        return hi
    if a.kind == _FLOAT:
        if {a, b} == {float16, bfloat16}:
            return float32
        return a if a.itemsize >= b.itemsize else b
    if a.kind == _COMPLEX:
        return a if a.itemsize >= b.itemsize else b
    return _promote_ints(a, b)


def _scalar_dtype(value) -> dtype:
    if isinstance(value, _pybool):
        return bool
    if isinstance(value, _pyint):
        return int64
    if isinstance(value, _pyfloat):
        return get_default_dtype()
    if isinstance(value, _pycomplex):
        return get_default_dtype().to_complex()
    raise TypeError(f"expected a Tensor or a Python number, got {type(value).__name__}")


def _combine(higher, lower):
    """PyTorch's combine_categories: a lower-priority group counts only if of a higher kind."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.kind == _COMPLEX:
        return higher
    if lower.kind == _COMPLEX:
        return higher.to_complex() if higher.kind == _FLOAT else lower
    if higher.kind == _FLOAT:
        return higher
    if higher is bool or lower.kind == _FLOAT:
        return _promote(higher, lower)
    return higher


def result_type(*operands) -> dtype:
    """The dtype PyTorch gives an op on `operands` (tensors and Python scalars).

    Three priority groups: tensors with dims, zero-dim tensors, Python scalars. A lower group
    changes the result only when it is of a higher kind (bool < int < float < complex).
    """
    dim = zero = scalar = None
    for op in operands:
        d = getattr(op, "dtype", None)
        if d is None:
            s = _scalar_dtype(op)
            scalar = s if scalar is None else _promote(scalar, s)
        elif op.ndim == 0:
            zero = d if zero is None else _promote(zero, d)
        else:
            dim = d if dim is None else _promote(dim, d)
    return _combine(dim, _combine(zero, scalar))


def can_cast(from_: dtype, to: dtype) -> bool:
    """PyTorch's casting rule for in-place ops: no float into int, no complex into real."""
    _check_dtype_args("can_cast", ("from_", "to"), (from_, to))
    if to.kind == _BOOL:
        return from_.kind == _BOOL
    return from_.kind <= to.kind
