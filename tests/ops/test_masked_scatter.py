"""masked_scatter / masked_scatter_ (minitorch_nn/ops/masked.py).

Against NumPy, by gradcheck, against PyTorch (values, dtypes, gradients: zero at the written
places for the input, the gradient there for source's first elements), with the mask
broadcast as PyTorch broadcasts it (both ways out of place, to self's shape in place),
PyTorch's errors, and the version counters of the in-place form.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from index_update_util import same_values_and_grads
from indexing_util import same_error
from op_harness import check_op, make_arrays, requires_torch

MASK = np.random.default_rng(9).uniform(size=(3, 4)) > 0.5


def _np_masked_scatter(x, mask, source):
    shape = np.broadcast_shapes(np.shape(x), np.shape(mask))
    out = np.broadcast_to(x, shape).copy()
    m = np.broadcast_to(mask, shape)
    out[m] = np.asarray(source).reshape(-1)[:int(m.sum())]
    return out


@pytest.mark.parametrize("x_shape,mask", [
    ((3, 4), MASK), ((3, 4), MASK[1]), ((3, 4), MASK[:, :1]), ((1, 4), MASK),
    ((4,), MASK), ((3, 1), MASK[None]), ((3, 4), np.zeros((3, 4), bool)),
    ((3, 4), np.ones((3, 4), bool)), ((), np.array(True)), ((2,), np.array(False)),
])
def test_masked_scatter(x_shape, mask):
    x, src = make_arrays([x_shape, (4, 5)])
    check_op(lambda T, x, m, s: T.masked_scatter(x, m, s), None, arrays=[x, mask, src],
             ref=_np_masked_scatter)
    check_op(lambda T, x, m, s: x.masked_scatter(m, s), None, arrays=[x, mask, src.T],
             ref=_np_masked_scatter)   # a non-contiguous source is read in its logical order


@pytest.mark.parametrize("mask", [MASK, MASK[2], MASK[:1], np.array(True)])
def test_masked_scatter_in_place(mask):
    x, src = make_arrays([(3, 4), (3, 4)])
    check_op(lambda T, x, m, s: (x * 1).masked_scatter_(m, s), None, arrays=[x, mask, src],
             ref=_np_masked_scatter)


@requires_torch
def test_masked_scatter_dtypes_and_sizes():
    m = np.array([[True, False, True], [False, True, True]])
    for dtype in (np.int64, np.int32, np.uint8, np.float16):
        x, src = np.arange(6).reshape(2, 3).astype(dtype), np.arange(10, 16).astype(dtype)
        check_op(lambda T, x, m, s: x.masked_scatter(m, s), None, arrays=[x, m, src],
                 ref=_np_masked_scatter, grad=False)
    check_op(lambda T, x, m, s: x.masked_scatter(m, s), None,
             arrays=[np.zeros((2, 3), bool), m, np.array([True, False, True, True])],
             ref=_np_masked_scatter)
    # exactly as many elements as Trues; zero-size tensors (gradients compared with PyTorch)
    check_op(lambda T, x, m, s: x.masked_scatter(m, s), None,
             arrays=[*make_arrays([(2, 3)]), m, np.ones(4)], ref=_np_masked_scatter)
    for x, mask, src in [(np.ones((0, 3)), np.zeros((0, 3), bool), np.zeros(0)),
                         (np.ones(3), np.zeros(3, bool), np.zeros(0)),
                         (np.ones((2, 3)), np.zeros((0, 1, 3), bool), np.ones(2))]:
        check_op(lambda T, x, m, s: x.masked_scatter(m, s), None, arrays=[x, mask, src],
                 ref=_np_masked_scatter, grad=False)
        same_values_and_grads(lambda T, x, s: x.masked_scatter(T.tensor(mask), s), [x, src],
                              [True, True])


@requires_torch
@pytest.mark.parametrize("fn", [
    lambda T: T.rand(2, 3).masked_scatter(T.ones(2, 3, dtype=T.bool), T.rand(5)),
    lambda T: T.rand(3).masked_scatter(T.ones(3, dtype=T.bool), T.rand(0)),
    lambda T: T.rand(2, 3).masked_scatter(T.ones(2, 3, dtype=T.int32), T.rand(6)),
    lambda T: T.rand(2, 3).masked_scatter(T.ones(2, 3, dtype=T.uint8), T.rand(6)),
    lambda T: T.rand(2, 3).masked_scatter(T.ones(2, 3, dtype=T.int32), T.rand(6).double()),
    lambda T: T.rand(2, 3).masked_scatter(T.ones(2, 3, dtype=T.bool), T.rand(6).double()),
    lambda T: T.rand(2, 3).masked_scatter(T.ones(2, 2, dtype=T.bool), T.rand(6).double()),
    lambda T: T.rand(2, 3).masked_scatter_(T.ones(2, 2, dtype=T.bool), T.rand(6)),
    lambda T: T.rand(2, 3).masked_scatter_(T.ones(2, 1, 3, dtype=T.bool), T.rand(6)),
    lambda T: T.rand(2, 3).masked_scatter_(T.ones(2, 3, dtype=T.bool), T.rand(5)),
])
@pytest.mark.filterwarnings("ignore:masked_scatter_ received a mask with dtype torch.uint8")
def test_masked_scatter_errors_match_pytorch(fn):
    same_error(fn)


@requires_torch
def test_masked_scatter_type_errors():
    same_error(lambda T: T.rand(2, 3).masked_scatter(T.ones(2, 3, dtype=T.bool), 1.0),
               match="source")
    same_error(lambda T: T.rand(2, 3).masked_scatter([True], T.rand(6)), match="mask")


def test_masked_scatter_in_place_versions_and_autograd():
    x = mt.zeros(2, 3)
    out = x.masked_scatter_(mt.tensor([True, False, True]), mt.arange(1.0, 7.0))
    assert out is x and x._version == 1 and x.tolist() == [[1, 0, 2], [3, 0, 4]]
    leaf = mt.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        leaf.masked_scatter_(mt.tensor([True, False, True]), mt.ones(2))
    assert leaf._version == 0
    src = mt.tensor([2.0, 3.0, 4.0], requires_grad=True)
    y = leaf * 2
    y.masked_scatter_(mt.tensor([False, True, True]), src)
    assert y.grad_fn.name() == "MaskedScatterBackward0" and y._version == 1
    y.backward(mt.tensor([1.0, 10.0, 100.0]))
    assert src.grad.tolist() == [10.0, 100.0, 0.0] and leaf.grad.tolist() == [2.0, 0.0, 0.0]


@requires_torch
def test_masked_scatter_into_a_view_as_pytorch():
    def run(T, x, s):
        base = x * 1
        base[:, 1:].masked_scatter_(T.tensor(MASK[0, :3]), s)
        base[0].masked_scatter_(T.tensor(MASK[1]), s * 3)
        return base
    x, s = make_arrays([(3, 4), (9,)])
    same_values_and_grads(run, [x, s], [True, True])


def test_editing_the_mask_after_forward_raises():
    x = mt.rand(3, requires_grad=True)
    m = mt.tensor([True, False, True])
    y = x.masked_scatter(m, mt.ones(2))
    m.logical_not_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
