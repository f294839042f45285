"""The default generator reproduces PyTorch's CPU random streams bit for bit.

Comparisons with PyTorch run when torch is installed; the hard-coded values below were taken
from torch 2.13 (CPU, AVX512 machine) so the file also checks something without it.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

try:
    import torch
except ImportError:   # pragma: no cover - the reference is optional
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

SEEDS = (0, 1, 7, 42, 1234, 2 ** 32 + 5, 2 ** 63 + 11)
SIZES = (0, 1, 15, 16, 17, 1000)
FLOATS = ("float32", "float64")


def _same(ours, theirs):
    if isinstance(ours, mt.Tensor) and ours.dtype == mt.bfloat16:
        ours, theirs = ours.float(), theirs.float()
    a = ours.numpy() if isinstance(ours, mt.Tensor) else np.asarray(ours)
    b = theirs.numpy() if torch is not None and isinstance(theirs, torch.Tensor) \
        else np.asarray(theirs)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    np.testing.assert_array_equal(a, b)


def _both(fn_ours, fn_theirs, seed):
    mt.manual_seed(seed)
    torch.manual_seed(seed)
    _same(fn_ours(), fn_theirs())
    # the streams stay in step after the call
    _same(mt.rand(5, dtype=mt.float64), torch.rand(5, dtype=torch.float64))


# ------------------------------------------------------------------ hard-coded (no torch)
def test_known_values_without_torch():
    mt.manual_seed(0)
    np.testing.assert_allclose(mt.randn(3).numpy(), [1.5409961, -0.2934289, -2.1787894],
                               rtol=0, atol=1e-7)
    mt.manual_seed(0)
    np.testing.assert_allclose(mt.rand(3).numpy(), [0.49625659, 0.76822180, 0.08847743],
                               rtol=0, atol=1e-8)
    mt.manual_seed(0)
    assert mt.randperm(8).tolist() == [4, 0, 7, 3, 2, 5, 1, 6]   # checked below with torch
    mt.manual_seed(0)
    assert mt.randint(0, 10, (6,)).tolist() == [4, 9, 3, 0, 3, 9]


def test_known_normal_fill_without_torch():
    mt.manual_seed(0)
    x = mt.randn(17)   # normal_fill: 16-blocks, tail recomputed
    np.testing.assert_allclose(x.numpy()[[0, 8, 16]], [-1.1258398, 0.4680964, 0.9318266],
                               rtol=0, atol=1e-6)


@needs_torch
def test_known_values_are_torch_values():
    torch.manual_seed(0)
    assert torch.randperm(8).tolist() == [4, 0, 7, 3, 2, 5, 1, 6]
    torch.manual_seed(0)
    assert torch.randint(0, 10, (6,)).tolist() == [4, 9, 3, 0, 3, 9]
    torch.manual_seed(0)
    np.testing.assert_allclose(torch.randn(17).numpy()[[0, 8, 16]],
                               [-1.1258398, 0.4680964, 0.9318266], rtol=0, atol=1e-6)


def test_seeding_api():
    g = mt.Generator()
    assert g.initial_seed() == 67280421310721
    assert g.manual_seed(-1).initial_seed() == 2 ** 64 - 1
    assert mt.manual_seed(5).initial_seed() == 5 == mt.initial_seed()
    with pytest.raises(RuntimeError, match="expected a long"):
        g.manual_seed(1.5)
    with pytest.raises(ValueError, match="Overflow"):
        g.manual_seed(2 ** 64)
    assert mt.get_rng_state().shape == (5056,)
    assert mt.get_rng_state().dtype == mt.uint8
    s = mt.seed()
    assert mt.initial_seed() == s


def test_state_round_trip_and_fork_rng():
    mt.manual_seed(3)
    mt.randn(3, dtype=mt.float64)          # leaves a cached Box-Muller sample
    state = mt.get_rng_state()
    a = mt.randn(20)
    mt.set_rng_state(state)
    _same(mt.randn(20), a)
    mt.set_rng_state(state)
    with mt.random.fork_rng():
        mt.rand(100)
    _same(mt.randn(20), a)
    with pytest.raises(RuntimeError, match="size 5056"):
        mt.set_rng_state(mt.zeros(10, dtype=mt.uint8))
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        mt.set_rng_state(mt.zeros(5056, dtype=mt.uint8))


def test_generator_objects_are_independent():
    g1 = mt.Generator().manual_seed(9)
    g2 = mt.Generator().manual_seed(9)
    mt.manual_seed(0)
    a = mt.rand(10, generator=g1)
    mt.rand(3)
    _same(mt.rand(10, generator=g2), a)
    g1.set_state(g2.get_state())
    _same(mt.randn(20, generator=g1), mt.randn(20, generator=g2))


# ------------------------------------------------------------------ against torch
@needs_torch
@pytest.mark.parametrize("seed", SEEDS)
def test_state_bytes_equal_torch(seed):
    mt.manual_seed(seed)
    torch.manual_seed(seed)
    _same(mt.get_rng_state(), torch.get_rng_state())
    mt.rand(700)
    torch.rand(700)
    mt.randn(5, dtype=mt.float64)   # odd count: a cached normal
    torch.randn(5, dtype=torch.float64)
    _same(mt.get_rng_state(), torch.get_rng_state())
    assert torch.Generator().manual_seed(seed).initial_seed() == \
        mt.Generator().manual_seed(seed).initial_seed()


@needs_torch
def test_state_restores_across_libraries():
    torch.manual_seed(11)
    torch.randn(3, dtype=torch.float64)
    state = torch.get_rng_state()
    mt.set_rng_state(mt.tensor(state.numpy()))
    _same(mt.randn(3, dtype=mt.float64), torch.randn(3, dtype=torch.float64))
    _same(mt.rand(1000), torch.rand(1000))
    mt.manual_seed(12)
    mt.randn(1, dtype=mt.float64)
    torch.set_rng_state(torch.from_numpy(mt.get_rng_state().numpy()))
    _same(mt.randn(7, dtype=mt.float64), torch.randn(7, dtype=torch.float64))
    g = torch.Generator()
    g.set_state(torch.from_numpy(mt.Generator().manual_seed(4).get_state().numpy()))
    _same(mt.rand(40, generator=mt.Generator().manual_seed(4)), torch.rand(40, generator=g))


@needs_torch
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_rand_randn(seed, n, dtype):
    md, td = getattr(mt, dtype), getattr(torch, dtype)
    _both(lambda: mt.rand(n, dtype=md), lambda: torch.rand(n, dtype=td), seed)
    _both(lambda: mt.randn(n, dtype=md), lambda: torch.randn(n, dtype=td), seed)
    _both(lambda: mt.randn(2, n, dtype=md), lambda: torch.randn(2, n, dtype=td), seed)


@needs_torch
@pytest.mark.parametrize("seed", SEEDS[:4])
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("lo,hi", [(-0.3, 0.3), (2.5, 7.1), (-1e3, 17.0)])
def test_uniform_ranges(seed, n, dtype, lo, hi):
    md, td = getattr(mt, dtype), getattr(torch, dtype)
    _both(lambda: mt.empty(n, dtype=md).uniform_(lo, hi),
          lambda: torch.empty(n, dtype=td).uniform_(lo, hi), seed)


@needs_torch
@pytest.mark.parametrize("seed", SEEDS[:4])
@pytest.mark.parametrize("n", SIZES + (100000,))
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (0.3, 2.5), (-4.0, 0.01)])
def test_normal_(seed, n, dtype, mean, std):
    md, td = getattr(mt, dtype), getattr(torch, dtype)
    _both(lambda: mt.empty(n, dtype=md).normal_(mean, std),
          lambda: torch.empty(n, dtype=td).normal_(mean, std), seed)
    _both(lambda: mt.normal(mean, std, (n,), dtype=md),
          lambda: torch.normal(mean, std, (n,), dtype=td), seed)


@needs_torch
@pytest.mark.parametrize("seed", SEEDS[:3])
def test_normal_tensor_overloads(seed):
    m = np.linspace(-1, 1, 40).reshape(2, 20).astype(np.float32)
    s = np.linspace(0.1, 2, 40).reshape(2, 20).astype(np.float32)
    _both(lambda: mt.normal(mt.tensor(m), 0.5), lambda: torch.normal(torch.tensor(m), 0.5),
          seed)
    _both(lambda: mt.normal(0.5, mt.tensor(s)), lambda: torch.normal(0.5, torch.tensor(s)),
          seed)
    _both(lambda: mt.normal(mt.tensor(m), mt.tensor(s)),
          lambda: torch.normal(torch.tensor(m), torch.tensor(s)), seed)


@needs_torch
@pytest.mark.parametrize("seed", SEEDS[:4])
def test_non_contiguous_inplace(seed):
    _both(lambda: mt.empty(20, 30).t().normal_(),
          lambda: torch.empty(20, 30).t().normal_(), seed)
    _both(lambda: mt.empty(20, 30).t().uniform_(-1, 1),
          lambda: torch.empty(20, 30).t().uniform_(-1, 1), seed)


@needs_torch
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("lo,hi,dtype", [
    (0, 10, "int64"), (-5, 3, "int64"), (0, 2 ** 40, "int64"), (-2 ** 62, 2 ** 62, "int64"),
    (0, 100, "int32"), (0, 255, "uint8"), (-3, 3, "int8"), (0, 2, "bool"),
    (0, 1000, "float32"), (0, 2 ** 35, "float64"), (0, 2 ** 35, "float32")])
@pytest.mark.filterwarnings("ignore:to - 1 is out of bounds")
def test_randint(seed, n, lo, hi, dtype):
    md, td = getattr(mt, dtype), getattr(torch, dtype)
    _both(lambda: mt.randint(lo, hi, (n,), dtype=md),
          lambda: torch.randint(lo, hi, (n,), dtype=td), seed)


@needs_torch
@pytest.mark.parametrize("seed", SEEDS[:4])
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool",
                                   "float32", "float64", "float16", "bfloat16"])
def test_random_(seed, dtype):
    md, td = getattr(mt, dtype), getattr(torch, dtype)
    _both(lambda: mt.empty(100, dtype=md).random_(),
          lambda: torch.empty(100, dtype=td).random_(), seed)
    _both(lambda: mt.empty(100, dtype=md).random_(2),
          lambda: torch.empty(100, dtype=td).random_(2), seed)
    if dtype != "bool":
        _both(lambda: mt.empty(100, dtype=md).random_(3, 9),
              lambda: torch.empty(100, dtype=td).random_(3, 9), seed)


@needs_torch
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", (0, 1, 2, 15, 16, 17, 1000))
def test_randperm(seed, n):
    _both(lambda: mt.randperm(n), lambda: torch.randperm(n), seed)


@needs_torch
@pytest.mark.parametrize("seed", SEEDS[:4])
def test_like_factories(seed):
    x, tx = mt.zeros(3, 17), torch.zeros(3, 17)
    _both(lambda: mt.rand_like(x), lambda: torch.rand_like(tx), seed)
    _both(lambda: mt.randn_like(x), lambda: torch.randn_like(tx), seed)
    _both(lambda: mt.randint_like(x, 3, 50), lambda: torch.randint_like(tx, 3, 50), seed)


@needs_torch
@pytest.mark.parametrize("seed", SEEDS[:4])
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_other_distributions(seed, n, dtype):
    md, td = getattr(mt, dtype), getattr(torch, dtype)
    e = lambda lib, d: lib.empty(n, dtype=d)   # noqa: E731
    _both(lambda: e(mt, md).exponential_(2.5), lambda: e(torch, td).exponential_(2.5), seed)
    _both(lambda: e(mt, md).geometric_(0.3), lambda: e(torch, td).geometric_(0.3), seed)
    _both(lambda: e(mt, md).log_normal_(0.5, 0.7), lambda: e(torch, td).log_normal_(0.5, 0.7),
          seed)
    _both(lambda: e(mt, md).cauchy_(1.0, 2.0), lambda: e(torch, td).cauchy_(1.0, 2.0), seed)
    _both(lambda: e(mt, md).bernoulli_(0.3), lambda: e(torch, td).bernoulli_(0.3), seed)
    p = np.linspace(0, 1, n).astype(dtype)
    _both(lambda: mt.bernoulli(mt.tensor(p)), lambda: torch.bernoulli(torch.tensor(p)), seed)
    _both(lambda: e(mt, md).bernoulli_(mt.tensor(p)),
          lambda: e(torch, td).bernoulli_(torch.tensor(p)), seed)


@needs_torch
@pytest.mark.parametrize("seed", SEEDS[:4])
@pytest.mark.parametrize("dtype", FLOATS)
def test_multinomial(seed, dtype):
    w = np.abs(np.sin(np.arange(60.0))).reshape(3, 20).astype(dtype)
    for k, repl in ((1, False), (5, False), (20, False), (1, True), (50, True)):
        _both(lambda: mt.multinomial(mt.tensor(w), k, repl),
              lambda: torch.multinomial(torch.tensor(w), k, repl), seed)
    _both(lambda: mt.multinomial(mt.tensor(w[0]), 7, True),
          lambda: torch.multinomial(torch.tensor(w[0]), 7, True), seed)


@needs_torch
@pytest.mark.parametrize("seed", SEEDS[:4])
def test_nn_init_and_linear(seed):
    _both(lambda: mt.nn.Linear(20, 30).weight.detach(),
          lambda: torch.nn.Linear(20, 30).weight.detach(), seed)
    mt.manual_seed(seed)
    torch.manual_seed(seed)
    a, b = mt.nn.Linear(20, 30), torch.nn.Linear(20, 30)
    _same(a.weight.detach(), b.weight.detach())
    _same(a.bias.detach(), b.bias.detach())
    for name in ("xavier_uniform_", "xavier_normal_", "kaiming_normal_", "trunc_normal_"):
        _both(lambda: getattr(mt.nn.init, name)(mt.empty(30, 20)),
              lambda: getattr(torch.nn.init, name)(torch.empty(30, 20)), seed)


@needs_torch
@pytest.mark.parametrize("seed", SEEDS[:4])
@pytest.mark.parametrize("p", (0.1, 0.5))
def test_dropout_mask(seed, p):
    x = np.ones((4, 50), np.float32)
    _both(lambda: mt.nn.functional.dropout(mt.tensor(x), p, True),
          lambda: torch.nn.functional.dropout(torch.tensor(x), p, True), seed)


@needs_torch
@pytest.mark.parametrize("seed", SEEDS[:4])
@pytest.mark.parametrize("dtype", ("float16", "bfloat16"))
@pytest.mark.parametrize("lo,hi", [(0.0, 1.0), (-0.3, 0.7), (2.0, 9.0)])
def test_reduced_precision_uniform(seed, dtype, lo, hi):
    md, td = getattr(mt, dtype), getattr(torch, dtype)
    _both(lambda: mt.empty(5000, dtype=md).uniform_(lo, hi),
          lambda: torch.empty(5000, dtype=td).uniform_(lo, hi), seed)
    _both(lambda: mt.randn(15, dtype=md), lambda: torch.randn(15, dtype=td), seed)


@needs_torch
@pytest.mark.parametrize("seed", SEEDS[:3])
@pytest.mark.parametrize("dtype", ("float16", "bfloat16"))
@pytest.mark.parametrize("n", (16, 17, 20, 31, 33, 1001))
@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (0.3, 2.5)])
def test_reduced_precision_normal_ragged_tail(seed, dtype, n, mean, std):
    """float16/bfloat16 normal_ on >= 16 elements: blocks of 16 in float32, and for a ragged
    size the uniforms of the last partial block are never drawn, only the tail's 16."""
    md, td = getattr(mt, dtype), getattr(torch, dtype)
    _both(lambda: mt.empty(n, dtype=md).normal_(mean, std),
          lambda: torch.empty(n, dtype=td).normal_(mean, std), seed)
