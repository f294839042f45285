"""Reading PyTorch's `torch.save` zip format without PyTorch (torch_zip_writer.py writes it:
its docstring lays out the archive and the pickle).

Reading: with `weights_only=True` (the default) the pickle is read by `_WeightsUnpickler`,
which resolves only PyTorch's allow-list of globals (plus `add_safe_globals`) and lets BUILD,
SETITEM and APPEND act only on the types PyTorch's weights-only unpickler allows, so a file
cannot run code. Every storage record's size is checked against its persistent id and every
tensor's size/stride/offset against its storage before a view is made.
"""
from __future__ import annotations

import _compat_pickle
import collections
import io
import pickle
import struct
import sys
import zipfile

import numpy as np

from .. import dtypes as _dt
from ..array_backends import xp_of
from ..device import device as _device
from ..tensor import Size, Tensor, _wrap
from .torch_zip_writer import _STORAGE_NAMES, DEFAULT_PROTOCOL, write_torch_zip

__all__ = ["write_torch_zip", "load_torch_zip", "add_safe_globals", "get_safe_globals",
           "clear_safe_globals", "safe_globals", "DEFAULT_PROTOCOL"]


# ============================================================== safe globals (allow-list)
_user_safe_globals: set = set()


def add_safe_globals(safe_globals: list) -> None:
    """Allow `weights_only=True` loads to use these globals (functions/classes, or
    `(obj, "module.qualname")` pairs). Only for classes and functions you trust."""
    global _user_safe_globals
    _user_safe_globals = _user_safe_globals | set(safe_globals)


def get_safe_globals() -> list:
    """The globals added with `add_safe_globals`."""
    return list(_user_safe_globals)


def clear_safe_globals() -> None:
    """Forget every global added with `add_safe_globals`."""
    global _user_safe_globals
    _user_safe_globals = set()


class safe_globals:
    """`with safe_globals([MyClass]): torch.load(path)`: allow-list for the block only."""

    def __init__(self, safe_globals: list):
        self.safe_globals = safe_globals

    def __enter__(self):
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        global _user_safe_globals
        _user_safe_globals = _user_safe_globals - set(self.safe_globals)


def _user_allowed() -> dict:
    out = {}
    for entry in _user_safe_globals:
        if isinstance(entry, tuple):
            if len(entry) != 2:
                raise ValueError("Expected tuple of length 2 (global, str of callable full "
                                 f"path), but got tuple of length: {len(entry)}")
            if type(entry[1]) is not str:
                raise TypeError("Expected second item in tuple to be str of callable full "
                                f"path, but got: {type(entry[1])}")
            out[entry[1]] = entry[0]
        else:
            out[f"{entry.__module__}.{entry.__qualname__}"] = entry
    return out


# ================================================================================== loading
class _Refused(pickle.UnpicklingError):
    """The file needs something the weights-only allow-list refuses."""


class _Corrupt(RuntimeError):
    """The file is inconsistent (sizes, offsets, records)."""


class _Unsupported(RuntimeError):
    """The file is fine but holds something minitorch_nn cannot represent."""


class _StorageType:
    __slots__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype   # None: UntypedStorage (bytes)


class _TypeName:
    """What `torch.Tensor` / `torch.nn.Parameter` resolve to: usable only as the `new_type`
    argument of `_rebuild_from_type_v2` (not a class, so NEWOBJ cannot instantiate it)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


_TENSOR_TYPE = _TypeName("torch.Tensor")
_PARAMETER_TYPE = _TypeName("torch.nn.parameter.Parameter")


class _LoadedStorage:
    """A storage read from record `name`: `raw` (uint8) holds its bytes; `target` is the
    device its tensors go to (None: CPU)."""

    __slots__ = ("name", "raw", "dtype", "target", "_typed", "_placed", "viewed")

    def __init__(self, name, raw, dtype, target):
        self.name, self.raw, self.dtype, self.target = name, raw, dtype, target
        self._typed, self._placed = {}, {}
        self.viewed = False   # a tensor was rebuilt from it

    def typed(self, dtype) -> np.ndarray:
        arr = self._typed.get(dtype.name)
        if arr is None:
            if self.raw.nbytes % dtype.itemsize:
                raise _Corrupt(f"storage '{self.name}' ({self.raw.nbytes} bytes) cannot hold "
                               f"elements of {dtype}")
            arr = self._typed[dtype.name] = self.raw.view(dtype.np)
        return arr

    def placed(self, dtype) -> Tensor:
        """The whole storage as a 1-D tensor on its target device, moved there once so that
        every tensor rebuilt from it views the same device memory."""
        t = self._placed.get(dtype.name)
        if t is None:
            t = self._placed[dtype.name] = _place(_wrap(self.typed(dtype)), self.target)
        return t

    def as_tensor(self) -> Tensor:
        return self.placed(self.dtype or _dt.uint8)


def _place(t: Tensor, target) -> Tensor:
    return t if target is None else t.to(target)


def _int(value, what: str) -> int:
    if type(value) is not int:
        raise _Corrupt(f"expected an int for the {what}, got {type(value).__name__}")
    return value


def _ints(values, what: str) -> tuple:
    if not isinstance(values, (tuple, list)):
        raise _Corrupt(f"expected a tuple of ints for the {what}, got {type(values).__name__}")
    return tuple(_int(v, what) for v in values)


def _view(storage, storage_offset, size, stride, dtype=None) -> Tensor:
    """A tensor viewing `storage`, after checking that it lies inside it."""
    if not isinstance(storage, _LoadedStorage):
        raise _Corrupt(f"expected a storage to rebuild a tensor from, got "
                       f"{type(storage).__name__}")
    dtype = dtype or storage.dtype or _dt.uint8
    arr = storage.typed(dtype)
    storage.viewed = True
    where = f"of a tensor in storage '{storage.name}'"
    offset = _int(storage_offset, f"storage offset {where}")
    size, stride = _ints(size, f"size {where}"), _ints(stride, f"stride {where}")
    numel = arr.shape[0]
    where = (f"tensor with size {list(size)}, stride {list(stride)} and storage offset "
             f"{offset} in storage '{storage.name}' ({numel} elements of {dtype})")
    if len(size) != len(stride):
        raise _Corrupt(f"{where}: size and stride differ in length")
    if offset < 0 or any(n < 0 for n in size) or any(s < 0 for s in stride):
        raise _Corrupt(f"{where}: negative size, stride or offset")
    if 0 in size:
        needed = offset
    else:
        needed = offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if needed > numel:
        raise _Corrupt(f"{where}: it needs {needed} elements, beyond the end of its storage")
    item = dtype.itemsize
    strides = tuple(s * item for s in stride)
    if storage.target is not None:   # view the storage's one copy on the device
        placed = storage.placed(dtype)._data
        return _wrap(xp_of(placed).lib.stride_tricks.as_strided(placed[offset:], size, strides))
    return _wrap(np.ndarray(size, dtype=arr.dtype, buffer=arr, offset=offset * item,
                            strides=strides))


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _view(storage, storage_offset, size, stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    t = _view(storage, storage_offset, size, stride)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    if not isinstance(dtype, _dt.dtype):
        raise _Corrupt(f"expected a dtype, got {type(dtype).__name__}")
    t = _view(storage, storage_offset, size, stride, dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _set_state(t: Tensor, state) -> Tensor:
    if state is None:
        return t
    slots = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
    for part in (state, slots):
        if part is None:
            continue
        if not isinstance(part, dict):
            raise _Corrupt(f"expected a dict of tensor attributes, got {type(part).__name__}")
        for key, value in part.items():
            if not isinstance(key, str) or hasattr(type(t), key):
                raise _Refused(f"refusing to set tensor attribute {key!r} while loading")
            setattr(t, key, value)
    return t


def _as_parameter(data, requires_grad):
    from ..nn.parameter import Parameter
    if not isinstance(data, Tensor):
        raise _Corrupt(f"expected a tensor for a parameter's data, got {type(data).__name__}")
    return Parameter(data, requires_grad=bool(requires_grad))


def _rebuild_parameter(data, requires_grad, backward_hooks, *args):
    return _as_parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_state(_as_parameter(data, requires_grad), state)


def _rebuild_from_type_v2(func, new_type, args, state):
    if func not in (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3,
                    _rebuild_parameter, _rebuild_parameter_with_state):
        raise _Refused(f"_rebuild_from_type_v2: unexpected rebuild function {func!r}")
    if not isinstance(args, tuple):
        raise _Corrupt("_rebuild_from_type_v2: arguments are not a tuple")
    t = func(*args)
    if new_type is _PARAMETER_TYPE and type(t) is Tensor:
        t = _as_parameter(t, t.requires_grad)
    elif new_type is not _TENSOR_TYPE and new_type is not _PARAMETER_TYPE:
        raise _Refused(f"cannot load a tensor of subclass {new_type!r}")
    return _set_state(t, state)


def _rebuild_device_tensor_from_cpu_tensor(data, dtype, device, requires_grad):
    if not isinstance(data, Tensor):
        raise _Corrupt("expected a tensor")
    t = data.to(device=device, dtype=dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _unsupported(what):
    def refuse(*args, **kwargs):
        raise _Unsupported(f"{what} are not supported by minitorch_nn")
    return refuse


def _make_size(sizes=()):
    return Size(_ints(sizes, "torch.Size"))


def _make_device(*args):
    return _device(*args)


def _encode(text, encoding="utf-8"):   # how protocol 2 pickles bytes: _codecs.encode(s, enc)
    if not isinstance(text, str) or str(encoding).lower() not in ("latin1", "latin-1",
                                                                    "utf-8", "utf8", "ascii"):
        raise _Refused("_codecs.encode is allowed only to turn a str into bytes")
    return text.encode(encoding)


def _bytearray(*args):
    if args and not isinstance(args[0], (str, bytes, bytearray)):
        raise _Refused("bytearray is allowed only from str or bytes")
    return bytearray(*args)


def _allowed_globals() -> dict:
    """PyTorch's weights-only allow-list, mapped to our objects."""
    utils = "torch._utils."
    rc = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "torch.nn.parameter.Parameter": _PARAMETER_TYPE,
        "torch.serialization._get_layout": _unsupported("sparse layouts"),
        "torch.Size": _make_size,
        "torch.Tensor": _TENSOR_TYPE,
        "torch.device": _make_device,
        "_codecs.encode": _encode,
        "builtins.bytearray": _bytearray,
        "builtins.set": set,
        "builtins.complex": complex,
        utils + "_rebuild_tensor": _rebuild_tensor,
        utils + "_rebuild_tensor_v2": _rebuild_tensor_v2,
        utils + "_rebuild_tensor_v3": _rebuild_tensor_v3,
        utils + "_rebuild_parameter": _rebuild_parameter,
        utils + "_rebuild_parameter_with_state": _rebuild_parameter_with_state,
        utils + "_rebuild_device_tensor_from_cpu_tensor":
            _rebuild_device_tensor_from_cpu_tensor,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        "torch.storage.UntypedStorage": _StorageType(None),
    }
    for name in ("_rebuild_qtensor", "_rebuild_sparse_tensor", "_rebuild_nested_tensor",
                 "_rebuild_wrapper_subclass", "_rebuild_meta_tensor_no_storage",
                 "_rebuild_device_tensor_from_numpy"):
        rc[utils + name] = _unsupported(f"tensors saved through {name}")
    for name, dtype in _dt._BY_NAME.items():
        rc["torch." + name] = dtype
    for name, storage in _STORAGE_NAMES.items():
        rc["torch." + storage] = _StorageType(_dt._BY_NAME[name])
    return rc


_ALLOWED = _allowed_globals()
# Names PyTorch allows that we cannot represent: a clear error, not "unsupported global".
_NOT_SUPPORTED = {f"torch.{n}" for n in (
    "uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz",
    "float8_e5m2fnuz", "complex32", "qint8", "quint8", "qint32", "quint4x2", "quint2x4",
    "QInt8Storage", "QInt32Storage", "QUInt8Storage", "QUInt4x2Storage", "QUInt2x4Storage",
    "per_tensor_affine", "per_tensor_symmetric", "per_channel_affine",
    "per_channel_symmetric", "per_channel_affine_float_qparams")}
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")


def _fix_name(module: str, name: str, proto: int) -> tuple:
    """Python 2 names written by protocol-2 pickles (`__builtin__.set`), as pickle maps them."""
    if proto < 3:
        if (module, name) in _compat_pickle.NAME_MAPPING:
            return _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
    return module, name


def _torch_global(full: str):
    if full in _ALLOWED:
        return _ALLOWED[full]
    if full in _NOT_SUPPORTED:
        raise _Unsupported(f"{full} is not supported by minitorch_nn")
    return None


class _Storages:
    """Reads storage records on demand (each once), checking their sizes."""

    def __init__(self, zf: zipfile.ZipFile, prefix: str, restore, mapped=None):
        self.zf, self.prefix, self.restore, self.mapped = zf, prefix, restore, mapped
        self.loaded: dict = {}

    def load(self, pid):
        if type(pid) is not tuple or len(pid) != 5 or pid[0] not in ("storage", b"storage"):
            raise _Refused("Only persistent_load of storage is allowed, but got "
                           f"{type(pid).__name__}")
        _, storage_type, key, location, numel = pid
        if isinstance(key, bytes):
            key = key.decode("ascii", "replace")
        if isinstance(location, bytes):
            location = location.decode("ascii", "replace")
        if not isinstance(storage_type, _StorageType):
            raise _Corrupt(f"storage {key!r} has no storage type")
        if not isinstance(key, str) or not isinstance(location, str):
            raise _Corrupt("a storage id has a non-string key or location")
        numel = _int(numel, f"element count of storage {key!r}")
        dtype = storage_type.dtype
        name = f"{self.prefix}data/{key}"
        if key in self.loaded:
            return self.loaded[key]
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise _Corrupt(f"storage record '{name}' is missing") from None
        expected = numel * (dtype.itemsize if dtype is not None else 1)
        if numel < 0 or info.file_size != expected:
            raise _Corrupt(f"storage record '{name}' holds {info.file_size} bytes, but the "
                           f"pickle says {numel} elements of {dtype or 'bytes'} ({expected} "
                           "bytes)")
        raw = self._mapped(info) if self.mapped is not None else self._read(info)
        storage = _LoadedStorage(name, raw, dtype, None)
        storage.target = self.restore(storage, location)
        self.loaded[key] = storage
        return storage

    def _read(self, info) -> np.ndarray:
        buf = bytearray(info.file_size)
        with self.zf.open(info) as fh:
            view, got = memoryview(buf), 0
            while got < len(buf):
                n = fh.readinto(view[got:])
                if not n:
                    raise _Corrupt(f"storage record '{info.filename}' is truncated")
                got += n
            fh.read(1)   # reaching the end makes zipfile check the CRC
        return np.frombuffer(buf, dtype=np.uint8)

    def _mapped(self, info) -> np.ndarray:
        mm = self.mapped
        if info.compress_type != zipfile.ZIP_STORED:
            raise _Corrupt(f"storage record '{info.filename}' is compressed; mmap=True needs "
                           "stored records")
        header = mm[info.header_offset:info.header_offset + 30]
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise _Corrupt(f"storage record '{info.filename}' has a bad local header")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        start = info.header_offset + 30 + name_len + extra_len
        if start + info.file_size > len(mm):
            raise _Corrupt(f"storage record '{info.filename}' lies beyond the end of the file")
        return np.frombuffer(mm, dtype=np.uint8, count=info.file_size, offset=start)


def _restorer(map_location, to_saved):
    """PyTorch's map_location rules, per storage: returns the device its tensors go to
    (None: stay on the CPU)."""
    def device_for(loc: str):
        return None if loc == "cpu" else to_saved(loc)

    if map_location is None:
        return lambda storage, loc: device_for(loc)
    if isinstance(map_location, (str, bytes, _device)):
        target = map_location.decode() if isinstance(map_location, bytes) else map_location
        target = str(target)
        return lambda storage, loc: device_for(target)
    if isinstance(map_location, dict):
        return lambda storage, loc: device_for(str(map_location.get(loc, loc)))
    if callable(map_location):
        def restore(storage, loc):
            st = storage.as_tensor()
            result = map_location(st, loc)
            if result is None:
                return device_for(loc)
            if not isinstance(result, Tensor):
                raise TypeError("map_location function must return a storage (tensor) or None, "
                                f"got {type(result).__name__}")
            return None if result.device.type == "cpu" else result.device
        return restore
    raise TypeError(f"map_location must be None, a str, a torch.device, a dict or a callable, "
                    f"got {type(map_location).__name__}")


def _location_checked(to_saved):
    def check(loc: str):
        try:
            dev = _device(loc)
        except (RuntimeError, TypeError, ValueError) as err:
            raise _Corrupt(f"unknown storage location {loc!r}: {err}") from None
        return to_saved(dev)
    return check


class _WeightsUnpickler(pickle._Unpickler):
    """PyTorch's weights-only unpickler: allow-listed globals only, and BUILD/SETITEM/APPEND
    only on the types it allows them on."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, storages: _Storages, **kwargs):
        super().__init__(file, **kwargs)
        self._storages = storages
        self._user = _user_allowed()

    def persistent_load(self, pid):
        return self._storages.load(pid)

    def find_class(self, module, name):
        module, name = _fix_name(module, name, self.proto)
        full = f"{module}.{name}"
        if module in _BLOCKED_MODULES:
            raise _Refused(f"Trying to load unsupported GLOBAL {full} whose module {module} "
                           "is blocked.")
        found = _torch_global(full)
        if found is not None:
            return found
        if full in self._user:
            return self._user[full]
        shown = name if module == "builtins" else full
        raise _Refused(
            f"Unsupported global: GLOBAL {shown} was not an allowed global by default. "
            f"Please use `torch.serialization.add_safe_globals([{shown}])` or the "
            f"`torch.serialization.safe_globals([{shown}])` context manager to allowlist "
            "this global if you trust this class/function.")

    def _allowed_type(self, kind) -> bool:
        return kind in self._user.values()

    def load_build(self):
        state = self.stack[-1]
        inst = self.stack[-2]
        kind = type(inst)
        if kind in (collections.OrderedDict, collections.Counter):
            self.stack.pop()
            if state:
                if not isinstance(state, dict):
                    raise _Corrupt("BUILD state of an OrderedDict is not a dict")
                inst.__dict__.update(state)
            return
        if isinstance(inst, Tensor) and isinstance(state, dict):
            self.stack.pop()
            _set_state(inst, state)
            return
        if self._allowed_type(kind):
            pickle._Unpickler.load_build(self)
            return
        raise _Refused("Can only build Tensor, Parameter, OrderedDict or types allowlisted "
                       f"via `add_safe_globals`, but got {kind}")
    dispatch[pickle.BUILD[0]] = load_build

    def _check_mapping(self, target, opcode):
        if type(target) not in (dict, collections.OrderedDict, collections.Counter):
            raise _Refused(f"Can only {opcode} for dict, collections.OrderedDict, "
                           f"collections.Counter, but got {type(target)}")

    def load_setitem(self):
        self._check_mapping(self.stack[-3], "SETITEM")
        pickle._Unpickler.load_setitem(self)
    dispatch[pickle.SETITEM[0]] = load_setitem

    def load_setitems(self):
        items = self.pop_mark()
        self._check_mapping(self.stack[-1], "SETITEMS")
        if len(items) % 2:
            raise _Corrupt("SETITEMS with an odd number of items")
        target = self.stack[-1]
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]
    dispatch[pickle.SETITEMS[0]] = load_setitems

    def load_append(self):
        if type(self.stack[-2]) is not list:
            raise _Refused(f"Can only append to lists, but got {type(self.stack[-2])}")
        pickle._Unpickler.load_append(self)
    dispatch[pickle.APPEND[0]] = load_append

    def load_appends(self):
        items = self.pop_mark()
        if type(self.stack[-1]) is not list:
            raise _Refused(f"Can only extend lists, but got {type(self.stack[-1])}")
        self.stack[-1].extend(items)
    dispatch[pickle.APPENDS[0]] = load_appends

    def load_additems(self):
        items = self.pop_mark()
        if type(self.stack[-1]) is not set:
            raise _Refused(f"Can only add items to sets, but got {type(self.stack[-1])}")
        self.stack[-1].update(items)
    dispatch[pickle.ADDITEMS[0]] = load_additems

    def load_newobj(self):
        args = self.stack.pop()
        cls = self.stack[-1]
        if cls not in (collections.OrderedDict, collections.Counter, set, bytearray) and \
                not self._allowed_type(cls):
            raise _Refused("Can only create new object for nn.Parameter or classes "
                           f"allowlisted via `add_safe_globals` but got {cls!r}")
        if not isinstance(args, tuple):
            raise _Corrupt("NEWOBJ arguments are not a tuple")
        self.stack[-1] = cls.__new__(cls, *args)
    dispatch[pickle.NEWOBJ[0]] = load_newobj

    def _refuse_opcode(self):
        raise _Refused("Unsupported operand: NEWOBJ_EX, INST and OBJ are not allowed")
    dispatch[pickle.NEWOBJ_EX[0]] = _refuse_opcode
    dispatch[pickle.INST[0]] = _refuse_opcode
    dispatch[pickle.OBJ[0]] = _refuse_opcode


def _full_unpickler(pickle_module):
    """An Unpickler of `pickle_module` that also knows our storages and PyTorch's tensor
    names (weights_only=False: anything else is imported and may run code)."""
    base = pickle_module.Unpickler

    class TorchUnpickler(base):
        def __init__(self, file, storages, **kwargs):
            super().__init__(file, **kwargs)
            self._storages = storages

        def persistent_load(self, pid):
            return self._storages.load(pid)

        def find_class(self, module, name):
            fixed = _fix_name(module, name, getattr(self, "proto", 2))
            found = _torch_global(".".join(fixed))
            if found is not None:
                return found
            return super().find_class(module, name)

    return TorchUnpickler


def load_torch_zip(zf: zipfile.ZipFile, map_location, to_saved, *, weights_only=True,
                   pickle_module=None, mmap_buffer=None, **pickle_load_args):
    """Load the object tree of a PyTorch zip checkpoint."""
    names = zf.namelist()
    pkls = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
    if not pkls:
        raise _Corrupt("no '<archive>/data.pkl' record")
    pkl = pkls[0]
    prefix = pkl[: -len("data.pkl")]
    if prefix + "constants.pkl" in names or any(n.startswith(prefix + "code/") for n in names):
        raise _Unsupported("it is a TorchScript archive (torch.jit.save), which minitorch_nn "
                           "cannot load")
    if prefix + "byteorder" in names:
        order = zf.read(prefix + "byteorder")
        if order not in (b"little", b"big"):
            raise _Corrupt(f"unknown byte order {order[:20]!r}")
        if order.decode() != sys.byteorder:
            raise _Unsupported("checkpoints written on a machine of the other byte order "
                               "are not supported")
    storages = _Storages(zf, prefix, _restorer(map_location, _location_checked(to_saved)),
                         mmap_buffer)
    data = io.BytesIO(zf.read(pkl))
    pickle_load_args.setdefault("encoding", "utf-8")
    if weights_only:
        obj = _WeightsUnpickler(data, storages, encoding=pickle_load_args["encoding"]).load()
    else:
        obj = _full_unpickler(pickle_module or pickle)(data, storages, **pickle_load_args).load()
    if not all(st.viewed for st in storages.loaded.values()):
        obj = _bare_storages(obj, {})   # torch.save(storage): a 1-D tensor of it
    return obj


def _bare_storages(obj, seen: dict):
    """`obj` with every storage not rebuilt into a tensor replaced by a 1-D tensor of it."""
    if isinstance(obj, _LoadedStorage):
        if id(obj) not in seen:
            seen[id(obj)] = obj.as_tensor()
        return seen[id(obj)]
    if type(obj) in (dict, collections.OrderedDict):
        for key, value in obj.items():
            obj[key] = _bare_storages(value, seen)
    elif type(obj) is list:
        obj[:] = [_bare_storages(v, seen) for v in obj]
    elif type(obj) is tuple:
        return tuple(_bare_storages(v, seen) for v in obj)
    return obj
