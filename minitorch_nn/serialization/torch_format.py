"""Reading PyTorch's `torch.save` zip format without PyTorch, safely.

A `.pt` file is a zip archive `<name>/data.pkl` (a pickle of the object tree) plus one raw
byte file `<name>/data/<key>` per storage. Tensors appear in the pickle as calls to
`torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`, and storages as
persistent ids `('storage', torch.FloatStorage, key, location, numel)`. Our unpickler maps
exactly those names (and OrderedDict) to functions of ours and refuses every other global, so a
hostile file cannot run code (the same guarantee as PyTorch's `weights_only=True`).
"""
from __future__ import annotations

import collections
import pickle
import zipfile

import numpy as np

from .. import dtypes as _dt
from ..tensor import _wrap

__all__ = ["load_torch_zip"]

_STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "BFloat16Storage": _dt.bfloat16.np, "LongStorage": np.int64, "IntStorage": np.int32,
    "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8,
    "BoolStorage": np.bool_, "ComplexFloatStorage": np.complex64,
    "ComplexDoubleStorage": np.complex128,
}


class _StorageType:
    def __init__(self, np_dtype):
        self.np_dtype = np.dtype(np_dtype)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    item = storage.itemsize
    if not size:
        arr = storage[storage_offset:storage_offset + 1].reshape(())
    else:
        arr = np.lib.stride_tricks.as_strided(storage[storage_offset:], shape=tuple(size),
                                              strides=tuple(s * item for s in stride))
    t = _wrap(np.array(arr, copy=True))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks, *args):
    from ..nn.parameter import Parameter
    return Parameter(data, requires_grad=requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _rebuild_parameter(data, requires_grad, backward_hooks)


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "slice"): slice,
    ("builtins", "complex"): complex,
}


class _SafeUnpickler(pickle.Unpickler):
    def __init__(self, file, zf: zipfile.ZipFile, prefix: str):
        super().__init__(file)
        self._zf = zf
        self._prefix = prefix
        self._storages: dict[str, np.ndarray] = {}

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        if module == "torch" and hasattr(_dt, name) and isinstance(getattr(_dt, name),
                                                                   _dt.dtype):
            return getattr(_dt, name)
        raise pickle.UnpicklingError(
            f"refusing to load '{module}.{name}' from a PyTorch checkpoint: only tensors, "
            "state_dicts and plain containers can be loaded safely")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, numel = pid
        if kind != "storage":
            raise pickle.UnpicklingError(f"unknown persistent id kind {kind!r}")
        dtype = storage_type.np_dtype if isinstance(storage_type, _StorageType) \
            else storage_type.np if isinstance(storage_type, _dt.dtype) else np.uint8
        if key not in self._storages:
            raw = self._zf.read(f"{self._prefix}data/{key}")
            self._storages[key] = np.frombuffer(raw, dtype=dtype)
        return self._storages[key]


def load_torch_zip(zf: zipfile.ZipFile, place):
    """Load the object tree of a PyTorch zip checkpoint; tensors go through `place`."""
    pkl = next(n for n in zf.namelist() if n.endswith("data.pkl"))
    prefix = pkl[: -len("data.pkl")]
    byteorder = prefix + "byteorder"
    if byteorder in zf.namelist() and zf.read(byteorder).decode() != "little":
        raise RuntimeError("load(): big-endian PyTorch checkpoints are not supported")
    import io
    obj = _SafeUnpickler(io.BytesIO(zf.read(pkl)), zf, prefix).load()
    return _map_tensors(obj, place)


def _map_tensors(obj, place):
    from ..tensor import Tensor
    if isinstance(obj, Tensor):
        return place(obj)
    if isinstance(obj, dict):
        out = type(obj)()
        for k, v in obj.items():
            out[k] = _map_tensors(v, place)
        if hasattr(obj, "_metadata"):
            out._metadata = obj._metadata
        return out
    if isinstance(obj, (list, tuple)):
        return type(obj)(_map_tensors(v, place) for v in obj)
    return obj
