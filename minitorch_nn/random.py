"""Random numbers: a seeded default generator, random factories and in-place samplers.

The default generator wraps numpy's PCG64, so `manual_seed(0)` makes a run reproducible.
The numbers differ from PyTorch's (a different algorithm); the distributions are the same.
GPU tensors draw on the host generator and are then moved, so a seed gives the same numbers on
every device.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import dtypes as _dt
from .backends import backend_for_device, backend_of
from .device import to_device
from .tensor import Tensor, _wrap

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "rand", "randn", "randint", "randperm", "normal",
           "rand_like", "randn_like", "randint_like", "bernoulli", "multinomial"]


class Generator:
    """A source of random numbers with its own seed and state (like torch.Generator)."""

    def __init__(self, device="cpu"):
        self.device = to_device(device)
        self._seed = 67280421310721   # PyTorch's default seed
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> "Generator":
        if not isinstance(seed, numbers.Integral):
            raise TypeError(f"manual_seed expected an int, got {type(seed).__name__}")
        self._seed = int(seed) & 0xFFFF_FFFF_FFFF_FFFF
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        new = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(new)
        return new

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        state = repr(self._rng.bit_generator.state).encode()
        return _wrap(np.frombuffer(state, dtype=np.uint8).copy())

    def set_state(self, state: Tensor) -> "Generator":
        import ast
        self._rng.bit_generator.state = ast.literal_eval(bytes(state._data).decode())
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and CUDA's, which is the same one here)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    default_generator.set_state(new_state)


def _rng(generator):
    return (generator or default_generator)._rng


def _shape(size):
    from .creation import _shape as shape_of
    return shape_of(size)


def _place(host: np.ndarray, dtype, device, requires_grad) -> Tensor:
    dev = to_device(device)
    t = _wrap(backend_for_device(dev).from_host(host.astype(dtype.np, copy=False), dev))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float(dtype):
    d = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    if d.kind < 2:
        raise RuntimeError(f"\"check_uniform_bounds\" not implemented for '{d.name}'")
    return d


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False) -> Tensor:
    """Uniform samples in [0, 1)."""
    d = _float(dtype)
    return _place(_rng(generator).random(_shape(size)), d, device, requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False) -> Tensor:
    """Standard normal samples."""
    d = _float(dtype)
    return _place(_rng(generator).standard_normal(_shape(size)), d, device, requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False) -> Tensor:
    """Integers in [low, high): `randint(high, size)` or `randint(low, high, size)`."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing 1 required positional argument: 'size'")
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("randint() missing 1 required positional argument: 'high'")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    d = _dt.int64 if dtype is None else _dt.to_dtype(dtype)
    host = _rng(generator).integers(low, high, size=_shape((size,)))
    return _place(host, d, device, requires_grad)


def randperm(n: int, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    """A random permutation of 0..n-1."""
    if not isinstance(n, numbers.Integral) or n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    d = _dt.int64 if dtype is None else _dt.to_dtype(dtype)
    return _place(_rng(generator).permutation(int(n)), d, device, requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None,
           layout=None, device=None, requires_grad=False) -> Tensor:
    """Normal samples; `mean` and `std` may be tensors (broadcast) or numbers with `size`."""
    rng = _rng(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        ref = mean if isinstance(mean, Tensor) else std
        xp = backend_of(ref._data).xp
        if isinstance(std, Tensor) and bool((std._data < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        host = rng.standard_normal(shape)
        noise = backend_of(ref._data).from_host(host.astype(ref._data.dtype), ref.device)
        return _wrap(xp.asarray(m + s * noise).astype(ref._data.dtype))
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if size is None:
        raise TypeError("normal() missing 1 required argument: 'size'")
    d = _float(dtype)
    host = rng.normal(mean, std, _shape((size,)))
    return _place(host, d, device, requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return rand(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return randn(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                   device=device or input.device)


def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """1 with probability `input` (or `p`), else 0, in input's dtype."""
    probs = input._host_array() if p is None else np.full(input.shape, p)
    if np.any((probs < 0) | (probs > 1)):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    host = _rng(generator).random(input.shape) < probs
    return _place(host, input.dtype, input.device, False)


def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """Indices drawn with probabilities proportional to the rows of `input` (1-D or 2-D)."""
    probs = input._host_array().astype(np.float64)
    rows = probs.reshape(-1, probs.shape[-1])
    if np.any(rows < 0) or np.any(rows.sum(1) <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    rng = _rng(generator)
    out = np.stack([rng.choice(rows.shape[1], num_samples, replace=replacement,
                               p=r / r.sum()) for r in rows])
    out = out.reshape(probs.shape[:-1] + (num_samples,))
    return _place(out, _dt.int64, input.device, False)


# ------------------------------------------------------------------ in-place samplers
def _write_random(self, host: np.ndarray) -> Tensor:
    from .ops.inplace import bump, check_inplace
    check_inplace(self)
    backend = backend_of(self._data)
    self._data[...] = backend.from_host(host.astype(self._data.dtype), self.device)
    bump(self)
    return self


def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kwargs):
    from_ = kwargs.pop("from", from_)
    return _write_random(self, _rng(generator).uniform(from_, to, self.shape))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    return _write_random(self, _rng(generator).normal(mean, std, self.shape))


def random_(self, from_=0, to=None, *, generator=None):
    if to is None:
        from_, to = 0, (from_ if from_ else 2 ** 24)
    return _write_random(self, _rng(generator).integers(from_, to, self.shape))


def bernoulli_(self, p=0.5, *, generator=None):
    probs = p._host_array() if isinstance(p, Tensor) else p
    return _write_random(self, _rng(generator).random(self.shape) < probs)


def exponential_(self, lambd=1.0, *, generator=None):
    return _write_random(self, _rng(generator).exponential(1.0 / lambd, self.shape))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    return _write_random(self, _rng(generator).lognormal(mean, std, self.shape))


METHODS = {"uniform_": uniform_, "normal_": normal_, "random_": random_,
           "bernoulli_": bernoulli_, "exponential_": exponential_, "log_normal_": log_normal_,
           "bernoulli": bernoulli, "multinomial": multinomial}
