"""renorm / renorm_ (ops/renorm.py): a NumPy reference, gradients through the norm."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op
from parity_util import same_error, same_values


def _np_renorm(a, p, dim, maxnorm):
    dim %= a.ndim
    others = tuple(i for i in range(a.ndim) if i != dim)
    if np.isinf(p):
        norm = np.abs(a).max(others, keepdims=True)
    else:
        norm = (np.abs(a) ** p).sum(others, keepdims=True) ** (1 / p)
    return a * np.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)


@pytest.mark.parametrize("p, dim, maxnorm", [(2, 0, 1.5), (1, 1, 2.0), (3, -1, 1.0),
                                             (float("inf"), 0, 1.0), (2, 1, 100.)])
def test_renorm_values_and_gradients(p, dim, maxnorm):
    check_op(lambda T, x: T.renorm(x, p, dim, maxnorm), [(3, 4)],
             ref=lambda a: _np_renorm(a, p, dim, maxnorm))
    check_op(lambda T, x: x.renorm(p, dim, maxnorm), [(2, 3, 2)],
             ref=lambda a: _np_renorm(a, p, dim, maxnorm))


def test_renorm_inplace_and_double_backward():
    same_values(lambda T: T.arange(12.).view(3, 4).renorm_(2, 0, 5.))
    x = mt.randn(3, 4, dtype=mt.float64, requires_grad=True)
    assert mt.autograd.gradgradcheck(lambda t: mt.renorm(t, 2, 0, 0.5), [x])


@pytest.mark.parametrize("expr", [
    lambda T: T.renorm(T.ones(3, 4), 2, 5, 5),
    lambda T: T.renorm(T.ones(3, 4), -1, 0, 5),
    lambda T: T.renorm(T.ones(3, 4), 2, 0, -1),
    lambda T: T.renorm(T.ones(3, 4, dtype=T.int64), 2, 0, 5),
    lambda T: T.renorm(T.ones(()), 2, 0, 1)])
def test_renorm_errors_match_pytorch(expr):
    same_error(expr)
