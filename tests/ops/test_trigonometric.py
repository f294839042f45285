"""Inverse trigonometric and hyperbolic functions, atan2, hypot, rad2deg and deg2rad
(minitorch_nn/ops/trigonometric.py): NumPy reference, float64 gradcheck and PyTorch
differential through the harness; then dtypes, special values and their gradients, errors,
aliases, in-place forms and node names against PyTorch.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch
from unary_util import INF, NAN, _outcome, _same_as_torch

UNARY = [   # name, alias, NumPy reference, input range (inside the domain, off its edges)
    ("asin", "arcsin", np.arcsin, dict(low=-0.9, high=0.9)),
    ("acos", "arccos", np.arccos, dict(low=-0.9, high=0.9)),
    ("atan", "arctan", np.arctan, {}),
    ("sinh", None, np.sinh, {}),
    ("cosh", None, np.cosh, {}),
    ("asinh", "arcsinh", np.arcsinh, {}),
    ("acosh", "arccosh", np.arccosh, dict(low=1.2, high=4.0)),
    ("atanh", "arctanh", np.arctanh, dict(low=-0.9, high=0.9)),
    ("rad2deg", None, np.rad2deg, {}),
    ("deg2rad", None, np.deg2rad, {}),
]
NAMES = [u[0] for u in UNARY]
DTYPES = ["int64", "int32", "uint8", "bool", "float16", "bfloat16", "float32", "float64",
          "complex64"]


# ------------------------------------------------------------------ harness runs
@pytest.mark.parametrize("name,alias,ref,kw", UNARY, ids=NAMES)
@pytest.mark.parametrize("shape", [(3, 4), (), (0, 3), (1, 5), (2, 1, 3)])
def test_unary_against_numpy_gradcheck_and_pytorch(name, alias, ref, kw, shape):
    check_op(lambda T, x: getattr(T, name)(x), [shape], ref=ref, **kw)


@pytest.mark.parametrize("name,alias,ref,kw", UNARY, ids=NAMES)
def test_methods_aliases_and_float32(name, alias, ref, kw):
    check_op(lambda T, x: getattr(x, name)(), [(4, 3)], ref=ref, dtype=np.float32, atol=1e-4,
             **kw)
    if alias is not None:
        check_op(lambda T, x: getattr(T, alias)(x), [(5,)], ref=ref, **kw)
        check_op(lambda T, x: getattr(x, alias)(), [(2, 3)], ref=ref, **kw)
        assert getattr(mt, alias) is getattr(mt, name)


def test_atan2_and_hypot_broadcast():
    for name, ref in (("atan2", np.arctan2), ("hypot", np.hypot)):
        check_op(lambda T, x, y: getattr(T, name)(x, y), [(3, 4), (4,)], ref=ref)
        check_op(lambda T, x, y: getattr(x, name)(y), [(2, 1, 3), (4, 1)], ref=ref)
        check_op(lambda T, x, y: getattr(T, name)(x, y), [(0, 3), (0, 1)], ref=ref)
        check_op(lambda T, x, y: getattr(T, name)(x, y), [(), (2, 2)], ref=ref)
    check_op(lambda T, x, y: T.arctan2(x, y), [(2, 3), (2, 3)], ref=np.arctan2)
    check_op(lambda T, x, y: x.arctan2(y), [(2, 3), (2, 3)], ref=np.arctan2)


def test_atan2_quadrants():
    y = mt.tensor([1.0, 1.0, -1.0, -1.0, 0.0, -0.0])
    x = mt.tensor([1.0, -1.0, -1.0, 1.0, -1.0, -1.0])
    expected = np.arctan2(y.numpy(), x.numpy())
    assert np.allclose(mt.atan2(y, x).numpy(), expected)
    assert mt.atan2(y, x).tolist()[-1] == pytest.approx(-math.pi)


# ------------------------------------------------------------------ dtypes against PyTorch
@requires_torch
@pytest.mark.parametrize("name", NAMES + ["arcsin", "arctanh"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_result_dtype_or_error_matches_pytorch(name, dtype):
    data = {"bool": [True, False, True], "uint8": [0, 1, 3]}.get(dtype, [-2, 0, 1, 3])

    def fn(T):
        return getattr(T, name)(T.tensor(data, dtype=getattr(T, dtype)))
    if dtype == "complex64":
        _same_complex(fn)
        return
    mine, theirs = _outcome(mt, fn), _outcome(torch, fn)
    assert mine[:2] == theirs[:2]
    if mine[0] == "ok":
        np.testing.assert_allclose(mine[2], theirs[2], rtol=2e-3, equal_nan=True)


def _same_complex(fn):
    try:
        theirs = fn(torch)
    except Exception as err:   # noqa: BLE001 - the class is what we compare
        with pytest.raises(type(err)):
            fn(mt)
        return
    mine = fn(mt)
    assert str(mine.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


@requires_torch
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_types_round_once_like_pytorch(name, dtype):
    grid = np.linspace(-3.0, 3.0, 61).tolist()

    def fn(T):
        return getattr(T, name)(T.tensor(grid, dtype=getattr(T, dtype)))
    mine, theirs = fn(mt), fn(torch)
    np.testing.assert_array_equal(mine.float().numpy(), theirs.float().numpy())


@requires_torch
@pytest.mark.parametrize("name", NAMES)
def test_half_gradients_match_pytorch(name):
    data = [-0.75, -0.25, 0.0, 0.5, 0.8] if name != "acosh" else [1.25, 1.5, 2.0, 3.5]
    _same_as_torch(lambda T, x: getattr(T, name)(x), (data, "float16", True), rtol=2e-3,
                   atol=1e-3)


@requires_torch
@pytest.mark.parametrize("name", NAMES)
def test_complex_values_and_gradients_match_pytorch(name):
    if name in ("rad2deg", "deg2rad"):
        return   # not supported for complex (checked above)
    data = [0.3 + 0.4j, -1.5 + 0.2j, 2.0 - 1.0j]
    grads = []
    for T in (mt, torch):
        x = T.tensor(data, dtype=T.complex128, requires_grad=True)
        y = getattr(T, name)(x)
        y.abs().sum().backward()
        grads.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-10)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-8)


def test_integer_input_takes_the_default_float_dtype():
    mt.set_default_dtype(mt.float64)
    assert mt.asinh(mt.tensor([1, 2])).dtype is mt.float64
    assert mt.atan2(mt.tensor([1]), mt.tensor([2])).dtype is mt.float64
    mt.set_default_dtype(mt.float32)
    assert mt.rad2deg(mt.tensor([True])).dtype is mt.float32


@requires_torch
@pytest.mark.parametrize("pair", [("int64", "int64"), ("int32", "float16"), ("bool", "bool"),
                                  ("float16", "float16"), ("bfloat16", "float16"),
                                  ("float32", "float64"), ("uint8", "int8"),
                                  ("bfloat16", "bfloat16"), ("complex64", "float32")])
@pytest.mark.parametrize("name", ["atan2", "hypot"])
def test_binary_promotion_or_error_matches_pytorch(name, pair):
    def fn(T):
        return getattr(T, name)(T.tensor([1, 0, 3], dtype=getattr(T, pair[0])),
                                T.tensor([2, 0, 1], dtype=getattr(T, pair[1])))
    mine, theirs = _outcome(mt, fn), _outcome(torch, fn)
    assert mine[:2] == theirs[:2]
    if mine[0] == "ok":
        np.testing.assert_allclose(mine[2], theirs[2], rtol=2e-3, equal_nan=True)


# ------------------------------------------------------------------ special values, gradients
EDGES = [-2.0, -1.0, -0.5, 0.0, -0.0, 0.5, 1.0, 2.0, INF, -INF, NAN, 1e-30, 40.0, -40.0]


@requires_torch
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_special_values_and_their_gradients_match_pytorch(name, dtype):
    _same_as_torch(lambda T, x: getattr(T, name)(x), (EDGES, dtype, True))


def test_documented_limits_of_the_derivatives():
    for name, point, expected in [("asin", 1.0, INF), ("asin", -1.0, INF), ("acos", 1.0, -INF),
                                  ("acos", -1.0, -INF), ("acosh", 1.0, INF),
                                  ("atanh", 1.0, INF), ("asinh", INF, 0.0)]:
        x = mt.tensor([point], dtype=mt.float64, requires_grad=True)
        getattr(mt, name)(x).backward(mt.ones(1, dtype=mt.float64))
        assert x.grad.tolist() == [expected], (name, point)
    assert math.isnan(mt.acosh(mt.tensor([0.5])).item())
    assert math.isnan(mt.asin(mt.tensor([2.0])).item())


@requires_torch
@pytest.mark.parametrize("name", ["atan2", "hypot"])
def test_binary_gradients_at_special_points_match_pytorch(name):
    x = [1e-200, 0.0, 0.0, INF, 1.0, -3.0, NAN, -0.0]
    y = [0.0, 0.0, 1e-200, 1.0, INF, 4.0, 1.0, -2.0]
    _same_as_torch(lambda T, a, b: getattr(T, name)(a, b), (x, "float64", True),
                   (y, "float64", True))
    _same_as_torch(lambda T, a, b: getattr(T, name)(a, b), (x[:6], "float32", True),
                   (y[:6], "float16", True), rtol=1e-3)


def test_atan2_gradient_at_the_origin_is_zero():
    x = mt.tensor([0.0], requires_grad=True)
    y = mt.tensor([0.0], requires_grad=True)
    mt.atan2(x, y).backward(mt.ones(1))
    assert x.grad.tolist() == [0.0] and y.grad.tolist() == [0.0]
    a = mt.tensor([0.0], requires_grad=True)
    b = mt.tensor([0.0], requires_grad=True)
    mt.hypot(a, b).backward(mt.ones(1))
    assert math.isnan(a.grad.item()) and math.isnan(b.grad.item())


def test_no_numpy_warnings_outside_the_domain():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in NAMES:
            x = mt.tensor([-3.0, -1.0, 1.0, 3.0, INF, 1e30], requires_grad=True)
            getattr(mt, name)(x).sum().backward()
        mt.atan2(mt.zeros(2, requires_grad=True), mt.zeros(2)).sum().backward()
        mt.hypot(mt.zeros(2, requires_grad=True), mt.zeros(2)).sum().backward()


# ------------------------------------------------------------------ errors
def _same_error(fn, argument=None):
    """The call fails with the same exception class in both libraries; our message names
    `argument` when given."""
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value)) as mine:
        fn(mt)
    if argument is not None:
        assert argument in str(mine.value)
    return mine.value


@requires_torch
@pytest.mark.parametrize("call,argument", [
    (lambda T: T.atan2(T.tensor([1.0]), 2.0), "'other'"),
    (lambda T: T.atan2(1.0, T.tensor([1.0])), "'input'"),
    (lambda T: T.hypot(T.tensor([1.0]), 2), "'other'"),
    (lambda T: T.hypot(T.tensor([1, 2]), T.tensor([1, 2])), "Long"),
    (lambda T: T.atan2(T.tensor([1.0, 2.0]), T.tensor([1.0, 2.0, 3.0])), "size"),
    (lambda T: T.hypot(T.ones(2, 3), T.ones(3, 2)), "size"),
    (lambda T: T.atan2(T.tensor([1j]), T.tensor([1j])), "ComplexFloat"),
    (lambda T: T.rad2deg(T.tensor([1j])), "complex"),
    (lambda T: T.deg2rad(T.tensor([1j])), "complex"),
    (lambda T: T.asin([0.5]), "'input'"),
    (lambda T: T.cosh(None), "'input'"),
    (lambda T: T.tensor([1, 2]).asin_(), "Long"),
    (lambda T: T.tensor([1, 2]).atan2_(T.tensor([1, 2])), "Long"),
    (lambda T: T.tensor([1.0]).hypot_(T.tensor([1.0, 2.0])), "shape"),
    (lambda T: T.tensor([1.0], requires_grad=True).sinh_(), "leaf"),
])
def test_bad_input_raises_as_pytorch(call, argument):
    _same_error(call, argument)


# ------------------------------------------------------------------ in-place, names
@requires_torch
@pytest.mark.parametrize("name", NAMES + ["arcsin", "arccos", "arctan", "arcsinh", "arccosh",
                                          "arctanh"])
def test_inplace_forms_match_pytorch_and_are_exported(name):
    data = [0.25, 0.5, 1.5] if "cosh" not in name else [1.25, 1.5, 2.5]
    for T in (mt, torch):
        assert callable(getattr(T, name + "_"))
    if name in ("asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh"):
        _no_inplace_derivative(name, data)   # asinh_, acosh_, atanh_
        return
    outs = []
    for T in (mt, torch):
        leaf = T.tensor(data, requires_grad=True)
        x = leaf * 1.0
        r = getattr(x, name + "_")()
        assert r is x
        x.sum().backward()
        outs.append((x.detach().numpy(), leaf.grad.numpy(), x.grad_fn.name()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-6, equal_nan=True)
    assert outs[0][2] == outs[1][2]


def _no_inplace_derivative(name, data):
    """PyTorch has no derivative for asinh_/acosh_/atanh_: recorded as `<Op>Backward1`,
    whose backward raises NotImplementedError; the values are the out-of-place op's."""
    names = []
    for T in (mt, torch):
        x = T.tensor(data, requires_grad=True) * 1.0
        getattr(x, name + "_")()
        names.append(x.grad_fn.name())
        with pytest.raises(NotImplementedError, match=f"inplace version of a{name[-4:]}"):
            x.sum().backward()
    assert names[0] == names[1]
    mine, theirs = (getattr(T.tensor(data), name + "_")() for T in (mt, torch))
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6, equal_nan=True)


@requires_torch
@pytest.mark.parametrize("name", ["atan2", "arctan2", "hypot"])
def test_binary_inplace_forms_match_pytorch(name):
    outs = []
    for T in (mt, torch):
        x = T.tensor([[1.0, -2.0], [0.5, 3.0]])
        other = T.tensor([2.0, -1.0], requires_grad=True)
        y = x.clone()
        getattr(y, name + "_")(other)
        y.sum().backward()
        outs.append((y.detach().numpy(), other.grad.numpy(), y.grad_fn.name()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-6)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-6)
    assert outs[0][2] == outs[1][2]


@requires_torch
@pytest.mark.parametrize("call", [
    lambda T, x, y: T.asin(x), lambda T, x, y: T.acos(x), lambda T, x, y: T.atan(x),
    lambda T, x, y: T.sinh(x), lambda T, x, y: T.cosh(x), lambda T, x, y: T.asinh(x),
    lambda T, x, y: T.acosh(x + 2), lambda T, x, y: T.atanh(x), lambda T, x, y: T.rad2deg(x),
    lambda T, x, y: T.deg2rad(x), lambda T, x, y: T.atan2(x, y), lambda T, x, y: T.hypot(x, y),
])
def test_node_names_match_pytorch(call):
    names = []
    for T in (mt, torch):
        x = T.tensor([0.5], requires_grad=True)
        y = T.tensor([0.25], requires_grad=True)
        names.append(call(T, x, y).grad_fn.name())
    assert names[0] == names[1]
