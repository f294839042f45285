"""Saving and loading, as `torch.save` / `torch.load` / `torch.serialization`.

`save` writes PyTorch's zip format (readable by `torch.load`); `load` reads it (and our earlier
JSON + .npy format). `load(weights_only=True)`, the default as in PyTorch 2.6+, accepts only
tensors, containers, primitives, dtypes, devices and globals registered with
`add_safe_globals`/`safe_globals`; `weights_only=False` unpickles anything and can therefore
run code from the file. `save_safetensors`/`load_safetensors` read and write .safetensors
files.
"""
from __future__ import annotations

from .native import load, save
from .safetensors_io import load_safetensors, load_safetensors_metadata, save_safetensors
from .torch_format import (DEFAULT_PROTOCOL, add_safe_globals, clear_safe_globals,
                           get_safe_globals, safe_globals)

__all__ = ["save", "load", "save_safetensors", "load_safetensors",
           "load_safetensors_metadata", "add_safe_globals", "get_safe_globals",
           "clear_safe_globals", "safe_globals", "DEFAULT_PROTOCOL"]
