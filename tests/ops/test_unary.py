"""Unary ops (minitorch_nn/ops/unary.py): NumPy reference, gradcheck, PyTorch.

Beyond the op-by-op harness runs: result dtypes and errors per input dtype against PyTorch,
subgradients at 0, in-place forms with autograd (pow_, remainder_ and fmod_ of ops/arith.py
too), node names, the fused Numba backward kernels against the numpy formula, and the
docstring examples of ops/unary.py and ops/arith.py. pow, floor_divide, remainder, fmod:
tests/ops/test_arith.py.
"""
from __future__ import annotations

import doctest

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.ops import arith, unary
from op_harness import assert_close, check_op, make_arrays, requires_torch, torch
from unary_util import NAN, INF, _same_as_torch, _outcome

MODULES, MIN_EXAMPLES = (unary, arith), 3


# ------------------------------------------------------------------ float functions
FLOAT_OPS = [   # name, NumPy reference, input range
    ("reciprocal", np.reciprocal, dict(positive=True)),
    ("log", np.log, dict(positive=True)),
    ("log2", np.log2, dict(positive=True)),
    ("log10", np.log10, dict(positive=True)),
    ("log1p", np.log1p, dict(low=-0.5, high=2.0)),
    ("expm1", np.expm1, {}),
    ("sqrt", np.sqrt, dict(positive=True)),
    ("rsqrt", lambda a: 1 / np.sqrt(a), dict(positive=True)),
    ("sin", np.sin, {}),
    ("cos", np.cos, {}),
    ("tan", np.tan, dict(low=-1.2, high=1.2)),
    ("tanh", np.tanh, {}),
    ("sigmoid", lambda a: 1 / (1 + np.exp(-a)), {}),
    ("relu", lambda a: np.maximum(a, 0), {}),
    ("abs", np.abs, {}),
    ("sign", np.sign, {}),
    ("square", np.square, {}),
    ("floor", np.floor, dict(low=-3.0, high=3.0)),
    ("ceil", np.ceil, dict(low=-3.0, high=3.0)),
    ("round", np.round, dict(low=-3.0, high=3.0)),
    ("trunc", np.trunc, dict(low=-3.0, high=3.0)),
    ("frac", lambda a: a - np.trunc(a), dict(low=-3.0, high=3.0)),
]


@pytest.mark.parametrize("name,ref,kw", FLOAT_OPS, ids=[o[0] for o in FLOAT_OPS])
def test_unary_function(name, ref, kw):
    check_op(lambda T, x: getattr(T, name)(x), [(3, 4)], ref=ref, **kw)


@pytest.mark.parametrize("name,ref,kw", FLOAT_OPS, ids=[o[0] for o in FLOAT_OPS])
def test_unary_method_float32_and_0d(name, ref, kw):
    check_op(lambda T, x: getattr(x, name)(), [(5,)], ref=ref, dtype=np.float32, atol=1e-5,
             **kw)
    check_op(lambda T, x: getattr(T, name)(x), [()], ref=ref, **kw)


@requires_torch
@pytest.mark.parametrize("name", [o[0] for o in FLOAT_OPS] + ["exp", "neg"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float16", "float64"])
def test_result_dtype_or_error_matches_pytorch(name, dtype):
    data = [0, 1, 3] if dtype in ("uint8", "bool") else [-2, 0, 3]
    if dtype == "bool":
        data = [True, False, True]
    fn = (lambda T: getattr(T, name)(T.tensor(data, dtype=getattr(T, dtype))))
    mine, theirs = _outcome(mt, fn), _outcome(torch, fn)
    assert mine[:2] == theirs[:2]
    if mine[0] == "ok":
        np.testing.assert_allclose(mine[2], theirs[2], rtol=2e-3, equal_nan=True)


def test_integer_inputs_give_the_default_float_dtype():
    x = mt.tensor([1, 4, 9])
    assert mt.sqrt(x).dtype is mt.float32 and mt.sqrt(x).tolist() == [1.0, 2.0, 3.0]
    mt.set_default_dtype(mt.float64)
    assert mt.sigmoid(x).dtype is mt.float64
    assert mt.abs(x).dtype is mt.int64 and mt.floor(x).dtype is mt.int64


@requires_torch
@pytest.mark.parametrize("name", ["relu", "abs", "sqrt", "sign", "rsqrt", "reciprocal", "log",
                                  "floor", "round", "frac"])
def test_subgradients_at_zero_match_pytorch(name):
    _same_as_torch(lambda T, x: getattr(T, name)(x), ([0.0, -0.0, 2.0], "float32", True))


def test_documented_subgradient_conventions():
    for name, expected in [("relu", 0.0), ("abs", 0.0), ("sign", 0.0), ("sqrt", INF)]:
        x = mt.tensor([0.0], requires_grad=True)
        getattr(mt, name)(x).backward(mt.ones(1))
        assert x.grad.tolist() == [expected], name


@requires_torch
@pytest.mark.parametrize("name", ["sqrt", "log", "sigmoid", "tanh", "rsqrt", "sign", "relu",
                                  "reciprocal", "log1p", "expm1", "abs"])
def test_special_values_match_pytorch(name):
    data = [NAN, INF, -INF, -1.0, 0.0, 1e-30, 80.0, -80.0]
    _same_as_torch(lambda T, x: getattr(T, name)(x), (data, "float32", True))


def test_sign_repr_matches_pytorch_seed_example():
    out = mt.sign(mt.tensor([0.7, -1.2, 0., 2.3]))
    assert repr(out) == "tensor([ 1., -1.,  0.,  1.])"
    if torch is not None:
        assert repr(out) == repr(torch.sign(torch.tensor([0.7, -1.2, 0., 2.3])))
    assert mt.sign(mt.tensor([-0.0, NAN])).tolist() == [0.0, 0.0]   # PyTorch, not numpy


def test_round_half_to_even_and_decimals():
    check_op(lambda T, x: T.round(x, decimals=2), [(6,)], ref=lambda a: np.round(a, 2))
    x = mt.tensor([0.5, 1.5, 2.5, -0.5])
    assert mt.round(x).tolist() == [0.0, 2.0, 2.0, -0.0]
    assert mt.round(mt.tensor([1234.5, 125.0]), decimals=-1).tolist() == [1230.0, 120.0]
    with pytest.raises(NotImplementedError, match="round_cpu.*Long"):
        mt.round(mt.tensor([1, 2]), decimals=1)


def test_dtype_errors_name_the_dtype():
    with pytest.raises(NotImplementedError, match="\"abs_cpu\" not implemented for 'Bool'"):
        mt.abs(mt.tensor([True]))
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        mt.relu(mt.tensor([True]))
    with pytest.raises(NotImplementedError, match="\"frac_cpu\" not implemented for 'Long'"):
        mt.frac(mt.tensor([1]))
    with pytest.raises(TypeError, match=r"sqrt\(\): argument 'input' \(position 1\) must be "
                                        r"Tensor, not float"):
        mt.sqrt(2.0)


@requires_torch
@pytest.mark.parametrize("expr,node", [
    (lambda T, x: T.sqrt(x), "SqrtBackward0"), (lambda T, x: T.log1p(x), "Log1PBackward0"),
    (lambda T, x: T.square(x), "PowBackward0"), (lambda T, x: x ** 2, "PowBackward0"),
    (lambda T, x: x ** x, "PowBackward1"), (lambda T, x: 2 ** x, "PowBackward2"),
    (lambda T, x: T.round(x, decimals=1), "RoundBackward1"),
    (lambda T, x: x % 2, "RemainderBackward0"), (lambda T, x: x % x, "RemainderBackward1"),
    (lambda T, x: T.fmod(x, 2), "FmodBackward0"), (lambda T, x: T.fmod(x, x), "FmodBackward1"),
    (lambda T, x: abs(x), "AbsBackward0"), (lambda T, x: T.sigmoid(x), "SigmoidBackward0"),
])
def test_node_names_match_pytorch(expr, node):
    for T in (mt, torch):
        x = T.tensor([1.5, 2.0], requires_grad=True) * 1
        assert type(expr(T, x).grad_fn).__name__ == node


# ------------------------------------------------------------------ fused backward kernels
@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_backward_kernel_matches_numpy_formula(name, dtype):
    n = unary._FUSED_MIN_SIZE + 5
    rng = np.random.default_rng(0)
    g = rng.standard_normal(n).astype(dtype)
    out = rng.uniform(-1, 1, n).astype(dtype)
    numpy_path = g * (out * (1 - out)) if name == "sigmoid" else g * (1 - out * out)
    fused = unary._fused_backward(f"{name}_backward", g, out)
    np.testing.assert_allclose(fused, numpy_path, rtol=1e-6 if dtype == np.float32 else 1e-12)
    assert fused.dtype == dtype


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_large_sigmoid_tanh_gradients_match_pytorch_or_formula(name):
    x_np = make_arrays([(150, 120)], dtype=np.float32, noncontiguous=False)[0]   # 18000 > min
    x = mt.from_numpy(x_np.copy()).requires_grad_()
    y = getattr(mt, name)(x)
    y.backward(mt.ones_like(y))
    s = 1 / (1 + np.exp(-x_np.astype(np.float64)))
    expected = s * (1 - s) if name == "sigmoid" else 1 - np.tanh(x_np.astype(np.float64)) ** 2
    assert_close(x.grad.numpy(), expected, atol=1e-6, rtol=1e-5)
    # the non-contiguous (numpy) path gives the same numbers
    xt = mt.from_numpy(np.ascontiguousarray(x_np.T).T.copy()).requires_grad_()
    yt = getattr(mt, name)(xt)
    yt.backward(mt.ones_like(yt))
    assert_close(xt.grad.numpy(), x.grad.numpy(), atol=1e-7)


# ------------------------------------------------------------------ in-place forms
INPLACE = ["abs", "reciprocal", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt",
           "sin", "cos", "tan", "tanh", "sigmoid", "relu", "sign", "square", "floor", "ceil",
           "round", "trunc", "frac"]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_equals_out_of_place_and_bumps_version(name):
    data = [0.25, 1.5, 2.75]
    x = mt.tensor(data)
    expected = getattr(mt, name)(mt.tensor(data)).tolist()
    result = getattr(x, name + "_")()
    assert result is x and x._version == 1
    assert_close(x.tolist(), expected)


@requires_torch
@pytest.mark.parametrize("name", ["sigmoid", "relu", "sqrt", "abs", "tanh", "square", "frac"])
def test_inplace_on_non_leaf_backpropagates_like_pytorch(name):
    def fn(T, x):
        y = x * 2
        getattr(y, name + "_")()
        return y * 3

    _same_as_torch(fn, ([0.25, -1.5, 2.0], "float64", True))
    leaf = mt.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(leaf, name + "_")()


@requires_torch
@pytest.mark.parametrize("expr", [
    lambda T, x: x.pow_(2), lambda T, x: x.__ipow__(T.tensor([1.0, 2.0, 3.0])),
    lambda T, x: x.remainder_(0.75), lambda T, x: x.fmod_(0.75), lambda T, x: x.clone().abs_(),
])
def test_pow_and_remainder_inplace_with_autograd_match_pytorch(expr):
    def fn(T, a):
        y = a + 0
        expr(T, y)
        return y

    _same_as_torch(fn, ([0.5, 1.25, 2.0], "float32", True))


def test_augmented_operators_and_int_refusal():
    x = mt.tensor([2, 3])
    same = x
    x **= 2
    assert same is x and x.tolist() == [4, 9]
    x //= 2
    assert x.tolist() == [2, 4]
    x %= 3
    assert x.tolist() == [2, 1] and x._version == 3
    for bad in (lambda t: t.sqrt_(), lambda t: t.pow_(0.5), lambda t: t.sigmoid_()):
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type "
                                               "Long"):
            bad(mt.tensor([1, 4]))
    y = mt.tensor([-1, 4])
    assert y.relu_().tolist() == [0, 4] and y.abs_().dtype is mt.int64


def test_python_abs_and_functions_exported():
    x = mt.tensor([-1.5, 2.0])
    assert abs(x).tolist() == [1.5, 2.0]
    for name in ("absolute", "fix", "relu_", "sigmoid_", "sqrt_", "abs_"):
        assert callable(getattr(mt, name)), name
    assert mt.fix(mt.tensor([-1.5])).tolist() == [-1.0]


def test_docstring_examples_run():
    """The `>>>` examples in the family's docstrings print what they say."""
    globs = {"tensor": mt.tensor, **{n: getattr(mt, n) for n in dir(mt) if not n.startswith("_")}}
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for module in MODULES:
        for test in doctest.DocTestFinder().find(module, globs=globs):
            runner.run(test)
    assert runner.tries >= MIN_EXAMPLES and runner.failures == 0


@requires_torch
def test_abs_backward_on_complex_matches_pytorch():
    values = [3 + 4j, -1 - 1j, 0j]
    ours = mt.tensor(values, requires_grad=True)
    ours.abs().sum().backward()
    theirs = torch.tensor(values, requires_grad=True)
    theirs.abs().sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-7)
