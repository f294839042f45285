"""The GPUs' own random generators (torch.cuda's seeding API: manual_seed, seed,
initial_seed, get_rng_state, ... and their `_all` forms).

As in PyTorch, every GPU has a default generator of its own, separate from the CPU's: a
random draw for a GPU tensor (rand(device="cuda"), dropout on the GPU, normal_ on a GPU
parameter) advances that GPU's generator and leaves the CPU stream untouched, so a seeded
script's CPU numbers are PyTorch's whether or not it also draws on the GPU, and
`cuda.manual_seed(s)` never moves the CPU stream.

What differs from PyTorch: its GPU generators are Philox counters (a 16-byte state of seed
and offset) feeding its CUDA kernels; ours are the same mt19937 engine as the CPU's (its
5056-byte state), so GPU numbers are reproducible here under a seed but are not PyTorch's
GPU numbers, and a GPU state saved by one library does not restore in the other.

Without a GPU these calls do what PyTorch's do: seeding is remembered for GPUs that may
appear (nothing else happens), reading or setting a state raises.
"""
from __future__ import annotations

from .array_backends import cuda as _cuda
from .device import device as _parse_device

__all__ = ["default_generator_for", "manual_seed", "manual_seed_all", "seed", "seed_all",
           "initial_seed", "get_rng_state", "get_rng_state_all", "set_rng_state",
           "set_rng_state_all"]

# PyTorch's default_rng_seed_val: the seed of a GPU generator nobody seeded.
_DEFAULT_SEED = 67280421310721

_generators: dict = {}      # device index -> Generator
_pending: dict = {}         # device index (or "all") -> seed, for generators not made yet


def _index(device) -> int:
    """The GPU index of `device` (an int, "cuda", "cuda:1", a torch.device; None: current)."""
    if device is None:
        return _cuda.get_backend()._cupy.cuda.Device().id if _cuda.is_available() else 0
    if isinstance(device, int):
        return device
    dev = _parse_device(device)
    if dev.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {dev}")
    if dev.index is not None:
        return dev.index
    return _index(None)


def default_generator_for(device) -> "Generator":
    """The default generator of GPU `device`, made (and seeded) on first use."""
    from .random import Generator
    index = _index(device)
    gen = _generators.get(index)
    if gen is None:
        _cuda.get_backend()   # no GPU: PyTorch's error, before any generator exists
        gen = _generators[index] = Generator(device=f"cuda:{index}")
        gen.manual_seed(_pending.get(index, _pending.get("all", _DEFAULT_SEED)))
    return gen


def manual_seed(seed) -> None:
    """Seed the current GPU's generator (remembered until it exists, as PyTorch)."""
    seed = int(seed)
    index = _index(None)
    if index in _generators:
        _generators[index].manual_seed(seed)
    else:
        _pending[index] = seed


def manual_seed_all(seed) -> None:
    """Seed every GPU's generator."""
    seed = int(seed)
    _pending.clear()
    _pending["all"] = seed
    for gen in _generators.values():
        gen.manual_seed(seed)


def seed() -> None:
    """Seed the current GPU's generator from the operating system's entropy."""
    from .random import _nondeterministic_seed
    manual_seed(_nondeterministic_seed())


def seed_all() -> None:
    """Seed every GPU's generator with one seed from the operating system's entropy."""
    from .random import _nondeterministic_seed
    manual_seed_all(_nondeterministic_seed())


def initial_seed() -> int:
    """The seed of the current GPU's generator."""
    return default_generator_for(None).initial_seed()


def get_rng_state(device="cuda"):
    """The state of a GPU's generator, as a uint8 tensor (on the CPU, as PyTorch)."""
    return default_generator_for(device).get_state()


def set_rng_state(new_state, device="cuda") -> None:
    """Restore a state from `get_rng_state()`."""
    default_generator_for(device).set_state(new_state)


def get_rng_state_all() -> list:
    """Every GPU's state, in device order."""
    return [get_rng_state(i) for i in range(_cuda.device_count())]


def set_rng_state_all(new_states) -> None:
    """Restore every GPU's state from `get_rng_state_all()`."""
    for index, state in enumerate(new_states):
        set_rng_state(state, index)
