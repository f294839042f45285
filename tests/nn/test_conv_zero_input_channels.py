"""Convolution of an input with zero channels: PyTorch returns zero output channels (not
out_channels of zeros), and gives the weight and bias zero gradients."""
from __future__ import annotations

import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch

CASES = [("conv2d", (1, 0, 4, 4), (2, 0, 3, 3)), ("conv1d", (1, 0, 5), (3, 0, 2)),
         ("conv3d", (1, 0, 3, 3, 3), (2, 0, 2, 2, 2)), ("conv2d", (0, 3, 4, 4), (2, 3, 3, 3)),
         ("conv2d", (0, 4, 4), (2, 0, 3, 3))]


def _run(lib, name, xs, ws):
    x = lib.zeros(*xs, requires_grad=True)
    w = lib.ones(*ws, requires_grad=True)
    b = lib.ones(ws[0], requires_grad=True)
    y = getattr(lib.nn.functional, name)(x, w, b)
    y.sum().backward()
    return tuple(y.shape), tuple(x.grad.shape), tuple(w.grad.shape), b.grad.tolist()


@pytest.mark.parametrize("name, xs, ws", CASES)
def test_zero_channels_give_zero_output_channels(name, xs, ws):
    y_shape, x_grad, w_grad, b_grad = _run(mt, name, xs, ws)
    if len(xs) == len(ws) and xs[1] == 0:
        assert y_shape[1] == 0
    assert x_grad == xs and w_grad == ws and b_grad == [0.0] * ws[0]


@requires_torch
@pytest.mark.parametrize("name, xs, ws", CASES)
def test_zero_channels_match_pytorch(name, xs, ws):
    assert _run(mt, name, xs, ws) == _run(torch, name, xs, ws)
