"""conv_tbc (torch.conv_tbc / F.conv_tbc): values against a NumPy loop, float64 gradcheck and
PyTorch's values and gradients; positive, zero and negative pad, 0-size time/batch, no taps,
integer and half dtypes; bad arguments raise PyTorch's exception class and message."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, torch


def _np_conv_tbc(x, w, b, pad):
    """out[t, n, o] = b[o] + sum_{k,c} xpad[t + k, n, c] w[k, c, o] (negative pad crops)."""
    t, n, _ = x.shape
    k, _, o = w.shape
    if pad >= 0:
        xp = np.concatenate([np.zeros((pad,) + x.shape[1:]), x, np.zeros((pad,) + x.shape[1:])])
    else:
        xp = x[-pad:t + pad]
    length = t + 2 * pad - k + 1
    out = np.tile(b.astype(np.float64), (length, n, 1))
    for i in range(length):
        for j in range(k):
            out[i] += xp[i + j] @ w[j]
    return out


CASES = [  # (T, N, C), (K, C, O), pad
    ((5, 2, 3), (3, 3, 4), 1),
    ((6, 2, 3), (2, 3, 4), 0),
    ((6, 2, 3), (2, 3, 4), -1),
    ((4, 1, 1), (1, 1, 1), 2),
    ((0, 2, 3), (3, 3, 2), 2),
    ((5, 0, 3), (3, 3, 2), 1),
]


def _ours_any_layout(x):
    """PyTorch's conv_tbc refuses a non-contiguous input (a `view` inside its kernel); ours
    takes any layout, so only PyTorch's side of the harness gets a contiguous copy."""
    return x.contiguous() if isinstance(x, torch.Tensor) else x


@pytest.mark.parametrize("xs,ws,pad", CASES, ids=str)
def test_conv_tbc_matches_numpy_and_pytorch(xs, ws, pad):
    check_op(lambda T, x, w, b: T.conv_tbc(_ours_any_layout(x), w, b, pad), [xs, ws, (ws[2],)],
             ref=lambda x, w, b: _np_conv_tbc(x, w, b, pad))


def test_functional_form_and_keyword_pad():
    check_op(lambda T, x, w, b: T.nn.functional.conv_tbc(_ours_any_layout(x), w, b,
                                                                  pad=1),
             [(4, 2, 3), (2, 3, 2), (2,)], ref=lambda x, w, b: _np_conv_tbc(x, w, b, 1))
    assert mt.nn.functional.conv_tbc is mt.conv_tbc


def test_no_taps_gives_the_bias_and_zero_gradients():
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((6, 2, 3)), np.zeros((0, 3, 4)), rng.standard_normal(4)]
    outs = []
    for T in (mt, torch):
        xs = [T.tensor(a, requires_grad=True) for a in arrays]
        y = T.conv_tbc(*xs, 0)
        (y * T.tensor(np.arange(y.numel(), dtype=np.float64).reshape(tuple(y.shape)))).sum() \
            .backward()
        outs.append([y.detach().numpy()] + [v.grad.numpy() for v in xs])
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["int64", "int32", "float16", "bfloat16", "float32"])
def test_dtypes_follow_pytorch(dtype):
    rng = np.random.default_rng(4)
    arrays = [rng.integers(-3, 4, s) for s in [(5, 2, 3), (3, 3, 4), (4,)]]
    res = [T.conv_tbc(*[T.tensor(a).to(getattr(T, dtype)) for a in arrays], 1) for T in (mt, torch)]
    assert str(res[0].dtype) == str(res[1].dtype)
    np.testing.assert_allclose(res[0].double().numpy(), res[1].double().numpy(), rtol=1e-2)


def _bad(T, x, w, b, pad):
    def mk(s):
        return T.zeros(*s, dtype=T.float64)
    try:
        T.conv_tbc(mk(x) if isinstance(x, tuple) else x, mk(w) if isinstance(w, tuple) else w,
                   mk(b) if isinstance(b, tuple) else b, pad)
    except Exception as exc:   # noqa: BLE001 - compared with PyTorch's below
        return exc
    return None


@pytest.mark.parametrize("x,w,b,pad", [
    ((2, 3), (3, 3, 4), (4,), 0),            # input not 3-D
    ((5, 2, 3), (3, 4), (4,), 0),            # weight not 3-D
    ((5, 2, 3), (3, 3, 4), (1, 4), 0),       # bias not 1-D
    ((5, 2, 3), (3, 2, 4), (4,), 0),         # channels disagree
    ((5, 2, 3), (3, 3, 4), (2,), 0),         # bias size != out channels
    ((5, 2, 3), (3, 3, 4), (4,), -3),        # negative output length
    ((5, 2, 3), (3, 3, 4), None, 0),         # bias required
    ((5, 2, 3), (3, 3, 4), (4,), 1.5),       # pad not int
    ((5, 2, 3), (3, 3, 4), (4,), True),      # pad bool
    ("x", (3, 3, 4), (4,), 0),               # input not a tensor
], ids=str)
def test_bad_arguments_raise_like_pytorch(x, w, b, pad):
    ours, theirs = _bad(mt, x, w, b, pad), _bad(torch, x, w, b, pad)
    assert theirs is not None and type(ours) is type(theirs), (ours, theirs)
    assert str(ours) == str(theirs)


def test_mixed_dtypes_and_bool_refused_like_pytorch():
    for make in [lambda T: (T.zeros(5, 2, 3), T.zeros(3, 3, 4, dtype=T.float64), T.zeros(4)),
                 lambda T: (T.zeros(5, 2, 3, dtype=T.bool), T.zeros(3, 3, 4, dtype=T.bool),
                            T.zeros(4, dtype=T.bool))]:
        errs = []
        for T in (mt, torch):
            with pytest.raises(Exception) as info:
                T.conv_tbc(*make(T), 0)
            errs.append(info.value)
        assert type(errs[0]) is type(errs[1]) and str(errs[0]) == str(errs[1])
