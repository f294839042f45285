"""tensor_split and its numpy-style forms hsplit, vsplit, dsplit: a tensor cut into views
along one dim, by a number of sections or at given indices (`split`/`chunk` are in
ops/joining.py).

Every piece is a slice view (SliceBackward0, as PyTorch's), so pieces share the input's
storage and their gradients land in their own region of the input's gradient.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor, _wrap_dim
from ._util import check_tensor
from .inplace import _legacy_name
from .registry import op
from .views import Slice, _select_index

_SIGNATURES = (" * (Tensor input, tuple of ints indices, int dim = 0)\n"
               " * (Tensor input, Tensor tensor_indices_or_sections, int dim = 0)\n"
               " * (Tensor input, int sections, int dim = 0)\n")


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _pieces(input: Tensor, d: int, bounds) -> tuple:
    """Slices [bounds[i], bounds[i+1]) of `input` along `d` (Python slice rules)."""
    ndim = input._data.ndim
    return tuple(Slice.apply(input, _select_index(ndim, d, slice(lo, hi)))
                 for lo, hi in zip(bounds[:-1], bounds[1:]))


def _section_bounds(n: int, sections: int) -> list:
    """`sections` pieces, the first n % sections of them one element longer."""
    if sections <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
    small, extra = divmod(n, sections)
    bounds = [0]
    for i in range(sections):
        bounds.append(bounds[-1] + small + (1 if i < extra else 0))
    return bounds


def _tensor_argument(t: Tensor):
    """The int or the list of ints a 0-D or 1-D int64 tensor stands for."""
    if t.dtype != _dt.int64:
        raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of "
                           f"long, but got {_legacy_name(t.dtype)}")
    if t.ndim > 1:
        raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                           "zero-dimensional or one-dimensional tensor, but got a tensor with "
                           f"{t.ndim} dims")
    values = t.cpu().numpy() if t.device.type != "cpu" else t.numpy()
    return int(values) if t.ndim == 0 else [int(v) for v in values]


@op("tensor_split", methods=("tensor_split",))
def tensor_split(input: Tensor, indices_or_sections=None, dim: int = 0, *, sections=None,
                 indices=None, tensor_indices_or_sections=None) -> tuple:
    """`input` cut along `dim` into `sections` near-equal views, or at `indices`.

        >>> torch.tensor_split(torch.arange(7), 3)
        (tensor([0, 1, 2]), tensor([3, 4]), tensor([5, 6]))
    """
    check_tensor(input, "input", "tensor_split")
    given = [v for v in (indices_or_sections, sections, indices, tensor_indices_or_sections)
             if v is not None]
    if len(given) != 1:
        raise TypeError("tensor_split() missing 1 required positional argument: "
                        "\"indices_or_sections\"")
    spec = given[0]
    if isinstance(spec, Tensor):
        spec = _tensor_argument(spec)
    if not (_is_int(spec) or isinstance(spec, (list, tuple)) and all(map(_is_int, spec))):
        raise TypeError("tensor_split() received an invalid combination of arguments - got "
                        f"(Tensor, {type(spec).__name__}), but expected one of:\n{_SIGNATURES}")
    if input._data.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = _wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if _is_int(spec):
        return _pieces(input, d, _section_bounds(n, int(spec)))
    return _pieces(input, d, [0, *(int(i) for i in spec), n])


def _numpy_split(input: Tensor, spec, fn: str, d: int, min_dims: int) -> tuple:
    """hsplit/vsplit/dsplit: tensor_split along `d`, whose sections must divide the dim."""
    check_tensor(input, "input", fn)
    if input._data.ndim < min_dims:
        raise RuntimeError(f"torch.{fn} requires a tensor with at least {min_dims} dimension, "
                           f"but got a tensor with {input._data.ndim} dimensions!")
    if _is_int(spec):
        size = input._data.shape[d]
        if spec == 0 or size % spec:
            raise RuntimeError(f"torch.{fn} attempted to split along dimension {d}, but the "
                               f"size of the dimension {size} is not divisible by the "
                               f"split_size {spec}!")
    elif not (isinstance(spec, (list, tuple)) and all(map(_is_int, spec))):
        raise TypeError(f"{fn}() received an invalid combination of arguments - got (Tensor, "
                        f"{type(spec).__name__}), but expected one of:\n"
                        " * (Tensor input, int sections)\n * (Tensor input, tuple of ints "
                        "indices)\n")
    return tensor_split(input, spec, d)


@op("hsplit", methods=("hsplit",))
def hsplit(input: Tensor, indices_or_sections) -> tuple:
    """Split along dim 1 (dim 0 for a 1-D tensor), as numpy.hsplit."""
    d = 1 if getattr(input, "ndim", 0) > 1 else 0
    return _numpy_split(input, indices_or_sections, "hsplit", d, 1)


@op("vsplit", methods=("vsplit",))
def vsplit(input: Tensor, indices_or_sections) -> tuple:
    """Split along dim 0 of a tensor with at least 2 dims, as numpy.vsplit."""
    return _numpy_split(input, indices_or_sections, "vsplit", 0, 2)


@op("dsplit", methods=("dsplit",))
def dsplit(input: Tensor, indices_or_sections) -> tuple:
    """Split along dim 2 of a tensor with at least 3 dims, as numpy.dsplit."""
    return _numpy_split(input, indices_or_sections, "dsplit", 2, 3)
