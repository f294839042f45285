"""Second and third derivatives of the indexing, selection, joining and masking ops against
PyTorch (tests/autograd/double_backward.py)."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from double_backward import check_double_backward

rng = np.random.default_rng(14)


def _u(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, shape)


def _sq(t):
    return t * t * t


def _cond(T, *shape, seed=0):
    return T.tensor(np.random.default_rng(seed).uniform(size=shape) > 0.5)


# ------------------------------------------------------------------ where / clamp
@pytest.mark.parametrize("xs, ys, cs", [((3, 4), (3, 4), (3, 4)), ((3, 1), (4,), (3, 4)),
                                        ((), (2, 3), (2, 1))])
def test_where(xs, ys, cs):
    check_double_backward(lambda T, x, y: T.where(_cond(T, *cs), x * x, y.exp()),
                          _u(*xs), _u(*ys), third=True)


@pytest.mark.parametrize("scalar_side", [1, 2])
def test_where_scalar_operand(scalar_side):
    def fn(T, x):
        c = _cond(T, 3, 4)
        return (T.where(c, x * x, 0.5) if scalar_side == 1 else T.where(c, -1.0, x * x)) * x
    check_double_backward(fn, _u(3, 4), third=True)


def test_where_method():
    check_double_backward(lambda T, x, y: (x * x).where(_cond(T, 2, 3), y * y), _u(2, 3),
                          _u(2, 3))


@pytest.mark.parametrize("lo, hi", [(-0.5, 0.5), (None, 0.2), (-0.2, None), (0.5, -0.5)])
def test_clamp_number_bounds(lo, hi):
    check_double_backward(lambda T, x: T.clamp(x * x * x, lo, hi) * x, _u(3, 4), third=True)


def test_clamp_at_the_bounds():
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])   # x**3 hits the bounds exactly at +-1
    check_double_backward(lambda T, x: T.clamp(x * x * x, -1.0, 1.0) * x, x, third=True,
                          gradgrad=False)


@pytest.mark.parametrize("fn", ["clamp_min", "clamp_max"])
def test_clamp_min_max_number(fn):
    check_double_backward(lambda T, x: getattr(T, fn)(x * x, 0.3) * x, _u(3, 4))


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1)),
                                    ((3, 4), (), (1, 4))])
def test_clamp_tensor_bounds(shapes):
    xs, ls, hs = shapes
    check_double_backward(lambda T, x, lo, hi: T.clamp(x * x, lo * lo - 0.5, hi * hi) * x,
                          _u(*xs), _u(*ls), _u(*hs), third=True)


def test_clamp_tensor_min_above_max():
    check_double_backward(lambda T, x, lo, hi: T.clamp(x * x, lo * lo + 0.5, hi * 0.2) * x,
                          _u(3, 4), _u(3, 4), _u(3, 4))


def test_clamp_tensor_ties():
    x = np.array([0.5, 0.2, -0.3, 0.7])
    check_double_backward(lambda T, x, lo, hi: T.clamp(x, lo, hi) * x * lo * hi, x,
                          np.array([0.5, 0.0, -0.3, 0.1]), np.array([0.6, 0.2, 0.4, 0.7]),
                          gradgrad=False, third=True)


@pytest.mark.parametrize("fn", ["clamp_min", "clamp_max"])
def test_clamp_min_max_tensor(fn):
    check_double_backward(lambda T, x, b: getattr(T, fn)(x * x, b * b) * x, _u(3, 4), _u(4))


# ------------------------------------------------------------------ masked ops
@pytest.mark.parametrize("xs, ms", [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4))])
def test_masked_fill_number(xs, ms):
    check_double_backward(lambda T, x: (x * x).masked_fill(_cond(T, *ms), 0.5) * x, _u(*xs),
                          third=True)


def test_masked_fill_tensor_value():
    check_double_backward(lambda T, x, v: (x * x).masked_fill(_cond(T, 3, 4), v * v) * x,
                          _u(3, 4), np.array(0.7), third=True)


def test_masked_fill_inplace():
    def fn(T, x, v):
        y = x * x
        y.masked_fill_(_cond(T, 3, 4), v * v)
        return y * x
    check_double_backward(fn, _u(3, 4), np.array(0.7))


@pytest.mark.parametrize("xs, ms", [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4))])
def test_masked_select(xs, ms):
    check_double_backward(lambda T, x: _sq(T.masked_select(x * x, _cond(T, *ms))), _u(*xs),
                          third=True)


@pytest.mark.parametrize("extra", [0, 3])
def test_masked_scatter(extra):
    def fn(T, x, s):
        c = _cond(T, 3, 4)
        return (x * x).masked_scatter(c, s * s) * x
    n = int((np.random.default_rng(0).uniform(size=(3, 4)) > 0.5).sum())
    check_double_backward(fn, _u(3, 4), _u(n + extra), third=True)


# ------------------------------------------------------------------ x[index]
_INDEXES = {
    "int_list": lambda T: ([2, 0, 2],),
    "int_tensor": lambda T: (T.tensor([[1, 0], [2, 2]]),),
    "two_tensors": lambda T: (T.tensor([0, 2, 2]), T.tensor([1, 3, 1])),
    "slice_then_tensor": lambda T: (slice(1, None), T.tensor([3, 0, 3])),
    "int_and_tensor": lambda T: (1, T.tensor([3, 0, 3])),
    "mask": lambda T: (_cond(T, 3, 4),),
    "row_mask": lambda T: (T.tensor([True, False, True]),),
    "mask_after_slice": lambda T: (slice(None), T.tensor([True, False, True, True])),
    "none_and_tensor": lambda T: (None, T.tensor([2, 1]), slice(0, 3)),
}


@pytest.mark.parametrize("name", sorted(_INDEXES))
def test_getitem_advanced(name):
    check_double_backward(lambda T, x: _sq((x * x)[_INDEXES[name](T)]), _u(3, 4), third=True)


_PUT_INDEXES = {   # no repeated position: the last write would win
    "int_list": lambda T: ([2, 0],),
    "int_tensor": lambda T: (T.tensor([[1, 0], [2, 2]]), T.tensor([[0, 0], [1, 3]])),
    "slice_then_tensor": lambda T: (slice(1, None), T.tensor([3, 0])),
    "int_and_tensor": lambda T: (1, T.tensor([[3, 0], [1, 2]])),
    "mask": lambda T: (_cond(T, 3, 4),),
    "row_mask": lambda T: (T.tensor([True, False, True]),),
    "none_and_tensor": lambda T: (None, T.tensor([2, 1]), slice(0, 3)),
}


@pytest.mark.parametrize("name, how", [(n, "setitem") for n in sorted(_PUT_INDEXES)] +
                         [(n, "index_put") for n in ("int_tensor", "mask", "row_mask")])
def test_index_put(name, how):
    def fn(T, x, v):
        idx = _PUT_INDEXES[name](T)
        value = (v * v).expand((x * 0)[idx].shape)
        if how == "index_put":
            return (x * x).index_put(idx, value) * x
        y = x * x
        y[idx] = value
        return y * x
    check_double_backward(fn, _u(3, 4), _u(1), third=True)


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_accumulate(accumulate):
    def fn(T, x, v):
        rows = [0, 2, 0] if accumulate else [0, 2, 1]   # a repeat adds up when accumulating
        idx = (T.tensor(rows), T.tensor([1, 1, 1]))
        return (x * x).index_put(idx, v * v, accumulate=accumulate) * x
    check_double_backward(fn, _u(3, 4), _u(3), third=True)


@pytest.mark.parametrize("index", ["row", "column", "mask", "tensor"])
def test_setitem(index):
    def fn(T, x, v):
        y = x * x
        key = {"row": (1,), "column": (slice(None), 2), "mask": (_cond(T, 3, 4),),
               "tensor": (T.tensor([0, 2]),)}[index]
        y[key] = v * v if index != "mask" else (v * v).sum()
        return y * x
    vshape = {"row": (4,), "column": (3,), "mask": (2,), "tensor": (4,)}[index]
    check_double_backward(fn, _u(3, 4), _u(*vshape), third=True)


def test_setitem_into_view_of_nonleaf():
    def fn(T, x, v):
        y = x * x
        view = y[1:]
        view[:, 0] = v * v          # CopySlices on y, AsStridedBackward0 on view
        view[view > 0.3] *= 2.0     # a masked write into the view
        return (y * x, view * v[0])
    check_double_backward(fn, _u(3, 4), _u(2), third=True)


# ------------------------------------------------------------------ joining
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat(dim):
    def fn(T, a, b, c):
        return T.cat([a * a, b * b, c], dim=dim) * T.cat([a, b, c * c], dim=dim)
    shapes = {0: ((1, 3), (2, 3), (3, 3)), 1: ((2, 1), (2, 3), (2, 2)),
              -1: ((2, 1), (2, 3), (2, 2))}[dim]
    check_double_backward(fn, *(_u(*s) for s in shapes), third=True)


def test_cat_constant_and_legacy_empty():
    def fn(T, a, c):
        return T.cat([a * a, T.zeros(0, dtype=a.dtype), c, a], dim=0) * 2.0
    check_double_backward(fn, _u(2, 3), _u(1, 3), no_grad=(1,))


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_stack(dim):
    check_double_backward(lambda T, a, b: _sq(T.stack([a * b, b * b, a], dim=dim)), _u(2, 3),
                          _u(2, 3), third=True)


@pytest.mark.parametrize("sizes, dim", [(2, 0), ([1, 3], 1), (3, 1)])
def test_split(sizes, dim):
    def fn(T, x):
        parts = (x * x).split(sizes, dim=dim)
        return sum(_sq(p).sum() * (i + 1) for i, p in enumerate(parts)) * x
    check_double_backward(fn, _u(3, 4), third=True)


def test_split_unused_piece():
    check_double_backward(lambda T, x: _sq((x * x).split(1, dim=0)[1]), _u(3, 4))


@pytest.mark.parametrize("chunks, dim", [(2, 0), (3, 1)])
def test_chunk(chunks, dim):
    def fn(T, x):
        return T.cat([_sq(p) * (i + 1) for i, p in enumerate((x * x).chunk(chunks, dim))], dim)
    check_double_backward(fn, _u(3, 4), third=True)


@pytest.mark.parametrize("dim", [0, 1])
def test_unbind(dim):
    def fn(T, x):
        return sum(_sq(p) * (i + 1) for i, p in enumerate((x * x).unbind(dim))) * x.sum()
    check_double_backward(fn, _u(3, 4), third=True)


# ------------------------------------------------------------------ gather / scatter
_IDX = np.array([[0, 2, 2, 1], [1, 0, 1, 1]])


@pytest.mark.parametrize("dim", [0, 1])
def test_gather(dim):
    idx = _IDX if dim == 0 else _IDX[:, :3] + 1
    check_double_backward(lambda T, x: _sq(T.gather(x * x, dim, T.tensor(idx))), _u(3, 4),
                          third=True)


def test_take_along_dim():
    idx = np.array([[0, 2], [1, 1], [2, 0]])
    check_double_backward(lambda T, x: _sq(T.take_along_dim(x * x, T.tensor(idx), dim=1)),
                          _u(3, 4), third=True)


def test_take():
    check_double_backward(lambda T, x: _sq(T.take(x * x, T.tensor([[0, 5], [11, 5]]))),
                          _u(3, 4), third=True)


def test_scatter_src():
    idx = np.array([[0, 2, 1], [1, 0, 2]])   # no repeated target
    check_double_backward(lambda T, x, s: (x * x).scatter(0, T.tensor(idx), s * s) * x,
                          _u(3, 4), _u(2, 3), third=True)


@pytest.mark.parametrize("op", ["scatter", "scatter_add"])
def test_scatter_src_larger_than_index(op):
    # PyTorch's own backward refuses a src larger than the index: finite differences only
    idx = mt.tensor([[0, 2, 1], [1, 0, 2]])
    x, s = (mt.tensor(_u(3, 4), requires_grad=True), mt.tensor(_u(3, 4), requires_grad=True))
    assert mt.autograd.gradgradcheck(lambda x, s: getattr(x * x, op)(0, idx, s * s) * x,
                                     (x, s))


def test_scatter_value():
    idx = np.array([[0, 2, 1], [1, 0, 2]])
    check_double_backward(lambda T, x: (x * x).scatter(0, T.tensor(idx), 0.25) * x, _u(3, 4),
                          third=True)


def test_scatter_add():
    check_double_backward(lambda T, x, s: (x * x).scatter_add(0, T.tensor(_IDX), s * s) * x,
                          _u(3, 4), _u(2, 4), third=True)


@pytest.mark.parametrize("dim", [0, 1])
def test_index_select(dim):
    check_double_backward(lambda T, x: _sq((x * x).index_select(dim, T.tensor([2, 0, 2]))),
                          _u(3, 4), third=True)


@pytest.mark.parametrize("alpha", [1, 0.5])
def test_index_add(alpha):
    def fn(T, x, s):
        return (x * x).index_add(1, T.tensor([3, 0, 3]), s * s, alpha=alpha) * x
    check_double_backward(fn, _u(3, 4), _u(3, 3), third=True)


# ------------------------------------------------------------------ index_fill / copy / put
def test_index_fill_number():
    check_double_backward(lambda T, x: (x * x).index_fill(1, T.tensor([3, 0, 3]), 0.5) * x,
                          _u(3, 4), third=True)


def test_index_fill_tensor_value():
    def fn(T, x, v):
        return (x * x).index_fill(1, T.tensor([3, 0, 3]), v * v) * x
    check_double_backward(fn, _u(3, 4), np.array(0.3), third=True)


def test_index_copy():
    def fn(T, x, s):
        return (x * x).index_copy(0, T.tensor([2, 0]), s * s) * x
    check_double_backward(fn, _u(3, 4), _u(2, 4), third=True)


@pytest.mark.parametrize("accumulate", [False, True])
def test_put(accumulate):
    idx = [7, 0, 7] if accumulate else [7, 0, 11]
    def fn(T, x, s):
        return (x * x).put(T.tensor(idx), s * s, accumulate=accumulate) * x
    check_double_backward(fn, _u(3, 4), _u(3), third=True)


# ------------------------------------------------------------------ maximum / minimum
@pytest.mark.parametrize("fn", ["maximum", "minimum"])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (4,))])
def test_maximum_minimum(fn, shapes):
    check_double_backward(lambda T, a, b: getattr(T, fn)(a * a, b) * a * b,
                          *(_u(*s) for s in shapes), third=True)


@pytest.mark.parametrize("fn", ["maximum", "minimum"])
def test_maximum_minimum_ties(fn):
    a, b = np.array([0.5, -0.3, 0.2, 0.9]), np.array([0.5, 0.1, 0.2, -0.4])
    check_double_backward(lambda T, a, b: getattr(T, fn)(a, b) * a * b, a, b, third=True,
                          gradgrad=False)


# ------------------------------------------------------------------ sort / topk / kthvalue
@pytest.mark.parametrize("dim, descending", [(0, False), (1, True), (-1, False)])
def test_sort_values(dim, descending):
    def fn(T, x):
        return _sq(T.sort(x * x.exp(), dim=dim, descending=descending)[0]) * \
            T.arange(4.0, dtype=x.dtype)
    check_double_backward(fn, _u(3, 4), third=True)


@pytest.mark.parametrize("k, dim, largest", [(2, 1, True), (1, 0, False), (3, -1, False)])
def test_topk_values(k, dim, largest):
    check_double_backward(lambda T, x: _sq(T.topk(x * x, k, dim=dim, largest=largest).values),
                          _u(3, 4), third=True)


@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue(keepdim):
    check_double_backward(lambda T, x: _sq(T.kthvalue(x * x, 2, dim=1, keepdim=keepdim)[0]),
                          _u(3, 4), third=True)


def test_sort_0d():
    check_double_backward(lambda T, x: _sq(T.sort(x * x)[0]), np.array(0.7))


# ------------------------------------------------------------------ diagonals
@pytest.mark.parametrize("offset, d1, d2", [(0, -2, -1), (1, 0, 2), (-1, 1, 0)])
def test_diag_embed(offset, d1, d2):
    check_double_backward(lambda T, x: _sq(T.diag_embed(x * x, offset, d1, d2)), _u(2, 3),
                          third=True)


@pytest.mark.parametrize("shape, offset", [((3,), 0), ((3,), -1), ((3, 4), 0), ((3, 4), 2),
                                           ((3, 4), -1)])
def test_diag(shape, offset):
    check_double_backward(lambda T, x: _sq(T.diag(x * x, offset)), _u(*shape), third=True)


def test_diagflat():
    check_double_backward(lambda T, x: _sq(T.diagflat(x * x, 1)), _u(2, 2))


def test_trace():
    check_double_backward(lambda T, x: _sq(T.trace(x * x)) * x, _u(3, 4), third=True)


# ------------------------------------------------------------------ conversions
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_to_dtype(dtype):
    def fn(T, x):
        y = (x * x).to(getattr(T, dtype))
        return (y * y).to(T.float64) * x
    # float32 rounding may differ in the last bit (products taken in another order)
    check_double_backward(fn, _u(3, 4), third=True, gradgrad=dtype == "float64",
                          rtol=1e-5 if dtype == "float32" else 1e-8)


def test_type_casts_method_forms():
    check_double_backward(lambda T, x: _sq((x * x).float().double() * x.clone().contiguous()),
                          _u(3, 4), third=True, gradgrad=False)


def test_copy_():
    def fn(T, x, s):
        y = x * x
        y.copy_(s * s)
        return y * x
    check_double_backward(fn, _u(3, 4), _u(4), third=True)


def test_fill_():
    def fn(T, x, v):
        y = x * x
        z = x * 2.0
        y.fill_(v * v)
        z.fill_(0.5)
        return y * x + z * x
    check_double_backward(fn, _u(3, 4), np.array(0.4), third=True)


# ------------------------------------------------------------------ complex
def test_complex_real_imag():
    def fn(T, x, y):
        z = T.complex(x * y, y)
        w = z * z * T.conj(z)
        return (T.real(w), T.imag(w))
    check_double_backward(fn, _u(3, 4), _u(4), third=True)


def test_view_as_real_complex():
    def fn(T, x):
        z = T.view_as_complex(x * x)
        return T.view_as_real(z * z * z.conj()) * x
    check_double_backward(fn, _u(3, 2), third=True)


# ------------------------------------------------------------------ scatter_reduce / index_reduce
@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self):
    def fn(T, x, s):
        return (x * x).scatter_reduce(0, T.tensor(_IDX), s * s, reduce,
                                      include_self=include_self) * x
    check_double_backward(fn, _u(3, 4), _u(2, 4), third=True)


def test_scatter_reduce_amax_ties():
    x = np.array([[0.5, 0.2], [0.1, 0.3]])
    s = np.array([[0.5, 0.3], [0.5, -0.1]])   # ties with self and between src values
    def fn(T, x, s):
        return T.scatter_reduce(x, 0, T.tensor([[0, 1], [0, 0]]), s, "amax") * x * s.sum()
    check_double_backward(fn, x, s, third=True, gradgrad=False)


@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta:UserWarning")   # PyTorch's
@pytest.mark.parametrize("reduce", ["mean", "amax", "amin"])
def test_index_reduce(reduce):
    def fn(T, x, s):
        return (x * x).index_reduce(1, T.tensor([3, 0, 3]), s * s, reduce) * x
    check_double_backward(fn, _u(3, 4), _u(3, 3), third=True)


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("zeros", ["none", "in x", "one in src"])
def test_scatter_reduce_prod(include_self, zeros):
    x, s = _u(3, 4), _u(2, 4)
    if zeros == "in x":
        x[0, 1] = 0.0
    if zeros == "one in src":
        s[1, 1] = 0.0      # the only zero among the values reduced into slot (0, 1)
    def fn(T, x, s):
        return x.scatter_reduce(0, T.tensor(_IDX), s, "prod", include_self=include_self) * x
    check_double_backward(fn, x, s, third=True)


@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta:UserWarning")   # PyTorch's
def test_index_reduce_prod():
    def fn(T, x, s):
        return (x * x).index_reduce(1, T.tensor([3, 0, 3]), s * s, "prod") * x
    check_double_backward(fn, _u(3, 4), _u(3, 3), third=True)


def test_prod_with_two_zeros_in_a_slot_refuses_double_backward_like_pytorch():
    x = mt.tensor(_u(3, 4), requires_grad=True)
    s = mt.tensor(np.array([[0.0, 0.5, 0.2, 0.1], [0.0, 0.3, 0.4, 0.6]]), requires_grad=True)
    out = x.scatter_reduce(0, mt.tensor([[0, 1, 1, 1], [0, 0, 0, 0]]), s, "prod")
    gx, gs = mt.autograd.grad(out.sum(), (x, s), create_graph=True)
    with pytest.raises(RuntimeError, match="Double backward is unsupported for src when >1 "
                                           "zeros in src are scattered to the same position"):
        mt.autograd.grad(gs.sum(), s)


# ------------------------------------------------------------------ in-place writes into views
_VIEW_WRITES = {
    "mul_": lambda T, view, v: view.mul_(v * v),
    "exp_": lambda T, view, v: view.exp_(),
    "clamp_": lambda T, view, v: view.clamp_(-0.3, 0.3),
    "masked_fill_": lambda T, view, v: view.masked_fill_(view > 0.1, v.sum()),
    "copy_": lambda T, view, v: view.copy_(v * v.sum()),
    "index_add_": lambda T, view, v: view.index_add_(1, T.tensor([1, 0, 1]),
                                                     (v * v)[:, :1].expand(-1, 3) * 1.0),
}


@pytest.mark.parametrize("view_kind", ["rows", "view_of_view", "transposed"])
@pytest.mark.parametrize("write", sorted(_VIEW_WRITES))
def test_inplace_write_into_view(write, view_kind):
    def fn(T, x, v):
        y = x * x
        if view_kind == "rows":
            view = y[1:]
        elif view_kind == "view_of_view":
            view = y[1:][:, ::2]
        else:
            view = y.t()[::2, :2].t()   # the base laid out column-first
        _VIEW_WRITES[write](T, view, v if view.shape[1] == 4 else v[:, :view.shape[1]])
        return (y * x, view * view)
    check_double_backward(fn, _u(3, 4), _u(2, 4), third=True)


@pytest.mark.parametrize("fn", ["angle", "sgn"])
def test_angle_sgn_complex_through_real_inputs(fn):
    # complex built from real inputs: second and third derivatives equal PyTorch's
    def f(T, x):
        out = getattr(T, fn)(T.complex(x, x * x))
        out = T.view_as_real(out) if out.is_complex() else out
        return out * out
    check_double_backward(f, _u(3, 4), third=True)


@pytest.mark.parametrize("fn", ["angle", "sgn"])
def test_angle_sgn_real(fn):
    check_double_backward(lambda T, x: getattr(T, fn)(x * x - 0.5) * x * x, _u(3, 4),
                          third=True)
