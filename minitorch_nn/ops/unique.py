"""unique and unique_consecutive, of all elements or of the slices along one dim.

PyTorch's rules: NaN never equals NaN (each NaN is its own unique value), -0.0 equals 0.0;
unique sorts its result even with `sorted=False` (PyTorch's CPU kernel does too), slices
along `dim` compare lexicographically. The results are a tensor, or a tuple adding the
inverse indices and/or the counts (int64). The unique values keep a graph node whose backward
raises, as PyTorch's (`Unique2Backward0`, ...: no derivative is defined).
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap, _wrap_dim_of_shape
from ._reduce_util import _type_name, xp_of
from ._util import check_tensor
from .registry import op


# ====================================================================== array helpers
def _key(arr):
    """`arr` as numpy/CuPy sort it (bfloat16 has no sort of its own)."""
    return arr.astype(np.float32) if arr.dtype.name == "bfloat16" else arr


def _groups(first, order, n: int):
    """(positions of the unique entries in `order`, inverse indices, counts) from the mask
    `first` of sorted entries that start a new group."""
    xp = xp_of(first)
    group = xp.cumsum(first) - 1
    inverse = xp.empty(n, dtype=np.int64)
    inverse[order] = group
    starts = xp.flatnonzero(first)
    counts = xp.diff(xp.concatenate([starts, xp.asarray([n])])).astype(np.int64)
    return starts, inverse, counts


def _new_group(rows):
    """Mask of the rows (a 2-D array, one slice per row) that differ from the row before;
    NaN differs from everything, so it never merges."""
    xp = xp_of(rows)
    first = xp.ones(rows.shape[0], dtype=bool)
    if rows.shape[0] > 1:
        first[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    return first


def _as_rows(arr, d):
    """(slices along `d` as rows of a 2-D array, the moved array) or (flattened, None)."""
    if d is None:
        return arr.reshape(-1, 1), None
    moved = xp_of(arr).moveaxis(arr, d, 0)
    return moved.reshape(moved.shape[0], int(np.prod(moved.shape[1:]))), moved


def _unique_rows(arr, d, consecutive: bool):
    """(unique values, inverse, counts) of the elements (d None) or slices along d."""
    xp = xp_of(arr)
    rows, moved = _as_rows(arr, d)
    n = rows.shape[0]
    if consecutive:
        order = xp.arange(n)
    elif d is None:
        order = xp.argsort(_key(rows[:, 0]), kind="stable")
    else:   # lexicographic, first element most significant; lexsort is stable
        order = xp.lexsort(_key(rows).T[::-1]) if rows.shape[1] else xp.arange(n)
    picked = rows[order]
    starts, inverse, counts = _groups(_new_group(picked), order, n)
    values = picked[starts]
    if d is None:
        return values.reshape(-1), inverse.reshape(arr.shape), counts
    values = values.reshape((values.shape[0],) + moved.shape[1:])
    return xp.moveaxis(values, 0, d), inverse, counts


# ====================================================================== functions
class _UniqueBase(ArrayFunction):
    """Forward returns (values, inverse, counts); backward raises as PyTorch's node does."""

    _aten = ""

    @classmethod
    def _run(cls, x, d, consecutive):
        values, inverse, counts = _unique_rows(x._data, d, consecutive)
        return _wrap(values), _wrap(inverse), _wrap(counts)

    @classmethod
    def _no_derivative(cls):
        raise NotImplementedError(f"the derivative for '{cls._aten}' is not implemented.")


class Unique2(_UniqueBase):
    _aten = "_unique2"

    @staticmethod
    def forward(ctx, x):
        return Unique2._run(x, None, False)

    @staticmethod
    def backward(ctx, *grads):
        Unique2._no_derivative()


class UniqueDim(_UniqueBase):
    _aten = "unique_dim"

    @staticmethod
    def forward(ctx, x, d):
        return UniqueDim._run(x, d, False)

    @staticmethod
    def backward(ctx, *grads):
        UniqueDim._no_derivative()


class UniqueConsecutive(_UniqueBase):
    _aten = "unique_consecutive"

    @staticmethod
    def forward(ctx, x, d):
        return UniqueConsecutive._run(x, d, True)

    @staticmethod
    def backward(ctx, *grads):
        UniqueConsecutive._no_derivative()


# ====================================================================== argument checks
def _check_flags(fn: str, **flags) -> None:
    for name, value in flags.items():
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{fn}(): argument '{name}' must be bool, not "
                            f"{type(value).__name__}")


def _check_input(x: Tensor, fn: str, kernel: str) -> None:
    check_tensor(x, "input", fn)
    if x._data.dtype.kind == "c":
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{_type_name(_dt.from_numpy_dtype(x._data.dtype))}'")


def _slice_dim(x: Tensor, dim, fn: str):
    """`dim` wrapped, with PyTorch's errors for a 0-d input and for empty unselected dims."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{fn}(): argument 'dim' (position 2) must be int, not "
                        f"{type(dim).__name__}")
    d = _wrap_dim_of_shape(int(dim), x.ndim)
    shape = x.shape
    if shape[d] > 0 and any(s == 0 for i, s in enumerate(shape) if i != d):
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique "
                           "cannot be applied")
    return d


def _returned(values, inverse, counts, return_inverse: bool, return_counts: bool):
    """A tensor, or the tuple PyTorch returns when inverse and/or counts are asked."""
    if not (return_inverse or return_counts):
        return values
    return (values,) + ((inverse,) if return_inverse else ()) + \
        ((counts,) if return_counts else ())


# ====================================================================== declarations
@op("unique", methods=("unique",))
def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim=None):
    """The distinct elements of `input` (or slices along `dim`), sorted, with optional
    inverse indices (input's shape, or (size of dim,)) and counts."""
    _check_input(input, "unique", "unique" if dim is None else "unique_dim")
    _check_flags("unique", sorted=sorted, return_inverse=return_inverse,
                 return_counts=return_counts)
    if dim is None:
        out = Unique2.apply(input)
    else:
        out = UniqueDim.apply(input, _slice_dim(input, dim, "unique_dim"))
    return _returned(*out, return_inverse, return_counts)


@op("unique_consecutive", methods=("unique_consecutive",))
def unique_consecutive(input: Tensor, return_inverse: bool = False,
                       return_counts: bool = False, dim=None):
    """`input` with every run of equal consecutive elements (or slices along `dim`) kept
    once, with optional inverse indices and run lengths."""
    _check_input(input, "unique_consecutive", "unique")
    _check_flags("unique_consecutive", return_inverse=return_inverse,
                 return_counts=return_counts)
    d = None if dim is None else _slice_dim(input, dim, "unique_consecutive")
    out = UniqueConsecutive.apply(input, d)
    return _returned(*out, return_inverse, return_counts)
