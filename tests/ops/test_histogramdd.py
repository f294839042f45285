"""histogramdd (ops/histogramdd.py): numpy.histogramdd as reference, PyTorch parity of the
counts, edges, weights, density and errors."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from parity_util import same_error, same_values

RNG = np.random.default_rng(0)
POINTS = RNG.normal(size=(50, 2))


@pytest.mark.parametrize("bins", [4, (3, 5), [2, 1]])
@pytest.mark.parametrize("density", [False, True])
def test_histogramdd_against_numpy(bins, density):
    hist, edges = mt.histogramdd(mt.from_numpy(POINTS.copy()), bins, density=density)
    e_hist, e_edges = np.histogramdd(POINTS, bins, density=density)
    np.testing.assert_allclose(hist.numpy(), e_hist, rtol=1e-10)
    for e, r in zip(edges, e_edges):
        np.testing.assert_allclose(e.numpy(), r, rtol=1e-12)


def test_histogramdd_with_weights_range_and_edges_against_numpy():
    w = RNG.uniform(size=50)
    ranges = [-1., 1., -0.5, 2.]
    hist, _ = mt.histogramdd(mt.from_numpy(POINTS.copy()), [3, 4], range=ranges,
                             weight=mt.from_numpy(w))
    expected, _ = np.histogramdd(POINTS, [3, 4], range=[(-1, 1), (-0.5, 2)], weights=w)
    np.testing.assert_allclose(hist.numpy(), expected, rtol=1e-10)
    edges = [np.array([-2., 0., 0.5, 3.]), np.array([-1., 1.])]
    hist, out_edges = mt.histogramdd(mt.from_numpy(POINTS.copy()),
                                     [mt.from_numpy(e) for e in edges])
    np.testing.assert_allclose(hist.numpy(), np.histogramdd(POINTS, edges)[0])
    assert isinstance(out_edges, tuple) and len(out_edges) == 2


@pytest.mark.parametrize("expr", [
    lambda T: T.histogramdd(T.tensor([[0., 1.], [1., 0.], [2., 0.], [2., 2.]]), bins=[3, 3],
                            weight=T.tensor([1., 2., 4., 8.])),
    lambda T: T.histogramdd(T.tensor([[0., 1.], [1., 0.], [2., 2.]]), [2, 2],
                            range=[0., 1., 0., 1.], density=True),
    lambda T: T.histogramdd(T.tensor([[0., 1.], [1., 1.]]), bins=[2, 2]),
    lambda T: T.histogramdd(T.tensor([[0., 1.], [1., 1.]]),
                            bins=[T.tensor([0., 1., 2.]), T.tensor([0., 2.])]),
    lambda T: T.histogramdd(T.zeros(0, 2), bins=2),
    lambda T: T.histogramdd(T.arange(12, dtype=T.float32).view(2, 2, 3) / 5, bins=2),
    lambda T: T.histogramdd(T.arange(8, dtype=T.float64).view(4, 2), bins=3)])
def test_histogramdd_matches_pytorch(expr):
    same_values(lambda T: (expr(T).hist, *expr(T).bin_edges))


def test_histogramdd_has_no_derivative():
    r = same_values(lambda T: T.histogramdd(T.ones(3, 2, requires_grad=True), bins=2).hist)
    assert r.requires_grad
    same_error(lambda T: T.histogramdd(T.ones(3, 2, requires_grad=True), bins=2)
               .hist.sum().backward(), exact=False)


@pytest.mark.parametrize("kwargs", [
    {"bins": [2]}, {"bins": [2, 0]}, {"bins": 2, "range": [0., 1.]},
    {"bins": 2, "weight": "ones3"}, {"bins": 2, "range": [1., 0., 0., 1.]},
    {"bins": 2, "range": [0., float("inf"), 0., 1.]},
    {"bins": "edges2d"}, {"bins": 2, "weight": "double"}])
def test_histogramdd_errors_match_pytorch(kwargs):
    def call(T):
        k = dict(kwargs)
        if k.get("weight") == "ones3":
            k["weight"] = T.ones(3)
        if k.get("weight") == "double":
            k["weight"] = T.ones(4, dtype=T.float64)
        if k.get("bins") == "edges2d":
            k["bins"] = [T.tensor([0., 1.]), T.tensor([[0., 2.]])]
        return T.histogramdd(T.tensor([[0., 1.], [1., 0.], [2., 0.], [2., 2.]]), **k)
    same_error(call)


def test_histogramdd_input_errors_match_pytorch():
    same_error(lambda T: T.histogramdd(T.ones(3, 2, dtype=T.int64), bins=2))
    same_error(lambda T: T.histogramdd(T.ones(3), bins=2))
    same_error(lambda T: T.histogramdd(T.ones(3, 2)), match="bins", exact=False)
    same_error(lambda T: T.histogramdd(T.ones(3, 2), 2.5), match="invalid combination",
               exact=False)
