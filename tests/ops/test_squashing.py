"""ops/squashing.py: logsigmoid, softsign, hardsigmoid, hardswish, mish, tanhshrink,
softshrink, hardshrink (F.X, torch.hardshrink, Tensor.hardshrink) and glu."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import assert_close, check_op, requires_torch, torch


def F(T):
    return T.nn.functional


def _sig(x):
    return 1 / (1 + np.exp(-x))


ELEMENTWISE = [
    ("logsigmoid", lambda T, x: F(T).logsigmoid(x), lambda x: np.log(_sig(x))),
    ("softsign", lambda T, x: F(T).softsign(x), lambda x: x / (1 + np.abs(x))),
    ("hardsigmoid", lambda T, x: F(T).hardsigmoid(x * 3), lambda x: np.clip(x * 3 + 3, 0, 6) / 6),
    ("hardswish", lambda T, x: F(T).hardswish(x * 3),
     lambda x: 3 * x * np.clip(3 * x + 3, 0, 6) / 6),
    ("mish", lambda T, x: F(T).mish(x), lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    ("tanhshrink", lambda T, x: F(T).tanhshrink(x), lambda x: x - np.tanh(x)),
    ("softshrink", lambda T, x: F(T).softshrink(x, 0.7),
     lambda x: np.where(x > 0.7, x - 0.7, np.where(x < -0.7, x + 0.7, 0))),
    ("hardshrink", lambda T, x: F(T).hardshrink(x), lambda x: np.where(np.abs(x) > 0.5, x, 0)),
    ("torch.hardshrink", lambda T, x: T.hardshrink(x, 1.1),
     lambda x: np.where(np.abs(x) > 1.1, x, 0)),
    ("Tensor.hardshrink", lambda T, x: x.hardshrink(), lambda x: np.where(np.abs(x) > .5, x, 0)),
]
IDS = [e[0] for e in ELEMENTWISE]
SHAPES = [(4, 3), (0, 3), (1,), (), (2, 1, 3)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name,fn,ref", ELEMENTWISE, ids=IDS)
def test_elementwise_values_and_grads(name, fn, ref, shape):
    # the kinks (+-3, +-lambd) are avoided by the random inputs: gradcheck is smooth there
    check_op(fn, [shape], ref=ref)


@requires_torch
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
@pytest.mark.parametrize("name,fn,ref", ELEMENTWISE, ids=IDS)
def test_half_types(name, fn, ref, dtype):
    a = np.linspace(-4, 4, 30).reshape(5, 6)
    x = mt.tensor(a, dtype=getattr(mt, dtype), requires_grad=True)
    t = torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True)
    y, ty = fn(mt, x), fn(torch, t)
    assert str(y.dtype) == str(ty.dtype)
    assert y.grad_fn.name() == ty.grad_fn.name()
    tol = 1e-6 if dtype == "float32" else 1e-2
    assert_close(y.detach().float().numpy(), ty.detach().float().numpy(), tol, tol)
    g = np.cos(a)
    y.backward(mt.tensor(g, dtype=y.dtype))
    ty.backward(torch.tensor(g, dtype=ty.dtype))
    assert_close(x.grad.float().numpy(), t.grad.float().numpy(), tol, tol)


@requires_torch
@pytest.mark.parametrize("dtype", ["int64", "bool", "int32"])
@pytest.mark.parametrize("name,fn,ref", ELEMENTWISE, ids=IDS)
def test_integer_inputs_as_pytorch(name, fn, ref, dtype):
    a = np.array([-2, 0, 1, 3])
    results = []
    for T in (torch, mt):
        try:
            y = fn(T, T.tensor(a).to(getattr(T, dtype)))
            results.append((str(y.dtype), np.round(y.numpy().astype(float), 5).tolist()))
        except Exception as e:   # noqa: BLE001 - the class is compared
            results.append(type(e).__name__)
    assert results[0] == results[1]


@requires_torch
def test_boundaries_and_nonfinite_like_pytorch():
    """The branch points (+-3, +-lambd, 0) and inf/nan: values and subgradients."""
    a = np.array([np.nan, 0.0, -0.0, np.inf, -np.inf, 3.0, -3.0, 0.5, -0.5, 0.7, -0.7,
                  40.0, -40.0, 800.0, -800.0])
    for name, fn, _ in ELEMENTWISE:
        x, t = mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        y, ty = fn(mt, x), fn(torch, t)
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12,
                                   err_msg=name)
        y.sum().backward()
        ty.sum().backward()
        keep = slice(None)
        if "shrink" in name and "tanh" not in name:
            # PyTorch's shrink backward passes g at NaN in its scalar loop but gives 0 in its
            # vectorized loop (it depends on the position): ours is the scalar kernel's
            keep = ~np.isnan(a)
            assert x.grad.numpy()[0] == 1.0
        np.testing.assert_allclose(x.grad.numpy()[keep], t.grad.numpy()[keep], rtol=1e-12,
                                   err_msg=name)


@requires_torch
def test_softshrink_lambda_errors():
    for lambd in (-1.0, -0.25):
        for dt in ("float32", "float64", "float16"):
            msgs = []
            for T in (torch, mt):
                with pytest.raises(RuntimeError) as info:
                    F(T).softshrink(T.ones(2, dtype=getattr(T, dt)), lambd)
                msgs.append(str(info.value))
            assert msgs[0] == msgs[1]
    # hardshrink accepts a negative lambd (everything passes)
    x = np.linspace(-1, 1, 5)
    assert F(mt).hardshrink(mt.tensor(x), -1.0).tolist() == \
        F(torch).hardshrink(torch.tensor(x), -1.0).tolist()


# ------------------------------------------------------------------ in-place
@requires_torch
@pytest.mark.parametrize("name", ["hardsigmoid", "hardswish", "mish"])
def test_inplace(name):
    a = np.linspace(-4, 4, 12).reshape(3, 4)
    res = []
    for T in (torch, mt):
        leaf = T.tensor(a, requires_grad=True)
        x = leaf * 1.0
        assert getattr(F(T), name)(x, inplace=True) is x
        (x * T.tensor(np.sin(a))).sum().backward()
        res.append((x.detach().numpy(), leaf.grad.numpy(), x.grad_fn.name()))
    assert_close(res[1][0], res[0][0])
    assert_close(res[1][1], res[0][1])
    assert res[1][2] == res[0][2]


# ------------------------------------------------------------------ glu
def _glu_ref(dim):
    def ref(x):
        a, b = np.split(x, 2, axis=dim)
        return a * _sig(b)
    return ref


@pytest.mark.parametrize("shape,dim", [((4, 6), -1), ((4, 6), 0), ((2, 4, 3), 1),
                                       ((2,), 0), ((0, 4), -1), ((3, 0), 1), ((2, 2, 1), -3)],
                         ids=str)
def test_glu(shape, dim):
    check_op(lambda T, x: F(T).glu(x, dim), [shape], ref=_glu_ref(dim))


@requires_torch
@pytest.mark.parametrize("shape,dim,dtype", [((3, 3), -1, "float32"), ((3, 4), 0, "float32"),
                                             ((), 0, "float32"), ((3, 4), 2, "float32"),
                                             ((3, 4), -3, "float32"), ((3, 4), 1, "int64"),
                                             ((3, 4), 1, "bool")], ids=str)
def test_glu_errors(shape, dim, dtype):
    errors = []
    for T in (torch, mt):
        with pytest.raises(Exception) as info:   # noqa: B017 - the class is compared below
            F(T).glu(T.ones(shape, dtype=getattr(T, dtype)), dim)
        errors.append(info.type)
        msg = str(info.value)
    assert errors[0] is errors[1], msg
    assert msg


@requires_torch
def test_glu_half():
    a = np.linspace(-3, 3, 24).reshape(4, 6)
    for dt in ("float16", "bfloat16"):
        x = mt.tensor(a, dtype=getattr(mt, dt), requires_grad=True)
        t = torch.tensor(a, dtype=getattr(torch, dt), requires_grad=True)
        y, ty = F(mt).glu(x, 0), F(torch).glu(t, 0)
        assert str(y.dtype) == str(ty.dtype) and y.grad_fn.name() == ty.grad_fn.name()
        assert_close(y.detach().float().numpy(), ty.detach().float().numpy(), 1e-2, 1e-2)
        y.sum().backward()
        ty.sum().backward()
        assert_close(x.grad.float().numpy(), t.grad.float().numpy(), 1e-2, 1e-2)


def test_hardswish_gradient_at_its_kinks_is_pytorchs():
    """PyTorch's hardswish_backward: slope 0 at x = -3 (the flat piece) and 1 at x = 3."""
    x = mt.tensor([-3.0, 3.0, -3.5, 3.5, 0.0], requires_grad=True)
    mt.nn.functional.hardswish(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0, 1.0, 0.5])
