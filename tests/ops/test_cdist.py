"""cdist (ops/cdist.py): scipy-free NumPy reference, gradients, both compute modes against
PyTorch (the matrix-product mode's rounding included), errors."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch
from parity_util import same_error, same_values


def _np_cdist(a, b, p):
    d = np.abs(a[..., :, None, :] - b[..., None, :, :])
    if p == 0:
        return (d != 0).sum(-1).astype(a.dtype)
    if np.isinf(p):
        return d.max(-1)
    return (d ** p).sum(-1) ** (1 / p)


@pytest.mark.parametrize("p", [2.0, 1.0, 0.5, 3.0, float("inf"), 1.5])
def test_cdist_direct_values_and_gradients(p):
    check_op(lambda T, a, b: T.cdist(a, b, p), [(3, 4), (5, 4)],
             ref=lambda a, b: _np_cdist(a, b, p), atol=1e-5)


def test_cdist_p0_and_batches():
    check_op(lambda T, a, b: T.cdist(a, b, 0), [(3, 4), (5, 4)],
             ref=lambda a, b: _np_cdist(a, b, 0))
    check_op(lambda T, a, b: T.cdist(a, b), [(2, 3, 4), (2, 5, 4)],
             ref=lambda a, b: _np_cdist(a, b, 2))
    check_op(lambda T, a, b: T.cdist(a, b, 1.), [(2, 1, 3, 4), (3, 2, 4)],
             ref=lambda a, b: _np_cdist(a, b, 1))


@pytest.mark.parametrize("mode", ["use_mm_for_euclid_dist", "use_mm_for_euclid_dist_if_necessary"])
def test_cdist_matrix_product_mode(mode):
    # 30 rows: '..._if_necessary' takes the matrix-product path too
    check_op(lambda T, a, b: T.cdist(a, b, compute_mode=mode), [(30, 3), (4, 3)],
             ref=lambda a, b: _np_cdist(a, b, 2), atol=1e-5)
    check_op(lambda T, a, b: T.cdist(a, b, compute_mode=mode), [(2, 30, 3), (1, 4, 3)],
             atol=1e-5)


@requires_torch
def test_cdist_float32_matches_pytorch_rounding_in_both_modes():
    rng = np.random.default_rng(3)
    a, b = (rng.normal(size=s).astype(np.float32) * 100 for s in ((40, 8), (30, 8)))
    for mode in ("use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        same_values(lambda T, mode=mode: T.cdist(T.tensor(a), T.tensor(b), compute_mode=mode),
                    atol=1e-4, rtol=1e-6)


def test_cdist_coinciding_points_have_zero_gradient_not_nan():
    def grads(T, mode):
        x = T.tensor([[0., 1.], [2., 3.], [0., 1.]], dtype=T.float64, requires_grad=True)
        T.cdist(x, x, compute_mode=mode).sum().backward()
        return x.grad
    for mode in ("use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        g = same_values(lambda T, mode=mode: grads(T, mode))
        assert not np.isnan(g.numpy()).any()


def test_cdist_empty_inputs():
    same_values(lambda T: T.cdist(T.zeros(0, 3), T.zeros(2, 3)))
    same_values(lambda T: T.cdist(T.zeros(2, 0), T.zeros(3, 0)))


def test_cdist_mm_mode_double_backward():
    a = mt.randn(27, 3, dtype=mt.float64, requires_grad=True)
    b = mt.randn(2, 3, dtype=mt.float64, requires_grad=True)
    assert mt.autograd.gradgradcheck(lambda x, y: mt.cdist(x, y), [a, b])


@pytest.mark.parametrize("expr", [
    lambda T: T.cdist(T.ones(3, 4), T.ones(5, 4), p=-1),
    lambda T: T.cdist(T.ones(4), T.ones(5, 4)),
    lambda T: T.cdist(T.ones(3, 4), T.ones(5, 3)),
    lambda T: T.cdist(T.ones(3, 4, dtype=T.int64), T.ones(5, 4, dtype=T.int64)),
    lambda T: T.cdist(T.ones(3, 4), T.ones(5, 4, dtype=T.float64)),
    lambda T: T.cdist(T.ones(3, 4), T.ones(5, 4), compute_mode="bad"),
    lambda T: T.cdist(T.ones(3, 4, dtype=T.float16), T.ones(5, 4, dtype=T.float16)),
    lambda T: T.cdist(T.ones(2, 3, 4), T.ones(3, 5, 4))])
def test_cdist_errors_match_pytorch(expr):
    same_error(expr)
