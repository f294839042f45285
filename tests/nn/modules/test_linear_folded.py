"""nn.Linear on inputs with more than two dims folds the leading dims into one product, as
PyTorch does: View(Addmm(bias, x.view(-1, in), W^T)) for a contiguous input with a bias (one
2-D product forward, three backward, the bias added in place), matmul + add otherwise. The
graph's node names, the values and the gradients agree with PyTorch's."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import requires_torch

CASES = {
    "3-D with bias": lambda T: (T.randn(2, 5, 4), dict(bias=True)),
    "4-D with bias": lambda T: (T.randn(2, 3, 2, 4), dict(bias=True)),
    "non-contiguous": lambda T: (T.randn(5, 2, 4).transpose(0, 1), dict(bias=True)),
    "3-D without bias": lambda T: (T.randn(2, 5, 4), dict(bias=False)),
    "empty rows": lambda T: (T.randn(2, 0, 4), dict(bias=True)),
}


def _run(T, case):
    T.manual_seed(0)
    layer = T.nn.Linear(4, 3, **CASES[case](T)[1]).double()
    T.manual_seed(1)
    x = CASES[case](T)[0].double().requires_grad_()
    y = layer(x)
    (y * y).sum().backward()
    names = [y.grad_fn.name()] + [f.name() for f, _ in y.grad_fn.next_functions if f]
    grads = [x.grad] + [p.grad for p in layer.parameters()]
    return names, [y.detach().numpy()] + [g.numpy() for g in grads]


@requires_torch
@pytest.mark.parametrize("case", sorted(CASES))
def test_folded_linear_equals_pytorch(case):
    import torch
    names, ours = _run(mt, case)
    torch_names, theirs = _run(torch, case)
    if case in ("3-D with bias", "4-D with bias", "empty rows"):   # the folded product
        assert names == torch_names == ["ViewBackward0", "AddmmBackward0"]
    # otherwise a matmul: PyTorch records UnsafeView(Mm), ours one MatmulBackward0 node
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_folded_linear_gradients_are_checked_numerically():
    mt.manual_seed(0)
    layer = mt.nn.Linear(3, 2).double()
    x = mt.randn(2, 2, 3, dtype=mt.float64, requires_grad=True)
    assert mt.autograd.gradcheck(lambda x: layer(x), (x,))
    assert mt.autograd.gradgradcheck(lambda x: layer(x), (x,))


def test_a_wrong_feature_size_gives_pytorchs_error():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied"):
        mt.nn.Linear(4, 3)(mt.randn(2, 5, 5))
