"""`cupy.random` of the fake: its own generator (not numpy's global one), device results."""
from __future__ import annotations

import numpy as np

from ._core import check_dtype, unwrap, wrap

__all__ = ["RandomState", "get_random_state", "seed", "rand", "randn", "random",
           "random_sample", "uniform", "normal", "standard_normal", "randint", "permutation",
           "shuffle", "choice", "default_rng"]


class RandomState:
    """A subset of cupy.random.RandomState over a numpy Generator."""

    def __init__(self, seed=None):
        self.seed(seed)

    def seed(self, seed=None) -> None:
        self._rng = np.random.Generator(np.random.Philox(seed))

    def _floats(self, values, dtype):
        dtype = np.dtype(float if dtype is None else dtype)
        if dtype.char not in "fd":
            raise TypeError(f"cupy.random only supports float32 and float64, got {dtype}")
        return wrap(values.astype(dtype, copy=False))

    def rand(self, *size, dtype=float):
        return self._floats(self._rng.random(size), dtype)

    def randn(self, *size, dtype=float):
        return self._floats(self._rng.standard_normal(size), dtype)

    def random_sample(self, size=None, dtype=float):
        return self._floats(np.asarray(self._rng.random(size)), dtype)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=float):
        values = self._rng.uniform(unwrap(low), unwrap(high), size)
        return self._floats(np.asarray(values), dtype)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=float):
        values = self._rng.normal(unwrap(loc), unwrap(scale), size)
        return self._floats(np.asarray(values), dtype)

    def standard_normal(self, size=None, dtype=float):
        return self._floats(np.asarray(self._rng.standard_normal(size)), dtype)

    def randint(self, low, high=None, size=None, dtype=int):
        check_dtype(dtype)
        return wrap(np.asarray(self._rng.integers(low, high, size, dtype=dtype)))

    def permutation(self, a):
        return wrap(self._rng.permutation(unwrap(a)))

    def shuffle(self, a) -> None:
        self._rng.shuffle(unwrap(a))

    def choice(self, a, size=None, replace=True, p=None):
        return wrap(np.asarray(self._rng.choice(unwrap(a), size, replace, unwrap(p))))


_STATE = RandomState()


def get_random_state() -> RandomState:
    return _STATE


def seed(seed=None) -> None:
    _STATE.seed(seed)


def _bound(name, method=None):
    """Module-level `name`, calling the global RandomState's `method` (default: `name`)."""
    def fn(*args, **kwargs):
        return getattr(_STATE, method or name)(*args, **kwargs)
    fn.__name__ = name
    return fn


rand, randn, random_sample = (_bound(n) for n in ("rand", "randn", "random_sample"))
random = _bound("random", "random_sample")   # CuPy's RandomState has no `random` method
uniform, normal, standard_normal = (_bound(n) for n in ("uniform", "normal",
                                                       "standard_normal"))
randint, permutation, shuffle, choice = (_bound(n) for n in ("randint", "permutation",
                                                            "shuffle", "choice"))


class Generator:
    """cupy.random.Generator (default_rng): random, standard_normal, uniform, integers
    (CuPy's Generator has no normal nor permutation)."""

    def __init__(self, seed=None):
        self._state = RandomState(seed)

    def random(self, size=None, dtype=np.float64):
        return self._state.random_sample(size, dtype)

    def standard_normal(self, size=None, dtype=np.float64):
        return self._state.standard_normal(size, dtype)

    def uniform(self, low=0.0, high=1.0, size=None):
        return self._state.uniform(low, high, size)

    def integers(self, low, high=None, size=None, dtype=np.int64):
        return self._state.randint(low, high, size, dtype)


def default_rng(seed=None) -> Generator:
    return Generator(seed)
