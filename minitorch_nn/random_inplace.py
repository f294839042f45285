"""The in-place samplers (Tensor.uniform_, normal_, random_, bernoulli_, exponential_,
geometric_, cauchy_, log_normal_): they fill a tensor in PyTorch's element order with the
draws of random.py (the mt19937 stream and PyTorch's transformations on it).
"""
from __future__ import annotations

import numpy as np

from .array_backends import backend_of
from .ops.registry import method_of, op
from .random import (Generator, _DIGITS, _bernoulli_scalar, _bernoulli_tensor, _c_number,
                     _check_p, _check_std, _exponential, _float, _from_to, _gen, _int_bounds,
                     _kernels, _legacy, _normal, _round_to, _uniform, _update_from, _update_to)
from .tensor import Tensor


def _order(arr):
    """`arr` with its axes ordered as PyTorch's TensorIterator walks memory (largest stride
    first), so filling it in C order follows PyTorch's element order."""
    if arr.ndim < 2 or arr.flags.c_contiguous:
        return arr
    strides = [abs(s) if n > 1 else 0 for s, n in zip(arr.strides, arr.shape)]
    perm = sorted(range(arr.ndim), key=lambda i: -strides[i])
    return arr.transpose(perm)


def _write_random(self, draw) -> Tensor:
    """Fill `self` in place with `draw(n, contiguous)` (a flat host array), in PyTorch's
    element order."""
    from .ops.inplace import bump, check_inplace
    check_inplace(self)
    data = self._data
    contiguous = bool(data.flags.c_contiguous)
    target = _order(data)
    host = np.asarray(draw(data.size, contiguous)).reshape(target.shape)
    backend = backend_of(data)
    target[...] = backend.from_host(host.astype(data.dtype, copy=False), self.device)
    bump(self)
    return self


@op("uniform_", namespace="Tensor", methods=("uniform_",))
def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kwargs):
    """Fill with uniform samples in [from, to) (`from` is a keyword PyTorch accepts)."""
    from_ = kwargs.pop("from", from_)
    d = _float(self.dtype)
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_c_number(from_)} > to={_c_number(to)}")
    g = _gen(generator, self.device)
    return _write_random(self, lambda n, c: _uniform(g, n, d, from_, to))


@method_of("normal", "normal_")
def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with normal samples of mean `mean` and standard deviation `std`."""
    d = _float(self.dtype, "normal_kernel_cpu")
    _check_std(std)
    g = _gen(generator, self.device)
    return _write_random(self, lambda n, c: _normal(g, n, d, mean, std, c))


def _random_max(d) -> int:
    """random_()'s inclusive upper bound: every integer up to it is exact in dtype `d`."""
    if d.kind == 0:
        return 1
    if d.kind == 1:
        return int(np.iinfo(d.np).max)
    return 2 ** _DIGITS[d.name]


def _random_plain(g: Generator, n: int, d) -> np.ndarray:
    """random_() without bounds (uniform_int_distribution): random64() % 2**63 (int64),
    % (2**53 + 1) (double); random() % (max + 1) for other integers, % (2**digits + 1) for
    float / half / bfloat16, & 1 for bool."""
    wide = d.name in ("int64", "float64")
    mod = 2 if d.kind == 0 else (_random_max(d) + 1 if d.kind == 1 else
                                 2 ** _DIGITS[d.name] + 1)
    out = np.empty(n, np.uint64)
    _kernels().random_mod(g._mt, g._ctl, out, np.uint64(mod if mod < 1 << 64 else 0), wide)
    return _round_to(out.astype(np.int64), d) if d.kind >= 2 else out.astype(d.np)


@op("random_", namespace="Tensor", methods=("random_",))
def random_(self, *args, generator=None, **kwargs):
    """random_() over the dtype's exact integers, random_(to) in [0, to), random_(from, to).

    `from` and `to` may also be keywords; random_(from=f) goes up to the dtype's maximum.
    """
    if len(args) > 2:
        raise TypeError(f"random_() takes at most 2 positional arguments ({len(args)} given)")
    plain = not args and "from" not in kwargs and "to" not in kwargs
    from_, to = (0, args[0]) if len(args) == 1 else (args + (0, None))[:2]
    from_, to = kwargs.pop("from", from_), kwargs.pop("to", to)
    if kwargs:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kwargs))}'")
    g = _gen(generator, self.device)
    d = self.dtype
    if plain:
        return _write_random(self, lambda n, c: _random_plain(g, n, d))
    from_ = int(from_)
    if to is None:
        if from_ == -(1 << 63) and d.kind == 1:   # the full 64-bit range: random64 as int64
            return _write_random(self, lambda n, c: g._random64(n).view(np.int64).astype(d.np))
        to_inc = _random_max(d)
        if d.kind >= 2:
            from_ = _update_from(from_, d)
        _int_bounds(from_, to_inc + 1, d)
        rng = to_inc - from_ + 1
    else:
        _int_bounds(from_, int(to), d)
        to = int(to)
        if d.kind >= 2:
            from_, to = _update_from(from_, d), _update_to(to, d)
        rng = to - from_
    return _write_random(self, lambda n, c: _from_to(g, n, from_, rng, d))


@method_of("bernoulli", "bernoulli_")
def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 1 with probability `p` (a number or a tensor of probabilities), else 0."""
    g = _gen(generator, self.device)
    if isinstance(p, Tensor):
        probs = p._host_array()
        if np.any((probs < 0) | (probs > 1)):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        probs = np.broadcast_to(probs, tuple(self.shape))
        return _write_random(self, lambda n, c: _bernoulli_tensor(
            g, np.ascontiguousarray(_order(probs))))
    _check_p(p)
    return _write_random(self, lambda n, c: _bernoulli_scalar(g, n, p))


@op("exponential_", namespace="Tensor", methods=("exponential_",))
def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with exponential samples of rate `lambd` (-log1p(-u) / lambda, u a double)."""
    if self.dtype.kind < 2:
        raise RuntimeError(f"Exponential distribution is a continuous probability "
                           f"distribution. dtype must be a floating point but you specified "
                           f"{_legacy(self.dtype)}")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found "
                           f"lambda={_c_number(lambd)}")
    g = _gen(generator, self.device)
    d = self.dtype
    return _write_random(self, lambda n, c: _round_to(_exponential(g, n, lambd), d))


@op("geometric_", namespace="Tensor", methods=("geometric_",))
def geometric_(self, p, *, generator=None):
    """Fill with the number of Bernoulli(p) trials up to the first success (>= 1)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_c_number(p)}")
    g = _gen(generator, self.device)
    d = self.dtype

    def draw(n, c):
        out = np.empty(n, np.float64)
        _kernels().geometric(g._mt, g._ctl, out, float(p))
        return _round_to(out, d) if d.kind >= 2 else out.astype(np.int64).astype(d.np)
    return _write_random(self, draw)


@op("cauchy_", namespace="Tensor", methods=("cauchy_",))
def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Fill with Cauchy samples: median + sigma * tan(pi * (u - 1/2))."""
    d = _float(self.dtype, "cauchy_cpu")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_c_number(sigma)}")
    g = _gen(generator, self.device)

    def draw(n, c):
        out = np.empty(n, np.float64)
        _kernels().cauchy(g._mt, g._ctl, out, float(median), float(sigma))
        return _round_to(out, d)
    return _write_random(self, draw)


@op("log_normal_", namespace="Tensor", methods=("log_normal_",))
def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Fill with exp(N(mean, std²)) samples (normal_distribution<double>, cache included)."""
    d = _float(self.dtype, "log_normal_cpu")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_c_number(std)}")
    g = _gen(generator, self.device)

    def draw(n, c):
        out = np.empty(n, np.float64)
        _kernels().log_normal(g._mt, g._ctl, g._normal, out, float(mean), float(std))
        return _round_to(out, d)
    return _write_random(self, draw)
