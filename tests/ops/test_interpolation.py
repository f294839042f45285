"""F.interpolate (every mode), its gradients and errors, and the F.upsample* wrappers."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, make_arrays, requires_torch, torch

F = mt.nn.functional


def _interp(**kw):
    return lambda T, x: T.nn.functional.interpolate(x, **kw)


# ------------------------------------------------------------------ NumPy references
def _nearest_ref(x, out):
    """PyTorch's nearest rule with scale in/out: src = min(floor(o * in / out), in - 1)."""
    h, w = x.shape[-2:]
    rows = [min(int(math.floor(o * np.float32(h) / np.float32(out[0]))), h - 1)
            for o in range(out[0])]
    cols = [min(int(math.floor(o * np.float32(w) / np.float32(out[1]))), w - 1)
            for o in range(out[1])]
    return x[..., rows, :][..., cols]


def _bilinear_ref(x, out, align_corners):
    """Per-pixel bilinear interpolation by the documented coordinate maps (loops)."""
    h, w = x.shape[-2:]
    res = np.zeros(x.shape[:-2] + tuple(out))

    def src(o, n_in, n_out):
        if align_corners:
            return o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        return max((o + 0.5) * n_in / n_out - 0.5, 0.0)
    for oh in range(out[0]):
        sy = src(oh, h, out[0])
        y0 = min(int(sy), h - 1)
        y1, ly = min(y0 + 1, h - 1), sy - y0
        for ow in range(out[1]):
            sx = src(ow, w, out[1])
            x0 = min(int(sx), w - 1)
            x1, lx = min(x0 + 1, w - 1), sx - x0
            res[..., oh, ow] = ((1 - ly) * ((1 - lx) * x[..., y0, x0] + lx * x[..., y0, x1])
                                + ly * ((1 - lx) * x[..., y1, x0] + lx * x[..., y1, x1]))
    return res


@pytest.mark.parametrize("out", [(7, 3), (2, 9), (4, 5), (1, 1)])
def test_nearest_2d_against_numpy(out):
    check_op(_interp(size=out), [(2, 3, 4, 5)], ref=lambda a: _nearest_ref(a, out))


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("out", [(7, 3), (2, 9), (1, 1)])
def test_bilinear_against_numpy(out, align_corners):
    check_op(_interp(size=out, mode="bilinear", align_corners=align_corners), [(2, 3, 4, 5)],
             ref=lambda a: _bilinear_ref(a, out, align_corners))


# ------------------------------------------------------------------ every mode vs PyTorch
_CASES = [((2, 3, 5), m) for m in ("nearest", "nearest-exact", "linear", "area")] + \
    [((2, 2, 4, 5), m) for m in ("nearest", "nearest-exact", "bilinear", "bicubic", "area")] + \
    [((1, 2, 3, 4, 2), m) for m in ("nearest", "nearest-exact", "trilinear", "area")]
_SIZES = [dict(scale_factor=1.7), dict(scale_factor=0.6), dict(size=6), dict(size=1),
          dict(scale_factor=2.3, recompute_scale_factor=True)]


@pytest.mark.parametrize("kw", _SIZES, ids=str)
@pytest.mark.parametrize("shape,mode", _CASES, ids=str)
def test_modes_against_pytorch(shape, mode, kw):
    check_op(_interp(mode=mode, **kw), [shape])


@pytest.mark.parametrize("kw", [dict(size=6), dict(scale_factor=1.7), dict(size=1)], ids=str)
@pytest.mark.parametrize("shape,mode", [((2, 3, 5), "linear"), ((2, 2, 4, 5), "bilinear"),
                                        ((2, 2, 4, 5), "bicubic"),
                                        ((1, 2, 3, 4, 2), "trilinear")], ids=str)
def test_align_corners_against_pytorch(shape, mode, kw):
    check_op(_interp(mode=mode, align_corners=True, **kw), [shape])


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("kw", [dict(size=(3, 2)), dict(scale_factor=0.4), dict(size=(9, 7))],
                         ids=str)
def test_antialias_against_pytorch(mode, kw):
    check_op(_interp(mode=mode, antialias=True, **kw), [(1, 2, 8, 6)])


@requires_torch
@pytest.mark.parametrize("mode,shape", [("nearest", (1, 2, 5, 4)), ("bilinear", (1, 2, 5, 4)),
                                        ("bicubic", (1, 2, 5, 4)), ("nearest", (1, 2, 5)),
                                        ("linear", (1, 2, 5)), ("trilinear", (1, 1, 2, 3, 4))])
def test_node_names(mode, shape):
    x = mt.zeros(shape, requires_grad=True)
    tx = torch.zeros(shape, requires_grad=True)
    y = F.interpolate(x, scale_factor=2, mode=mode)
    assert y.grad_fn.name() == torch.nn.functional.interpolate(tx, scale_factor=2,
                                                               mode=mode).grad_fn.name()


def test_float32_kernel_matches_array_code():
    """The Numba bilinear kernel (float32, the CPU path) against the xp code path."""
    from minitorch_nn.ops import interpolation as I
    a = make_arrays([(2, 3, 6, 7)], dtype=np.float32)[0]
    x = mt.tensor(a, requires_grad=True)
    y = F.interpolate(x, size=(9, 4), mode="bilinear")
    g = np.random.default_rng(2).standard_normal(y.shape).astype(np.float32)
    y.backward(mt.tensor(g))
    x2 = mt.tensor(a, requires_grad=True)
    plan = I._plan("bilinear", (6, 7), (9, 4), None, False, False, np.float32)
    y2 = I._NODES[("bilinear", 4)].apply(x2, plan, False)
    y2.backward(mt.tensor(g))
    np.testing.assert_allclose(y.detach().numpy(), y2.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_kernel_refuses_bad_taps():
    from kernels.cpu import interpolate as K
    x = np.zeros((1, 1, 3, 3))
    out = np.zeros((1, 1, 2, 2))
    good = (np.zeros((2, 2), np.int64), np.zeros((2, 2)))
    bad = (np.full((2, 2), 3, np.int64), np.zeros((2, 2)))
    with pytest.raises(ValueError):
        K.bilinear2d_fwd(x, out, *bad, *good)
    with pytest.raises(ValueError):
        K.bilinear2d_bwd(out, x, *good, *bad)


# ------------------------------------------------------------------ dtypes and sizes
@requires_torch
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic", "area"])
def test_half_types(dtype, mode):
    a = make_arrays([(1, 2, 4, 5)], dtype=np.float32)[0]
    y = F.interpolate(mt.tensor(a).to(getattr(mt, dtype)), size=(7, 3), mode=mode)
    e = torch.nn.functional.interpolate(torch.tensor(a).to(getattr(torch, dtype)), size=(7, 3),
                                        mode=mode)
    assert str(y.dtype) == str(e.dtype)
    np.testing.assert_allclose(y.float().numpy(), e.float().numpy(), rtol=2e-2, atol=2e-2)


@requires_torch
def test_uint8_nearest():
    a = np.random.default_rng(0).integers(0, 255, (1, 2, 3, 4)).astype(np.uint8)
    y = F.interpolate(mt.tensor(a), scale_factor=2.5, mode="nearest")
    e = torch.nn.functional.interpolate(torch.tensor(a), scale_factor=2.5, mode="nearest")
    assert str(y.dtype) == "torch.uint8"
    np.testing.assert_array_equal(y.numpy(), e.numpy())


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
def test_zero_batch(mode):
    y = F.interpolate(mt.zeros(0, 2, 3, 3, requires_grad=True), size=5, mode=mode)
    assert tuple(y.shape) == (0, 2, 5, 5)
    y.sum().backward()


# ------------------------------------------------------------------ errors
_BAD = [
    lambda T, F: F.interpolate(T.randn(1, 2, 5, 6), size=(0, 3)),
    lambda T, F: F.interpolate(T.randn(1, 2, 5), size=0, mode="linear"),
    lambda T, F: F.interpolate(T.randn(1, 2, 3, 3, 3), size=(1, 0, 2)),
    lambda T, F: F.interpolate(T.randn(1, 2, 5, 6), scale_factor=0.1),
    lambda T, F: F.interpolate(T.randn(1, 2, 5, 6), size=3, scale_factor=2),
    lambda T, F: F.interpolate(T.randn(1, 2, 5, 6)),
    lambda T, F: F.interpolate(T.randn(1, 2, 5, 6), size=3, align_corners=True),
    lambda T, F: F.interpolate(T.randn(1, 2, 5, 6), size=3, mode="linear"),
    lambda T, F: F.interpolate(T.randn(1, 2, 5), size=3, mode="bilinear"),
    lambda T, F: F.interpolate(T.randn(1, 2, 5, 6), size=3, mode="foo"),
    lambda T, F: F.interpolate(T.randn(2, 3), size=3),
    lambda T, F: F.interpolate(T.ones(1, 2, 5, 6).long(), size=3, mode="bilinear"),
    lambda T, F: F.interpolate(T.ones(1, 2, 5).long(), size=3),
    lambda T, F: F.interpolate(T.ones(1, 2, 5, 3).bool(), size=3),
    lambda T, F: F.interpolate(T.ones(1, 2, 5, 3).int(), size=3, mode="area"),
    lambda T, F: F.interpolate(T.randn(1, 0, 3, 3), size=3),
    lambda T, F: F.interpolate(T.randn(1, 2, 0, 3), size=3),
    lambda T, F: F.interpolate(T.randn(1, 2, 5, 6), size=(3, 3, 3)),
    lambda T, F: F.interpolate(T.randn(1, 2, 5, 6), size=(3.0, 3)),
    lambda T, F: F.interpolate(T.randn(1, 2, 5, 6), scale_factor=(2, 2, 2)),
    lambda T, F: F.interpolate(T.randn(1, 2, 5, 6), size=3, recompute_scale_factor=True),
    lambda T, F: F.interpolate(T.randn(1, 2, 5, 6), size=3, antialias=True),
]


@requires_torch
@pytest.mark.parametrize("call", range(len(_BAD)))
def test_errors_match_pytorch(call):
    fn = _BAD[call]
    with pytest.raises(Exception) as expected:
        fn(torch, torch.nn.functional)
    with pytest.raises(type(expected.value)) as got:
        fn(mt, F)
    assert str(got.value) == str(expected.value)


# ------------------------------------------------------------------ deprecated wrappers
@pytest.mark.parametrize("name,kw", [("upsample", dict(mode="bilinear", align_corners=False)),
                                     ("upsample_nearest", {}), ("upsample_bilinear", {})])
def test_upsample_wrappers(name, kw):
    with pytest.warns(UserWarning, match=f"nn.functional.{name}` is deprecated"):
        check_op(lambda T, x: getattr(T.nn.functional, name)(x, size=(5, 3), **kw),
                 [(1, 2, 3, 4)])
