"""The GPUs' random generators through torch.cuda's seeding API: manual_seed, seed,
initial_seed, get_rng_state, set_rng_state and their `_all` forms.

As in PyTorch, every GPU has a default generator of its own, separate from the CPU's (they
live in generator.py, next to the CPU's): a random draw for a GPU tensor (rand(device="cuda"),
dropout on the GPU, normal_ on a GPU parameter) advances that GPU's generator and leaves the
CPU stream untouched, so a seeded script's CPU numbers are PyTorch's whether or not it also
draws on the GPU, and `cuda.manual_seed(s)` never moves the CPU stream.

What differs from PyTorch: its GPU generators are Philox counters (a 16-byte state of seed
and offset) feeding its CUDA kernels; ours run the CPU's mt19937 engine (its 5056-byte
state), so GPU numbers are reproducible here under a seed but are not PyTorch's GPU numbers,
and a GPU state saved by one library does not restore in the other.

Without a GPU these calls do what PyTorch's do: seeding is remembered for GPUs that may
appear (nothing else happens); reading or setting a state raises.
"""
from __future__ import annotations

from .array_backends import cuda as _cuda
from .generator import _nondeterministic_seed, gpu_default_generator, seed_gpu

__all__ = ["manual_seed", "manual_seed_all", "seed", "seed_all", "initial_seed",
           "get_rng_state", "get_rng_state_all", "set_rng_state", "set_rng_state_all"]


def manual_seed(seed) -> None:
    """Seed the current GPU's generator (remembered until it exists, as PyTorch)."""
    seed_gpu(int(seed))


def manual_seed_all(seed) -> None:
    """Seed every GPU's generator."""
    seed_gpu(int(seed), every=True)


def seed() -> None:
    """Seed the current GPU's generator from the operating system's entropy."""
    seed_gpu(_nondeterministic_seed())


def seed_all() -> None:
    """Seed every GPU's generator with one seed from the operating system's entropy."""
    seed_gpu(_nondeterministic_seed(), every=True)


def initial_seed() -> int:
    """The seed of the current GPU's generator."""
    return gpu_default_generator().initial_seed()


def get_rng_state(device="cuda"):
    """The state of a GPU's generator, as a uint8 tensor (on the CPU, as PyTorch)."""
    return gpu_default_generator(device).get_state()


def set_rng_state(new_state, device="cuda") -> None:
    """Restore a state from `get_rng_state()`."""
    gpu_default_generator(device).set_state(new_state)


def get_rng_state_all() -> list:
    """Every GPU's state, in device order."""
    return [get_rng_state(i) for i in range(_cuda.device_count())]


def set_rng_state_all(new_states) -> None:
    """Restore every GPU's state from `get_rng_state_all()`."""
    for index, state in enumerate(new_states):
        set_rng_state(state, index)
