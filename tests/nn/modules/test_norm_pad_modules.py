"""Issue 12 normalization and padding layers against PyTorch's: InstanceNorm1d/2d/3d (and
lazy), RMSNorm, LocalResponseNorm, CrossMapLRN2d, SyncBatchNorm, and the padding layers."""
from __future__ import annotations

import numpy as np
import pytest

from layer_harness import check_layer, mt, torch

RNG = np.random.default_rng(0)


def _x(*shape):
    return RNG.standard_normal(shape) * 2 + 0.5


INSTANCE = [
    ("1d", lambda T: T.nn.InstanceNorm1d(3), (2, 3, 5)),
    ("1d_unbatched", lambda T: T.nn.InstanceNorm1d(3, affine=True), (3, 5)),
    ("2d_affine_track", lambda T: T.nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
     (2, 3, 4, 3)),
    ("2d_momentum", lambda T: T.nn.InstanceNorm2d(2, momentum=0.5, track_running_stats=True),
     (3, 2, 2, 3)),
    ("2d_no_bias", lambda T: T.nn.InstanceNorm2d(2, affine=True, bias=False), (1, 2, 3, 3)),
    ("3d", lambda T: T.nn.InstanceNorm3d(2, eps=1e-3, affine=True), (2, 2, 2, 3, 2)),
    ("3d_unbatched_track", lambda T: T.nn.InstanceNorm3d(2, track_running_stats=True),
     (2, 2, 3, 2)),
]


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("name,make,shape", INSTANCE, ids=[c[0] for c in INSTANCE])
def test_instance_norm_layers(name, make, shape, train):
    check_layer(make, [_x(*shape)], train=train)


def test_instance_norm_running_stats_over_steps():
    layers = [T.nn.InstanceNorm1d(2, track_running_stats=True, momentum=None).double()
              for T in (torch, mt)]
    for step in range(3):
        a = _x(4, 2, 6)
        layers[0](torch.tensor(a))
        layers[1](mt.tensor(a))
    for key in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(layers[1].state_dict()[key].numpy(),
                                   layers[0].state_dict()[key].numpy(), rtol=1e-12)
    layers[0].eval()
    layers[1].eval()
    a = _x(2, 2, 3)
    np.testing.assert_allclose(layers[1](mt.tensor(a)).numpy(),
                               layers[0](torch.tensor(a)).numpy(), rtol=1e-10)


@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (3, 4, 5)),
                                       ("InstanceNorm2d", (2, 4, 3, 3)),
                                       ("InstanceNorm3d", (1, 4, 2, 2, 2))])
def test_lazy_instance_norm(cls, shape):
    a = _x(*shape)
    ours = getattr(mt.nn, "Lazy" + cls)()
    theirs = getattr(torch.nn, "Lazy" + cls)()
    assert repr(ours) == repr(theirs)
    y, ty = ours(mt.tensor(a).float()), theirs(torch.tensor(a).float())
    assert type(ours).__name__ == cls and repr(ours) == repr(theirs)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize("make,shape", [
    (lambda T: T.nn.InstanceNorm1d(3), (2, 3, 4, 5)),
    (lambda T: T.nn.InstanceNorm2d(3), (3, 4)),
    (lambda T: T.nn.InstanceNorm2d(3, affine=True), (2, 4, 3, 3)),
    (lambda T: T.nn.InstanceNorm1d(3), (2, 3, 1)),
    (lambda T: T.nn.SyncBatchNorm(3), (3,)),
    (lambda T: T.nn.SyncBatchNorm(0), (2, 0, 3)),
    (lambda T: T.nn.RMSNorm(4), (2, 3)),
    (lambda T: T.nn.LocalResponseNorm(2), (2, 3)),
    (lambda T: T.nn.CrossMapLRN2d(2), (2, 3, 4)),
    (lambda T: T.nn.CircularPad2d(1), (2, 3)),
    (lambda T: T.nn.ReflectionPad1d(3), (1, 2, 3)),
], ids=["in1d_4d", "in2d_2d", "in2d_affine_channels", "in1d_one_spatial", "sync_1d",
        "sync_zero_channels", "rms_shape", "lrn_2d", "crossmap_3d", "circ2d_2d", "reflect_big"])
def test_bad_input_errors_like_pytorch(make, shape):
    errors = []
    for T in (torch, mt):
        with pytest.raises(Exception) as info:   # noqa: B017 - compared below
            make(T)(T.ones(shape))
        errors.append((info.type, str(info.value)[:60]))
    assert errors[0] == errors[1]


def test_instance_norm_channel_mismatch_warns_without_affine():
    with pytest.warns(UserWarning, match="does not match num_features"):
        mt.nn.InstanceNorm1d(5)(mt.randn(2, 3, 4))


# ------------------------------------------------------------------ RMSNorm, LRN, SyncBatchNorm
@pytest.mark.parametrize("make,shape", [
    (lambda T: T.nn.RMSNorm(4), (3, 4)),
    (lambda T: T.nn.RMSNorm([3, 4], eps=1e-3), (2, 3, 4)),
    (lambda T: T.nn.RMSNorm(4, elementwise_affine=False), (2, 4)),
    (lambda T: T.nn.LocalResponseNorm(3), (2, 5, 3)),
    (lambda T: T.nn.LocalResponseNorm(2, 0.5, 0.6, 2.0), (2, 4, 3, 2)),
    (lambda T: T.nn.CrossMapLRN2d(3, 0.3, 0.6, 1.5), (2, 5, 3, 2)),
    (lambda T: T.nn.SyncBatchNorm(3), (4, 3, 2)),
    (lambda T: T.nn.SyncBatchNorm(3, momentum=None, affine=False), (4, 3)),
    (lambda T: T.nn.SyncBatchNorm(2, track_running_stats=False, bias=False), (4, 2, 2, 2)),
], ids=["rms", "rms_2d", "rms_noaffine", "lrn", "lrn_4d", "crossmap", "sync", "sync_cum",
        "sync_notrack"])
@pytest.mark.parametrize("train", [True, False])
def test_norm_layers(make, shape, train):
    if train:   # non-trivial weights and buffers, so the state_dict copy is checked too
        def build(T, make=make):
            m = make(T)
            with T.no_grad():
                for p in m.parameters():
                    p.copy_(T.linspace(0.5, 1.5, p.numel()).reshape(p.shape))
            return m
    else:
        build = make
    check_layer(build, [_x(*shape)], train=train)


def test_convert_sync_batchnorm():
    model = mt.nn.Sequential(mt.nn.Linear(3, 4), mt.nn.BatchNorm1d(4),
                             mt.nn.Sequential(mt.nn.BatchNorm2d(2, affine=False)))
    model.eval()
    bn = model[1]
    out = mt.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert out is model and type(model[1]) is mt.nn.SyncBatchNorm
    assert type(model[2][0]) is mt.nn.SyncBatchNorm and model[2][0].affine is False
    assert model[1].weight is bn.weight and model[1].running_mean is bn.running_mean
    assert model[1].training is False
    theirs = torch.nn.SyncBatchNorm.convert_sync_batchnorm(
        torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                            torch.nn.Sequential(torch.nn.BatchNorm2d(2, affine=False))))
    assert repr(model) == repr(theirs)
    single = mt.nn.SyncBatchNorm.convert_sync_batchnorm(mt.nn.BatchNorm3d(5))
    assert type(single) is mt.nn.SyncBatchNorm and single.num_features == 5


# ------------------------------------------------------------------ padding layers
PADS = [("ReflectionPad1d", 2, (2, 3, 4)), ("ReflectionPad2d", (1, 0, 2, 1), (2, 3, 4)),
        ("ReflectionPad3d", 1, (1, 2, 2, 3, 4)), ("ReplicationPad1d", (3, -1), (2, 3, 4)),
        ("ReplicationPad2d", 2, (1, 2, 3, 4)), ("ReplicationPad3d", (1, 2, 0, 1, 2, 0),
                                                 (2, 2, 3, 4)),
        ("CircularPad1d", (1, 2), (2, 3, 4)), ("CircularPad2d", 1, (1, 2, 3, 4)),
        ("CircularPad3d", (1, 0, -1, 1, 2, 1), (1, 1, 2, 3, 4)),
        ("ZeroPad1d", 2, (2, 3)), ("ZeroPad2d", (1, -1, 2, 0), (1, 2, 3, 4)),
        ("ZeroPad3d", 1, (2, 2, 2, 2))]


@pytest.mark.parametrize("name,padding,shape", PADS, ids=[p[0] for p in PADS])
def test_padding_layers(name, padding, shape):
    check_layer(lambda T: getattr(T.nn, name)(padding), [_x(*shape)])


@pytest.mark.parametrize("name", ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d"])
@pytest.mark.parametrize("padding", [2, (1, 0, 2, 1, 0, 3)])
def test_constant_padding_layers(name, padding):
    dims = int(name[-2])
    if isinstance(padding, tuple):
        padding = padding[:2 * dims]
    check_layer(lambda T: getattr(T.nn, name)(padding, 3.5), [_x(2, 3, 4, 3)])


def test_all_pytorch_padding_layers_exist():
    import torch.nn.modules.padding as tp
    assert [n for n in tp.__all__ if not hasattr(mt.nn, n)] == []
    assert isinstance(mt.nn.ZeroPad2d(1), mt.nn.ConstantPad2d)
