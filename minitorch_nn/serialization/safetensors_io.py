"""safetensors files for state_dicts, read and written directly (the format is tiny).

A .safetensors file is: 8 bytes (little-endian u64) = N, then N bytes of JSON header
`{name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}`,
then the raw little-endian bytes of every tensor. We write it ourselves rather than use the
`safetensors` package because its numpy API cannot handle bfloat16, which pretrained weights
often use. Files are exchangeable with `safetensors.torch` in both directions.
"""
from __future__ import annotations

import json
import os
import struct
import tempfile

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor, _wrap

__all__ = ["save_safetensors", "load_safetensors"]

_CODES = {"F64": _dt.float64, "F32": _dt.float32, "F16": _dt.float16, "BF16": _dt.bfloat16,
          "I64": _dt.int64, "I32": _dt.int32, "I16": _dt.int16, "I8": _dt.int8,
          "U8": _dt.uint8, "BOOL": _dt.bool, "C64": _dt.complex64}
_NAMES = {d.name: code for code, d in _CODES.items()}
_MAX_HEADER = 100 * 1024 * 1024


def save_safetensors(state_dict: dict, path, metadata: dict | None = None) -> None:
    """Write a {str: Tensor} mapping (e.g. `model.state_dict()`) to a .safetensors file."""
    header: dict = {}
    blobs = []
    offset = 0
    for name, t in state_dict.items():
        if not isinstance(name, str) or not isinstance(t, Tensor):
            raise TypeError(f"save_safetensors(): expected {{str: Tensor}}, got "
                            f"{type(name).__name__}: {type(t).__name__}")
        host = np.ascontiguousarray(t.detach()._host_array())
        raw = host.tobytes()
        header[name] = {"dtype": _NAMES[t.dtype.name], "shape": list(host.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".safetensors", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(struct.pack("<Q", len(text)))
            fh.write(text)
            for raw in blobs:
                fh.write(raw)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_safetensors(path, device="cpu") -> dict:
    """Read a .safetensors file into an ordered {str: Tensor} dict."""
    with open(path, "rb") as fh:
        data = fh.read()
    if len(data) < 8:
        raise RuntimeError(f"load_safetensors(): {path} is too short to be a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if n > min(_MAX_HEADER, len(data) - 8):
        raise RuntimeError(f"load_safetensors(): {path} has an invalid header length {n}")
    try:
        header = json.loads(data[8:8 + n])
    except ValueError as err:
        raise RuntimeError(f"load_safetensors(): {path} has a corrupt header: {err}") from None
    body = memoryview(data)[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _CODES.get(info.get("dtype"))
        if dtype is None:
            raise RuntimeError(f"load_safetensors(): tensor {name!r} has unsupported dtype "
                               f"{info.get('dtype')!r}")
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape)) if shape else 1
        if end > len(body) or end - begin != count * dtype.itemsize:
            raise RuntimeError(f"load_safetensors(): tensor {name!r} lies outside the file or "
                               "has the wrong size: the file is truncated or corrupt")
        arr = np.frombuffer(body[begin:end], dtype=dtype.np).reshape(shape).copy()
        t = _wrap(arr)
        out[name] = t if device == "cpu" else t.to(device)
    return out
