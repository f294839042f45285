"""Second and third derivatives of the pointwise ops (pow, unary math, trigonometric,
pointwise_math, rectifiers, squashing, ternary pointwise, special functions) against PyTorch
(tests/autograd/double_backward.py), and the ops PyTorch itself cannot differentiate twice."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from double_backward import check_double_backward, torch

rng = np.random.default_rng(1414)


def _u(*shape, lo=-1.0, hi=1.0):
    return np.asarray(rng.uniform(lo, hi, shape))


def _away(*shape, lo=-2.0, hi=2.0, kinks=(0.0,), gap=0.15):
    """Uniform values kept `gap` away from the kinks (relu at 0, hardswish at +-3, ...)."""
    a = rng.uniform(lo, hi, shape)
    for k in kinks:
        near = np.abs(a - k) < gap
        a[near] = k + np.where(a[near] >= k, gap, -gap)
    return a


def _F(T):
    return T.nn.functional


# ------------------------------------------------------------------ pow, square
@pytest.mark.parametrize("exponent", [3, 2, 2.5, -1.5, 1, 0])
def test_pow_number_exponent(exponent):
    check_double_backward(lambda T, x: x ** exponent * x, _u(3, 4, lo=0.5, hi=2.0),
                          third=True)


def test_pow_method_and_square():
    check_double_backward(lambda T, x: T.pow(x, 3) + T.square(x) * x.square(), _u(3, 4),
                          third=True)


@pytest.mark.parametrize("xs, ys", [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)),
                                    ((), (2, 3))])
def test_pow_tensor_exponent(xs, ys):
    check_double_backward(lambda T, x, y: x ** y, _u(*xs, lo=0.5, hi=2.0), _u(*ys),
                          third=True)


def test_pow_tensor_exponent_constant_sides():
    b, e = _u(3, 4, lo=0.5, hi=2.0), _u(4)
    check_double_backward(lambda T, x, y: x ** y * x, b, e, no_grad=(1,), third=True)
    check_double_backward(lambda T, x, y: x ** y * y, b, e, no_grad=(0,), third=True)


@pytest.mark.skipif(torch is None, reason="compares with PyTorch")
def test_pow_tensor_exponent_zero_conventions():
    # exponent 0 gives the base a zero gradient; base 0 with exponent >= 0 gives the
    # exponent a zero gradient (not 0 * log 0 = nan), with create_graph too; their
    # derivatives in the incoming gradient are PyTorch's (nan only where its are)
    results = []
    for T in (torch, mt):
        b = T.tensor([0.0, 0.0, 1.5, 2.0], dtype=T.float64, requires_grad=True)
        e = T.tensor([0.0, 2.0, 0.0, 1.5], dtype=T.float64, requires_grad=True)
        v = T.tensor([0.5, -1.0, 2.0, 0.3], dtype=T.float64, requires_grad=True)
        gb, ge = T.autograd.grad(b ** e, [b, e], v, create_graph=True)
        results.append([gb.detach().numpy(), ge.detach().numpy(),
                        T.autograd.grad(gb.sum(), v, retain_graph=True)[0].numpy(),
                        T.autograd.grad(ge.sum(), v)[0].numpy()])
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("base", [2.5, 0.5])
def test_pow_number_base(base):
    check_double_backward(lambda T, e: base ** e * e, _u(3, 4, lo=0.2, hi=1.5), third=True)


def _first_derivatives(T, fn, *values):
    """The gradients of fn's sum, computed with create_graph=True, as float64 arrays."""
    xs = [T.tensor(v, dtype=T.float64, requires_grad=True) for v in values]
    grads = T.autograd.grad(fn(T, *xs).sum(), xs, create_graph=True)
    return [g.detach().numpy() for g in grads]


@pytest.mark.skipif(torch is None, reason="compares with PyTorch")
@pytest.mark.parametrize("case", ["zero_base", "xlogy"])
def test_zero_conventions_under_create_graph(case):
    # 0 ** e: a zero gradient for e >= 0 (not 0 * log 0); xlogy(0, y <= 0): zero for x
    fn, values = {
        "zero_base": (lambda T, e: 0.0 ** e, [np.array([0.0, 1.5, -0.5])]),
        "xlogy": (lambda T, x, y: T.xlogy(x, y),
                  [np.array([0.0, 0.0, 1.0, 0.5]), np.array([0.0, -1.0, 2.0, 3.0])]),
    }[case]
    for ours, theirs in zip(_first_derivatives(mt, fn, *values),
                            _first_derivatives(torch, fn, *values)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# ------------------------------------------------------------------ unary math
_POSITIVE = ["reciprocal", "log", "log2", "log10", "log1p", "sqrt", "rsqrt"]
_ANY = ["expm1", "sin", "cos", "tan", "tanh", "sigmoid", "atan", "sinh", "cosh", "asinh",
        "rad2deg", "deg2rad", "exp2", "erf", "erfc"]


@pytest.mark.parametrize("name", _POSITIVE)
def test_unary_positive_domain(name):
    check_double_backward(lambda T, x: getattr(T, name)(x) * x, _u(3, 4, lo=0.5, hi=2.0),
                          third=True)


@pytest.mark.parametrize("name", _ANY)
def test_unary(name):
    check_double_backward(lambda T, x: getattr(T, name)(x) * x, _u(3, 4), third=True)


@pytest.mark.parametrize("name", ["asin", "acos", "atanh", "erfinv"])
def test_unary_unit_interval(name):
    check_double_backward(lambda T, x: getattr(T, name)(x) * x, _u(3, 4, lo=-0.8, hi=0.8),
                          third=True)


def test_acosh():
    check_double_backward(lambda T, x: x.acosh() * x, _u(3, 4, lo=1.2, hi=3.0), third=True)


def test_unary_methods_chain():
    check_double_backward(lambda T, x: x.sin().tanh().sigmoid().log(), _u(2, 3), third=True)


@pytest.mark.parametrize("name", ["abs", "relu"])
def test_kinked_unary(name):
    check_double_backward(lambda T, x: getattr(T, name)(x) * x * x, _away(3, 4), third=True)


@pytest.mark.parametrize("name", ["abs", "relu"])
def test_kinked_unary_at_zero(name):
    # abs'(0) = relu'(0) = 0 at every order, as PyTorch
    check_double_backward(lambda T, x: getattr(T, name)(x) * x * x,
                          np.array([-1.0, 0.0, 0.5, 0.0]), third=True, gradgrad=False)


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "trunc", "round", "frac"])
def test_piecewise_constant_unary(name):
    check_double_backward(lambda T, x: getattr(T, name)(x) * x * x,
                          _away(3, 4, kinks=(-1.0, -0.5, 0.0, 0.5, 1.0), gap=0.05),
                          third=True)


def test_round_decimals():
    check_double_backward(lambda T, x: T.round(x, decimals=1) * x * x,
                          _away(3, 4, kinks=np.arange(-2, 2.01, 0.05), gap=0.01), third=True)


# ------------------------------------------------------------------ two-argument math
@pytest.mark.parametrize("name", ["atan2", "hypot", "logaddexp", "logaddexp2", "xlogy"])
@pytest.mark.parametrize("xs, ys", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1), (1, 3))])
def test_binary_math(name, xs, ys):
    check_double_backward(lambda T, x, y: getattr(T, name)(x, y) * x,
                          _u(*xs), _u(*ys, lo=0.5, hi=2.0), third=True)


@pytest.mark.parametrize("side", [0, 1])
def test_xlogy_number_operand(side):
    if side:
        check_double_backward(lambda T, y: T.xlogy(1.5, y) * y, _u(3, 4, lo=0.5, hi=2.0),
                              third=True)
    else:
        check_double_backward(lambda T, x: T.xlogy(x, 2.5) * x, _u(3, 4), third=True)


def test_copysign():
    check_double_backward(lambda T, x, y: T.copysign(x, y) * x, _away(3, 4), _away(4),
                          third=True)
    check_double_backward(lambda T, x: T.copysign(x, -1.0) * x, _away(3, 4), third=True)


def test_ldexp_float_and_integer_exponent():
    check_double_backward(lambda T, x, e: T.ldexp(x, e) * x, _u(3, 4), _u(4), third=True)
    # a negative integer exponent gives x a zero gradient (PyTorch's integer pow), so
    # finite differences disagree there: PyTorch only
    ints = np.array([-2, 0, 1, 3])
    check_double_backward(lambda T, x, e: T.ldexp(x, e) * x, _u(3, 4), ints, third=True,
                          gradgrad=False)


def test_frexp_and_nan_to_num():
    check_double_backward(lambda T, x: T.frexp(x * 10)[0] * x, _u(3, 4), third=True)
    check_double_backward(lambda T, x: T.nan_to_num(x * x) * x, _u(3, 4), third=True)


def test_float_power():
    check_double_backward(lambda T, x, y: T.float_power(x, y) * x,
                          _u(3, 4, lo=0.5, hi=2.0), _u(4), third=True)


# ------------------------------------------------------------------ rectifiers
@pytest.mark.parametrize("case", ["selu", "celu", "celu_t", "selu_t"])
def test_elu_family(case):
    fns = {"selu": lambda T, x: _F(T).selu(x), "celu": lambda T, x: _F(T).celu(x, 0.5),
           "celu_t": lambda T, x: T.celu(x * 2, 1.25), "selu_t": lambda T, x: T.selu(x * 2)}
    fn = fns[case]
    check_double_backward(lambda T, x: fn(T, x) * x, _away(3, 4), third=True)


def test_elu_family_at_zero():
    # the exp branch is taken at 0 (x <= 0), its derivative only below 0 (PyTorch's)
    x = np.array([-1.0, 0.0, 1.0, 0.0])
    check_double_backward(lambda T, a: _F(T).selu(a), x, third=True, gradgrad=False)
    check_double_backward(lambda T, a: _F(T).celu(a, 0.5), x, third=True, gradgrad=False)


def test_threshold():
    check_double_backward(lambda T, x: _F(T).threshold(x, 0.5, -1.0) * x,
                          _away(3, 4, kinks=(0.5,)), third=True)


@pytest.mark.parametrize("shape, weight", [((2, 3, 2), 3), ((2, 3), 1), ((4,), 1)])
def test_prelu(shape, weight):
    check_double_backward(lambda T, x, w: _F(T).prelu(x, w) * x, _away(*shape),
                          _u(weight, lo=0.1, hi=0.5), third=True)


def test_rrelu_eval():
    check_double_backward(lambda T, x: _F(T).rrelu(x) * x, _away(3, 4), third=True)


def test_rrelu_training_noise_is_constant():
    # the drawn noise differs between the libraries: compare with the saved slope instead
    x = mt.tensor(_away(3, 4), requires_grad=True)
    y = _F(mt).rrelu(x, training=True)
    slope = (y / x).detach()
    g, = mt.autograd.grad((y * x).sum(), x, create_graph=True)
    h, = mt.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 2 * slope.numpy(), rtol=1e-12)


# ------------------------------------------------------------------ squashing
@pytest.mark.parametrize("name", ["logsigmoid", "hardswish", "mish", "softsign",
                                  "tanhshrink", "softshrink", "hardshrink"])
def test_squashing(name):
    x = _away(3, 4, lo=-4.0, hi=4.0, kinks=(-3.0, -0.5, 0.0, 0.5, 3.0))
    check_double_backward(lambda T, a: getattr(_F(T), name)(a) * a, x, third=True)


def test_shrink_lambda_and_hardshrink_method():
    x = _away(3, 4, kinks=(-1.0, 1.0))
    check_double_backward(lambda T, a: _F(T).softshrink(a, 1.0) * a, x, third=True)
    check_double_backward(lambda T, a: a.hardshrink(1.0) * a, x, third=True)


def test_hardswish_at_kinks():
    # PyTorch's slopes at exactly -3 and 3 are 0 and 1 (the open interval)
    check_double_backward(lambda T, a: _F(T).hardswish(a), np.array([-3.0, 3.0, 0.0, 1.0]),
                          third=True, gradgrad=False)


@pytest.mark.parametrize("shape, dim", [((3, 4), 1), ((4, 3), 0), ((2, 2, 4), -1)])
def test_glu(shape, dim):
    check_double_backward(lambda T, x: _F(T).glu(x, dim), _u(*shape), third=True)


# ------------------------------------------------------------------ ternary pointwise
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1)),
                                    ((1, 4), (3, 1), ())])
@pytest.mark.parametrize("name, value", [("addcmul", 0.7), ("addcdiv", -1.3),
                                         ("addcmul", 1)])
def test_addc(shapes, name, value):
    a, b, c = (_u(*s) for s in shapes)
    c = np.asarray(np.sign(c) * (np.abs(c) + 0.5))   # away from 0 for the division
    check_double_backward(lambda T, x, y, z: getattr(T, name)(x, y, z, value=value) * y,
                          a, b, c, third=True)


@pytest.mark.parametrize("weight_shape", [None, (3, 4), (4,), ()])
def test_lerp(weight_shape):
    if weight_shape is None:
        check_double_backward(lambda T, s, e: T.lerp(s, e, 0.3) * s, _u(3, 4), _u(3, 4),
                              third=True)
        return
    check_double_backward(lambda T, s, e, w: T.lerp(s, e * e, w) * w, _u(3, 4), _u(3, 4),
                          _u(*weight_shape), third=True)


# ------------------------------------------------------------------ special functions
# lgamma/digamma/mvlgamma: PyTorch's trigamma is accurate to ~5e-10 relative only
@pytest.mark.parametrize("name, atol", [("lgamma", 1e-8), ("digamma", 1e-8)])
def test_gamma_family(name, atol):
    check_double_backward(lambda T, x: getattr(T, name)(x) * x, _u(3, 4, lo=1.2, hi=3.0),
                          third=True, atol=atol)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_polygamma(n):
    check_double_backward(lambda T, x: T.polygamma(n, x) * x, _u(3, 4, lo=1.2, hi=3.0),
                          third=True, atol=1e-8)


def test_mvlgamma():
    check_double_backward(lambda T, x: T.mvlgamma(x + 2, 3) * x, _u(3, 4, lo=1.2, hi=3.0),
                          third=True, atol=1e-8)


def test_i0():   # i0' = i1: the third order needs i1's own double backward
    check_double_backward(lambda T, x: T.i0(x) * x, _u(3, 4))


@pytest.mark.parametrize("eps", [None, 0.2])
def test_logit(eps):
    check_double_backward(lambda T, x: T.logit(x, eps) * x, _u(3, 4, lo=0.05, hi=0.95),
                          third=True)


def test_sinc():
    check_double_backward(lambda T, x: T.sinc(x) * x, _away(3, 4), third=True)
    # at 0: sinc' = 0 and PyTorch's second derivative is nan (0 / 0 in its formula)
    check_double_backward(lambda T, x: T.sinc(x), np.array([0.0, 0.5]), third=True,
                          gradgrad=False)


# ------------------------------------------------------------------ complex and errors
@pytest.mark.skipif(torch is None, reason="compares with PyTorch")
@pytest.mark.parametrize("name", ["sin", "tanh", "sigmoid", "reciprocal", "sqrt", "pow3",
                                  "rpow", "asin", "addcmul"])
def test_complex_second_order(name):
    fns = {"pow3": lambda T, a: a ** 3, "rpow": lambda T, a: 2.0 ** a,
           "addcmul": lambda T, a: T.addcmul(a, a, a, value=0.3)}
    fn = fns.get(name, lambda T, a: getattr(a, name)())
    z = _u(3, lo=0.3, hi=1.0) + 1j * _u(3, lo=0.3, hi=1.0)
    results = []
    for T in (torch, mt):
        x = T.tensor(z, requires_grad=True)
        g, = T.autograd.grad(fn(T, x), x, T.tensor(np.full(3, 0.5 + 0.2j)), create_graph=True)
        h, = T.autograd.grad((g * T.tensor(np.full(3, 0.3 - 0.7j))).abs().sum(), x)
        results.append((g.detach().numpy(), h.numpy()))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


@pytest.mark.skipif(torch is None, reason="compares with PyTorch")
@pytest.mark.parametrize("name", ["sgn", "angle", "abs_log", "sgn_times_z"])
def test_complex_sgn_angle_second_and_third_order(name):
    # with a zero entry: PyTorch's formulas give nan there when differentiated again
    fns = {"sgn": lambda T, a: a.sgn(), "angle": lambda T, a: a.angle() ** 2,
           "abs_log": lambda T, a: a.abs().log(), "sgn_times_z": lambda T, a: a.sgn() * a}
    z = np.array([1 + 2j, -0.5 + 0.3j, 0j, 3 - 1j])
    results = []
    for T in (torch, mt):
        x = T.tensor(z, requires_grad=True)
        out = fns[name](T, x)
        v = T.tensor(np.full(out.shape, 0.5 + 0.2j, dtype=out.numpy(force=True).dtype)
                     if out.is_complex() else np.full(out.shape, 0.7))
        g, = T.autograd.grad(out, x, v, create_graph=True)
        h, = T.autograd.grad((g * T.tensor(np.full(4, 0.3 - 0.7j))).real.sum(), x,
                             create_graph=True)
        k, = T.autograd.grad((h * h.conj()).real[[0, 1, 3]].sum(), x)
        results.append([r.detach().numpy() for r in (g, h, k)])
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, atol=1e-10, rtol=1e-9)


def _second_derivative(fn, x):
    x = mt.tensor(x, requires_grad=True)
    g, = mt.autograd.grad(fn(x).sum(), x, create_graph=True)
    return mt.autograd.grad(g.sum(), x)


def test_no_double_backward_where_pytorch_has_none():
    x = _u(3, 4)
    with pytest.raises(RuntimeError, match="derivative for HardsigmoidBackward0 is not"):
        _second_derivative(lambda t: _F(mt).hardsigmoid(t) * t, x)


def test_inplace_inverse_hyperbolic_still_refuses():
    # asinh_/acosh_/atanh_ have no derivative at all in PyTorch: create_graph too
    x = mt.tensor(_u(3, lo=-0.5, hi=0.5), requires_grad=True)
    y = x * 1
    y.atanh_()
    with pytest.raises(NotImplementedError, match="inplace version of atanh"):
        mt.autograd.grad(y.sum(), x, create_graph=True)


def test_first_order_under_create_graph_matches_plain_backward():
    x = _away(3, 4)
    for fn in (lambda t: t.abs() * t.relu(), lambda t: (t * t + 1).rsqrt(),
               lambda t: _F(mt).selu(t), lambda t: _F(mt).mish(t), lambda t: t.abs() ** 2.5,
               lambda t: _F(mt).logsigmoid(t).erf()):
        plain = mt.tensor(x, requires_grad=True)
        fn(plain).sum().backward()
        graph = mt.tensor(x, requires_grad=True)
        g, = mt.autograd.grad(fn(graph).sum(), graph, create_graph=True)
        np.testing.assert_allclose(g.detach().numpy(), plain.grad.numpy(), rtol=1e-12)


@pytest.mark.skipif(torch is None, reason="compares with PyTorch")
@pytest.mark.parametrize("name", ["sqrt", "log", "rsqrt", "reciprocal"])
def test_domain_edges_without_warnings(name):
    # inf and nan at 0 and below, as PyTorch's, and no numpy warning escapes
    values = np.array([0.0, 1.0, 4.0, -4.0])
    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for T in (torch, mt):
            x = T.tensor(values, requires_grad=True)
            g, = T.autograd.grad(getattr(x, name)().sum(), x, create_graph=True)
            h, = T.autograd.grad(g.sum(), x)
            results.append((g.detach().numpy(), h.numpy()))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_inplace_forms():
    def fn(T, x):
        y = x * 1
        y.sin_()
        y.pow_(3)
        y.sigmoid_()
        y = y * x
        y.relu_()
        return y
    check_double_backward(fn, _away(3, 4), third=True)
