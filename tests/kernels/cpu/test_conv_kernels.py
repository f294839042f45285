"""The stride-1 convolution kernels (kernels/cpu/conv.py: im2col_s1, col2im_s1) against the
general ones, the layout kernels against numpy, and the first-layer weight gradient summed in
column blocks (ops/convolution.py: _summed_in_chunks) against one product and PyTorch.

im2col_s1 copies the same values as im2col (zeros in the padding written in the same pass)
and col2im_s1 sums each input position's fields from 0.0 in the same order as col2im, so both
must agree bit for bit, for every geometry: 'same' widths (the one-run path), other widths
(the per-row path), padding wider than the input, dilation, and inf/NaN in the data.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.kernels.cpu import conv as K
from minitorch_nn.ops import convolution as C
from op_harness import requires_torch, torch

# (N, C, H, W), (kh, kw), (pad top, pad left), (dh, dw), extra bottom/right padding
GEOMETRIES = [
    ((2, 3, 7, 6), (3, 3), (1, 1), (1, 1), (1, 1)),    # 'same': one run per field
    ((2, 2, 5, 8), (3, 3), (0, 0), (1, 1), (0, 0)),    # 'valid': per row
    ((1, 2, 6, 5), (5, 3), (2, 1), (1, 1), (2, 1)),    # 'same', taller kernel
    ((2, 1, 5, 7), (3, 3), (2, 2), (2, 2), (2, 2)),    # dilated 'same'
    ((1, 2, 4, 4), (2, 4), (0, 1), (1, 1), (1, 2)),    # even kernel, padding bottom/right
    ((1, 1, 3, 2), (3, 3), (4, 5), (1, 1), (4, 5)),    # padding wider than the input
    ((2, 2, 6, 6), (3, 2), (3, 0), (2, 3), (0, 4)),    # more padding than a 'same' needs
    ((1, 3, 1, 9), (1, 3), (0, 1), (1, 1), (0, 1)),    # a 1-D convolution as H = 1
]


def _geometry(case):
    shape, k, pad, dil, extra = case
    out = tuple(shape[2 + a] + pad[a] + extra[a] - dil[a] * (k[a] - 1) for a in (0, 1))
    return shape, k, pad, dil, out


def _data(shape, dtype, seed=0, special=False):
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    if special:
        x.flat[::7] = np.inf
        x.flat[3::11] = np.nan
        x.flat[5::13] = -0.0
    return x


def _identical(a, b):
    np.testing.assert_array_equal(a, b)
    assert np.array_equal(np.signbit(a), np.signbit(b))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("special", [False, True])
@pytest.mark.parametrize("case", GEOMETRIES, ids=[str(i) for i in range(len(GEOMETRIES))])
def test_im2col_s1_equals_general_kernel(case, dtype, special):
    shape, (kh, kw), pad, dil, (oh, ow) = _geometry(case)
    x = _data(shape, dtype, special=special)
    rows, cols_n = shape[1] * kh * kw, shape[0] * oh * ow
    ours = np.full((rows, cols_n), 7.0, dtype)   # every entry must be written
    K.im2col_s1(x, ours, kh, kw, pad[0], pad[1], dil[0], dil[1], oh, ow)
    ref = np.empty((rows, cols_n), dtype)
    K.im2col(x, ref, kh, kw, 1, 1, pad[0], pad[1], dil[0], dil[1], oh, ow)
    _identical(ours, ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("special", [False, True])
@pytest.mark.parametrize("case", GEOMETRIES, ids=[str(i) for i in range(len(GEOMETRIES))])
def test_col2im_s1_equals_general_kernel(case, dtype, special):
    shape, (kh, kw), pad, dil, (oh, ow) = _geometry(case)
    cols = _data((shape[1] * kh * kw, shape[0] * oh * ow), dtype, seed=1, special=special)
    ours = np.full(shape, 7.0, dtype)   # written whole, not added to
    K.col2im_s1(cols, ours, kh, kw, pad[0], pad[1], dil[0], dil[1], oh, ow)
    ref = np.zeros(shape, dtype)
    K.col2im(cols, ref, kh, kw, 1, 1, pad[0], pad[1], dil[0], dil[1], oh, ow)
    _identical(ours, ref)


def test_serial_twins_agree():
    shape, (kh, kw), pad, dil, (oh, ow) = _geometry(GEOMETRIES[0])
    x = _data(shape, np.float32)
    a, b = (np.empty((shape[1] * kh * kw, shape[0] * oh * ow), np.float32) for _ in range(2))
    K.im2col_s1(x, a, kh, kw, pad[0], pad[1], dil[0], dil[1], oh, ow)
    K.im2col_s1_serial(x, b, kh, kw, pad[0], pad[1], dil[0], dil[1], oh, ow)
    _identical(a, b)
    ga, gb = np.empty(shape, np.float32), np.empty(shape, np.float32)
    K.col2im_s1(a, ga, kh, kw, pad[0], pad[1], dil[0], dil[1], oh, ow)
    K.col2im_s1_serial(a, gb, kh, kw, pad[0], pad[1], dil[0], dil[1], oh, ow)
    _identical(ga, gb)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layout_kernels_are_transposes(dtype):
    g = _data((3, 4, 5, 6), dtype, special=True)
    m = np.empty((4, 3 * 5 * 6), dtype)
    K.nchw_to_gemm(g, m)
    _identical(m, g.reshape(3, 4, 30).transpose(1, 0, 2).reshape(4, 90))
    back = np.empty_like(g)
    K.gemm_to_nchw(m, np.empty(0, dtype), back)
    _identical(back, g)
    bias = _data((4,), dtype, seed=1)
    K.gemm_to_nchw(m, bias, back)   # the bias added on the way: the same sums as before it
    _identical(back, (m + bias[:, None]).reshape(4, 3, 5, 6).transpose(1, 0, 2, 3))


def test_convolution_uses_the_stride1_kernels(monkeypatch):
    """conv2d's forward and input gradient at stride 1 go through im2col_s1/col2im_s1, and
    give the general kernels' numbers bit for bit."""
    x, w = _data((2, 3, 6, 5), np.float32), _data((4, 3, 3, 3), np.float32, seed=2)

    def run():
        xt, wt = mt.from_numpy(x.copy()).requires_grad_(), mt.from_numpy(w.copy())
        out = mt.conv2d(xt, wt, None, 1, 1)
        out.backward(mt.from_numpy(_data(tuple(out.shape), np.float32, seed=3)))
        return out.detach().numpy(), xt.grad.numpy()

    calls = []
    for name in ("im2col_s1", "col2im_s1"):
        kernel = getattr(K, name)
        monkeypatch.setattr(K, name, lambda *a, _k=kernel, _n=name: calls.append(_n) or _k(*a))
        monkeypatch.setattr(K, name + "_serial",
                            lambda *a, _k=kernel, _n=name: calls.append(_n) or _k(*a))
    from minitorch_nn.array_backends import base
    base._KERNELS.clear()
    fast = run()
    assert set(calls) == {"im2col_s1", "col2im_s1"}
    monkeypatch.setattr(K, "im2col_s1", None)
    monkeypatch.setattr(K, "im2col_s1_serial", None)
    monkeypatch.setattr(K, "col2im_s1", None)
    monkeypatch.setattr(K, "col2im_s1_serial", None)
    base._KERNELS.clear()
    general = run()
    base._KERNELS.clear()
    for a, b in zip(fast, general):
        _identical(a, b)


@pytest.mark.parametrize("shape", [(16, 9 * 1000 + 7), (3, 20000), (16, 2 * C._CHUNK + 1)])
def test_summed_in_chunks_equals_one_product(shape):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape)
    b = rng.standard_normal((9, shape[1]))
    assert C._thin(a, b)
    ours = C._summed_in_chunks(a, b)
    assert ours.flags.c_contiguous
    np.testing.assert_allclose(ours, a @ b.T, rtol=1e-12, atol=1e-12)


def test_thin_only_for_few_rows_and_long_products():
    assert not C._thin(np.empty((32, 50000)), np.empty((64, 50000)))
    assert not C._thin(np.empty((16, 2 * C._CHUNK)), np.empty((9, 2 * C._CHUNK)))


@requires_torch
@pytest.mark.parametrize("input_grad", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_first_layer_weight_gradient_matches_torch(dtype, input_grad):
    """A one-channel first layer (N*H*W = 9216): without an input gradient the weight
    gradient runs sample by sample from g's own layout (_per_sample_products), with one in
    column blocks of the transposed g (_summed_in_chunks)."""
    x = _data((4, 1, 48, 48), getattr(np, dtype))
    w = _data((16, 1, 3, 3), getattr(np, dtype), seed=1)
    b = _data((16,), getattr(np, dtype), seed=2)
    gout = _data((4, 16, 48, 48), getattr(np, dtype), seed=3)
    assert C._per_sample(gout, np.empty((9, 9216)), 1)
    grads = []
    for T, wrap in ((mt, mt.from_numpy), (torch, torch.from_numpy)):
        xt = wrap(x.copy()).requires_grad_(input_grad)
        wt, bt = wrap(w.copy()).requires_grad_(), wrap(b.copy()).requires_grad_()
        out = T.conv2d(xt, wt, bt, 1, 1)
        out.backward(wrap(gout.copy()))
        grads.append([out.detach().numpy(), wt.grad.numpy(), bt.grad.numpy()]
                     + ([xt.grad.numpy()] if input_grad else []))
    tol = {"rtol": 1e-4, "atol": 1e-3} if dtype == "float32" else {"rtol": 1e-10, "atol": 1e-10}
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, **tol)


def test_per_sample_products_equal_one_product():
    rng = np.random.default_rng(0)
    g = rng.standard_normal((5, 3, 40, 50))
    cols = rng.standard_normal((9, 5 * 2000))
    assert C._per_sample(g, cols, 1)
    ref = g.transpose(1, 0, 2, 3).reshape(3, -1) @ cols.T
    np.testing.assert_allclose(C._per_sample_products(g, cols), ref, rtol=1e-12, atol=1e-12)
    assert not C._per_sample(g, cols, 3)                                    # groups
    assert not C._per_sample(rng.standard_normal((1, 3, 100, 100)),         # long images
                             np.empty((9, 10000)), 1)
