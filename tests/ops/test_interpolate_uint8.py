"""F.interpolate / nn.Upsample of uint8 images, modes bilinear and bicubic: PyTorch's numbers
bit for bit (its fixed-point path), its memory format, no gradient, and the CUDA refusal."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch

F = mt.nn.functional
MODES = ("bilinear", "bicubic")


# ------------------------------------------------------------------ inputs in both libraries
def _pair(base: np.ndarray, layout: str):
    """The same uint8 image in minitorch_nn and PyTorch, with the same strides."""
    ours, theirs = _pair_unchecked(base, layout)
    assert tuple(ours.stride()) == tuple(theirs.stride())
    return ours, theirs


def _pair_unchecked(base: np.ndarray, layout: str):
    if layout == "channels_last":
        nhwc = np.ascontiguousarray(base.transpose(0, 2, 3, 1))
        return (mt.tensor(nhwc).permute(0, 3, 1, 2),
                torch.from_numpy(nhwc.copy()).permute(0, 3, 1, 2))
    if layout == "sliced":   # neither layout: every other channel of a wider image
        wide = np.concatenate([base, base], 1)
        return mt.tensor(wide)[:, ::2], torch.from_numpy(wide.copy())[:, ::2]
    return mt.tensor(base), torch.from_numpy(base.copy())


def _same(ours, theirs, what):
    assert ours.dtype == mt.uint8, what
    assert tuple(ours.shape) == tuple(theirs.shape), what
    got, want = ours.numpy(), theirs.numpy()
    diff = np.argwhere(got != want)
    assert diff.size == 0, f"{what}: {len(diff)} values differ, first at {diff[0].tolist()}"
    if ours.numel():
        assert tuple(ours.stride()) == tuple(theirs.stride()), f"{what}: strides"
    assert not ours.requires_grad and ours.grad_fn is None


def _random_case(rng):
    channels = int(rng.choice([1, 3, 4, 5]))
    shape = (int(rng.integers(1, 3)), channels) + tuple(
        int(v) for v in rng.choice([1, 2, 3, 5, 8, 13, 31], 2))
    mode = str(rng.choice(MODES))
    layout = str(rng.choice(["contiguous", "channels_last", "sliced"]))
    if rng.integers(2):
        factors = tuple(float(f) for f in rng.choice([0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.3], 2))
        kw = {"scale_factor": factors}
        if any(int(s * f) < 1 for s, f in zip(shape[2:], factors)):
            kw = {"scale_factor": 2.0}
    else:
        kw = {"size": tuple(int(v) for v in rng.choice([1, 2, 4, 7, 16, 37], 2))}
    return shape, mode, layout, kw


def _torch_or_error(t, **kw):
    try:
        return torch.nn.functional.interpolate(t, **kw)
    except RuntimeError as exc:   # PyTorch's AVX2 assert (see interpolation_uint8.py)
        assert "INTERNAL ASSERT" in str(exc)
        return None


# ------------------------------------------------------------------ differential tests
@requires_torch
@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_random_images_match_pytorch(seed, align_corners, antialias):
    rng = np.random.default_rng(100 * seed + 10 * align_corners + antialias)
    for _ in range(25):
        shape, mode, layout, kw = _random_case(rng)
        base = rng.integers(0, 256, shape, dtype=np.uint8)
        ours_in, torch_in = _pair(base, layout)
        opts = dict(mode=mode, align_corners=align_corners, antialias=antialias, **kw)
        want = _torch_or_error(torch_in, **opts)
        if want is None:
            continue
        _same(F.interpolate(ours_in, **opts), want, f"{shape} {layout} {opts}")


@requires_torch
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("size", [(1, 1), (1, 9), (9, 1), (3, 40), (40, 3), (17, 6)])
@pytest.mark.parametrize("channels", [1, 3, 4, 5])
def test_sizes_up_down_and_one_pixel(channels, size, antialias, mode):
    rng = np.random.default_rng(channels * 7 + size[0])
    for shape in [(2, channels, 11, 9), (1, channels, 1, 1), (1, channels, 1, 6)]:
        base = rng.integers(0, 256, shape, dtype=np.uint8)
        for layout in ("contiguous", "channels_last"):
            ours_in, torch_in = _pair(base, layout)
            opts = dict(size=size, mode=mode, antialias=antialias)
            want = _torch_or_error(torch_in, **opts)
            if want is not None:
                _same(F.interpolate(ours_in, **opts), want, f"{shape} {layout} {opts}")


@requires_torch
@pytest.mark.parametrize("channels", [5, 6])
def test_generic_loop_width_one_quirk(channels):
    """C > 4, NCHW output of width 1, height changed: PyTorch repeats output row 0."""
    base = np.random.default_rng(channels).integers(0, 256, (2, channels, 6, 4), np.uint8)
    for layout in ("contiguous", "channels_last"):
        ours_in, torch_in = _pair(base, layout)
        for mode in MODES:
            opts = dict(size=(9, 1), mode=mode, align_corners=True)
            _same(F.interpolate(ours_in, **opts), torch.nn.functional.interpolate(
                torch_in, **opts), f"{layout} {mode}")


@requires_torch
def test_large_downscale_with_antialias():
    rng = np.random.default_rng(5)
    base = rng.integers(0, 256, (1, 3, 97, 130), dtype=np.uint8)
    for mode in MODES:
        for layout in ("contiguous", "channels_last"):
            ours_in, torch_in = _pair(base, layout)
            opts = dict(size=(7, 5), mode=mode, antialias=True)
            _same(F.interpolate(ours_in, **opts), torch.nn.functional.interpolate(
                torch_in, **opts), f"{mode} {layout}")


@requires_torch
def test_upsample_module_and_zero_batch():
    rng = np.random.default_rng(3)
    base = rng.integers(0, 256, (2, 3, 5, 7), dtype=np.uint8)
    for mode in MODES:
        ours = mt.nn.Upsample(scale_factor=1.5, mode=mode, align_corners=False)
        theirs = torch.nn.Upsample(scale_factor=1.5, mode=mode, align_corners=False)
        _same(ours(mt.tensor(base)), theirs(torch.from_numpy(base)), mode)
    empty = np.zeros((0, 3, 5, 7), np.uint8)
    _same(F.interpolate(mt.tensor(empty), size=(3, 4), mode="bilinear"),
          torch.nn.functional.interpolate(torch.from_numpy(empty), size=(3, 4),
                                          mode="bilinear"), "zero batch")


@requires_torch
def test_same_size_is_a_copy():
    base = np.random.default_rng(4).integers(0, 256, (1, 3, 4, 5), dtype=np.uint8)
    x = mt.tensor(base)
    y = F.interpolate(x, size=(4, 5), mode="bicubic")
    _same(y, torch.nn.functional.interpolate(torch.from_numpy(base), size=(4, 5),
                                             mode="bicubic"), "copy")
    y[0, 0, 0, 0] = 0 if base[0, 0, 0, 0] else 1
    assert x.numpy()[0, 0, 0, 0] == base[0, 0, 0, 0]


@requires_torch
def test_other_uint8_modes_refused_like_pytorch():
    for mode, shape in [("linear", (1, 2, 5)), ("trilinear", (1, 2, 3, 4, 5))]:
        base = np.zeros(shape, np.uint8)
        with pytest.raises(NotImplementedError) as theirs:
            torch.nn.functional.interpolate(torch.from_numpy(base), scale_factor=2, mode=mode)
        with pytest.raises(NotImplementedError) as ours:
            F.interpolate(mt.tensor(base), scale_factor=2, mode=mode)
        assert str(ours.value) == str(theirs.value)


def test_uint8_cannot_require_grad():
    with pytest.raises(RuntimeError):
        mt.zeros(1, 3, 4, 4, dtype=mt.uint8).requires_grad_()


# ------------------------------------------------------------------ without PyTorch
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("antialias", [False, True])
def test_constant_images_stay_constant(mode, antialias):
    for value in (0, 1, 128, 254, 255):
        x = mt.full((1, 3, 7, 10), value, dtype=mt.uint8)
        for size in [(3, 4), (15, 21), (1, 1), (7, 3)]:
            y = F.interpolate(x, size=size, mode=mode, antialias=antialias)
            assert y.dtype == mt.uint8 and tuple(y.shape) == (1, 3) + size
            assert (y.numpy() == value).all(), (value, size)


def test_bicubic_overshoot_is_clamped():
    """A step edge makes the cubic overshoot below 0 and above 255: clamped, not wrapped."""
    x = np.zeros((1, 1, 1, 8), np.uint8)
    x[..., 4:] = 255
    y = F.interpolate(mt.tensor(x), size=(1, 29), mode="bicubic").numpy()[0, 0, 0]
    assert y.min() == 0 and y.max() == 255
    assert (np.diff(y.astype(int)) >= 0).all()   # wrapping would break the monotone ramp


@pytest.mark.cuda
def test_cuda_refuses_uint8_like_pytorch():
    if not mt.cuda.is_available():
        pytest.skip("no (fake) GPU")
    x = mt.zeros(1, 3, 4, 4, dtype=mt.uint8).cuda()
    for mode, kernel in (("bilinear", "upsample_bilinear2d_out_frame"),
                         ("bicubic", "upsample_bicubic2d_out_frame")):
        with pytest.raises(NotImplementedError, match=kernel):
            F.interpolate(x, size=(2, 2), mode=mode)
