"""Saving and loading: `save`/`load` (our safe zip format, and PyTorch's .pt files on load),
and `safetensors` files for state_dicts.

Nothing here ever unpickles arbitrary objects: our format stores the object tree as JSON and
each tensor as a `.npy` file; PyTorch's format is read with an unpickler that knows only the
handful of names a state_dict needs (like PyTorch's `weights_only=True`).
"""
from __future__ import annotations

from .native import load, save
from .safetensors_io import load_safetensors, save_safetensors

__all__ = ["save", "load", "save_safetensors", "load_safetensors"]
