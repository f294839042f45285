"""`ReduceOp`: how a collective combines the ranks' tensors (PyTorch's names and values)."""
from __future__ import annotations

import enum


class RedOpType(enum.IntEnum):
    """The reduction kinds; PyTorch prints them as `RedOpType.SUM`."""

    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8
    UNUSED = 9

    def __str__(self) -> str:
        return f"RedOpType.{self.name}"


class ReduceOp:
    """`dist.ReduceOp.SUM` etc. are `RedOpType` members, as in PyTorch; `ReduceOp(op)` gives
    the member back (so code that wraps an op in ReduceOp keeps working)."""

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM
    UNUSED = RedOpType.UNUSED

    def __new__(cls, op=RedOpType.SUM):
        return RedOpType(op)


__all__ = ["ReduceOp", "RedOpType"]
