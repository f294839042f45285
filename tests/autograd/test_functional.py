"""autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp. Return nesting, values and the
strict-mode errors, written once for both libraries and compared with PyTorch in float64
(skipped without torch), plus analytic checks that run without it."""
from __future__ import annotations

import re

import numpy as np
import pytest

import minitorch_nn as mt

try:
    import torch
except ImportError:
    torch = None

pytestmark = pytest.mark.filterwarnings(   # PyTorch's vectorize path warns inside torch.jit
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning")
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
libs = pytest.mark.parametrize("T", [mt, pytest.param(torch, marks=needs_torch)],
                               ids=["minitorch_nn", "torch"])
X = np.array([0.4, -0.8, 1.3])
Y = np.array([[0.2, -0.5], [1.1, 0.3]])


def _t(T, a, grad=False):
    return T.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _np(tree):
    if isinstance(tree, (tuple, list)):
        return type(tree)(_np(v) for v in tree)
    return np.asarray(tree.detach().numpy()) if hasattr(tree, "detach") else tree


def _close(a, b):
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            _close(u, v)
    else:
        assert a.shape == b.shape, (a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def _same_as_torch(case):
    ours = _np(case(mt))            # runs (and must not raise) without PyTorch too
    if torch is None:
        pytest.skip("PyTorch not installed")
    _close(ours, _np(case(torch)))


def test_analytic_without_torch():
    AF = mt.autograd.functional
    x = _t(mt, X)
    J = AF.jacobian(lambda a: a * a.exp(), x)
    np.testing.assert_allclose(J.numpy(), np.diag(np.exp(X) * (1 + X)), rtol=1e-12)
    H = AF.hessian(lambda a: (a * a * a).sum(), x)
    np.testing.assert_allclose(H.numpy(), np.diag(6 * X), rtol=1e-12)
    v = _t(mt, [1.0, -2.0, 0.5])
    out, hv = AF.hvp(lambda a: (a * a * a).sum(), x, v)
    np.testing.assert_allclose(hv.numpy(), 6 * X * v.numpy(), rtol=1e-12)
    out, jv = AF.jvp(lambda a: a.exp(), x, v)
    np.testing.assert_allclose(jv.numpy(), np.exp(X) * v.numpy(), rtol=1e-12)


def _f_in1_out1(T, a):
    return a.exp() * a.sum()


def _f_in2_out2(T, a, b):
    return a * b[0].sum(), (b * b).sum() * a.exp()


def _f_in2_out1(T, a, b):
    return a.exp() * b.sum()


def _f_in1_out2(T, a):
    return a * a, a.sum()


@pytest.mark.parametrize("name", ["11", "22", "21", "12", "create_graph", "vectorize",
                                  "fwd_vectorize", "unused"])
def test_jacobian(name):
    def case(T):
        J = T.autograd.functional.jacobian
        x, y = _t(T, X), _t(T, Y)
        if name == "11":
            return J(lambda a: _f_in1_out1(T, a), x)
        if name == "22":
            return J(lambda a, b: _f_in2_out2(T, a, b), (x, y))
        if name == "21":
            return J(lambda a, b: _f_in2_out1(T, a, b), (x, y))
        if name == "12":
            return J(lambda a: _f_in1_out2(T, a), x)
        if name == "create_graph":
            w = _t(T, X, grad=True)
            jac = J(lambda a: a * a * w, w * 1.5, create_graph=True)
            assert jac.requires_grad
            jac.sum().backward()
            return jac, w.grad
        if name == "vectorize":
            return J(lambda a, b: _f_in2_out2(T, a, b), (x, y), vectorize=True)
        if name == "fwd_vectorize":
            return J(lambda a: _f_in1_out1(T, a), x, vectorize=True, strategy="forward-mode")
        return J(lambda a, b: a * 2, (x, y))

    _same_as_torch(case)


@pytest.mark.parametrize("name", ["single", "tuple", "create_graph", "squeeze"])
def test_hessian(name):
    def case(T):
        H = T.autograd.functional.hessian
        x, y = _t(T, X), _t(T, Y)
        if name == "single":
            return H(lambda a: (a * a * a.exp()).sum(), x)
        if name == "tuple":
            return H(lambda a, b: (a.exp() * b.sum() * b[0, 0]).sum(), (x, y))
        if name == "create_graph":
            w = _t(T, X, grad=True)
            h = H(lambda a: (a * a * a * w).sum(), w * 1.0, create_graph=True)
            h.sum().backward()
            return h, w.grad
        return H(lambda a: (a * a).sum().reshape(1, 1), x)

    _same_as_torch(case)


@pytest.mark.parametrize("fn", ["vjp", "jvp", "hvp", "vhp"])
@pytest.mark.parametrize("inputs", ["single", "tuple"])
def test_products(fn, inputs):
    def case(T):
        AF = T.autograd.functional
        x, y = _t(T, X), _t(T, Y)
        if fn in ("hvp", "vhp"):
            f = (lambda a: (a * a * a.exp()).sum()) if inputs == "single" else \
                (lambda a, b: (a.exp() * b.sum() * b[0, 0]).sum())
            args = x if inputs == "single" else (x, y)
            v = x * 0.5 - 1 if inputs == "single" else (x * 0.5, y - 1)
        else:
            f = (lambda a: _f_in1_out2(T, a)) if inputs == "single" else \
                (lambda a, b: _f_in2_out2(T, a, b))
            args = x if inputs == "single" else (x, y)
            if fn == "vjp":
                v = (x + 1, _t(T, 2.0)) if inputs == "single" else (x, x * 2)
            else:
                v = x + 1 if inputs == "single" else (x - 1, y * 3)
        res = getattr(AF, fn)(f, args, v)
        cg = getattr(AF, fn)(f, args, v, create_graph=True)
        return res, cg

    _same_as_torch(case)


def test_products_v_none_and_create_graph():
    def case(T):
        AF = T.autograd.functional
        s = _t(T, [0.7])
        w = _t(T, X, grad=True)
        out, g = AF.vjp(lambda a: (a * w).sum(), w * 2.0, create_graph=True)
        g.sum().backward()
        return (AF.vjp(lambda a: (a * a).sum(), _t(T, X)), AF.jvp(lambda a: a.exp(), s),
                AF.hvp(lambda a: (a * a * a).sum(), s), AF.vhp(lambda a: a.exp().sum(), s),
                g, w.grad)

    _same_as_torch(case)


@libs
def test_strict_and_argument_errors(T):
    AF = T.autograd.functional
    x, y = _t(T, X), _t(T, Y)
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not "
                                           "require gradients"):
        AF.jacobian(lambda a: a.detach() * 2, x, strict=True)
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is "
                                           "independent of input 1. This is not allowed in "
                                           "strict mode."):
        AF.jacobian(lambda a, b: a * 2, (x, y), strict=True)
    with pytest.raises(RuntimeError, match="The output of the user-provided function is "
                                           "independent of input 1"):
        AF.vjp(lambda a, b: a * 2, (x, y), x, strict=True)
    with pytest.raises(RuntimeError, match="While computing the hessian, found that the "
                                           "jacobian of the user-provided function with "
                                           "respect to input 0 is independent of the input"):
        AF.hessian(lambda a: (a * 2).sum(), x, strict=True)
    with pytest.raises(TypeError, match=re.escape(
            "The inputs given to jacobian must be either a Tensor or a tuple of Tensors but "
            "the value at index 1 has type <class 'float'>.")):
        AF.jacobian(lambda a, b: a, (x, 1.0))
    with pytest.raises(TypeError, match=re.escape(
            "The outputs of the user-provided function given to vjp must be either a Tensor "
            "or a tuple of Tensors but the given outputs of the user-provided function has "
            "type <class 'list'>.")):
        AF.vjp(lambda a: [a], x, x)
    with pytest.raises(RuntimeError, match="The vector v can only be None if the user-provided "
                                           "function returns a single Tensor with a single "
                                           "element."):
        AF.vjp(lambda a: a, x)
    with pytest.raises(RuntimeError, match="v is a tuple of invalid length: should be 2 but "
                                           "got 1."):
        AF.jvp(lambda a, b: a, (x, y), (x,))
    with pytest.raises(RuntimeError, match=re.escape(
            "Entry 1 in v has invalid size: should be torch.Size([2, 2]) but got "
            "torch.Size([3]).")):
        AF.hvp(lambda a, b: a.sum(), (x, y), (x, x))
    with pytest.raises(RuntimeError, match="The given v should contain a single Tensor."):
        AF.vhp(lambda a: a.sum(), x, (x, x))
    with pytest.raises(RuntimeError, match="The function given to hessian should return a "
                                           "single Tensor"):
        AF.hessian(lambda a: (a.sum(), a.sum()), x)
    with pytest.raises(RuntimeError, match="The Tensor returned by the function given to hvp "
                                           "should contain a single element"):
        AF.hvp(lambda a: a * 2, x, x)
    with pytest.raises(NotImplementedError, match="isonly implemented for `vectorize=True`"):
        AF.jacobian(lambda a: a, x, strategy="forward-mode")
    with pytest.raises(NotImplementedError, match="`create_graph=True` and "
                                                  '`strategy="forward-mode"`'):
        AF.jacobian(lambda a: a, x, strategy="forward-mode", create_graph=True,
                    vectorize=True)
    with pytest.raises(RuntimeError, match="`strict=True` and `vectorized=True` are not "
                                           "supported together"):
        AF.jacobian(lambda a: a * 2, x, strict=True, vectorize=True)
