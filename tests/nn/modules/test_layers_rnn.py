"""RNN, LSTM, GRU and their cells against PyTorch: outputs, final states, gradients of input,
initial states and every parameter; names, repr, init, dropout between layers, errors."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

from layer_harness import check_layer, mt, np_of, torch

RNG = np.random.default_rng(6)


def _x(*shape):
    return RNG.standard_normal(shape)


CONFIGS = [
    dict(),
    dict(num_layers=2),
    dict(bidirectional=True),
    dict(num_layers=2, bidirectional=True, batch_first=True),
    dict(bias=False, batch_first=True),
    dict(num_layers=2, dropout=0.5),   # eval mode below: dropout off, as in PyTorch
]


def _input_shape(kw, seq=4, batch=3, features=2):
    return (batch, seq, features) if kw.get("batch_first") else (seq, batch, features)


@pytest.mark.parametrize("kw", CONFIGS)
@pytest.mark.parametrize("cls, extra", [("RNN", {}), ("RNN", dict(nonlinearity="relu")),
                                        ("LSTM", {}), ("GRU", {})])
def test_matches_torch_zero_state(cls, extra, kw):
    train = kw.get("dropout", 0) == 0
    check_layer(lambda T: getattr(T.nn, cls)(2, 3, **extra, **kw), [_x(*_input_shape(kw))],
                train=train)


@pytest.mark.parametrize("kw", CONFIGS[:4])
@pytest.mark.parametrize("cls", ["RNN", "GRU"])
def test_matches_torch_given_state(cls, kw):
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    check_layer(lambda T: getattr(T.nn, cls)(2, 3, **kw),
                [_x(*_input_shape(kw)), _x(layers, 3, 3)])


@pytest.mark.parametrize("kw", CONFIGS[:4] + [dict(proj_size=2, num_layers=2,
                                                   bidirectional=True)])
def test_lstm_matches_torch_given_state(kw):
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    h_size = kw.get("proj_size") or 3

    def make(T):   # lstm(x, (h0, c0)): the states are inputs whose gradients are checked
        lstm = T.nn.LSTM(2, 3, **kw)

        class Wrap(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = lstm

            def forward(self, x, h0, c0):
                return self.lstm(x, (h0, c0))
        return Wrap()
    check_layer(make, [_x(*_input_shape(kw)), _x(layers, 3, h_size), _x(layers, 3, 3)],
                check_repr=False)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_unbatched_input(cls):
    check_layer(lambda T: getattr(T.nn, cls)(2, 3, num_layers=2), [_x(5, 2)])
    if cls != "LSTM":
        check_layer(lambda T: getattr(T.nn, cls)(2, 3, batch_first=True), [_x(5, 2), _x(1, 3)])


def test_float32_close_to_torch():
    check_layer(lambda T: T.nn.LSTM(3, 4, num_layers=2), [_x(6, 2, 3)], double=False,
                rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls, extra", [("RNNCell", {}), ("RNNCell", dict(nonlinearity="relu")),
                                        ("GRUCell", {}), ("GRUCell", dict(bias=False))])
def test_cells(cls, extra):
    check_layer(lambda T: getattr(T.nn, cls)(2, 3, **extra), [_x(4, 2)])
    check_layer(lambda T: getattr(T.nn, cls)(2, 3, **extra), [_x(4, 2), _x(4, 3)])
    check_layer(lambda T: getattr(T.nn, cls)(2, 3, **extra), [_x(2), _x(3)])   # unbatched


@pytest.mark.parametrize("bias", [True, False])
def test_lstm_cell(bias):
    check_layer(lambda T: T.nn.LSTMCell(2, 3, bias=bias), [_x(4, 2)])

    def make(T):
        cell = T.nn.LSTMCell(2, 3, bias=bias)

        class Wrap(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.cell = cell

            def forward(self, x, h, c):
                return self.cell(x, (h, c))
        return Wrap()
    check_layer(make, [_x(4, 2), _x(4, 3), _x(4, 3)], check_repr=False)
    check_layer(make, [_x(2), _x(3), _x(3)], check_repr=False)


# ---------------------------------------------------------------------------- structure
@pytest.mark.parametrize("make", [
    lambda T: T.nn.RNN(2, 3), lambda T: T.nn.RNN(2, 3, 2, "relu", False, True, 0.25, True),
    lambda T: T.nn.LSTM(2, 3, proj_size=2, num_layers=2, bidirectional=True, bias=False),
    lambda T: T.nn.GRU(4, 3, num_layers=3, batch_first=True),
    lambda T: T.nn.RNNCell(2, 3, nonlinearity="relu"), lambda T: T.nn.LSTMCell(2, 3, False),
    lambda T: T.nn.GRUCell(3, 2)])
def test_names_shapes_repr(make):
    ours, ref = make(mt), make(torch)
    assert repr(ours) == repr(ref)
    ours_p = [(n, tuple(p.shape)) for n, p in ours.named_parameters()]
    ref_p = [(n, tuple(p.shape)) for n, p in ref.named_parameters()]
    assert ours_p == ref_p
    if hasattr(ref, "_flat_weights_names"):
        assert ours._flat_weights_names == ref._flat_weights_names
        assert ours._all_weights == ref._all_weights
        assert [tuple(w.shape) for ws in ours.all_weights for w in ws] == \
            [tuple(w.shape) for ws in ref.all_weights for w in ws]


def test_default_init_bound():
    m = mt.nn.LSTM(5, 16, num_layers=2)
    bound = 1 / math.sqrt(16)
    values = np.concatenate([np_of(p).ravel() for p in m.parameters()])
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.95 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.1 * bound


def test_dropout_between_layers_only_in_training():
    m = mt.nn.GRU(3, 8, num_layers=2, dropout=0.5)
    x = mt.randn(4, 2, 3)
    a, b = m(x)[0], m(x)[0]
    assert not np.allclose(np_of(a), np_of(b))   # random masks between the layers
    m.eval()
    np.testing.assert_array_equal(np_of(m(x)[0]), np_of(m(x)[0]))


def test_dropout_with_one_layer_warns():
    for T in (torch, mt):
        with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than "
                                             "1, but got dropout=0.2 and num_layers=1"):
            T.nn.LSTM(2, 3, dropout=0.2)


def test_functional_call_sees_new_weights():
    m = mt.nn.RNN(2, 3)
    new = {k: v * 0 for k, v in m.state_dict().items()}
    out, h = mt.func.functional_call(m, new, (mt.randn(4, 1, 2),))
    assert np.all(np_of(out) == 0)


def test_training_reduces_loss():
    mt.manual_seed(0)
    model = mt.nn.GRU(1, 8, batch_first=True)
    head = mt.nn.Linear(8, 1)
    params = list(model.parameters()) + list(head.parameters())
    opt = mt.optim.Adam(params, lr=0.05)
    x = mt.randn(16, 5, 1)
    y = x.sum(1)   # learn to add up a sequence
    losses = []
    for _ in range(60):
        out, _ = model(x)
        loss = ((head(out[:, -1]) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call, exc, message", [
    (lambda T: T.nn.LSTM(2, 3)(T.zeros(4, 5, 3)), RuntimeError,
     "input.size(-1) must be equal to input_size. Expected 2, got 3"),
    (lambda T: T.nn.LSTM(2, 3)(T.zeros(4, 5, 2), (T.zeros(1, 5, 3), T.zeros(1, 4, 3))),
     RuntimeError, "Expected hidden[1] size (1, 5, 3), got [1, 4, 3]"),
    (lambda T: T.nn.GRU(2, 3)(T.zeros(4, 5, 2), T.zeros(2, 5, 3)), RuntimeError,
     "Expected hidden size (1, 5, 3), got [2, 5, 3]"),
    (lambda T: T.nn.LSTM(2, 3)(T.zeros(4, 5, 2, 1)), ValueError,
     "LSTM: Expected input to be 2D or 3D, got 4D instead"),
    (lambda T: T.nn.RNN(2, 3)(T.zeros(4)), ValueError,
     "RNN: Expected input to be 2D or 3D, got 1D tensor instead"),
    (lambda T: T.nn.RNN(2, 3)(T.zeros(4, 5, 2), T.zeros(5, 3)), RuntimeError,
     "For batched 3-D input, hx should also be 3-D but got 2-D tensor"),
    (lambda T: T.nn.LSTM(2, 3)(T.zeros(4, 2), (T.zeros(1, 1, 3), T.zeros(1, 3))), RuntimeError,
     "For unbatched 2-D input, hx and cx should also be 2-D but got (3-D, 2-D) tensors"),
    (lambda T: T.nn.RNN(2, 3)(T.zeros(4, 5, 2, dtype=T.float64)), ValueError,
     "RNN input dtype (torch.float64) does not match weight dtype (torch.float32)"),
    (lambda T: T.nn.RNN(2, 3, nonlinearity="gelu"), ValueError,
     "Unknown nonlinearity 'gelu'. Select from 'tanh' or 'relu'."),
    (lambda T: T.nn.GRU(2, 3, proj_size=1), ValueError,
     "proj_size argument is only supported for LSTM, not RNN or GRU"),
    (lambda T: T.nn.LSTM(2, 3, proj_size=3), ValueError,
     "proj_size has to be smaller than hidden_size"),
    (lambda T: T.nn.LSTM(2, 3, dropout=1.5), ValueError,
     "dropout should be a number in range [0, 1]"),
    (lambda T: T.nn.LSTM(2, 0), ValueError, "hidden_size must be greater than zero"),
    (lambda T: T.nn.LSTM(2.0, 3), TypeError, "input_size should be of type int, got: float"),
    (lambda T: T.nn.LSTM(2, 3, num_layers=0), ValueError,
     "num_layers must be greater than zero"),
    (lambda T: T.nn.RNNCell(2, 3)(T.zeros(4, 5)), RuntimeError,
     "input has inconsistent input_size: got 5 expected 2"),
    (lambda T: T.nn.GRUCell(2, 3)(T.zeros(4, 2), T.zeros(3, 3)), RuntimeError,
     "Input batch size 4 doesn't match hidden0 batch size 3"),
    (lambda T: T.nn.LSTMCell(2, 3)(T.zeros(4, 2), (T.zeros(4, 3), T.zeros(4, 4))),
     RuntimeError, "hidden1 has inconsistent hidden_size: got 4, expected 3"),
    (lambda T: T.nn.LSTMCell(2, 3)(T.zeros(1, 4, 2)), ValueError,
     "LSTMCell: Expected input to be 1D or 2D, got 3D instead"),
    (lambda T: T.nn.GRUCell(2, 3)(T.zeros(4, 2), T.zeros(1, 4, 3)), ValueError,
     "GRUCell: Expected hidden to be 1D or 2D, got 3D instead"),
])
def test_errors(call, exc, message):
    for T in (torch, mt):
        with pytest.raises(exc, match=re.escape(message)):
            call(T)
