"""exp2, logaddexp(2), xlogy, nan_to_num, heaviside, signbit, copysign, frexp, ldexp and
float_power (minitorch_nn/ops/pointwise_math.py): NumPy reference, float64 gradcheck and
PyTorch differential through the harness; then dtypes, special values and their gradients,
errors, in-place forms and node names against PyTorch. Also the bitwise shifts and their
operators (declared in ops/comparison.py), against PyTorch.
"""
from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch
from unary_util import INF, NAN, _outcome, _same_as_torch

DTYPES = ["int64", "int32", "uint8", "bool", "float16", "bfloat16", "float32", "float64"]
PAIRS = [("int64", "int64"), ("int32", "float16"), ("bool", "bool"), ("float16", "float16"),
         ("bfloat16", "float16"), ("float32", "float64"), ("uint8", "int8"),
         ("bfloat16", "bfloat16"), ("complex64", "float32")]


def _np_xlogy(x, y):
    with np.errstate(all="ignore"):
        return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log(y))


# ------------------------------------------------------------------ harness runs
@pytest.mark.parametrize("shape", [(3, 4), (), (0, 2), (1, 5), (2, 1, 3)])
def test_exp2(shape):
    check_op(lambda T, x: T.exp2(x), [shape], ref=np.exp2)
    check_op(lambda T, x: x.exp2(), [shape], ref=np.exp2, dtype=np.float32, atol=1e-5)


@pytest.mark.parametrize("name,ref", [("logaddexp", np.logaddexp),
                                      ("logaddexp2", np.logaddexp2)])
@pytest.mark.parametrize("shapes", [[(3, 4), (4,)], [(2, 1, 3), (4, 1)], [(), (2, 2)],
                                    [(0, 3), (0, 1)]])
def test_logaddexp(name, ref, shapes):
    check_op(lambda T, x, y: getattr(T, name)(x, y), shapes, ref=ref, low=-5, high=5)
    check_op(lambda T, x, y: getattr(x, name)(y), shapes, ref=ref, low=-5, high=5)


def test_logaddexp_is_stable_where_exp_overflows():
    for name, ref in (("logaddexp", np.logaddexp), ("logaddexp2", np.logaddexp2)):
        x, y = np.array([1000.0, -1000.0, 800.0]), np.array([1000.0, -999.0, -800.0])
        check_op(lambda T, a, b: getattr(T, name)(a, b), None, arrays=[x, y], ref=ref)


@pytest.mark.parametrize("shapes", [[(3, 4), (4,)], [(2, 1, 3), (4, 1)], [(0, 3), (0, 1)],
                                    [(), ()]])
def test_xlogy_tensors(shapes):
    x, y = (np.random.default_rng(2).uniform(-2, 2, s) for s in shapes)
    y = np.abs(y) + 0.5
    check_op(lambda T, a, b: T.xlogy(a, b), None, arrays=[x, y], ref=_np_xlogy)
    check_op(lambda T, a, b: a.xlogy(b), None, arrays=[x, y], ref=_np_xlogy)


@pytest.mark.parametrize("number", [0, 2.5, 3, True])
def test_xlogy_with_a_number_on_either_side(number):
    check_op(lambda T, y: T.xlogy(number, y), [(3, 4)], positive=True,
             ref=lambda y: _np_xlogy(np.float64(number), y))
    if number:   # xlogy(x, 0) = x * -inf: no finite difference to check against
        check_op(lambda T, x: T.xlogy(x, number), [(3, 4)],
                 ref=lambda x: _np_xlogy(x, np.float64(number)))


def test_xlogy_zero_times_log():
    assert mt.xlogy(0, mt.tensor([0.0, 2.0, INF])).tolist() == [0.0, 0.0, 0.0]
    assert math.isnan(mt.xlogy(0, mt.tensor([NAN])).item())
    assert math.isnan(mt.xlogy(mt.tensor([0.0]), NAN).item())


def _nan_to_num_ref(nan=0.0, posinf=None, neginf=None):
    return lambda a: np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)


@pytest.mark.parametrize("kwargs", [{}, dict(nan=2.0), dict(nan=1.0, posinf=9.0, neginf=-9.0),
                                    dict(posinf=1e300)])
def test_nan_to_num(kwargs):
    a = np.array([[NAN, 1.5, INF], [-INF, -0.5, 2.0]]).T
    check_op(lambda T, x: T.nan_to_num(x, **kwargs), None, arrays=[a], grad=False,
             ref=_nan_to_num_ref(**kwargs))
    check_op(lambda T, x: x.nan_to_num(**kwargs), [(3, 4)], ref=_nan_to_num_ref(**kwargs))
    check_op(lambda T, x: T.nan_to_num(x, **kwargs), [(0, 2)], ref=_nan_to_num_ref(**kwargs))


@requires_torch
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64", "complex64",
                                   "int64", "bool"])
@pytest.mark.parametrize("kwargs", [{}, dict(nan=2.0, posinf=1e30, neginf=-7)])
def test_nan_to_num_values_match_pytorch_per_dtype(dtype, kwargs):
    data = [NAN, INF, -INF, 1.0] if dtype not in ("int64", "bool") else [1, 0, 3]
    if dtype == "complex64":
        data = [complex(NAN, INF), complex(-INF, 1.0), 1 + 2j]

    def fn(T):
        return T.nan_to_num(T.tensor(data, dtype=getattr(T, dtype)), **kwargs)
    mine, theirs = fn(mt), fn(torch)
    assert str(mine.dtype) == str(theirs.dtype)
    if dtype == "bfloat16":
        mine, theirs = mine.float(), theirs.float()
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


@pytest.mark.parametrize("shapes", [[(3, 4), (4,)], [(2, 3), (2, 3)], [(), (3,)], [(0, 2), (0, 1)]])
def test_copysign(shapes):
    check_op(lambda T, x, y: T.copysign(x, y), shapes, ref=np.copysign)
    check_op(lambda T, x, y: x.copysign(y), shapes, ref=np.copysign)


@pytest.mark.parametrize("number", [-2.0, 3, -0.0, 0.0, True])
def test_copysign_with_a_number(number):
    check_op(lambda T, x: T.copysign(x, number), [(3, 4)],
             ref=lambda x: np.copysign(x, float(number)))


@pytest.mark.parametrize("shape", [(3, 4), (), (0, 3), (1, 5)])
def test_frexp(shape):
    check_op(lambda T, x: T.frexp(x)[0], [shape], ref=lambda a: np.frexp(a)[0], low=-50,
             high=50)
    check_op(lambda T, x: x.frexp().exponent, [shape], ref=lambda a: np.frexp(a)[1],
             low=-50, high=50, grad=False)


def test_frexp_result_type():
    out = mt.frexp(mt.tensor([3.0, 0.0, -0.125]))
    assert type(out) is mt.return_types.frexp and out._fields == ("mantissa", "exponent")
    assert out.mantissa.tolist() == [0.75, 0.0, -0.5] and out.exponent.tolist() == [2, 0, -2]
    assert out.exponent.dtype is mt.int32
    assert repr(out).startswith("torch.return_types.frexp(\nmantissa=tensor(")
    again = pickle.loads(pickle.dumps(out))
    assert again.exponent.tolist() == [2, 0, -2]
    if torch is not None:
        assert repr(out) == repr(torch.frexp(torch.tensor([3.0, 0.0, -0.125])))


@pytest.mark.parametrize("shapes", [[(3, 4), (4,)], [(2, 3), (2, 3)], [(), (3,)], [(0, 2), (0, 1)]])
def test_ldexp_float_exponent(shapes):
    check_op(lambda T, x, e: T.ldexp(x, e), shapes, ref=lambda x, e: x * 2.0 ** e)
    check_op(lambda T, x, e: x.ldexp(e), shapes, ref=lambda x, e: x * 2.0 ** e)


@pytest.mark.parametrize("edtype", [np.int64, np.int32, np.int8])
def test_ldexp_integer_exponent(edtype):
    x = np.random.default_rng(3).uniform(-2, 2, (3, 4))
    e = (np.arange(12) % 7).astype(edtype).reshape(3, 4)
    check_op(lambda T, a, b: T.ldexp(a, b), None, arrays=[x, e], ref=np.ldexp)
    e = np.arange(-6, 6, dtype=edtype).reshape(3, 4)   # values exact; gradient: next test
    check_op(lambda T, a, b: T.ldexp(a, b), None, arrays=[x, e], ref=np.ldexp, grad=False)


@requires_torch
@pytest.mark.parametrize("edtype", ["int64", "int8"])
def test_ldexp_gradient_is_pytorchs_integer_pow(edtype):
    """PyTorch's ldexp backward is grad * pow(2, other): integer pow for integer exponents,
    so 2 ** -k is 0 there (and 2 ** 7 wraps in int8); we give the same gradient."""
    e = [-3, -1, 0, 1, 7]
    _same_as_torch(lambda T, x, k: T.ldexp(x, k), ([0.5, -1.5, 2.0, 3.0, 1.0], "float32", True),
                   (e, edtype))


def test_float_power():
    check_op(lambda T, x, y: T.float_power(x, y), [(3, 4), (4,)], positive=True,
             ref=np.float_power)
    check_op(lambda T, x: T.float_power(x, 3), [(2, 3)], ref=lambda x: np.float_power(x, 3))
    check_op(lambda T, x: x.float_power(0.5), [(2, 3)], positive=True,
             ref=lambda x: np.float_power(x, 0.5))
    check_op(lambda T, y: T.float_power(2, y), [(5,)], ref=lambda y: np.float_power(2.0, y))
    check_op(lambda T, x, y: T.float_power(x, y), [(3,), (3,)], positive=True,
             dtype=np.float32, ref=np.float_power, atol=1e-5)


def test_heaviside():
    x = np.array([[-1.5, 0.0, 2.0], [0.0, -0.0, 3.0]]).T
    v = np.array([0.25, 0.75])
    check_op(lambda T, a, b: T.heaviside(a, b), None, arrays=[x, v], ref=np.heaviside,
             grad=False)
    check_op(lambda T, a, b: a.heaviside(b), None, arrays=[x, v[:1]], ref=np.heaviside,
             grad=False)


def test_signbit():
    data = [-0.0, 0.0, NAN, -NAN, -1.0, 2.0, -INF]
    assert mt.signbit(mt.tensor(data)).tolist() == np.signbit(np.array(data)).tolist()
    assert mt.tensor([-3, 0, 4]).signbit().tolist() == [True, False, False]
    assert mt.signbit(mt.tensor([True])).tolist() == [False]


# ------------------------------------------------------------------ dtypes against PyTorch
def _compare_outcomes(fn):
    mine, theirs = _outcome(mt, fn), _outcome(torch, fn)
    assert mine[:2] == theirs[:2]
    if mine[0] == "ok":
        np.testing.assert_allclose(mine[2], theirs[2], rtol=2e-3, equal_nan=True)


@requires_torch
@pytest.mark.parametrize("name", ["exp2", "signbit", "frexp", "nan_to_num"])
@pytest.mark.parametrize("dtype", DTYPES + ["complex64"])
def test_unary_dtype_or_error_matches_pytorch(name, dtype):
    data = {"bool": [True, False], "uint8": [0, 3]}.get(dtype, [-2, 0, 3])

    def fn(T):
        out = getattr(T, name)(T.tensor(data, dtype=getattr(T, dtype)))
        return out[0] if name == "frexp" else out
    if dtype == "complex64":
        _compare_complex(fn)
    else:
        _compare_outcomes(fn)


def _compare_complex(fn):
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
@pytest.mark.parametrize("pair", PAIRS)
@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2", "xlogy", "copysign", "heaviside",
                                  "ldexp", "float_power"])
def test_binary_dtype_or_error_matches_pytorch(name, pair):
    def fn(T):
        return getattr(T, name)(T.tensor([1, 0, 3], dtype=getattr(T, pair[0])),
                                T.tensor([2, 1, 0], dtype=getattr(T, pair[1])))
    if "complex64" in pair:
        _compare_complex(fn)
    else:
        _compare_outcomes(fn)


@requires_torch
@pytest.mark.parametrize("call", [
    lambda T: T.xlogy(T.tensor([1, 2]), 2), lambda T: T.xlogy(T.tensor([1.0, 2.0]), 2.5),
    lambda T: T.xlogy(2, T.tensor([1.0, 2.0])), lambda T: T.xlogy(3, T.tensor([1, 2])),
    lambda T: T.xlogy(T.tensor([1, 2], dtype=T.float16), 3),
    lambda T: T.copysign(T.tensor([1, 2]), -2), lambda T: T.copysign(T.tensor([1.0]), -0.0),
    lambda T: T.copysign(T.tensor([1, 2], dtype=T.bfloat16), -1.5),
    lambda T: T.float_power(T.tensor([1, 2]), 2), lambda T: T.float_power(2, T.tensor([1, 2])),
    lambda T: T.float_power(T.tensor([1.0, 4.0], dtype=T.float16), 0.5),
    lambda T: T.float_power(T.tensor([1.0, 2.0]), 1j),
    lambda T: T.float_power(T.tensor([1 + 1j]), T.tensor([2.0])),
    lambda T: T.ldexp(T.tensor([1.0, 2.0], dtype=T.float16), T.tensor([3, -20])),
    lambda T: T.ldexp(T.tensor([0.0, 1.0], dtype=T.float16), T.tensor([20.0, -3.0],
                                                                         dtype=T.float16)),
    lambda T: T.ldexp(T.tensor([0.0, 1.0, 3.0]), T.tensor([200, 200, -149])),
    lambda T: T.ldexp(T.tensor([0.0, 1.0], dtype=T.float64), T.tensor([2000, -1074])),
    lambda T: T.ldexp(T.tensor([0.0, 1.0]), T.tensor([200.5, -3.5])),
    lambda T: T.ldexp(T.tensor([1.5, 1.0], dtype=T.bfloat16), T.tensor([-24, -3])),
    lambda T: T.ldexp(T.tensor([3, 2]), T.tensor([3, 200])),
    lambda T: T.ldexp(T.tensor([0, 1]), T.tensor([200, -3])),
    lambda T: T.ldexp(T.tensor([0.0, 1.0]), T.tensor([16, -3], dtype=T.float16)),
    lambda T: T.ldexp(T.tensor([0, 1], dtype=T.int32), T.tensor([1.5, 200], dtype=T.float16)),
    lambda T: T.ldexp(T.tensor([True, False]), T.tensor([True, True])),
    lambda T: T.ldexp(T.tensor([1 + 1j, 2j]), T.tensor([1, -3])),
    lambda T: T.ldexp(T.tensor([1.0]), T.tensor([1 + 1j])),
    lambda T: T.heaviside(T.tensor([NAN, 0.0, -0.0, INF]), T.tensor([0.5])),
    lambda T: T.heaviside(T.tensor([0.0]), T.tensor(0.5)),
    lambda T: T.heaviside(T.tensor([-1, 0, 2]), T.tensor([7])),
    lambda T: T.frexp(T.tensor([1e-7, 3.0, 6e4], dtype=T.float16))[0],
    lambda T: T.frexp(T.tensor([1e-7, 3.0, 6e4], dtype=T.float16))[1],
    lambda T: T.frexp(T.tensor([1e-40, 0.0, -0.0, INF, NAN, 6.0]))[0],
    lambda T: T.frexp(T.tensor([1e-40, 0.0, -0.0, INF, NAN, 6.0]))[1],
    lambda T: T.exp2(T.tensor([1 + 1j, 2 - 1j])),
    lambda T: T.logaddexp(T.tensor([1 + 1j, -3 + 2j]), T.tensor([2 - 1j, 5 + 0.5j])),
])
def test_values_match_pytorch(call):
    mine, theirs = call(mt), call(torch)
    assert str(mine.dtype) == str(theirs.dtype)
    if theirs.dtype in (torch.bfloat16, torch.float16):
        mine, theirs = mine.float(), theirs.float()
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-300,
                               equal_nan=True)


@requires_torch
@pytest.mark.parametrize("name", ["exp2", "logaddexp", "logaddexp2", "xlogy", "copysign",
                                  "ldexp", "nan_to_num"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_types_round_once_like_pytorch(name, dtype):
    grid = np.linspace(-6.0, 6.0, 49)
    args = [grid.tolist()] if name in ("exp2", "nan_to_num") else \
        [grid.tolist(), np.abs(grid[::-1]).round(1).tolist()]

    def fn(T):
        return getattr(T, name)(*(T.tensor(a, dtype=getattr(T, dtype)) for a in args))
    np.testing.assert_array_equal(fn(mt).float().numpy(), fn(torch).float().numpy())


# ------------------------------------------------------------------ special values, gradients
@requires_torch
@pytest.mark.parametrize("name,x,y", [
    ("xlogy", [0.0, 0.0, 1.0, 2.0, -1.0, 0.0, 3.0, 0.0, 0.0], [0.0, NAN, 0.0, -1.0, 2.0, -1.0,
                                                                INF, 3.0, 0.5]),
    ("copysign", [0.0, 0.0, 1.0, 2.0, -1.0, -0.0, NAN], [0.0, NAN, 0.0, -1.0, 2.0, -1.0, -1.0]),
    ("logaddexp", [INF, -INF, 1000.0, -1000.0, NAN, 0.0], [INF, -INF, 1000.0, 1000.0, 1.0, 0.0]),
    ("logaddexp2", [INF, -INF, 1000.0, -1000.0, NAN, 0.0], [INF, -INF, 1000.0, 1000.0, 1.0, 0]),
    ("ldexp", [0.0, 1.0, -3.0, 2.0, INF, 5.0], [0.0, 2.0, 3.0, -1.0, 1.0, 1100.0]),
    ("float_power", [0.0, 1.0, -2.0, 0.0, 4.0, -8.0], [0.0, 2.0, 3.0, -1.0, 0.5, 1 / 3]),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_special_points_and_gradients_match_pytorch(name, x, y, dtype):
    _same_as_torch(lambda T, a, b: getattr(T, name)(a, b), (x, dtype, True), (y, dtype, True))


@requires_torch
@pytest.mark.parametrize("name", ["exp2", "nan_to_num"])
def test_unary_special_points_and_gradients_match_pytorch(name):
    data = [NAN, INF, -INF, -1.0, 0.0, 1e-30, 200.0, -200.0, 1e300]
    _same_as_torch(lambda T, x: getattr(T, name)(x), (data, "float64", True))
    _same_as_torch(lambda T, x: getattr(T, name)(x), (data[:-1] + [1e30], "float32", True))


@requires_torch
def test_frexp_gradient_matches_pytorch():
    _same_as_torch(lambda T, x: T.frexp(x).mantissa, ([0.0, 1.0, -3.0, 6.0, 1e-3], "float64",
                                                       True))


@requires_torch
@pytest.mark.parametrize("call", [
    lambda T, x, y: T.xlogy(2.0, y), lambda T, x, y: T.xlogy(x, 3.0),
    lambda T, x, y: T.copysign(x, -1.0), lambda T, x, y: T.float_power(x, 2),
    lambda T, x, y: T.float_power(3, y), lambda T, x, y: T.ldexp(x, T.tensor([2, -1])),
])
def test_number_operand_gradients_match_pytorch(call):
    _same_as_torch(call, ([0.5, -1.5], "float32", True), ([2.0, 0.25], "float32", True))


def test_heaviside_has_no_derivative():
    x = mt.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y = mt.heaviside(x, mt.tensor([0.5]))
    assert y.requires_grad
    with pytest.raises(RuntimeError, match="derivative for aten::heaviside is not implemented"):
        y.sum().backward()


def test_no_numpy_warnings_leak():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = mt.tensor([0.0, -1.0, INF, NAN, 1e30], requires_grad=True)
        y = mt.tensor([0.0, 0.0, INF, 1.0, -1e30], requires_grad=True)
        for fn in (mt.logaddexp, mt.logaddexp2, mt.xlogy, mt.copysign, mt.ldexp,
                   mt.float_power):
            fn(x, y).sum().backward()
        for fn in (mt.exp2, mt.nan_to_num, lambda t: mt.frexp(t).mantissa):
            fn(x).sum().backward()
        mt.nan_to_num(mt.tensor([INF], dtype=mt.float16), posinf=1e30)


# ------------------------------------------------------------------ errors
def _same_error(fn, argument=None):
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value)) as mine:
        fn(mt)
    if argument is not None:
        assert argument in str(mine.value)
    return mine.value


@requires_torch
@pytest.mark.parametrize("call,argument", [
    (lambda T: T.exp2([1.0]), "'input'"),
    (lambda T: T.logaddexp(T.tensor([1.0]), 2.0), "'other'"),
    (lambda T: T.logaddexp(T.tensor([1, 2]), T.tensor([1, 2])), "Long"),
    (lambda T: T.logaddexp2(T.tensor([1j]), T.tensor([1j])), "ComplexFloat"),
    (lambda T: T.logaddexp(T.ones(2, 3), T.ones(3, 2)), "size"),
    (lambda T: T.xlogy(T.tensor([1j]), T.tensor([1j])), "ComplexFloat"),
    (lambda T: T.xlogy(2, 3), None),
    (lambda T: T.xlogy(T.tensor([1.0]), "a"), "'other'"),
    (lambda T: T.xlogy(T.ones(2), T.ones(3)), "size"),
    (lambda T: T.nan_to_num(T.tensor([1.0]), nan="x"), "nan"),
    (lambda T: T.heaviside(T.tensor([1.0]), T.tensor([1.0], dtype=T.float64)), "dtypes"),
    (lambda T: T.heaviside(T.tensor([1, 2]), T.tensor([1.0])), "dtypes"),
    (lambda T: T.heaviside(T.tensor([1j]), T.tensor([1j])), "complex"),
    (lambda T: T.heaviside(T.tensor([1.0]), 0.5), "'values'"),
    (lambda T: T.heaviside(T.ones(2), T.ones(3)), "size"),
    (lambda T: T.signbit(T.tensor([1j])), "complex"),
    (lambda T: T.copysign(2, T.tensor([1.0])), None),
    (lambda T: T.copysign(T.tensor([1j]), T.tensor([1.0])), "ComplexFloat"),
    (lambda T: T.copysign(T.ones(2), T.ones(3)), "size"),
    (lambda T: T.frexp(T.tensor([1, 2])), "floating-point"),
    (lambda T: T.frexp(T.tensor([1j])), "floating-point"),
    (lambda T: T.ldexp(T.tensor([1.0]), 2), "'other'"),
    (lambda T: T.ldexp(T.tensor([1.0]), T.tensor([True])), "Bool"),
    (lambda T: T.ldexp(T.ones(2), T.ones(3)), "size"),
    (lambda T: T.float_power(2, 3), None),
    (lambda T: T.float_power(T.ones(2), T.ones(3)), "size"),
    (lambda T: T.tensor([1.0]).float_power_(2), "Double"),
    (lambda T: T.tensor([1.0], dtype=T.float64).float_power_(1j), "ComplexDouble"),
    (lambda T: T.tensor([1, 2]).xlogy_(2), "Long"),
    (lambda T: T.tensor([1, 2]).exp2_(), "Long"),
    (lambda T: T.tensor([1, 2]).copysign_(-1), "Long"),
    (lambda T: T.tensor([1.0]).ldexp_(T.tensor([1.0, 2.0])), "shape"),
    (lambda T: T.tensor([1.0], requires_grad=True).exp2_(), "leaf"),
])
def test_bad_input_raises_as_pytorch(call, argument):
    _same_error(call, argument)


# ------------------------------------------------------------------ in-place, names
@requires_torch
@pytest.mark.parametrize("call", [
    lambda t, o: t.exp2_(), lambda t, o: t.xlogy_(o), lambda t, o: t.xlogy_(2.0),
    lambda t, o: t.nan_to_num_(), lambda t, o: t.nan_to_num_(nan=1.0, posinf=5.0),
    lambda t, o: t.ldexp_(o), lambda t, o: t.copysign_(o), lambda t, o: t.copysign_(-1.0),
    lambda t, o: t.float_power_(o), lambda t, o: t.float_power_(2),
    lambda t, o: t.heaviside_(o.detach()),
])
def test_inplace_forms_match_pytorch(call):
    outs = []
    for T in (mt, torch):
        leaf = T.tensor([0.5, -1.5, 2.0, 0.0], dtype=T.float64, requires_grad=True)
        other = T.tensor([2.0, 0.5, -1.0, 3.0], dtype=T.float64, requires_grad=True)
        x = leaf * 1.0
        assert call(x, other) is x
        names = x.grad_fn.name()
        if names != "torch::autograd::NotImplemented":
            x.sum().backward()
        outs.append((x.detach().numpy(), names, leaf.grad, other.grad))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-12, equal_nan=True)
    assert outs[0][1] == outs[1][1]
    for a, b in zip(outs[0][2:], outs[1][2:]):
        assert (a is None) == (b is None)
        if b is not None:
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, equal_nan=True)


@requires_torch
@pytest.mark.parametrize("name", ["exp2_", "xlogy_", "nan_to_num_", "ldexp_"])
def test_top_level_inplace_forms_are_exported(name):
    assert hasattr(torch, name) and callable(getattr(mt, name))
    x = mt.tensor([1.0, 2.0])
    args = () if name in ("exp2_", "nan_to_num_") else (mt.tensor([2.0, 1.0]),)
    assert getattr(mt, name)(x, *args) is x


@requires_torch
@pytest.mark.parametrize("call", [
    lambda T, x, y: T.exp2(x), lambda T, x, y: T.logaddexp(x, y),
    lambda T, x, y: T.logaddexp2(x, y), lambda T, x, y: T.xlogy(x, y),
    lambda T, x, y: T.xlogy(2.0, y), lambda T, x, y: T.xlogy(x, 2.0),
    lambda T, x, y: T.nan_to_num(x), lambda T, x, y: T.copysign(x, y),
    lambda T, x, y: T.copysign(x, 2.0), lambda T, x, y: T.frexp(x).mantissa,
    lambda T, x, y: T.ldexp(x, y), lambda T, x, y: T.float_power(x, y),
    lambda T, x, y: T.float_power(x, 2), lambda T, x, y: T.float_power(2, y),
    lambda T, x, y: T.heaviside(x, y),
])
def test_node_names_match_pytorch(call):
    names = [call(T, T.tensor([0.5], requires_grad=True),
                  T.tensor([0.25], requires_grad=True)).grad_fn.name() for T in (mt, torch)]
    assert names[0] == names[1]


# ------------------------------------------------------------------ bitwise shifts
SHIFTS = [
    lambda T: T.tensor([1, 2, 3]) << T.tensor([1, 64, -1]),
    lambda T: T.tensor([-8, 8, 3]) >> T.tensor([1, 64, -1]),
    lambda T: T.tensor([1, 2, 3], dtype=T.int8) << T.tensor([1, 8, 7], dtype=T.int8),
    lambda T: T.tensor([-128, 2, 3], dtype=T.int8) >> T.tensor([1, 8, 7], dtype=T.int8),
    lambda T: T.tensor([255, 2, 3], dtype=T.uint8) >> T.tensor([1, 8, 7], dtype=T.uint8),
    lambda T: T.tensor([255, 2, 3], dtype=T.uint8) << T.tensor([1, 8, 7], dtype=T.uint8),
    lambda T: T.tensor([1, 2], dtype=T.int32) << 40,
    lambda T: T.tensor([1, 2], dtype=T.int32) << T.tensor([33, 31]),
    lambda T: T.tensor([2 ** 62, -5]) << 2,
    lambda T: T.tensor([-5, -1]) >> T.tensor([63, 100]),
    lambda T: T.tensor([1, 2]) << T.tensor([[1], [2]]),
    lambda T: 1 << T.tensor([1, 2]),
    lambda T: 256 >> T.tensor([1, 2]),
    lambda T: T.bitwise_left_shift(3, T.tensor([1, 2])),
    lambda T: T.bitwise_right_shift(T.tensor([7, -7], dtype=T.int16), 1),
    lambda T: T.tensor([True]) << 1,
    lambda T: T.tensor([1, 2], dtype=T.int8).__ilshift__(T.tensor([1, 2])),
    lambda T: T.tensor([1, 2], dtype=T.int8).__irshift__(3),
    lambda T: T.tensor([5, 6]).bitwise_left_shift_(T.tensor([1, 2])),
]


@requires_torch
@pytest.mark.parametrize("call", SHIFTS)
def test_shifts_match_pytorch(call):
    mine, theirs = call(mt), call(torch)
    assert str(mine.dtype) == str(theirs.dtype)
    assert mine.tolist() == theirs.tolist()


@requires_torch
@pytest.mark.parametrize("call,argument", [
    (lambda T: T.tensor([1.0, 2.0]) << 1, "Float"),
    (lambda T: T.tensor([1, 2]) << 1.5, "Float"),
    (lambda T: T.tensor([1, 2]) >> 1.0, "Float"),
    (lambda T: 1.0 << T.tensor([1, 2]), "Float"),
    (lambda T: T.tensor([True]) << T.tensor([True]), "Bool"),
    (lambda T: T.bitwise_left_shift(T.tensor([1, 2]), T.tensor([1.0, 2.0])), "Float"),
    (lambda T: T.tensor([1.0, 2.0]).bitwise_left_shift_(1), "Float"),
    (lambda T: T.tensor([1, 2]).bitwise_left_shift_(1.5), "Float"),
    (lambda T: T.tensor([1.0, 2.0]).__irshift__(3), "Float"),
    (lambda T: T.tensor([1, 2]) << T.tensor([1, 2, 3]), "size"),
    (lambda T: T.tensor([1, 2]) << "a", None),
])
def test_shift_errors_match_pytorch(call, argument):
    _same_error(call, argument)
