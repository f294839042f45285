"""`save(obj, f)` and `load(f, map_location=None, weights_only=True)`.

The minitorch_nn format is a zip archive:

    format              the text "minitorch_nn/v1"
    structure.json      the object tree: dicts (with key order and a state_dict's `_metadata`),
                        lists, tuples, strings, numbers, None, dtypes, and tensor references
    tensors/<n>.npy     one numpy file per distinct tensor (a tensor saved twice is stored once)

Loading parses JSON and `.npy` files only, so it never runs code from the file. `load` also
reads PyTorch's `torch.save` zip files (see `torch_format.py`). Saving to a path writes a
temporary file in the same folder and renames it, so a crash never leaves half a checkpoint.
"""
from __future__ import annotations

import io
import json
import math
import os
import tempfile
import zipfile
from collections import OrderedDict

import numpy as np

from .. import dtypes as _dt
from ..device import device as _device
from ..tensor import Tensor, _wrap

__all__ = ["save", "load"]

FORMAT = "minitorch_nn/v1"


class _Encoder:
    """Turns an object tree into JSON-able data plus a list of arrays to store."""

    def __init__(self):
        self.arrays: list[np.ndarray] = []
        self._ids: dict[int, int] = {}

    def encode(self, obj):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return {"int": str(obj)}
        if isinstance(obj, float):
            return {"float": repr(obj)} if not math.isfinite(obj) else obj
        if isinstance(obj, Tensor):
            return self._tensor(obj)
        if isinstance(obj, _dt.dtype):
            return {"dtype": obj.name}
        if isinstance(obj, _device):
            return {"device": str(obj)}
        if isinstance(obj, (list, tuple)):
            kind = "tuple" if isinstance(obj, tuple) else "list"
            return {kind: [self.encode(v) for v in obj]}
        if isinstance(obj, dict):
            return self._dict(obj)
        raise TypeError(f"save(): cannot save an object of type {type(obj).__name__}; "
                        "supported: tensors, dicts, lists, tuples, str, int, float, bool, None, "
                        "dtypes and devices")

    def _dict(self, obj: dict):
        out = {"dict": [[self.encode(k), self.encode(v)] for k, v in obj.items()],
               "ordered": isinstance(obj, OrderedDict)}
        meta = getattr(obj, "_metadata", None)
        if meta is not None:
            out["metadata"] = self.encode(dict(meta))
        return out

    def _tensor(self, t: Tensor):
        key = id(t)
        if key not in self._ids:
            self._ids[key] = len(self.arrays)
            host = t._host_array()
            if host.dtype.name == "bfloat16":
                host = host.view(np.uint16)
            self.arrays.append(np.ascontiguousarray(host))
        from ..nn.parameter import Parameter
        record = {"tensor": self._ids[key], "dtype": t.dtype.name,
                  "requires_grad": bool(t.requires_grad),
                  "parameter": isinstance(t, Parameter)}
        if t.device.type != "cpu":   # restored there by load(), as PyTorch does
            record["device"] = str(t.device)
        return record


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Save tensors, state_dicts and nested containers to a path or a binary file object."""
    enc = _Encoder()
    structure = enc.encode(obj)
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".save", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                _write(handle, structure, enc.arrays)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    else:
        _write(f, structure, enc.arrays)


def _write(handle, structure, arrays) -> None:
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("format", FORMAT)
        zf.writestr("structure.json", json.dumps(structure))
        for i, arr in enumerate(arrays):
            buf = io.BytesIO()
            np.save(buf, arr, allow_pickle=False)
            zf.writestr(f"tensors/{i}.npy", buf.getvalue())


class _Decoder:
    def __init__(self, zf: zipfile.ZipFile, place):
        self.zf = zf
        self.place = place
        self._cache: dict[int, Tensor] = {}

    def decode(self, obj):
        if not isinstance(obj, dict):
            if isinstance(obj, list):
                raise ValueError("bad structure: bare list")
            return obj
        if "int" in obj:
            return int(obj["int"])
        if "float" in obj:
            return float(obj["float"])
        if "dtype" in obj and "tensor" not in obj:
            return getattr(_dt, obj["dtype"])
        if "device" in obj and "tensor" not in obj:
            return _device(obj["device"])
        if "list" in obj:
            return [self.decode(v) for v in obj["list"]]
        if "tuple" in obj:
            return tuple(self.decode(v) for v in obj["tuple"])
        if "dict" in obj:
            return self._dict(obj)
        if "tensor" in obj:
            return self._tensor(obj)
        raise ValueError(f"bad structure entry with keys {sorted(obj)}")

    def _dict(self, obj):
        out = OrderedDict() if obj.get("ordered") else {}
        for k, v in obj["dict"]:
            out[self.decode(k)] = self.decode(v)
        if "metadata" in obj:
            out._metadata = self.decode(obj["metadata"])
        return out

    def _tensor(self, obj):
        n = obj["tensor"]
        if n not in self._cache:
            with self.zf.open(f"tensors/{n}.npy") as fh:
                arr = np.load(io.BytesIO(fh.read()), allow_pickle=False)
            dtype = getattr(_dt, obj["dtype"])
            if dtype is _dt.bfloat16:
                arr = arr.view(dtype.np)
            t = self.place(_wrap(arr), obj.get("device", "cpu"))
            if obj.get("parameter"):
                from ..nn.parameter import Parameter
                t = Parameter(t, requires_grad=obj.get("requires_grad", True))
            elif obj.get("requires_grad"):
                t.requires_grad_(True)
            self._cache[n] = t
        return self._cache[n]


def _placer(map_location):
    """A function `place(tensor, saved="cpu")` moving a loaded (CPU) tensor where
    `map_location` says; by default back to the device it was saved from (`saved`)."""
    if map_location is None:
        return _to_saved
    if callable(map_location) and not isinstance(map_location, (str, _device)):
        return lambda t, saved="cpu": map_location(t, saved)
    if isinstance(map_location, dict):
        def place(t, saved="cpu"):
            target = map_location.get(saved)
            return _to_saved(t, saved) if target is None else t.to(target)
        return place
    return lambda t, saved="cpu": t.to(map_location)


def _to_saved(t: Tensor, saved: str = "cpu") -> Tensor:
    """`t` on the device it was saved from, with PyTorch's error when that is a missing GPU."""
    if saved == "cpu":
        return t
    from ..array_backends.cuda import is_available
    if _device(saved).type == "cuda" and not is_available():
        raise RuntimeError("Attempting to deserialize object on a CUDA device but "
                           "torch.cuda.is_available() is False. If you are running on a "
                           "CPU-only machine, please use torch.load with "
                           "map_location=torch.device('cpu') to map your storages to the CPU.")
    return t.to(saved)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **kwargs):
    """Load what `save` wrote (or a PyTorch `torch.save` zip file) from a path or file object."""
    name = f if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file object>")
    try:
        zf = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise RuntimeError(f"load(): {name!s} is not a minitorch_nn or PyTorch checkpoint "
                           f"(not a valid zip archive: {err}). The file may be truncated or "
                           "corrupt.") from None
    with zf:
        names = zf.namelist()
        place = _placer(map_location)
        try:
            if "format" in names and zf.read("format").decode() == FORMAT:
                structure = json.loads(zf.read("structure.json"))
                return _Decoder(zf, place).decode(structure)
            if any(n.endswith("data.pkl") for n in names):
                from .torch_format import load_torch_zip
                return load_torch_zip(zf, place)
        except (KeyError, ValueError, zipfile.BadZipFile, EOFError) as err:
            raise RuntimeError(f"load(): {name!s} is corrupt or incomplete: {err}") from None
    raise RuntimeError(f"load(): {name!s} is a zip archive but neither a minitorch_nn nor a "
                       "PyTorch checkpoint")
