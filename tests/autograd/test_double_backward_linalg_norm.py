"""Second and third derivatives of products, statistics, extrema, norms, scans and
normalisation layers, against finite differences and PyTorch (double_backward.py)."""
from __future__ import annotations

import numpy as np
import pytest

from double_backward import check_double_backward

import minitorch_nn as mt


def _rand(*shape, seed=0, low=-1.0, high=1.0):
    return np.random.default_rng(seed + 7 * len(shape) + sum(shape)).uniform(low, high, shape)


def _nn(T):
    return T.nn.functional


# ---------------------------------------------------------------------- products
MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)),
                 ((2, 2, 3), (3, 4)), ((2, 3), (2, 3, 2)), ((3,), (2, 3, 2)),
                 ((2, 2, 3), (3,)), ((2, 1, 2, 3), (3, 3, 2)), ((2, 2, 3), (2, 3, 2))]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul(sa, sb):
    check_double_backward(lambda T, a, b: T.matmul(a, b) * 1.5, _rand(*sa), _rand(*sb, seed=1),
                          third=len(sa) == 2 and len(sb) == 2)


def test_matmul_operator_third():
    check_double_backward(lambda T, a, b: a @ b, _rand(2, 2, 3), _rand(3,), third=True)


@pytest.mark.parametrize("op,sa,sb", [("mm", (2, 3), (3, 4)), ("bmm", (2, 2, 3), (2, 3, 2)),
                                      ("mv", (2, 3), (3,)), ("dot", (4,), (4,)),
                                      ("vdot", (4,), (4,)), ("outer", (3,), (2,))])
def test_products(op, sa, sb):
    check_double_backward(lambda T, a, b: getattr(T, op)(a, b), _rand(*sa), _rand(*sb, seed=2),
                          third=op in ("bmm", "mv"))


@pytest.mark.parametrize("si,beta,alpha", [((2, 4), 1, 1), ((4,), 0.5, 2.0), ((1, 4), 0, -1.5)])
def test_addmm(si, beta, alpha):
    check_double_backward(lambda T, i, a, b: T.addmm(i, a, b, beta=beta, alpha=alpha),
                          _rand(*si), _rand(2, 3, seed=3), _rand(3, 4, seed=4), third=beta == 1)


@pytest.mark.parametrize("si,beta,alpha", [((2, 2, 4), 1, 1), ((4,), 0.5, 2.0)])
def test_baddbmm(si, beta, alpha):
    check_double_backward(lambda T, i, a, b: T.baddbmm(i, a, b, beta=beta, alpha=alpha),
                          _rand(*si), _rand(2, 2, 3, seed=3), _rand(2, 3, 4, seed=4),
                          third=beta == 1)


@pytest.mark.parametrize("sx,bias", [((2, 3), True), ((3,), True), ((2, 2, 3), False),
                                     ((2, 3), False)])
def test_linear(sx, bias):
    arrays = [_rand(*sx), _rand(4, 3, seed=5)] + ([_rand(4, seed=6)] if bias else [])
    check_double_backward(lambda T, x, w, *b: _nn(T).linear(x, w, *b), *arrays,
                          third=len(sx) == 2)


def test_bilinear():
    check_double_backward(lambda T, a, b, w, c: _nn(T).bilinear(a, b, w, c), _rand(2, 3),
                          _rand(2, 2, seed=1), _rand(4, 3, 2, seed=2), _rand(4, seed=3),
                          third=True)


@pytest.mark.parametrize("eq,shapes", [("ij,jk->ik", [(2, 3), (3, 4)]),
                                       ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
                                       ("i,i->", [(4,), (4,)]),
                                       ("ij->j", [(3, 4)]),
                                       ("ii->i", [(3, 3)]),
                                       ("...ij,j->...i", [(2, 3, 4), (4,)]),
                                       ("ij,ik,jk->ijk", [(2, 3), (2, 4), (3, 4)]),
                                       ("ab,ab->a", [(3, 1), (3, 4)])])
def test_einsum(eq, shapes):
    arrays = [_rand(*s, seed=k) for k, s in enumerate(shapes)]
    check_double_backward(lambda T, *xs: T.einsum(eq, *xs), *arrays, third=len(shapes) > 1)


def test_tensordot():
    check_double_backward(lambda T, a, b: T.tensordot(a, b, dims=([1], [0])), _rand(2, 3),
                          _rand(3, 2, seed=1), third=True)


# ---------------------------------------------------------------------- statistics
VAR_KWARGS = [{}, {"dim": 1}, {"dim": (0, 1), "keepdim": True}, {"dim": 0, "correction": 0},
              {"dim": -1, "correction": 2, "keepdim": True}]


@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("kwargs", VAR_KWARGS)
def test_var_std(op, kwargs):
    check_double_backward(lambda T, x: getattr(T, op)(x, **kwargs), _rand(3, 4),
                          third=not kwargs or "correction" in kwargs)


@pytest.mark.parametrize("op", ["var_mean", "std_mean"])
def test_var_mean(op):
    check_double_backward(lambda T, x: getattr(T, op)(x, dim=1), _rand(3, 4), third=True)


# ---------------------------------------------------------------------- extrema
@pytest.mark.parametrize("op", ["max", "min", "median", "nanmedian"])
@pytest.mark.parametrize("dim,keepdim", [(1, False), (0, True), (-1, False)])
def test_max_dim(op, dim, keepdim):
    check_double_backward(lambda T, x: getattr(T, op)(x, dim, keepdim=keepdim)[0] ** 2,
                          _rand(3, 4), third=dim == 1)


def test_mode():
    x = np.array([[1.0, 2.0, 2.0, 3.0], [0.5, 0.5, -1.0, 4.0]])
    check_double_backward(lambda T, x: T.mode(x, 1)[0] ** 2, x, gradgrad=False, third=True)


def test_max_dim_ties_go_to_the_index():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]])
    check_double_backward(lambda T, x: T.max(x, 1)[0] * T.max(x, 1)[0], x, gradgrad=False,
                          third=True)


@pytest.mark.parametrize("op", ["max", "min", "median", "nanmedian"])
def test_full_reduction(op):
    check_double_backward(lambda T, x: getattr(T, op)(x) ** 3, _rand(3, 4), third=True)


@pytest.mark.parametrize("op", ["max", "min"])
def test_full_reduction_ties_split_evenly(op):
    x = np.array([[1.0, 3.0, -2.0], [3.0, -2.0, 0.5]])
    check_double_backward(lambda T, x: getattr(T, op)(x) ** 3, x, gradgrad=False, third=True)


@pytest.mark.parametrize("op", ["amax", "amin"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": (0, 1), "keepdim": True},
                                    {"dim": 0, "keepdim": True}])
def test_amax(op, kwargs):
    x = _rand(3, 4)
    x[1, 2] = x[1, 0] = x.max() if op == "amax" else x.min()   # ties share the gradient
    check_double_backward(lambda T, x: getattr(T, op)(x, **kwargs) ** 2, x,
                          gradgrad=False, third=not kwargs)


def test_amax_no_ties_finite_differences():
    check_double_backward(lambda T, x: T.amax(x, 1) ** 2, _rand(3, 4))


@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": 0, "keepdim": True}])
def test_aminmax(kwargs):
    check_double_backward(lambda T, x: [o ** 2 for o in T.aminmax(x, **kwargs)], _rand(3, 4),
                          third=not kwargs)



# ---------------------------------------------------------------------- normalisation
@pytest.mark.parametrize("shape,norm_shape", [((3, 4), (4,)), ((2, 2, 3), (2, 3)),
                                              ((2, 3, 2), (2,))])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm(shape, norm_shape, affine):
    arrays = [_rand(*shape)] + ([_rand(*norm_shape, seed=1, low=0.5, high=1.5),
                                 _rand(*norm_shape, seed=2)] if affine else [])
    check_double_backward(lambda T, x, *wb: _nn(T).layer_norm(x, norm_shape, *wb, eps=1e-3),
                          *arrays)


def _composite_norm(T, x, dims, w, b, eps, channel):
    """The normalisation written out in Tensor ops (w, b broadcast as in the layer)."""
    c = x - x.mean(dims, keepdim=True)
    y = c * ((c * c).mean(dims, keepdim=True) + eps).rsqrt()
    shape = (1, -1) + (1,) * (x.dim() - 2) if channel else tuple(w.shape if w is not None
                                                                   else ())
    y = y if w is None else y * w.reshape(shape)
    return y if b is None else y + b.reshape(shape)


# PyTorch's third derivatives of its native layer_norm / batch_norm (training) treat the
# saved mean and rstd as constants and differ from the exact ones (checked: its own
# composite of the same normalisation agrees with ours). Third order is therefore compared
# with PyTorch's composite; second order with the native op above.
@pytest.mark.parametrize("weight,bias", [(True, True), (True, False), (False, False)])
def test_layer_norm_third_order(weight, bias):
    arrays = [_rand(3, 4)] + ([_rand(4, seed=1, low=0.5, high=1.5)] if weight else []) + \
        ([_rand(4, seed=2)] if bias else [])

    def fn(T, x, w=None, b=None):
        if T is mt:
            return _nn(T).layer_norm(x, (4,), w, b, eps=1e-3)
        return _composite_norm(T, x, (1,), w, b, 1e-3, channel=False)
    check_double_backward(fn, *arrays, gradgrad=False, third=True)


@pytest.mark.parametrize("weight,bias", [(True, True), (True, False), (False, False)])
def test_batch_norm_training_third_order(weight, bias):
    arrays = [_rand(3, 2, 4)] + ([_rand(2, seed=1, low=0.5, high=1.5)] if weight else []) + \
        ([_rand(2, seed=2)] if bias else [])

    def fn(T, x, w=None, b=None):
        if T is mt:
            return _nn(T).batch_norm(x, None, None, w, b, training=True, eps=1e-3)
        return _composite_norm(T, x, (0, 2), w, b, 1e-3, channel=True)
    check_double_backward(fn, *arrays, gradgrad=False, third=True)


@pytest.mark.parametrize("shape,groups", [((2, 4, 3), 2), ((2, 4), 4), ((2, 6, 2, 2), 3)])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm(shape, groups, affine):
    c = shape[1]
    arrays = [_rand(*shape)] + ([_rand(c, seed=1, low=0.5, high=1.5), _rand(c, seed=2)]
                                if affine else [])
    check_double_backward(lambda T, x, *wb: _nn(T).group_norm(x, groups, *wb, eps=1e-3),
                          *arrays, third=shape == (2, 4, 3))


@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 4), (2, 3, 2, 2)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm(shape, training, affine):
    c = shape[1]
    running = [_rand(c, seed=3), _rand(c, seed=4, low=0.5, high=2.0)]
    arrays = [_rand(*shape)] + ([_rand(c, seed=1, low=0.5, high=1.5), _rand(c, seed=2)]
                                if affine else [])

    def fn(T, x, *wb):
        rm, rv = (T.tensor(a) for a in running)   # fresh buffers: training updates them
        return _nn(T).batch_norm(x, rm, rv, *wb, training=training, eps=1e-3)
    check_double_backward(fn, *arrays, third=not training and shape == (3, 2, 4))


@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instance_norm(use_input_stats):
    def fn(T, x, w, b):
        rm, rv = T.zeros(2, dtype=T.float64), T.ones(2, dtype=T.float64)
        return _nn(T).instance_norm(x, rm, rv, w, b, use_input_stats=use_input_stats)
    check_double_backward(fn, _rand(2, 2, 3), _rand(2, seed=1, low=0.5, high=1.5),
                          _rand(2, seed=2))


# ---------------------------------------------------------------------- norms
@pytest.mark.parametrize("p", [2, 1, float("inf"), -float("inf"), 3, 1.5, 0.5, 0])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), ((0, 1), True),
                                         (0, True)])
def test_vector_norm(p, dim, keepdim):
    check_double_backward(lambda T, x: T.linalg.vector_norm(x, p, dim, keepdim) ** 2,
                          _rand(3, 4), third=dim is None)


@pytest.mark.parametrize("p,dim", [("fro", None), (2, 1), (1, 0), (float("inf"), None),
                                   (4, (0, 1))])
def test_norm(p, dim):
    check_double_backward(lambda T, x: T.norm(x, p, dim) ** 2, _rand(3, 4), third=True)


def test_norm_inf_ties():
    x = np.array([[1.0, -3.0, 3.0], [0.5, 2.0, -1.0]])
    check_double_backward(lambda T, x: T.norm(x, float("inf")) ** 2, x, gradgrad=False,
                          third=True)


# ---------------------------------------------------------------------- scans
@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumulative(op, dim):
    x = _rand(3, 4, low=0.5, high=1.5)
    x[0, 1] = -x[0, 1]
    check_double_backward(lambda T, x: getattr(T, op)(x, dim) ** 2, x, third=dim == 1)


@pytest.mark.parametrize("zeros", [[(0, 1)], [(1, 0), (1, 2)], [(2, 3)]])
def test_cumprod_with_zeros(zeros):
    x = _rand(3, 4, low=0.5, high=1.5)
    for ij in zeros:
        x[ij] = 0.0
    check_double_backward(lambda T, x: T.cumprod(x, 1) * 1.5, x, third=True)


# ---------------------------------------------------------------------- linalg products
@pytest.mark.parametrize("sa,sb", [((2, 3), (2, 3)), ((1, 3), (2, 3))])
def test_cross(sa, sb):
    check_double_backward(lambda T, a, b: T.linalg.cross(a, b) ** 2, _rand(*sa),
                          _rand(*sb, seed=1), third=sa == sb)


def test_matrix_power_and_multi_dot():
    check_double_backward(lambda T, a: T.linalg.matrix_power(a, 3), _rand(3, 3), third=True)
    check_double_backward(lambda T, a, b, c: T.linalg.multi_dot([a, b, c]), _rand(2, 3),
                          _rand(3, 4, seed=1), _rand(4, seed=2), third=True)


# ---------------------------------------------------------------------- no formula
def test_nuclear_norm_is_differentiated_twice():
    """(The nuclear norm's formula lives in norms.py; test_double_backward_linalg.py compares
    it with PyTorch to third order.) Here: its second derivative exists and is finite."""
    x = mt.tensor(_rand(3, 3), requires_grad=True)
    (g,) = mt.autograd.grad(mt.norm(x, "nuc"), x, create_graph=True)
    (h,) = mt.autograd.grad(g.sum(), x)
    assert np.isfinite(h.numpy()).all()
