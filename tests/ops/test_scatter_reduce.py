"""scatter_reduce / scatter_reduce_ (minitorch_nn/ops/scatter_gather.py), and take's checks.

Against a loop-by-loop NumPy reference, by gradcheck (distinct values: no ties), against
PyTorch (values, dtypes, gradients, also at ties and zeros where gradcheck cannot judge),
PyTorch's errors, and the version counters of the in-place form.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from index_update_util import np_scatter_reduce, same_values_and_grads
from indexing_util import same_error
from op_harness import check_op, make_arrays, requires_torch

REDUCES = ["sum", "prod", "mean", "amax", "amin"]
RNG = np.random.default_rng(7)
INDEX = {0: RNG.integers(0, 3, (4, 3)), 1: RNG.integers(0, 4, (3, 5))}   # repeats included


def _case(dim):
    d = dim % 2
    index = INDEX[d]
    x, src = make_arrays([(3, 4), index.shape], seed=d + 1)
    return x, index, src, d


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scatter_reduce(reduce, include_self, dim):
    x, index, src, d = _case(dim)

    def ref(x, i, s):
        return np_scatter_reduce(x, d, i, s, reduce, include_self)
    check_op(lambda T, x, i, s: T.scatter_reduce(x, dim, i, s, reduce,
                                                 include_self=include_self),
             None, arrays=[x, index, src], ref=ref)
    check_op(lambda T, x, i, s: x.scatter_reduce(dim, i, s, reduce=reduce,
                                                 include_self=include_self),
             None, arrays=[x, index, src], ref=ref)


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_in_place(reduce, include_self):
    x, index, src, _ = _case(0)
    check_op(lambda T, x, i, s: (x * 1).scatter_reduce_(0, i, s, reduce,
                                                        include_self=include_self),
             None, arrays=[x, index, src],
             ref=lambda x, i, s: np_scatter_reduce(x, 0, i, s, reduce, include_self))


@requires_torch
@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_grads_at_ties_and_zeros(reduce, include_self):
    """Small integers: ties (amax/amin split the gradient evenly) and zeros (prod)."""
    rng = np.random.default_rng(11)
    x = rng.integers(-1, 2, (3, 4)).astype(np.float64)
    src = rng.integers(-1, 2, (5, 4)).astype(np.float64)
    index = rng.integers(0, 3, (5, 4))
    same_values_and_grads(lambda T, x, s: x.scatter_reduce(0, T.tensor(index), s, reduce,
                                                           include_self=include_self),
                          [x, src], [True, True])
    # a slot with a zero in self and another in src, two zeros in src, one zero in src
    x = np.array([0.0, 2.0, 3.0, 4.0])
    src = np.array([0.0, 4.0, 0.0, 5.0, 0.0, 0.0, 7.0])
    index = np.array([0, 0, 1, 2, 2, 3, 1])
    same_values_and_grads(lambda T, x, s: x.scatter_reduce(0, T.tensor(index), s, reduce,
                                                           include_self=include_self),
                          [x, src], [True, True])


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.int16])
def test_scatter_reduce_integers(reduce, dtype):
    """Integer mean rounds down (floor), as PyTorch's does, negatives included."""
    rng = np.random.default_rng(3)
    low = 0 if dtype == np.uint8 else -9
    x = rng.integers(low, 10, (3, 4)).astype(dtype)
    src = rng.integers(low, 10, (4, 4)).astype(dtype)
    index = rng.integers(0, 3, (4, 4))
    for include_self in (True, False):
        check_op(lambda T, x, i, s: x.scatter_reduce(0, i, s, reduce,
                                                     include_self=include_self),
                 None, arrays=[x, index, src],
                 ref=lambda x, i, s: np_scatter_reduce(x, 0, i, s, reduce, include_self))


@pytest.mark.parametrize("reduce", ["sum", "prod", "amax", "amin"])
def test_scatter_reduce_bool(reduce):
    rng = np.random.default_rng(4)
    x, src = rng.uniform(size=(3, 4)) > 0.5, rng.uniform(size=(4, 4)) > 0.5
    index = rng.integers(0, 3, (4, 4))
    any_all = {"sum": np.any, "prod": np.all, "amax": np.any, "amin": np.all}[reduce]

    def ref(x, i, s):
        out = x.copy()
        for pos in np.ndindex(i.shape):
            out[i[pos], pos[1]] = any_all([out[i[pos], pos[1]], s[pos]])
        return out
    check_op(lambda T, x, i, s: T.scatter_reduce(x, 0, i, s, reduce), None,
             arrays=[x, index, src], ref=ref)


@requires_torch
@pytest.mark.parametrize("reduce", REDUCES)
def test_scatter_reduce_half(reduce):
    """float16 reduces in float32 and rounds once (values checked at float16's precision)."""
    x, index, src, _ = _case(0)
    check_op(lambda T, x, i, s: x.scatter_reduce(0, i, s, reduce), None,
             arrays=[x.astype(np.float16), index, src.astype(np.float16)], grad=False,
             atol=1e-2, rtol=1e-2)
    b = mt.tensor(x, dtype=mt.bfloat16).scatter_reduce(0, mt.tensor(index),
                                                       mt.tensor(src, dtype=mt.bfloat16), reduce)
    assert b.dtype is mt.bfloat16
    ref = np_scatter_reduce(x.astype(np.float32), 0, index, src.astype(np.float32), reduce)
    np.testing.assert_allclose(b.float().numpy(), ref, atol=0.05, rtol=0.02)


@pytest.mark.parametrize("reduce", REDUCES)
def test_scatter_reduce_small_and_empty_shapes(reduce):
    # (gradcheck cannot take 0-size inputs: the gradients are compared with PyTorch's)
    for x, i, s, d in [((0, 3), (0, 2), (0, 2), 1), ((2, 3), (0, 3), (0, 3), 0)]:
        arrays = [np.ones(x), np.zeros(i, np.int64), np.zeros(s)]
        check_op(lambda T, x, i, s: x.scatter_reduce(d, i, s, reduce), None, arrays=arrays,
                 ref=lambda x, i, s: x, grad=False)
        same_values_and_grads(lambda T, x, s: x.scatter_reduce(d, T.tensor(arrays[1]), s,
                                                               reduce),
                              [arrays[0], arrays[2]], [True, True])
    x, src = make_arrays([(1, 3), (2, 1)])
    check_op(lambda T, x, i, s: x.scatter_reduce(0, i, s, reduce, include_self=False), None,
             arrays=[x, np.zeros((2, 1), np.int64), src],
             ref=lambda x, i, s: np_scatter_reduce(x, 0, i, s, reduce, False))


@requires_torch
@pytest.mark.parametrize("reduce", REDUCES)
def test_scatter_reduce_0d(reduce):
    """0-d tensors act as 1-element 1-D ones (self, index and src alike)."""
    for x, i, s in [(np.array(1.5), np.array([0, 0]), np.array([2.0, -3.0])),
                    (np.array(1.5), np.array(0), np.array(2.0))]:
        same_values_and_grads(lambda T, x, s: x.scatter_reduce(0, T.tensor(i), s, reduce),
                              [x, s], [True, True])
    # (PyTorch's backward fails here for some reductions: its gradient of src is 0-d)
    same_values_and_grads(lambda T, x, s: x.scatter_reduce(0, T.tensor(0), s, reduce),
                          [np.array([1.5]), np.array([2.0, 4.0])], [False, False])


def test_scatter_reduce_src_larger_than_index():
    """Only the part of src the index covers is used; the rest gets a zero gradient."""
    x = mt.zeros(2, 3, requires_grad=True)
    src = mt.arange(12.0).view(3, 4).requires_grad_(True)
    y = x.scatter_reduce(1, mt.tensor([[2, 2], [0, 1]]), src, "sum", include_self=False)
    assert y.tolist() == [[0.0, 0.0, 1.0], [4.0, 5.0, 0.0]]
    y.sum().backward()
    assert src.grad.tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]]
    assert x.grad.tolist() == [[1, 1, 0], [0, 0, 1]]


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda T: T.rand(2, 3).scatter_reduce(0, T.tensor([[0, 2]]), T.rand(2, 3), "sum"),
    lambda T: T.rand(2, 3).scatter_reduce(0, T.tensor([[0, -1]]), T.rand(2, 3), "amax"),
    lambda T: T.rand(2, 3).scatter_reduce(0, T.tensor([[0, 1]]), T.rand(2, 3), "max2"),
    lambda T: T.rand(2, 3).scatter_reduce(0, T.tensor([[0, 1]]), T.rand(2, 3), "add"),
    lambda T: T.rand(2, 3).scatter_reduce(0, T.tensor([[0.0]]), T.rand(2, 3), "sum"),
    lambda T: T.rand(2, 3).scatter_reduce(0, T.tensor([[0]], dtype=T.int16), T.rand(2, 3),
                                          "sum"),
    lambda T: T.rand(2, 3).scatter_reduce(0, T.tensor([[0]]), T.rand(2, 3).double(), "sum"),
    lambda T: T.rand(2, 3).scatter_reduce(0, T.tensor([[0, 1, 0, 1]]), T.rand(2, 3), "sum"),
    lambda T: T.rand(2, 3).scatter_reduce(0, T.tensor([[0, 1]] * 3), T.rand(2, 3), "prod"),
    lambda T: T.rand(2, 3).scatter_reduce(0, T.tensor([0, 1]), T.rand(2, 3), "sum"),
    lambda T: T.rand(2, 3).scatter_reduce(2, T.tensor([[0]]), T.rand(2, 3), "sum"),
    lambda T: T.rand(2, 3).scatter_reduce(-3, T.tensor([[0]]), T.rand(2, 3), "sum"),
    lambda T: T.ones(2, dtype=T.bool).scatter_reduce(0, T.tensor([0]), T.ones(2, dtype=T.bool),
                                                     "mean"),
    lambda T: T.ones(2, dtype=T.complex64).scatter_reduce(
        0, T.tensor([0]), T.ones(2, dtype=T.complex64), "amin"),
    lambda T: T.zeros(2, 3).scatter_reduce_(1, T.tensor([[0, 3]]), T.ones(2, 3), "sum"),
])
def test_scatter_reduce_errors_match_pytorch(fn):
    same_error(fn)


@requires_torch
def test_scatter_reduce_type_errors():
    same_error(lambda T: T.rand(2, 3).scatter_reduce(0, T.tensor([[0]]), 1.0, "sum"),
               match="src")
    same_error(lambda T: T.rand(2, 3).scatter_reduce(0, [[0]], T.rand(2, 3), "sum"),
               match="index")
    same_error(lambda T: T.rand(2, 3).scatter_reduce(0, T.tensor([[0]]), T.rand(2, 3)),
               match="reduce")


def test_scatter_reduce_legacy_max_has_no_derivative():
    """PyTorch's forward accepts "max"/"min" (as amax/amin), its backward refuses them."""
    x = mt.tensor([1.0, 5.0, 2.0], requires_grad=True)
    y = x.scatter_reduce(0, mt.tensor([0, 0]), mt.tensor([4.0, 3.0]), "max")
    assert y.tolist() == [4.0, 5.0, 2.0]
    assert mt.tensor([1.0, 2.0]).scatter_reduce(
        0, mt.tensor([1]), mt.tensor([0.5]), "min", include_self=False).tolist() == [1.0, 0.5]
    with pytest.raises(RuntimeError, match="Expected 'reduce' to be one of 'sum', 'prod', "
                                           "'mean', 'amax', 'amin' but got max."):
        y.sum().backward()


def test_scatter_reduce_in_place_versions_and_autograd():
    x = mt.zeros(2, 3)
    out = x.scatter_reduce_(1, mt.tensor([[0, 0], [2, 1]]), mt.ones(2, 2), "sum")
    assert out is x and x._version == 1 and x.tolist() == [[2, 0, 0], [0, 1, 1]]
    leaf = mt.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        leaf.scatter_reduce_(0, mt.tensor([0]), mt.ones(1), "amax")
    with mt.no_grad():   # allowed without a graph, and counted
        leaf.scatter_reduce_(0, mt.tensor([1]), mt.full((1,), 4.0), "amax")
    assert leaf.tolist() == [0, 4, 0] and leaf._version == 1 and leaf.requires_grad
    src = mt.tensor([2.0, 3.0], requires_grad=True)
    y = leaf * 1
    y.scatter_reduce_(0, mt.tensor([2, 2]), src, "prod")
    assert y.grad_fn.name() == "ScatterReduceBackward0" and y._version == 1
    y.sum().backward()
    assert src.grad.tolist() == [0.0, 0.0] and leaf.grad.tolist() == [1.0, 1.0, 6.0]


@pytest.mark.parametrize("edit", ["index", "self", "src", "result"])
def test_scatter_reduce_saved_tensors_checked(edit):
    """PyTorch saves the index, self, src and the result: editing one in place raises."""
    x = mt.rand(3, requires_grad=True)
    s = mt.rand(2, requires_grad=True)
    i = mt.tensor([0, 2])
    xs, ss = x * 1, s * 1
    y = xs.scatter_reduce(0, i, ss, "amax")
    {"index": i, "self": xs, "src": ss, "result": y}[edit].add_(0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ------------------------------------------------------------------ take (ops/scatter_gather.py)
@requires_torch
@pytest.mark.parametrize("fn", [
    lambda T: T.rand(2, 3).take(T.tensor([0], dtype=T.int32)),
    lambda T: T.zeros(0).take(T.tensor([0])),
    lambda T: T.rand(2, 3).take(T.tensor([-7])),
])
def test_take_errors_match_pytorch(fn):
    same_error(fn)


def test_take_shapes():
    check_op(lambda T, x, i: x.take(i), None, arrays=[np.array(2.5), np.array([0, -1, 0])],
             ref=lambda x, i: np.take(x, i))
    check_op(lambda T, x, i: T.take(x, i), None, arrays=[np.zeros((0, 2)), np.zeros(0, np.int64)],
             ref=lambda x, i: np.zeros(0))
    x = make_arrays([(3, 4)])[0]
    check_op(lambda T, x, i: T.take(x, i), None, arrays=[x, np.array(7)],
             ref=lambda x, i: x.reshape(-1)[7])
    check_op(lambda T, x, i: T.take(x, i), None, arrays=[x > 0, np.array([[1, 2], [3, 11]])],
             ref=lambda x, i: x.reshape(-1)[i])


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", ["int64", "int16", "uint8", "complex64", "float32"])
def test_index_put_accumulate_on_gpu_for_dtypes_cupyx_lacks(dtype):
    """cupyx.scatter_add has no int64/int16/uint8/complex atomics: those take the host path."""
    if not mt.cuda.is_available():
        pytest.skip("needs a GPU (or --fake-gpu)")
    x = mt.zeros(4, dtype=getattr(mt, dtype), device="cuda")
    idx = mt.tensor([1, 1, 3], device="cuda")
    x.index_put_((idx,), mt.ones(3, dtype=getattr(mt, dtype), device="cuda"), accumulate=True)
    assert x.cpu().tolist() == [0, 2, 0, 1]
