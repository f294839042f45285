"""The generators: PyTorch's CPU generator (mt19937, bit for bit) and the GPUs' own.

`Generator` reproduces PyTorch's CPUGeneratorImpl: the mt19937 engine seeded as PyTorch
seeds it, the cached second Box-Muller normal, and the state tensor layout (5056 bytes,
CPUGeneratorImplState), so `manual_seed(s)` gives the numbers `torch.manual_seed(s)` gives
and a state saved by either library restores in the other. The samplers that turn its raw
draws into rand, randn, bernoulli, ... are in random.py (transformations) and
kernels/cpu/random.py (the engine's Numba kernels).

`default_generator` is the CPU's; every GPU has a default generator of its own, made on first
use (`gpu_default_generator`), as in PyTorch, so GPU draws never move the CPU stream.
cuda_random.py is torch.cuda's seeding API over them.
"""
from __future__ import annotations

import numbers
import os

import numpy as np

from .array_backends import cuda as _cuda
from .device import to_device
from .tensor import Tensor, _wrap

__all__ = ["Generator", "default_generator", "gpu_default_generator", "seed_gpu"]

_DEFAULT_SEED = 67280421310721   # PyTorch's default_rng_seed_val (new Generators)
_N = 624
_STATE_SIZE = 5056               # sizeof(CPUGeneratorImplState)
_LEGACY_SIZE = 5048              # sizeof(CPUGeneratorImplStateLegacy)
_U64 = (1 << 64) - 1
_K = None


def _kernels():
    """kernels/cpu/random.py, imported on the first draw (so importing minitorch_nn does not
    import Numba)."""
    global _K
    if _K is None:
        from .kernels.cpu import random as k
        _K = k
    return _K


def _init_genrand(seed: int) -> np.ndarray:
    """at::mt19937's init_with_uint32: the state words from the low 32 bits of `seed`."""
    mt = np.empty(_N, np.uint32)
    s = seed & 0xFFFFFFFF
    mt[0] = s
    for j in range(1, _N):
        s = (1812433253 * (s ^ (s >> 30)) + j) & 0xFFFFFFFF
        mt[j] = s
    return mt


def _nondeterministic_seed() -> int:
    return int.from_bytes(os.urandom(8), "little")


class Generator:
    """A source of random numbers with its own seed and state (like torch.Generator):
    PyTorch's CPU generator (mt19937), so the same seed gives the same numbers."""

    def __init__(self, device="cpu"):
        self.device = to_device(device)
        self._mt = np.empty(_N, np.uint32)
        self._ctl = np.zeros(2, np.int64)      # [left_, next_]
        self._normal = np.zeros(2)             # [valid, next_double_normal_sample]
        self._float_normal = None              # next_float_normal_sample (state only)
        self._set_seed(_DEFAULT_SEED)

    def _set_seed(self, seed: int) -> None:
        self._seed = seed
        self._mt[:] = _init_genrand(seed)
        self._ctl[:] = (1, 0)
        self._normal[:] = 0.0
        self._float_normal = None

    def manual_seed(self, seed) -> "Generator":
        """Restart the sequence from `seed` (an int in [-2**63, 2**64), as PyTorch)."""
        if isinstance(seed, float) or not isinstance(seed, numbers.Integral):
            if isinstance(seed, Tensor):
                seed = int(seed.item())
            else:
                raise RuntimeError(f"manual_seed expected a long, but got "
                                   f"{type(seed).__name__}")
        seed = int(seed)
        if not -(1 << 63) <= seed <= _U64:
            raise ValueError("Overflow when unpacking long long")
        self._set_seed(seed & _U64)
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy; returns the seed."""
        new = _nondeterministic_seed()
        self._set_seed(new)
        return new

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        """PyTorch's CPUGeneratorImplState as a uint8 tensor of 5056 bytes."""
        buf = bytearray(_STATE_SIZE)
        mv = memoryview(buf)
        np.frombuffer(mv[0:8], np.uint64)[0] = self._seed
        np.frombuffer(mv[8:16], np.int32)[:] = (self._ctl[0], 1)     # left_, seeded_
        np.frombuffer(mv[16:24], np.uint64)[0] = self._ctl[1]         # next_
        np.frombuffer(mv[24:24 + 8 * _N], np.uint64)[:] = self._mt
        if self._normal[0]:
            np.frombuffer(mv[5024:5032], np.float64)[0] = self._normal[1]   # normal_y
            np.frombuffer(mv[5040:5044], np.int32)[0] = 1                  # normal_is_valid
        if self._float_normal is not None:
            np.frombuffer(mv[5048:5052], np.float32)[0] = self._float_normal
            buf[5052] = 1
        return _wrap(np.frombuffer(bytes(buf), np.uint8).copy())

    def set_state(self, new_state) -> "Generator":
        """Restore a state from get_state() here or in PyTorch (also the legacy 5048-byte
        layout), with PyTorch's checks."""
        arr = new_state._host_array() if isinstance(new_state, Tensor) else None
        if arr is None or arr.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        raw = np.ascontiguousarray(arr).reshape(-1).tobytes()
        if len(raw) not in (_STATE_SIZE, _LEGACY_SIZE):
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_SIZE} "
                               f"but found the input RNG state size to be {len(raw)}")
        seed = int(np.frombuffer(raw[0:8], np.uint64)[0])
        left, seeded = (int(v) for v in np.frombuffer(raw[8:16], np.int32))
        nxt = int(np.frombuffer(raw[16:24], np.uint64)[0]) & 0xFFFFFFFF
        if not (seeded and 0 < left <= _N and nxt <= _N):
            raise RuntimeError("Invalid mt19937 state")
        words = np.frombuffer(raw[24:24 + 8 * _N], np.uint64).astype(np.uint32)
        normal_valid = int(np.frombuffer(raw[5040:5044], np.int32)[0])
        if normal_valid and len(raw) == _LEGACY_SIZE:
            # the legacy layout keeps Box-Muller's (x, rho): the cached sample is rho sin(2 pi x)
            x, rho = np.frombuffer(raw[5016:5024], np.float64)[0], \
                np.frombuffer(raw[5032:5040], np.float64)[0]
            cached = float(rho * np.sin(2.0 * np.pi * x))
        else:
            cached = float(np.frombuffer(raw[5024:5032], np.float64)[0])
        float_normal = None
        if len(raw) == _STATE_SIZE and raw[5052]:
            float_normal = float(np.frombuffer(raw[5048:5052], np.float32)[0])
        self._seed = seed
        self._mt[:] = words
        self._ctl[:] = (left, nxt)
        self._normal[:] = (1.0, cached) if normal_valid else (0.0, 0.0)
        self._float_normal = float_normal
        return self

    # ------------------------------------------------------------------ raw draws
    def _random(self, n: int) -> np.ndarray:
        """n draws of CPUGeneratorImpl::random() (uint32)."""
        out = np.empty(n, np.uint32)
        _kernels().fill_u32(self._mt, self._ctl, out)
        return out

    def _random64(self, n: int) -> np.ndarray:
        """n draws of CPUGeneratorImpl::random64() (uint64)."""
        out = np.empty(n, np.uint64)
        _kernels().fill_u64(self._mt, self._ctl, out)
        return out

    @property
    def _rng(self) -> "_StreamRNG":
        """A numpy-Generator-like view (random, integers) drawing from this stream, for
        callers written against numpy's API."""
        return _StreamRNG(self)

    def __repr__(self) -> str:
        return f"<minitorch_nn.Generator object at {hex(id(self))}>"


class _StreamRNG:
    """The part of numpy.random.Generator's API older callers use, on the mt19937 stream:
    random() are float64 uniforms as torch.rand(dtype=float64) draws them."""

    def __init__(self, gen: Generator):
        self._gen = gen

    def random(self, size=None):
        shape = () if size is None else (tuple(size) if isinstance(size, (tuple, list))
                                         else (int(size),))
        out = np.empty(int(np.prod(shape, dtype=np.int64)), np.float64)
        _kernels().uniform_f64(self._gen._mt, self._gen._ctl, out, 0.0, 1.0)
        return out.reshape(shape) if size is not None else float(out[0])

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        if high is None:
            low, high = 0, low
        high = int(high) + (1 if endpoint else 0)
        shape = () if size is None else (tuple(size) if isinstance(size, (tuple, list))
                                         else (int(size),))
        n = int(np.prod(shape, dtype=np.int64))
        rng = high - int(low)
        out = np.empty(n, np.int64)
        _kernels().random_from_to(self._gen._mt, self._gen._ctl, out, np.uint64(rng),
                                  np.int64(low), rng >= 1 << 32)
        out = out.astype(dtype, copy=False)
        return out.reshape(shape) if size is not None else out[0]


default_generator = Generator()
default_generator._set_seed(_nondeterministic_seed())   # PyTorch seeds it from the OS


# ------------------------------------------------------------------ the GPUs' generators
# Every GPU has a default generator of its own, as in PyTorch (cuda_random.py is torch.cuda's
# seeding API over them): made on first use, seeded then with the last seed given for it.
_GPU_DEFAULT_SEED = 67280421310721   # PyTorch's default_rng_seed_val
_gpu_generators: dict = {}           # device index -> Generator
_gpu_seeds: dict = {}                # device index (or "all") -> seed, for ones not made yet


def _gpu_index(device) -> int:
    """The GPU index of `device` (an int, "cuda", "cuda:1", a device; None: the current)."""
    if isinstance(device, int):
        return device
    if device is not None:
        dev = to_device(device)
        if dev.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {dev}")
        if dev.index is not None:
            return dev.index
    return _cuda.get_backend()._cupy.cuda.Device().id if _cuda.is_available() else 0


def gpu_default_generator(device=None) -> Generator:
    """The default generator of GPU `device`, made (and seeded) on first use."""
    index = _gpu_index(device)
    gen = _gpu_generators.get(index)
    if gen is None:
        _cuda.get_backend()   # no GPU: PyTorch's error, before any generator exists
        gen = _gpu_generators[index] = Generator(device=f"cuda:{index}")
        gen.manual_seed(_gpu_seeds.get(index, _gpu_seeds.get("all", _GPU_DEFAULT_SEED)))
    return gen


def seed_gpu(seed: int, device=None, every=False) -> None:
    """Seed one GPU's generator (the current one by default) or, `every`, all of them;
    remembered for generators not made yet."""
    if every:
        _gpu_seeds.clear()
        _gpu_seeds["all"] = seed
        for gen in _gpu_generators.values():
            gen.manual_seed(seed)
        return
    index = _gpu_index(device)
    if index in _gpu_generators:
        _gpu_generators[index].manual_seed(seed)
    else:
        _gpu_seeds[index] = seed
