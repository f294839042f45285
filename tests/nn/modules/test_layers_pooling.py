"""Pooling modules against PyTorch: values, gradients, indices, repr and errors."""
from __future__ import annotations

import numpy as np
import pytest

from layer_harness import check_layer, mt, np_of, torch

RNG = np.random.default_rng(1)


def _x(*shape):
    return RNG.standard_normal(shape)


@pytest.mark.parametrize("args, kw, shape", [
    ((2,), {}, (2, 3, 6, 6)),
    ((3,), dict(stride=2, padding=1), (1, 2, 7, 5)),
    (((2, 3),), dict(stride=(1, 2), dilation=(2, 1)), (1, 1, 6, 7)),
    ((3,), dict(stride=2, ceil_mode=True), (1, 2, 6, 6)),
    ((2,), {}, (3, 4, 4)),   # unbatched
])
def test_maxpool2d(args, kw, shape):
    check_layer(lambda T: T.nn.MaxPool2d(*args, **kw), [_x(*shape)])


def test_maxpool2d_return_indices():
    ours, ref = check_layer(lambda T: T.nn.MaxPool2d(2, return_indices=True),
                            [_x(2, 2, 4, 6)])
    x = _x(2, 2, 4, 6)
    vals, idx = ours(mt.tensor(x))
    tvals, tidx = ref(torch.tensor(x))
    assert idx.dtype == mt.int64
    np.testing.assert_array_equal(np_of(idx), np_of(tidx))


@pytest.mark.parametrize("args, kw, shape", [
    ((2,), {}, (2, 3, 6)),
    ((3,), dict(stride=1, padding=1, dilation=2), (1, 2, 9)),
    ((2,), dict(ceil_mode=True), (2, 7)),   # unbatched
])
def test_maxpool1d(args, kw, shape):
    check_layer(lambda T: T.nn.MaxPool1d(*args, **kw), [_x(*shape)])


def test_maxpool1d_return_indices():
    x = _x(1, 2, 8)
    vals, idx = mt.nn.MaxPool1d(3, 2, return_indices=True)(mt.tensor(x))
    tvals, tidx = torch.nn.MaxPool1d(3, 2, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(np_of(idx), np_of(tidx))
    np.testing.assert_allclose(np_of(vals), np_of(tvals))


@pytest.mark.parametrize("args, kw, shape", [
    ((2,), {}, (2, 3, 6, 6)),
    ((3,), dict(stride=2, padding=1), (1, 2, 7, 5)),
    ((3,), dict(stride=2, padding=1, count_include_pad=False, ceil_mode=True), (1, 2, 6, 6)),
    ((2,), dict(divisor_override=3), (1, 1, 4, 4)),
    (((1, 3),), {}, (2, 4, 6)),   # unbatched
])
def test_avgpool2d(args, kw, shape):
    check_layer(lambda T: T.nn.AvgPool2d(*args, **kw), [_x(*shape)])


@pytest.mark.parametrize("kw", [{}, dict(stride=1, padding=1, count_include_pad=False)])
def test_avgpool1d(kw):
    check_layer(lambda T: T.nn.AvgPool1d(3, **kw), [_x(2, 2, 7)])


@pytest.mark.parametrize("size, shape", [
    ((1, 1), (2, 3, 5, 7)), (3, (1, 2, 7, 5)), ((None, 2), (1, 1, 4, 5)), ((4, 3), (2, 4, 6)),
])
def test_adaptive_avgpool2d(size, shape):
    check_layer(lambda T: T.nn.AdaptiveAvgPool2d(size), [_x(*shape)])


def test_adaptive_avgpool1d():
    check_layer(lambda T: T.nn.AdaptiveAvgPool1d(3), [_x(2, 3, 7)])


@pytest.mark.parametrize("make", [
    lambda T: T.nn.MaxPool2d(3, stride=2, padding=1, dilation=2, ceil_mode=True),
    lambda T: T.nn.MaxPool1d(2),
    lambda T: T.nn.AvgPool2d((2, 3), padding=1),
    lambda T: T.nn.AvgPool1d(2),
    lambda T: T.nn.AdaptiveAvgPool2d((None, 3)),
    lambda T: T.nn.AdaptiveAvgPool1d(4),
])
def test_repr(make):
    assert repr(make(mt)) == repr(make(torch))


def test_errors():
    for T in (torch, mt):
        with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel "
                                               "size|pad should be smaller than or equal to half"):
            T.nn.MaxPool2d(2, padding=2)(T.zeros(1, 1, 4, 4))
        with pytest.raises(RuntimeError, match="Output size is too small"):
            T.nn.MaxPool2d(3)(T.zeros(1, 1, 2, 2))
        with pytest.raises(RuntimeError, match=r"non-empty 3D or 4D \(batch mode\) tensor "
                                               "expected for input"):
            T.nn.MaxPool2d(2)(T.zeros(4, 4))
