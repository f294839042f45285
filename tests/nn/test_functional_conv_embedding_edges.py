"""Convolution and embedding edge cases found by tests/kernels/test_fuzz_against_pytorch.py
(issue 15), each compared with PyTorch."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minitorch_nn as mt

torch = pytest.importorskip("torch")


def _both(fn):
    out = []
    for T in (torch, mt):
        try:
            out.append(fn(T))
        except Exception as e:   # noqa: BLE001 - the class and message are compared
            out.append(e)
    return out


def test_stride1_conv_weight_grad_ignores_inputs_no_output_reads():
    """The stride-1 fast path computes Wp - OW extra GEMM columns; an inf input sitting only
    there made the weight gradient 0 * inf = NaN (PyTorch: 0)."""
    x0 = np.array([[np.inf], [-0.0]], np.float32)
    w0 = np.random.default_rng(0).standard_normal((1, 2, 2)).astype(np.float32)
    grads = []
    for T in (torch, mt):
        x = T.tensor(x0, requires_grad=True)
        w = T.tensor(w0, requires_grad=True)
        T.nn.functional.conv1d(x, w, padding="same", dilation=2).sum().backward()
        grads.append(w.grad.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])


def test_stride1_conv2d_input_grad_with_inf_weight():
    """Also: no numpy "invalid value encountered in matmul" warning (PyTorch prints none)."""
    x0 = np.random.default_rng(1).standard_normal((1, 1, 3, 3)).astype(np.float32)
    w0 = np.array([[[[np.inf, 1.0], [1.0, 1.0]]]], np.float32)
    grads = []
    for T in (torch, mt):
        x = T.tensor(x0, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            T.nn.functional.conv2d(x, T.tensor(w0), padding=1, dilation=2).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])


@pytest.mark.parametrize("shape, weight, kw", [
    ((1, 1, 0, 0), (1, 1, 1, 1), dict(padding=1)),
    ((2, 1, 3, 0), (2, 1, 1, 1), dict(padding=1)),
    ((1, 1, 0), (1, 1, 1), dict(padding=1)),
    ((1, 0), (1, 1, 1), dict(padding=1)),
])
def test_conv_zero_spatial_input_refused_as_pytorch(shape, weight, kw):
    fn = "conv1d" if len(weight) == 3 else "conv2d"
    ref, ours = _both(lambda T: getattr(T.nn.functional, fn)(T.ones(shape), T.ones(weight),
                                                             **kw))
    assert isinstance(ref, RuntimeError) and type(ours) is RuntimeError
    assert str(ours) == str(ref)


def test_embedding_backward_with_empty_rows():
    """A (1, 0) weight: the backward's reshape(-1, 0) raised ValueError."""
    grads = []
    for T in (torch, mt):
        w = T.ones(3, 0, requires_grad=True)
        T.nn.functional.embedding(T.tensor([[0, 2]]), w, scale_grad_by_freq=True).sum() \
            .backward()
        w2 = T.ones(1, 0, requires_grad=True)
        T.nn.functional.embedding(T.tensor(0), w2).sum().backward()
        grads.append((tuple(w.grad.shape), tuple(w2.grad.shape)))
    assert grads[0] == grads[1]


def test_embedding_out_of_range_with_empty_rows_message():
    ref, ours = _both(lambda T: T.nn.functional.embedding(T.tensor([0, 1]), T.ones(1, 0)))
    assert type(ours) is type(ref) is RuntimeError
    assert str(ours) == str(ref)
