"""Second and third derivatives of convolution, pooling, attention, embedding, padding, pixel
shuffle, fold/unfold and interpolation ops, checked against finite differences and PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from double_backward import check_double_backward


def _r(*shape, seed=0, low=-1.0, high=1.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def _F(T):
    return T.nn.functional


# ------------------------------------------------------------------ convolutions
CONV2D = [
    dict(),
    dict(stride=2),
    dict(padding=1),
    dict(padding=(1, 0), dilation=(1, 2)),
    dict(groups=2),
    dict(stride=(2, 1), padding=1, groups=2),
    dict(padding="same"),
    dict(padding="same", dilation=1),
]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("kw", CONV2D)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d(kw, bias):
    x, w, b = _r(2, 2, 4, 5), _r(2, 1 if kw.get("groups") else 2, 2, 3, seed=1), _r(2, seed=2)
    if bias:
        check_double_backward(lambda T, x, w, b: _F(T).conv2d(x, w, b, **kw), x, w, b,
                              third=kw == {})
    else:
        check_double_backward(lambda T, x, w: _F(T).conv2d(x, w, **kw), x, w)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=2, groups=2),
                                dict(padding="same")])
def test_conv1d(kw):
    x, w, b = _r(2, 2, 6), _r(2, 1 if kw.get("groups") else 2, 3, seed=1), _r(2, seed=2)
    check_double_backward(lambda T, x, w, b: _F(T).conv1d(x, w, b, **kw), x, w, b,
                          third=not kw)


def test_conv2d_unbatched():
    check_double_backward(lambda T, x, w: _F(T).conv2d(x, w, padding=1),
                          _r(2, 3, 3), _r(3, 2, 2, 2, seed=1))


CONV_T = [dict(), dict(stride=2), dict(stride=2, padding=1, output_padding=1),
          dict(groups=2), dict(dilation=2, padding=1), dict(stride=2, dilation=2,
                                                             output_padding=1)]


@pytest.mark.parametrize("kw", CONV_T)
def test_conv_transpose2d(kw):
    x, w, b = _r(2, 2, 3, 3), _r(2, 2, 2, 3, seed=1), _r(2 * kw.get("groups", 1), seed=2)
    check_double_backward(lambda T, x, w, b: _F(T).conv_transpose2d(x, w, b, **kw), x, w, b,
                          third=kw == {"stride": 2})


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1),
                                dict(groups=2, dilation=2)])
def test_conv_transpose1d(kw):
    x, w, b = _r(2, 2, 4), _r(2, 1, 3, seed=1), _r(kw.get("groups", 1), seed=2)
    check_double_backward(lambda T, x, w, b: _F(T).conv_transpose1d(x, w, b, **kw), x, w, b,
                          third=not kw)


def test_conv_weight_only():
    """Input a constant: only the weight (and the grad_output) is differentiated."""
    check_double_backward(lambda T, x, w: (lambda y: y * y)(_F(T).conv2d(x, w, stride=2)),
                          _r(1, 2, 4, 4), _r(2, 2, 2, 2, seed=1), no_grad=(0,), third=True)


def test_conv_composed():
    """conv → square → conv: the Hessian has the curvature of the square through both."""
    def fn(T, x, w1, w2):
        y = _F(T).conv2d(x, w1, padding=1)
        return _F(T).conv2d(y * y, w2)
    check_double_backward(fn, _r(1, 2, 4, 4), _r(2, 2, 3, 3, seed=1), _r(1, 2, 2, 2, seed=2),
                          third=True)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, dilation=(1, 2, 1)),
                                dict(groups=2)])
def test_conv3d(kw):
    x, w, b = _r(1, 2, 3, 4, 3), _r(2, 1 if kw.get("groups") else 2, 2, 2, 2, seed=1), \
        _r(2, seed=2)
    check_double_backward(lambda T, x, w, b: _F(T).conv3d(x, w, b, **kw), x, w, b,
                          third=not kw)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1)])
def test_conv_transpose3d(kw):
    x, w, b = _r(1, 2, 2, 3, 2), _r(2, 2, 2, 2, 2, seed=1), _r(2, seed=2)
    check_double_backward(lambda T, x, w, b: _F(T).conv_transpose3d(x, w, b, **kw), x, w, b)


# ------------------------------------------------------------------ pooling
def _distinct(*shape, seed=0):
    """Values with no ties (max pooling's argmax is unambiguous)."""
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape) / n - 0.5


def _cube(T, y):
    return y * y * y   # curvature after a linear (in x) pooling


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
                                dict(kernel_size=2, stride=1, dilation=2),
                                dict(kernel_size=(2, 3), stride=2, ceil_mode=True)])
def test_max_pool2d(kw):
    check_double_backward(lambda T, x: _cube(T, _F(T).max_pool2d(x, **kw)),
                          _distinct(2, 2, 4, 5), third=kw["kernel_size"] == 2)


def test_max_pool2d_unbatched_indices():
    def fn(T, x):
        y, _ = _F(T).max_pool2d(x, 2, return_indices=True)
        return y * y
    check_double_backward(fn, _distinct(2, 4, 4))


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=2, return_indices=True)])
def test_max_pool1d(kw):
    def fn(T, x):
        y = _F(T).max_pool1d(x, **kw)
        y = y[0] if isinstance(y, tuple) else y
        return y * y
    check_double_backward(fn, _distinct(2, 3, 6), third=len(kw) == 1)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=3, padding=1, count_include_pad=False),
                                dict(kernel_size=2, stride=1, divisor_override=3),
                                dict(kernel_size=(2, 3), stride=2, ceil_mode=True)])
def test_avg_pool2d(kw):
    check_double_backward(lambda T, x: _cube(T, _F(T).avg_pool2d(x, **kw)), _r(2, 2, 4, 5),
                          third=kw == {"kernel_size": 2})


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1,
                                                          count_include_pad=False)])
def test_avg_pool1d(kw):
    check_double_backward(lambda T, x: _cube(T, _F(T).avg_pool1d(x, **kw)), _r(2, 3, 6))


@pytest.mark.parametrize("size", [(2, 3), (3, 2), 1, (None, 2)])
def test_adaptive_avg_pool2d(size):
    check_double_backward(lambda T, x: _cube(T, _F(T).adaptive_avg_pool2d(x, size)),
                          _r(2, 2, 4, 5), third=size == (3, 2))


def test_adaptive_avg_pool1d():
    check_double_backward(lambda T, x: _cube(T, _F(T).adaptive_avg_pool1d(x, 4)), _r(2, 3, 7))


@pytest.mark.parametrize("size", [(2, 3), 3])
def test_adaptive_max_pool2d(size):
    check_double_backward(lambda T, x: _cube(T, _F(T).adaptive_max_pool2d(x, size)),
                          _distinct(2, 2, 4, 5), third=size == 3)


def test_adaptive_max_pool1d():
    check_double_backward(lambda T, x: _cube(T, _F(T).adaptive_max_pool1d(x, 3)),
                          _distinct(2, 3, 7))


def test_max_pool3d():
    check_double_backward(lambda T, x: _cube(T, _F(T).max_pool3d(x, 2, stride=1, padding=1)),
                          _distinct(1, 2, 3, 3, 3), third=True)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1,
                                                          count_include_pad=False)])
def test_avg_pool3d(kw):
    check_double_backward(lambda T, x: _cube(T, _F(T).avg_pool3d(x, **kw)),
                          _r(1, 2, 3, 4, 3), third=len(kw) == 1)


def test_adaptive_pool3d():
    def fn(T, x):
        return _cube(T, _F(T).adaptive_avg_pool3d(x, (2, 1, 2))) + \
            _cube(T, _F(T).adaptive_max_pool3d(x, (1, 2, 2)))
    check_double_backward(fn, _distinct(1, 2, 3, 3, 4))


# ------------------------------------------------------------------ attention
@pytest.mark.parametrize("kw", [dict(), dict(is_causal=True), dict(scale=0.7)])
def test_sdpa(kw):
    q, k, v = _r(2, 3, 4), _r(2, 5, 4, seed=1), _r(2, 5, 3, seed=2)
    check_double_backward(
        lambda T, q, k, v: _F(T).scaled_dot_product_attention(q, k, v, **kw), q, k, v,
        third=not kw)


def test_sdpa_bool_mask():
    mask = np.random.default_rng(3).uniform(size=(3, 5)) > 0.4
    mask[:, 0] = True   # no row wholly masked
    q, k, v = _r(2, 3, 4), _r(2, 5, 4, seed=1), _r(2, 5, 3, seed=2)

    def fn(T, q, k, v):
        return _F(T).scaled_dot_product_attention(q, k, v, attn_mask=T.tensor(mask))
    check_double_backward(fn, q, k, v, third=True)


def test_sdpa_float_mask():
    """A float mask is an input too: its derivatives (mixed with q, k, v) are compared."""
    q, k, v, m = _r(2, 2, 3, 4), _r(2, 2, 5, 4, seed=1), _r(2, 2, 5, 3, seed=2), _r(3, 5, seed=3)
    check_double_backward(
        lambda T, q, k, v, m: _F(T).scaled_dot_product_attention(q, k, v, attn_mask=m),
        q, k, v, m)


def test_sdpa_broadcast_gqa():
    q, k, v = _r(1, 4, 2, 3), _r(2, 2, 3, 3, seed=1), _r(1, 1, 3, 2, seed=2)

    def fn(T, q, k, v):
        return _F(T).scaled_dot_product_attention(q, k, v, enable_gqa=True)
    check_double_backward(fn, q, k, v)


def test_sdpa_dropout_second_order():
    """dropout_p > 0: the same random mask in every order (checked by finite differences)."""
    def fn(q, k, v):
        mt.manual_seed(0)
        return mt.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    ts = [mt.tensor(a, requires_grad=True) for a in (_r(2, 3, 4), _r(2, 5, 4, seed=1),
                                                     _r(2, 5, 3, seed=2))]
    assert mt.autograd.gradgradcheck(fn, ts)


# ------------------------------------------------------------------ embedding
IDX = np.array([[0, 2, 2], [4, 1, 2]])


@pytest.mark.parametrize("kw", [dict(), dict(padding_idx=2), dict(padding_idx=-1)])
def test_embedding(kw):
    def fn(T, w):
        y = _F(T).embedding(T.tensor(IDX), w, **kw)
        return y * y
    check_double_backward(fn, _r(5, 3), third=not kw)


def test_embedding_scale_grad_by_freq_unique():
    """Unique indices: the frequency scale is 1 and PyTorch's double backward is exact."""
    def fn(T, w):
        y = _F(T).embedding(T.tensor([[0, 3], [4, 1]]), w, scale_grad_by_freq=True)
        return y * y
    check_double_backward(fn, _r(5, 3), third=True)


def test_embedding_scale_grad_by_freq_repeated():
    """Repeated indices: the second derivative is the exact adjoint of the scaled first
    derivative (finite differences), where PyTorch omits the scale."""
    idx = mt.tensor(IDX)
    w = mt.tensor(_r(5, 3), requires_grad=True)
    v = mt.tensor(_r(2, 3, 3, seed=1), requires_grad=True)
    out = mt.nn.functional.embedding(idx, w, scale_grad_by_freq=True)
    (gw,) = mt.autograd.grad(out, w, v, create_graph=True)
    (gv,) = mt.autograd.grad(gw.sum(), v)
    expect = np.broadcast_to(1.0 / np.array([1, 1, 3, 1, 1])[IDX][..., None], (2, 3, 3))
    np.testing.assert_allclose(gv.numpy(), expect, rtol=1e-12)
    assert mt.autograd.gradgradcheck(
        lambda w: mt.nn.functional.embedding(idx, w, scale_grad_by_freq=True) * 1.0, [w])


# ------------------------------------------------------------------ padding
@pytest.mark.parametrize("mode,pad", [("constant", (1, 2)), ("constant", (1, -1, 0, 2)),
                                      ("reflect", (2, 1)), ("reflect", (1, 1, 2, 0)),
                                      ("replicate", (2, 1, 1, 0)), ("replicate", (-1, 2)),
                                      ("circular", (1, 2, 2, 1)), ("circular", (-1, 1))])
def test_pad(mode, pad):
    kw = dict(value=0.5) if mode == "constant" else {}
    check_double_backward(lambda T, x: _cube(T, _F(T).pad(x, pad, mode=mode, **kw)),
                          _r(2, 3, 4), third=pad in ((1, 2), (2, 1)))


def test_constant_pad_nd():
    check_double_backward(lambda T, x: _cube(T, T.constant_pad_nd(x, (1, 0, -1, 2), 2.0)),
                          _r(3, 4))


# ------------------------------------------------------------------ shuffles, fold / unfold
def test_pixel_shuffle():
    check_double_backward(lambda T, x: _cube(T, _F(T).pixel_shuffle(x, 2)), _r(1, 4, 2, 3),
                          third=True)


def test_pixel_unshuffle():
    check_double_backward(lambda T, x: _cube(T, _F(T).pixel_unshuffle(x, 2)), _r(2, 1, 4, 2))


def test_channel_shuffle():
    check_double_backward(lambda T, x: _cube(T, T.channel_shuffle(x, 2)), _r(1, 4, 2, 2))


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=(2, 3), padding=1,
                                                          stride=2, dilation=(2, 1))])
@pytest.mark.parametrize("batched", [True, False])
def test_unfold(kw, batched):
    x = _r(2, 2, 4, 5) if batched else _r(2, 4, 5)
    check_double_backward(lambda T, x: _cube(T, _F(T).unfold(x, **kw)), x,
                          third=batched and len(kw) == 1)


@pytest.mark.parametrize("batched", [True, False])
def test_fold(batched):
    x = _r(2, 8, 6) if batched else _r(8, 6)
    check_double_backward(
        lambda T, x: _cube(T, _F(T).fold(x, (3, 4), kernel_size=2, stride=1)), x,
        third=batched)


# ------------------------------------------------------------------ interpolation
@pytest.mark.parametrize("mode,kw", [("nearest", dict(scale_factor=2)),
                                     ("nearest-exact", dict(size=(3, 7))),
                                     ("bilinear", dict(size=(5, 7))),
                                     ("bilinear", dict(scale_factor=1.5, align_corners=True)),
                                     ("bicubic", dict(size=(5, 4))),
                                     ("bilinear", dict(size=(2, 3), antialias=True)),
                                     ("area", dict(size=(3, 2)))])
def test_interpolate_2d(mode, kw):
    check_double_backward(lambda T, x: _cube(T, _F(T).interpolate(x, mode=mode, **kw)),
                          _r(1, 2, 3, 4), third=mode == "bilinear" and "size" in kw)


@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_interpolate_1d(mode):
    check_double_backward(lambda T, x: _cube(T, _F(T).interpolate(x, size=7, mode=mode)),
                          _r(2, 2, 4))


def test_interpolate_trilinear():
    check_double_backward(
        lambda T, x: _cube(T, _F(T).interpolate(x, size=(3, 2, 4), mode="trilinear")),
        _r(1, 1, 2, 3, 2))


# ------------------------------------------------------------------ composites of the above
def _mha(T, q, win, wout, need_weights):
    out, _ = _F(T).multi_head_attention_forward(q, q, q, 4, 2, win, None, None, None, False,
                                                0.0, wout, None, training=False,
                                                need_weights=need_weights)
    return out


def test_multi_head_attention_weights():
    check_double_backward(lambda T, q, wi, wo: _mha(T, q, wi, wo, True),
                          _r(3, 1, 4), _r(12, 4, seed=1), _r(4, 4, seed=2))


def test_multi_head_attention_fused():
    """need_weights=False runs scaled_dot_product_attention (PyTorch's CPU flash kernel
    there has no double backward: finite differences only)."""
    ts = [mt.tensor(a, requires_grad=True) for a in (_r(3, 1, 4), _r(12, 4, seed=1),
                                                     _r(4, 4, seed=2))]
    assert mt.autograd.gradgradcheck(lambda *ts: _mha(mt, *ts, False), ts)


@pytest.mark.parametrize("name", ["dropout2d", "alpha_dropout", "feature_alpha_dropout"])
def test_dropouts(name):
    def fn(x):
        mt.manual_seed(0)
        y = getattr(mt.nn.functional, name)(x, 0.5, training=True)
        return y * y
    assert mt.autograd.gradgradcheck(fn, [mt.tensor(_r(2, 3, 2, 2), requires_grad=True)])


def test_lp_pool2d():
    check_double_backward(lambda T, x: _F(T).lp_pool2d(x, 2, 2), _r(1, 2, 4, 4, low=0.5))


def test_embedding_bag_has_no_double_backward():
    """PyTorch has no derivative for _embedding_bag_backward: the same error path here."""
    w = mt.tensor(_r(5, 3), requires_grad=True)
    out = mt.nn.functional.embedding_bag(mt.tensor([0, 2, 2, 4]), w, mt.tensor([0, 2]))
    (gw,) = mt.autograd.grad(out.sum(), w, create_graph=True)
    with pytest.raises(RuntimeError, match="derivative for EmbeddingBagBackward0"):
        gw.sum().backward()
