"""Embedding and Bilinear against PyTorch: values, gradients, init, padding_idx, max_norm,
from_pretrained, repr and errors."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

from layer_harness import check_layer, mt, np_of, torch

RNG = np.random.default_rng(5)


def _ids(*shape, high=6):
    return RNG.integers(0, high, shape).astype(np.int64)


# ---------------------------------------------------------------------------- embedding
@pytest.mark.parametrize("kw", [{}, dict(padding_idx=0), dict(padding_idx=-1),
                                dict(scale_grad_by_freq=True), dict(max_norm=1.0),
                                dict(max_norm=1.5, norm_type=1.0)])
@pytest.mark.parametrize("shape", [(5,), (2, 4)])
def test_embedding_matches_torch(kw, shape):
    ids = _ids(*shape)
    ids[0] = 0   # make sure the padding row is looked up (and repeated ids appear)
    check_layer(lambda T: T.nn.Embedding(6, 3, **kw), [ids])


def test_embedding_padding_row_is_zero_and_gets_no_grad():
    m = mt.nn.Embedding(5, 2, padding_idx=1)
    assert np.all(np_of(m.weight)[1] == 0)
    m(mt.tensor([1, 2, 1])).sum().backward()
    g = np_of(m.weight.grad)
    assert np.all(g[1] == 0) and np.all(g[2] == 1)


def test_embedding_default_init_is_standard_normal():
    w = np_of(mt.nn.Embedding(400, 50).weight)
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02


def test_from_pretrained():
    for T in (torch, mt):
        w = T.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3]])
        emb = T.nn.Embedding.from_pretrained(w)
        assert emb.weight.requires_grad is False and emb.num_embeddings == 2
        np.testing.assert_allclose(np_of(emb(T.tensor([1]))), [[4.0, 5.1, 6.3]], rtol=1e-6)
        emb = T.nn.Embedding.from_pretrained(w, freeze=False, padding_idx=0)
        assert emb.weight.requires_grad is True and emb.padding_idx == 0
        with pytest.raises(AssertionError, match="Embeddings parameter is expected to be "
                                                 "2-dimensional"):
            T.nn.Embedding.from_pretrained(T.ones(3))


@pytest.mark.parametrize("make", [
    lambda T: T.nn.Embedding(10, 3), lambda T: T.nn.Embedding(10, 3, padding_idx=-2),
    lambda T: T.nn.Embedding(4, 2, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True,
                             sparse=True)])
def test_embedding_repr(make):
    ours, ref = make(mt), make(torch)
    assert repr(ours) == repr(ref) and ours.padding_idx == ref.padding_idx


def test_embedding_errors():
    for T in (torch, mt):
        with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
            T.nn.Embedding(3, 2, padding_idx=3)
        with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
            T.nn.Embedding(3, 2, padding_idx=-4)
        with pytest.raises(AssertionError, match="Shape of weight does not match"):
            T.nn.Embedding(3, 2, _weight=T.ones(2, 2))
        with pytest.raises(IndexError, match="index out of range in self"):
            T.nn.Embedding(3, 2)(T.tensor([3]))
        with pytest.raises(RuntimeError, match=re.escape(
                "Expected tensor for argument #1 'indices' to have one of the following scalar "
                "types: Long, Int; but got torch.FloatTensor instead")):
            T.nn.Embedding(3, 2)(T.tensor([1.0]))


# ---------------------------------------------------------------------------- bilinear
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape1, shape2", [((4, 3), (4, 2)), ((2, 3, 3), (2, 3, 2)),
                                            ((3,), (2,))])
def test_bilinear_matches_torch(bias, shape1, shape2):
    check_layer(lambda T: T.nn.Bilinear(3, 2, 4, bias=bias),
                [RNG.standard_normal(shape1), RNG.standard_normal(shape2)])


def test_bilinear_init_and_errors():
    m = mt.nn.Bilinear(9, 2, 400)
    bound = 1 / math.sqrt(9)
    w = np_of(m.weight)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(np_of(m.bias)).max() <= bound
    for T in (torch, mt):
        with pytest.raises(ValueError, match=re.escape(
                "in1_features must be > 0, but got (in1_features=0)")):
            T.nn.Bilinear(0, 2, 3)
        with pytest.raises(RuntimeError, match="input1 size does not match weight size"):
            T.nn.Bilinear(3, 2, 4)(T.zeros(2, 4), T.zeros(2, 2))
