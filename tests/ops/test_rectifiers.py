"""ops/rectifiers.py: prelu, rrelu, selu, celu, threshold (F.X, torch.X, in-place X_)."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import assert_close, check_op, requires_torch, torch

SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def F(T):
    return T.nn.functional


def _selu_ref(x):
    return SELU_S * np.where(x > 0, x, SELU_A * np.expm1(np.minimum(x, 0)))


def _celu_ref(alpha):
    return lambda x: np.maximum(x, 0) + np.minimum(0, alpha * np.expm1(np.minimum(x, 0) / alpha))


ELEMENTWISE = [
    ("selu", lambda T, x: F(T).selu(x), _selu_ref),
    ("torch.selu", lambda T, x: T.selu(x), _selu_ref),
    ("celu", lambda T, x: F(T).celu(x, 0.7), _celu_ref(0.7)),
    ("torch.celu", lambda T, x: T.celu(x), _celu_ref(1.0)),
    ("threshold", lambda T, x: F(T).threshold(x, 0.3, -2.0),
     lambda x: np.where(x <= 0.3, -2.0, x)),
    ("torch.threshold", lambda T, x: T.threshold(x, -0.5, 7.0),
     lambda x: np.where(x <= -0.5, 7.0, x)),
    ("rrelu_eval", lambda T, x: F(T).rrelu(x, 0.1, 0.3),
     lambda x: np.where(x > 0, x, 0.2 * x)),
    ("torch.rrelu_eval", lambda T, x: T.rrelu(x), lambda x: np.where(x > 0, x, x * (1 / 8 + 1 / 3) / 2)),
]
IDS = [e[0] for e in ELEMENTWISE]
SHAPES = [(4, 3), (0, 3), (1,), (), (2, 1, 3)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name,fn,ref", ELEMENTWISE, ids=IDS)
def test_elementwise_values_and_grads(name, fn, ref, shape):
    check_op(fn, [shape], ref=ref)


@requires_torch
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
@pytest.mark.parametrize("name,fn,ref", ELEMENTWISE, ids=IDS)
def test_half_types_round_once(name, fn, ref, dtype):
    a = np.linspace(-3, 3, 25).reshape(5, 5)
    x = mt.tensor(a, dtype=getattr(mt, dtype), requires_grad=True)
    t = torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True)
    y, ty = fn(mt, x), fn(torch, t)
    assert str(y.dtype) == str(ty.dtype)
    tol = 1e-6 if dtype == "float32" else 1e-2
    assert_close(y.detach().float().numpy(), ty.detach().float().numpy(), tol, tol)
    g = np.cos(a)
    y.backward(mt.tensor(g, dtype=y.dtype))
    ty.backward(torch.tensor(g, dtype=ty.dtype))
    assert_close(x.grad.float().numpy(), t.grad.float().numpy(), tol, tol)


@requires_torch
@pytest.mark.parametrize("name,fn,ref", ELEMENTWISE, ids=IDS)
def test_grad_fn_names(name, fn, ref):
    x = mt.randn(3, requires_grad=True)
    t = torch.randn(3, requires_grad=True)
    assert fn(mt, x).grad_fn.name() == fn(torch, t).grad_fn.name()


@requires_torch
@pytest.mark.parametrize("dtype", ["int64", "bool"])
@pytest.mark.parametrize("name,fn,ref", ELEMENTWISE, ids=IDS)
def test_integer_inputs_as_pytorch(name, fn, ref, dtype):
    a = np.array([-2, 0, 1, 3])
    results = []
    for T in (torch, mt):
        try:
            results.append(fn(T, T.tensor(a).to(getattr(T, dtype))).tolist())
        except Exception as e:   # noqa: BLE001 - the class is compared
            results.append(type(e).__name__)
    assert results[0] == results[1]


@requires_torch
def test_threshold_int_truncates_scalars():
    a = [-3, -2, -1, 0, 1, 2]
    for thr, val in ((-1.5, 2.7), (1.5, -9.9), (0.0, 4)):
        ours = mt.threshold(mt.tensor(a), thr, val)
        theirs = torch.threshold(torch.tensor(a), thr, val)
        assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype)


def test_threshold_grad_at_threshold_is_zero():
    x = mt.tensor([0.5, 0.5001, 0.4999], requires_grad=True)
    mt.nn.functional.threshold(x, 0.5, 0.0).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]


@requires_torch
def test_nan_and_boundaries_like_pytorch():
    a = np.array([np.nan, 0.0, -0.0, np.inf, -np.inf, -1e-30, 1e-30, 50.0, -50.0])
    for fn in (lambda T, x: F(T).selu(x), lambda T, x: F(T).celu(x, 2.0),
               lambda T, x: F(T).threshold(x, 0.0, 1.0), lambda T, x: F(T).rrelu(x)):
        x, t = mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        y, ty = fn(mt, x), fn(torch, t)
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
        y.sum().backward()
        ty.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)


# ------------------------------------------------------------------ prelu
PRELU_CASES = [((4, 3), (3,)), ((4, 3, 2), (3,)), ((2, 3, 2, 2), (1,)), ((5,), (1,)),
               ((), ()), ((0, 3), (3,)), ((2, 1, 3), (1,)), ((3, 2, 2, 2, 1), (2,))]


@pytest.mark.parametrize("xs,ws", PRELU_CASES, ids=str)
def test_prelu(xs, ws):
    def ref(x, w):
        wb = w.reshape((1, -1) + (1,) * (x.ndim - 2)) if w.size > 1 else w.reshape(())
        return np.where(x > 0, x, wb * x)
    check_op(lambda T, x, w: F(T).prelu(x, w), [xs, ws], ref=ref)
    check_op(lambda T, x, w: T.prelu(x, w), [xs, ws], ref=ref)
    check_op(lambda T, x, w: x.prelu(w), [xs, ws], ref=ref)


@requires_torch
@pytest.mark.parametrize("xs,ws,xd,wd", [
    ((2, 3), (2,), "float32", "float32"), ((4,), (4,), "float32", "float32"),
    ((), (2,), "float32", "float32"), ((2, 3, 4), (3, 1), "float32", "float32"),
    ((2, 3), (3,), "float32", "float64"), ((2, 3), (3,), "int64", "int64"),
    ((2, 3), (3,), "float16", "float32")], ids=str)
def test_prelu_errors(xs, ws, xd, wd):
    errors = []
    for T in (torch, mt):
        x = T.ones(xs, dtype=getattr(T, xd))
        w = T.ones(ws, dtype=getattr(T, wd))
        with pytest.raises((RuntimeError, NotImplementedError)) as info:
            F(T).prelu(x, w)
        errors.append((info.type, str(info.value)))
    assert errors[0] == errors[1]


@requires_torch
def test_prelu_half():
    a = np.linspace(-2, 2, 12).reshape(2, 3, 2)
    for dt in ("float16", "bfloat16"):
        x = mt.tensor(a, dtype=getattr(mt, dt), requires_grad=True)
        w = mt.tensor([0.1, 0.2, 0.3], dtype=getattr(mt, dt), requires_grad=True)
        t = torch.tensor(a, dtype=getattr(torch, dt), requires_grad=True)
        tw = torch.tensor([0.1, 0.2, 0.3], dtype=getattr(torch, dt), requires_grad=True)
        y, ty = F(mt).prelu(x, w), F(torch).prelu(t, tw)
        assert str(y.dtype) == str(ty.dtype) and y.grad_fn.name() == ty.grad_fn.name()
        assert_close(y.detach().float().numpy(), ty.detach().float().numpy(), 1e-2, 1e-2)
        y.sum().backward()
        ty.sum().backward()
        assert_close(w.grad.float().numpy(), tw.grad.float().numpy(), 2e-2, 2e-2)


# ------------------------------------------------------------------ rrelu training
def test_rrelu_training_noise_in_bounds_and_grad_is_noise():
    mt.manual_seed(3)
    x = mt.tensor(np.linspace(-3, 3, 200), requires_grad=True)
    y = mt.nn.functional.rrelu(x, 0.1, 0.4, training=True)
    y.sum().backward()
    a, ya, g = x.detach().numpy(), y.detach().numpy(), x.grad.numpy()
    neg = a <= 0
    slopes = ya[neg & (a != 0)] / a[neg & (a != 0)]
    assert ((slopes >= 0.1) & (slopes <= 0.4)).all() and slopes.std() > 0.01
    assert (ya[~neg] == a[~neg]).all() and (g[~neg] == 1).all()
    np.testing.assert_allclose(g[neg & (a != 0)], slopes)
    assert y.grad_fn.name() == "RreluWithNoiseBackward0"


def test_rrelu_training_uses_our_generator():
    x = mt.linspace(-3, 0, 50)
    mt.manual_seed(7)
    a = mt.rrelu(x, training=True)
    mt.manual_seed(7)
    b = mt.nn.functional.rrelu(x, training=True)
    g = mt.Generator().manual_seed(7)
    c = mt.rrelu(x, training=True, generator=g)
    assert a.tolist() == b.tolist() == c.tolist()


@requires_torch
def test_rrelu_errors_like_pytorch():
    for T in (torch, mt):
        with pytest.raises(RuntimeError, match="Lower bound should be less"):
            F(T).rrelu(T.ones(3), 0.5, 0.2)
        with pytest.raises(NotImplementedError, match="rrelu_with_noise_out_cpu"):
            F(T).rrelu(T.ones(3, dtype=T.float16), training=True)
        with pytest.raises(NotImplementedError, match="leaky_relu_cpu"):
            F(T).rrelu(T.ones(3, dtype=T.int64))
    y = F(mt).rrelu(mt.ones(3, dtype=mt.bfloat16) * -1, training=True)
    assert y.dtype is mt.bfloat16


# ------------------------------------------------------------------ in-place forms
INPLACE = [
    ("F.selu_", lambda T, x: F(T).selu_(x)), ("torch.selu_", lambda T, x: T.selu_(x)),
    ("F.selu(inplace)", lambda T, x: F(T).selu(x, inplace=True)),
    ("F.celu_", lambda T, x: F(T).celu_(x, 0.5)), ("torch.celu_", lambda T, x: T.celu_(x)),
    ("F.celu(inplace)", lambda T, x: F(T).celu(x, 2.0, True)),
    ("F.threshold_", lambda T, x: F(T).threshold_(x, 0.1, 5.0)),
    ("torch.threshold_", lambda T, x: T.threshold_(x, 0.1, 5.0)),
    ("F.threshold(inplace)", lambda T, x: F(T).threshold(x, 0.1, 5.0, True)),
    ("F.rrelu_", lambda T, x: F(T).rrelu_(x)), ("torch.rrelu_", lambda T, x: T.rrelu_(x)),
    ("F.rrelu(inplace)", lambda T, x: F(T).rrelu(x, inplace=True)),
]


@requires_torch
@pytest.mark.parametrize("name,fn", INPLACE, ids=[e[0] for e in INPLACE])
def test_inplace_forms(name, fn):
    a = np.linspace(-2, 2, 12).reshape(3, 4)
    res = []
    for T in (torch, mt):
        leaf = T.tensor(a, requires_grad=True)
        x = leaf * 1.0
        out = fn(T, x)
        assert out is x
        (x * T.tensor(np.sin(a))).sum().backward()
        res.append((x.detach().numpy(), leaf.grad.numpy(), x.grad_fn.name()))
    assert_close(res[1][0], res[0][0])
    assert_close(res[1][1], res[0][1])
    assert res[1][2] == res[0][2]
    with pytest.raises(RuntimeError, match="leaf Variable"):
        fn(mt, mt.tensor(a, requires_grad=True))


@requires_torch
def test_celu_alpha_zero_error():
    for T in (torch, mt):
        with pytest.raises(RuntimeError, match="alpha cannot be 0 for CELU"):
            F(T).celu(T.ones(2), 0.0)
