"""Writing PyTorch's `torch.save` zip format without PyTorch (torch_format.py reads it).

A checkpoint is a zip archive (every record stored uncompressed, its bytes aligned to 64 in the
file, as PyTorch writes them):

    archive/data.pkl                the object tree, pickled (protocol 2 by default)
    archive/.format_version         "1"
    archive/.storage_alignment      "64"
    archive/byteorder               "little"
    archive/data/<key>              the raw bytes of one storage
    archive/version                 "3"
    archive/.data/serialization_id  40 digits

In the pickle a tensor is a call `torch._utils._rebuild_tensor_v2(storage, storage_offset,
size, stride, requires_grad, OrderedDict())`, a parameter `torch._utils._rebuild_parameter(
tensor, requires_grad, OrderedDict())`, and a storage the persistent id `('storage',
torch.FloatStorage, key, location, numel)`. Views of one array share one storage record, so
they come back sharing memory (here and in PyTorch). Our pickler writes those global names
itself (`_Global`), so saving never imports torch, and `torch.load` (weights_only=True) reads
the result.
"""
from __future__ import annotations

import collections
import io
import os
import pickle
import struct
import sys
import zipfile

import numpy as np

from .. import dtypes as _dt
from ..device import device as _device
from ..tensor import Size, Tensor, _wrap

__all__ = ["write_torch_zip", "DEFAULT_PROTOCOL", "STORAGE_ALIGNMENT"]

DEFAULT_PROTOCOL = 2
STORAGE_ALIGNMENT = 64
_ARCHIVE = "archive"
_CHUNK = 64 << 20

_STORAGE_NAMES = {
    "float64": "DoubleStorage", "float32": "FloatStorage", "float16": "HalfStorage",
    "bfloat16": "BFloat16Storage", "int64": "LongStorage", "int32": "IntStorage",
    "int16": "ShortStorage", "int8": "CharStorage", "uint8": "ByteStorage",
    "bool": "BoolStorage", "complex64": "ComplexFloatStorage",
    "complex128": "ComplexDoubleStorage",
}


# ================================================================================== saving
class _Global:
    """A global name to write into the pickle (`torch._utils._rebuild_tensor_v2`) without
    importing it. One instance per name, so the pickle memo writes each name once."""

    __slots__ = ("module", "qualname")
    _made: dict = {}

    def __new__(cls, module: str, qualname: str):
        key = (module, qualname)
        obj = cls._made.get(key)
        if obj is None:
            obj = object.__new__(cls)
            obj.module, obj.qualname = module, qualname
            cls._made[key] = obj
        return obj

    def __call__(self, *args, **kwargs):   # save_reduce() insists that `func` be callable
        raise TypeError(f"{self.module}.{self.qualname} is a name written into a checkpoint")

    def __repr__(self) -> str:
        return f"<global {self.module}.{self.qualname}>"


_REBUILD_V2 = _Global("torch._utils", "_rebuild_tensor_v2")


class _StorageRef:
    """One storage record to write: `data` is its bytes (a 1-D uint8 array)."""

    __slots__ = ("key", "dtype", "data", "location", "numel", "keep")

    def __init__(self, key, dtype, data, location, keep=None):
        self.key, self.dtype, self.data, self.location = key, dtype, data, location
        self.numel = data.nbytes // dtype.itemsize
        self.keep = keep   # the array `data` views, kept alive (its id is a dict key)


def _address(arr) -> int:
    """Where the array's first element lives: a host address, or a device one for CuPy."""
    if isinstance(arr, np.ndarray):
        return arr.__array_interface__["data"][0]
    return arr.data.ptr


def _root(arr):
    """The array that owns `arr`'s memory (following `.base` through views); a numpy array
    over a foreign buffer (bytes, mmap) is its own root."""
    root = arr
    while root.base is not None and isinstance(root.base, type(arr)):
        root = root.base
    return root


class _StorageTable:
    """Maps tensors to storage records: tensors viewing one buffer (numpy or CuPy) share a record."""

    def __init__(self):
        self.refs: list[_StorageRef] = []
        self._by_key: dict = {}

    def _new(self, group, dtype, data, location, keep=None) -> _StorageRef:
        ref = _StorageRef(str(len(self.refs)), dtype, data, location, keep)
        self.refs.append(ref)
        self._by_key[group] = ref
        return ref

    def locate(self, t: Tensor):
        """(storage record, storage_offset, size, stride) of tensor `t`."""
        arr, dtype = t._data, t.dtype
        if dtype.name not in _STORAGE_NAMES:
            raise TypeError(f"save(): tensors of dtype {dtype} cannot be saved")
        size = tuple(int(n) for n in arr.shape)
        location = "cpu" if isinstance(arr, np.ndarray) else str(t.device)
        if arr.size > 0:
            found = self._shared(arr, dtype, location)
            if found is not None:
                return (*found, size, tuple(s // arr.itemsize for s in arr.strides))
        # A copy of its own: negative strides, or memory we cannot describe.
        group = ("own", id(t))
        ref = self._by_key.get(group)
        if ref is None:
            host = np.array(t._host_array(), order="C", copy=True)
            ref = self._new(group, dtype, host.reshape(-1).view(np.uint8), location, t)
        stride, step = [], 1
        for n in reversed(size):
            stride.append(step)
            step *= max(n, 1)
        return ref, 0, size, tuple(reversed(stride))

    def _shared(self, arr, dtype, location):
        """(record, offset) of the memory-owning array under `arr` (numpy or CuPy), or None
        when `arr` cannot be described as a view of it."""
        root = _root(arr)
        item = arr.itemsize
        if not root.flags.c_contiguous or root.nbytes % item:
            return None
        offset = _address(arr) - _address(root)
        if offset < 0 or offset % item or any(s < 0 or s % item for s in arr.strides):
            return None
        end = offset + item + sum((n - 1) * s for n, s in zip(arr.shape, arr.strides))
        if end > root.nbytes:
            return None
        group = (location, _address(root), root.nbytes, dtype.name)
        ref = self._by_key.get(group)
        if ref is None:
            host = root if isinstance(root, np.ndarray) else root.get()
            ref = self._new(group, dtype, host.reshape(-1).view(np.uint8), location, root)
        return ref, offset // item


def _user_state(t: Tensor) -> dict:
    """A tensor's user attributes (`t.note = ...`), which PyTorch pickles too."""
    return {k: v for k, v in t.__dict__.items() if not k.startswith("_")}


def _save_global_name(self, obj: _Global) -> None:
    if self.proto >= 4:
        self.save(obj.module)
        self.save(obj.qualname)
        self.write(pickle.STACK_GLOBAL)
    else:
        self.write(pickle.GLOBAL + obj.module.encode() + b"\n" + obj.qualname.encode() + b"\n")
    self.memoize(obj)


def _save_dtype(self, obj) -> None:
    self.save(_Global("torch", obj.name))


def _pickler_class(pickle_module):
    base = getattr(pickle_module, "Pickler", None)
    if not (isinstance(base, type) and issubclass(base, pickle._Pickler)):
        if pickle_module is not pickle and base is not pickle.Pickler:
            raise TypeError("save(): pickle_module must be the pickle module or a module whose "
                            "Pickler subclasses pickle._Pickler (dill does)")
        base = pickle._Pickler   # the pure-Python pickler, whose dispatch we can extend

    class TorchPickler(base):
        dispatch = dict(base.dispatch)
        dispatch[_Global] = _save_global_name
        dispatch[_dt.dtype] = _save_dtype

        def __init__(self, file, protocol, table):
            super().__init__(file, protocol)
            self._table = table

        def persistent_id(self, obj):
            if type(obj) is _StorageRef:
                return ("storage", _Global("torch", _STORAGE_NAMES[obj.dtype.name]), obj.key,
                        obj.location, obj.numel)
            return None

        def reducer_override(self, obj):
            if isinstance(obj, Tensor):
                return self._reduce_tensor(obj)
            kind = type(obj)
            if kind is Size:
                return (_Global("torch", "Size"), (tuple(obj),))
            if kind is _device:
                args = (obj.type,) if obj.index is None else (obj.type, obj.index)
                return (_Global("torch", "device"), args)
            return NotImplemented

        def _reduce_tensor(self, t):
            from ..nn.parameter import Parameter
            state = _user_state(t)
            hooks = collections.OrderedDict()
            if isinstance(t, Parameter):
                data = _wrap(t._data)   # the plain tensor PyTorch pickles as `param.data`
                if state:
                    return (_Global("torch._utils", "_rebuild_parameter_with_state"),
                            (data, bool(t.requires_grad), hooks, state))
                return (_Global("torch._utils", "_rebuild_parameter"),
                        (data, bool(t.requires_grad), hooks))
            ref, offset, size, stride = self._table.locate(t)
            args = (ref, offset, size, stride, bool(t.requires_grad), hooks)
            if type(t) is Tensor and not state:
                return (_REBUILD_V2, args)
            kind = _Global("torch", "Tensor") if type(t) is Tensor else type(t)
            return (_Global("torch._tensor", "_rebuild_from_type_v2"),
                    (_REBUILD_V2, kind, args, state))

    return TorchPickler


def _write_record(zf: zipfile.ZipFile, start: int, name: str, data) -> None:
    """One uncompressed record whose bytes start at a multiple of 64 from the archive start
    (PyTorch pads the local header's extra field, id 'FB', the same way)."""
    view = memoryview(data).cast("B")
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = n = view.nbytes
    zip64 = n * 1.05 > zipfile.ZIP64_LIMIT   # what ZipFile.open(mode="w") decides
    fixed = 30 + len(name.encode()) + 4 + (20 if zip64 else 0)
    pad = -(zf.fp.tell() - start + fixed) % STORAGE_ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    with zf.open(info, "w", force_zip64=zip64) as out:
        for i in range(0, n, _CHUNK):
            out.write(view[i:i + _CHUNK])


def write_torch_zip(fh, obj, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL,
                    byteorder_record: bool = True) -> None:
    """Pickle `obj` and write the archive to the binary file object `fh`."""
    table = _StorageTable()
    buf = io.BytesIO()
    _pickler_class(pickle_module)(buf, pickle_protocol, table).dump(obj)
    try:
        start = fh.tell()
    except (AttributeError, OSError):
        start = 0
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        if not zf._seekable:   # ZipFile tracks positions itself on unseekable streams
            start = 0
        prefix = _ARCHIVE + "/"
        _write_record(zf, start, prefix + "data.pkl", buf.getbuffer())
        _write_record(zf, start, prefix + ".format_version", b"1")
        _write_record(zf, start, prefix + ".storage_alignment", str(STORAGE_ALIGNMENT).encode())
        if byteorder_record:
            _write_record(zf, start, prefix + "byteorder", sys.byteorder.encode())
        for ref in table.refs:
            _write_record(zf, start, f"{prefix}data/{ref.key}", ref.data)
        _write_record(zf, start, prefix + "version", b"3\n")
        serial = int.from_bytes(os.urandom(17), "big") % 10**40
        _write_record(zf, start, prefix + ".data/serialization_id", f"{serial:040d}".encode())
