"""Conv3d, ConvTranspose3d, LazyConv3d, LazyConvTranspose3d and the 3-D / adaptive-max /
unpool / LP / fractional pooling layers against PyTorch: outputs and gradients (float64,
PyTorch's weights copied in), reprs, state_dict keys, initialisation, constructor errors."""
from __future__ import annotations

import math

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch

pytestmark = requires_torch


def _copy_params(ours, theirs):
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            dict(ours.named_parameters())[name].data = mt.tensor(p.detach().numpy().copy())


def _run(module, x, lib):
    x = lib.tensor(x, requires_grad=True)
    out = module(x)
    first = out[0] if isinstance(out, tuple) else out
    g = np.random.default_rng(1).standard_normal(tuple(first.shape))
    first.backward(lib.tensor(g))
    params = {n: p.grad.numpy() for n, p in module.named_parameters()}
    outs = out if isinstance(out, tuple) else (out,)
    return [o.detach().numpy() for o in outs], x.grad.numpy(), params


def _compare(ours, theirs, x):
    a, b = _run(ours, x, mt), _run(theirs, x, torch)
    for u, v in zip(a[0], b[0]):
        np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-10, atol=1e-12)
    assert a[2].keys() == b[2].keys()
    for k in a[2]:
        np.testing.assert_allclose(a[2][k], b[2][k], rtol=1e-10, atol=1e-12)


CONV = [
    ("Conv3d", (2, 4, 3), {}),
    ("Conv3d", (2, 4, (2, 3, 1)), dict(stride=(1, 2, 1), padding=1, dilation=(2, 1, 1))),
    ("Conv3d", (4, 2, 3), dict(groups=2, bias=False, padding="same")),
    ("Conv3d", (2, 2, 3), dict(padding=1, padding_mode="reflect")),
    ("Conv3d", (2, 2, 3), dict(padding=(1, 0, 2), padding_mode="circular")),
    ("ConvTranspose3d", (2, 3, 2), dict(stride=2)),
    ("ConvTranspose3d", (4, 2, (2, 3, 2)), dict(stride=(2, 1, 2), padding=1, output_padding=1,
                                                groups=2, dilation=(1, 2, 1))),
]


@pytest.mark.parametrize("name,args,kwargs", CONV, ids=[str(i) for i in range(len(CONV))])
def test_conv_layers(name, args, kwargs):
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(mt.nn, name)(*args, **kwargs, dtype=mt.float64)
    _copy_params(ours, theirs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((2, args[0], 5, 4, 6))
    _compare(ours, theirs, x)
    _compare(ours, theirs, x[0])   # unbatched


def test_conv_transpose3d_output_size():
    theirs = torch.nn.ConvTranspose3d(2, 2, 3, stride=2).double()
    ours = mt.nn.ConvTranspose3d(2, 2, 3, stride=2, dtype=mt.float64)
    _copy_params(ours, theirs)
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 3, 3))
    a = ours(mt.tensor(x), output_size=[8, 7, 8])
    b = theirs(torch.tensor(x), output_size=[8, 7, 8])
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10)
    for lib, m in ((mt, ours), (torch, theirs)):
        with pytest.raises(ValueError, match="requested an output size"):
            m(lib.tensor(x), output_size=[9, 9, 9])


def test_conv3d_init_is_kaiming_uniform_a_sqrt5():
    mt.manual_seed(0)
    conv = mt.nn.Conv3d(8, 16, (3, 2, 4))
    fan_in = 8 * 3 * 2 * 4
    bound = 1 / math.sqrt(fan_in)   # kaiming_uniform(a=sqrt(5)): gain*sqrt(3/fan_in)
    w = conv.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    b = conv.bias.detach().numpy()
    assert np.abs(b).max() <= bound
    t = mt.nn.ConvTranspose3d(4, 6, 2, groups=2)
    assert tuple(t.weight.shape) == (4, 3, 2, 2, 2)
    fan_t = 3 * 8   # PyTorch's fan_in of a transposed weight: dim 1 * kernel volume
    assert np.abs(t.weight.detach().numpy()).max() <= 1 / math.sqrt(fan_t)


@pytest.mark.parametrize("name,kwargs", [("LazyConv3d", dict(padding=1)),
                                         ("LazyConvTranspose3d", dict(stride=2))])
def test_lazy_conv3d(name, kwargs):
    ours = getattr(mt.nn, name)(4, 3, **kwargs)
    theirs = getattr(torch.nn, name)(4, 3, **kwargs)
    assert repr(ours) == repr(theirs)
    y = ours(mt.ones(2, 2, 4, 4, 4))
    theirs(torch.ones(2, 2, 4, 4, 4))
    assert type(ours).__name__ == type(theirs).__name__
    assert repr(ours) == repr(theirs)
    assert tuple(y.shape) == tuple(theirs(torch.ones(2, 2, 4, 4, 4)).shape)
    assert [tuple(p.shape) for p in ours.parameters()] == \
        [tuple(p.shape) for p in theirs.parameters()]


CONV_ERRORS = [
    ("Conv3d", (3, 2, 2), dict(groups=2)),
    ("Conv3d", (2, 3, 2), dict(groups=2)),
    ("Conv3d", (2, 2, 2), dict(padding="same", stride=2)),
    ("Conv3d", (2, 2, 2), dict(padding="full")),
    ("Conv3d", (2, 2, 2), dict(padding_mode="mirror")),
    ("ConvTranspose3d", (2, 2, 2), dict(padding_mode="reflect")),
    ("Conv3d", (2, 2, 2), dict(groups=0)),
]


@pytest.mark.parametrize("name,args,kwargs", CONV_ERRORS,
                         ids=[str(i) for i in range(len(CONV_ERRORS))])
def test_conv_constructor_errors(name, args, kwargs):
    errors = []
    for lib in (mt, torch):
        with pytest.raises(Exception) as info:
            getattr(lib.nn, name)(*args, **kwargs)
        errors.append((info.type, str(info.value).split("{")[0]))   # (a set's order varies)
    assert errors[0] == errors[1]


def test_conv3d_bad_input_as_pytorch():
    errors = []
    for lib in (mt, torch):
        with pytest.raises(RuntimeError) as info:
            lib.nn.Conv3d(2, 2, 2)(lib.ones(1, 3, 4, 4, 4))
        errors.append(str(info.value))
    assert errors[0] == errors[1]


# ------------------------------------------------------------------ pooling layers
POOL = [
    ("MaxPool3d", (2,), {}, (2, 2, 5, 4, 6)),
    ("MaxPool3d", ((2, 3, 2),), dict(stride=1, padding=1, dilation=(1, 1, 2), ceil_mode=True),
     (2, 2, 5, 4, 6)),
    ("MaxPool3d", (2,), dict(return_indices=True), (2, 5, 4, 6)),
    ("AvgPool3d", (2,), {}, (2, 2, 5, 4, 6)),
    ("AvgPool3d", (3,), dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False,
                             divisor_override=None), (2, 2, 5, 4, 6)),
    ("AvgPool3d", ((2, 1, 2),), dict(divisor_override=3), (2, 5, 4, 6)),
    ("AdaptiveAvgPool3d", ((2, None, 3),), {}, (2, 2, 5, 4, 6)),
    ("AdaptiveAvgPool3d", (1,), {}, (2, 5, 4, 6)),
    ("AdaptiveMaxPool1d", (3,), {}, (2, 3, 7)),
    ("AdaptiveMaxPool1d", (3,), dict(return_indices=True), (3, 7)),
    ("AdaptiveMaxPool2d", ((3, None),), dict(return_indices=True), (2, 3, 7, 5)),
    ("AdaptiveMaxPool3d", (2,), {}, (2, 2, 5, 4, 6)),
    ("LPPool1d", (2, 3), dict(stride=2), (2, 3, 7)),
    ("LPPool2d", (1.5, (2, 3)), dict(ceil_mode=True), (2, 3, 7, 5)),
    ("LPPool3d", (3, 2), {}, (2, 2, 5, 4, 6)),
    ("FractionalMaxPool2d", (2,), dict(output_size=(4, 3), return_indices=True), (2, 3, 7, 6)),
    ("FractionalMaxPool2d", ((2, 3),), dict(output_ratio=(0.5, 0.5)), (2, 3, 9, 8)),
]


def _fractional_kwargs(kwargs, shape):
    samples = np.random.default_rng(4).uniform(0, 1, (shape[0], shape[1], 2))
    return {**kwargs, "_random_samples": samples}


@pytest.mark.parametrize("name,args,kwargs,shape", POOL, ids=[str(i) for i in range(len(POOL))])
def test_pool_layers(name, args, kwargs, shape):
    x = np.random.default_rng(0).uniform(0.1, 2.0, shape)
    if name == "FractionalMaxPool2d":
        samples = _fractional_kwargs(kwargs, shape)["_random_samples"]
        ours = mt.nn.FractionalMaxPool2d(*args, **kwargs, _random_samples=mt.tensor(samples))
        theirs = torch.nn.FractionalMaxPool2d(*args, **kwargs,
                                              _random_samples=torch.tensor(samples))
    else:
        ours, theirs = getattr(mt.nn, name)(*args, **kwargs), \
            getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _compare(ours, theirs, x)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_max_unpool_layers(n):
    shape = (2, 2) + (6, 4, 4)[:n]
    x = np.random.default_rng(0).standard_normal(shape)
    outs = []
    for lib in (mt, torch):
        pool = getattr(lib.nn, f"MaxPool{n}d")(2, stride=2, return_indices=True)
        unpool = getattr(lib.nn, f"MaxUnpool{n}d")(2, stride=2)
        outs.append((repr(unpool), list(unpool.state_dict())))
        xt = lib.tensor(x, requires_grad=True)
        values, idx = pool(xt)
        y = unpool(values, idx, output_size=list(shape))
        (y * y).sum().backward()
        outs.append((y.detach().numpy().tolist(), xt.grad.numpy().tolist()))
    assert outs[0] == outs[2] and outs[1] == outs[3]


def test_fractional_layer_without_samples_and_constructor_errors():
    pool = mt.nn.FractionalMaxPool2d(3, output_ratio=0.5)
    assert repr(pool) == repr(torch.nn.FractionalMaxPool2d(3, output_ratio=0.5))
    assert list(pool.state_dict()) == []
    assert tuple(pool(mt.randn(1, 2, 10, 8)).shape) == (1, 2, 5, 4)
    for kwargs in (dict(), dict(output_size=2, output_ratio=0.5), dict(output_ratio=1.5)):
        errors = []
        for lib in (mt, torch):
            with pytest.raises(ValueError) as info:
                lib.nn.FractionalMaxPool2d(2, **kwargs)
            errors.append(str(info.value))
        assert errors[0] == errors[1]


@pytest.mark.parametrize("name,args,shape", [("MaxPool3d", (2,), (2, 4, 4)),
                                             ("AvgPool3d", (5,), (1, 2, 4, 4, 4)),
                                             ("AdaptiveMaxPool3d", (2,), (2, 4)),
                                             ("LPPool3d", (2, 5), (1, 2, 4, 4, 4))])
def test_pool_bad_input_as_pytorch(name, args, shape):
    errors = []
    for lib in (mt, torch):
        with pytest.raises(RuntimeError) as info:
            getattr(lib.nn, name)(*args)(lib.ones(*shape))
        errors.append(str(info.value))
    assert errors[0] == errors[1]
