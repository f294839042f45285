"""Two checks that run one expression in both libraries (`fn(T)` with T = minitorch_nn and,
when installed, T = torch): the same values, or the same error.

    same_values(lambda T: T.diff(T.tensor([1, 4, 9])))
    same_error(lambda T: T.diff(T.tensor(1)), match="at least one-dimensional")

Without PyTorch, `same_values` still runs our side (so a crash fails) and `same_error`
checks our error against `match`.
"""
from __future__ import annotations

import re

import numpy as np

import minitorch_nn as mt
from op_harness import torch


def _as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _numpy(t):
    t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    return t.numpy()


def same_values(fn, atol=1e-6, rtol=1e-5):
    """fn(minitorch_nn) and fn(torch) give the same tensors (shape, dtype, values) or the
    same Python values. Returns our result."""
    mine = fn(mt)
    if torch is None:
        return mine
    theirs = fn(torch)
    same_kind = type(mine) is type(theirs) or isinstance(mine, mt.Tensor) or \
        isinstance(mine, tuple) and isinstance(theirs, tuple)   # named tuples: two classes
    assert same_kind, f"{type(mine).__name__} vs PyTorch's {type(theirs).__name__}"
    mine_l, theirs_l = _as_list(mine), _as_list(theirs)
    assert len(mine_l) == len(theirs_l), f"{len(mine_l)} outputs vs PyTorch's {len(theirs_l)}"
    for i, (a, b) in enumerate(zip(mine_l, theirs_l)):
        if isinstance(b, torch.Tensor):
            assert tuple(a.shape) == tuple(b.shape), f"output {i}: {a.shape} vs {b.shape}"
            assert str(a.dtype) == str(b.dtype), f"output {i}: {a.dtype} vs {b.dtype}"
            np.testing.assert_allclose(_numpy(a), _numpy(b), atol=atol, rtol=rtol,
                                       equal_nan=True, err_msg=f"output {i}")
        else:
            assert a == b, f"output {i}: {a!r} vs PyTorch's {b!r}"
    return mine


def same_error(fn, match: str | None = None, exact: bool = True):
    """fn(minitorch_nn) raises; with PyTorch, fn(torch) raises the same class and (`exact`)
    the same message. `match` is a regex our message must contain. Returns our error."""
    try:
        fn(mt)
    except Exception as err:   # noqa: BLE001 - class and message are compared below
        mine = err
    else:
        raise AssertionError("minitorch_nn raised nothing")
    if match is not None:
        assert re.search(match, str(mine)), f"{str(mine)!r} does not match {match!r}"
    if torch is not None:
        try:
            fn(torch)
        except Exception as err:   # noqa: BLE001
            theirs = err
        else:
            raise AssertionError(f"PyTorch raised nothing (we raised {mine!r})")
        assert type(mine) is type(theirs), \
            f"{type(mine).__name__} vs PyTorch's {type(theirs).__name__}: {theirs}"
        if exact:
            assert str(mine) == str(theirs), f"{str(mine)!r} vs PyTorch's {str(theirs)!r}"
    return mine
