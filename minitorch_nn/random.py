"""Random numbers: PyTorch's CPU streams, bit for bit, and the seeding API.

The generators (PyTorch's CPU mt19937 generator and the GPUs' own) are in generator.py.
The samplers here apply PyTorch 2.13's CPU transformations on top of the stream (Numba kernels
in kernels/cpu/random.py): rand/uniform_, randn/normal_ (the 16-element Box-Muller blocks
of normal_fill for >= 16 contiguous elements, one-at-a-time sampling otherwise), randint/
random_, randperm, bernoulli, exponential_, geometric_, log_normal_, cauchy_, multinomial.

Known differences (see tests/test_random_streams.py):
  * None by CPU vendor: older PyTorch builds drew exponential_ and bernoulli_(float p)
    through MKL's streams on Intel CPUs; torch 2.13 draws them from mt19937 on Intel as on
    AMD (tests/intel_vendor runs PyTorch with cpuid reporting "GenuineIntel" and compares).
  * float32 normal_fill follows PyTorch's AVX2 kernel (avx_mathfun polynomials), which x86
    CPUs with AVX2 run; on other CPUs PyTorch uses libm's logf/cosf/sinf (also here, chosen
    from the host CPU's features).
  * GPU tensors draw from their GPU's own default generator (below; seeded by
    manual_seed and cuda.manual_seed, never moving the CPU stream, as in PyTorch). It runs
    this same mt19937 engine, so GPU numbers are reproducible but are not PyTorch's CUDA
    (Philox) numbers; GPU dropout draws its mask on the device from a seed taken there.
"""
from __future__ import annotations

import contextlib
import numbers

import numpy as np

from . import dtypes as _dt
from .array_backends import backend_for_device, backend_of
from .array_backends import cuda as _cuda
from .autograd.function import ArrayFunction
from .device import to_device
from .ops.registry import op
from .ops.broadcast_error import broadcast_error
from .tensor import Tensor, _wrap

from .generator import (_U64, Generator, _kernels, default_generator, gpu_default_generator,
                        seed_gpu)

# The generator and its seeding are public names but not ops (the samplers are declared
# with @op / @method_of below).
__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "fork_rng"]

_AVX2 = None


def _has_avx2() -> bool:
    """Whether PyTorch would run its AVX2 normal_fill here (x86 with AVX2 and FMA)."""
    global _AVX2
    if _AVX2 is None:
        try:
            import llvmlite.binding as llvm
            feats = llvm.get_host_cpu_features()
            _AVX2 = bool(feats.get("avx2", False) and feats.get("fma", False))
        except Exception:   # pragma: no cover - llvmlite always has it on x86
            _AVX2 = True
    return _AVX2


def manual_seed(seed) -> Generator:
    """Seed the CPU's default generator and every GPU's (cuda_random.py), as PyTorch."""
    if isinstance(seed, numbers.Real) and not isinstance(seed, numbers.Integral):
        seed = int(seed)   # torch.manual_seed(3.7) seeds 3
    gen = default_generator.manual_seed(seed)
    seed_gpu(gen.initial_seed(), every=True)
    return gen


def seed() -> int:
    """Seed the CPU's and every GPU's default generator from the OS; returns the seed."""
    new = default_generator.seed()
    seed_gpu(new, every=True)
    return new


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):
    """Restore the CPU generator's state, and those of `devices` (default: every GPU), on
    exit (torch.random.fork_rng)."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    if devices is None:
        devices = range(_cuda.device_count()) if device_type == "cuda" else ()
    gpu_states = [(d, gpu_default_generator(d).get_state()) for d in devices]
    try:
        yield
    finally:
        set_rng_state(state)
        for d, gpu_state in gpu_states:
            gpu_default_generator(d).set_state(gpu_state)


def _gen(generator, device=None) -> Generator:
    """The generator a draw on `device` (None: the default device) uses: `generator` when
    given (made for that kind of device, as PyTorch checks), else the device's default one
    (the CPU's or the GPU's)."""
    dev = to_device(device)
    kind = dev.type
    if generator is None:
        return default_generator if kind == "cpu" else gpu_default_generator(dev)
    if generator.device.type != kind:
        raise RuntimeError(f"Expected a '{kind}' device type for generator but found "
                           f"'{generator.device.type}'")
    return generator


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


def _round_to(host: np.ndarray, d) -> np.ndarray:
    """Cast float32/float64 samples to `d` as C++'s static_cast does (a double reaches half
    and bfloat16 through float, as c10::Half(float) / c10::BFloat16(float))."""
    if d.name in ("float16", "bfloat16") and host.dtype == np.float64:
        host = host.astype(np.float32)
    return host.astype(d.np, copy=False)


def _uniform(g: Generator, n: int, d, low=0.0, high=1.0) -> np.ndarray:
    """n uniform samples in [low, high) of dtype `d`, flat, in PyTorch's order (complex:
    view_as_real, real and imaginary parts interleaved)."""
    if d.kind == 3:
        return _uniform(g, 2 * n, d.to_real(), low, high).view(d.np)
    k = _kernels()
    if d.name == "float64":
        out = np.empty(n, np.float64)
        k.uniform_f64(g._mt, g._ctl, out, float(low), float(high))
        return out
    if d.name == "float32":
        out = np.empty(n, np.float32)
        k.uniform_f32(g._mt, g._ctl, out, float(low), float(high))
        return out
    # half / bfloat16: torch 2.13 draws float32 samples and rounds them; one that rounds up
    # to `to` becomes `from`, so the range stays [from, to)
    out = np.empty(n, np.float32)
    k.uniform_f32(g._mt, g._ctl, out, float(low), float(high))
    out = out.astype(d.np)
    lo, hi = np.asarray([low, high], np.float32).astype(d.np)
    out[out == hi] = lo
    return out


def _normal(g: Generator, n: int, d, mean=0.0, std=1.0, contiguous=True) -> np.ndarray:
    """n normal samples of dtype `d`, flat, as normal_kernel draws them: normal_fill on
    >= 16 contiguous elements, normal_distribution<double> one by one otherwise (complex:
    view_as_real with std / sqrt(2))."""
    if d.kind == 3:
        return _normal(g, 2 * n, d.to_real(), mean, std / np.sqrt(2.0), contiguous).view(d.np)
    k = _kernels()
    mean, std = float(mean), float(std)
    if n >= 16 and contiguous:
        if d.name == "float64":
            out = np.empty(n, np.float64)
            k.normal_fill_f64(g._mt, g._ctl, out, mean, std)
            return out
        out = np.empty(n, np.float32)
        half = d.name != "float32"
        k.normal_fill_f32(g._mt, g._ctl, out, mean, std, _has_avx2() or half, half)
        return out.astype(d.np, copy=False)
    out = np.empty(n, np.float64)
    k.normal_scalar(g._mt, g._ctl, g._normal, out, mean, std)
    return _round_to(out, d)


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


@op("rand")
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False) -> Tensor:
    """Uniform samples in [0, 1) (PyTorch's numbers for the same seed).

        >>> manual_seed(0); rand(3)
        tensor([0.4963, 0.7682, 0.0885])
    """
    d = _float(dtype)
    shape = _shape(size, "rand")
    host = _uniform(_gen(generator, device), _numel(shape), d).reshape(shape)
    return _place(host, d, device, requires_grad)


@op("randn")
def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False) -> Tensor:
    """Standard normal samples (PyTorch's numbers for the same seed).

        >>> manual_seed(0); randn(3)
        tensor([ 1.5410, -0.2934, -2.1788])
    """
    d = _float(dtype, "normal_kernel_cpu")
    shape = _shape(size, "randn")
    host = _normal(_gen(generator, device), _numel(shape), d).reshape(shape)
    return _place(host, d, device, requires_grad)


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


def _cast_int(v: int, d) -> int:
    """static_cast<int64_t>(static_cast<scalar_t>(v)) for a floating dtype `d`."""
    return int(np.asarray(float(v), np.float64).astype(d.np).astype(np.float64))


def _update_from(frm: int, d) -> int:
    """PyTorch's update_from: move `from` up to a value the floating dtype holds."""
    plus1 = _cast_int(frm + 1, d)
    if plus1 < frm:
        n = max(abs(frm + 1).bit_length() - 1, 0)
        frm = plus1 + (1 << (n - _DIGITS[d.name] + 1))
    return frm


def _update_to(to: int, d) -> int:
    """PyTorch's update_to: move `to` down to a value the floating dtype holds."""
    minus1 = _cast_int(to - 1, d)
    if minus1 >= to:
        n = max(abs(to - 1).bit_length() - 1, 0)
        to = minus1 - (1 << (n - _DIGITS[d.name] + 1))
    return to


def _from_to(g: Generator, n: int, frm: int, rng: int, d) -> np.ndarray:
    """uniform_int_from_to_distribution: (val % range) + from, val random64() for int64 /
    float / double / bfloat16 with range >= 2**32, random() otherwise."""
    out = np.empty(n, np.int64)
    wide = rng >= 1 << 32 and d.name in ("int64", "float32", "float64", "bfloat16")
    _kernels().random_from_to(g._mt, g._ctl, out, np.uint64(rng & _U64), np.int64(frm), wide)
    return _round_to(out, d) if d.kind >= 2 else out.astype(d.np)


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
    low, high = int(low), int(high)
    _int_bounds(low, high, d)
    if d.kind >= 2:
        low, high = _update_from(low, d), _update_to(high, d)
    shape = _shape((size,), "randint")
    host = _from_to(_gen(generator, device), _numel(shape), low, high - low, d).reshape(shape)
    return _place(host, d, device, requires_grad)


@op("randperm")
def randperm(n: int, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    """A random permutation of 0..n-1 (randperm_cpu: swaps with random() % (n - i), or the
    inside-out shuffle with random64() for n >= 2**32 / 20)."""
    if not isinstance(n, numbers.Integral) or isinstance(n, bool):
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    d = _dt.int64 if dtype is None else _dt.to_dtype(dtype)
    g = _gen(generator, device)
    perm = np.empty(int(n), np.int64)
    if n < 0xFFFFFFFF // 20:
        _kernels().randperm_small(g._mt, g._ctl, perm)
    else:
        _kernels().randperm_large(g._mt, g._ctl, perm)
    return _place(perm, d, device, requires_grad)


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

    @staticmethod
    def grad_formula(ctx, g):   # zero, and a constant: every higher derivative is zero too
        return (None,) + tuple(None if s is None else g.new_zeros(s) for s in ctx.shapes)


# Their nodes print as PyTorch's: normal has three overloads, numbered as PyTorch numbers them.
class _NormalTF(_RandomSample):
    node_name = "NormalBackward1"   # normal(Tensor mean, float std)


class _NormalFT(_RandomSample):
    node_name = "NormalBackward2"   # normal(float mean, Tensor std)


class _NormalTT(_RandomSample):
    node_name = "NormalBackward3"   # normal(Tensor mean, Tensor std)


class _Bernoulli(_RandomSample):
    node_name = "BernoulliBackward0"


class _Poisson(_RandomSample):
    node_name = "PoissonBackward0"


def _check_std(std) -> None:
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_c_number(std)}")


@op("normal")
def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None,
           layout=None, device=None, requires_grad=False) -> Tensor:
    """Normal samples; `mean` and `std` may be tensors (broadcast) or numbers with `size`.

    As PyTorch: the output is filled with normal_(0, std) then `+ mean` (tensor mean, number
    std), or normal_(0, 1) then `* std + mean` (tensor std), in the output's dtype.
    """
    mean_t, std_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    g = _gen(generator, mean.device if mean_t else (std.device if std_t else device))
    if not (mean_t or std_t):
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got "
                            f"({type(mean).__name__}, {type(std).__name__}): give `size` "
                            "when mean and std are numbers")
        _check_std(std)
        d = _float(dtype, "normal_kernel_cpu")
        shape = _shape((size,), "normal")
        host = _normal(g, _numel(shape), d, mean, std).reshape(shape)
        return _place(host, d, device, requires_grad)
    if std_t and bool((std._host_array() < 0).any()):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not std_t:
        _check_std(std)
    ref = mean if mean_t else std
    shape = _broadcast_shape(mean.shape if mean_t else (), std.shape if std_t else ())
    d = ref.dtype
    npd = ref._data.dtype
    if std_t:
        z = _normal(g, _numel(shape), d, 0.0, 1.0).reshape(shape)
        host = (z * std._host_array().astype(npd, copy=False)).astype(npd, copy=False)
        host = host + (mean._host_array().astype(npd, copy=False) if mean_t else npd.type(mean))
    else:
        z = _normal(g, _numel(shape), d, 0.0, std).reshape(shape)
        host = z + mean._host_array().astype(npd, copy=False)
    host = np.ascontiguousarray(np.broadcast_to(host, shape)).astype(npd, copy=False)
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
            raise broadcast_error(a, b, max(len(a), len(b)) - i)
        out.append(y if x == 1 else x)
    return tuple(reversed(out))


@op("rand_like")
def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None,
              generator=None):
    return rand(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad, generator=generator)


@op("randn_like")
def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None,
               generator=None):
    return randn(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad, generator=generator)


@op("randint_like")
def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False,
                 generator=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                   device=device or input.device, requires_grad=requires_grad,
                   generator=generator)


def _bernoulli_tensor(g: Generator, probs: np.ndarray) -> np.ndarray:
    """bernoulli_(Tensor p): u53 < p for float64 p, u24 < float(p) otherwise (flat, uint8)."""
    flat = np.ascontiguousarray(probs).reshape(-1)
    out = np.empty(flat.size, np.uint8)
    if flat.dtype == np.float64:
        _kernels().bernoulli_tensor_f64(g._mt, g._ctl, out, flat)
    else:
        _kernels().bernoulli_tensor_f32(g._mt, g._ctl, out, flat.astype(np.float32))
    return out


def _bernoulli_scalar(g: Generator, n: int, p: float) -> np.ndarray:
    out = np.empty(n, np.uint8)
    _kernels().bernoulli_scalar(g._mt, g._ctl, out, float(p))
    return out


@op("bernoulli", methods=("bernoulli",))
def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """1 with probability `input` (or `p`), else 0, in input's dtype."""
    if input.dtype.kind < 2:
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for "
                                  f"'{_legacy(input.dtype)}'")
    g = _gen(generator, input.device)
    if p is None:
        probs = input._host_array()
        if np.any((probs < 0) | (probs > 1)):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        host = _bernoulli_tensor(g, probs)
    else:
        _check_p(p)
        host = _bernoulli_scalar(g, _numel(input.shape), p)
    host = host.reshape(input.shape).astype(input._data.dtype)
    sample = backend_of(input._data).from_host(host, input.device)
    return _Bernoulli.apply(sample, input)


def _check_p(p) -> None:
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_c_number(p)}")


def _exponential(g: Generator, n: int, lambd: float) -> np.ndarray:
    out = np.empty(n, np.float64)
    _kernels().exponential(g._mt, g._ctl, out, float(lambd))
    return out


@op("multinomial", methods=("multinomial",))
def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """Indices drawn with probabilities proportional to the rows of `input` (1-D or 2-D).

    As PyTorch: without replacement (or one sample) q = exponential_(1) and the largest
    p / q win (argmax or topk); with replacement each sample is a binary search of a
    uniform double in the row's normalised cumulative sum.
    """
    if input.dtype.kind != 2:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_legacy(input.dtype)}")
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    probs = input._host_array()
    rows = probs.reshape(-1, probs.shape[-1])
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    rows64 = rows.astype(np.float64)
    if np.any(~np.isfinite(rows64)) or np.any(rows64 < 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if np.any(rows64.sum(1) <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    g = _gen(generator, input.device)
    if not replacement or num_samples == 1:
        q = _round_to(_exponential(g, rows.size, 1.0), input.dtype).reshape(rows.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            keys = (rows / q).astype(rows.dtype, copy=False)
        if num_samples == 1:
            out = np.argmax(keys, axis=1)[:, None]
        else:
            out = np.argsort(-keys.astype(np.float64), axis=1, kind="stable")[:, :num_samples]
    else:
        work = rows if rows.dtype in (np.float32, np.float64) else rows.astype(np.float32)
        out = np.empty((rows.shape[0], num_samples), np.int64)
        _kernels().multinomial_replacement(g._mt, g._ctl, np.ascontiguousarray(work), out)
    out = out.astype(np.int64).reshape(probs.shape[:-1] + (num_samples,))
    return _place(out, _dt.int64, input.device, False)


@op("poisson")
def poisson(input, generator=None) -> Tensor:
    """Poisson samples with rates `input`, PyTorch's CPU sampler on this generator's stream
    (equal to PyTorch's draws for a contiguous input): one element after another, uniform
    doubles of 53 bits, Hoermann's transformed rejection for rates >= 10, products of
    uniforms below. The result has the input's dtype."""
    if input.dtype.kind != 2:
        raise NotImplementedError(f'"poisson_cpu" not implemented for '
                                  f"'{_legacy(input.dtype)}'")
    rates = np.ascontiguousarray(input._host_array(), dtype=np.float64).reshape(-1)
    if rates.size and not bool((rates >= 0).all()):   # NaN fails too, as in PyTorch
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    out = np.empty(rates.size, np.float64)
    g = _gen(generator, input.device)
    _kernels().poisson(g._mt, g._ctl, rates, out)
    with np.errstate(over="ignore"):   # a draw beyond float16's range is inf, silently
        host = out.reshape(tuple(input.shape)).astype(input._data.dtype)
    return _Poisson.apply(backend_of(input._data).from_host(host, input.device), input)
