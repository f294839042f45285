"""Second and third derivatives of the nn activations and losses against PyTorch
(tests/autograd/double_backward.py): softmax family, gelu, silu, elu, softplus, leaky_relu,
hardtanh, dropout, and the losses of ops/loss.py, ops/cross_entropy.py and the composites."""
from __future__ import annotations

import contextlib

import numpy as np
import pytest

import minitorch_nn as mt
from double_backward import check_double_backward

rng = np.random.default_rng(1414)
REDUCTIONS = ["mean", "sum", "none"]


def _u(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, shape)


def _away(*shape, gap=0.2, lo=-2.0, hi=2.0):
    """Uniform values kept `gap` away from 0 (away from a kink at 0)."""
    a = rng.uniform(gap, max(abs(lo), hi), shape)
    return np.where(rng.uniform(size=shape) < 0.5, -a, a)


def F(T):
    return T.nn.functional


# ------------------------------------------------------------------ softmax family
@pytest.mark.parametrize("shape, dim", [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), 1),
                                        ((2, 3, 4), -1), ((), 0)])
def test_softmax(shape, dim):
    check_double_backward(lambda T, x: T.softmax(x, dim), _u(*shape), third=True)


@pytest.mark.parametrize("shape, dim", [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), 1),
                                        ((2, 3, 4), -1), ((), 0)])
def test_log_softmax(shape, dim):
    check_double_backward(lambda T, x: T.log_softmax(x, dim), _u(*shape), third=True)


def test_softmax_functional_forms():
    check_double_backward(lambda T, x: F(T).softmax(x, dim=1) * F(T).log_softmax(x, dim=0),
                          _u(3, 4))
    check_double_backward(lambda T, x: F(T).softmin(x, dim=-1), _u(3, 4), third=True)
    check_double_backward(lambda T, x: x.softmax(0) + x.log_softmax(-1), _u(2, 3))


def test_softmax_non_contiguous():
    check_double_backward(lambda T, x: T.softmax(x.t(), 1) * x.t(), _u(4, 3))
    check_double_backward(lambda T, x: T.log_softmax(x.t(), -1), _u(4, 3))


# ------------------------------------------------------------------ smooth activations
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu(approximate):
    check_double_backward(lambda T, x: F(T).gelu(x, approximate=approximate), _u(3, 4, lo=-3,
                                                                                hi=3), third=True)


def test_silu():
    check_double_backward(lambda T, x: F(T).silu(x), _u(3, 4, lo=-4, hi=4), third=True)


@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0])
def test_elu(alpha):
    check_double_backward(lambda T, x: F(T).elu(x, alpha=alpha), _away(3, 4), third=True)


def test_elu_inplace():
    check_double_backward(lambda T, x: F(T).elu(x * 1.0, alpha=1.5, inplace=True) * x,
                          _away(3, 4), third=True)


def test_elu_large_input_no_nan():
    check_double_backward(lambda T, x: F(T).elu(x), np.array([-1.0, 0.5, 800.0]), third=True)


@pytest.mark.parametrize("beta, threshold", [(1.0, 20.0), (2.0, 20.0), (0.5, 1.0),
                                             (3.0, 2.0)])
def test_softplus(beta, threshold):
    # values on both sides of x * beta = threshold, never at it
    x = np.array([[-3.0, -0.7, 0.1, 0.45], [0.9, 1.3, 2.5, 30.0]])
    check_double_backward(lambda T, x: F(T).softplus(x, beta=beta, threshold=threshold), x,
                          third=True)


@pytest.mark.parametrize("slope", [0.01, 0.2, -0.5])
def test_leaky_relu(slope):
    check_double_backward(lambda T, x: F(T).leaky_relu(x, slope) * x, _away(3, 4), third=True)


def test_leaky_relu_inplace():
    check_double_backward(lambda T, x: F(T).leaky_relu(x * x * x, 0.1, inplace=True) * x,
                          _away(3, 4))


@pytest.mark.parametrize("lo, hi", [(-1.0, 1.0), (-0.5, 0.25)])
def test_hardtanh(lo, hi):
    x = np.array([[-2.0, -0.9, -0.3, 0.1], [0.2, 0.6, 1.4, -1.6]])
    check_double_backward(lambda T, x: F(T).hardtanh(x, lo, hi) * x, x, third=True)


def test_relu6():
    x = np.array([[-2.0, 0.5, 3.0], [5.5, 6.5, 1.0]])
    check_double_backward(lambda T, x: F(T).relu6(x) * x * x, x)


# ------------------------------------------------------------------ dropout
def test_dropout_eval_and_p0():
    check_double_backward(lambda T, x: F(T).dropout(x * x, 0.5, training=False) * x, _u(3, 4))
    check_double_backward(lambda T, x: F(T).dropout(x * x, 0.0) * x, _u(3, 4))


@pytest.mark.parametrize("p", [0.3, 0.7])
def test_dropout_seeded(p):
    def fn(T, x):
        T.manual_seed(7)
        return F(T).dropout(x * x * x, p) * x

    check_double_backward(fn, _u(4, 5), third=True)


def test_dropout_mask_matches_torch():
    torch = pytest.importorskip("torch")
    mt.manual_seed(3)
    torch.manual_seed(3)
    x = _u(4, 5)
    a = mt.dropout(mt.tensor(x), 0.4, True).numpy()
    b = torch.dropout(torch.tensor(x), 0.4, True).numpy()
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-15)


# ------------------------------------------------------------------ regression losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ts", [(3, 4), (4,)])
def test_mse_loss(reduction, ts):
    def fn(T, x, t):
        return F(T).mse_loss(x * x, t, reduction=reduction)

    with pytest.warns(UserWarning) if ts != (3, 4) else contextlib.nullcontext():
        check_double_backward(fn, _u(3, 4), _u(*ts), third=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_weight(reduction):
    w = _u(3, 4, lo=0.5, hi=2.0)
    check_double_backward(lambda T, x, t: F(T).mse_loss(x, t, reduction=reduction,
                                                        weight=T.tensor(w)),
                          _u(3, 4), _u(3, 4))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_loss(reduction):
    x, t = _u(3, 4), _u(3, 4)
    t = np.where(np.abs(x - t) < 0.1, t + 0.3, t)   # away from the kink
    check_double_backward(lambda T, x, t: F(T).l1_loss(x * x * x, t, reduction=reduction) * x,
                          x, t, third=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.3, 0.0])
def test_smooth_l1_loss(reduction, beta):
    x = np.array([[-2.0, -0.5, 0.12, 0.15], [0.9, 1.3, -0.2, 2.5]])
    t = np.array([[0.4, -0.35, -0.2, 0.7], [0.2, -0.6, 0.65, 0.3]])
    check_double_backward(lambda T, x, t: F(T).smooth_l1_loss(x, t, reduction=reduction,
                                                              beta=beta) * x.sum(),
                          x, t, third=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [1.0, 0.4])
def test_huber_loss(reduction, delta):
    x = np.array([[-2.0, -0.5, 0.12, 0.15], [0.9, 1.3, -0.2, 2.5]])
    t = np.array([[0.4, -0.35, -0.2, 0.7], [0.2, -0.6, 0.65, 0.3]])
    check_double_backward(lambda T, x, t: F(T).huber_loss(x * x, t, reduction=reduction,
                                                          delta=delta) * x.sum(),
                          x, t, third=True)


def test_huber_loss_weight():
    w = _u(2, 3, lo=0.5, hi=2.0)
    check_double_backward(lambda T, x, t: F(T).huber_loss(x, t, weight=T.tensor(w)),
                          _u(2, 3, lo=-3, hi=3), _u(2, 3))


# ------------------------------------------------------------------ binary cross-entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(reduction, weighted):
    w = _u(3, 4, lo=0.5, hi=2.0) if weighted else None

    def fn(T, x, t):
        return F(T).binary_cross_entropy(x, t, None if w is None else T.tensor(w),
                                         reduction=reduction)

    check_double_backward(fn, _u(3, 4, lo=0.1, hi=0.9), _u(3, 4, lo=0.0, hi=1.0), third=True)


def test_binary_cross_entropy_broadcast_weight():
    w = _u(4, lo=0.5, hi=2.0)
    check_double_backward(lambda T, x, t: F(T).binary_cross_entropy(x, t, T.tensor(w)),
                          _u(3, 4, lo=0.1, hi=0.9), _u(3, 4, lo=0.0, hi=1.0))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted, pos", [(False, False), (True, False), (False, True),
                                           (True, True)])
def test_binary_cross_entropy_with_logits(reduction, weighted, pos):
    w = _u(4, lo=0.5, hi=2.0) if weighted else None
    pw = _u(4, lo=0.5, hi=3.0) if pos else None

    def fn(T, x, t):
        return F(T).binary_cross_entropy_with_logits(
            x, t, None if w is None else T.tensor(w), reduction=reduction,
            pos_weight=None if pw is None else T.tensor(pw))

    check_double_backward(fn, _u(3, 4, lo=-3, hi=3), _u(3, 4, lo=0.0, hi=1.0), third=True)


def test_binary_cross_entropy_with_logits_aten():
    pw = _u(3, 4, lo=0.5, hi=3.0)
    check_double_backward(lambda T, x, t: T.binary_cross_entropy_with_logits(
        x, t, None, T.tensor(pw), 2), _u(3, 4, lo=-3, hi=3), _u(3, 4, lo=0.0, hi=1.0))


# ------------------------------------------------------------------ kl_div
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    def fn(T, x, t):
        return F(T).kl_div(x, t, reduction=reduction, log_target=log_target)

    t = _u(3, 4, lo=-2.0, hi=0.0) if log_target else _u(3, 4, lo=0.1, hi=1.0)
    if reduction == "mean":
        with pytest.warns(UserWarning):
            check_double_backward(fn, _u(3, 4, lo=-2.0, hi=0.0), t, third=True)
    else:
        check_double_backward(fn, _u(3, 4, lo=-2.0, hi=0.0), t, third=True)


@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_broadcast_aten(log_target):
    t = _u(4, lo=-2.0, hi=0.0) if log_target else _u(4, lo=0.1, hi=1.0)
    check_double_backward(lambda T, x, t: T.kl_div(x * x, t, 2, log_target=log_target),
                          _u(3, 4), t)
    check_double_backward(lambda T, x, t: T.kl_div(t, x, 0, log_target=log_target),
                          _u(3, 4, lo=0.1, hi=1.0) if not log_target else _u(3, 4), t)


# ------------------------------------------------------------------ cross_entropy / nll_loss
def _targets(n, c, ignore=None, seed=0):
    t = np.random.default_rng(seed).integers(0, c, n)
    if ignore is not None:
        t[1] = ignore
    return t


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_indices(reduction, weighted, smoothing):
    w = _u(4, lo=0.5, hi=2.0) if weighted else None
    tgt = _targets(3, 4)

    def fn(T, x):
        return F(T).cross_entropy(x, T.tensor(tgt), None if w is None else T.tensor(w),
                                  reduction=reduction, label_smoothing=smoothing)

    check_double_backward(fn, _u(3, 4, lo=-2, hi=2), third=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_ignore_index(reduction, smoothing):
    w = _u(5, lo=0.5, hi=2.0)
    tgt = _targets(4, 5, ignore=2)

    def fn(T, x):
        return F(T).cross_entropy(x, T.tensor(tgt), T.tensor(w), ignore_index=2,
                                  reduction=reduction, label_smoothing=smoothing)

    check_double_backward(fn, _u(4, 5, lo=-2, hi=2), third=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_spatial_and_unbatched(reduction):
    tgt = np.random.default_rng(5).integers(0, 3, (2, 2, 2))
    check_double_backward(lambda T, x: F(T).cross_entropy(x, T.tensor(tgt),
                                                          reduction=reduction,
                                                          label_smoothing=0.1),
                          _u(2, 3, 2, 2), third=True)
    check_double_backward(lambda T, x: F(T).cross_entropy(x, T.tensor(2),
                                                          reduction=reduction), _u(4))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
def test_cross_entropy_probabilities(reduction, weighted, smoothing):
    w = _u(4, lo=0.5, hi=2.0) if weighted else None
    p = _u(3, 4, lo=0.0, hi=1.0)
    p = p / p.sum(1, keepdims=True)

    def fn(T, x, t):
        return F(T).cross_entropy(x, t, None if w is None else T.tensor(w),
                                  reduction=reduction, label_smoothing=smoothing)

    check_double_backward(fn, _u(3, 4, lo=-2, hi=2), p, third=True)


def test_cross_entropy_probabilities_weight_grad():
    p = _u(2, 3, 2, lo=0.0, hi=1.0)
    check_double_backward(lambda T, x, t, w: F(T).cross_entropy(x, t, w, reduction="sum",
                                                                label_smoothing=0.1),
                          _u(2, 3, 2), p, _u(3, lo=0.5, hi=2.0), third=True)
    check_double_backward(lambda T, x, t, w: F(T).cross_entropy(x, t, w), _u(3), _u(3),
                          _u(3, lo=0.5, hi=2.0))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(reduction, weighted):
    w = _u(5, lo=0.5, hi=2.0) if weighted else None
    tgt = _targets(4, 5, ignore=-100)

    def fn(T, x):
        logp = T.log_softmax(x * x, 1)
        return F(T).nll_loss(logp, T.tensor(tgt), None if w is None else T.tensor(w),
                             reduction=reduction)

    check_double_backward(fn, _u(4, 5), third=True)


def test_nll_loss_direct_and_spatial():
    tgt = np.random.default_rng(2).integers(0, 3, (2, 2))
    check_double_backward(lambda T, x: F(T).nll_loss(x, T.tensor(tgt), reduction="none") * x.sum(),
                          _u(2, 3, 2))
    # everything ignored: 'mean' of nothing (NaN value), a zero gradient
    check_double_backward(lambda T, x: F(T).nll_loss(x * x, T.tensor([1, 1]), ignore_index=1,
                                                     reduction="sum") * x.sum(), _u(2, 3))


def test_linear_cross_entropy():
    tgt = _targets(3, 4)
    check_double_backward(lambda T, x, w: F(T).linear_cross_entropy(x, w, T.tensor(tgt),
                                                                    label_smoothing=0.1),
                          _u(3, 2), _u(4, 2), third=True)


# ------------------------------------------------------------------ margin and likelihood losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss(reduction):
    t = np.where(_u(3, 4) > 0, 1.0, -1.0)
    check_double_backward(lambda T, x: F(T).soft_margin_loss(x, T.tensor(t), reduction=reduction),
                          _u(3, 4, lo=-2, hi=2), third=True)
    check_double_backward(lambda T, x: F(T).soft_margin_loss(x, T.tensor(t[0]),
                                                             reduction=reduction),
                          _u(3, 4, lo=-2, hi=2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_soft_margin_loss(reduction):
    w = _u(4, lo=0.5, hi=2.0)
    check_double_backward(lambda T, x, t: F(T).multilabel_soft_margin_loss(
        x, t, T.tensor(w), reduction=reduction), _u(3, 4, lo=-2, hi=2),
        _u(3, 4, lo=0.0, hi=1.0), third=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_and_hinge(reduction):
    t = np.array([1.0, -1.0, 1.0, -1.0])
    x1, x2 = np.array([0.5, 0.3, -0.2, 1.2]), np.array([-0.1, 0.9, 0.6, 0.2])
    check_double_backward(lambda T, a, b: F(T).margin_ranking_loss(
        a * a, b, T.tensor(t), margin=0.1, reduction=reduction) * a.sum(), x1, x2)
    check_double_backward(lambda T, a: F(T).hinge_embedding_loss(
        a * a, T.tensor(t), margin=0.8, reduction=reduction) * a.sum(), x1)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_embedding_loss(reduction):
    t = np.array([1.0, -1.0, -1.0])
    check_double_backward(lambda T, a, b: F(T).cosine_embedding_loss(
        a, b, T.tensor(t), margin=-0.5, reduction=reduction), _u(3, 4), _u(3, 4))


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_loss(swap):
    check_double_backward(lambda T, a, p, n: F(T).triplet_margin_loss(a, p, n, margin=2.0,
                                                                      swap=swap),
                          _u(3, 4), _u(3, 4), _u(3, 4))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_loss(reduction, full):
    check_double_backward(lambda T, x, t, v: F(T).gaussian_nll_loss(x, t, v, full=full,
                                                                    reduction=reduction),
                          _u(3, 4), _u(3, 4), _u(3, 4, lo=0.5, hi=2.0), third=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input, full", [(True, False), (False, True)])
def test_poisson_nll_loss(reduction, log_input, full):
    x = _u(3, 4) if log_input else _u(3, 4, lo=0.5, hi=3.0)
    check_double_backward(lambda T, x, t: F(T).poisson_nll_loss(x, t, log_input=log_input,
                                                                full=full, reduction=reduction),
                          x, _u(3, 4, lo=0.0, hi=4.0), third=True)


# ------------------------------------------------------------------ no double backward
@pytest.mark.parametrize("name, make", [
    ("MultiMarginLoss", lambda T, x: T.nn.functional.multi_margin_loss(
        x * x, T.tensor([1, 0, 3]), p=2)),
    ("MultilabelMarginLoss", lambda T, x: T.nn.functional.multilabel_margin_loss(
        x * x, T.tensor([[1, 0, -1, 0], [3, -1, 0, 0], [2, 1, 0, -1]]))),
])
def test_margin_kernels_have_no_double_backward(name, make):
    """PyTorch has no derivative for multi_margin_loss_backward / multilabel_margin_loss's: the
    first derivative is right, the second raises, as in PyTorch."""
    torch = pytest.importorskip("torch")
    x = _u(3, 4)
    for T in (mt, torch):
        xt = T.tensor(x, requires_grad=True)
        (g,) = T.autograd.grad(make(T, xt), xt, create_graph=True)
        with pytest.raises(RuntimeError, match="derivative for|not implemented"):
            g.sum().backward()
    xm, xt = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    make(mt, xm).backward()
    make(torch, xt).backward()
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), atol=1e-12)
