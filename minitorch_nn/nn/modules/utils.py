"""Argument helpers shared by the layer modules (`torch.nn.modules.utils`)."""
from __future__ import annotations

import collections.abc
from itertools import repeat

__all__: list[str] = []


def _ntuple(n: int, name: str = "parse"):
    """A parser turning an int into an n-tuple and any iterable into a tuple (as PyTorch)."""
    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n: int) -> tuple:
    """Reverse `t` and repeat each element n times: conv padding → F.pad's (last dim first)."""
    return tuple(x for x in reversed(t) for _ in range(n))
