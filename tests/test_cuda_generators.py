"""Every GPU has its own default generator, as in PyTorch: GPU draws leave the CPU stream
alone, `cuda.manual_seed` never moves it, and `manual_seed` seeds both (cuda_random.py).

The first tests run without a GPU (PyTorch's CPU-only behaviour: GPU seeding is remembered,
nothing else happens); the `cuda` ones run on a GPU or the fake CuPy (`--fake-gpu`).
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch

cuda = pytest.mark.cuda


def _cpu_numbers_after(seed_calls):
    mt.manual_seed(0)
    seed_calls()
    return mt.rand(4, dtype=mt.float64).numpy()


def test_gpu_seeding_never_moves_the_cpu_stream():
    plain = _cpu_numbers_after(lambda: None)
    for calls in (lambda: mt.cuda.manual_seed(123), lambda: mt.cuda.manual_seed_all(5),
                  lambda: mt.cuda.seed_all(), lambda: mt.cuda.seed()):
        np.testing.assert_array_equal(_cpu_numbers_after(calls), plain)


@requires_torch
def test_cpu_stream_after_gpu_seeding_equals_pytorchs():
    torch.manual_seed(0)
    torch.cuda.manual_seed(123)
    torch.cuda.manual_seed_all(5)
    theirs = torch.rand(4, dtype=torch.float64).numpy()
    np.testing.assert_array_equal(
        _cpu_numbers_after(lambda: (mt.cuda.manual_seed(123), mt.cuda.manual_seed_all(5))),
        theirs)


@pytest.mark.skipif(mt.cuda.is_available(), reason="checks the no-GPU behaviour")
def test_without_a_gpu_states_cannot_be_read():
    mt.cuda.manual_seed(3)   # remembered, no error (PyTorch queues it too)
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        mt.cuda.get_rng_state()
    assert mt.cuda.get_rng_state_all() == []


@cuda
def test_gpu_draws_leave_the_cpu_stream_alone():
    mt.manual_seed(0)
    expected = mt.rand(6, dtype=mt.float64).numpy()
    mt.manual_seed(0)
    mt.rand(3, device="cuda")
    mt.randn(5, device="cuda")
    mt.nn.functional.dropout(mt.ones(64, device="cuda"), 0.5)
    mt.empty(7, device="cuda").normal_()
    mt.nn.init.kaiming_uniform_(mt.empty(3, 4, device="cuda"))
    mt.bernoulli(mt.full((5,), 0.5, device="cuda"))
    mt.randint(0, 9, (4,), device="cuda")
    np.testing.assert_array_equal(mt.rand(6, dtype=mt.float64).numpy(), expected)


@cuda
def test_gpu_draws_repeat_under_either_seed():
    def draw():
        return np.concatenate([mt.rand(5, device="cuda").cpu().numpy(),
                               mt.nn.functional.dropout(mt.ones(32, device="cuda"), 0.3)
                               .cpu().numpy()])
    mt.manual_seed(11)
    first = draw()
    mt.manual_seed(11)
    np.testing.assert_array_equal(draw(), first)
    mt.cuda.manual_seed(11)
    np.testing.assert_array_equal(draw(), first)   # the GPU generator alone decides
    mt.cuda.manual_seed(12)
    assert not np.array_equal(draw(), first)


@cuda
def test_gpu_state_round_trip_and_fork_rng():
    mt.cuda.manual_seed_all(9)
    assert mt.cuda.initial_seed() == 9
    state = mt.cuda.get_rng_state()
    assert state.dtype == mt.uint8 and state.device.type == "cpu"
    a = mt.rand(4, device="cuda").cpu().numpy()
    mt.cuda.set_rng_state(state)
    np.testing.assert_array_equal(mt.rand(4, device="cuda").cpu().numpy(), a)
    states = mt.cuda.get_rng_state_all()
    assert len(states) == mt.cuda.device_count()
    with mt.random.fork_rng():
        mt.rand(10, device="cuda")
    mt.cuda.set_rng_state_all(states)
    after_fork = mt.rand(4, device="cuda").cpu().numpy()
    mt.cuda.set_rng_state_all(states)
    np.testing.assert_array_equal(mt.rand(4, device="cuda").cpu().numpy(), after_fork)


@cuda
def test_fork_rng_restores_the_gpu_generator():
    mt.cuda.manual_seed(4)
    with mt.random.fork_rng():
        mt.rand(10, device="cuda")
    inside = mt.rand(3, device="cuda").cpu().numpy()
    mt.cuda.manual_seed(4)
    np.testing.assert_array_equal(mt.rand(3, device="cuda").cpu().numpy(), inside)


@cuda
def test_generator_must_match_the_draws_device():
    gpu_gen = mt.Generator(device="cuda")
    with pytest.raises(RuntimeError, match="Expected a 'cpu' device type for generator but "
                                           "found 'cuda'"):
        mt.rand(3, generator=gpu_gen)
    with pytest.raises(RuntimeError, match="Expected a 'cuda' device type for generator but "
                                           "found 'cpu'"):
        mt.rand(3, device="cuda", generator=mt.Generator())
    gpu_gen.manual_seed(2)
    a = mt.rand(3, device="cuda", generator=gpu_gen).cpu().numpy()
    gpu_gen.manual_seed(2)
    np.testing.assert_array_equal(mt.rand(3, device="cuda", generator=gpu_gen).cpu().numpy(), a)
