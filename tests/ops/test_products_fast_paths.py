"""Fast paths of the matrix products (ops/products.py: addmm, mm, matmul; ops/linear.py) made
for the benchmarks (benchmarks/, docs/benchmarks.md) keep the numbers.

Each fast path is compared with PyTorch (or with the plain formula it replaced) on inputs that
reach it: gradients of transposed matrices laid out like their parameter, the in-place bias
add of addmm. No timing here: the benchmarks measure speed, these tests only check results.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import assert_close, requires_torch, to_mt, to_torch, torch


def _pair(shape, seed=0, dtype=np.float32, requires_grad=True):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return to_mt(a, requires_grad), (to_torch(a, requires_grad) if torch else None)


def _linear_pair(in_f, out_f, bias=True):
    t_lin = torch.nn.Linear(in_f, out_f, bias=bias)
    m_lin = mt.nn.Linear(in_f, out_f, bias=bias)
    m_lin.weight.data = mt.tensor(t_lin.weight.detach().numpy().copy())
    if bias:
        m_lin.bias.data = mt.tensor(t_lin.bias.detach().numpy().copy())
    return m_lin, t_lin


@requires_torch
@pytest.mark.parametrize("shape", [(5, 6), (2, 3, 6)], ids=["2d-addmm", "3d-matmul"])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_weight_grad_is_contiguous_and_equal(shape, bias):
    m_lin, t_lin = _linear_pair(6, 4, bias)
    mx, tx = _pair(shape)
    (m_lin(mx) ** 2).sum().backward()
    (t_lin(tx) ** 2).sum().backward()
    assert m_lin.weight.grad._data.flags.c_contiguous
    assert_close(m_lin.weight.grad, t_lin.weight.grad, atol=1e-5)
    assert_close(mx.grad, tx.grad, atol=1e-5)
    if bias:
        assert_close(m_lin.bias.grad, t_lin.bias.grad, atol=1e-5)


@requires_torch
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1)])
def test_addmm_with_transposed_operands_matches_torch(beta, alpha):
    grads = []
    for T, (a, b, c) in ((mt, [_pair(s, i)[0] for i, s in enumerate([(3, 4), (3, 5), (4, 5)])]),
                         (torch, [_pair(s, i)[1] for i, s in enumerate([(3, 4), (3, 5),
                                                                        (4, 5)])])):
        out = T.addmm(a, b, c.t(), beta=beta, alpha=alpha)   # c.t(): a transposed view
        (out * out).sum().backward()
        grads.append((out.detach(), a.grad, b.grad, c.grad))
    for ours, theirs in zip(*grads):
        assert_close(ours, theirs, atol=1e-5)


@requires_torch
def test_mm_of_transposed_left_operand_matches_torch():
    ma, ta = _pair((4, 3))
    mb, tb = _pair((4, 5), 1)
    (mt.mm(ma.t(), mb) ** 2).sum().backward()
    (torch.mm(ta.t(), tb) ** 2).sum().backward()
    assert ma.grad._data.flags.c_contiguous
    assert_close(ma.grad, ta.grad, atol=1e-5)
    assert_close(mb.grad, tb.grad, atol=1e-5)


@requires_torch
def test_complex_product_gradient_through_transpose_matches_torch():
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((2, 3, 4)) + 1j * rng.standard_normal((2, 3, 4))).astype(
        np.complex64)
    w = (rng.standard_normal((5, 4)) + 1j * rng.standard_normal((5, 4))).astype(np.complex64)
    g = (rng.standard_normal((2, 3, 5)) + 1j * rng.standard_normal((2, 3, 5))).astype(
        np.complex64)
    results = []
    for T in (mt, torch):
        for xs in (x, x[0]):   # 3-D input: tensordot path; 2-D: one product
            tx, tw = T.tensor(xs, requires_grad=True), T.tensor(w, requires_grad=True)
            (tx @ tw.t()).backward(T.tensor(g if xs.ndim == 3 else g[0]))
            results.append((tx.grad, tw.grad))
    results = [results[:2], results[2:]]
    for ours, theirs in zip(*results):
        assert_close(ours[0], theirs[0], atol=1e-4)
        assert_close(ours[1], theirs[1], atol=1e-4)


def test_addmm_bias_add_keeps_inputs_untouched():
    bias = mt.ones(3)
    out = mt.addmm(bias, mt.ones(2, 4), mt.ones(4, 3))
    assert out.tolist() == [[5.0] * 3] * 2
    assert bias.tolist() == [1.0, 1.0, 1.0]


def test_addmm_integer_product_with_float_scale_is_unchanged():
    inp = mt.tensor([[1, 2], [3, 4]])
    m = mt.tensor([[1, 0], [0, 1]])
    assert mt.addmm(inp, m, m, beta=2, alpha=3).tolist() == [[5, 4], [6, 11]]
