"""`axis=` and `keepdims=`: PyTorch's argument parser accepts NumPy's names for `dim` and
`keepdim` in every torch.* function and Tensor method (ops/registry.py `_numpy_names_hook`)."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import assert_close, requires_torch, torch

CALLS = {
    "sum": lambda T, x: T.sum(x, axis=1, keepdims=True),
    "mean": lambda T, x: x.mean(axis=0),
    "std": lambda T, x: T.std(x, axis=1, keepdims=True),
    "var": lambda T, x: x.var(axis=(0, 1)),
    "max": lambda T, x: T.max(x, axis=1, keepdims=True).values,
    "min": lambda T, x: x.min(axis=0).indices,
    "amax": lambda T, x: T.amax(x, axis=1),
    "argmax": lambda T, x: T.argmax(x, axis=0, keepdims=True),
    "any": lambda T, x: (x > 0).any(axis=1),
    "all": lambda T, x: T.all(x > -5, axis=0),
    "prod": lambda T, x: x.prod(axis=1),
    "logsumexp": lambda T, x: T.logsumexp(x, axis=1, keepdims=True),
    "cumsum": lambda T, x: T.cumsum(x, axis=1),
    "cat": lambda T, x: T.cat([x, x], axis=1),
    "stack": lambda T, x: T.stack([x, x], axis=2),
    "softmax": lambda T, x: x.softmax(axis=0),
    "unsqueeze": lambda T, x: T.unsqueeze(x, axis=0),
    "squeeze": lambda T, x: x[:1].squeeze(axis=0),
}


def _x(lib):
    data = np.arange(12, dtype=np.float64).reshape(3, 4) / 7 - 0.5
    return lib.tensor(data)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_numpy_names_give_the_dim_result(name):
    got = CALLS[name](mt, _x(mt))
    # the same call spelled with PyTorch's names, on our engine
    spelled = {"axis": "dim", "keepdims": "keepdim"}
    expected = CALLS[name](_Renamer(mt, spelled), _Renamer(_x(mt), spelled))
    assert tuple(got.shape) == tuple(expected.shape)
    assert_close(got.numpy(), expected.numpy())


@requires_torch
@pytest.mark.parametrize("name", sorted(CALLS))
def test_numpy_names_match_pytorch(name):
    got, want = CALLS[name](mt, _x(mt)), CALLS[name](torch, _x(torch))
    assert tuple(got.shape) == tuple(want.shape)
    assert str(got.dtype) == str(want.dtype)
    assert_close(got.numpy(), want.numpy())


def test_both_spellings_is_a_type_error():
    with pytest.raises(TypeError, match="axis"):
        mt.sum(_x(mt), dim=0, axis=1)


def test_nn_functional_does_not_take_numpy_names():
    """torch.nn.functional is written in Python in PyTorch: `axis` is refused there."""
    with pytest.raises(TypeError, match="axis"):
        mt.nn.functional.softmax(_x(mt), axis=0)


def test_elementwise_ops_are_not_wrapped():
    """Only ops with a `dim`/`keepdim` parameter pay for the renaming (mul stays direct)."""
    from minitorch_nn.ops.registry import lookup
    assert lookup("mul").public is lookup("mul").fn
    assert lookup("sum").public is not lookup("sum").fn


class _Renamer:
    """Forwards attribute calls, renaming NumPy keyword names to PyTorch's."""

    def __init__(self, target, names):
        self._target, self._names = target, names

    def __getattr__(self, attr):
        fn = getattr(self._target, attr)
        if not callable(fn):
            return fn

        def call(*args, **kwargs):
            args = [a._target if isinstance(a, _Renamer) else a for a in args]
            args = [[b._target if isinstance(b, _Renamer) else b for b in a]
                    if isinstance(a, list) else a for a in args]
            return fn(*args, **{self._names.get(k, k): v for k, v in kwargs.items()})
        return call

    def __getitem__(self, item):
        return _Renamer(self._target[item], self._names)

    def __gt__(self, other):
        return _Renamer(self._target > other, self._names)
