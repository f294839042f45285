"""Padding layers (`torch.nn.modules.padding`): ReflectionPad, ReplicationPad, CircularPad,
ConstantPad and ZeroPad in 1d/2d/3d, each calling F.pad with its mode.

`padding` is an int (the same on every side) or a tuple of 2 / 4 / 6 ints (left, right, top,
bottom, front, back), as PyTorch; negative values crop. The class structure and reprs are
PyTorch's (`ReflectionPad2d((1, 1, 2, 0))`, `ConstantPad1d(padding=(2, 2), value=3.5)`).

    nn.ReflectionPad2d(2)(torch.randn(1, 3, 8, 8)).shape     # (1, 3, 12, 12)
"""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from .module import Module
from .utils import _ntuple

__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d"]

_pair, _quadruple, _sextuple = _ntuple(2, "_pair"), _ntuple(4, "_quadruple"), \
    _ntuple(6, "_sextuple")
_TUPLE = {1: _pair, 2: _quadruple, 3: _sextuple}


class _PadNd(Module):
    """A padding layer of `_dims` spatial dims and F.pad mode `_mode`."""

    __constants__ = ["padding"]
    _mode = "constant"
    _dims = 1

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _TUPLE[self._dims](padding)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _CircularPadNd(_PadNd):
    """Circular padding: (N, C, *) or (C, *) input, checked as PyTorch's layers do."""

    _mode = "circular"

    def _check_input_dim(self, input: Tensor) -> None:
        d = self._dims + 1
        if input.dim() != d and input.dim() != d + 1:
            raise ValueError(f"expected {d}D or {d + 1}D input (got {input.dim()}D input)")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        return F.pad(input, self.padding, "circular")


class _ReflectionPadNd(_PadNd):
    _mode = "reflect"


class _ReplicationPadNd(_PadNd):
    _mode = "replicate"


class _ConstantPadNd(Module):
    """Padding with a constant `value`."""

    __constants__ = ["padding", "value"]
    _dims = 1

    def __init__(self, padding, value: float) -> None:
        super().__init__()
        self.padding = _TUPLE[self._dims](padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


def _layer(name: str, base: type, dims: int, doc: str) -> type:
    return type(name, (base,), {"_dims": dims, "__doc__": doc, "__module__": __name__})


CircularPad1d = _layer("CircularPad1d", _CircularPadNd, 1, "Circular (wrap-around) padding "
                       "of the last dim of (N, C, W) or (C, W) input.")
CircularPad2d = _layer("CircularPad2d", _CircularPadNd, 2, "Circular padding of the last 2 "
                       "dims of (N, C, H, W) or (C, H, W) input.")
CircularPad3d = _layer("CircularPad3d", _CircularPadNd, 3, "Circular padding of the last 3 "
                       "dims of (N, C, D, H, W) or (C, D, H, W) input.")
ReflectionPad1d = _layer("ReflectionPad1d", _ReflectionPadNd, 1, "Reflection padding (the "
                         "edge not repeated) of the last dim.")
ReflectionPad2d = _layer("ReflectionPad2d", _ReflectionPadNd, 2, "Reflection padding of the "
                         "last 2 dims.")
ReflectionPad3d = _layer("ReflectionPad3d", _ReflectionPadNd, 3, "Reflection padding of the "
                         "last 3 dims.")
ReplicationPad1d = _layer("ReplicationPad1d", _ReplicationPadNd, 1, "Edge-value padding of "
                          "the last dim.")
ReplicationPad2d = _layer("ReplicationPad2d", _ReplicationPadNd, 2, "Edge-value padding of "
                          "the last 2 dims.")
ReplicationPad3d = _layer("ReplicationPad3d", _ReplicationPadNd, 3, "Edge-value padding of "
                          "the last 3 dims.")
ConstantPad1d = _layer("ConstantPad1d", _ConstantPadNd, 1, "Padding of the last dim with a "
                       "constant value.")
ConstantPad2d = _layer("ConstantPad2d", _ConstantPadNd, 2, "Padding of the last 2 dims with "
                       "a constant value.")
ConstantPad3d = _layer("ConstantPad3d", _ConstantPadNd, 3, "Padding of the last 3 dims with "
                       "a constant value.")


class _ZeroPad:
    """Zero padding: a ConstantPad with value 0.0, repr without the value."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPad, ConstantPad1d):
    """Zero padding of the last dim."""


class ZeroPad2d(_ZeroPad, ConstantPad2d):
    """Zero padding of the last 2 dims."""


class ZeroPad3d(_ZeroPad, ConstantPad3d):
    """Zero padding of the last 3 dims."""
