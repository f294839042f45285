"""Collating samples into batches: `default_collate`, `default_convert` and PyTorch's
extensible `collate(batch, collate_fn_map=...)` (`torch.utils.data._utils.collate`).

`collate` looks the type of the batch's first element up in `collate_fn_map` (exact type
first, then `isinstance` in the map's order) and otherwise recurses into mappings,
namedtuples and sequences; `default_collate_fn_map` holds the rules for tensors, NumPy arrays
and scalars, Python numbers, strings and bytes. Extend a copy of it for custom types:

    >>> import minitorch_nn as torch
    >>> from minitorch_nn.utils.data._collate import collate, default_collate_fn_map
    >>> rules = {**default_collate_fn_map, complex: lambda b, *, collate_fn_map: len(b)}
    >>> collate([(1j, 2), (2j, 3)], collate_fn_map=rules)
    [2, tensor([2, 3])]
"""
from __future__ import annotations

import collections.abc
import copy
import re
from typing import Any, Callable

import numpy as np

from ... import dtypes
from ...creation import as_tensor, tensor
from ...tensor import Tensor

__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert",
           "collate_tensor_fn", "collate_numpy_array_fn", "collate_numpy_scalar_fn",
           "collate_float_fn", "collate_int_fn", "collate_str_fn"]

np_str_obj_array_pattern = re.compile(r"[SaUO]")
default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
    "found {}")


def default_convert(data: Any) -> Any:
    """Turn NumPy arrays and scalars inside `data` into tensors, keeping its structure (no
    batching): the collate function of a DataLoader with `batch_size=None`. Tuples become
    lists and string/object arrays stay arrays, as in PyTorch."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" and \
                np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return _numpy_to_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):   # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]   # PyTorch's backward compatibility
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def collate(batch, *, collate_fn_map: dict[type | tuple[type, ...], Callable] | None = None):
    """Merge the list of samples `batch` following `collate_fn_map` (see the module doc)."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {
            key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
            for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):   # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map)
                           for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(samples, collate_fn_map=collate_fn_map)
                   for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return columns   # a tuple sample gives a list, as in PyTorch
        return _rebuild_sequence(elem, columns)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None) -> Tensor:
    """Tensors: stacked along a new first dimension (RuntimeError if their sizes differ)."""
    from ...ops.joining import stack
    return stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    """NumPy arrays: turned into tensors and collated again (string/object arrays refused)."""
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None) -> Tensor:
    """NumPy scalars: a 1-D tensor of their dtype (e.g. np.int32 values give int32)."""
    return _numpy_to_tensor(batch)


def collate_float_fn(batch, *, collate_fn_map=None) -> Tensor:
    """Python floats: a float64 tensor."""
    return tensor(batch, dtype=dtypes.float64)


def collate_int_fn(batch, *, collate_fn_map=None) -> Tensor:
    """Python ints (and bools): `tensor(batch)` (int64, bool, or float if floats are mixed in)."""
    return tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    """Strings and bytes: kept as the list they came in."""
    return batch


default_collate_fn_map: dict[type | tuple[type, ...], Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch) -> Any:
    """Merge a list of samples into a batch, recursing into their structure.

    Tensors are stacked along a new first dimension; NumPy arrays become tensors, then are
    stacked; NumPy scalars keep their dtype; Python floats give a float64 tensor, ints (and
    bools) an int64 (bool) tensor; strings and bytes stay a list; dicts collate per key,
    namedtuples per field, and other sequences position by position (a tuple sample gives a
    list, as in PyTorch). Ragged lists raise PyTorch's RuntimeError.

        >>> import minitorch_nn as torch
        >>> default_collate([(torch.zeros(2), 1), (torch.ones(2), 2)])
        [tensor([[0., 0.],
                [1., 1.]]), tensor([1, 2])]
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


def _numpy_to_tensor(data) -> Tensor:
    """`as_tensor` of a NumPy value, or of a list of NumPy scalars, keeping NumPy's dtype."""
    if isinstance(data, list) and len({type(d) for d in data}) == 1:
        data = np.asarray(data)
    elif isinstance(data, np.generic):
        data = np.asarray(data)
    return as_tensor(data)


def _rebuild_mapping(like, values: dict):
    """A mapping of `like`'s type holding `values` (a plain dict if that type refuses)."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)
            clone.update(values)
            return clone
        return type(like)(values)
    except TypeError:
        return values


def _rebuild_sequence(like, values: list):
    """A sequence of `like`'s type holding `values` (a plain list if that type refuses)."""
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, v in enumerate(values):
                clone[i] = v
            return clone
        return type(like)(values)
    except TypeError:
        return values
