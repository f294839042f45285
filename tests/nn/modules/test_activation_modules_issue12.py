"""Activation layers added for issue 12 (PReLU, RReLU, SELU, CELU, GLU, Mish, Hardswish,
Hardsigmoid, LogSigmoid, Softsign, Softshrink, Hardshrink, Tanhshrink, Threshold, Softmax2d):
outputs, gradients, reprs and state_dicts against PyTorch's layers."""
from __future__ import annotations

import numpy as np
import pytest

from layer_harness import check_layer, mt, torch

X = np.random.default_rng(0).uniform(-4, 4, (3, 4, 2, 2))

LAYERS = [
    ("PReLU()", lambda T: T.nn.PReLU()), ("PReLU(4, 0.1)", lambda T: T.nn.PReLU(4, 0.1)),
    ("RReLU()", lambda T: T.nn.RReLU()), ("RReLU(0.1, 0.3)", lambda T: T.nn.RReLU(0.1, 0.3)),
    ("SELU()", lambda T: T.nn.SELU()), ("CELU(0.5)", lambda T: T.nn.CELU(0.5)),
    ("GLU()", lambda T: T.nn.GLU()), ("GLU(1)", lambda T: T.nn.GLU(1)),
    ("Mish()", lambda T: T.nn.Mish()), ("Hardswish()", lambda T: T.nn.Hardswish()),
    ("Hardsigmoid()", lambda T: T.nn.Hardsigmoid()), ("LogSigmoid()", lambda T: T.nn.LogSigmoid()),
    ("Softsign()", lambda T: T.nn.Softsign()), ("Softshrink(1.0)", lambda T: T.nn.Softshrink(1.0)),
    ("Hardshrink()", lambda T: T.nn.Hardshrink()), ("Tanhshrink()", lambda T: T.nn.Tanhshrink()),
    ("Threshold(0.2, -1.0)", lambda T: T.nn.Threshold(0.2, -1.0)),
    ("Softmax2d()", lambda T: T.nn.Softmax2d()),
]


@pytest.mark.parametrize("name,make", LAYERS, ids=[n for n, _ in LAYERS])
def test_layer_matches_pytorch(name, make):
    check_layer(make, [X], train=False)


INPLACE = [
    lambda T: T.nn.SELU(True), lambda T: T.nn.CELU(2.0, True), lambda T: T.nn.Mish(True),
    lambda T: T.nn.Hardswish(True), lambda T: T.nn.Hardsigmoid(True),
    lambda T: T.nn.Threshold(0.1, 20, True), lambda T: T.nn.RReLU(0.1, 0.2, True),
]


@pytest.mark.parametrize("make", INPLACE)
def test_inplace_layers(make):
    ours, theirs = make(mt).eval(), make(torch).eval()
    assert repr(ours) == repr(theirs)
    x, t = mt.tensor(X.copy()), torch.tensor(X.copy())
    assert ours(x) is x and theirs(t) is t
    np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-12)


def test_rrelu_training_is_random_and_eval_is_mean_slope():
    m = mt.nn.RReLU(0.1, 0.3)
    x = -mt.ones(1000, dtype=mt.float64)
    y = m(x)
    assert float(y.std()) > 0.01 and ((y <= -0.1) & (y >= -0.3)).all()
    m.eval()
    assert (m(x) == -0.2).all()


def test_prelu_parameter_and_init():
    m = mt.nn.PReLU(3, init=0.5)
    assert list(m.state_dict()) == ["weight"] and m.weight.tolist() == [0.5] * 3
    m.weight.data.fill_(0.0)
    m.reset_parameters()
    assert m.weight.tolist() == [0.5] * 3
    assert mt.nn.PReLU(dtype=mt.float64).weight.dtype is mt.float64


@pytest.mark.parametrize("make,shape", [
    (lambda T: T.nn.Softmax2d(), (2, 3)), (lambda T: T.nn.Softmax2d(), (1, 2, 3, 4, 5)),
    (lambda T: T.nn.PReLU(3), (2, 4, 5)), (lambda T: T.nn.GLU(0), (3, 2)),
    (lambda T: T.nn.Softshrink(-1.0), (2, 2)),
], ids=["sm2d_2d", "sm2d_5d", "prelu_channels", "glu_odd", "softshrink_neg"])
def test_bad_input_errors_like_pytorch(make, shape):
    errors = []
    for T in (torch, mt):
        with pytest.raises(Exception) as info:   # noqa: B017 - compared below
            make(T)(T.ones(shape))
        errors.append((info.type, str(info.value)))
    assert errors[0] == errors[1]


def test_all_pytorch_activation_layers_exist():
    import torch.nn.modules.activation as ta
    missing = [n for n in ta.__all__ if not hasattr(mt.nn, n)]
    assert missing == []
