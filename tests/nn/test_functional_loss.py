"""nn.functional losses: mse, l1, smooth_l1, huber, cross_entropy, nll, binary cross-entropy
(plain and with logits), kl_div, with every reduction and option."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from functional_util import F, compare_paths, contiguous
from op_harness import assert_close, check_op, requires_torch, torch

REDUCTIONS = ["none", "mean", "sum"]


def _reduce(loss, reduction):
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


# ------------------------------------------------------------------ regression losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_l1(reduction):
    check_op(lambda T, x, y: F(T).mse_loss(x, y, reduction=reduction), [(3, 4), (3, 4)],
             ref=lambda x, y: _reduce((x - y) ** 2, reduction))
    check_op(lambda T, x, y: F(T).l1_loss(x, y, reduction=reduction), [(3, 4), (3, 4)],
             ref=lambda x, y: _reduce(np.abs(x - y), reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_smooth_l1_and_huber(reduction, beta):
    def smooth(x, y):
        d = np.abs(x - y)
        return _reduce(np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)

    def huber(x, y):
        d = np.abs(x - y)
        return _reduce(np.where(d < beta, 0.5 * d * d, beta * (d - 0.5 * beta)), reduction)

    check_op(lambda T, x, y: F(T).smooth_l1_loss(x, y, reduction=reduction, beta=beta),
             [(3, 4), (3, 4)], ref=smooth)
    check_op(lambda T, x, y: F(T).huber_loss(x, y, reduction=reduction, delta=beta),
             [(3, 4), (3, 4)], ref=huber)


def test_smooth_l1_beta_zero_is_l1():
    check_op(lambda T, x, y: F(T).smooth_l1_loss(x, y, beta=0.0), [(5,), (5,)],
             ref=lambda x, y: np.abs(x - y).mean())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_regression_losses(reduction):
    for name in ["mse_loss", "l1_loss", "huber_loss"]:
        check_op(lambda T, x, y, w: getattr(F(T), name)(x, y, reduction=reduction, weight=w),
                 [(3, 4), (3, 4), (3, 4)], low=0.1)


def test_broadcasting_target_warns_and_matches_pytorch():
    with pytest.warns(UserWarning, match="Using a target size"):
        check_op(lambda T, x, y: F(T).mse_loss(x, y), [(3, 4), (4,)])


def test_mixed_dtype_promotes():
    check_op(lambda T, x, y: F(T).mse_loss(x, y.double()), None,
             arrays=contiguous((2, 3), dtype=np.float32) + contiguous((2, 3), seed=1,
                                                                      dtype=np.float32),
             grad=False)


def test_legacy_reduction_flags():
    x, y = mt.ones(2, 3), mt.zeros(2, 3)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        out = F(mt).mse_loss(x, y, size_average=False)
    assert out.item() == 6.0
    with pytest.warns(UserWarning):
        assert F(mt).l1_loss(x, y, reduce=False).shape == (2, 3)


def test_regression_errors():
    x = mt.ones(2, 3)
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F(mt).mse_loss(x, x, reduction="foo")
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of "
                                           r"tensor b \(4\) at non-singleton dimension 1"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            F(mt).mse_loss(x, mt.ones(2, 4))
    with pytest.raises(RuntimeError, match="smooth_l1_loss does not support negative values"):
        F(mt).smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(RuntimeError, match="huber_loss does not support non-positive values"):
        F(mt).huber_loss(x, x, delta=0.0)
    with pytest.raises(ValueError, match="Weights and input must have the same size."):
        F(mt).mse_loss(x, x, weight=mt.ones(3))
    with pytest.raises(NotImplementedError, match="mse_cpu"):
        F(mt).mse_loss(mt.tensor([1, 2]), mt.tensor([1, 2]))


def test_mean_of_empty_is_nan():
    assert math.isnan(F(mt).mse_loss(mt.zeros(0), mt.zeros(0)).item())


# ------------------------------------------------------------------ cross-entropy and NLL
def _np_log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def _np_cross_entropy(x, y, weight=None, ignore_index=-100, reduction="mean", smoothing=0.0):
    """Reference for 2-D logits and class indices (PyTorch's formulas, written plainly)."""
    logp = _np_log_softmax(x, 1)
    c = x.shape[1]
    w = np.ones(c) if weight is None else weight
    valid = y != ignore_index
    safe = np.where(valid, y, 0)
    wt = np.where(valid, w[safe], 0.0)
    nll = -wt * logp[np.arange(len(y)), safe]
    smooth = np.where(valid, -(logp * w).sum(axis=1), 0.0)
    loss = (1 - smoothing) * nll + smoothing / c * smooth
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / wt.sum()


TARGET = np.array([0, 3, 1, -100, 2, 3])
CLASS_WEIGHT = np.array([0.5, 1.0, 2.0, 1.5])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_class_indices(reduction, smoothing, weighted):
    def fn(T, x):
        w = T.from_numpy(CLASS_WEIGHT.copy()).to(x.device) if weighted else None
        return F(T).cross_entropy(x, T.from_numpy(TARGET.copy()).to(x.device), weight=w,
                                  reduction=reduction, label_smoothing=smoothing)

    ref = lambda x: _np_cross_entropy(x, TARGET, CLASS_WEIGHT if weighted else None,  # noqa
                                      reduction=reduction, smoothing=smoothing)
    check_op(fn, None, arrays=contiguous((6, 4)), ref=ref)   # fused Numba kernel
    check_op(fn, [(6, 4)], ref=ref)                          # non-contiguous input
    compare_paths(lambda x: fn(mt, x), contiguous((6, 4), low=-20, high=20))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_ignore_index_and_nd(reduction):
    y = np.array([[0, 2, 1], [3, 1, 1]])
    check_op(lambda T, x: F(T).cross_entropy(x, T.from_numpy(y.copy()).to(x.device), ignore_index=1,
                                             reduction=reduction, label_smoothing=0.1),
             [(2, 4, 3)])
    y4 = np.array([[[0, 2], [1, 3]]])
    check_op(lambda T, x: F(T).cross_entropy(x, T.from_numpy(y4.copy()).to(x.device),
                                             weight=T.from_numpy(CLASS_WEIGHT.copy()).to(x.device),
                                             reduction=reduction), [(1, 4, 2, 2)])


def test_cross_entropy_unbatched_and_half():
    check_op(lambda T, x: F(T).cross_entropy(x, T.tensor(2, device=x.device)), [(5,)])
    # PyTorch's backward fails for this one ("size mismatch"): compare the forward only
    check_op(lambda T, x: F(T).cross_entropy(x, T.tensor([2], device=x.device), reduction="none"), [(5,)],
             grad=False)
    x = contiguous((6, 4), dtype=np.float16)[0]
    check_op(lambda T, x: F(T).cross_entropy(x, T.from_numpy(TARGET.copy()).to(x.device)), None,
             arrays=[x], grad=False, atol=2e-3, rtol=2e-3)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_class_probabilities(reduction, smoothing):
    rng = np.random.default_rng(2)
    p = rng.random((3, 4))
    p /= p.sum(axis=1, keepdims=True)
    w = CLASS_WEIGHT.copy()
    check_op(lambda T, x, t, w: F(T).cross_entropy(x, t, weight=w, reduction=reduction,
                                                   label_smoothing=smoothing),
             None, arrays=[contiguous((3, 4))[0], p, w])
    check_op(lambda T, x, t: F(T).cross_entropy(x, t, reduction=reduction), None,
             arrays=[contiguous((2, 4, 3))[0], rng.random((2, 4, 3))])


def test_cross_entropy_all_ignored_mean_is_nan():
    out = F(mt).cross_entropy(mt.randn(3, 4), mt.tensor([-100, -100, -100]))
    assert math.isnan(out.item())
    assert F(mt).cross_entropy(mt.randn(3, 4), mt.tensor([-100] * 3), reduction="sum").item() \
        == 0.0


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(reduction):
    y = np.array([0, 3, 1, 2])
    check_op(lambda T, x: F(T).nll_loss(x, T.from_numpy(y.copy()).to(x.device),
                                        weight=T.from_numpy(CLASS_WEIGHT.copy()).to(x.device),
                                        ignore_index=1, reduction=reduction), [(4, 4)])
    check_op(lambda T, x: F(T).nll_loss(F(T).log_softmax(x, 1), T.from_numpy(y.copy()).to(x.device),
                                        reduction=reduction), None,
             arrays=contiguous((4, 4)),
             ref=lambda x: _np_cross_entropy(x, y, reduction=reduction))


def test_cross_entropy_fused_grad_fn_and_stability():
    x = mt.tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    loss = F(mt).cross_entropy(x, mt.tensor([1]))
    assert type(loss.grad_fn).__name__ == "NllLossBackward0"
    assert loss.item() == pytest.approx(1000.0)
    loss.backward()
    assert x.grad.tolist()[0] == pytest.approx([1.0, -1.0, 0.0])


def test_cross_entropy_and_nll_errors():
    x = mt.randn(3, 4)
    with pytest.raises(IndexError, match="Target 4 is out of bounds."):
        F(mt).cross_entropy(x, mt.tensor([0, 1, 4]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds."):
        F(mt).nll_loss(x, mt.tensor([0, -1, 2]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target "
                                         r"batch_size \(2\)."):
        F(mt).cross_entropy(x, mt.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got "
                                           "Float"):
        F(mt).cross_entropy(x, mt.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got "
                                           "Int"):
        F(mt).cross_entropy(x, mt.tensor([0, 1, 2], dtype=mt.int32))
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 4 "
                                           r"classes or no classes but got weight tensor of "
                                           r"shape: \[3\]"):
        F(mt).cross_entropy(x, mt.tensor([0, 1, 2]), weight=mt.ones(3))
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not "
                                           "supported"):
        F(mt).cross_entropy(x, mt.zeros(3, 5, dtype=mt.int64))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: "
                                           "1.5"):
        F(mt).cross_entropy(x, mt.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match=r"Expected target size \[2, 3\], got \[2, 2\]"):
        F(mt).cross_entropy(mt.randn(2, 4, 3), mt.zeros(2, 2, dtype=mt.int64))
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        F(mt).nll_loss(x, mt.tensor([0, 1, 2]), weight=mt.ones(4, dtype=mt.float64))
    with pytest.raises(RuntimeError, match="is not differentiable with respect to argument "
                                           "'weight'"):
        F(mt).cross_entropy(x, mt.tensor([0, 1, 2]), weight=mt.ones(4, requires_grad=True))
    with pytest.raises(ValueError, match="For 1D input, 1D target must have size 1"):
        F(mt).nll_loss(mt.randn(3), mt.tensor([1, 2]))


# ------------------------------------------------------------------ binary cross-entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    rng = np.random.default_rng(3)
    p, t, w = rng.uniform(0.05, 0.95, (3, 4)), rng.random((3, 4)), rng.random(4) + 0.5

    def ref(p, t):
        return _reduce(-w * (t * np.log(p) + (1 - t) * np.log(1 - p)), reduction)

    check_op(lambda T, p, t: F(T).binary_cross_entropy(p, t, weight=T.from_numpy(w.copy()).to(p.device),
                                                       reduction=reduction),
             None, arrays=[p, t], ref=ref)


def test_binary_cross_entropy_clamps_log():
    out = F(mt).binary_cross_entropy(mt.tensor([0.0, 1.0]), mt.tensor([1.0, 0.0]))
    assert out.item() == pytest.approx(100.0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("pos_weighted", [False, True])
def test_binary_cross_entropy_with_logits(reduction, pos_weighted):
    rng = np.random.default_rng(4)
    t, w, pw = rng.random((3, 4)), rng.random(4) + 0.5, rng.random(4) * 3

    def ref(x, t):
        lw = 1 + (pw - 1) * t if pos_weighted else 1.0
        return _reduce(w * ((1 - t) * x + lw * np.log1p(np.exp(-x))), reduction)

    check_op(lambda T, x, t: F(T).binary_cross_entropy_with_logits(
        x, t, weight=T.from_numpy(w.copy()).to(x.device),
        pos_weight=T.from_numpy(pw.copy()).to(x.device) if pos_weighted else None, reduction=reduction),
        None, arrays=[contiguous((3, 4), low=-5, high=5)[0], t], ref=ref)


def test_bce_with_logits_is_stable():
    x = mt.tensor([-200.0, 200.0], requires_grad=True)
    loss = F(mt).binary_cross_entropy_with_logits(x, mt.tensor([1.0, 0.0]), reduction="none")
    assert loss.tolist() == pytest.approx([200.0, 200.0])
    loss.sum().backward()
    assert x.grad.tolist() == pytest.approx([-1.0, 1.0])


def test_binary_cross_entropy_errors():
    with pytest.raises(ValueError, match="Using a target size"):
        F(mt).binary_cross_entropy(mt.rand(3, 4), mt.rand(4))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F(mt).binary_cross_entropy(mt.tensor([1.5]), mt.rand(1))
    with pytest.raises(ValueError, match=r"Target size \(torch.Size\(\[4\]\)\) must be the same "
                                         r"as input size"):
        F(mt).binary_cross_entropy_with_logits(mt.rand(3, 4), mt.rand(4))
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument "
                                           "'pos_weight'"):
        F(mt).binary_cross_entropy_with_logits(mt.rand(2), mt.rand(2),
                                               pos_weight=mt.ones(2, requires_grad=True))


# ------------------------------------------------------------------ KL divergence
@pytest.mark.parametrize("reduction", ["none", "sum", "batchmean", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    rng = np.random.default_rng(5)
    t = rng.uniform(0.1, 1.0, (3, 4))
    if log_target:
        t = np.log(t)

    def ref(x, t):
        loss = np.exp(t) * (t - x) if log_target else t * (np.log(t) - x)
        if reduction == "batchmean":
            return loss.sum() / x.shape[0]
        return _reduce(loss, reduction)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # reduction='mean' warns in both libraries
        check_op(lambda T, x, t: F(T).kl_div(x, t, reduction=reduction, log_target=log_target),
                 None, arrays=[contiguous((3, 4))[0], t], ref=ref)


def test_kl_div_zero_target_and_warning():
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss"):
        F(mt).kl_div(mt.zeros(2), mt.zeros(2))
    out = F(mt).kl_div(mt.tensor([-1.0, -2.0]), mt.tensor([0.0, 1.0]), reduction="sum")
    assert out.item() == pytest.approx(2.0)
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F(mt).kl_div(mt.zeros(2), mt.zeros(2), reduction="foo")


@requires_torch
def test_loss_signatures_match_pytorch():
    import inspect
    for name in ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy",
                 "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
                 "kl_div"]:
        ours = inspect.signature(getattr(F(mt), name)).parameters
        theirs = inspect.signature(getattr(torch.nn.functional, name)).parameters
        assert list(ours) == list(theirs), name
        assert [p.default for p in ours.values()] == [p.default for p in theirs.values()], name


def test_gradient_of_mean_reduction_against_manual():
    x = mt.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    F(mt).mse_loss(x, mt.zeros(2, 2)).backward()
    assert_close(x.grad.numpy(), np.array([[0.5, 1.0], [1.5, 2.0]]))


@pytest.mark.parametrize("reduction", [0, 1, 2])
def test_top_level_aten_forms(reduction):
    t = np.random.default_rng(6).random((3, 4))
    check_op(lambda T, x, t: T.kl_div(x, t, reduction), None,
             arrays=[contiguous((3, 4))[0], t + 0.1])
    check_op(lambda T, x, t: T.binary_cross_entropy_with_logits(x, t, None, None, reduction),
             None, arrays=[contiguous((3, 4))[0], t])
    check_op(lambda T, x, t: T.kl_div(x, t, log_target=True), [(3, 4), (3, 4)])
