"""The issue-12 loss modules (nn/modules/loss.py) and AdaptiveLogSoftmaxWithLoss
(nn/modules/adaptive.py) against PyTorch: outputs and gradients in float64 for every
reduction, repr, state_dict keys, constructor and input errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from layer_harness import check_layer, mt, np_of, to_mt_state, torch

RNG = np.random.default_rng(12)
REDUCTIONS = ["none", "mean", "sum"]


def _x(*shape):
    return RNG.standard_normal(shape)


def _signs(*shape):
    return np.where(RNG.uniform(size=shape) < 0.5, -1.0, 1.0)


def _run(make, grad_inputs, constants, order):
    """check_layer of loss `make(T)` called as loss(*args), args taken from grad_inputs
    (differentiated) and constants (targets: fixed tensors) in `order` ('g' or 'c' each)."""
    def wrap(T):
        loss = make(T)
        consts = [T.tensor(c) for c in constants]

        class WithConstants(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.loss = loss

            def forward(self, *xs):
                xs, cs = list(xs), list(consts)
                return self.loss(*[xs.pop(0) if k == "g" else cs.pop(0) for k in order])
        return WithConstants()
    mt_mod, th_mod = check_layer(wrap, grad_inputs, check_repr=False)
    assert repr(mt_mod.loss) == repr(th_mod.loss)
    assert list(mt_mod.loss.state_dict()) == list(th_mod.loss.state_dict())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, kw, grads, consts, order", [
    ("MarginRankingLoss", dict(margin=0.2), [_x(5), _x(5)], [_signs(5)], "ggc"),
    ("HingeEmbeddingLoss", dict(margin=0.5), [_x(3, 4)], [_signs(3, 4)], "gc"),
    ("CosineEmbeddingLoss", dict(margin=0.1), [_x(4, 3), _x(4, 3)], [_signs(4)], "ggc"),
    ("TripletMarginLoss", dict(margin=0.7, p=1.5, swap=True), [_x(4, 3), _x(4, 3), _x(4, 3)],
     [], "ggg"),
    ("TripletMarginWithDistanceLoss", dict(swap=True), [_x(4, 3), _x(4, 3), _x(4, 3)], [],
     "ggg"),
    ("SoftMarginLoss", {}, [_x(3, 4)], [_signs(3, 4)], "gc"),
    ("MultiLabelSoftMarginLoss", {}, [_x(3, 4), (_x(3, 4) > 0) * 1.0], [], "gg"),
    ("MultiMarginLoss", dict(p=2, margin=0.6), [_x(4, 5)], [np.array([0, 4, 2, 2])], "gc"),
    ("MultiLabelMarginLoss", {}, [_x(3, 4)], [np.array([[3, 0, -1, 1], [1, -1, 2, 2],
                                                        [0, 1, 2, 3]])], "gc"),
    ("GaussianNLLLoss", dict(full=True, eps=1e-3), [_x(3, 4), _x(3, 4),
                                                   RNG.uniform(0.5, 2.0, (3, 1))], [], "ggg"),
    ("PoissonNLLLoss", dict(log_input=False, full=True),
     [RNG.uniform(0.5, 3.0, (3, 4)), RNG.uniform(0.0, 4.0, (3, 4))], [], "gg"),
    ("PoissonNLLLoss", {}, [_x(3, 4)], [RNG.integers(0, 4, (3, 4)) * 1.0], "gc"),
])
def test_loss_modules(name, kw, grads, consts, order, reduction):
    _run(lambda T: getattr(T.nn, name)(reduction=reduction, **kw), grads, consts, order)


def test_weighted_modules_keep_weight_buffer():
    w = RNG.uniform(0.5, 2.0, 5)
    _run(lambda T: T.nn.MultiMarginLoss(weight=T.tensor(w)), [_x(4, 5)],
         [np.array([0, 4, 2, 1])], "gc")
    _run(lambda T: T.nn.MultiLabelSoftMarginLoss(weight=T.tensor(w)),
         [_x(2, 5), (_x(2, 5) > 0) * 1.0], [], "gg")


def test_triplet_with_custom_distance_and_repr():
    def make(T):
        return T.nn.TripletMarginWithDistanceLoss(
            distance_function=T.nn.PairwiseDistance(p=1.0), margin=0.5)
    _run(make, [_x(4, 3), _x(4, 3), _x(4, 3)], [], "ggg")
    cos = [T.nn.TripletMarginWithDistanceLoss(
        distance_function=lambda a, b: 1.0 - T.nn.functional.cosine_similarity(a, b))
        for T in (mt, torch)]
    assert repr(cos[0]) == repr(cos[1])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_loss_module(reduction, zero_infinity):
    logits = _x(6, 3, 5)
    targets = np.array([[1, 2, 2], [3, 4, 0], [4, 4, 4]])

    def make(T):
        ctc = T.nn.CTCLoss(blank=0, reduction=reduction, zero_infinity=zero_infinity)

        class Net(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.ctc = ctc

            def forward(self, x):
                return self.ctc(x.log_softmax(2), T.tensor(targets), T.tensor([6, 5, 4]),
                                T.tensor([3, 2, 3]))
        return Net()
    check_layer(make, [logits])
    assert repr(mt.nn.CTCLoss()) == repr(torch.nn.CTCLoss()) == "CTCLoss()"


@pytest.mark.parametrize("make", [
    lambda T: T.nn.TripletMarginLoss(margin=0.0),
    lambda T: T.nn.TripletMarginWithDistanceLoss(margin=-1.0),
    lambda T: T.nn.MultiMarginLoss(p=3),
    lambda T: T.nn.MultiMarginLoss(weight=T.ones(2, 2)),
    lambda T: T.nn.TripletMarginWithDistanceLoss(None),
    lambda T: T.nn.GaussianNLLLoss(True),
    lambda T: T.nn.AdaptiveLogSoftmaxWithLoss(8, 10, []),
    lambda T: T.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [5, 3]),
    lambda T: T.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 10]),
    lambda T: T.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [0, 3]),
    lambda T: T.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 3]),
    lambda T: T.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [2.5]),
])
def test_bad_constructor_arguments(make):
    errors = []
    for T in (mt, torch):
        with pytest.raises(Exception) as info:
            make(T)
        errors.append(info.value)
    assert type(errors[0]) is type(errors[1])
    if not isinstance(errors[0], TypeError):
        assert str(errors[0]) == str(errors[1])


def test_legacy_flags_warn_at_construction():
    for T in (mt, torch):
        with pytest.warns(UserWarning, match="reduction='sum'"):
            loss = T.nn.MarginRankingLoss(size_average=False)
        assert loss.reduction == "sum"
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert T.nn.GaussianNLLLoss(reduction="sum").reduction == "sum"


# ------------------------------------------------------------------ AdaptiveLogSoftmaxWithLoss
def _asm_pair(head_bias, div_value=2.0, cutoffs=(3, 7), n_classes=12):
    torch.manual_seed(0)
    th = torch.nn.AdaptiveLogSoftmaxWithLoss(8, n_classes, list(cutoffs), div_value=div_value,
                                             head_bias=head_bias).double()
    ours = mt.nn.AdaptiveLogSoftmaxWithLoss(8, n_classes, list(cutoffs), div_value=div_value,
                                            head_bias=head_bias).double()
    assert repr(ours) == repr(th)
    assert list(ours.state_dict()) == list(th.state_dict())
    ours.load_state_dict(to_mt_state(th))
    return ours, th


@pytest.mark.parametrize("head_bias", [False, True])
@pytest.mark.parametrize("target", [[0, 4, 11, 2, 8, 5], [1, 2, 0, 2, 1, 0], [9, 8, 10, 11, 8, 9],
                                    [5]])
def test_adaptive_log_softmax_forward_backward(head_bias, target):
    ours, th = _asm_pair(head_bias)
    x = _x(len(target), 8)
    results = []
    for T, m in ((mt, ours), (torch, th)):
        xi = T.tensor(x, requires_grad=True)
        out = m(xi, T.tensor(target))
        assert type(out).__name__ == "_ASMoutput" and out._fields == ("output", "loss")
        (out.output.sum() * 0.3 + out.loss).backward()
        grads = [xi.grad] + [p.grad for _, p in m.named_parameters()]
        results.append(([out.output, out.loss], grads, out.output.grad_fn.name()))
    (o1, g1, n1), (o2, g2, n2) = results
    assert n1 == n2
    for a, b in zip(o1 + g1, o2 + g2):
        assert (a is None) == (b is None)
        if a is not None:
            assert tuple(a.shape) == tuple(b.shape)
            np.testing.assert_allclose(np_of(a), np_of(b), rtol=1e-10, atol=1e-12)


def test_adaptive_log_softmax_unbatched_log_prob_predict():
    ours, th = _asm_pair(True, div_value=2.0, cutoffs=(2, 5, 9))
    x = _x(7, 8) * 3
    for T, m in ((mt, ours), (torch, th)):
        m._x = T.tensor(x)
    np.testing.assert_allclose(np_of(ours.log_prob(ours._x)), np_of(th.log_prob(th._x)),
                               rtol=1e-10)
    np.testing.assert_array_equal(np_of(ours.predict(ours._x)), np_of(th.predict(th._x)))
    # predict: rows in the shortlist only, and rows all in clusters
    for rows in ([0], list(range(7))):
        sel = [T.tensor(x[rows]) for T in (mt, torch)]
        np.testing.assert_array_equal(np_of(ours.predict(sel[0])), np_of(th.predict(sel[1])))
    out = [m(T.tensor(x[0]), T.tensor(6)) for T, m in ((mt, ours), (torch, th))]
    assert tuple(out[0].output.shape) == tuple(out[1].output.shape) == ()
    np.testing.assert_allclose(np_of(out[0].loss), np_of(out[1].loss), rtol=1e-10)


@pytest.mark.parametrize("x_shape, target", [((3, 8), [0, 1]), ((3, 8), [[0, 1, 2]]),
                                             ((8,), [1, 2, 3]), ((2, 8), 1),
                                             ((3, 8), [0, 12, 1]), ((3, 8), [0, -1, 1])])
def test_adaptive_log_softmax_input_errors(x_shape, target):
    ours, th = _asm_pair(False)
    errors = []
    for T, m in ((mt, ours), (torch, th)):
        with pytest.raises(RuntimeError) as info:
            m(T.zeros(x_shape, dtype=T.float64), T.tensor(target))
        errors.append(str(info.value))
    assert errors[0].replace("minitorch_nn", "torch") == errors[1]
