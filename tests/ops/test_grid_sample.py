"""F.grid_sample (modes, paddings, 2-D and 3-D) and F.affine_grid: values and gradients."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch

F = mt.nn.functional


def _grid(shape, seed=3, spread=1.4):
    return np.random.default_rng(seed).uniform(-spread, spread, shape)


def _bilinear_ref(x, grid):
    """Loops over output pixels: zeros padding, align_corners=False."""
    n, c, h, w = x.shape
    out = np.zeros((n, c) + grid.shape[1:3])
    for b in range(n):
        for i in range(grid.shape[1]):
            for j in range(grid.shape[2]):
                gx = ((grid[b, i, j, 0] + 1) * w - 1) / 2
                gy = ((grid[b, i, j, 1] + 1) * h - 1) / 2
                x0, y0 = int(np.floor(gx)), int(np.floor(gy))
                for yy, wy in ((y0, y0 + 1 - gy), (y0 + 1, gy - y0)):
                    for xx, wx in ((x0, x0 + 1 - gx), (x0 + 1, gx - x0)):
                        if 0 <= yy < h and 0 <= xx < w:
                            out[b, :, i, j] += wy * wx * x[b, :, yy, xx]
    return out


def test_bilinear_against_numpy():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    g = _grid((2, 3, 6, 2))
    check_op(lambda T, a, b: T.nn.functional.grid_sample(a, b, align_corners=False), [],
             arrays=[x, g], ref=_bilinear_ref)


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_2d_against_pytorch(mode, padding, align):
    x = np.random.default_rng(1).standard_normal((2, 2, 4, 5))
    g = _grid((2, 3, 4, 2), spread=1.6)
    # nearest: the grid gets no gradient (PyTorch's too); finite differences would see jumps
    check_op(lambda T, a, b: T.nn.functional.grid_sample(a, b, mode=mode, padding_mode=padding,
                                                         align_corners=align), [],
             arrays=[x, g], grad_inputs=(0,) if mode == "nearest" else (0, 1))


@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_3d_against_pytorch(mode, padding):
    x = np.random.default_rng(1).standard_normal((1, 2, 3, 4, 3))
    g = _grid((1, 2, 3, 2, 3), spread=1.3)
    check_op(lambda T, a, b: T.nn.functional.grid_sample(a, b, mode=mode, padding_mode=padding,
                                                         align_corners=False), [],
             arrays=[x, g], grad_inputs=(0,) if mode == "nearest" else (0, 1))


@requires_torch
def test_float32_and_node_name():
    x = np.random.default_rng(1).standard_normal((2, 2, 4, 5)).astype(np.float32)
    g = _grid((2, 3, 4, 2)).astype(np.float32)
    y = F.grid_sample(mt.tensor(x, requires_grad=True), mt.tensor(g), align_corners=True)
    e = torch.nn.functional.grid_sample(torch.tensor(x, requires_grad=True), torch.tensor(g),
                                        align_corners=True)
    assert y.dtype == mt.float32 and y.grad_fn.name() == e.grad_fn.name()
    np.testing.assert_allclose(y.detach().numpy(), e.detach().numpy(), rtol=1e-5, atol=1e-5)


def test_empty_batch_and_channels():
    y = F.grid_sample(mt.zeros(0, 2, 3, 3), mt.zeros(0, 4, 4, 2), align_corners=False)
    assert tuple(y.shape) == (0, 2, 4, 4)
    y = F.grid_sample(mt.zeros(2, 0, 3, 3), mt.zeros(2, 4, 4, 2), align_corners=False)
    assert tuple(y.shape) == (2, 0, 4, 4)


def test_align_corners_warning():
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(mt.zeros(1, 1, 2, 2), mt.zeros(1, 1, 1, 2))


_BAD = [
    lambda T, F: F.grid_sample(T.randn(2, 3, 5, 6), T.randn(2, 4, 7, 2), mode="foo"),
    lambda T, F: F.grid_sample(T.randn(2, 3, 5, 6), T.randn(2, 4, 7, 2), padding_mode="foo"),
    lambda T, F: F.grid_sample(T.randn(2, 3, 5, 6), T.randn(1, 4, 7, 2)),
    lambda T, F: F.grid_sample(T.randn(2, 3, 5, 6), T.randn(2, 4, 7, 1)),
    lambda T, F: F.grid_sample(T.randn(2, 3, 5, 6), T.randn(4, 7, 2)),
    lambda T, F: F.grid_sample(T.randn(2, 3, 5, 6), T.randn(2, 4, 7, 2).double()),
    lambda T, F: F.grid_sample(T.ones(2, 3, 5, 6).long(), T.ones(2, 4, 7, 2).long()),
    lambda T, F: F.grid_sample(T.randn(2, 3, 0, 6), T.randn(2, 4, 7, 2)),
    lambda T, F: F.grid_sample(T.randn(1, 3, 4, 5, 6), T.randn(1, 2, 2, 2, 3), mode="bicubic"),
    lambda T, F: F.affine_grid(T.randn(2, 2, 3), (2, 3, 4)),
    lambda T, F: F.affine_grid(T.randn(2, 2, 3), (3, 3, 4, 5)),
    lambda T, F: F.affine_grid(T.ones(2, 2, 3).long(), (2, 3, 4, 5)),
    lambda T, F: F.affine_grid(T.randn(2, 3), (2, 3, 4, 5)),
    lambda T, F: F.affine_grid(T.randn(2, 2, 3), (2, 3, 0, 5)),
    lambda T, F: F.affine_grid(T.randn(2, 3, 4), (2, 3, 4, 5)),
]


@requires_torch
@pytest.mark.parametrize("call", range(len(_BAD)))
def test_errors_match_pytorch(call):
    fn = _BAD[call]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as expected:
            fn(torch, torch.nn.functional)
        with pytest.raises(type(expected.value)) as got:
            fn(mt, F)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 5), (2, 3, 2, 3, 4)])
def test_affine_grid(size, align):
    theta = np.random.default_rng(0).standard_normal((2, len(size) - 2, len(size) - 1))

    def ref(t):
        axes = [np.linspace(-1, 1, n) * (1 if align or n == 1 else (n - 1) / n)
                if n > 1 else np.zeros(1) for n in size[2:]]
        mesh = np.meshgrid(*axes, indexing="ij")
        base = np.stack(list(mesh[::-1]) + [np.ones_like(mesh[0])], -1)
        return np.einsum("...k,nck->n...c", base, t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(lambda T, t: T.nn.functional.affine_grid(t, size, align_corners=align), [],
                 arrays=[theta], ref=ref)


def test_affine_then_sample_identity():
    x = mt.randn(1, 2, 4, 5)
    theta = mt.tensor([[[1.0, 0, 0], [0, 1.0, 0]]])
    grid = F.affine_grid(theta, (1, 2, 4, 5), align_corners=False)
    y = F.grid_sample(x, grid, align_corners=False)
    np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-6)
