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
from .array_backends import backend_for_device, backend_of
from .autograd.function import ArrayFunction
from .device import to_device
from .ops.registry import method_of, op
from .tensor import Tensor, _wrap

# The generator and its seeding are public names but not ops (the samplers are declared
# with @op / @method_of below).
__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state"]


class Generator:
    """A source of random numbers with its own seed and state (like torch.Generator)."""

    def __init__(self, device="cpu"):
        self.device = to_device(device)
        self._seed = 67280421310721   # PyTorch's default seed
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> "Generator":
        """Restart the sequence from `seed` (any value int() accepts, as in PyTorch)."""
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


def _shape(size, fn: str):
    from .creation import _shape as shape_of
    return shape_of(size, fn)


def _legacy(d) -> str:
    """PyTorch's ScalarType name ('Long', 'Float') used in 'not implemented for' messages."""
    return d._legacy[:-len("Tensor")]


# The C++ type names PyTorch's bound checks print.
_C_NAMES = {"float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float",
            "float64": "double", "int8": "signed char", "int16": "short int", "int32": "int",
            "int64": "long int", "uint8": "unsigned char", "bool": "bool"}
# Mantissa digits: uniform samples are k * 2**-digits, as PyTorch's kernels make them.
_DIGITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}


def _c_number(x) -> str:
    """A number printed as C++ prints it in PyTorch's messages (-1, not -1.0)."""
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def _place(host: np.ndarray, dtype, device, requires_grad) -> Tensor:
    dev = to_device(device)
    t = _wrap(backend_for_device(dev).from_host(host.astype(dtype.np, copy=False), dev))
    if requires_grad:
        if dtype.kind < 2:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t._requires_grad = True
    return t


def _float(dtype, kernel: str = "check_uniform_bounds"):
    """The dtype of a continuous sample: floating or complex, else PyTorch's error."""
    d = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    if d.kind < 2:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_legacy(d)}'")
    return d


def _uniform(rng, shape, d, low=0.0, high=1.0) -> np.ndarray:
    """Uniform samples in [low, high) for real dtype `d` (complex: real and imaginary parts)."""
    if d.kind == 3:
        real = d.to_real()
        return _uniform(rng, shape, real, low, high) + 1j * _uniform(rng, shape, real, low, high)
    digits = _DIGITS[d.name]
    u = rng.integers(0, 2 ** digits, size=shape, dtype=np.int64) * 2.0 ** -digits
    return low + u * (high - low)   # u < 1, so rand() never returns 1.0 even in bfloat16


def _normal(rng, shape, d, mean=0.0, std=1.0) -> np.ndarray:
    """Normal samples; a complex normal has variance 1/2 in each part (PyTorch's convention)."""
    if d.kind == 3:
        z = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * np.sqrt(0.5)
        return mean + std * z
    return mean + std * rng.standard_normal(shape)


@op("rand")
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False) -> Tensor:
    """Uniform samples in [0, 1).

        >>> manual_seed(0); rand(2, 3).shape
        torch.Size([2, 3])
    """
    d = _float(dtype)
    return _place(_uniform(_rng(generator), _shape(size, "rand"), d), d, device, requires_grad)


@op("randn")
def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False) -> Tensor:
    """Standard normal samples."""
    d = _float(dtype, "normal_kernel_cpu")
    return _place(_normal(_rng(generator), _shape(size, "randn"), d), d, device, requires_grad)


def _int_bounds(low: int, high: int, d) -> None:
    """PyTorch's checks that [low, high) fits integer dtype `d`."""
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    if d.kind <= 1:
        lo, hi = (0, 1) if d.kind == 0 else (np.iinfo(d.np).min, np.iinfo(d.np).max)
        if low < lo or low > hi:
            raise RuntimeError(f"from is out of bounds for {_C_NAMES[d.name]}")
        if high - 1 > hi or high - 1 < lo:
            raise RuntimeError(f"to - 1 is out of bounds for {_C_NAMES[d.name]}")


def _integers(rng, low: int, high_inclusive: int, shape) -> np.ndarray:
    return rng.integers(low, high_inclusive, size=shape, endpoint=True, dtype=np.int64)


@op("randint")
def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False) -> Tensor:
    """Integers in [low, high): `randint(high, size)` or `randint(low, high, size)`."""
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing 1 required positional argument: 'size'")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' (position 2) must be tuple of ints, not "
                        f"{type(size).__name__}")
    for name, v in (("low", low), ("high", high)):
        if not isinstance(v, numbers.Integral):
            raise TypeError(f"randint(): argument '{name}' must be int, not {type(v).__name__}")
    d = _dt.int64 if dtype is None else _dt.to_dtype(dtype)
    _int_bounds(int(low), int(high), d)
    host = _integers(_rng(generator), int(low), int(high) - 1, _shape((size,), "randint"))
    return _place(host, d, device, requires_grad)


@op("randperm")
def randperm(n: int, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    """A random permutation of 0..n-1."""
    if not isinstance(n, numbers.Integral) or isinstance(n, bool):
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    d = _dt.int64 if dtype is None else _dt.to_dtype(dtype)
    return _place(_rng(generator).permutation(int(n)), d, device, requires_grad)


class _RandomSample(ArrayFunction):
    """A sample that depends on tensor arguments only through its distribution.

    PyTorch records a node for it (so the result requires grad) whose gradient is zero for
    every argument: sampling is not differentiable. The sample is drawn before `apply`.
    """

    @staticmethod
    def forward(ctx, sample, *params):
        ctx.shapes = tuple(p._data.shape if isinstance(p, Tensor) else None for p in params)
        return _wrap(sample)

    @staticmethod
    def backward(ctx, g):
        xp = backend_of(g).xp
        return (None,) + tuple(None if s is None else xp.zeros(s, g.dtype) for s in ctx.shapes)


# Their nodes print as PyTorch's: normal has three overloads, numbered as PyTorch numbers them.
class _NormalTF(_RandomSample):
    node_name = "NormalBackward1"   # normal(Tensor mean, float std)


class _NormalFT(_RandomSample):
    node_name = "NormalBackward2"   # normal(float mean, Tensor std)


class _NormalTT(_RandomSample):
    node_name = "NormalBackward3"   # normal(Tensor mean, Tensor std)


class _Bernoulli(_RandomSample):
    node_name = "BernoulliBackward0"


def _check_std(std) -> None:
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_c_number(std)}")


@op("normal")
def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None,
           layout=None, device=None, requires_grad=False) -> Tensor:
    """Normal samples; `mean` and `std` may be tensors (broadcast) or numbers with `size`."""
    rng = _rng(generator)
    mean_t, std_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not (mean_t or std_t):
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got "
                            f"({type(mean).__name__}, {type(std).__name__}): give `size` "
                            "when mean and std are numbers")
        _check_std(std)
        d = _float(dtype, "normal_kernel_cpu")
        return _place(_normal(rng, _shape((size,), "normal"), d, mean, std), d, device,
                      requires_grad)
    if std_t and bool((std._host_array() < 0).any()):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not std_t:
        _check_std(std)
    ref = mean if mean_t else std
    shape = _broadcast_shape(mean.shape if mean_t else (), std.shape if std_t else ())
    m = mean._host_array() if mean_t else mean
    s = std._host_array() if std_t else std
    host = _normal(rng, shape, ref.dtype, m, s).astype(ref._data.dtype)
    sample = backend_of(ref._data).from_host(host, ref.device)
    fn = _NormalTT if mean_t and std_t else (_NormalTF if mean_t else _NormalFT)
    return fn.apply(sample, *(x for x in (mean, std) if isinstance(x, Tensor)))


def _broadcast_shape(a: tuple, b: tuple) -> tuple:
    """The broadcast of two shapes, with PyTorch's error for sizes that do not match."""
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and 1 not in (x, y):
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {max(len(a), len(b)) - i}")
        out.append(y if x == 1 else x)
    return tuple(reversed(out))


@op("rand_like")
def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return rand(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


@op("randn_like")
def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return randn(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad)


@op("randint_like")
def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                   device=device or input.device, requires_grad=requires_grad)


@op("bernoulli", methods=("bernoulli",))
def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """1 with probability `input` (or `p`), else 0, in input's dtype."""
    if input.dtype.kind < 2:
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for "
                                  f"'{_legacy(input.dtype)}'")
    if p is None:
        probs = input._host_array()
        if np.any((probs < 0) | (probs > 1)):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    else:
        _check_p(p)
        probs = p
    host = (_rng(generator).random(input.shape) < probs).astype(input._data.dtype)
    sample = backend_of(input._data).from_host(host, input.device)
    return _Bernoulli.apply(sample, input)


def _check_p(p) -> None:
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_c_number(p)}")


@op("multinomial", methods=("multinomial",))
def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """Indices drawn with probabilities proportional to the rows of `input` (1-D or 2-D).

    Without replacement it uses the exponential-race trick PyTorch uses: each category gets
    key p / E with E ~ Exp(1) and the largest keys win, which is sampling one by one without
    putting back, and still works when fewer categories than samples have p > 0.
    """
    if input.dtype.kind != 2:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_legacy(input.dtype)}")
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    probs = input._host_array().astype(np.float64)
    rows = probs.reshape(-1, probs.shape[-1])
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if np.any(~np.isfinite(rows)) or np.any(rows < 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if np.any(rows.sum(1) <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _rng(generator)
    if replacement:
        out = np.stack([rng.choice(rows.shape[1], num_samples, p=r / r.sum()) for r in rows]) \
            if rows.shape[0] else np.zeros((0, num_samples), np.int64)
    else:
        keys = rows / rng.exponential(size=rows.shape)
        out = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
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


@op("uniform_", namespace="Tensor", methods=("uniform_",))
def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kwargs):
    """Fill with uniform samples in [from, to) (`from` is a keyword PyTorch accepts)."""
    from_ = kwargs.pop("from", from_)
    d = _float(self.dtype)
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_c_number(from_)} > to={_c_number(to)}")
    return _write_random(self, _uniform(_rng(generator), self.shape, d, from_, to))


@method_of("normal", "normal_")
def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with normal samples of mean `mean` and standard deviation `std`."""
    d = _float(self.dtype, "normal_kernel_cpu")
    _check_std(std)
    return _write_random(self, _normal(_rng(generator), self.shape, d, mean, std))


def _random_max(d) -> int:
    """random_()'s inclusive upper bound: every integer up to it is exact in dtype `d`."""
    if d.kind == 0:
        return 1
    if d.kind == 1:
        return int(np.iinfo(d.np).max)
    return 2 ** _DIGITS[d.name]


@op("random_", namespace="Tensor", methods=("random_",))
def random_(self, *args, generator=None, **kwargs):
    """random_() over the dtype's exact integers, random_(to) in [0, to), random_(from, to).

    `from` and `to` may also be keywords; random_(from=f) goes up to the dtype's maximum.
    """
    if len(args) > 2:
        raise TypeError(f"random_() takes at most 2 positional arguments ({len(args)} given)")
    from_, to = (0, args[0]) if len(args) == 1 else (args + (0, None))[:2]
    from_, to = kwargs.pop("from", from_), kwargs.pop("to", to)
    if kwargs:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kwargs))}'")
    rng = _rng(generator)
    if to is None:
        host = _integers(rng, int(from_), _random_max(self.dtype), self.shape)
    else:
        _int_bounds(int(from_), int(to), self.dtype)
        host = _integers(rng, int(from_), int(to) - 1, self.shape)
    return _write_random(self, host)


@method_of("bernoulli", "bernoulli_")
def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 1 with probability `p` (a number or a tensor of probabilities), else 0."""
    if isinstance(p, Tensor):
        probs = p._host_array()
        if np.any((probs < 0) | (probs > 1)):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    else:
        _check_p(p)
        probs = p
    return _write_random(self, _rng(generator).random(self.shape) < probs)


@op("exponential_", namespace="Tensor", methods=("exponential_",))
def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with exponential samples of rate `lambd`."""
    if self.dtype.kind < 2:
        raise RuntimeError(f"Exponential distribution is a continuous probability "
                           f"distribution. dtype must be a floating point but you specified "
                           f"{_legacy(self.dtype)}")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found "
                           f"lambda={_c_number(lambd)}")
    return _write_random(self, _rng(generator).exponential(1.0 / lambd, self.shape))


@op("log_normal_", namespace="Tensor", methods=("log_normal_",))
def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    _float(self.dtype, "log_normal_cpu")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_c_number(std)}")
    return _write_random(self, _rng(generator).lognormal(mean, std, self.shape))

