"""Random numbers: seeding, the random factories and the in-place samplers.

The numbers differ from PyTorch's (another generator), so what is compared is what must
agree: reproducibility from a seed, shapes, dtypes, value ranges, distribution moments,
version bumps, gradients (sampling has zero gradient) and PyTorch's error classes/messages.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

try:
    import torch
except ImportError:
    torch = None

LIBS = [pytest.param(mt, id="mt"),
        pytest.param(torch, id="torch",
                     marks=pytest.mark.skipif(torch is None, reason="PyTorch not installed"))]


def raises_like(fn, exc, match):
    for T in (mt, torch):
        if T is not None:
            with pytest.raises(exc, match=match or None):
                fn(T)


# ------------------------------------------------------------------ seeding
@pytest.mark.parametrize("T", LIBS)
def test_manual_seed_reproduces(T):
    draws = []
    for _ in range(2):
        T.manual_seed(1234)
        draws.append([T.rand(3).tolist(), T.randn(2, 2).tolist(), T.randint(10, (4,)).tolist(),
                      T.randperm(5).tolist(), T.normal(0.0, 1.0, (2,)).tolist(),
                      T.bernoulli(T.full((4,), 0.5)).tolist(), T.zeros(3).uniform_().tolist(),
                      T.multinomial(T.ones(5), 3).tolist()])
    assert draws[0] == draws[1]
    T.manual_seed(1)
    assert T.rand(3).tolist() != draws[0][0]


@pytest.mark.parametrize("T", LIBS)
def test_seed_state_functions(T):
    assert T.manual_seed(3).initial_seed() == 3 and T.initial_seed() == 3
    assert T.manual_seed(-1).initial_seed() == 2 ** 64 - 1
    T.manual_seed(2.0)
    assert T.initial_seed() == 2
    state = T.get_rng_state()
    assert state.dtype is T.uint8
    a = T.rand(3)
    T.set_rng_state(state)
    assert T.rand(3).tolist() == a.tolist()
    assert isinstance(T.seed(), int)


@pytest.mark.parametrize("T", LIBS)
def test_generator_objects(T):
    g = T.Generator()
    g.manual_seed(7)
    a = T.rand(3, generator=g)
    g.manual_seed(7)
    assert T.rand(3, generator=g).tolist() == a.tolist()
    assert g.initial_seed() == 7
    T.manual_seed(0)
    x = T.rand(2)
    T.manual_seed(0)
    g.manual_seed(99)
    T.rand(5, generator=g)                    # another generator leaves the default alone
    assert T.rand(2).tolist() == x.tolist()


# ------------------------------------------------------------------ factories
@pytest.mark.parametrize("T", LIBS)
def test_rand_and_randn(T):
    x = T.rand(4000)
    assert x.dtype is T.float32 and x.shape == (4000,)
    assert 0.0 <= x.min().item() and x.max().item() < 1.0
    assert abs(x.mean().item() - 0.5) < 0.03
    n = T.randn(4000, dtype=T.float64)
    assert n.dtype is T.float64 and abs(n.mean().item()) < 0.1 and abs(n.std().item() - 1) < 0.1
    assert T.rand(2, 3).shape == (2, 3) and T.rand((2, 3)).shape == (2, 3)
    assert T.rand(()).shape == () and T.randn(0).shape == (0,)
    assert T.rand(2, requires_grad=True).requires_grad and T.rand(2, requires_grad=True).is_leaf
    assert T.rand(5000, dtype=T.bfloat16).max().item() < 1.0     # never rounds up to 1
    assert T.rand(2, dtype=T.float16).dtype is T.float16


@pytest.mark.parametrize("T", LIBS)
def test_complex_samples(T):
    z = T.randn(20000, dtype=T.complex64)
    assert z.dtype is T.complex64
    values = np.array(z.tolist())
    assert abs(values.real.var() - 0.5) < 0.05 and abs(values.imag.var() - 0.5) < 0.05
    u = np.array(T.rand(100, dtype=T.complex64).tolist())
    assert 0 <= u.real.min() and u.imag.max() < 1 and u.imag.min() >= 0


def test_rand_errors():
    raises_like(lambda T: T.rand(2, dtype=T.int64), NotImplementedError,
                "\"check_uniform_bounds\" not implemented for 'Long'")
    raises_like(lambda T: T.randn(2, dtype=T.int64), NotImplementedError,
                "\"normal_kernel_cpu\" not implemented for 'Long'")
    raises_like(lambda T: T.rand(2, dtype=T.bool), NotImplementedError, "'Bool'")
    raises_like(lambda T: T.rand(2.5), TypeError,
                r"rand\(\): argument 'size' \(position 1\) must be tuple of ints, not float")
    raises_like(lambda T: T.rand(-1), RuntimeError, "negative dimension -1")
    raises_like(lambda T: T.rand_like(T.ones(2, dtype=T.int64)), NotImplementedError,
                "check_uniform_bounds")


@pytest.mark.parametrize("T", LIBS)
def test_randint(T):
    x = T.randint(5, (1000,))
    assert x.dtype is T.int64 and set(x.tolist()) == {0, 1, 2, 3, 4}
    y = T.randint(-2, 2, (1000,))
    assert set(y.tolist()) == {-2, -1, 0, 1}
    assert T.randint(3, (2, 2), dtype=T.float32).dtype is T.float32
    assert T.randint(low=1, high=3, size=(2,)).shape == (2,)
    assert T.randint(3, size=(2,)).shape == (2,)
    assert T.randint(3, (2,), dtype=T.float32, requires_grad=True).requires_grad
    assert set(T.randint(0, 256, (2000,), dtype=T.uint8).tolist()) <= set(range(256))


def test_randint_errors():
    raises_like(lambda T: T.randint(5, 3, (2,)), RuntimeError,
                "random_ expects 'from' to be less than 'to', but got from=5 >= to=3")
    raises_like(lambda T: T.randint(5), TypeError, "")
    raises_like(lambda T: T.randint(5, 3), TypeError, "")
    raises_like(lambda T: T.randint(3, (2,), requires_grad=True), RuntimeError,
                "Only Tensors of floating point and complex dtype can require gradients")
    raises_like(lambda T: T.randint(0, 300, (3,), dtype=T.uint8), RuntimeError,
                "to - 1 is out of bounds for unsigned char")
    raises_like(lambda T: T.randint(-1, 3, (2,), dtype=T.uint8), RuntimeError,
                "from is out of bounds for unsigned char")


@pytest.mark.parametrize("T", LIBS)
def test_randperm(T):
    p = T.randperm(10)
    assert p.dtype is T.int64 and sorted(p.tolist()) == list(range(10))
    assert T.randperm(0).shape == (0,) and T.randperm(3, dtype=T.float32).dtype is T.float32


def test_randperm_errors():
    raises_like(lambda T: T.randperm(-1), RuntimeError,
                r"Trying to create tensor with negative dimension -1: \[-1\]")
    raises_like(lambda T: T.randperm(2.5), TypeError,
                r"randperm\(\): argument 'n' \(position 1\) must be int, not float")


@pytest.mark.parametrize("T", LIBS)
def test_normal_forms(T):
    assert T.normal(0.0, 1.0, (2, 3)).shape == (2, 3)
    assert T.normal(2.0, 3.0, size=(2,)).dtype is T.float32
    assert T.normal(T.zeros(3), 1.0).shape == (3,)
    assert T.normal(0.0, T.ones(3)).shape == (3,)
    assert T.normal(T.zeros(3, 1), T.ones(1, 4)).shape == (3, 4)
    assert T.normal(T.zeros(2, dtype=T.float64), 1.0).dtype is T.float64
    x = T.normal(T.full((4000,), 5.0), 0.5)
    assert abs(x.mean().item() - 5) < 0.05 and abs(x.std().item() - 0.5) < 0.05
    assert T.normal(T.ones(3), T.zeros(3)).tolist() == [1.0, 1.0, 1.0]   # std 0: the mean


@pytest.mark.parametrize("T", LIBS)
def test_normal_records_a_zero_gradient(T):
    m = T.zeros(3, requires_grad=True)
    s = T.ones(3, requires_grad=True)
    y = T.normal(m, s)
    assert y.requires_grad and y.grad_fn.name() == "NormalBackward3"
    y.sum().backward()
    assert m.grad.tolist() == [0.0] * 3 and s.grad.tolist() == [0.0] * 3
    assert T.normal(m, 2.0).grad_fn.name() == "NormalBackward1"
    assert T.normal(0.0, s).grad_fn.name() == "NormalBackward2"
    assert not T.normal(T.zeros(3), 1.0).requires_grad


def test_normal_errors():
    raises_like(lambda T: T.normal(0.0, -1.0, (2,)), RuntimeError,
                "normal expects std >= 0.0, but found std -1")
    raises_like(lambda T: T.normal(T.zeros(2), -1.0), RuntimeError,
                "normal expects std >= 0.0, but found std -1")
    raises_like(lambda T: T.normal(T.zeros(2), T.tensor([1.0, -1.0])), RuntimeError,
                "normal expects all elements of std >= 0.0")
    raises_like(lambda T: T.normal(T.zeros(2), T.ones(3)), RuntimeError,
                "The size of tensor a \\(2\\) must match the size of tensor b \\(3\\) at "
                "non-singleton dimension 0")
    raises_like(lambda T: T.normal(0.0, 1.0), TypeError, "")


@pytest.mark.parametrize("T", LIBS)
def test_bernoulli(T):
    p = T.full((2000,), 0.3)
    b = T.bernoulli(p)
    assert b.dtype is T.float32 and set(b.tolist()) == {0.0, 1.0}
    assert abs(b.mean().item() - 0.3) < 0.05
    assert T.bernoulli(T.zeros(3)).tolist() == [0.0] * 3
    assert T.bernoulli(T.ones(3)).tolist() == [1.0] * 3
    assert T.bernoulli(T.zeros(3), p=1.0).tolist() == [1.0] * 3
    q = T.full((3,), 0.5, requires_grad=True)
    y = T.bernoulli(q)
    assert y.requires_grad and y.grad_fn.name() == "BernoulliBackward0"
    y.sum().backward()
    assert q.grad.tolist() == [0.0] * 3


def test_bernoulli_errors():
    raises_like(lambda T: T.bernoulli(T.full((3,), 1.5)), RuntimeError,
                "Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    raises_like(lambda T: T.bernoulli(T.ones(3, dtype=T.int64)), NotImplementedError,
                "\"bernoulli_tensor_cpu_p_\" not implemented for 'Long'")
    raises_like(lambda T: T.bernoulli(T.zeros(3), p=2), RuntimeError,
                r"bernoulli_ expects p to be in \[0, 1\], but got p=2")


@pytest.mark.parametrize("T", LIBS)
def test_multinomial(T):
    x = T.multinomial(T.tensor([0.0, 1.0, 0.0]), 1)
    assert x.dtype is T.int64 and x.tolist() == [1]
    y = T.multinomial(T.tensor([0.0, 1.0, 0.0]), 2)          # then a zero-probability one
    assert y[0].item() == 1 and y[1].item() in (0, 2)
    assert T.multinomial(T.tensor([0.0, 1.0, 0.0]), 3, replacement=True).tolist() == [1, 1, 1]
    z = T.multinomial(T.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), 1)
    assert z.shape == (2, 1) and z[1].item() == 2
    w = T.multinomial(T.ones(4), 4)
    assert sorted(w.tolist()) == [0, 1, 2, 3]                 # without replacement: distinct
    counts = np.bincount(T.multinomial(T.tensor([1.0, 3.0]), 4000, True).numpy(), minlength=2)
    assert abs(counts[1] / 4000 - 0.75) < 0.03
    assert T.multinomial(T.ones(0, 3), 2).shape == (0, 2)


def test_multinomial_errors():
    raises_like(lambda T: T.multinomial(T.tensor([1.0, -1.0, 0.0]), 1), RuntimeError,
                "probability tensor contains either `inf`, `nan` or element < 0")
    raises_like(lambda T: T.multinomial(T.zeros(3), 1), RuntimeError,
                "invalid multinomial distribution \\(sum of probabilities <= 0\\)")
    raises_like(lambda T: T.multinomial(T.ones(3), 4), RuntimeError,
                "cannot sample n_sample > prob_dist.size\\(-1\\) samples without replacement")
    raises_like(lambda T: T.multinomial(T.ones(2, 2, 2), 1), RuntimeError,
                "prob_dist must be 1 or 2 dim")
    raises_like(lambda T: T.multinomial(T.ones(3), 0), RuntimeError,
                "cannot sample n_sample <= 0 samples")
    raises_like(lambda T: T.multinomial(T.tensor([1, 2]), 1), RuntimeError,
                "multinomial only supports floating-point dtypes for input, got: Long")


@pytest.mark.parametrize("T", LIBS)
def test_like_forms(T):
    assert T.rand_like(T.ones(2, dtype=T.float64)).dtype is T.float64
    assert T.randn_like(T.ones(2, 3)).shape == (2, 3)
    r = T.randint_like(T.ones(200), 5)
    assert r.dtype is T.float32 and set(r.tolist()) <= {0.0, 1.0, 2.0, 3.0, 4.0}
    assert set(T.randint_like(T.ones(200), 3, 5).tolist()) == {3.0, 4.0}


# ------------------------------------------------------------------ in-place samplers
@pytest.mark.parametrize("T", LIBS)
def test_in_place_samplers_bump_the_version(T):
    x = T.zeros(500)
    calls = [lambda: x.uniform_(), lambda: x.uniform_(2, 3), lambda: x.normal_(),
             lambda: x.normal_(2.0, 0.1), lambda: x.random_(), lambda: x.random_(5),
             lambda: x.random_(2, 5), lambda: x.bernoulli_(), lambda: x.bernoulli_(0.3),
             lambda: x.exponential_(), lambda: x.log_normal_()]
    for i, call in enumerate(calls, 1):
        assert call() is x and x._version == i


@pytest.mark.parametrize("T", LIBS)
def test_in_place_sampler_values(T):
    x = T.zeros(2000)
    x.uniform_(2, 3)
    assert 2 <= x.min().item() and x.max().item() < 3
    x.normal_(5.0, 0.1)
    assert abs(x.mean().item() - 5) < 0.02
    assert set(x.random_(3).tolist()) == {0.0, 1.0, 2.0}
    assert set(x.random_(-2, 1).tolist()) == {-2.0, -1.0, 0.0}
    assert set(x.bernoulli_(0.5).tolist()) == {0.0, 1.0}
    assert set(x.bernoulli_(T.zeros(2000)).tolist()) == {0.0}
    x.exponential_(2.0)
    assert x.min().item() >= 0 and abs(x.mean().item() - 0.5) < 0.05
    assert x.random_().max().item() <= 2 ** 24
    b = T.zeros(1000, dtype=T.bool)
    assert set(b.random_().tolist()) == {False, True}
    i = T.zeros(1000, dtype=T.int64)
    assert set(i.random_(3).tolist()) == {0, 1, 2}
    u = T.zeros(1000, dtype=T.uint8)
    assert u.random_().max().item() > 200


@pytest.mark.parametrize("T", LIBS)
def test_in_place_samplers_and_autograd(T):
    x = T.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used "
                                           "in an in-place operation"):
        x.uniform_()
    with T.no_grad():
        x.normal_()
    assert x.requires_grad and x._version == 1


def test_in_place_sampler_errors():
    raises_like(lambda T: T.zeros(3, dtype=T.int64).uniform_(), NotImplementedError,
                "\"check_uniform_bounds\" not implemented for 'Long'")
    raises_like(lambda T: T.zeros(3, dtype=T.int32).normal_(), NotImplementedError,
                "\"normal_kernel_cpu\" not implemented for 'Int'")
    raises_like(lambda T: T.zeros(3).normal_(0, -1), RuntimeError,
                "normal expects std >= 0.0, but found std -1")
    raises_like(lambda T: T.zeros(3).exponential_(-1), RuntimeError,
                "exponential_ expects lambda > 0.0, but found lambda=-1")
    raises_like(lambda T: T.zeros(3, dtype=T.int32).exponential_(), RuntimeError,
                "Exponential distribution is a continuous probability distribution. dtype must "
                "be a floating point but you specified Int")
    raises_like(lambda T: T.zeros(3).uniform_(3, 2), RuntimeError,
                r"uniform_ expects to return a \[from, to\) range, but found from=3 > to=2")
    raises_like(lambda T: T.zeros(3).bernoulli_(1.5), RuntimeError,
                r"bernoulli_ expects p to be in \[0, 1\], but got p=1.5")
    raises_like(lambda T: T.zeros(3).random_(5, 2), RuntimeError,
                "random_ expects 'from' to be less than 'to', but got from=5 >= to=2")
    raises_like(lambda T: T.zeros(3).random_(0), RuntimeError,
                "random_ expects 'from' to be less than 'to', but got from=0 >= to=0")
    raises_like(lambda T: T.zeros(3, dtype=T.int8).random_(0, 2 ** 40), RuntimeError,
                "to - 1 is out of bounds for signed char")
