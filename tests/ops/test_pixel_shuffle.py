"""pixel_shuffle, pixel_unshuffle and channel_shuffle: values, gradients, errors."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch


def _shuffle_ref(x, r):
    *lead, c, h, w = x.shape
    out = np.zeros((*lead, c // (r * r), h * r, w * r))
    for ch in range(c // (r * r)):
        for i in range(r):
            for j in range(r):
                out[..., ch, i::r, j::r] = x[..., ch * r * r + i * r + j, :, :]
    return out


def _channel_ref(x, g):
    c = x.shape[1]
    k = c // g
    out = np.empty_like(x)
    for i in range(g):
        for j in range(k):
            out[:, j * g + i] = x[:, i * k + j]
    return out


@pytest.mark.parametrize("shape,r", [((2, 8, 3, 4), 2), ((9, 2, 3), 3), ((2, 3, 4, 1, 2), 2),
                                     ((1, 4, 3, 3), 1), ((0, 4, 2, 2), 2)])
def test_pixel_shuffle(shape, r):
    # PyTorch's own backward fails on a 0-size pixel_shuffle (its gradient has the wrong
    # shape), so the empty case is checked forward only
    check_op(lambda T, x: T.nn.functional.pixel_shuffle(x, r), [shape],
             ref=lambda a: _shuffle_ref(a, r), grad=0 not in shape)
    check_op(lambda T, x: T.pixel_shuffle(x, r), [shape], grad=0 not in shape)


@pytest.mark.parametrize("shape,r", [((2, 2, 6, 8), 2), ((1, 6, 9), 3), ((2, 3, 1, 4, 2), 2)])
def test_pixel_unshuffle(shape, r):
    def ref(a):   # the inverse of the shuffle reference
        *lead, c, h, w = a.shape
        out = np.zeros((*lead, c * r * r, h // r, w // r))
        for ch in range(c):
            for i in range(r):
                for j in range(r):
                    out[..., ch * r * r + i * r + j, :, :] = a[..., ch, i::r, j::r]
        return out
    check_op(lambda T, x: T.nn.functional.pixel_unshuffle(x, r), [shape], ref=ref)
    check_op(lambda T, x: T.pixel_unshuffle(x, r), [shape])


@pytest.mark.parametrize("shape,g", [((2, 6, 3, 2), 3), ((2, 6, 5), 2), ((1, 4, 1, 1, 2), 4),
                                     ((3, 5, 2), 1), ((0, 4, 2), 2)])
def test_channel_shuffle(shape, g):
    check_op(lambda T, x: T.nn.functional.channel_shuffle(x, g), [shape],
             ref=lambda a: _channel_ref(a, g))
    check_op(lambda T, x: T.channel_shuffle(x, g), [shape])


@requires_torch
def test_integer_dtype_and_node_names():
    a = np.arange(2 * 8 * 2 * 2).reshape(2, 8, 2, 2)
    for name, arg in (("pixel_shuffle", 2), ("pixel_unshuffle", 2), ("channel_shuffle", 4)):
        y = getattr(mt, name)(mt.tensor(a), arg)
        e = getattr(torch, name)(torch.tensor(a), arg)
        assert str(y.dtype) == str(e.dtype)
        np.testing.assert_array_equal(y.numpy(), e.numpy())
        yg = getattr(mt, name)(mt.tensor(a.astype(float), requires_grad=True), arg)
        eg = getattr(torch, name)(torch.tensor(a.astype(float), requires_grad=True), arg)
        assert yg.grad_fn.name() == eg.grad_fn.name()


_BAD = [
    lambda T: T.nn.functional.pixel_shuffle(T.randn(2, 8, 3, 4), 3),
    lambda T: T.nn.functional.pixel_shuffle(T.randn(3, 4), 2),
    lambda T: T.nn.functional.pixel_shuffle(T.randn(2, 8, 3, 4), 0),
    lambda T: T.nn.functional.pixel_shuffle(T.randn(2, 8, 3, 4), 2.0),
    lambda T: T.nn.functional.pixel_unshuffle(T.randn(2, 8, 3, 4), 2),
    lambda T: T.nn.functional.pixel_unshuffle(T.randn(2, 8, 3, 4), 3),
    lambda T: T.nn.functional.pixel_unshuffle(T.randn(2, 8, 3, 4), -1),
    lambda T: T.nn.functional.channel_shuffle(T.randn(2, 8, 3, 4), 3),
    lambda T: T.nn.functional.channel_shuffle(T.randn(2, 8, 3, 4), 0),
    lambda T: T.nn.functional.channel_shuffle(T.randn(4), 2),
    lambda T: T.nn.functional.channel_shuffle(T.randn(2, 4), 2),
]


@requires_torch
@pytest.mark.parametrize("call", range(len(_BAD)))
def test_errors_match_pytorch(call):
    fn = _BAD[call]
    with pytest.raises(Exception) as expected:
        fn(torch)
    with pytest.raises(type(expected.value)) as got:
        fn(mt)
    assert str(got.value) == str(expected.value)
