"""BatchNorm1d/2d/3d, LayerNorm, GroupNorm against PyTorch: values, gradients, running stats
over several steps (train and eval), momentum=None, affine/track_running_stats, repr, errors."""
from __future__ import annotations

import re
from collections import OrderedDict

import numpy as np
import pytest

from layer_harness import check_layer, mt, np_of, to_mt_state, torch

RNG = np.random.default_rng(4)


def _x(*shape):
    return RNG.standard_normal(shape) * 2 + 1


# ---------------------------------------------------------------------------- batch norm
@pytest.mark.parametrize("cls, shape", [("BatchNorm1d", (4, 3)), ("BatchNorm1d", (3, 3, 5)),
                                        ("BatchNorm2d", (2, 3, 4, 4)),
                                        ("BatchNorm3d", (2, 3, 2, 2, 3))])
@pytest.mark.parametrize("kw", [{}, dict(affine=False), dict(track_running_stats=False),
                                dict(momentum=None), dict(momentum=0.3, eps=1e-3),
                                dict(bias=False)])
@pytest.mark.parametrize("train", [True, False])
def test_batchnorm_matches_torch(cls, shape, kw, train):
    mt_mod, th_mod = check_layer(lambda T: getattr(T.nn, cls)(3, **kw), [_x(*shape)],
                                 train=train)
    if th_mod.weight is not None:   # give the affine parameters non-trivial values too
        with torch.no_grad():
            th_mod.weight.uniform_(0.5, 1.5)
        check_layer(lambda T: getattr(T.nn, cls)(3, **kw), [_x(*shape)], train=train)


@pytest.mark.parametrize("momentum", [0.1, None, 0.5])
def test_running_stats_over_steps(momentum):
    """Several training steps, then eval: running stats and outputs equal PyTorch's."""
    th = torch.nn.BatchNorm2d(2, momentum=momentum).double()
    ours = mt.nn.BatchNorm2d(2, momentum=momentum).double()
    for step in range(4):
        x = _x(3, 2, 3, 3)
        a, b = ours(mt.tensor(x)), th(torch.tensor(x))
        np.testing.assert_allclose(np_of(a), np_of(b), rtol=1e-10, atol=1e-12)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(np_of(getattr(ours, name)), np_of(getattr(th, name)),
                                   rtol=1e-10)
    assert int(ours.num_batches_tracked) == 4 and ours.num_batches_tracked.dtype == mt.int64
    ours.eval()
    th.eval()
    x = _x(2, 2, 3, 3)
    np.testing.assert_allclose(np_of(ours(mt.tensor(x))), np_of(th(torch.tensor(x))),
                               rtol=1e-10)
    assert int(ours.num_batches_tracked) == 4   # eval does not count


def test_eval_without_running_stats_uses_batch_stats():
    x = _x(4, 3).astype(np.float32)
    for T in (torch, mt):
        m = T.nn.BatchNorm1d(3, track_running_stats=False).eval()
        y = np_of(m(T.tensor(x)))
        np.testing.assert_allclose(y.mean(0), 0, atol=1e-6)


def test_running_buffers_are_updated_in_place():
    m = mt.nn.BatchNorm1d(2)
    mean, var, count = m.running_mean, m.running_var, m.num_batches_tracked
    m(mt.randn(5, 2))
    assert m.running_mean is mean and m.running_var is var and m.num_batches_tracked is count
    assert not np.allclose(np_of(mean), 0)


def test_reset_running_stats_and_parameters():
    m = mt.nn.BatchNorm1d(2)
    m(mt.randn(5, 2))
    with mt.no_grad():
        m.weight.fill_(3.0)
    m.reset_parameters()
    assert np.all(np_of(m.running_mean) == 0) and np.all(np_of(m.running_var) == 1)
    assert int(m.num_batches_tracked) == 0 and np.all(np_of(m.weight) == 1)


def test_state_dict_version_and_keys():
    for T in (torch, mt):
        m = T.nn.BatchNorm2d(3)
        sd = m.state_dict()
        assert list(sd) == ["weight", "bias", "running_mean", "running_var",
                            "num_batches_tracked"]
        assert sd._metadata[""]["version"] == 2 and T.nn.BatchNorm2d._version == 2
        assert list(T.nn.BatchNorm2d(3, affine=False, track_running_stats=False)
                    .state_dict()) == []
        # a version-1 checkpoint has no num_batches_tracked: loading it is not an error
        old = OrderedDict((k, v) for k, v in sd.items() if k != "num_batches_tracked")
        old._metadata = {"": {"version": 1}}
        assert T.nn.BatchNorm2d(3).load_state_dict(old).missing_keys == []


def test_load_torch_state_dict_after_training():
    th = torch.nn.BatchNorm1d(3)
    for _ in range(3):
        th(torch.randn(4, 3))
    ours = mt.nn.BatchNorm1d(3)
    ours.load_state_dict(to_mt_state(th))
    assert int(ours.num_batches_tracked) == 3
    np.testing.assert_allclose(np_of(ours.running_var), np_of(th.running_var), rtol=1e-6)


def test_float_conversion_keeps_counter_int64():
    m = mt.nn.BatchNorm1d(2).double()
    assert m.running_mean.dtype == mt.float64 and m.num_batches_tracked.dtype == mt.int64


@pytest.mark.parametrize("cls, shape, message", [
    ("BatchNorm1d", (2, 3, 4, 4), "expected 2D or 3D input (got 4D input)"),
    ("BatchNorm2d", (2, 3), "expected 4D input (got 2D input)"),
    ("BatchNorm3d", (2, 3, 4, 4), "expected 5D input (got 4D input)"),
])
def test_input_dim_errors(cls, shape, message):
    for T in (torch, mt):
        with pytest.raises(ValueError, match=re.escape(message)):
            getattr(T.nn, cls)(3)(T.zeros(*shape))


def test_channel_and_batch_errors():
    for T in (torch, mt):
        with pytest.raises(RuntimeError, match="running_mean should contain 4 elements not 3"):
            T.nn.BatchNorm1d(3)(T.zeros(2, 4))
        with pytest.raises(ValueError, match="Expected more than 1 value per channel when "
                                             "training"):
            T.nn.BatchNorm1d(3)(T.zeros(1, 3))


@pytest.mark.parametrize("make", [
    lambda T: T.nn.BatchNorm1d(4), lambda T: T.nn.BatchNorm2d(3, momentum=None, affine=False),
    lambda T: T.nn.BatchNorm3d(2, eps=1e-3, track_running_stats=False, bias=False),
    lambda T: T.nn.LayerNorm(4), lambda T: T.nn.LayerNorm([2, 3], elementwise_affine=False),
    lambda T: T.nn.LayerNorm((3,), bias=False, eps=1e-6), lambda T: T.nn.GroupNorm(2, 4),
    lambda T: T.nn.GroupNorm(1, 3, affine=False), lambda T: T.nn.GroupNorm(3, 6, bias=False),
])
def test_repr_and_keys(make):
    ours, ref = make(mt), make(torch)
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())


def test_class_structure_for_lazy_modules():
    from minitorch_nn.nn.modules import batchnorm
    assert issubclass(mt.nn.BatchNorm2d, batchnorm._BatchNorm)
    assert issubclass(batchnorm._BatchNorm, batchnorm._NormBase)


# ---------------------------------------------------------------------------- layer/group norm
@pytest.mark.parametrize("args, kw, shape", [
    ((4,), {}, (3, 4)), (([2, 3],), {}, (2, 2, 3)), ((3,), dict(bias=False), (2, 5, 3)),
    ((3,), dict(elementwise_affine=False, eps=1e-3), (4, 3)),
])
def test_layernorm_matches_torch(args, kw, shape):
    def make(T):
        m = T.nn.LayerNorm(*args, **kw)
        if m.weight is not None:
            with T.no_grad():
                m.weight.uniform_(0.5, 1.5)
        return m
    check_layer(make, [_x(*shape)])


@pytest.mark.parametrize("args, kw, shape", [
    ((2, 4), {}, (3, 4, 5)), ((1, 3), dict(affine=False), (2, 3, 2, 2)),
    ((3, 6), dict(eps=1e-3), (2, 6)), ((2, 4), dict(bias=False), (2, 4, 3))])
def test_groupnorm_matches_torch(args, kw, shape):
    def make(T):
        m = T.nn.GroupNorm(*args, **kw)
        if m.weight is not None:
            with T.no_grad():
                m.weight.uniform_(0.5, 1.5)
        return m
    check_layer(make, [_x(*shape)])


def test_norm_errors():
    for T in (torch, mt):
        with pytest.raises(ValueError, match=re.escape(
                "num_channels (5) must be divisible by num_groups (2)")):
            T.nn.GroupNorm(2, 5)
        with pytest.raises(RuntimeError, match=re.escape(
                "Given normalized_shape=[4], expected input with shape [*, 4], but got input "
                "of size[2, 3]")):
            T.nn.LayerNorm(4)(T.zeros(2, 3))
        with pytest.raises(RuntimeError, match="Expected number of channels in input to be "
                                               "divisible by num_groups"):
            T.nn.GroupNorm(2, 4)(T.zeros(2, 3, 2))
