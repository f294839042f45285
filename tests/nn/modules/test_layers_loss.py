"""Loss modules against PyTorch: every reduction, weights, options, repr, buffers, errors."""
from __future__ import annotations

import numpy as np
import pytest

from layer_harness import check_layer, mt, np_of, torch

RNG = np.random.default_rng(3)
REDUCTIONS = ["none", "mean", "sum"]


def _x(*shape):
    return RNG.standard_normal(shape)


def _probs(*shape):
    return RNG.uniform(0.05, 0.95, shape)


def _labels(n, c, *extra):
    return RNG.integers(0, c, (n, *extra)).astype(np.int64)


def _run(make, input, target, **kw):
    """check_layer where only the input needs a gradient: the target goes in as a constant."""
    def wrap(T):
        loss = make(T)
        tgt = T.tensor(target)
        if tgt.is_floating_point():
            tgt = tgt.double()

        class WithTarget(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.loss = loss

            def forward(self, x):
                return self.loss(x, tgt)
        return WithTarget()
    return check_layer(wrap, [input], check_repr=False, **kw)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, kw", [
    ("MSELoss", {}), ("L1Loss", {}), ("SmoothL1Loss", {}), ("SmoothL1Loss", dict(beta=0.5)),
    ("HuberLoss", {}), ("HuberLoss", dict(delta=0.4)),
])
def test_regression_losses(name, kw, reduction):
    _run(lambda T: getattr(T.nn, name)(reduction=reduction, **kw), _x(3, 4), _x(3, 4))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [
    {}, dict(label_smoothing=0.2), dict(ignore_index=1), dict(weight="w"),
    dict(weight="w", label_smoothing=0.1, ignore_index=2)])
def test_cross_entropy_class_indices(kw, reduction):
    w = RNG.uniform(0.5, 2.0, 4)

    def make(T):
        args = dict(kw)
        if "weight" in args:
            args["weight"] = T.tensor(w)
        return T.nn.CrossEntropyLoss(reduction=reduction, **args)
    _run(make, _x(5, 4), _labels(5, 4))
    _run(make, _x(2, 4, 3), _labels(2, 4, 3))   # (N, C, d1) input


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, dict(label_smoothing=0.3)])
def test_cross_entropy_probabilities(kw, reduction):
    p = _probs(3, 5)
    p = p / p.sum(1, keepdims=True)
    _run(lambda T: T.nn.CrossEntropyLoss(reduction=reduction, **kw), _x(3, 5), p)


def test_cross_entropy_unbatched():
    _run(lambda T: T.nn.CrossEntropyLoss(), _x(4), np.array(2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, dict(ignore_index=0), dict(weight="w")])
def test_nll_loss(kw, reduction):
    w = RNG.uniform(0.5, 2.0, 3)

    def make(T):
        args = dict(kw)
        if "weight" in args:
            args["weight"] = T.tensor(w)
        return T.nn.NLLLoss(reduction=reduction, **args)
    _run(make, _x(4, 3), _labels(4, 3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_loss(weighted, reduction):
    w = RNG.uniform(0.5, 2.0, (3, 2))

    def make(T):
        return T.nn.BCELoss(weight=T.tensor(w) if weighted else None, reduction=reduction)
    _run(make, _probs(3, 2), RNG.uniform(0, 1, (3, 2)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted, pos", [(False, False), (True, False), (False, True),
                                           (True, True)])
def test_bce_with_logits_loss(weighted, pos, reduction):
    w, pw = RNG.uniform(0.5, 2.0, (2,)), RNG.uniform(0.5, 3.0, (2,))

    def make(T):
        return T.nn.BCEWithLogitsLoss(weight=T.tensor(w) if weighted else None,
                                      pos_weight=T.tensor(pw) if pos else None,
                                      reduction=reduction)
    _run(make, _x(4, 2) * 3, RNG.integers(0, 2, (4, 2)).astype(np.float64))


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_loss(log_target, reduction):
    t = _probs(3, 4)
    t = t / t.sum(1, keepdims=True)
    if log_target:
        t = np.log(t)
    x = np.log(_probs(3, 4))
    _run(lambda T: T.nn.KLDivLoss(reduction=reduction, log_target=log_target), x, t)


@pytest.mark.parametrize("make", [
    lambda T: T.nn.MSELoss(), lambda T: T.nn.L1Loss(reduction="sum"),
    lambda T: T.nn.SmoothL1Loss(beta=0.5), lambda T: T.nn.HuberLoss(delta=2),
    lambda T: T.nn.CrossEntropyLoss(label_smoothing=0.1), lambda T: T.nn.NLLLoss(),
    lambda T: T.nn.BCELoss(), lambda T: T.nn.BCEWithLogitsLoss(),
    lambda T: T.nn.KLDivLoss(reduction="batchmean")])
def test_repr_and_attributes(make):
    ours, ref = make(mt), make(torch)
    assert repr(ours) == repr(ref)
    for name in ("reduction", "ignore_index", "label_smoothing", "beta", "delta", "log_target"):
        assert getattr(ours, name, None) == getattr(ref, name, None), name


def test_weights_are_buffers():
    for T in (torch, mt):
        ce = T.nn.CrossEntropyLoss(weight=T.ones(3))
        assert list(ce.state_dict()) == ["weight"] and "weight" in ce._buffers
        bce = T.nn.BCEWithLogitsLoss(pos_weight=T.ones(2))
        assert list(bce.state_dict()) == ["pos_weight"]
        assert bce.weight is None and "weight" in bce._buffers
        assert ce.double().weight.dtype == T.float64
        assert list(T.nn.MSELoss().state_dict()) == []


def test_legacy_size_average_and_reduce():
    for T in (torch, mt):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, "
                                             "please use reduction='sum' instead"):
            assert T.nn.MSELoss(size_average=False).reduction == "sum"
        with pytest.warns(UserWarning):
            assert T.nn.NLLLoss(reduce=False).reduction == "none"


def test_errors():
    for T in (torch, mt):
        with pytest.raises(TypeError, match="delta must be a float or int, got: <class 'str'>"):
            T.nn.HuberLoss(delta="1")
        with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
            T.nn.MSELoss(reduction="foo")(T.ones(2), T.ones(2))
        with pytest.raises((IndexError, RuntimeError), match="out of bounds|Target 5 is out"):
            T.nn.CrossEntropyLoss()(T.zeros(2, 3), T.tensor([0, 5]))
        with pytest.raises(ValueError, match=r"Expected input batch_size \(2\) to match target "
                                             r"batch_size \(3\)"):
            T.nn.CrossEntropyLoss()(T.zeros(2, 3), T.tensor([0, 1, 2]))
        with pytest.raises(ValueError, match="Using a target size"):
            T.nn.BCELoss()(T.full((2, 3), 0.5), T.ones(3, 2))


def test_cross_entropy_float32_close_to_torch():
    x, y = _x(6, 5).astype(np.float32), _labels(6, 5)
    ours = mt.nn.CrossEntropyLoss()(mt.tensor(x), mt.tensor(y))
    ref = torch.nn.CrossEntropyLoss()(torch.tensor(x), torch.tensor(y))
    assert ours.dtype == mt.float32 and ours.shape == ()
    np.testing.assert_allclose(np_of(ours), np_of(ref), rtol=1e-6)
