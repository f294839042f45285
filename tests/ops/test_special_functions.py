"""Special functions (ops/special_functions.py, ops/special_namespace.py): torch.erf & co.,
their methods and in-place forms, and torch.special.

Each op runs through the harness (NumPy reference where `math` has one, float64 gradcheck,
PyTorch differential, the fake/real GPU under --fake-gpu); then edge values (poles, +-inf,
nan, the ends of the domains) against PyTorch, gradients at the special points, dtypes
(int/bool -> default float, half types, complex refused), errors, methods and in-place
forms, and the torch.special names of other ops. The kernels' accuracy over dense grids:
tests/kernels/cpu/test_special_kernels.py.
"""
from __future__ import annotations

import math
import sys

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import assert_close, check_op, requires_torch, torch

NAN, INF = math.nan, math.inf


def _vec(fn):
    return lambda a: np.vectorize(fn, otypes=[np.float64])(a)


def _special(T):
    return T.special


# name -> (call(T, x), NumPy reference or None, input range)
OPS = {
    "erf": (lambda T, x: T.erf(x), _vec(math.erf), {}),
    "erfc": (lambda T, x: T.erfc(x), _vec(math.erfc), {}),
    "erfinv": (lambda T, x: T.erfinv(x), None, dict(low=-0.9, high=0.9)),
    "lgamma": (lambda T, x: T.lgamma(x), _vec(math.lgamma), dict(positive=True, high=6.0)),
    "digamma": (lambda T, x: T.digamma(x), None, dict(positive=True, high=6.0)),
    "polygamma1": (lambda T, x: T.polygamma(1, x), None, dict(positive=True, high=6.0)),
    "polygamma3": (lambda T, x: T.polygamma(3, x), None, dict(positive=True, high=6.0)),
    "i0": (lambda T, x: T.i0(x), None, dict(low=-4.0, high=4.0)),
    "logit": (lambda T, x: T.logit(x), lambda a: np.log(a / (1 - a)),
              dict(low=0.05, high=0.95)),
    "logit_eps": (lambda T, x: T.logit(x, 0.2), None, dict(low=0.05, high=0.95)),
    "sinc": (lambda T, x: T.sinc(x), np.sinc, {}),
    "mvlgamma": (lambda T, x: T.mvlgamma(x, 3), None, dict(low=1.5, high=4.0)),
    "erfcx": (lambda T, x: T.special.erfcx(x), None, dict(low=-3.0, high=5.0)),
    "i0e": (lambda T, x: T.special.i0e(x), None, dict(low=-4.0, high=4.0)),
    "i1": (lambda T, x: T.special.i1(x), None, dict(low=-4.0, high=4.0)),
    "i1e": (lambda T, x: T.special.i1e(x), None, dict(low=-4.0, high=4.0)),
    "ndtr": (lambda T, x: T.special.ndtr(x), lambda a: 0.5 * _vec(math.erfc)(-a / 2 ** 0.5),
             dict(low=-4.0, high=4.0)),
    "ndtri": (lambda T, x: T.special.ndtri(x), None, dict(low=0.05, high=0.95)),
    "log_ndtr": (lambda T, x: T.special.log_ndtr(x), None, dict(low=-6.0, high=4.0)),
    "entr": (lambda T, x: T.special.entr(x), lambda a: -a * np.log(a), dict(positive=True)),
}
NAMES = list(OPS)
SHAPES = [[(3, 4)], [(2, 3, 4)], [(0, 3)], [(1,)], [()]]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shapes", SHAPES, ids=["2d", "3d", "empty", "one", "scalar"])
def test_op_against_reference_gradcheck_and_pytorch(name, shapes):
    call, ref, kw = OPS[name]
    check_op(call, shapes, ref=ref, **kw)


@pytest.mark.parametrize("name", NAMES)
def test_float32_computes_like_pytorch(name):
    call, ref, kw = OPS[name]
    check_op(call, [(4, 5)], ref=ref, dtype=np.float32, atol=1e-5, rtol=1e-5, **kw)


# ------------------------------------------------------------------ dtypes
INT_DATA = [1, 2, 3, 0, 5]


@requires_torch
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_integer_and_bool_inputs_give_the_default_float(name, dtype):
    call = OPS[name][0]
    data = [v % 2 == 1 for v in INT_DATA] if dtype == "bool" else INT_DATA
    try:
        theirs = call(torch, torch.tensor(data, dtype=getattr(torch, dtype)))
    except RuntimeError as err:   # mvlgamma refuses bool
        with pytest.raises(RuntimeError, match=str(err)):
            call(mt, mt.tensor(data, dtype=getattr(mt, dtype)))
        return
    ours = call(mt, mt.tensor(data, dtype=getattr(mt, dtype)))
    assert str(ours.dtype) == str(theirs.dtype)
    assert_close(ours.numpy(), theirs.numpy(), atol=1e-6, rtol=1e-5)


HALF_ONLY_FLOAT = {"erfcx", "ndtri", "log_ndtr"}   # PyTorch has no half kernels for these


@requires_torch
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_types_compute_in_float_and_round_once(name, dtype):
    call, _, kw = OPS[name]
    low, high = kw.get("low", 0.5 if kw.get("positive") else -2.0), kw.get("high", 2.0)
    base = np.linspace(low, high, 7)
    ours_in = mt.tensor(base, dtype=mt.float64).to(getattr(mt, dtype))
    theirs_in = torch.tensor(base, dtype=torch.float64).to(getattr(torch, dtype))
    if name in HALF_ONLY_FLOAT:
        with pytest.raises(NotImplementedError) as ours:
            call(mt, ours_in)
        with pytest.raises(NotImplementedError) as theirs:
            call(torch, theirs_in)
        assert str(ours.value) == str(theirs.value)
        return
    ours, theirs = call(mt, ours_in), call(torch, theirs_in)
    assert str(ours.dtype) == str(theirs.dtype)
    tol = 1e-2 if dtype == "bfloat16" else 2e-3
    assert_close(ours.float().numpy(), theirs.float().numpy(), atol=tol, rtol=tol)


@requires_torch
@pytest.mark.parametrize("name", [n for n in NAMES if n != "sinc"])
def test_complex_inputs_are_refused_as_by_pytorch(name):
    call = OPS[name][0]
    with pytest.raises(NotImplementedError) as theirs:
        call(torch, torch.tensor([1 + 1j]))
    with pytest.raises(NotImplementedError) as ours:
        call(mt, mt.tensor([1 + 1j]))
    assert "not implemented for 'ComplexFloat'" in str(ours.value)
    if not name.startswith("polygamma") and name != "mvlgamma":
        assert str(ours.value) == str(theirs.value)


# ------------------------------------------------------------------ edge values
EDGES = [-INF, -3.0, -2.5, -1.0, -0.5, -0.0, 0.0, 1e-300, 0.25, 0.5, 1.0, 1.5, 2.0, 10.0,
         30.0, 200.0, 800.0, INF, NAN]
UNIT_EDGES = [-1.5, -1.0, -0.999, -0.5, -0.0, 0.0, 1e-20, 1e-300, 0.5, 0.999, 1.0 - 1e-16, 1.0,
              2.0, INF, -INF, NAN]
EDGE_CASES = {   # name -> (call, inputs, rtol)
    "erf": (lambda T, x: T.erf(x), EDGES, 1e-15),
    "erfc": (lambda T, x: T.erfc(x), EDGES, 1e-14),
    "erfinv": (lambda T, x: T.erfinv(x), UNIT_EDGES, 1e-14),
    "lgamma": (lambda T, x: T.lgamma(x), EDGES, 1e-14),
    "digamma": (lambda T, x: T.digamma(x), EDGES, 1e-14),
    "polygamma1": (lambda T, x: T.polygamma(1, x), EDGES, 1e-9),   # PyTorch's is 5e-10
    "polygamma2": (lambda T, x: T.polygamma(2, x), EDGES, 1e-14),
    "polygamma5": (lambda T, x: T.polygamma(5, x), EDGES, 1e-14),
    "i0": (lambda T, x: T.i0(x), EDGES, 1e-14),
    "logit": (lambda T, x: T.logit(x), UNIT_EDGES, 1e-14),
    "logit_eps": (lambda T, x: T.logit(x, 1e-3), UNIT_EDGES, 1e-14),
    "logit_eps0": (lambda T, x: T.logit(x, 0.0), UNIT_EDGES, 1e-14),
    "sinc": (lambda T, x: T.sinc(x), EDGES, 1e-14),
    "erfcx": (lambda T, x: T.special.erfcx(x), EDGES + [-26.0, -27.0], 1e-13),
    "i0e": (lambda T, x: T.special.i0e(x), EDGES, 1e-14),
    "i1": (lambda T, x: T.special.i1(x), EDGES, 1e-14),
    "i1e": (lambda T, x: T.special.i1e(x), EDGES, 1e-14),
    # PyTorch's ndtr is (1 + erf(x/sqrt 2))/2: 1e-10 off at -6 (ours: the erfc form, exact)
    "ndtr": (lambda T, x: T.special.ndtr(x), [-INF, -6.0, -1.0, 0.0, 1.0, 6.0, INF, NAN], 1e-9),
    "ndtri": (lambda T, x: T.special.ndtri(x), UNIT_EDGES + [1e-310, 0.25, 0.75], 1e-14),
    "log_ndtr": (lambda T, x: T.special.log_ndtr(x), EDGES + [-40.0, -1e5], 1e-13),
    "entr": (lambda T, x: T.special.entr(x), EDGES, 1e-14),
    "mvlgamma": (lambda T, x: T.mvlgamma(x, 2), EDGES, 1e-14),
}


@requires_torch
@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_edge_values_as_pytorch(name):
    call, values, rtol = EDGE_CASES[name]
    ours = call(mt, mt.tensor(values, dtype=mt.float64)).numpy()
    theirs = call(torch, torch.tensor(values, dtype=torch.float64)).numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg=f"{name}: nan")
    np.testing.assert_array_equal(np.isinf(ours), np.isinf(theirs), err_msg=f"{name}: inf")
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=1e-300, err_msg=name)
    # the sign of zero where PyTorch's is exact (i1e(-inf) = -0.0, digamma(-0.0) = inf, ...)
    exact = (theirs == 0) & (ours == 0)
    np.testing.assert_array_equal(np.signbit(ours[exact]), np.signbit(theirs[exact]))


GRAD_EDGES = {   # functions whose gradient has a special value somewhere
    "sinc": (lambda T, x: T.sinc(x), [-1.0, 0.0, 0.5, 1.0, 2.0]),
    "i1": (lambda T, x: T.special.i1(x), [-1.0, -0.0, 0.0, 1e-20, 0.5]),
    "i1e": (lambda T, x: T.special.i1e(x), [-1.0, 0.0, 1e-20, 0.5, 30.0]),
    "i0e": (lambda T, x: T.special.i0e(x), [-1.0, 0.0, 0.5, 30.0]),
    "entr": (lambda T, x: T.special.entr(x), [-1.0, 0.0, 0.5, 1.0]),
    "erfinv": (lambda T, x: T.erfinv(x), [-1.0, 0.0, 0.5, 1.0]),
    "ndtri": (lambda T, x: T.special.ndtri(x), [-1.0, 0.0, 0.5, 1.0]),
    "log_ndtr": (lambda T, x: T.special.log_ndtr(x), [-30.0, -1.0, 0.0, 0.5, 10.0]),
    "erfcx": (lambda T, x: T.special.erfcx(x), [-5.0, -1.0, 0.0, 0.5, 30.0]),
    "digamma": (lambda T, x: T.digamma(x), [-1.0, 0.0, 0.5, 1.0]),
    "lgamma": (lambda T, x: T.lgamma(x), [-1.0, 0.0, 0.5, 1.0]),
    "logit": (lambda T, x: T.logit(x), [-1.0, 0.0, 0.05, 0.5, 0.95, 1.0, 2.0]),
    "logit_eps": (lambda T, x: T.logit(x, 0.1), [-1.0, 0.0, 0.05, 0.1, 0.5, 0.9, 1.0, 2.0]),
    "logit_eps0": (lambda T, x: T.logit(x, 0.0), [-1.0, 0.0, 0.5, 1.0, 2.0]),
    "logit_neg_eps": (lambda T, x: T.logit(x, -0.1), [-1.0, 0.0, 0.5, 1.0, 2.0]),
    "polygamma2": (lambda T, x: T.polygamma(2, x), [-1.5, 0.0, 0.5, 1.0]),
}


@requires_torch
@pytest.mark.parametrize("name", list(GRAD_EDGES))
def test_gradients_at_special_points_as_pytorch(name):
    call, values = GRAD_EDGES[name]
    x = mt.tensor(values, dtype=mt.float64, requires_grad=True)
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    call(mt, x).sum().backward()
    call(torch, t).sum().backward()
    ours, theirs = x.grad.numpy(), t.grad.numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg=name)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-300, err_msg=name)


@requires_torch
@pytest.mark.parametrize("name", NAMES)
def test_node_names_as_pytorch(name):
    call, _, kw = OPS[name]
    x = mt.tensor([0.3, 0.6], dtype=mt.float64, requires_grad=True)
    t = torch.tensor([0.3, 0.6], dtype=torch.float64, requires_grad=True)
    arg = 2.0 if name == "mvlgamma" else 0.0
    assert call(mt, x + arg).grad_fn.name() == call(torch, t + arg).grad_fn.name()


# ------------------------------------------------------------------ polygamma, mvlgamma
@pytest.mark.parametrize("n", [0, 1, 2, 4, 7])
def test_polygamma_orders_chain_to_the_next_order(n):
    check_op(lambda T, x: T.polygamma(n, x), [(3, 2)], positive=True, high=5.0)
    check_op(lambda T, x: x.polygamma(n), [(4,)], positive=True, high=5.0)


@requires_torch
@pytest.mark.parametrize("p", [1, 2, 5])
def test_mvlgamma_dimensions(p):
    check_op(lambda T, x: T.special.multigammaln(x, p), [(3, 2)], low=p, high=p + 3.0)
    check_op(lambda T, x: x.mvlgamma(p=p), [(4,)], low=p, high=p + 3.0)


# ------------------------------------------------------------------ xlog1py
@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 1, 3), (4, 1)],
                                    [(0, 3), (0, 1)], [(), (2,)]])
def test_xlog1py_broadcasts_like_pytorch(shapes):
    check_op(lambda T, x, y: T.special.xlog1py(x, y), shapes,
             ref=lambda a, b: a * np.log1p(b), low=-0.5, high=2.0)


@requires_torch
def test_xlog1py_zeros_nans_scalars_and_gradients():
    xs = [0.0, 0.0, 0.0, 1.0, 2.0, NAN, 0.0]
    ys = [NAN, -2.0, -1.0, -2.0, 3.0, 1.0, 0.5]
    res = {}
    for T in (mt, torch):
        x = T.tensor(xs, dtype=T.float64, requires_grad=True)
        y = T.tensor(ys, dtype=T.float64, requires_grad=True)
        out = T.special.xlog1py(x, y)
        out.sum().backward()
        res[T] = [out.detach().numpy(), x.grad.numpy(), y.grad.numpy(),
                  T.special.xlog1py(2, y.detach()).numpy(),
                  T.special.xlog1py(x.detach(), 2.5).numpy(),
                  T.special.xlog1py(T.tensor([1, 2]), T.tensor([1, 2])).numpy()]
    for ours, theirs in zip(res[mt], res[torch]):
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, equal_nan=True)


@requires_torch
def test_xlog1py_dtype_promotion():
    a16 = [0.5, 1.0]
    for other in ([1.0, 2.0], 2.0):
        ours = mt.special.xlog1py(mt.tensor(a16, dtype=mt.float16),
                                  mt.tensor(other, dtype=mt.float64) if isinstance(other, list)
                                  else other)
        theirs = torch.special.xlog1py(torch.tensor(a16, dtype=torch.float16),
                                       torch.tensor(other, dtype=torch.float64)
                                       if isinstance(other, list) else other)
        assert str(ours.dtype) == str(theirs.dtype)
        assert_close(ours.float().numpy(), theirs.float().numpy(), atol=1e-3, rtol=1e-3)


# ------------------------------------------------------------------ zeta
@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 4), (4,)], [(0, 3), (0, 1)],
                                    [(), (2,)]])
def test_zeta_broadcasts_and_differentiates_in_q(shapes):
    check_op(lambda T, x, q: T.special.zeta(x + 3.5, q + 2.5), shapes, grad_inputs=[1])


@requires_torch
def test_zeta_edges_scalars_and_the_missing_x_derivative():
    xs = [1.0, 0.5, 2.0, 3.0, 2.0, 4.0, 2.0, 2.0, NAN, 3.0, 1.0]
    qs = [1.0, 1.0, -2.5, -3.0, 0.0, -40.25, INF, 1e-300, 1.0, 1e10, NAN]
    for T in (mt, torch):
        x, q = T.tensor(xs, dtype=T.float64), T.tensor(qs, dtype=T.float64)
        out = [T.special.zeta(x, q), T.special.zeta(2, q[2:4]), T.special.zeta(x[2:4], 2.5),
               T.special.zeta(T.tensor([2, 3]), T.tensor([1, 2]))]
        if T is mt:
            ours = [o.numpy() for o in out]
        else:
            theirs = [o.numpy() for o in out]
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-13, equal_nan=True)
    half_and_float = mt.special.zeta(mt.tensor([2.0], dtype=mt.float16), mt.tensor([1.0]))
    assert str(half_and_float.dtype) == str(torch.special.zeta(
        torch.tensor([2.0], dtype=torch.float16), torch.tensor([1.0])).dtype)
    x = mt.tensor([2.0, 3.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="derivative for 'zeta'"):
        mt.special.zeta(x, mt.tensor([1.0, 2.0])).sum().backward()


# ------------------------------------------------------------------ errors
def _same_error(call, *, name_in_message=None):
    """call(T) raises the same exception class in both libraries; ours names the argument."""
    with pytest.raises(Exception) as ours:
        call(mt)
    if torch is not None:
        with pytest.raises(Exception) as theirs:
            call(torch)
        assert type(ours.value) is type(theirs.value), (ours.value, theirs.value)
    if name_in_message:
        assert name_in_message in str(ours.value)
    return ours.value


X = [0.5, 1.5]


@pytest.mark.parametrize("call,name", [
    (lambda T: T.polygamma(-1, T.tensor(X)), "negative n"),
    (lambda T: T.polygamma(1.5, T.tensor(X)), "'n'"),
    (lambda T: T.polygamma(T.tensor(X), T.tensor(X)), "'n'"),
    (lambda T: T.special.polygamma(2, [0.5]), "'input'"),
    (lambda T: T.special.multigammaln(T.tensor(X), 0), "p has to be"),
    (lambda T: T.special.multigammaln(T.tensor(X), 2.0), "'p'"),
    (lambda T: T.mvlgamma(T.tensor(X), -3), "p has to be"),
    (lambda T: T.erf(1.0), "'input'"),
    (lambda T: T.erfinv([0.5]), "'input'"),
    (lambda T: T.lgamma(None), "'input'"),
    (lambda T: T.digamma("x"), "'input'"),
    (lambda T: T.i0(1), "'input'"),
    (lambda T: T.sinc(0.5), "'input'"),
    (lambda T: T.logit(T.tensor(X), "a"), "'eps'"),
    (lambda T: T.logit([0.5]), "'input'"),
    (lambda T: T.special.erfcx(0.5), "'input'"),
    (lambda T: T.special.ndtri([0.5]), "'input'"),
    (lambda T: T.special.i1e(2), "'input'"),
    (lambda T: T.special.entr(None), "'input'"),
    (lambda T: T.special.xlog1py(1.0, 2.0), "xlog1py"),
    (lambda T: T.special.xlog1py(T.ones(2), T.ones(3)), "size of tensor a (2)"),
    (lambda T: T.special.xlog1py(T.tensor([1j]), T.ones(1)), "ComplexFloat"),
    (lambda T: T.tensor([1, 2]).erf_(), None),
    (lambda T: T.special.zeta(2.0, 3.0), "zeta"),
    (lambda T: T.special.zeta(T.ones(2, dtype=T.float16), T.ones(2, dtype=T.float16)), "Half"),
    (lambda T: T.special.zeta(T.ones(2, dtype=T.bfloat16), 2.0), "BFloat16"),
    (lambda T: T.special.zeta(T.ones(2), T.ones(3)), "size of tensor a (2)"),
    (lambda T: T.tensor([1, 2]).lgamma_(), None),
])
def test_bad_arguments_raise_as_pytorch(call, name):
    _same_error(call, name_in_message=name)


# ------------------------------------------------------------------ methods, in place
INPLACE = [   # (method call on x, function call)
    (lambda x: x.erf_(), lambda T, x: T.erf(x)),
    (lambda x: x.erfc_(), lambda T, x: T.erfc(x)),
    (lambda x: x.erfinv_(), lambda T, x: T.erfinv(x)),
    (lambda x: x.lgamma_(), lambda T, x: T.lgamma(x)),
    (lambda x: x.digamma_(), lambda T, x: T.digamma(x)),
    (lambda x: x.polygamma_(2), lambda T, x: T.polygamma(2, x)),
    (lambda x: x.i0_(), lambda T, x: T.i0(x)),
    (lambda x: x.logit_(), lambda T, x: T.logit(x)),
    (lambda x: x.logit_(eps=0.3), lambda T, x: T.logit(x, 0.3)),
    (lambda x: x.sinc_(), lambda T, x: T.sinc(x)),
    (lambda x: x.mvlgamma_(2), lambda T, x: T.mvlgamma(x + 0, 2)),
]


@requires_torch
@pytest.mark.parametrize("inplace,fn", INPLACE)
def test_inplace_forms_write_and_keep_the_graph(inplace, fn):
    data = [0.55, 0.8, 0.25]
    for T in (mt, torch):
        base = T.tensor(data, dtype=T.float64, requires_grad=True)
        y = base * 1.0
        out = inplace(y)
        assert out is y
        out.sum().backward()
        if T is mt:
            ours = (y.detach().numpy(), base.grad.numpy())
        else:
            theirs = (y.detach().numpy(), base.grad.numpy())
    expected = fn(torch, torch.tensor(data, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(ours[0], expected, rtol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-8)


@requires_torch
@pytest.mark.parametrize("name", ["erf_", "erfc_", "i0_", "sinc_", "logit_"])
def test_top_level_inplace_forms(name):
    assert hasattr(torch, name)
    x, t = mt.tensor([0.2, 0.7]), torch.tensor([0.2, 0.7])
    assert getattr(mt, name)(x) is x
    getattr(torch, name)(t)
    assert_close(x.numpy(), t.numpy(), atol=1e-6, rtol=1e-6)


@requires_torch
def test_tensor_methods_as_pytorch():
    for call in (lambda x: x.erf(), lambda x: x.erfc(), lambda x: x.erfinv(),
                 lambda x: x.lgamma(), lambda x: x.digamma(), lambda x: x.polygamma(3),
                 lambda x: x.i0(), lambda x: x.logit(0.3), lambda x: x.sinc(),
                 lambda x: x.mvlgamma(1)):
        ours = call(mt.tensor([0.2, 0.7], dtype=mt.float64))
        theirs = call(torch.tensor([0.2, 0.7], dtype=torch.float64))
        assert_close(ours.numpy(), theirs.numpy(), atol=1e-9, rtol=1e-9)


# ------------------------------------------------------------------ torch.special names
ALIASES = [   # torch.special.<name>(x, *args) is this other op of the same values and node
    ("erf", ()), ("erfc", ()), ("erfinv", ()), ("expit", ()), ("logit", ()), ("logit", (0.2,)),
    ("gammaln", ()), ("digamma", ()), ("psi", ()), ("multigammaln", (2,)), ("i0", ()),
    ("sinc", ()), ("log1p", ()), ("expm1", ()), ("exp2", ()), ("round", ()),
    ("log_softmax", (0,)), ("softmax", (0,)), ("logsumexp", (0,)),
]


@requires_torch
@pytest.mark.parametrize("name,args", ALIASES, ids=[f"{a[0]}{len(a[1])}" for a in ALIASES])
def test_special_names_of_other_ops(name, args):
    check_op(lambda T, x: getattr(T.special, name)(x + 0.6 if name != "multigammaln"
                                                   else x + 2.0, *args),
             [(4, 3)], low=0.05, high=0.35, grad=name != "round")


@requires_torch
def test_special_keywords_as_pytorch():
    x, t = mt.tensor([[0.25, 1.5], [2.5, 0.0]]), torch.tensor([[0.25, 1.5], [2.5, 0.0]])
    for call in (lambda T, v: T.special.round(v * 3, decimals=1),
                 lambda T, v: T.special.softmax(v, 1, dtype=T.float64),
                 lambda T, v: T.special.log_softmax(v, dim=0, dtype=T.float64),
                 lambda T, v: T.special.logsumexp(v, 1, keepdim=True),
                 lambda T, v: T.special.polygamma(2, input=v + 1),
                 lambda T, v: T.special.logit(v / 3, eps=0.1),
                 lambda T, v: T.special.xlogy(v, v + 1),
                 lambda T, v: T.special.xlog1py(v, other=v)):
        ours, theirs = call(mt, x), call(torch, t)
        assert str(ours.dtype) == str(theirs.dtype)
        assert_close(ours.numpy(), theirs.numpy(), atol=1e-6, rtol=1e-6)


def test_special_namespace_has_every_function_of_this_family():
    wanted = {"erf", "erfc", "erfcx", "erfinv", "expit", "logit", "gammaln", "digamma", "psi",
              "polygamma", "multigammaln", "xlogy", "xlog1py", "i0", "i0e", "i1", "i1e",
              "ndtr", "ndtri", "log_ndtr", "sinc", "entr", "log1p", "expm1", "exp2", "round",
              "log_softmax", "softmax", "logsumexp", "zeta"}
    assert wanted <= set(dir(mt.special))


def test_without_scipy(monkeypatch):
    """SciPy is not a dependency: the ops (and gelu's numpy path) run with it unimportable."""
    for name in ("scipy", "scipy.special"):
        monkeypatch.setitem(sys.modules, name, None)
    x = mt.tensor([[0.3, -1.2, 2.0], [0.1, 0.2, 0.9]], dtype=mt.float16).t()
    for f in (mt.erf, mt.lgamma, mt.digamma, mt.special.ndtri, mt.special.i1e,
              mt.special.erfcx, mt.nn.functional.gelu, lambda v: mt.polygamma(2, v)):
        f(x.abs().double() / 3).sum()
    assert abs(float(mt.nn.functional.gelu(x)[0, 0]) - 0.3 * (1 + math.erf(0.3 / 2 ** 0.5))
               / 2) < 1e-3
