"""The speed-ups made for the benchmarks (benchmarks/, docs/benchmarks.md) keep the numbers.

Each fast path is compared with PyTorch (or with the plain formula it replaced) on inputs that
reach it: gradients of transposed matrices laid out like their parameter, the in-place bias
add of addmm, relu's one-pass backward kernel (NaN and infinity as PyTorch treats them), and
leaf gradients taken over without a copy only when nothing else can see the array.
No timing here: the benchmarks measure speed, these tests only check results.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from tests.op_harness import assert_close, requires_torch, to_mt, to_torch, torch


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


# ------------------------------------------------------------------ relu backward kernel
@requires_torch
@pytest.mark.parametrize("n", [10, 5000, 70000], ids=["numpy-path", "kernel", "kernel-big"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_backward_matches_torch_with_nan_and_inf(n, dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(n).astype(dtype)
    x[:4] = [np.nan, 0.0, -0.0, -1.0]
    g = rng.standard_normal(n).astype(dtype)
    g[1:4] = [np.inf, np.nan, -np.inf]            # non-finite gradients where relu is flat
    grads = []
    for T in (mt, torch):
        tx = T.tensor(x, requires_grad=True)
        T.relu(tx).backward(T.tensor(g))
        grads.append(tx.grad)
    assert_close(grads[0], grads[1], atol=0, rtol=0)
    assert np.isnan(grads[0]._data[0]) == np.isnan(g[0])   # NaN output passes g on
    assert (grads[0]._data[1:4] == 0).all()


def test_relu_backward_kernel_on_views_and_2d():
    x = mt.randn(80, 100, requires_grad=True)
    y = mt.relu(x.t())                              # non-contiguous: numpy path
    y.backward(mt.ones(100, 80))
    expected = (x.detach() > 0).to(mt.float32)
    assert mt.equal(x.grad, expected)
    x.grad = None
    mt.relu(x).backward(mt.full((80, 100), 2.0))   # contiguous 2-D: kernel path
    assert mt.equal(x.grad, 2 * expected)


# ------------------------------------------------------------------ leaf gradients
def test_fresh_gradient_is_taken_over_and_later_accumulated_in_place():
    w = mt.randn(64, 32, requires_grad=True)
    x = mt.randn(8, 64)
    (x @ w).sum().backward()
    first = w.grad
    expected = x.sum(0)[:, None].expand(64, 32)
    assert mt.allclose(first, expected)
    (x @ w).sum().backward()
    assert w.grad is first                       # accumulated into the same tensor
    assert mt.allclose(first, 2 * expected)


def test_user_gradient_is_never_taken_over():
    x = mt.randn(100, requires_grad=True)
    y = mt.randn(100, requires_grad=True)
    g = mt.ones(100)
    (x + y).backward(g)                           # AddBackward passes g itself to both
    assert x.grad._data is not g._data and y.grad._data is not g._data
    assert not np.shares_memory(x.grad._data, y.grad._data)
    x.grad.add_(1.0)
    assert g.tolist() == [1.0] * 100 and y.grad.tolist() == [1.0] * 100


def test_gradient_seen_by_a_hook_is_copied():
    w = mt.randn(50, requires_grad=True)
    seen = []
    w.register_hook(lambda grad: seen.append(grad))
    (w * 3).sum().backward()
    w.grad.zero_()
    assert seen[0].tolist() == [3.0] * 50


def test_gradient_shared_by_two_leaves_is_not_aliased():
    a = mt.randn(1000, requires_grad=True)
    b = mt.randn(1000, requires_grad=True)
    (a * 2 + b * 0 + a * 0).sum().backward()
    c = mt.randn(30, requires_grad=True)
    d = mt.randn(30, requires_grad=True)
    s = c + d                                     # one gradient array for both leaves
    (s * 2).sum().backward()
    assert not np.shares_memory(c.grad._data, d.grad._data)
    c.grad.zero_()
    assert d.grad.tolist() == [2.0] * 30


def test_gradient_that_is_a_broadcast_view_is_copied():
    w = mt.randn(40, 30, requires_grad=True)
    w.sum().backward()                            # SumBackward: a read-only broadcast
    assert w.grad._data.flags.writeable and w.grad._data.flags.owndata
    w.sum().backward()
    assert w.grad.tolist() == [[2.0] * 30] * 40


@pytest.mark.parametrize("order", ["leaf-first", "view-first"])
def test_view_of_a_shared_gradient_is_not_aliased(order):
    a = mt.randn(12, requires_grad=True)
    b = mt.randn(3, 4, requires_grad=True)
    # AddBackward hands one array to a and (through ReshapeBackward, a view of it) to b
    s = a + b.reshape(12) if order == "leaf-first" else b.reshape(12) + a
    (s * 3).sum().backward()
    assert not np.shares_memory(a.grad._data, b.grad._data)
    a.grad.zero_()
    assert b.grad.tolist() == [[3.0] * 4] * 3


def test_retained_and_leaf_gradients_are_independent():
    x = mt.randn(20, requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y * 5).sum().backward()
    y.grad.zero_()
    assert x.grad.tolist() == [10.0] * 20
