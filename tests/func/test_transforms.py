"""torch.func gradient transforms: grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian.

Each case is written once as `case(T)` for both libraries (T is minitorch_nn or torch) and
checked two ways: against an analytic/NumPy value (runs without PyTorch) and against PyTorch
itself in float64 (skipped when torch is absent).
"""
from __future__ import annotations

import pathlib
import re

import numpy as np
import pytest

import minitorch_nn as mt

try:
    import torch
except ImportError:
    torch = None

# PyTorch's own vmap/jacfwd load their decompositions with torch.jit.script, which warns
pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning")
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
ROOT = pathlib.Path(__file__).resolve().parents[2]
X = np.array([0.3, -1.2, 0.7])
Y = np.array([[0.5, -0.4, 1.1], [0.2, 0.9, -0.6]])


def _np(tree):
    """Nested tuples/lists/dicts of tensors -> same structure of float64 arrays."""
    if isinstance(tree, dict):
        return {k: _np(v) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(_np(v) for v in tree)
    if hasattr(tree, "detach"):
        return np.asarray(tree.detach().double().cpu().numpy())
    return tree


def _assert_tree_close(a, b, rtol=1e-10, atol=1e-12):
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_tree_close(a[k], b[k], rtol, atol)
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            _assert_tree_close(u, v, rtol, atol)
    elif isinstance(a, np.ndarray):
        assert a.shape == b.shape, (a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    else:
        assert a == b


def _same_as_torch(case):
    ours = _np(case(mt))            # runs (and must not raise) without PyTorch too
    if torch is None:
        pytest.skip("PyTorch not installed")
    _assert_tree_close(ours, _np(case(torch)))


def _t(T, a, grad=False):
    return T.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# ----------------------------------------------------------------------------- grad
def _cube_exp(T, x):
    return (x * x * x + x.exp()).sum()


def test_grad_analytic():
    g = mt.func.grad(lambda x: _cube_exp(mt, x))(_t(mt, X))
    np.testing.assert_allclose(g.numpy(), 3 * X ** 2 + np.exp(X), rtol=1e-12)
    assert not g.requires_grad and g.grad_fn is None


def test_grad_of_grad_and_third_order():
    x = _t(mt, X)
    d1 = mt.func.grad(lambda x: _cube_exp(mt, x))
    d2 = mt.func.grad(lambda x: d1(x).sum())
    d3 = mt.func.grad(lambda x: d2(x).sum())
    np.testing.assert_allclose(d2(x).numpy(), 6 * X + np.exp(X), rtol=1e-12)
    np.testing.assert_allclose(d3(x).numpy(), 6 + np.exp(X), rtol=1e-12)


@pytest.mark.parametrize("name", ["grad2", "argnums", "has_aux", "dict", "value", "closure"])
def test_grad_matches_torch(name):
    def case(T):
        F = T.func
        x, y = _t(T, X), _t(T, Y)
        if name == "grad2":
            return F.grad(lambda x: F.grad(lambda x: _cube_exp(T, x))(x).sum())(x)
        if name == "argnums":
            f = lambda a, b: (a * b * b).sum()   # noqa: E731
            return F.grad(f, argnums=(0, 1))(y, y.exp()), F.grad(f, argnums=-1)(y, y)
        if name == "has_aux":
            g, aux = F.grad(lambda x: (_cube_exp(T, x), {"sq": x * x}), has_aux=True)(x)
            return g, aux
        if name == "dict":
            return F.grad(lambda p: (p["w"] * p["b"].exp()).sum())({"w": x, "b": x * 2})
        if name == "value":
            return F.grad_and_value(lambda x: _cube_exp(T, x))(x)
        w = _t(T, [2.0, -1.0, 0.5], grad=True)          # closed over, requires grad
        g = F.grad(lambda x: (w * x * x).sum())(x)
        assert g.requires_grad
        (g * g).sum().backward()
        return g, w.grad

    _same_as_torch(case)


def test_grad_no_perturbation_confusion():
    # d/dx [x * (d/dy x*y)(y=x)] = d/dx x^2 = 2x: the inner derivative is taken wrt y only
    x = _t(mt, X)
    F = mt.func
    g = F.grad(lambda x: (x * F.grad(lambda y: (x * y).sum())(x)).sum())(x)
    np.testing.assert_allclose(g.numpy(), 2 * X, rtol=1e-12)


def test_grad_under_no_grad_and_argument_requiring_grad():
    x = _t(mt, X, grad=True)
    with mt.no_grad():
        g = mt.func.grad(lambda x: (x * x).sum())(x)
    assert g.grad_fn is None
    g = mt.func.grad(lambda x: (x * x * x).sum())(x)   # x requires grad: g stays differentiable
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * X, rtol=1e-12)


@pytest.mark.parametrize("T", [mt, pytest.param(torch, marks=needs_torch)],
                         ids=["minitorch_nn", "torch"])
def test_grad_errors(T):
    F = T.func
    x = _t(T, Y)
    with pytest.raises(RuntimeError, match=re.escape(
            "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor "
            "with 2 dims. Maybe you wanted to use the vjp or jacrev APIs instead?")):
        F.grad(lambda x: x * 2)(x)
    with pytest.raises(RuntimeError, match=re.escape(
            "grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
            "<class 'float'>")):
        F.grad(lambda x: 1.0)(x)
    with pytest.raises(RuntimeError, match="output of function f should be a tuple: "
                                           r"\(output, aux\) if has_aux is True"):
        F.grad(lambda x: x.sum(), has_aux=True)(x)
    with pytest.raises(RuntimeError, match="Got argnum=2, but only 1 positional inputs"):
        F.grad(lambda x: x.sum(), argnums=2)(x)
    with pytest.raises(RuntimeError, match=re.escape("argnums elements must be unique, got "
                                                     "(0, 0)")):
        F.grad(lambda x: x.sum(), argnums=(0, 0))(x)
    with pytest.raises(RuntimeError, match="argnums must be non-empty"):
        F.grad(lambda x: x.sum(), argnums=())(x)
    with pytest.raises(ValueError, match="Thing passed to transform API must be Tensor, got "
                                         "<class 'float'>"):
        F.grad(lambda x: x * 2)(1.0)


# ----------------------------------------------------------------------------- vjp / jvp
def test_vjp_and_jvp_analytic():
    x = _t(mt, X)
    out, vjp_fn = mt.func.vjp(lambda x: x * x.exp(), x)
    v = _t(mt, [1.0, 2.0, -1.0])
    (g,) = vjp_fn(v)
    d = np.exp(X) * (1 + X)
    np.testing.assert_allclose(out.numpy(), X * np.exp(X), rtol=1e-12)
    np.testing.assert_allclose(g.numpy(), d * v.numpy(), rtol=1e-12)
    out, t = mt.func.jvp(lambda x: x * x.exp(), (x,), (v,))
    np.testing.assert_allclose(t.numpy(), d * v.numpy(), rtol=1e-12)
    assert t.grad_fn is None and out.grad_fn is None


@pytest.mark.parametrize("name", ["vjp_tuple", "vjp_dict", "vjp_aux", "jvp_two", "jvp_aux",
                                  "jvp_unused", "vjp_of_vjp"])
def test_vjp_jvp_match_torch(name):
    def case(T):
        F = T.func
        x, y = _t(T, X), _t(T, Y)
        f2 = lambda a, b: (a * b, (a * a).sum() * b.exp())   # noqa: E731
        if name == "vjp_tuple":
            out, fn = F.vjp(f2, x, y)
            return out, fn((y * 0.5, y - 1))
        if name == "vjp_dict":
            out, fn = F.vjp(lambda a: {"p": a.exp(), "q": a * 3}, x)
            return out, fn({"p": x + 1, "q": x * x})
        if name == "vjp_aux":
            out, fn, aux = F.vjp(lambda a: (a * a, a.exp()), x, has_aux=True)
            return out, fn(x), aux
        if name == "jvp_two":
            return F.jvp(f2, (x, y), (x * 0 + 1, y * 2))
        if name == "jvp_aux":
            return F.jvp(lambda a: (a * a * a, {"e": a.exp()}), (x,), (x,), has_aux=True)
        if name == "jvp_unused":
            return F.jvp(lambda a, b: (a * 2, b * b), (x, y), (x, y))
        # vjp of vjp: d/dx <J(x)^T u, w>
        return F.grad(lambda a: (F.vjp(lambda z: z * z * z, a)[1](x)[0] * x).sum())(x)

    _same_as_torch(case)


@pytest.mark.parametrize("T", [mt, pytest.param(torch, marks=needs_torch)],
                         ids=["minitorch_nn", "torch"])
def test_vjp_jvp_errors(T):
    F = T.func
    x = _t(T, X)
    _, fn = F.vjp(lambda a: (a, a * 2), x)
    with pytest.raises(RuntimeError, match="Expected pytree structure of cotangents to be the "
                                           "same as pytree structure of outputs"):
        fn(x)
    with pytest.raises(RuntimeError, match="vjp\\(f, ...\\): All outputs of f must be "
                                           "floating-point or complex Tensors, got Tensor "
                                           "with dtype torch.int64"):
        F.vjp(lambda a: (a > 0).long(), x)
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        F.jvp(lambda a: a, x, (x,))
    with pytest.raises(RuntimeError, match="Expected primals and tangents to have the same "
                                           "python structure"):
        F.jvp(lambda a: a, (x,), (x, x))


# ----------------------------------------------------------------------------- jacobians
def _f_two(T, a, b):
    return a.exp() * b.sum(), (a * a).sum() * b


def test_jacrev_analytic():
    x = _t(mt, X)
    J = mt.func.jacrev(lambda x: x * x.exp())(x)
    np.testing.assert_allclose(J.numpy(), np.diag(np.exp(X) * (1 + X)), rtol=1e-12)
    np.testing.assert_allclose(mt.func.jacfwd(lambda x: x * x.exp())(x).numpy(), J.numpy())
    H = mt.func.hessian(lambda x: (x * x * x.exp()).sum())(x)
    np.testing.assert_allclose(H.numpy(), np.diag(np.exp(X) * (X * X + 4 * X + 2)),
                               rtol=1e-12)


@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
@pytest.mark.parametrize("name", ["single", "argnums", "two_out", "aux", "dict", "scalar",
                                  "nested"])
def test_jacobians_match_torch(jac, name):
    def case(T):
        J = getattr(T.func, jac)
        x, y = _t(T, X), _t(T, Y)
        if name == "single":
            return J(lambda a: a.exp() * a.sum())(x)
        if name == "argnums":
            return J(lambda a, b: a * b.exp(), argnums=(0, 1))(y, y * 0.5)
        if name == "two_out":
            return J(lambda a, b: _f_two(T, a, b), argnums=(0, 1))(x, y)
        if name == "aux":
            return J(lambda a: (a * a, a.sum()), has_aux=True)(x)
        if name == "dict":
            return J(lambda p: {"o": p["w"] * p["b"]})({"w": x, "b": x.exp()})
        if name == "scalar":
            return J(lambda a: (a * a).sum())(x)
        return J(J(lambda a: a * a * a.exp()))(x)

    _same_as_torch(case)


@pytest.mark.parametrize("name", ["single", "argnums", "mixed"])
def test_hessian_matches_torch(name):
    def case(T):
        x, y = _t(T, X), _t(T, Y)
        if name == "single":
            return T.func.hessian(lambda a: (a * a * a.exp()).sum())(x)
        if name == "argnums":
            return T.func.hessian(lambda a, b: (a * b.exp()).sum(), argnums=(0, 1))(y, y)
        return T.func.hessian(lambda a, b: (a.exp() * b).sum(), argnums=1)(x, x * x)

    _same_as_torch(case)


def test_jacrev_chunk_size_and_errors():
    x = _t(mt, X)
    a = mt.func.jacrev(lambda x: x.exp(), chunk_size=1)(x)
    np.testing.assert_allclose(a.numpy(), np.diag(np.exp(X)))
    for T in [mt] + ([torch] if torch is not None else []):
        with pytest.raises(ValueError, match="jacrev: `chunk_size` should be greater than 0."):
            T.func.jacrev(lambda x: x, chunk_size=0)


def test_transforms_compose_with_vmap():
    def case(T):
        F = T.func
        xs = _t(T, Y)
        return (F.vmap(F.jacrev(lambda a: a.exp() * a.sum()))(xs),
                F.vmap(F.hessian(lambda a: (a * a * a).sum()))(xs),
                F.jacrev(F.vmap(lambda a: a * a.sum()))(xs))

    np.testing.assert_allclose(_np(case(mt)[1]), np.stack([np.diag(6 * r) for r in Y]))
    _same_as_torch(case)


# ----------------------------------------------------------------------------- docs
def _python_blocks(path: pathlib.Path) -> str:
    return "\n".join(re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"),
                                flags=re.S))


def test_func_doc_example_runs(capsys):
    code = _python_blocks(ROOT / "docs" / "func.md")
    assert code.strip()
    exec(compile(code, "docs/func.md", "exec"), {"__name__": "__doc_example__"})
    out = capsys.readouterr().out
    for expected in ["tensor([ 3., 12., 27.])", "tensor([ 6., 12., 18.])",
                     "torch.Size([8, 3, 4])"]:
        assert expected in out, f"missing {expected!r} in the printed output"


def test_forward_ad_is_absent():
    from minitorch_nn.autograd import forward_ad
    with pytest.raises(NotImplementedError, match="no forward-mode AD"):
        forward_ad.make_dual(mt.ones(2), mt.ones(2))
    with pytest.raises(NotImplementedError, match="no forward-mode AD"):
        with forward_ad.dual_level():
            pass
