"""PyTorch's legacy tensor types: `torch.FloatTensor(2, 3)`, `isinstance(t, torch.LongTensor)`.

Each name builds a tensor of its dtype (from sizes, or from data like `torch.tensor`) and
answers `isinstance` by dtype, as PyTorch's legacy type objects do. (`autograd.Variable`, the
pre-0.4 wrapper, is in autograd/variable.py.)
"""
from __future__ import annotations

from . import dtypes as _dt
from .creation import empty, tensor
from .tensor import Tensor

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "ByteTensor",
           "CharTensor", "ShortTensor", "IntTensor", "LongTensor", "BoolTensor"]


class _LegacyTensorType(type):
    """`isinstance(t, FloatTensor)` is true for CPU tensors of dtype float32."""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and obj.device.type == "cpu"

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


def _legacy(name: str, dtype: _dt.dtype):
    def __new__(cls, *args, device=None):
        if len(args) == 1 and not isinstance(args[0], int):
            if isinstance(args[0], Tensor):
                return args[0].to(dtype)
            return tensor(args[0], dtype=dtype, device=device)
        return empty(*args, dtype=dtype, device=device)
    return _LegacyTensorType(name, (), {"dtype": dtype, "__new__": __new__,
                                        "__doc__": f"A {dtype} tensor: sizes or data."})


FloatTensor = _legacy("FloatTensor", _dt.float32)
DoubleTensor = _legacy("DoubleTensor", _dt.float64)
HalfTensor = _legacy("HalfTensor", _dt.float16)
BFloat16Tensor = _legacy("BFloat16Tensor", _dt.bfloat16)
ByteTensor = _legacy("ByteTensor", _dt.uint8)
CharTensor = _legacy("CharTensor", _dt.int8)
ShortTensor = _legacy("ShortTensor", _dt.int16)
IntTensor = _legacy("IntTensor", _dt.int32)
LongTensor = _legacy("LongTensor", _dt.int64)
BoolTensor = _legacy("BoolTensor", _dt.bool)

