"""Conv1d, Conv2d, ConvTranspose1d/2d against PyTorch: values, gradients, init, repr, errors."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

from layer_harness import check_layer, mt, np_of, torch

RNG = np.random.default_rng(0)


def _x(*shape):
    return RNG.standard_normal(shape)


# ---------------------------------------------------------------------------- forward/backward
@pytest.mark.parametrize("args, kw, shape", [
    ((2, 3, 3), {}, (2, 2, 6, 7)),
    ((2, 4, (2, 3)), dict(stride=2, padding=1), (1, 2, 7, 6)),
    ((4, 6, 3), dict(groups=2, dilation=2, bias=False), (2, 4, 8, 8)),
    ((3, 2, 3), dict(padding="same"), (1, 3, 5, 5)),
    ((3, 2, (2, 4)), dict(padding="same", dilation=(1, 2)), (1, 3, 5, 9)),
    ((3, 2, 2), dict(padding="valid"), (1, 3, 4, 4)),
    ((2, 3, 3), dict(stride=(1, 2), padding=(0, 2)), (2, 5, 5)),   # unbatched
])
def test_conv2d_matches_torch(args, kw, shape):
    check_layer(lambda T: T.nn.Conv2d(*args, **kw), [_x(*shape)])


@pytest.mark.parametrize("args, kw, shape", [
    ((2, 3, 3), {}, (2, 2, 9)),
    ((4, 2, 2), dict(stride=2, padding=1, groups=2), (3, 4, 7)),
    ((2, 2, 4), dict(padding="same", dilation=3), (1, 2, 11)),
    ((2, 3, 3), dict(bias=False), (2, 6)),   # unbatched
])
def test_conv1d_matches_torch(args, kw, shape):
    check_layer(lambda T: T.nn.Conv1d(*args, **kw), [_x(*shape)])


@pytest.mark.parametrize("args, kw, shape", [
    ((2, 3, 3), {}, (2, 2, 4, 5)),
    ((4, 2, 3), dict(stride=2, padding=1, output_padding=1, groups=2), (1, 4, 3, 3)),
    ((2, 2, (2, 3)), dict(stride=(2, 1), dilation=2, bias=False), (1, 2, 3, 4)),
    ((2, 3, 2), dict(stride=2), (2, 3, 3)),   # unbatched
])
def test_conv_transpose2d_matches_torch(args, kw, shape):
    check_layer(lambda T: T.nn.ConvTranspose2d(*args, **kw), [_x(*shape)])


def test_conv_transpose1d_matches_torch():
    check_layer(lambda T: T.nn.ConvTranspose1d(2, 3, 3, stride=2, padding=1, output_padding=1),
                [_x(2, 2, 5)])


@pytest.mark.parametrize("output_size", [[9, 9], [10, 10], [1, 2, 10, 9]])
def test_conv_transpose2d_output_size(output_size):
    check_layer(lambda T: T.nn.ConvTranspose2d(2, 1, 3, stride=2, padding=1),
                [_x(1, 2, 5, 5)], kwargs={"output_size": output_size})


def test_conv_transpose2d_output_size_errors():
    for T in (torch, mt):
        m = T.nn.ConvTranspose2d(2, 1, 3, stride=2, padding=1)
        x = T.zeros(1, 2, 5, 5)
        with pytest.raises(ValueError, match=re.escape(
                "requested an output size of [12, 12], but valid sizes range from [9, 9] to "
                "[10, 10]")):
            m(x, output_size=[12, 12])
        with pytest.raises(ValueError, match=re.escape(
                "ConvTranspose2D: for 4D input, output_size must have 2 or 4 elements (got 3)")):
            m(x, output_size=[1, 9, 9])


def test_conv_float32_close_to_torch():
    check_layer(lambda T: T.nn.Conv2d(3, 4, 3, padding=1), [_x(2, 3, 5, 5)], double=False,
                rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------- init / params
@pytest.mark.parametrize("cls, args, fan_in", [
    ("Conv2d", (4, 8, 3), 4 * 9), ("Conv2d", (4, 8, (2, 5), 1, 0, 1, 2), 2 * 10),
    ("Conv1d", (6, 4, 5), 30), ("ConvTranspose2d", (4, 6, 3), 6 * 9)])
def test_default_init_bound(cls, args, fan_in):
    m = getattr(mt.nn, cls)(*args)
    bound = 1 / math.sqrt(fan_in)   # kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in))
    w, b = np_of(m.weight), np_of(m.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.7 * bound
    assert np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.3 * bound
    ref = getattr(torch.nn, cls)(*args)
    assert tuple(m.weight.shape) == tuple(ref.weight.shape)
    assert tuple(m.bias.shape) == tuple(ref.bias.shape)


def test_reset_parameters_redraws():
    m = mt.nn.Conv2d(2, 2, 3)
    before = np_of(m.weight).copy()
    w = m.weight
    m.reset_parameters()
    assert m.weight is w and not np.allclose(np_of(m.weight), before)


def test_device_and_dtype_arguments():
    m = mt.nn.Conv2d(1, 2, 3, dtype=mt.float64, device="cpu")
    assert m.weight.dtype == mt.float64 and m.bias.dtype == mt.float64


@pytest.mark.parametrize("cls, args, kw", [
    ("Conv2d", (1, 2, 3), {}),
    ("Conv2d", (4, 6, (2, 3)), dict(stride=2, padding=1, dilation=2, groups=2, bias=False)),
    ("Conv2d", (2, 2, 3), dict(padding="same", padding_mode="reflect")),
    ("Conv1d", (2, 4, 3), dict(padding="valid", stride=1)),
    ("Conv1d", (2, 4, 3), dict(padding=2, padding_mode="circular")),
    ("ConvTranspose2d", (4, 2, 3), dict(stride=2, output_padding=1, dilation=2)),
    ("ConvTranspose1d", (4, 2, 3), dict(groups=2)),
])
def test_repr_and_attributes(cls, args, kw):
    ours, ref = getattr(mt.nn, cls)(*args, **kw), getattr(torch.nn, cls)(*args, **kw)
    assert repr(ours) == repr(ref)
    for name in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
                 "transposed", "output_padding", "groups", "padding_mode",
                 "_reversed_padding_repeated_twice"):
        assert getattr(ours, name) == getattr(ref, name), name
    assert list(ours.state_dict()) == list(ref.state_dict())


def test_class_structure_for_lazy_modules():
    from minitorch_nn.nn.modules import conv
    assert issubclass(mt.nn.Conv2d, conv._ConvNd)
    assert issubclass(mt.nn.ConvTranspose2d, conv._ConvTransposeNd)
    assert issubclass(conv._ConvTransposeNd, conv._ConvNd)


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize("args, kw, message", [
    ((4, 4, 3), dict(groups=0), "groups must be a positive integer"),
    ((3, 4, 3), dict(groups=2), "in_channels must be divisible by groups"),
    ((4, 3, 3), dict(groups=2), "out_channels must be divisible by groups"),
    ((2, 2, 3), dict(padding="full"),
     "Invalid padding string 'full', should be one of {'same', 'valid'}"
     "|Invalid padding string 'full', should be one of {'valid', 'same'}"),
    ((2, 2, 3), dict(padding="same", stride=2),
     "padding='same' is not supported for strided convolutions"),
    ((2, 2, 3), dict(padding_mode="mirror"), "padding_mode must be one of"),
])
def test_constructor_errors(args, kw, message):
    for T in (torch, mt):
        with pytest.raises(ValueError, match=message):
            T.nn.Conv2d(*args, **kw)


def test_transpose_rejects_padding_modes():
    for T in (torch, mt):
        with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for '
                                             'ConvTranspose2d'):
            T.nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")


@pytest.mark.parametrize("shape, message", [
    ((1, 3, 5, 5), r"expected input\[1, 3, 5, 5\] to have 2 channels, but got 3 channels"),
    ((5, 5), r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of "
             r"size: \[5, 5\]"),
    ((1, 2, 2, 2), "Kernel size can't be greater than actual input size"),
])
def test_bad_input_errors(shape, message):
    for T in (torch, mt):
        with pytest.raises(RuntimeError, match=message):
            T.nn.Conv2d(2, 4, 3)(T.zeros(*shape))


def test_dtype_mismatch_error():
    for T in (torch, mt):
        with pytest.raises(RuntimeError, match="expected scalar type|should be the same"):
            T.nn.Conv2d(2, 4, 3)(T.zeros(1, 2, 5, 5, dtype=T.float64))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("cls, args, kw, shape", [
    ("Conv2d", (2, 3, 3), dict(padding=1), (2, 2, 5, 6)),
    ("Conv2d", (2, 3, (3, 2)), dict(padding="same", dilation=(1, 2)), (1, 2, 5, 6)),
    ("Conv2d", (2, 2, 3), dict(padding=(2, 1), stride=2), (2, 6, 5)),
    ("Conv1d", (2, 3, 3), dict(padding=2), (2, 2, 7)),
])
def test_padding_modes(mode, cls, args, kw, shape):
    check_layer(lambda T: getattr(T.nn, cls)(*args, padding_mode=mode, **kw), [_x(*shape)])


def test_nn_functional_is_importable():
    import minitorch_nn.nn.functional as F
    assert mt.nn.functional is F and callable(F.conv2d)
