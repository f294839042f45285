"""safetensors files for state_dicts, read and written directly (the format is tiny).

A .safetensors file is: 8 bytes (little-endian u64) = N, then N bytes of JSON header
`{name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}`,
then the raw little-endian bytes of every tensor. We write it ourselves rather than use the
`safetensors` package because its numpy API cannot handle bfloat16, which pretrained weights
often use. Files are exchangeable with `safetensors.torch` in both directions.

Reading validates the header as the reference implementation does: a JSON object of entries
with exactly `dtype` (from a fixed table), `shape` (non-negative ints) and `data_offsets`
(ints, in bounds, of the size the dtype and shape need); the entries' byte ranges must tile
the data section exactly (contiguous, no overlap, no gap, nothing after the last); metadata is
a {str: str} object. Any other header raises RuntimeError naming the file and the problem.
"""
from __future__ import annotations

import json
import math
import struct

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor, _wrap
from ._atomic import atomic_write

__all__ = ["save_safetensors", "load_safetensors", "load_safetensors_metadata"]

_CODES = {"F64": _dt.float64, "F32": _dt.float32, "F16": _dt.float16, "BF16": _dt.bfloat16,
          "I64": _dt.int64, "I32": _dt.int32, "I16": _dt.int16, "I8": _dt.int8,
          "U8": _dt.uint8, "BOOL": _dt.bool, "C64": _dt.complex64}
_NAMES = {d.name: code for code, d in _CODES.items()}
_MAX_HEADER = 100 * 1024 * 1024


def save_safetensors(state_dict: dict, path, metadata: dict | None = None) -> None:
    """Write a {str: Tensor} mapping (e.g. `model.state_dict()`) to a .safetensors file,
    atomically (a temporary file renamed over `path`); `metadata` must be {str: str}."""
    header: dict = {}
    blobs = []
    offset = 0
    for name, t in state_dict.items():
        if not isinstance(name, str) or not isinstance(t, Tensor):
            raise TypeError(f"save_safetensors(): expected {{str: Tensor}}, got "
                            f"{type(name).__name__}: {type(t).__name__}")
        if name == "__metadata__":
            raise ValueError("save_safetensors(): '__metadata__' is reserved for the metadata")
        if t.dtype.name not in _NAMES:
            raise TypeError(f"save_safetensors(): tensor {name!r} has dtype {t.dtype}, which "
                            "the safetensors format cannot store")
        host = np.ascontiguousarray(t.detach()._host_array())
        raw = host.tobytes()
        header[name] = {"dtype": _NAMES[t.dtype.name], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        bad = [(k, v) for k, v in metadata.items()
               if not isinstance(k, str) or not isinstance(v, str)]
        if bad:
            raise TypeError("save_safetensors(): metadata must be {str: str}; got "
                            f"{type(bad[0][0]).__name__}: {type(bad[0][1]).__name__}")
        header["__metadata__"] = dict(metadata)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)

    def write(fh):
        fh.write(struct.pack("<Q", len(text)))
        fh.write(text)
        for raw in blobs:
            fh.write(raw)

    atomic_write(path, write)


def _read_header(path, data: bytes):
    """(header entries in file order, metadata, data section) with every check done."""
    def bad(problem):
        return RuntimeError(f"load_safetensors(): {path} has a malformed header: {problem}")

    if len(data) < 8:
        raise RuntimeError(f"load_safetensors(): {path} is too short to be a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if n > min(_MAX_HEADER, len(data) - 8):
        raise RuntimeError(f"load_safetensors(): {path} has an invalid header length {n}")

    def no_duplicates(pairs):
        out = {}
        for key, value in pairs:
            if key in out:
                raise bad(f"duplicate key {key!r}")
            out[key] = value
        return out

    try:
        header = json.loads(bytes(data[8:8 + n]).decode("utf-8"),
                            object_pairs_hook=no_duplicates)
    except (ValueError, RecursionError) as err:
        if isinstance(err, RuntimeError):
            raise
        raise RuntimeError(f"load_safetensors(): {path} has a corrupt header: "
                           f"{type(err).__name__}: {err}") from None
    if not isinstance(header, dict):
        raise bad(f"expected a JSON object, got {type(header).__name__}")
    body = memoryview(data)[8 + n:]
    metadata = header.get("__metadata__")
    if metadata is not None and not (
            isinstance(metadata, dict)
            and all(isinstance(v, str) for v in metadata.values())):
        raise bad("__metadata__ must be an object of strings")
    entries = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise bad(f"tensor {name!r} must have exactly 'dtype', 'shape' and 'data_offsets'")
        code = info["dtype"]
        dtype = _CODES.get(code) if isinstance(code, str) else None
        if dtype is None:
            raise RuntimeError(f"load_safetensors(): tensor {name!r} in {path} has unsupported "
                               f"dtype {str(code)[:20]!r}")
        shape, offsets = info["shape"], info["data_offsets"]
        if not isinstance(shape, list) or \
                any(type(d) is not int or d < 0 for d in shape):
            raise bad(f"tensor {name!r} has an invalid shape (expected non-negative ints)")
        if not isinstance(offsets, list) or len(offsets) != 2 or \
                any(type(o) is not int or o < 0 for o in offsets):
            raise bad(f"tensor {name!r} has invalid data_offsets (expected [begin, end])")
        begin, end = offsets
        need = math.prod(shape) * dtype.itemsize
        if end < begin or end - begin != need:
            raise bad(f"tensor {name!r} has data_offsets {offsets} for {need} bytes "
                      f"({code}, shape {shape})")
        if end > len(body):
            raise RuntimeError(f"load_safetensors(): tensor {name!r} lies outside the file "
                               f"{path}: the file is truncated or corrupt")
        entries.append((name, dtype, tuple(shape), begin, end))
    position = 0
    for name, _, _, begin, end in sorted(entries, key=lambda e: (e[3], e[4])):
        if begin != position:
            raise bad(f"tensor {name!r} starts at byte {begin}, expected {position} "
                      "(tensors must be contiguous and must not overlap)")
        position = end
    if position != len(body):
        raise RuntimeError(f"load_safetensors(): {path} has {len(body) - position} bytes after "
                           "the last tensor: the file is truncated or corrupt")
    return entries, dict(metadata or {}), body


def load_safetensors(path, device="cpu") -> dict:
    """Read a .safetensors file into an ordered {str: Tensor} dict (the file's order)."""
    with open(path, "rb") as fh:
        data = fh.read()
    entries, _, body = _read_header(path, data)
    out = {}
    for name, dtype, shape, begin, end in entries:
        arr = np.frombuffer(body[begin:end], dtype=dtype.np).reshape(shape).copy()
        t = _wrap(arr)
        out[name] = t if device == "cpu" else t.to(device)
    return out


def load_safetensors_metadata(path) -> dict:
    """The file's `__metadata__` ({str: str}; empty if it has none), after the same checks
    as `load_safetensors`."""
    with open(path, "rb") as fh:
        data = fh.read()
    return _read_header(path, data)[1]
