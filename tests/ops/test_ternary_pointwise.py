"""addcmul, addcdiv and lerp (minitorch_nn/ops/ternary_pointwise.py): NumPy reference, float64
gradcheck and PyTorch differential through the harness; dtypes, the `value` cast, errors,
in-place forms and node names against PyTorch. (More lerp cases: tests/ops/test_selection.py.)
"""
from __future__ import annotations

import doctest

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.ops import ternary_pointwise
from op_harness import check_op, requires_torch, torch
from unary_util import _same_as_torch

SHAPES = [[(3, 4), (4,), (3, 1)], [(2, 3), (2, 3), (2, 3)], [(), (2, 2), ()],
          [(0, 2), (0, 1), (0, 2)], [(1, 5), (4, 1), (5,)]]


def _away_from_zero(arrays):
    a, b, c = arrays
    return [a, b, np.sign(c) * (np.abs(c) + 0.5)]


@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("value", [1, 0.5, -2])
def test_addcmul(shapes, value):
    check_op(lambda T, x, a, b: T.addcmul(x, a, b, value=value), shapes,
             ref=lambda x, a, b: x + value * a * b)
    check_op(lambda T, x, a, b: x.addcmul(a, b, value=value), shapes,
             ref=lambda x, a, b: x + value * a * b)


@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("value", [1, 0.5, -2])
def test_addcdiv(shapes, value):
    from op_harness import make_arrays
    arrays = _away_from_zero(make_arrays(shapes, seed=4))
    check_op(lambda T, x, a, b: T.addcdiv(x, a, b, value=value), None, arrays=arrays,
             ref=lambda x, a, b: x + value * a / b)
    check_op(lambda T, x, a, b: x.addcdiv(a, b, value=value), None, arrays=arrays,
             ref=lambda x, a, b: x + value * a / b)


@requires_torch
@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("dtypes", [("int64", "int64", "int64"), ("float32", "int64", "int64"),
                                    ("int64", "float32", "int64"), ("int64", "int64", "float32"),
                                    ("float16", "float32", "float32"),
                                    ("float16", "float16", "float16"),
                                    ("bfloat16", "bfloat16", "bfloat16"),
                                    ("bool", "bool", "bool"), ("uint8", "int8", "int16"),
                                    ("float32", "float64", "float32"),
                                    ("complex64", "float32", "float32")])
@pytest.mark.parametrize("value", [1, 0.5, True, -3, 1j])
def test_dtypes_values_and_errors_match_pytorch(name, dtypes, value):
    def fn(T):
        args = [T.tensor(d, dtype=getattr(T, t)) for d, t in
                zip(([1.5, -2, 3.25], [3, 4.5, -1], [2, 1, 3]), dtypes)]
        return getattr(T, name)(*args, value=value)
    try:
        theirs = fn(torch)
    except Exception as err:   # noqa: BLE001 - the class is what we compare
        with pytest.raises(type(err)):
            fn(mt)
        return
    mine = fn(mt)
    assert str(mine.dtype) == str(theirs.dtype)
    if theirs.dtype in (torch.float16, torch.bfloat16):
        mine, theirs = mine.float(), theirs.float()
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6)


@requires_torch
@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_types_round_once_like_pytorch(name, dtype):
    rng = np.random.default_rng(5)
    data = [rng.uniform(-4, 4, 64).tolist() for _ in range(3)]

    def fn(T):
        args = [T.tensor(d, dtype=getattr(T, dtype)) for d in data]
        return getattr(T, name)(*args, value=0.3)
    np.testing.assert_array_equal(fn(mt).float().numpy(), fn(torch).float().numpy())


@requires_torch
@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
def test_gradients_at_special_points_and_names_match_pytorch(name):
    out = _same_as_torch(lambda T, x, a, b: getattr(T, name)(x, a, b, value=2),
                         ([1.0, 2.0, 0.0, -1.0], "float64", True),
                         ([3.0, 0.0, 0.0, 1e308], "float64", True),
                         ([2.0, 0.0, -0.0, 1e10], "float64", True))
    theirs = getattr(torch, name)(*(torch.ones(1, requires_grad=True) for _ in range(3)))
    assert out.grad_fn.name() == theirs.grad_fn.name()
    _same_as_torch(lambda T, x, a, b: getattr(T, name)(x, a, b, value=0.5),
                   ([1.0, 2.0], "float32", True), ([3.0, -1.0], "float16", True),
                   ([2.0, 4.0], "float64"))


def _same_error(fn, argument=None):
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value)) as mine:
        fn(mt)
    if argument is not None:
        assert argument in str(mine.value)


@requires_torch
@pytest.mark.parametrize("call,argument", [
    (lambda T: T.addcmul(T.ones(2), T.ones(2), 2.0), "'tensor2'"),
    (lambda T: T.addcdiv(T.ones(2), [1.0], T.ones(2)), "'tensor1'"),
    (lambda T: T.addcmul(1.0, T.ones(2), T.ones(2)), "'input'"),
    (lambda T: T.addcmul(T.ones(2), T.ones(2), T.ones(2), 2), None),
    (lambda T: T.addcmul(T.ones(2), T.ones(2), T.ones(3)), "size"),
    (lambda T: T.addcdiv(T.ones(2, 3), T.ones(3, 2), T.ones(3)), "size"),
    (lambda T: T.addcmul(T.ones(2), T.ones(2), T.ones(2), value=1j), "float"),
    (lambda T: T.addcmul(T.ones(2, dtype=T.bool), T.ones(2, dtype=T.bool),
                         T.ones(2, dtype=T.bool)), "Bool"),
    (lambda T: T.addcdiv(T.ones(2), T.tensor([1, 2]), T.tensor([1, 2])), "Integer division"),
    (lambda T: T.addcdiv(T.ones(2), T.tensor([True]), T.tensor([1])), "Integer division"),
    (lambda T: T.tensor([1, 2]).addcmul_(T.ones(2), T.ones(2)), "Long"),
    (lambda T: T.ones(2).addcmul_(T.ones(2, 2), T.ones(2)), "shape"),
    (lambda T: T.ones(2).addcdiv_(T.ones(2), T.ones(2, 2)), "shape"),
    (lambda T: T.lerp(T.ones(2), T.ones(2), 1j), "float"),
    (lambda T: T.lerp(T.ones(2), T.ones(2), "a"), "'weight'"),
    (lambda T: T.lerp(T.tensor([1]), T.tensor([2]), 0.5), "Long"),
])
def test_bad_input_raises_as_pytorch(call, argument):
    _same_error(call, argument)


@requires_torch
@pytest.mark.parametrize("call", [
    lambda t, a, b: t.addcmul_(a, b), lambda t, a, b: t.addcmul_(a, b, value=-0.5),
    lambda t, a, b: t.addcdiv_(a, b), lambda t, a, b: t.addcdiv_(a, b, value=3),
    lambda t, a, b: t.lerp_(a, 0.25), lambda t, a, b: t.lerp_(a, b),
])
def test_inplace_forms_match_pytorch(call):
    outs = []
    for T in (mt, torch):
        leaf = T.tensor([0.5, -1.5, 2.0], dtype=T.float64, requires_grad=True)
        a = T.tensor([2.0, 0.5, -1.0], dtype=T.float64, requires_grad=True)
        b = T.tensor([0.75, 1.5, -0.25], dtype=T.float64, requires_grad=True)
        x = leaf * 1.0
        assert call(x, a, b) is x
        x.backward(T.tensor([1.0, 2.0, -1.0], dtype=T.float64))
        outs.append([x.detach().numpy(), x.grad_fn.name()]
                    + [t.grad.numpy() if t.grad is not None else None for t in (leaf, a, b)])
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-12)
    assert outs[0][1] == outs[1][1]
    for mine, theirs in zip(outs[0][2:], outs[1][2:]):
        assert (mine is None) == (theirs is None)
        if theirs is not None:
            np.testing.assert_allclose(mine, theirs, rtol=1e-12)


# ------------------------------------------------------------------ lerp
@requires_torch
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
@pytest.mark.parametrize("weight", [0.3, 0.7, -0.75, 1.5, -3.0, "tensor"])
def test_lerp_rounds_like_pytorch(dtype, weight):
    rng = np.random.default_rng(6)
    start, end, w = (rng.uniform(-8, 8, 40).tolist() for _ in range(3))

    def fn(T):
        d = getattr(T, dtype)
        wt = T.tensor(w, dtype=d) if weight == "tensor" else weight
        return T.lerp(T.tensor(start, dtype=d), T.tensor(end, dtype=d), wt)
    np.testing.assert_array_equal(fn(mt).float().numpy(), fn(torch).float().numpy())


@pytest.mark.parametrize("shapes", [[(3, 4), (4,), (3, 1)], [(2, 3), (2, 3), ()],
                                    [(0, 2), (0, 1), (0, 2)]])
def test_lerp_tensor_weight_gradients(shapes):
    ref = lambda s, e, w: s + w * (e - s)   # noqa: E731
    check_op(lambda T, s, e, w: T.lerp(s, e, w), shapes, ref=ref)
    check_op(lambda T, s, e, w: s.lerp(e, w), shapes, ref=ref, low=-3, high=3)


@requires_torch
def test_lerp_node_names_and_complex_match_pytorch():
    for weight in (0.25, "tensor"):
        names = []
        for T in (mt, torch):
            s = T.tensor([1.0, 2.0], requires_grad=True)
            w = T.tensor([0.5, 0.75]) if weight == "tensor" else weight
            names.append(T.lerp(s, T.tensor([3.0, 5.0]), w).grad_fn.name())
        assert names[0] == names[1]
    results = []
    for T in (mt, torch):
        s = T.tensor([1 + 1j, 2.0], dtype=T.complex128, requires_grad=True)
        e = T.tensor([3.0, 5 - 2j], dtype=T.complex128, requires_grad=True)
        out = T.lerp(s, e, 0.75)
        (out * T.tensor([1 - 2j, 0.5j], dtype=T.complex128)).real.sum().backward()
        results.append([out.detach().numpy(), s.grad.numpy(), e.grad.numpy()])
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_docstring_examples():
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    globs = {"tensor": mt.tensor, **{n: getattr(ternary_pointwise, n) for n in ("lerp",)}}
    for test in doctest.DocTestFinder().find(ternary_pointwise, globs=globs):
        runner.run(test)
    assert runner.tries >= 1 and runner.failures == 0
