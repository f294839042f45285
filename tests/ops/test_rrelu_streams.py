"""Training-mode RReLU draws its noise as PyTorch's CPU kernel does (issue 13): under the same
seed, F.rrelu / F.rrelu_ / torch.rrelu / nn.RReLU give PyTorch's outputs and gradients bit for
bit, and leave the generator where PyTorch leaves it (the next rand is PyTorch's)."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

torch = pytest.importorskip("torch")


def _input(dtype: str, shape, seed: int, transpose: bool):
    """The same values in both libraries (drawn by torch), with -0.0 (which draws a slope)
    and NaN (which does not) planted; a transposed view when `transpose`."""
    g = torch.Generator().manual_seed(1000 + seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    x.view(-1)[0] = -0.0
    x.view(-1)[-1] = float("nan")
    tx = x.to(getattr(torch, dtype))
    mx = mt.tensor(x.numpy()).to(getattr(mt, dtype))
    return (tx.T, mx.T) if transpose else (tx, mx)


def _numpy(t):
    return t.detach().float().numpy() if t.dtype.is_floating_point and t.element_size() == 2 \
        else t.detach().numpy()


def _assert_same(a, b):
    np.testing.assert_array_equal(_numpy(a), _numpy(b))


def _next_draws_equal():
    """The generators' next numbers (53-bit uniforms) are the same: same state after."""
    return torch.rand(4, dtype=torch.float64).tolist() == mt.rand(4, dtype=mt.float64).tolist()


CALLS = [
    ("F.rrelu", lambda T, x, lo, hi: T.nn.functional.rrelu(x, lo, hi, training=True)),
    ("torch.rrelu", lambda T, x, lo, hi: T.rrelu(x, lo, hi, training=True)),
    ("nn.RReLU", lambda T, x, lo, hi: T.nn.RReLU(lo, hi).train()(x)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32", "bfloat16"])
@pytest.mark.parametrize("name,call", CALLS, ids=[c[0] for c in CALLS])
def test_rrelu_training_equals_pytorch(dtype, name, call):
    for seed, shape, transpose, (lo, hi) in [(0, (5, 7), False, (1 / 8, 1 / 3)),
                                             (1, (6, 4), True, (0.1, 0.7)),
                                             (2, (3, 4, 5), False, (0.25, 0.25)),
                                             (3, (40,), False, (0.0, 1.0))]:
        tx, mx = _input(dtype, shape, seed, transpose)
        tx.requires_grad_()
        mx.requires_grad_()
        torch.manual_seed(seed)
        mt.manual_seed(seed)
        ty, my = call(torch, tx, lo, hi), call(mt, mx, lo, hi)
        _assert_same(ty, my)
        assert _next_draws_equal()
        grad = torch.randn(ty.shape, dtype=torch.float64)
        ty.backward(grad.to(ty.dtype))
        my.backward(mt.tensor(grad.numpy()).to(my.dtype))
        _assert_same(tx.grad, mx.grad)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_rrelu_inplace_forms_equal_pytorch(dtype):
    calls = [lambda T, x: T.nn.functional.rrelu_(x, training=True),
             lambda T, x: T.nn.functional.rrelu(x, training=True, inplace=True),
             lambda T, x: T.rrelu_(x, 0.2, 0.5, training=True),
             lambda T, x: T.nn.RReLU(inplace=True).train()(x)]
    for seed, call in enumerate(calls):
        tx, mx = _input(dtype, (4, 6), seed, transpose=False)
        torch.manual_seed(seed)
        mt.manual_seed(seed)
        ty, my = call(torch, tx), call(mt, mx)
        assert my is mx
        _assert_same(ty, my)
        assert _next_draws_equal()


def test_rrelu_with_a_generator_draws_from_it_only():
    tx, mx = _input("float64", (3, 8), 4, transpose=False)
    tg, mg = torch.Generator().manual_seed(11), mt.Generator().manual_seed(11)
    torch.manual_seed(5)
    mt.manual_seed(5)
    _assert_same(torch.rrelu(tx, training=True, generator=tg),
                 mt.rrelu(mx, training=True, generator=mg))
    assert tg.get_state().tolist() == mg.get_state().tolist()
    assert _next_draws_equal()   # the default generator did not move in either


@pytest.mark.parametrize("value", [-1.5, 2.0, None])
def test_rrelu_scalar_and_empty_inputs_equal_pytorch(value):
    tx = torch.empty(0, 3, dtype=torch.float64) if value is None \
        else torch.tensor(value, dtype=torch.float64)
    torch.manual_seed(6)
    mt.manual_seed(6)
    ty = torch.nn.functional.rrelu(tx, training=True)
    my = mt.nn.functional.rrelu(mt.tensor(tx.numpy()), training=True)
    assert tuple(my.shape) == tuple(ty.shape)
    _assert_same(ty, my)
    assert _next_draws_equal()


def test_rrelu_eval_and_positive_inputs_draw_nothing():
    values = [1.0, 2.0, float("nan")]
    mt.manual_seed(0)
    torch.manual_seed(0)
    for T in (torch, mt):
        T.nn.functional.rrelu(T.tensor(values), training=True)
        T.nn.functional.rrelu(-T.tensor(values), training=False)
    assert _next_draws_equal()


@pytest.mark.cuda
def test_rrelu_on_the_gpu_draws_from_the_gpu_generator():
    """A GPU tensor draws from its GPU's generator (the same engine, seeded by manual_seed),
    leaving the CPU stream where it was."""
    x = mt.linspace(-2, 1, 30).reshape(5, 6).T
    mt.manual_seed(2)
    cpu = mt.nn.functional.rrelu(x, training=True)
    mt.manual_seed(2)
    gpu = mt.nn.functional.rrelu(x.cuda(), training=True)
    assert gpu.device.type == "cuda"
    np.testing.assert_array_equal(gpu.cpu().numpy(), cpu.numpy())
    torch.manual_seed(2)
    assert _next_draws_equal()
    with pytest.raises(RuntimeError, match="Expected a 'cuda' device type for generator"):
        mt.rrelu(x.cuda(), training=True, generator=mt.Generator())
