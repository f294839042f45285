"""conv3d, conv_transpose3d (ops/convolution3d.py): a direct-loop NumPy reference, float64
gradchecks, PyTorch differentials (values, dtypes, grads), dtype gates and errors."""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch


def _triple(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * 3


def _np_conv3d(x, w, b=None, stride=1, pad=0, dil=1, groups=1):
    """Direct loop reference (tiny shapes only)."""
    stride, pad, dil = _triple(stride), _triple(pad), _triple(dil)
    n, c = x.shape[:2]
    o, cg = w.shape[:2]
    k = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in pad))
    out_sz = [(s + 2 * p - d * (kk - 1) - 1) // st + 1
              for s, p, d, kk, st in zip(x.shape[2:], pad, dil, k, stride)]
    out = np.zeros((n, o) + tuple(out_sz))
    og = o // groups
    for ni, oi in itertools.product(range(n), range(o)):
        g = oi // og
        for pos in itertools.product(*(range(s) for s in out_sz)):
            sl = tuple(slice(q * st, q * st + d * (kk - 1) + 1, d)
                       for q, st, d, kk in zip(pos, stride, dil, k))
            out[(ni, oi) + pos] = (xp[(ni, slice(g * cg, (g + 1) * cg)) + sl] * w[oi]).sum()
    if b is not None:
        out += b.reshape(1, -1, 1, 1, 1)
    return out


CASES = [   # stride, padding, dilation, groups, cin, cout, kernel
    dict(stride=1, padding=0, dilation=1, groups=1, cin=2, cout=3, k=(2, 3, 2)),
    dict(stride=2, padding=1, dilation=1, groups=1, cin=2, cout=2, k=(3, 2, 2)),
    dict(stride=(1, 2, 1), padding=(1, 0, 2), dilation=(2, 1, 2), groups=1, cin=1, cout=2,
         k=(2, 2, 2)),
    dict(stride=1, padding=1, dilation=1, groups=2, cin=4, cout=2, k=(2, 2, 3)),
    dict(stride=1, padding=0, dilation=1, groups=1, cin=3, cout=2, k=(1, 1, 1)),
]


def F(T):
    return T.nn.functional


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_conv3d(case):
    s, p, d, g = case["stride"], case["padding"], case["dilation"], case["groups"]
    shapes = [(2, case["cin"], 4, 5, 4), (case["cout"], case["cin"] // g) + case["k"],
              (case["cout"],)]
    check_op(lambda T, x, w, b: F(T).conv3d(x, w, b, s, p, d, g), shapes,
             ref=lambda x, w, b: _np_conv3d(x, w, b, s, p, d, g))


def test_torch_conv3d_no_bias_and_unbatched():
    check_op(lambda T, x, w: T.conv3d(x, w, stride=(2, 1, 1)), [(2, 3, 4, 3), (2, 2, 2, 2, 2)],
             ref=lambda x, w: _np_conv3d(x[None], w, stride=(2, 1, 1))[0])


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("kernel", [(3, 3, 1), (2, 3, 4)])
def test_conv3d_padding_strings(padding, kernel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # even kernels with 'same' warn in both libraries
        check_op(lambda T, x, w: F(T).conv3d(x, w, padding=padding, dilation=(1, 2, 1)),
                 [(1, 2, 4, 5, 5), (2, 2) + kernel])


@requires_torch
def test_conv3d_same_even_kernel_warns():
    x, w = mt.ones(1, 1, 3, 3, 3), mt.ones(1, 1, 2, 2, 2)
    with pytest.warns(UserWarning, match="padding='same'"):
        F(mt).conv3d(x, w, padding="same")


TRANSPOSED = [   # stride, padding, output_padding, dilation, groups, cin, cout_per_group, k
    dict(stride=1, padding=0, output_padding=0, dilation=1, groups=1, cin=2, cout=3,
         k=(2, 2, 3)),
    dict(stride=2, padding=1, output_padding=1, dilation=1, groups=1, cin=2, cout=2,
         k=(3, 2, 2)),
    dict(stride=(2, 1, 3), padding=(0, 1, 1), output_padding=(1, 0, 2), dilation=(1, 2, 1),
         groups=2, cin=4, cout=1, k=(2, 2, 2)),
]


@pytest.mark.parametrize("case", TRANSPOSED, ids=[str(i) for i in range(len(TRANSPOSED))])
def test_conv_transpose3d(case):
    s, p, op_, d, g = (case[k] for k in ("stride", "padding", "output_padding", "dilation",
                                         "groups"))
    shapes = [(2, case["cin"], 3, 2, 3), (case["cin"], case["cout"]) + case["k"],
              (case["cout"] * g,)]
    check_op(lambda T, x, w, b: F(T).conv_transpose3d(x, w, b, s, p, op_, g, d), shapes)


def test_conv_transpose3d_is_the_adjoint_of_conv3d():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((1, 2, 5, 4, 6)), rng.standard_normal((3, 2, 2, 3, 2))
    y = rng.standard_normal(F(mt).conv3d(mt.tensor(x), mt.tensor(w), stride=2).shape)
    lhs = (F(mt).conv3d(mt.tensor(x), mt.tensor(w), stride=2).numpy() * y).sum()
    up = F(mt).conv_transpose3d(mt.tensor(y), mt.tensor(w), stride=2, output_padding=(1, 1, 0))
    assert up.shape == (1, 2, 5, 4, 6)
    assert np.isclose(lhs, (up.numpy() * x).sum())


@requires_torch
def test_conv3d_grad_fn_name():
    x = mt.ones(1, 1, 3, 3, 3, requires_grad=True)
    assert F(mt).conv3d(x, mt.ones(1, 1, 2, 2, 2)).grad_fn.name() == "ConvolutionBackward0"
    y = F(mt).conv_transpose3d(x, mt.ones(1, 1, 2, 2, 2))
    assert y.grad_fn.name() == "ConvolutionBackward0"


def test_zero_batch():
    # (zero input channels: PyTorch's result has 0 output channels, a quirk conv2d here
    # does not copy either; not tested)
    shape = (0, 2, 3, 3, 3)
    check_op(lambda T, x, w: F(T).conv3d(x, w), [shape, (2, 2, 2, 2, 2)])
    check_op(lambda T, x, w: F(T).conv_transpose3d(x, w), [shape, (2, 2, 2, 2, 2)])


@requires_torch
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "int64", "float16", "bfloat16",
                                   "bool"])
@pytest.mark.parametrize("transposed", [False, True])
def test_dtypes_as_pytorch(dtype, transposed):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, (1, 2, 3, 3, 3))
    w = rng.integers(-1, 2, (2, 2, 2, 2, 2))
    results = []
    for lib in (mt, torch):
        fn = F(lib).conv_transpose3d if transposed else F(lib).conv3d
        xt = lib.tensor(x.tolist()).to(getattr(lib, dtype))
        wt = lib.tensor(w.tolist()).to(getattr(lib, dtype))
        try:
            r = fn(xt, wt, stride=(1, 2, 1))
            results.append((str(r.dtype), r.float().tolist()))
        except NotImplementedError as e:
            results.append(("NotImplementedError", str(e)))
    assert results[0] == results[1]


def _error(lib, call):
    try:
        call(lib)
    except Exception as e:   # noqa: BLE001 - the class is the point
        return type(e), str(e)
    return None, None


BAD = {
    "rank": lambda T: F(T).conv3d(T.ones(3, 3, 3), T.ones(1, 1, 2, 2, 2)),
    "weight_rank": lambda T: F(T).conv3d(T.ones(1, 1, 3, 3, 3), T.ones(1, 1, 2, 2)),
    "channels": lambda T: F(T).conv3d(T.ones(1, 3, 3, 3, 3), T.ones(1, 2, 2, 2, 2)),
    "groups": lambda T: F(T).conv3d(T.ones(1, 4, 3, 3, 3), T.ones(3, 2, 2, 2, 2), groups=2),
    "kernel_too_big": lambda T: F(T).conv3d(T.ones(1, 1, 3, 3, 3), T.ones(1, 1, 4, 2, 2)),
    "zero_depth": lambda T: F(T).conv3d(T.ones(1, 1, 0, 3, 3), T.ones(1, 1, 1, 1, 1)),
    "stride_0": lambda T: F(T).conv3d(T.ones(1, 1, 3, 3, 3), T.ones(1, 1, 2, 2, 2), stride=0),
    "stride_len": lambda T: F(T).conv3d(T.ones(1, 1, 3, 3, 3), T.ones(1, 1, 2, 2, 2),
                                        stride=(1, 1)),
    "same_strided": lambda T: F(T).conv3d(T.ones(1, 1, 3, 3, 3), T.ones(1, 1, 2, 2, 2),
                                          stride=2, padding="same"),
    "bad_string": lambda T: F(T).conv3d(T.ones(1, 1, 3, 3, 3), T.ones(1, 1, 2, 2, 2),
                                        padding="full"),
    "bias": lambda T: F(T).conv3d(T.ones(1, 1, 3, 3, 3), T.ones(2, 1, 2, 2, 2), T.ones(3)),
    "dtype_mix": lambda T: F(T).conv3d(T.ones(1, 1, 3, 3, 3), T.ones(1, 1, 2, 2, 2,
                                                                      dtype=T.float64)),
    "t_output_padding": lambda T: F(T).conv_transpose3d(T.ones(1, 2, 3, 3, 3),
                                                        T.ones(2, 2, 2, 2, 2),
                                                        output_padding=1),
    "t_empty_weight": lambda T: F(T).conv_transpose3d(T.ones(1, 2, 3, 3, 3),
                                                      T.ones(2, 0, 2, 2, 2)),
    "t_too_small": lambda T: F(T).conv_transpose3d(T.ones(1, 2, 3, 3, 3),
                                                   T.ones(2, 2, 2, 2, 2), padding=3),
    "t_channels": lambda T: F(T).conv_transpose3d(T.ones(1, 3, 3, 3, 3),
                                                  T.ones(2, 2, 2, 2, 2)),
    "t_int32": lambda T: F(T).conv_transpose3d(T.ones(1, 2, 3, 3, 3, dtype=T.int32),
                                               T.ones(2, 2, 2, 2, 2, dtype=T.int32)),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(BAD))
def test_errors_as_pytorch(name):
    ours, theirs = _error(mt, BAD[name]), _error(torch, BAD[name])
    assert theirs[0] is not None
    assert ours[0] is theirs[0], (ours, theirs)
    if name != "weight_rank":   # PyTorch words this one as a stride-length error
        assert ours[1] == theirs[1].split(" (Triggered")[0]


@pytest.mark.parametrize("x_shape", [(0, 1, 0, 0, 0), (0, 1, 2, 1, 1), (0, 2, 1, 0, 3)])
def test_conv_transpose3d_of_empty_input_with_dilation(x_shape):
    """A zero-size input once made the column adjoint read a slice with a negative stop (the
    slow fuzz's finding): the output and the weight gradient are PyTorch's empty/zero ones."""
    w = mt.randn(x_shape[1], 1, 3, 1, 2, requires_grad=True)
    x = mt.zeros(*x_shape, requires_grad=True)
    y = mt.nn.functional.conv_transpose3d(x, w, stride=(2, 1, 1), dilation=(2, 1, 1))
    out = [(n - 1) * s + d * (k - 1) + 1 for n, s, d, k in zip(x_shape[2:], (2, 1, 1),
                                                                 (2, 1, 1), (3, 1, 2))]
    assert tuple(y.shape) == (0, 1, *out)
    y.sum().backward()
    assert tuple(w.grad.shape) == tuple(w.shape) and float(w.grad.abs().sum()) == 0.0
    assert tuple(x.grad.shape) == x_shape
