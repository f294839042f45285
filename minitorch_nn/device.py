"""device: where a tensor lives, parsed from 'cpu', 'cuda', 'cuda:1' or (type, index).

Like Chainer's device spec parser: one small immutable class, accepted wherever PyTorch
accepts a device, with PyTorch's repr (`device(type='cuda', index=0)`).
"""
from __future__ import annotations

__all__ = ["device"]

_KNOWN_TYPES = ("cpu", "cuda", "meta", "mps", "xpu", "ipu", "hpu", "xla")


class device:
    """A device: `type` ('cpu' or 'cuda') and `index` (None means 'the current one')."""

    __slots__ = ("type", "index")

    def __init__(self, type, index: int | None = None):
        if isinstance(type, device):
            if index is not None:
                raise ValueError("device(): a device object cannot be combined with an index")
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type   # device(0) means cuda:0, as in PyTorch
        if not isinstance(type, str):
            raise TypeError(f"device() expected a string, a device or an int, got {type!r}")
        name, _, idx = type.partition(":")
        if name not in _KNOWN_TYPES:
            raise RuntimeError(
                f"Expected one of cpu, cuda, meta device type at start of device string: {type}")
        if idx:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type, self.index = name, index

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


def to_device(spec) -> device:
    """Parse anything PyTorch accepts as a device (None means cpu)."""
    if spec is None:
        return CPU
    if type(spec) is device:
        return spec
    return device(spec)
