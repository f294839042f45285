"""conv with 0 output channels and conv_transpose with an output size <= 0 (issue 15):
PyTorch's RuntimeErrors (class and message), not numpy's ValueError or an empty result."""
from __future__ import annotations

import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch


def _outcome(T, fn):
    try:
        out = fn(T, T.nn.functional)
    except Exception as err:   # noqa: BLE001 - the class and message are compared
        return type(err).__name__, str(err)
    return "ok", tuple(out.shape)


CASES = {
    "conv2d 0 out": lambda T, F: F.conv2d(T.randn(1, 2, 4, 4), T.randn(0, 2, 3, 3)),
    "conv2d 0 out groups": lambda T, F: F.conv2d(T.randn(1, 2, 4, 4), T.randn(0, 1, 3, 3),
                                                 groups=2),
    "conv2d 1 out 2 groups": lambda T, F: F.conv2d(T.randn(1, 2, 4, 4), T.randn(1, 1, 3, 3),
                                                   groups=2),
    "conv2d 0 out bad in": lambda T, F: F.conv2d(T.randn(1, 3, 4, 4), T.randn(0, 2, 3, 3)),
    "conv1d 0 out": lambda T, F: F.conv1d(T.randn(1, 2, 4), T.randn(0, 2, 3)),
    "conv1d 0 out unbatched": lambda T, F: F.conv1d(T.randn(2, 4), T.randn(0, 2, 3)),
    # an empty input (zero batch or channels) skips the output-size check; negative sizes
    # are still refused, and a zero spatial size needs a zero batch or zero channels
    "conv_t2d empty k1": lambda T, F: F.conv_transpose2d(T.zeros(0, 1, 0, 0), T.zeros(1, 1, 1, 1)),
    "conv_t2d empty k1 pad": lambda T, F: F.conv_transpose2d(T.zeros(0, 1, 0, 0),
                                                            T.zeros(1, 1, 1, 1), padding=1),
    "conv_t2d empty k3 pad": lambda T, F: F.conv_transpose2d(T.zeros(0, 1, 2, 2),
                                                            T.zeros(1, 1, 3, 3), padding=1),
    "conv_t1d empty k1 pad": lambda T, F: F.conv_transpose1d(T.zeros(0, 1, 0), T.zeros(1, 1, 1),
                                                            padding=1),
    "conv_t2d zero spatial": lambda T, F: F.conv_transpose2d(T.zeros(1, 1, 0, 0),
                                                            T.zeros(1, 1, 1, 1)),
    "conv_t2d 0 out": lambda T, F: F.conv_transpose2d(T.randn(1, 2, 4, 4), T.randn(2, 0, 3, 3)),
    "conv_t1d 0 out": lambda T, F: F.conv_transpose1d(T.randn(1, 2, 4), T.randn(2, 0, 3)),
    "conv_t2d 0 in": lambda T, F: F.conv_transpose2d(T.randn(1, 0, 4, 4), T.randn(0, 3, 3, 3)),
    "conv_t2d out 0": lambda T, F: F.conv_transpose2d(T.randn(1, 2, 2, 2), T.randn(2, 3, 1, 1),
                                                      padding=1),
    "conv_t2d out 0 one dim": lambda T, F: F.conv_transpose2d(
        T.randn(1, 2, 2, 3), T.randn(2, 3, 1, 1), padding=(1, 0)),
    "conv_t2d out < 0": lambda T, F: F.conv_transpose2d(T.randn(1, 2, 1, 1),
                                                        T.randn(2, 3, 1, 1), padding=1),
    "conv_t1d out 0": lambda T, F: F.conv_transpose1d(T.randn(1, 2, 2), T.randn(2, 3, 1),
                                                      padding=1),
    "conv_t1d out < 0 unbatched": lambda T, F: F.conv_transpose1d(
        T.randn(2, 1), T.randn(2, 3, 1), padding=1),
    "ConvTranspose2d out 0": lambda T, F: T.nn.ConvTranspose2d(2, 3, 1, padding=1)(
        T.randn(1, 2, 2, 2)),
    "conv_t2d out 1 ok": lambda T, F: F.conv_transpose2d(T.randn(1, 2, 3, 3),
                                                         T.randn(2, 3, 1, 1), padding=1),
    "conv2d 0 batch ok": lambda T, F: F.conv2d(T.randn(0, 2, 4, 4), T.randn(3, 2, 3, 3)),
    # zero batch and no output channels: PyTorch's IndexError (found by the slow fuzz test)
    "conv_t2d 0 batch 0 out": lambda T, F: F.conv_transpose2d(T.zeros(0, 1, 0, 0),
                                                              T.zeros(1, 0, 1, 1)),
    "conv_t2d 0 batch 0 out k2": lambda T, F: F.conv_transpose2d(T.zeros(0, 2, 2, 2),
                                                                 T.zeros(2, 0, 1, 1)),
    "conv_t1d 0 batch 0 out": lambda T, F: F.conv_transpose1d(T.zeros(0, 1, 3),
                                                              T.zeros(1, 0, 1)),
    "conv_t3d 0 batch 0 out": lambda T, F: F.conv_transpose3d(T.zeros(0, 1, 2, 2, 2),
                                                              T.zeros(1, 0, 1, 1, 1)),
    # a zero batch skips the output_padding check (the empty result keeps the padding)
    "conv_t2d 0 batch big output_padding": lambda T, F: F.conv_transpose2d(
        T.zeros(0, 1, 2, 2), T.zeros(1, 1, 1, 1), output_padding=(0, 1)),
    "conv_t2d big output_padding": lambda T, F: F.conv_transpose2d(
        T.zeros(1, 1, 2, 2), T.zeros(1, 1, 1, 1), output_padding=(0, 1)),
}


def test_conv2d_zero_out_channels_is_runtime_error():
    with pytest.raises(RuntimeError, match="expected weight to be at least 1 at dimension 0"):
        mt.nn.functional.conv2d(mt.randn(1, 2, 4, 4), mt.randn(0, 2, 3, 3))


def test_conv_transpose_zero_output_size_is_refused():
    with pytest.raises(RuntimeError, match="Output size is too small"):
        mt.nn.functional.conv_transpose2d(mt.randn(1, 2, 2, 2), mt.randn(2, 3, 1, 1), padding=1)


@requires_torch
@pytest.mark.parametrize("name", list(CASES))
def test_conv_channel_and_output_size_checks_match_pytorch(name):
    assert _outcome(mt, CASES[name]) == _outcome(torch, CASES[name])
