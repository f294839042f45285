"""nn.functional convolutions: conv1d, conv2d, conv_transpose1d, conv_transpose2d."""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_nn as mt
from functional_util import F, compare_paths, contiguous
from op_harness import check_op, torch


def _np_conv2d(x, w, b=None, stride=(1, 1), pad=(0, 0), dil=(1, 1), groups=1):
    """Direct loop reference (tiny shapes only)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    oh = (h + 2 * pad[0] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * pad[1] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for ni, oi, i, j in itertools.product(range(n), range(o), range(oh), range(ow)):
        g = oi // og
        patch = xp[ni, g * cg:(g + 1) * cg,
                   i * stride[0]:i * stride[0] + dil[0] * (kh - 1) + 1:dil[0],
                   j * stride[1]:j * stride[1] + dil[1] * (kw - 1) + 1:dil[1]]
        out[ni, oi, i, j] = (patch * w[oi]).sum()
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


CASES = [   # stride, padding, dilation, groups, channels in/out, kernel
    dict(stride=1, padding=0, dilation=1, groups=1, cin=2, cout=3, k=(3, 3)),
    dict(stride=2, padding=1, dilation=1, groups=1, cin=2, cout=2, k=(3, 2)),
    dict(stride=(1, 2), padding=(2, 1), dilation=(2, 1), groups=1, cin=1, cout=2, k=(2, 3)),
    dict(stride=1, padding=1, dilation=1, groups=2, cin=4, cout=2, k=(3, 3)),
    dict(stride=1, padding=0, dilation=1, groups=1, cin=3, cout=2, k=(1, 1)),
]


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_conv2d(case):
    s, p, d, g = case["stride"], case["padding"], case["dilation"], case["groups"]
    shapes = [(2, case["cin"], 5, 6), (case["cout"], case["cin"] // g) + case["k"],
              (case["cout"],)]
    pair = lambda v: v if isinstance(v, tuple) else (v, v)   # noqa: E731
    check_op(lambda T, x, w, b: F(T).conv2d(x, w, b, s, p, d, g), shapes,
             ref=lambda x, w, b: _np_conv2d(x, w, b, pair(s), pair(p), pair(d), g))


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("kernel", [(3, 3), (2, 4)])
def test_conv2d_padding_strings(padding, kernel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # even kernels with 'same' warn in both libraries
        out = check_op(lambda T, x, w: F(T).conv2d(x, w, padding=padding, dilation=(1, 2)),
                       [(1, 2, 5, 7), (3, 2) + kernel])
    if padding == "same":
        assert tuple(out[0].shape[2:]) == (5, 7)


def test_conv2d_unbatched_no_bias_and_top_level():
    check_op(lambda T, x, w: F(T).conv2d(x, w, padding=1), [(2, 4, 4), (3, 2, 3, 3)])
    check_op(lambda T, x, w: T.conv2d(x, w, None, 2), [(1, 2, 5, 5), (3, 2, 2, 2)])


@pytest.mark.parametrize("stride,padding,dilation,groups", [(1, 0, 1, 1), (2, 1, 2, 2),
                                                            (1, "same", 2, 1)])
def test_conv1d(stride, padding, dilation, groups):
    check_op(lambda T, x, w, b: F(T).conv1d(x, w, b, stride, padding, dilation, groups),
             [(2, 4, 9), (4, 4 // groups, 3), (4,)])
    check_op(lambda T, x, w: F(T).conv1d(x, w, None, stride, padding, dilation, groups),
             [(4, 9), (2, 4 // groups, 2)])


@pytest.mark.parametrize("stride,padding,output_padding,groups,dilation", [
    (1, 0, 0, 1, 1), (2, 1, 1, 1, 1), (2, 0, 0, 2, 1), (3, 1, 2, 1, 1), (1, 1, 0, 1, 2),
    ((2, 1), (1, 0), (1, 0), 1, (1, 2))])
def test_conv_transpose2d(stride, padding, output_padding, groups, dilation):
    check_op(lambda T, x, w, b: F(T).conv_transpose2d(x, w, b, stride, padding, output_padding,
                                                      groups, dilation),
             [(2, 4, 3, 4), (4, 6 // groups, 3, 2), (6,)])


def test_conv_transpose_is_adjoint_of_conv():
    """<conv(x), y> == <x, conv_transpose(y)> with the same weight."""
    x, w, y = contiguous((1, 2, 7, 6), (3, 2, 3, 3), (1, 3, 4, 3))
    lhs = (F(mt).conv2d(mt.from_numpy(x), mt.from_numpy(w), stride=2, padding=1).numpy()
           * y).sum()
    rhs = (F(mt).conv_transpose2d(mt.from_numpy(y), mt.from_numpy(w), stride=2, padding=1,
                                  output_padding=(0, 1)).numpy() * x).sum()
    assert lhs == pytest.approx(rhs)


def test_conv_transpose1d_and_unbatched():
    check_op(lambda T, x, w, b: F(T).conv_transpose1d(x, w, b, 2, 1, 1),
             [(2, 3, 5), (3, 2, 3), (2,)])
    check_op(lambda T, x, w: F(T).conv_transpose2d(x, w, stride=2), [(3, 3, 2), (3, 2, 2, 2)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_and_numpy_paths_agree(dtype):
    x, w, b = contiguous((2, 4, 7, 6), (6, 2, 3, 2), (6,), dtype=dtype)
    tol = dict(atol=1e-5, rtol=1e-5) if dtype == np.float32 else {}
    compare_paths(lambda x, w, b: F(mt).conv2d(x, w, b, (2, 1), (1, 2), (1, 2), 2),
                  [x, w, b], grad_inputs=(0, 1, 2), **tol)
    wt = contiguous((4, 3, 3, 2), dtype=dtype)[0]
    compare_paths(lambda x, w: F(mt).conv_transpose2d(x, w, None, 2, 1, (1, 0), 1, 1),
                  [x, wt], grad_inputs=(0, 1), **tol)


def test_float16_uses_float32_math():
    x, w = contiguous((1, 2, 5, 5), (3, 2, 3, 3), dtype=np.float16)
    check_op(lambda T, x, w: F(T).conv2d(x, w, padding=1), None, arrays=[x, w], grad=False,
             atol=1e-2, rtol=1e-2)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), st.integers(0, 2),
       st.integers(1, 2), st.integers(4, 7))
def test_conv2d_geometry_property(kh, kw, stride, padding, dilation, size):
    """Any valid geometry: output shape and values as the direct loop."""
    if size + 2 * padding < dilation * (max(kh, kw) - 1) + 1:
        return
    x, w = contiguous((1, 2, size, size + 1), (2, 2, kh, kw), seed=size)
    out = F(mt).conv2d(mt.from_numpy(x), mt.from_numpy(w), None, stride, padding, dilation)
    ref = _np_conv2d(x, w, None, (stride,) * 2, (padding,) * 2, (dilation,) * 2)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-10)


def test_grad_fn_and_no_weight_grad_needed():
    x = mt.randn(1, 1, 4, 4, requires_grad=True)
    y = F(mt).conv2d(x, mt.randn(2, 1, 3, 3))
    assert type(y.grad_fn).__name__ == "ConvolutionBackward0"
    y.sum().backward()
    assert x.grad.shape == (1, 1, 4, 4)


def test_conv_errors():
    x = mt.randn(1, 1, 28, 28)
    with pytest.raises(RuntimeError, match=r"Given groups=1, weight of size \[16, 3, 3, 3\], "
                                           r"expected input\[1, 1, 28, 28\] to have 3 channels, "
                                           r"but got 1 channels instead"):
        F(mt).conv2d(x, mt.randn(16, 3, 3, 3))
    with pytest.raises(RuntimeError, match=r"expected input\[1, 1, 28, 28\] to have 3 channels"):
        F(mt).conv2d(mt.randn(1, 28, 28), mt.randn(16, 3, 3, 3))
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input "
                                           r"to conv2d, but got input of size: \[28, 28\]"):
        F(mt).conv2d(mt.randn(28, 28), mt.randn(16, 1, 3, 3))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input "
                                           "size"):
        F(mt).conv2d(x, mt.randn(16, 1, 30, 3))
    with pytest.raises(RuntimeError, match=r"expected bias to be 1-dimensional with 16 "
                                           r"elements, but got bias of size \[15\] instead"):
        F(mt).conv2d(x, mt.randn(16, 1, 3, 3), mt.randn(15))
    with pytest.raises(RuntimeError, match="expected weight to be divisible by 4 at dimension "
                                           "0"):
        F(mt).conv2d(mt.randn(1, 4, 8, 8), mt.randn(6, 2, 3, 3), groups=4)
    with pytest.raises(RuntimeError, match="non-positive stride is not supported"):
        F(mt).conv2d(x, mt.randn(2, 1, 3, 3), stride=0)
    with pytest.raises(RuntimeError, match="negative padding is not supported"):
        F(mt).conv2d(x, mt.randn(2, 1, 3, 3), padding=-1)
    with pytest.raises(RuntimeError, match=r"dilation should be greater than zero, but got "
                                           r"\[0, 0\]"):
        F(mt).conv2d(x, mt.randn(2, 1, 3, 3), dilation=0)
    with pytest.raises(RuntimeError, match="non-positive groups is not supported"):
        F(mt).conv2d(x, mt.randn(2, 1, 3, 3), groups=0)
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided "
                                           "convolutions"):
        F(mt).conv2d(x, mt.randn(2, 1, 3, 3), padding="same", stride=2)
    with pytest.raises(RuntimeError, match="Invalid padding string: 'foo'"):
        F(mt).conv2d(x, mt.randn(2, 1, 3, 3), padding="foo")
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        F(mt).conv2d(x, mt.randn(2, 1, 3, 3, dtype=mt.float64))
    with pytest.raises(RuntimeError, match=r"expected stride to be a single integer value or a "
                                           r"list of 2 values"):
        F(mt).conv2d(x, mt.randn(2, 1, 3, 3), stride=(1, 2, 3))
    with pytest.raises(RuntimeError, match=r"Expected 2D \(unbatched\) or 3D \(batched\) input "
                                           r"to conv1d"):
        F(mt).conv1d(mt.randn(1, 3, 10, 3), mt.randn(4, 3, 3))
    with pytest.raises(RuntimeError, match=r"Given transposed=1, weight of size \[4, 2, 3, 3\], "
                                           r"expected input\[1, 3, 5, 5\] to have 4 channels"):
        F(mt).conv_transpose2d(mt.randn(1, 3, 5, 5), mt.randn(4, 2, 3, 3))
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride "
                                           "or dilation"):
        F(mt).conv_transpose2d(mt.randn(1, 3, 5, 5), mt.randn(3, 2, 3, 3), stride=2,
                               output_padding=2)


def test_empty_batch():
    out = F(mt).conv2d(mt.randn(0, 1, 5, 5), mt.randn(2, 1, 3, 3))
    assert out.shape == (0, 2, 3, 3)


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
def test_signatures_match_pytorch():
    import inspect
    for name in ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]:
        ours = list(inspect.signature(getattr(F(mt), name)).parameters)
        doc = getattr(torch.nn.functional, name).__doc__.strip().splitlines()[0]
        theirs = [p.split("=")[0].strip() for p in doc[doc.index("(") + 1:doc.index(")")]
                  .split(",")]
        assert ours == theirs, name
