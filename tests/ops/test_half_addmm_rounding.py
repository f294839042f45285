"""float16/bfloat16 addmm, baddbmm (and addmm_, F.linear with bias) round once, as PyTorch's CPU
kernels do: beta * input + alpha * (mat1 @ mat2) is computed in float32 and rounded to the half
type at the end (ops/products.py `_scaled_product`, ops/linear.py). Rounding the product to the
half type first and then scaling and adding rounds twice.

Compared bit for bit with PyTorch. The inputs are multiples of 1/8 in [-4, 4]: every product
and partial sum is exact in float32, so the order in which BLAS adds the terms cannot change a
bit and the only roundings are the ones this file is about (the scalings by alpha and beta in
float32, then one rounding to the half type). With arbitrary inputs PyTorch's float16 gemm and
numpy's sgemm add the k terms in different orders, which can differ by one unit in the last
place (docs/dtypes.md).
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

torch = pytest.importorskip("torch")

DTYPES = ["float16", "bfloat16"]
SCALES = [(1, 1), (0.5, 3.7), (2.3, -1.9), (0, 2.5), (1, 3.7), (2.5, 1)]
SHAPES = [(1, 1, 1), (2, 3, 4), (7, 33, 5), (16, 64, 9)]   # (n, k, m)


def _eighths(rng, shape):
    """Random multiples of 1/8 in [-4, 4] (exact in float16 and bfloat16)."""
    return rng.integers(-32, 33, size=shape).astype(np.float32) / 8


def _pair(array, dtype):
    """The same values as a minitorch_nn and a PyTorch tensor of `dtype`."""
    return (mt.tensor(array).to(getattr(mt, dtype)),
            torch.from_numpy(array.copy()).to(getattr(torch, dtype)))


def _assert_same_bits(ours, theirs):
    assert ours.dtype.__repr__().split(".")[-1] == str(theirs.dtype).split(".")[-1]
    mine = torch.from_numpy(ours.float().numpy()).to(theirs.dtype)
    assert tuple(mine.shape) == tuple(theirs.shape)
    assert torch.equal(mine.view(torch.int16), theirs.view(torch.int16)), \
        (mine.float() - theirs.float()).abs().max()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("beta,alpha", SCALES)
@pytest.mark.parametrize("n,k,m", SHAPES)
@pytest.mark.parametrize("seed", [0, 1])
def test_addmm_rounds_once(dtype, beta, alpha, n, k, m, seed):
    rng = np.random.default_rng(seed)
    (mi, ti), (ma, ta), (mb, tb) = (_pair(_eighths(rng, s), dtype)
                                    for s in ((n, m), (n, k), (k, m)))
    _assert_same_bits(mt.addmm(mi, ma, mb, beta=beta, alpha=alpha),
                      torch.addmm(ti, ta, tb, beta=beta, alpha=alpha))
    # a broadcast (m,) input, and the in-place form
    (mv, tv) = _pair(_eighths(rng, (m,)), dtype)
    _assert_same_bits(mt.addmm(mv, ma, mb, beta=beta, alpha=alpha),
                      torch.addmm(tv, ta, tb, beta=beta, alpha=alpha))
    _assert_same_bits(mi.clone().addmm_(ma, mb, beta=beta, alpha=alpha),
                      ti.clone().addmm_(ta, tb, beta=beta, alpha=alpha))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("beta,alpha", SCALES)
@pytest.mark.parametrize("n,k,m", SHAPES)
def test_baddbmm_rounds_once(dtype, beta, alpha, n, k, m):
    rng = np.random.default_rng(n * k * m)
    (mi, ti), (ma, ta), (mb, tb) = (_pair(_eighths(rng, s), dtype)
                                    for s in ((3, n, m), (3, n, k), (3, k, m)))
    _assert_same_bits(mt.baddbmm(mi, ma, mb, beta=beta, alpha=alpha),
                      torch.baddbmm(ti, ta, tb, beta=beta, alpha=alpha))
    _assert_same_bits(mi.clone().baddbmm_(ma, mb, beta=beta, alpha=alpha),
                      ti.clone().baddbmm_(ta, tb, beta=beta, alpha=alpha))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n,k,m", SHAPES)
@pytest.mark.parametrize("seed", [0, 1])
def test_linear_with_bias_rounds_once(dtype, n, k, m, seed):
    """F.linear and nn.Linear's forward (addmm of the bias) in the half types."""
    rng = np.random.default_rng(seed)
    (mx, tx), (mw, tw), (mb, tb) = (_pair(_eighths(rng, s), dtype)
                                    for s in ((n, k), (m, k), (m,)))
    _assert_same_bits(mt.nn.functional.linear(mx, mw, mb),
                      torch.nn.functional.linear(tx, tw, tb))
    _assert_same_bits(mt.addmm(mb, mx, mw.t()), torch.addmm(tb, tx, tw.t()))
    (mx3, tx3) = _pair(_eighths(rng, (2, n, k)), dtype)
    _assert_same_bits(mt.nn.functional.linear(mx3, mw, mb),
                      torch.nn.functional.linear(tx3, tw, tb))


@pytest.mark.parametrize("dtype", DTYPES)
def test_large_scales_differ_from_rounding_twice(dtype):
    """The case of issue 12: with large alpha and beta, rounding the product first is off."""
    rng = np.random.default_rng(3)
    (mi, ti), (ma, ta), (mb, tb) = (_pair(_eighths(rng, s), dtype)
                                    for s in ((6, 5), (6, 40), (40, 5)))
    expected = torch.addmm(ti, ta, tb, beta=3.3, alpha=7.1)
    twice = (3.3 * ti.float() + 7.1 * (ta @ tb).float()).to(expected.dtype)
    assert not torch.equal(twice, expected)   # the inputs do tell the two apart
    _assert_same_bits(mt.addmm(mi, ma, mb, beta=3.3, alpha=7.1), expected)
