"""Upsample, UpsamplingNearest2d/Bilinear2d, Fold, Unfold, PixelShuffle, PixelUnshuffle and
ChannelShuffle layers against PyTorch: outputs, input gradients, reprs, errors."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch

pytestmark = requires_torch

_LAYERS = [
    ("Upsample", dict(scale_factor=2), (1, 2, 3, 4)),
    ("Upsample", dict(size=(5, 3), mode="bilinear"), (1, 2, 3, 4)),
    ("Upsample", dict(scale_factor=(1.5, 2.0), mode="bicubic", align_corners=True),
     (1, 2, 3, 4)),
    ("Upsample", dict(size=7, mode="linear"), (2, 3, 4)),
    ("Upsample", dict(scale_factor=1.7, mode="trilinear", recompute_scale_factor=True),
     (1, 1, 2, 3, 2)),
    ("UpsamplingNearest2d", dict(scale_factor=3), (1, 2, 2, 3)),
    ("UpsamplingNearest2d", dict(size=(4, 5)), (1, 2, 2, 3)),
    ("UpsamplingBilinear2d", dict(scale_factor=2), (1, 2, 3, 3)),
    ("Unfold", dict(kernel_size=(2, 3), dilation=1, padding=1, stride=2), (2, 3, 5, 6)),
    ("Fold", dict(output_size=(4, 5), kernel_size=2), (2, 12, 12)),
    ("PixelShuffle", dict(upscale_factor=2), (2, 8, 3, 2)),
    ("PixelUnshuffle", dict(downscale_factor=2), (2, 2, 4, 6)),
    ("ChannelShuffle", dict(groups=3), (2, 6, 2, 2)),
]


@pytest.mark.parametrize("name,kw,shape", _LAYERS, ids=lambda v: str(v))
def test_layer_against_pytorch(name, kw, shape):
    ours = getattr(mt.nn, name)(**kw)
    theirs = getattr(torch.nn, name)(**kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    a = np.random.default_rng(0).standard_normal(shape)
    x = mt.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(tuple(ty.shape))
    y.backward(mt.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,kw", [("Upsample", dict(size=(2, 3))),
                                     ("Upsample", dict(scale_factor=(2, 3))),
                                     ("Upsample", dict()),
                                     ("Fold", dict(output_size=3, kernel_size=(2, 1))),
                                     ("PixelUnshuffle", dict(downscale_factor=3))])
def test_reprs(name, kw):
    assert repr(getattr(mt.nn, name)(**kw)) == repr(getattr(torch.nn, name)(**kw))


@pytest.mark.parametrize("name,kw,shape", [
    ("Upsample", dict(scale_factor=2, mode="bilinear"), (1, 2, 3)),
    ("Upsample", dict(size=2, align_corners=True), (1, 2, 3, 3)),
    ("Upsample", dict(), (1, 2, 3, 3)),
    ("Fold", dict(output_size=(4, 5), kernel_size=3), (2, 12, 12)),
    ("Unfold", dict(kernel_size=9), (1, 2, 3, 3)),
    ("PixelShuffle", dict(upscale_factor=3), (1, 8, 2, 2)),
    ("ChannelShuffle", dict(groups=4), (1, 6, 2, 2)),
])
def test_bad_input_errors(name, kw, shape):
    with pytest.raises(Exception) as expected:
        getattr(torch.nn, name)(**kw)(torch.zeros(shape))
    with pytest.raises(type(expected.value)) as got:
        getattr(mt.nn, name)(**kw)(mt.zeros(shape))
    assert str(got.value) == str(expected.value)
