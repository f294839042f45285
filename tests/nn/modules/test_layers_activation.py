"""Activation, Dropout and Flatten modules against PyTorch."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from layer_harness import check_layer, mt, np_of, torch

RNG = np.random.default_rng(2)


def _x(*shape):
    return RNG.standard_normal(shape) * 2


ACTIVATIONS = [
    lambda T: T.nn.ReLU(), lambda T: T.nn.Sigmoid(), lambda T: T.nn.Tanh(),
    lambda T: T.nn.LeakyReLU(), lambda T: T.nn.LeakyReLU(0.2),
    lambda T: T.nn.ELU(), lambda T: T.nn.ELU(alpha=0.5),
    lambda T: T.nn.GELU(), lambda T: T.nn.GELU(approximate="tanh"),
    lambda T: T.nn.SiLU(), lambda T: T.nn.Softplus(), lambda T: T.nn.Softplus(2.0, 1.0),
    lambda T: T.nn.Hardtanh(), lambda T: T.nn.Hardtanh(-0.5, 2.0), lambda T: T.nn.ReLU6(),
    lambda T: T.nn.Softmax(dim=1), lambda T: T.nn.Softmax(dim=-1),
    lambda T: T.nn.LogSoftmax(dim=1), lambda T: T.nn.Softmin(dim=0),
]


@pytest.mark.parametrize("make", ACTIVATIONS)
def test_activation_matches_torch(make):
    check_layer(make, [_x(3, 4, 2)])


@pytest.mark.parametrize("make", [
    lambda T: T.nn.LeakyReLU(0.1, inplace=True), lambda T: T.nn.ELU(inplace=True),
    lambda T: T.nn.SiLU(inplace=True), lambda T: T.nn.Hardtanh(inplace=True),
    lambda T: T.nn.ReLU6(inplace=True)])
def test_inplace_activation(make):
    x = _x(3, 4)
    outs = []
    for T in (torch, mt):
        t = T.tensor(x)
        y = make(T)(t)
        assert y is t
        outs.append(np_of(t))
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6)
    # through autograd: an in-place activation on a non-leaf still gets the right gradient
    check_layer(lambda T: T.nn.Sequential(T.nn.Softplus(), make(T)), [x], check_repr=False)


@pytest.mark.parametrize("make", ACTIVATIONS + [
    lambda T: T.nn.LeakyReLU(0.1, inplace=True), lambda T: T.nn.ELU(0.3, inplace=True),
    lambda T: T.nn.SiLU(inplace=True), lambda T: T.nn.Hardtanh(-2, 3, inplace=True),
    lambda T: T.nn.ReLU6(inplace=True), lambda T: T.nn.Softmax(),
    lambda T: T.nn.Dropout(), lambda T: T.nn.Dropout(0.2, inplace=True),
    lambda T: T.nn.Flatten(), lambda T: T.nn.Flatten(0, 2), lambda T: T.nn.Unflatten(1, (2, 3)),
])
def test_repr(make):
    assert repr(make(mt)) == repr(make(torch))


def test_softmax_without_dim_warns_like_torch():
    x = _x(2, 3)
    results = []
    for T in (torch, mt):
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
            results.append(np_of(T.nn.Softmax()(T.tensor(x))))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_hardtanh_errors():
    for T in (torch, mt):
        with pytest.raises(AssertionError, match=re.escape(
                "max_val (1.0) must be greater than min_val (2.0)")):
            T.nn.Hardtanh(2.0, 1.0)
        with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
            assert T.nn.Hardtanh(min_value=-3.0).min_val == -3.0


# ---------------------------------------------------------------------------- dropout
def test_dropout_train_and_eval():
    m = mt.nn.Dropout(0.25)
    x = mt.ones(400, 50, requires_grad=True)
    y = m(x)
    kept = np_of(y) != 0
    assert 0.70 < kept.mean() < 0.80
    np.testing.assert_allclose(np_of(y)[kept], 1 / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(np_of(x.grad), kept / 0.75, rtol=1e-6)
    m.eval()
    assert m(x) is x   # identity, as in PyTorch (F.dropout returns the input itself)
    ref = torch.nn.Dropout(0.25).eval()
    tx = torch.ones(2)
    assert ref(tx) is tx


def test_dropout_p_edges_and_inplace():
    x = mt.ones(10, 10)
    assert np.all(np_of(mt.nn.Dropout(1.0)(x)) == 0)
    assert mt.nn.Dropout(0.0)(x) is x
    y = mt.ones(100)
    out = mt.nn.Dropout(0.5, inplace=True)(y)
    assert out is y and (np_of(y) == 0).any()


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_bad_p(p):
    for T in (torch, mt):
        with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, "
                                             f"but got {p}"):
            T.nn.Dropout(p)


# ---------------------------------------------------------------------------- flatten
@pytest.mark.parametrize("make, shape", [
    (lambda T: T.nn.Flatten(), (2, 3, 4)),
    (lambda T: T.nn.Flatten(0, -2), (2, 3, 4)),
    (lambda T: T.nn.Unflatten(1, (2, 3)), (4, 6)),
    (lambda T: T.nn.Unflatten(-1, [2, -1]), (3, 8)),
])
def test_flatten_matches_torch(make, shape):
    check_layer(make, [_x(*shape)])


def test_unflatten_errors():
    for T in (torch, mt):
        with pytest.raises(TypeError, match="unflattened_size must be tuple of ints, but found "
                                            "element of type float at pos 1"):
            T.nn.Unflatten(1, (2, 3.0))
        with pytest.raises(TypeError, match="unflattened_size must be a tuple of ints, but "
                                            "found type int"):
            T.nn.Unflatten(1, 6)


def test_layers_compose_in_a_model():
    def make(T):
        return T.nn.Sequential(T.nn.Conv2d(1, 2, 3, padding=1), T.nn.GELU(),
                               T.nn.MaxPool2d(2), T.nn.Flatten(), T.nn.Linear(8, 3),
                               T.nn.LogSoftmax(dim=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_layer(make, [_x(2, 1, 4, 4)])


def test_inplace_activation_after_tanh_breaks_backward_as_in_torch():
    for T in (torch, mt):
        x = T.ones(3, requires_grad=True)
        y = T.nn.LeakyReLU(inplace=True)(T.nn.Tanh()(x))
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


# ---------------------------------------------------------------------------- channel dropout
@pytest.mark.parametrize("cls, shape", [("Dropout1d", (40, 30, 5)), ("Dropout1d", (300, 5)),
                                        ("Dropout2d", (40, 30, 3, 2))])
def test_channel_dropout_zeroes_whole_channels(cls, shape):
    m = getattr(mt.nn, cls)(0.3)
    x = mt.ones(*shape, requires_grad=True)
    y = m(x)
    out = np_of(y)
    channels = out.reshape(-1, shape[-1]) if len(shape) == 2 else \
        out.reshape(shape[0] * shape[1], -1)
    per_channel = channels if len(shape) > 2 else out
    # every channel is all zero or all 1 / (1 - p)
    assert np.all((per_channel == 0).all(1) | np.isclose(per_channel, 1 / 0.7).all(1))
    assert 0.6 < (per_channel != 0).all(1).mean() < 0.8
    y.sum().backward()
    np.testing.assert_allclose(np_of(x.grad), out, rtol=1e-6)
    m.eval()
    assert (m(x) is x) == (len(shape) > 2)   # unbatched input goes through a (un)squeeze
    np.testing.assert_array_equal(np_of(m(x)), 1.0)


def test_channel_dropout_p1_inplace_and_repr():
    x = mt.ones(2, 3, 4)
    assert np.all(np_of(mt.nn.Dropout1d(1.0)(x)) == 0)
    y = mt.ones(2, 3, 2, 2)
    assert mt.nn.Dropout2d(0.5, inplace=True)(y) is y
    for T in (torch, mt):
        assert repr(T.nn.Dropout2d(0.2, inplace=True)) == "Dropout2d(p=0.2, inplace=True)"


def test_channel_dropout_errors_and_warnings():
    for T in (torch, mt):
        with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but "
                                               "received a 4D input"):
            T.nn.Dropout1d()(T.ones(1, 2, 3, 4))
        with pytest.warns(UserWarning, match="dropout2d: Received a 3D input to dropout2d"):
            T.nn.Dropout2d()(T.ones(2, 3, 4))
        with pytest.warns(UserWarning, match="dropout2d: Received a 2-D input to dropout2d"):
            T.nn.Dropout2d()(T.ones(2, 3))
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            T.nn.Dropout2d(2.0)
