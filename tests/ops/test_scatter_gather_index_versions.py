"""An index edited in place between forward and backward (issue 15): PyTorch saves the index
of gather/scatter/scatter_add/index_select/index_add/take/embedding and its backward raises the
in-place error; minitorch_nn used the edited index (a silently wrong gradient, an IndexError,
or, for embedding's Numba kernel, a write out of bounds)."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

CASES = {
    "gather": lambda T, x, s, i: x.gather(0, i),
    "scatter": lambda T, x, s, i: x.scatter(0, i, s),
    "scatter_value": lambda T, x, s, i: x.scatter(0, i, 2.0),
    "scatter_add": lambda T, x, s, i: x.scatter_add(0, i, s),
    "scatter_": lambda T, x, s, i: (x * 1).scatter_(0, i, s),
    "scatter_add_": lambda T, x, s, i: (x * 1).scatter_add_(0, i, s),
    "index_select": lambda T, x, s, i: x.index_select(0, i[0, :2]),
    "index_add": lambda T, x, s, i: x.index_add(0, i[0, :2], s[:, :4].expand(2, 4) * 1),
    "index_add_": lambda T, x, s, i: (x * 1).index_add_(0, i[0, :2],
                                                        s[:, :4].expand(2, 4) * 1),
    "take": lambda T, x, s, i: x.take(i),
    "embedding": lambda T, x, s, i: T.nn.functional.embedding(i, x),
}


def _run(T, name, edit):
    x = T.randn(3, 4, requires_grad=True)
    s = T.randn(1, 4, requires_grad=True)
    i = T.tensor([[0, 1, 2, 0]])
    y = CASES[name](T, x, s, i)
    if edit:
        i[0, 0] = 1   # in range: the old code gave a silently wrong gradient
    y.sum().backward()
    return x.grad


@pytest.mark.parametrize("name", sorted(CASES))
def test_edited_index_raises_in_backward(name):
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        _run(mt, name, True)


@pytest.mark.parametrize("name", sorted(CASES))
def test_unedited_index_still_works_and_matches_torch(name):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    mt.manual_seed(0)
    ours, ref = _run(mt, name, False), _run(torch, name, False)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6, atol=1e-6)


def test_message_matches_torch():
    torch = pytest.importorskip("torch")
    msgs = []
    for T in (torch, mt):
        with pytest.raises(RuntimeError) as e:
            _run(T, "gather", True)
        msgs.append(str(e.value).split(" Hint")[0])
    assert msgs[0] == msgs[1]
