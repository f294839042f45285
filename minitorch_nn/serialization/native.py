"""`save(obj, f)` and `load(f, map_location=None, *, weights_only=True)`, as in PyTorch.

`save` writes PyTorch's zip format (see `torch_format.py`), so `torch.load` reads what we
save and we read what `torch.save` wrote. Any picklable object can be saved; saving to a path
is atomic (see `_atomic.py`).

`load` reads:
- PyTorch zip checkpoints (ours and PyTorch's). `weights_only=True` (the default) accepts only
  tensors, storages, containers, primitives, dtypes, devices and globals added with
  `add_safe_globals`; `weights_only=False` unpickles anything, which can run code from the
  file: use it only for files you trust.
- `.safetensors` paths (through `load_safetensors`), as PyTorch 2.13 does.
- minitorch_nn's earlier format, a zip of `format` ("minitorch_nn/v1"), `structure.json` (the
  object tree) and `tensors/<n>.npy`; it never runs code whatever `weights_only` says.
"""
from __future__ import annotations

import io
import json
import os
import pickle
import struct
import warnings
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from .. import dtypes as _dt
from ..device import device as _device
from ..tensor import Tensor, _wrap
from . import torch_format as _tf
from ._atomic import atomic_write

__all__ = ["save", "load"]

FORMAT = "minitorch_nn/v1"

_UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in "
    "`torch.load` from `False` to `True`. Re-running `torch.load` with `weights_only` set to "
    "`False` will likely succeed, but it can result in arbitrary code execution. Do it only if "
    "you got the file from a trusted source.")
_DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default "
    "with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def save(obj, f, pickle_module=pickle, pickle_protocol=_tf.DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False):
    """Save `obj` (anything picklable) to a path or binary file object in PyTorch's format."""
    if not _use_new_zipfile_serialization:
        raise NotImplementedError(
            "save(): _use_new_zipfile_serialization=False (PyTorch's legacy non-zip format) is "
            "not supported by minitorch_nn; leave it at True (files stay readable by "
            "torch.load)")
    if pickle_module is None:
        pickle_module = pickle
    if pickle_protocol is None:
        pickle_protocol = _tf.DEFAULT_PROTOCOL

    def write(fh):
        _tf.write_torch_zip(fh, obj, pickle_module, pickle_protocol,
                            byteorder_record=not _disable_byteorder_record)

    if isinstance(f, (str, os.PathLike)):
        atomic_write(f, write)
    elif hasattr(f, "write"):
        write(f)
    else:
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a "
                             "'write' attribute")


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
            return _dtype_named(obj["dtype"])
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
            dtype = _dtype_named(obj["dtype"])
            if arr.dtype.itemsize != dtype.itemsize:
                raise ValueError(f"tensors/{n}.npy holds {arr.dtype}, not {dtype}")
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


def _dtype_named(name) -> _dt.dtype:
    """A dtype from its name, looked up in the fixed table of dtypes (never getattr)."""
    dtype = _dt._BY_NAME.get(name) if isinstance(name, str) else None
    if dtype is None:
        raise ValueError(f"unknown dtype name {str(name)[:40]!r}")
    return dtype


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
    target = _target_device(saved)
    return t if target is None else t.to(target)


def _target_device(saved):
    """None for the CPU, else the device `saved` names (PyTorch's error for a missing GPU)."""
    dev = _device(saved)
    if dev.type == "cpu":
        return None
    from ..array_backends.cuda import is_available
    if dev.type == "cuda" and not is_available():
        raise RuntimeError("Attempting to deserialize object on a CUDA device but "
                           "torch.cuda.is_available() is False. If you are running on a "
                           "CPU-only machine, please use torch.load with "
                           "map_location=torch.device('cpu') to map your storages to the CPU.")
    return dev




def _wo_message(message: str) -> str:
    """PyTorch's wording for a refused weights-only load."""
    if "was not an allowed global by default" in message:
        return ("Weights only load failed. This file can still be loaded, to do so you have two "
                "options, \033[1mdo those steps only if you trust the source of the "
                f"checkpoint\033[0m. \n\t(1) {_UNSAFE_MESSAGE}\n\t(2) Alternatively, to load "
                "with `weights_only=True` please check the recommended steps in the following "
                "error message.\n\tWeightsUnpickler error: " + message + _DOCS_MESSAGE)
    out = f"Weights only load failed. {_UNSAFE_MESSAGE}\n"
    if "is blocked" not in message:
        out += ("Please file an issue with the following so that we can make "
                "`weights_only=True` compatible with your use case: WeightsUnpickler error: ")
    return out + "\n\n" + message + _DOCS_MESSAGE


# What a corrupt or crafted file can make the readers raise; turned into a RuntimeError.
_CORRUPTION = (KeyError, IndexError, ValueError, TypeError, AttributeError, EOFError,
               pickle.UnpicklingError, zipfile.BadZipFile, zipfile.LargeZipFile, struct.error,
               OverflowError, UnicodeError, MemoryError, RecursionError, zlib.error,
               NotImplementedError, json.JSONDecodeError, OSError)


def _load_safetensors(path, map_location):
    from .safetensors_io import load_safetensors
    device = "cpu"
    if map_location is not None:
        if isinstance(map_location, (str, bytes, _device)):
            device = map_location.decode() if isinstance(map_location, bytes) \
                else str(map_location)
        elif isinstance(map_location, dict):
            raise RuntimeError("Loading safetensors file with dict map_location is not "
                               "supported. Use a device string or torch.device instead.")
        elif callable(map_location):
            raise RuntimeError("Loading safetensors file with callable map_location is not "
                               "supported. Use a device string or torch.device instead.")
    return load_safetensors(path, device=device)


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load what `save` or PyTorch's `torch.save` wrote, from a path or binary file object.

    `weights_only` (default True unless `pickle_module` is given) refuses everything but
    tensors, containers, primitives, dtypes, devices and `add_safe_globals` names;
    `weights_only=False` unpickles any object and so can run code from the file.
    """
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if pickle_load_args and weights_only:
        warnings.warn("pickle_load_args only works if `weights_only=False`.")
    is_path = isinstance(f, (str, os.PathLike))
    if is_path and os.fspath(f).endswith(".safetensors"):
        return _load_safetensors(os.fspath(f), map_location)
    if mmap and not is_path:
        raise ValueError("f must be a file path in order to use the mmap argument")
    name = os.fspath(f) if is_path else getattr(f, "name", "<file object>")
    fh = open(f, "rb") if is_path else f
    try:
        return _load_opened(fh, name, map_location, pickle_module, weights_only,
                            bool(mmap) and is_path, pickle_load_args)
    finally:
        if is_path:
            fh.close()


def _load_opened(fh, name, map_location, pickle_module, weights_only, use_mmap, load_args):
    try:
        start = fh.tell()
        magic = fh.read(4)
        fh.seek(start)
    except (AttributeError, OSError):
        magic = b""
    if magic[:1] == b"\x80" or magic[:2] == b"\x1f\x8b":
        raise RuntimeError(f"load(): {name!s} is a legacy (non-zip) PyTorch checkpoint, written "
                           "with _use_new_zipfile_serialization=False, which minitorch_nn "
                           "cannot read; re-save it with torch.save's default format")
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error) as err:
        raise RuntimeError(f"load(): {name!s} is not a minitorch_nn or PyTorch checkpoint "
                           f"(not a valid zip archive: {err}). The file may be truncated or "
                           "corrupt.") from None
    mapped = None
    with zf:
        names = zf.namelist()
        try:
            if "format" in names and zf.read("format") == FORMAT.encode():
                structure = json.loads(zf.read("structure.json"))
                return _Decoder(zf, _placer(map_location)).decode(structure)
            if any(n.endswith("/data.pkl") for n in names):
                if use_mmap:
                    import mmap as _mmap
                    mapped = _mmap.mmap(fh.fileno(), 0, access=_mmap.ACCESS_COPY)
                return _tf.load_torch_zip(zf, map_location, _target_device,
                                          weights_only=weights_only,
                                          pickle_module=pickle_module, mmap_buffer=mapped,
                                          **load_args)
        except _tf._Refused as err:
            raise pickle.UnpicklingError(_wo_message(str(err))) from None
        except _tf._Unsupported as err:
            raise RuntimeError(f"load(): {name!s}: {err}") from None
        except _tf._Corrupt as err:
            raise RuntimeError(f"load(): {name!s} is corrupt or was crafted: {err}") from None
        except FileNotFoundError:
            raise
        except _CORRUPTION as err:
            if not weights_only and not isinstance(err, (zipfile.BadZipFile, EOFError)):
                raise   # weights_only=False: the file's own code may raise anything
            raise RuntimeError(f"load(): {name!s} is corrupt or incomplete "
                               f"({type(err).__name__}: {err})") from None
    raise RuntimeError(f"load(): {name!s} is a zip archive but neither a minitorch_nn nor a "
                       "PyTorch checkpoint")
