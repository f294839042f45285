"""nn.functional embedding (padding_idx, max_norm, scale_grad_by_freq) and one_hot."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from functional_util import F, compare_paths, compare_torch, contiguous
from op_harness import assert_close, check_op, requires_torch, torch

IDX = np.array([[0, 2, 2], [4, 1, 2]])


@pytest.mark.parametrize("padding_idx", [None, 2, -1, 0])
@pytest.mark.parametrize("scale_grad_by_freq", [False, True])
def test_embedding(padding_idx, scale_grad_by_freq):
    def fn(T, w):
        return F(T).embedding(T.from_numpy(IDX.copy()).to(w.device), w, padding_idx,
                              scale_grad_by_freq=scale_grad_by_freq)

    if padding_idx is None and not scale_grad_by_freq:
        check_op(fn, [(5, 3)], ref=lambda w: w[IDX])
    else:   # the gradient deliberately differs from finite differences: PyTorch decides
        compare_torch(fn, contiguous((5, 3)))


def test_embedding_padding_row_gets_no_gradient():
    w = mt.randn(5, 3, requires_grad=True)
    F(mt).embedding(mt.tensor([1, 2, 2]), w, padding_idx=2).sum().backward()
    assert w.grad[2].tolist() == [0.0, 0.0, 0.0]
    assert w.grad[1].tolist() == [1.0, 1.0, 1.0]


def test_embedding_int32_indices_and_top_level():
    check_op(lambda T, w: F(T).embedding(T.from_numpy(IDX.astype(np.int32)).to(w.device), w), [(5, 4)])
    check_op(lambda T, w: T.embedding(w, T.from_numpy(IDX.copy()).to(w.device)), [(5, 2)])


@requires_torch
@pytest.mark.parametrize("norm_type", [1.0, 2.0])
def test_embedding_max_norm_renormalizes_in_place(norm_type):
    w = contiguous((5, 3), low=-3, high=3)[0]
    results = []
    for T in (mt, torch):
        weight = T.from_numpy(w.copy())
        out = F(T).embedding(T.from_numpy(IDX.copy()), weight, max_norm=1.0,
                             norm_type=norm_type)
        results.append((out.numpy(), weight.numpy()))
    assert_close(results[0][0], results[1][0])
    assert_close(results[0][1], results[1][1])
    assert results[0][1][3].tolist() == w[3].tolist()   # rows not looked up are untouched


def test_kernel_and_numpy_paths_agree():
    idx = mt.from_numpy(np.array([[0, 3, 3, 1], [3, 2, 0, 0]]))
    compare_paths(lambda w: F(mt).embedding(idx, w, padding_idx=1), contiguous((4, 6)))
    compare_paths(lambda w: F(mt).embedding(idx, w, scale_grad_by_freq=True),
                  contiguous((4, 6), dtype=np.float32), atol=1e-6)


def test_embedding_errors():
    w = mt.randn(3, 2)
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have "
                                           "one of the following scalar types: Long, Int; but "
                                           "got torch.FloatTensor instead"):
        F(mt).embedding(mt.tensor([0.0, 1.0]), w)
    with pytest.raises(IndexError, match="index out of range in self"):
        F(mt).embedding(mt.tensor([0, 3]), w)
    with pytest.raises(RuntimeError, match="'weight' must be 2-D"):
        F(mt).embedding(mt.tensor([0, 2]), mt.randn(3, 2, 2))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        F(mt).embedding(mt.tensor([0, 2]), w, padding_idx=3)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        F(mt).embedding(mt.tensor([0, 2]), w, padding_idx=-4)


def test_grad_fn_name():
    out = F(mt).embedding(mt.tensor([0]), mt.randn(2, 2, requires_grad=True))
    assert type(out.grad_fn).__name__ == "EmbeddingBackward0"


@requires_torch
def test_one_hot():
    for args in [((mt.tensor([0, 2, 1]),), (torch.tensor([0, 2, 1]),)),
                 ((mt.tensor([[0], [1]]), 3), (torch.tensor([[0], [1]]), 3))]:
        ours, theirs = F(mt).one_hot(*args[0]), torch.nn.functional.one_hot(*args[1])
        assert ours.dtype is mt.int64 and ours.tolist() == theirs.tolist()


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F(mt).one_hot(mt.tensor([0, 2]), 2)
    with pytest.raises(RuntimeError, match="Class values must be non-negative."):
        F(mt).one_hot(mt.tensor([0, -1]), 3)
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor"):
        F(mt).one_hot(mt.tensor([0.0, 1.0]), 3)
    with pytest.raises(RuntimeError, match="Can not infer total number of classes from empty"):
        F(mt).one_hot(mt.tensor([], dtype=mt.int64))
