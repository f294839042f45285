"""nn.LinearCrossEntropyLoss: PyTorch's weights copied in, equal loss and gradients in float64
(bias, out_features, class weights, ignore_index, label smoothing, reductions), its repr,
state_dict keys, errors, and LinearCrossEntropyOptions' validation."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

try:
    import torch
except ImportError:
    torch = None
requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

CONFIGS = [
    dict(),
    dict(bias=True, reduction="sum"),
    dict(bias=True, out_features=(2,), reduction="none"),
    dict(weight=np.array([1.0, 2.0, 0.5, 1.5]), ignore_index=1, label_smoothing=0.1),
]


def _build(T, config, in_features=3, classes=4):
    kwargs = dict(config)
    if "weight" in kwargs:
        kwargs["weight"] = T.tensor(kwargs["weight"], dtype=T.float64)
    return T.nn.LinearCrossEntropyLoss(in_features, classes, dtype=T.float64, **kwargs)


@requires_torch
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: ",".join(c) or "defaults")
def test_loss_and_gradients_equal_pytorchs(config):
    rng = np.random.default_rng(0)
    theirs, ours = _build(torch, config), _build(mt, config)
    ours.load_state_dict({k: mt.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    x = rng.standard_normal((5, 3))
    shape = (5,) + tuple(config.get("out_features", ()))
    target = rng.integers(0, 4, shape)
    results = []
    for T, module in ((mt, ours), (torch, theirs)):
        xt = T.tensor(x, requires_grad=True)
        loss = module(xt, T.tensor(target))
        loss.sum().backward()
        results.append([loss.detach().numpy(), xt.grad.numpy()] +
                       [p.grad.numpy() for p in module.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@requires_torch
def test_repr_and_state_dict_keys_equal_pytorchs():
    for config in ({}, {"bias": True, "out_features": (2, 3)}):
        assert repr(mt.nn.LinearCrossEntropyLoss(3, 4, **config)) == \
            repr(torch.nn.LinearCrossEntropyLoss(3, 4, **config))
        assert list(mt.nn.LinearCrossEntropyLoss(3, 4, **config).state_dict()) == \
            list(torch.nn.LinearCrossEntropyLoss(3, 4, **config).state_dict())


def test_layout_of_the_inner_linear():
    m = mt.nn.LinearCrossEntropyLoss(3, 4, out_features=(2,), bias=True)
    assert tuple(m.linear.weight.shape) == (8, 3) and tuple(m.linear.bias.shape) == (8,)


def test_errors():
    with pytest.raises(RuntimeError, match=r"expected weight shape to be \(4,\), got \(3,\)"):
        mt.nn.LinearCrossEntropyLoss(3, 4, weight=mt.ones(3))
    with pytest.raises(RuntimeError, match=r"expected label_smoothing to be in range \[0, 1\], "
                                           r"got 1.5"):
        mt.nn.LinearCrossEntropyLoss(3, 4, label_smoothing=1.5)


def test_options_are_validated_and_give_the_same_numbers():
    opts = mt.nn.LinearCrossEntropyOptions
    for bad in (dict(acc_policy="fast"), dict(chunking_method="rows"),
                dict(batch_chunk_size=0), dict(acc_dtype=mt.int32)):
        with pytest.raises(ValueError):
            opts(**bad)
    assert repr(opts()) == ("LinearCrossEntropyOptions(allow_retain_graph=False, "
                            "batch_chunk_size=None, chunking_method='auto', acc_policy='auto', "
                            "acc_dtype=None)")
    plain = mt.nn.LinearCrossEntropyLoss(3, 4)
    chunked = mt.nn.LinearCrossEntropyLoss(3, 4, options=opts(batch_chunk_size=2,
                                                              chunking_method="aspect_ratio:2"))
    chunked.load_state_dict(plain.state_dict())
    x, t = mt.randn(6, 3), mt.tensor([0, 1, 2, 3, 0, 1])
    assert mt.equal(plain(x, t), chunked(x, t))
