"""sort, argsort, msort, topk, kthvalue (minitorch_nn/ops/sorting.py) and the topk kernel.

Random inputs (no ties) go through the harness: NumPy reference, float64 gradcheck, PyTorch
differential. Ties and NaN: sort/argsort indices are compared with PyTorch exactly (stable);
topk/kthvalue pick one of several equal values where PyTorch leaves the index unspecified, so
there only the values are compared with PyTorch and the indices with our documented rule (the
first of the stable order, the NumPy reference).
"""
from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.ops import sorting as sorting_ops
from op_harness import check_op, make_arrays, requires_torch, torch

NAN = math.nan
SHAPES_DIMS = [((5,), 0), ((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((2, 3, 4), -2),
               ((2, 0, 3), 1), ((2, 0, 3), 0), ((1, 4), 0), ((4, 1), 1)]


def _np_sort(a, d, descending=False):
    order = np.argsort(a, axis=d, kind="stable")
    if descending:   # reference for tie-free inputs
        order = np.flip(order, d)
    return np.take_along_axis(a, order, d), order


def _np_stable_desc(a, d):
    """Stable descending order (ties in index order, NaN first): sort of the negated key."""
    key = np.where(np.isnan(a), -np.inf, -a) if a.dtype.kind == "f" else -a.astype(np.int64)
    nan_first = np.isnan(a) if a.dtype.kind == "f" else np.zeros(a.shape, bool)
    order = np.lexsort((key, ~nan_first), axis=d) if a.ndim == 1 else None
    if order is None:
        order = np.apply_along_axis(lambda r: _np_stable_desc(r, 0), d, a)
    return order


# ------------------------------------------------------------------ sort / argsort / msort
@pytest.mark.parametrize("shape,dim", SHAPES_DIMS)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_values_indices_and_gradient(shape, dim, descending):
    check_op(lambda T, x: T.sort(x, dim, descending), [shape],
             ref=lambda a: _np_sort(a, dim, descending))
    check_op(lambda T, x: x.sort(dim=dim, descending=descending, stable=True), [shape],
             ref=lambda a: _np_sort(a, dim, descending))


@pytest.mark.parametrize("shape,dim", SHAPES_DIMS[:6])
def test_argsort_and_msort(shape, dim):
    check_op(lambda T, x: T.argsort(x, dim), [shape], ref=lambda a: _np_sort(a, dim)[1],
             grad=False)
    check_op(lambda T, x: x.argsort(dim, True), [shape], grad=False,
             ref=lambda a: _np_sort(a, dim, True)[1])
    check_op(lambda T, x: T.argsort(x, stable=True, dim=dim, descending=True), [shape],
             ref=lambda a: _np_sort(a, dim, True)[1], grad=False)
    check_op(lambda T, x: T.msort(x), [shape], ref=lambda a: np.sort(a, axis=0)
             if a.ndim else a)
    check_op(lambda T, x: x.msort(), [shape], ref=lambda a: np.sort(a, axis=0))


def test_sort_of_a_scalar():
    check_op(lambda T, x: T.sort(x), [()], ref=lambda a: (a, np.int64(0)))
    check_op(lambda T, x: T.argsort(x, 0), [()], ref=lambda a: np.int64(0), grad=False)


TIES = [3.0, 1.0, NAN, 1.0, 2.0, 3.0, NAN, -0.0, 0.0, 1.0]


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "int64",
                                   "int32", "uint8", "int8", "bool"])
@pytest.mark.parametrize("kw", [{}, {"descending": True}, {"stable": True},
                                {"stable": True, "descending": True}])
def test_sort_ties_and_nan_keep_pytorch_order(dtype, kw):
    data = [[abs(v) if dtype == "uint8" else v for v in TIES], TIES[::-1]]
    if dtype not in ("float32", "float64", "float16", "bfloat16"):
        data = [[0 if v != v else int(v) for v in row] for row in data]
    ours = mt.sort(mt.tensor(data, dtype=getattr(mt, dtype)), **kw)
    ref = torch.sort(torch.tensor(data, dtype=getattr(torch, dtype)), **kw)
    assert ours.indices.tolist() == ref.indices.tolist()
    np.testing.assert_array_equal(np.array(ours.values.float().tolist()),
                                  np.array(ref.values.float().tolist()))
    assert str(ours.values.dtype) == str(ref.values.dtype)
    kw2 = {"dim": 0, **kw} if "stable" in kw else {**kw, "dim": 0}
    assert mt.tensor(data, dtype=getattr(mt, dtype)).argsort(**kw2).tolist() == \
        torch.tensor(data, dtype=getattr(torch, dtype)).argsort(**kw2).tolist()


@requires_torch
def test_sort_node_names_and_return_type():
    x = mt.tensor([[3.0, 1.0], [2.0, 5.0]], requires_grad=True)
    assert mt.sort(x).values.grad_fn.name() == "SortBackward0"
    assert mt.sort(x, stable=False).values.grad_fn.name() == "SortBackward1"
    assert mt.sort(x, stable=True, dim=0).values.grad_fn.name() == "SortBackward1"
    assert mt.msort(x).grad_fn.name() == "SortBackward0"
    r = mt.sort(x)
    assert type(r) is mt.return_types.sort and r[0] is r.values and r[1] is r.indices
    assert repr(r).startswith("torch.return_types.sort(\nvalues=tensor(")
    assert type(pickle.loads(pickle.dumps(r))) is mt.return_types.sort
    assert not r.indices.requires_grad and r.indices.dtype is mt.int64
    th = torch.tensor([[3.0, 1.0], [2.0, 5.0]], requires_grad=True)
    assert torch.sort(th, stable=False).values.grad_fn.name() == "SortBackward1"


# ------------------------------------------------------------------ topk
def _np_topk(a, k, d, largest=True):
    order = np.argsort(-a if largest else a, axis=d, kind="stable")
    idx = np.take(order, np.arange(k), axis=d)
    return np.take_along_axis(a, idx, d), idx


@pytest.mark.parametrize("shape,dim,k", [((6,), 0, 3), ((3, 5), 1, 2), ((3, 5), 0, 3),
                                         ((3, 5), -1, 5), ((3, 5), 1, 0), ((2, 0, 4), 2, 1),
                                         ((2, 0, 4), 1, 0), ((1, 4), 0, 1), ((2, 40, 3), 1, 33)])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_values_indices_and_gradient(shape, dim, k, largest):
    grad = k > 0   # gradcheck cannot compare a Jacobian with no rows (k = 0): tested below
    check_op(lambda T, x: T.topk(x, k, dim, largest), [shape], grad=grad,
             ref=lambda a: _np_topk(a, k, dim, largest))
    check_op(lambda T, x: x.topk(k, dim=dim, largest=largest, sorted=True), [shape],
             ref=lambda a: _np_topk(a, k, dim, largest), grad=grad)


def test_topk_of_nothing_gives_a_zero_gradient():
    x = mt.tensor(make_arrays([(3, 5)])[0], requires_grad=True)
    mt.topk(x, 0).values.sum().backward()
    assert x.grad is not None and x.grad.shape == (3, 5) and not x.grad.any()


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_topk_in_float32_and_float16(dtype):
    """float32 takes the kernel, float16 the array path; both against PyTorch."""
    check_op(lambda T, x: T.topk(x, 3, 0), [(7, 4)], dtype=dtype,
             ref=lambda a: _np_topk(a, 3, 0), atol=1e-3)


def test_topk_of_a_scalar():
    check_op(lambda T, x: T.topk(x, 1), [()], ref=lambda a: (a, np.int64(0)))
    check_op(lambda T, x: T.topk(x, 0), [()], ref=lambda a: (a, np.int64(0)))


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "int64",
                                   "uint8"])
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("k", [1, 3, 6])
def test_topk_ties_and_nan_values_as_pytorch_indices_first_of_stable_order(dtype, largest, k):
    data = [[3.0, 1.0, NAN, 1.0, 2.0, 3.0, NAN, 0.0, 1.0], [5.0, 5.0, 0.0, 5.0, 1.0, 1.0, 0.0,
                                                             2.0, 5.0]]
    if dtype in ("int64", "uint8"):
        data = [[0 if v != v else int(v) for v in row] for row in data]
    ours = mt.topk(mt.tensor(data, dtype=getattr(mt, dtype)), k, largest=largest)
    ref = torch.topk(torch.tensor(data, dtype=getattr(torch, dtype)), k, largest=largest)
    np.testing.assert_array_equal(np.array(ours.values.float().tolist()),
                                  np.array(ref.values.float().tolist()))
    a = np.array(data, dtype=np.float64)
    order = _np_stable_desc(a, 1) if largest else np.argsort(a, axis=1, kind="stable")
    assert ours.indices.tolist() == order[:, :k].tolist()


def test_topk_kernel_is_the_first_k_of_a_stable_sort():
    """The Numba kernel against NumPy's stable sort, with many ties and NaN, both orders."""
    from minitorch_nn.kernels.cpu.sorting import topk as kernel
    rng = np.random.default_rng(3)
    x = rng.integers(0, 6, size=(50, 40)).astype(np.float64)
    x[rng.random(x.shape) < 0.1] = np.nan
    for largest in (True, False):
        for k in (1, 4, 40):
            vals = np.empty((50, k))
            idx = np.empty((50, k), dtype=np.int64)
            kernel(x, k, largest, vals, idx)
            order = _np_stable_desc(x, 1) if largest else np.argsort(x, 1, kind="stable")
            assert idx.tolist() == order[:, :k].tolist()
    vals, idx = np.zeros((2, 3)), np.zeros((2, 3), dtype=np.int64)
    kernel(np.ones((2, 2)), 5, True, vals, idx)   # k > n: clipped, nothing written past n
    assert idx[:, 2].tolist() == [0, 0] and idx[:, :2].tolist() == [[0, 1], [0, 1]]


def test_topk_kernel_and_array_path_agree():
    """The same float64 rows with ties through the kernel (k <= 32) and the sort (k > 32)."""
    rng = np.random.default_rng(4)
    x = mt.tensor(rng.integers(0, 4, size=(3, 70)).astype(np.float64))
    small, large = mt.topk(x, 5), mt.topk(x, 40)
    assert small.indices.tolist() == large.indices[:, :5].tolist()
    assert sorting_ops._KERNEL_MAX_K < 40


@requires_torch
def test_topk_node_name_and_return_type():
    x = mt.tensor([3.0, 1.0, 2.0], requires_grad=True)
    r = mt.topk(x, 2)
    assert r.values.grad_fn.name() == "TopkBackward0" and type(r) is mt.return_types.topk
    assert repr(r).startswith("torch.return_types.topk(")
    assert torch.topk(torch.tensor([1.0], requires_grad=True), 1).values.grad_fn.name() == \
        "TopkBackward0"


# ------------------------------------------------------------------ kthvalue
def _np_kth(a, k, d, keepdim=False):
    order = np.argsort(a, axis=d, kind="stable")
    idx = np.take(order, [k - 1], axis=d)
    vals = np.take_along_axis(a, idx, d)
    return (vals, idx) if keepdim else (vals.squeeze(d), idx.squeeze(d))


@pytest.mark.parametrize("shape,dim,k", [((6,), 0, 3), ((3, 5), 1, 1), ((3, 5), 0, 3),
                                         ((3, 5), -1, 5), ((2, 0, 4), 2, 2), ((1, 4), 0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue_values_indices_and_gradient(shape, dim, k, keepdim):
    check_op(lambda T, x: T.kthvalue(x, k, dim, keepdim), [shape],
             ref=lambda a: _np_kth(a, k, dim, keepdim))
    check_op(lambda T, x: x.kthvalue(k, dim=dim, keepdim=keepdim), [shape],
             ref=lambda a: _np_kth(a, k, dim, keepdim))


def test_kthvalue_of_a_scalar_and_int_half():
    check_op(lambda T, x: T.kthvalue(x, 1), [()], ref=lambda a: (a, np.int64(0)))
    check_op(lambda T, x: T.kthvalue(x, 1, 0, True), [()], ref=lambda a: (a, np.int64(0)))
    ints = [np.array([[5, 1, 4], [2, 9, 0]], dtype=np.int32)]
    check_op(lambda T, x: T.kthvalue(x, 2), None, arrays=ints, ref=lambda a: _np_kth(a, 2, 1))
    check_op(lambda T, x: T.kthvalue(x, 2, 0), [(3, 4)], dtype=np.float16, atol=1e-3,
             ref=lambda a: _np_kth(a, 2, 0))


@requires_torch
@pytest.mark.parametrize("k", [1, 2, 4, 7, 9])
def test_kthvalue_ties_and_nan_values_as_pytorch(k):
    data = [[3.0, 1.0, NAN, 1.0, 2.0, 3.0, NAN, 0.0, 1.0], [5.0, 5.0, 0.0, 5.0, 1.0, 1.0, 0.0,
                                                             2.0, 5.0]]
    ours = mt.kthvalue(mt.tensor(data), k)
    ref = torch.kthvalue(torch.tensor(data), k)
    np.testing.assert_array_equal(np.array(ours.values.tolist()), np.array(ref.values.tolist()))
    assert ours.indices.tolist() == _np_kth(np.array(data), k, 1)[1].tolist()
    assert type(ours) is mt.return_types.kthvalue
    x = mt.tensor(data, requires_grad=True)
    assert mt.kthvalue(x, k).values.grad_fn.name() == "KthvalueBackward0"


# ------------------------------------------------------------------ bad input
def _same_error(expr, word):
    """Both libraries raise the same exception class; ours names `word`."""
    with pytest.raises(Exception) as ours:
        expr(mt)
    if torch is not None:
        with pytest.raises(Exception) as theirs:
            expr(torch)
        assert ours.type is theirs.type, (ours.value, theirs.value)
    assert word in str(ours.value), str(ours.value)


X = [[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]


@pytest.mark.parametrize("expr,word", [
    (lambda T: T.sort(T.tensor(X), 2), "Dimension out of range"),
    (lambda T: T.sort(T.tensor(X), -3), "Dimension out of range"),
    (lambda T: T.sort(T.tensor(X), 1.0), "dim"),
    (lambda T: T.sort(T.tensor(X), 0, stable=True), "stable"),
    (lambda T: T.sort(T.tensor(X), 0, False, True), "positional"),
    (lambda T: T.sort(T.tensor(X), descending=1), "descending"),
    (lambda T: T.sort(T.tensor([1 + 1j])), "complex"),
    (lambda T: T.sort([1.0, 2.0]), "input"),
    (lambda T: T.argsort(T.tensor(X), 0, stable=True), "stable"),
    (lambda T: T.argsort(T.tensor(X), 3), "Dimension out of range"),
    (lambda T: T.msort(T.tensor(1.0 + 0j)), "complex"),
    (lambda T: T.topk(T.tensor(X), 4), "k"),
    (lambda T: T.topk(T.tensor(X), -1), "k"),
    (lambda T: T.topk(T.tensor(X), 1.0), "'k'"),
    (lambda T: T.topk(T.tensor(X), 1, 2), "Dimension out of range"),
    (lambda T: T.topk(T.tensor(2.0), 2), "k"),
    (lambda T: T.topk(T.tensor([True, False]), 1), "bool"),
    (lambda T: T.topk(T.tensor([1j]), 1), "complex"),
    (lambda T: T.kthvalue(T.tensor(X), 0), "k"),
    (lambda T: T.kthvalue(T.tensor(X), 4), "k"),
    (lambda T: T.kthvalue(T.tensor(X), 3, 0), "k"),
    (lambda T: T.kthvalue(T.tensor(X), 1, 2), "Dimension out of range"),
    (lambda T: T.kthvalue(T.tensor(X), 1.5), "'k'"),
    (lambda T: T.kthvalue(T.zeros(0, 3), 1, 0), "non-zero size"),
    (lambda T: T.kthvalue(T.tensor([True]), 1), "Bool"),
    (lambda T: T.kthvalue(T.tensor(2.0), 2), "k"),
])
def test_bad_input_raises_as_pytorch(expr, word):
    _same_error(expr, word)
