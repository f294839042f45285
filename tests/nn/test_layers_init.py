"""nn.init against PyTorch: gains, bounds and statistics of every initializer, structural
properties (orthogonal, eye, dirac, sparse), in-place/no-grad behaviour, aliases, errors."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

from layer_harness import mt, np_of, torch

NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh", "relu",
                  "leaky_relu", "selu"]


@pytest.mark.parametrize("name", NONLINEARITIES)
def test_calculate_gain(name):
    assert mt.nn.init.calculate_gain(name) == torch.nn.init.calculate_gain(name)


@pytest.mark.parametrize("param", [None, 0.2, 1, 0])
def test_calculate_gain_leaky_relu_param(param):
    assert mt.nn.init.calculate_gain("leaky_relu", param) == \
        torch.nn.init.calculate_gain("leaky_relu", param)


def test_calculate_gain_errors():
    for T in (torch, mt):
        with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
            T.nn.init.calculate_gain("gelu")
        with pytest.raises(ValueError, match="negative_slope True not a valid number"):
            T.nn.init.calculate_gain("leaky_relu", True)


def _stats(fn, shape, **kw):
    w = mt.empty(*shape)
    out = fn(w, **kw)
    assert out is w
    return np_of(w)


@pytest.mark.parametrize("shape", [(300, 200), (64, 32, 3, 3)])
def test_xavier(shape):
    fan_in = shape[1] * int(np.prod(shape[2:]))
    fan_out = shape[0] * int(np.prod(shape[2:]))
    std = 2.0 * math.sqrt(2.0 / (fan_in + fan_out))
    w = _stats(mt.nn.init.xavier_uniform_, shape, gain=2.0)
    assert np.abs(w).max() <= math.sqrt(3) * std and abs(w.std() - std) < 0.05 * std
    w = _stats(mt.nn.init.xavier_normal_, shape, gain=2.0)
    assert abs(w.mean()) < 0.05 * std and abs(w.std() - std) < 0.05 * std


@pytest.mark.parametrize("mode, nonlinearity, a", [("fan_in", "relu", 0),
                                                   ("fan_out", "leaky_relu", 0.1),
                                                   ("fan_in", "tanh", 0)])
def test_kaiming(mode, nonlinearity, a):
    shape = (128, 64, 3, 3)
    fan = (64 if mode == "fan_in" else 128) * 9
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    w = _stats(mt.nn.init.kaiming_normal_, shape, a=a, mode=mode, nonlinearity=nonlinearity)
    assert abs(w.std() - std) < 0.03 * std
    w = _stats(mt.nn.init.kaiming_uniform_, shape, a=a, mode=mode, nonlinearity=nonlinearity)
    assert np.abs(w).max() <= math.sqrt(3) * std and abs(w.std() - std) < 0.03 * std


@pytest.mark.parametrize("kw", [{}, dict(mean=1.0, std=0.5, a=0.0, b=3.0),
                                dict(mean=0.0, std=1.0, a=2.0, b=3.0)])
def test_trunc_normal_matches_torch_statistics(kw):
    ours = _stats(mt.nn.init.trunc_normal_, (200, 100), **kw)
    ref = torch.nn.init.trunc_normal_(torch.empty(200, 100), **kw).numpy()
    a, b = kw.get("a", -2.0), kw.get("b", 2.0)
    assert ours.min() >= a and ours.max() <= b
    assert abs(ours.mean() - ref.mean()) < 0.03 and abs(ours.std() - ref.std()) < 0.03


def test_trunc_normal_far_window_warns():
    for T in (torch, mt):
        with pytest.warns(UserWarning, match="mean is more than 2 std from"):
            T.nn.init.trunc_normal_(T.empty(10), mean=5.0, a=-1.0, b=1.0)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3), (6, 6)])
def test_orthogonal(shape):
    w = _stats(mt.nn.init.orthogonal_, shape, gain=1.5).reshape(shape[0], -1)
    small = min(w.shape)
    gram = w @ w.T if w.shape[0] == small else w.T @ w
    np.testing.assert_allclose(gram, 1.5 ** 2 * np.eye(small), atol=1e-5)


def test_eye_and_dirac():
    for T in (torch, mt):
        w = T.empty(3, 5, requires_grad=True)
        T.nn.init.eye_(w)
        np.testing.assert_array_equal(np_of(w), np.eye(3, 5))
        assert w.requires_grad
    for shape, groups in [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 2, 1, 3, 3), 1)]:
        ours = np_of(mt.nn.init.dirac_(mt.empty(*shape), groups))
        ref = torch.nn.init.dirac_(torch.empty(*shape), groups).numpy()
        np.testing.assert_array_equal(ours, ref)
    conv = mt.nn.Conv2d(3, 3, 3, padding=1, bias=False)
    mt.nn.init.dirac_(conv.weight)
    x = mt.randn(1, 3, 4, 4)
    np.testing.assert_allclose(np_of(conv(x)), np_of(x), atol=1e-6)   # identity conv


def test_sparse():
    w = _stats(mt.nn.init.sparse_, (10, 30), sparsity=0.3)
    assert np.all((w == 0).sum(0) >= 3)
    assert np.abs(w).max() < 0.1


def test_init_under_grad_does_not_record():
    w = mt.nn.Parameter(mt.empty(4, 4))
    for fn in (mt.nn.init.orthogonal_, mt.nn.init.trunc_normal_, mt.nn.init.eye_,
               mt.nn.init.xavier_normal_):
        fn(w)
        assert w.grad_fn is None and w.is_leaf


@pytest.mark.parametrize("name, args", [("normal", ()), ("xavier_uniform", ()),
                                        ("kaiming_normal", ()), ("orthogonal", ()),
                                        ("eye", ()), ("constant", (0.5,))])
def test_deprecated_aliases(name, args):
    for T in (torch, mt):
        with pytest.warns(FutureWarning, match=re.escape(
                f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`")):
            getattr(T.nn.init, name)(T.empty(3, 3), *args)


@pytest.mark.parametrize("call, message", [
    (lambda T: T.nn.init.eye_(T.empty(3)), "Only tensors with 2 dimensions are supported"),
    (lambda T: T.nn.init.dirac_(T.empty(3, 3)),
     "Only tensors with 3, 4, or 5 dimensions are supported"),
    (lambda T: T.nn.init.dirac_(T.empty(3, 3, 3), 2), "dim 0 must be divisible by groups"),
    (lambda T: T.nn.init.orthogonal_(T.empty(3)),
     "Only tensors with 2 or more dimensions are supported"),
    (lambda T: T.nn.init.xavier_uniform_(T.empty(3)),
     "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"),
    (lambda T: T.nn.init.kaiming_normal_(T.empty(3, 3), mode="fan_avg"),
     "Mode fan_avg not supported, please use one of"),
    (lambda T: T.nn.init.sparse_(T.empty(3, 3, 3), 0.1),
     "Only tensors with 2 dimensions are supported"),
])
def test_errors(call, message):
    for T in (torch, mt):
        with pytest.raises(ValueError, match=re.escape(message)):
            call(T)
