"""nn.PairwiseDistance and nn.CosineSimilarity against PyTorch (float64 values and input
gradients, repr, attributes, bad shapes)."""
from __future__ import annotations

import numpy as np
import pytest

from layer_harness import check_layer, mt, torch

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("kw", [{}, dict(p=1.0), dict(p=3.0, eps=1e-3), dict(keepdim=True),
                                dict(p=float("inf"))])
@pytest.mark.parametrize("shapes", [((4, 3), (4, 3)), ((4, 3), (1, 3)), ((3,), (3,)),
                                    ((2, 4, 3), (4, 3))])
def test_pairwise_distance(kw, shapes):
    check_layer(lambda T: T.nn.PairwiseDistance(**kw),
                [RNG.standard_normal(s) for s in shapes])


@pytest.mark.parametrize("kw, shapes", [
    ({}, ((4, 3), (4, 3))), (dict(dim=0), ((4, 3), (4, 3))),
    (dict(dim=-1, eps=1e-3), ((2, 4, 3), (2, 4, 3))), ({}, ((2, 4, 3), (1, 4, 3))),
    (dict(dim=-1), ((4, 3), (1, 3))), (dict(dim=2), ((2, 1, 3), (2, 4, 3)))])
def test_cosine_similarity(kw, shapes):
    check_layer(lambda T: T.nn.CosineSimilarity(**kw),
                [RNG.standard_normal(s) for s in shapes])


@pytest.mark.parametrize("dim, shapes", [(1, ((2, 4, 3), (4, 3))), (0, ((4, 3), (1, 3)))])
def test_cosine_similarity_broadcast_along_dim(dim, shapes):
    """The inputs broadcast first, then the norms are taken (an input broadcast along `dim`)."""
    check_layer(lambda T: T.nn.CosineSimilarity(dim=dim),
                [RNG.standard_normal(s) for s in shapes])


def test_cosine_similarity_zero_vector_uses_eps():
    x = np.zeros((2, 3))
    y = RNG.standard_normal((2, 3))
    check_layer(lambda T: T.nn.CosineSimilarity(), [x, y])


def test_attributes_and_repr():
    for T in (mt, torch):
        d = T.nn.PairwiseDistance(p=3.0, eps=1e-4, keepdim=True)
        assert (d.norm, d.eps, d.keepdim) == (3.0, 1e-4, True)
        c = T.nn.CosineSimilarity(dim=0, eps=1e-5)
        assert (c.dim, c.eps) == (0, 1e-5)
    assert repr(mt.nn.PairwiseDistance()) == repr(torch.nn.PairwiseDistance())
    assert repr(mt.nn.CosineSimilarity()) == repr(torch.nn.CosineSimilarity())
    assert list(mt.nn.CosineSimilarity().state_dict()) == []


def test_bad_shapes_raise_like_torch():
    for T in (torch, mt):
        with pytest.raises(RuntimeError):
            T.nn.PairwiseDistance()(T.ones(4, 3), T.ones(4, 2))
        with pytest.raises(RuntimeError):
            T.nn.CosineSimilarity()(T.ones(4, 3), T.ones(3, 3))
        with pytest.raises(IndexError):
            T.nn.CosineSimilarity(dim=2)(T.ones(4, 3), T.ones(4, 3))
