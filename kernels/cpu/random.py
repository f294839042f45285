"""PyTorch's CPU random streams: the mt19937 engine and the transformations on top of it.

Every kernel takes the engine state as two arrays and advances it in place:
  * `mt`  uint32[624]: the Mersenne Twister state words (PyTorch's `mt19937_data_pod.state_`),
  * `ctl` int64[2]:   [left_, next_] (PyTorch's counters: `left_` draws remain before the
                      next twist, `next_` indexes the word to temper next).
The engine is PyTorch's at::mt19937 (aten/src/ATen/core/MT19937RNGEngine.h): the classic
MT19937 with `init_genrand` seeding of the low 32 bits of the seed, `random()` one tempered
32-bit word, `random64()` two words, the first one the high half.

The transformations follow aten/src/ATen/core/TransformationHelper.h, DistributionsHelper.h
and native/cpu/DistributionTemplates.h of PyTorch 2.13 (float32 uses 24 bits of one word,
float64 53 bits of a 64-bit draw, integer ranges `val % range + base`, Box-Muller normals).
The results were checked bit for bit against torch 2.13 (tests/test_random_streams.py); where
PyTorch's C++ build contracts a multiply-add into one FMA instruction, the kernel calls
`_fma` (LLVM's llvm.fma intrinsic: one rounding) at the same place.
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit
from numba.core import types
from numba.extending import intrinsic

N = 624
M = 397
_MATRIX_A = np.uint64(0x9908B0DF)
_UMASK = np.uint64(0x80000000)
_LMASK = np.uint64(0x7FFFFFFF)
_M32 = np.uint64(0xFFFFFFFF)
_F = np.float32


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c with a single rounding (the hardware FMA PyTorch's compiler emits)."""
    if not (isinstance(a, types.Float) and a == b == c):
        return None

    def codegen(context, builder, signature, args):
        t = args[0].type
        fn = builder.module.declare_intrinsic("llvm.fma", [t], ir.FunctionType(t, [t, t, t]))
        return builder.call(fn, args)
    return a(a, b, c), codegen


@intrinsic
def _f32_bits(typingctx, x):
    """The int32 whose bits are float32 `x` (a bit cast, as _mm256_castps_si256)."""
    if x != types.float32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))
    return types.int32(x), codegen


@intrinsic
def _bits_f32(typingctx, i):
    """The float32 whose bits are int32 `i`."""
    if i != types.int32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(i), codegen


# ------------------------------------------------------------------ the engine
@njit(cache=True)
def mt_seed(mt, ctl, seed):
    """at::mt19937(seed): init_genrand with the low 32 bits, left_ = 1, next_ = 0."""
    s = np.uint64(seed) & _M32
    mt[0] = np.uint32(s)
    for j in range(1, N):
        s = (np.uint64(1812433253) * (s ^ (s >> np.uint64(30))) + np.uint64(j)) & _M32
        mt[j] = np.uint32(s)
    ctl[0] = 1
    ctl[1] = 0


@njit(cache=True, inline="always")
def _twist(u, v):
    y = (u & _UMASK) | (v & _LMASK)
    r = y >> np.uint64(1)
    if v & np.uint64(1):
        r ^= _MATRIX_A
    return r


@njit(cache=True)
def _next_state(mt, ctl):
    for i in range(N - M):
        mt[i] = np.uint32(np.uint64(mt[i + M]) ^ _twist(np.uint64(mt[i]), np.uint64(mt[i + 1])))
    for i in range(N - M, N - 1):
        mt[i] = np.uint32(np.uint64(mt[i + M - N])
                          ^ _twist(np.uint64(mt[i]), np.uint64(mt[i + 1])))
    mt[N - 1] = np.uint32(np.uint64(mt[M - 1]) ^ _twist(np.uint64(mt[N - 1]), np.uint64(mt[0])))
    ctl[0] = N
    ctl[1] = 0


@njit(cache=True, inline="always")
def next32(mt, ctl):
    """One tempered 32-bit word (CPUGeneratorImpl::random), as a uint64."""
    ctl[0] -= 1
    if ctl[0] == 0:
        _next_state(mt, ctl)
    y = np.uint64(mt[ctl[1]])
    ctl[1] += 1
    y ^= y >> np.uint64(11)
    y ^= (y << np.uint64(7)) & np.uint64(0x9D2C5680)
    y ^= (y << np.uint64(15)) & np.uint64(0xEFC60000)
    y ^= y >> np.uint64(18)
    return y & _M32


@njit(cache=True, inline="always")
def next64(mt, ctl):
    """CPUGeneratorImpl::random64: two words, the first one the high half."""
    hi = next32(mt, ctl)
    lo = next32(mt, ctl)
    return (hi << np.uint64(32)) | lo


@njit(cache=True)
def _bulk32(mt, ctl, out):
    """`out.size` consecutive words (the same as calling next32 that often), with the
    counters kept in registers: the fast path of every bulk kernel."""
    left = ctl[0]
    nxt = ctl[1]
    for i in range(out.size):
        left -= 1
        if left == 0:
            _next_state(mt, ctl)
            left = N
            nxt = 0
        y = mt[nxt]
        nxt += 1
        y ^= y >> np.uint32(11)
        y ^= (y << np.uint32(7)) & np.uint32(0x9D2C5680)
        y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
        y ^= y >> np.uint32(18)
        out[i] = y
    ctl[0] = left
    ctl[1] = nxt


@njit(cache=True)
def _words(mt, ctl, n):
    w = np.empty(n, np.uint32)
    _bulk32(mt, ctl, w)
    return w


@njit(cache=True, inline="always")
def _u24(w):
    return _F(w & np.uint32(0xFFFFFF)) * _F(5.9604644775390625e-08)


@njit(cache=True, inline="always")
def _u53(hi, lo):
    v = ((np.uint64(hi) << np.uint64(32)) | np.uint64(lo)) & np.uint64(0x1FFFFFFFFFFFFF)
    return np.float64(np.int64(v)) * 1.1102230246251565e-16   # < 2**53: exact either way


@njit(cache=True, inline="always")
def _u01_f32(mt, ctl):
    """uniform_real_distribution<float>(0, 1): 24 bits of one word times 2**-24."""
    return np.float32(next32(mt, ctl) & np.uint64(0xFFFFFF)) * np.float32(5.9604644775390625e-08)


@njit(cache=True, inline="always")
def _u01_f64(mt, ctl):
    """uniform_real_distribution<double>(0, 1): 53 bits of random64 times 2**-53."""
    return np.float64(next64(mt, ctl) & np.uint64(0x1FFFFFFFFFFFFF)) * 1.1102230246251565e-16


@njit(cache=True)
def fill_u32(mt, ctl, out):
    """Raw 32-bit draws (CPUGeneratorImpl::random), into a uint32 or wider array."""
    for i in range(out.size):
        out[i] = next32(mt, ctl)


@njit(cache=True)
def fill_u64(mt, ctl, out):
    """Raw 64-bit draws (CPUGeneratorImpl::random64), into a uint64 array."""
    for i in range(out.size):
        out[i] = next64(mt, ctl)


# ------------------------------------------------------------------ uniform
@njit(cache=True)
def uniform_f32(mt, ctl, out, lo, hi):
    """uniform_kernel for float32: x * (to - from) + from in float32, x = 24 bits of one
    word times 2**-24, the multiply-add fused as PyTorch's AVX2/AVX512 build fuses it."""
    lo32 = _F(lo)
    span = _F(_F(hi) - lo32)
    w = _words(mt, ctl, out.size)
    for i in range(out.size):
        out[i] = _fma(_u24(w[i]), span, lo32)


@njit(cache=True)
def uniform_f64(mt, ctl, out, lo, hi):
    """uniform_kernel for float64: 53 bits of random64, x * (to - from) + from fused."""
    span = hi - lo
    w = _words(mt, ctl, 2 * out.size)
    for i in range(out.size):
        out[i] = _fma(_u53(w[2 * i], w[2 * i + 1]), span, lo)


# ------------------------------------------------------------------ normal
@njit(cache=True)
def normal_scalar(mt, ctl, cache, out, mean, std):
    """normal_distribution<double> one sample at a time (tensors under 16 elements or not
    contiguous): Box-Muller on two doubles, the sine kept in `cache` = [valid, value] for
    the next call (CPUGeneratorImpl's next_double_normal_sample)."""
    for i in range(out.size):
        if cache[0] != 0.0:
            cache[0] = 0.0
            ret = cache[1]
        else:
            u1 = _u01_f64(mt, ctl)
            u2 = _u01_f64(mt, ctl)
            r = math.sqrt(-2.0 * math.log1p(-u2))
            theta = 2.0 * math.pi * u1
            cache[0] = 1.0
            cache[1] = r * math.sin(theta)
            ret = r * math.cos(theta)
        out[i] = _fma(ret, std, mean)


@njit(cache=True)
def _normal16_f64(data, j0, mean, std):
    for j in range(8):
        u1 = 1.0 - data[j0 + j]
        u2 = data[j0 + j + 8]
        radius = math.sqrt(-2.0 * math.log(u1))
        theta = 2.0 * math.pi * u2
        data[j0 + j] = _fma(radius * math.cos(theta), std, mean)
        data[j0 + j + 8] = _fma(radius * math.sin(theta), std, mean)


@njit(cache=True)
def normal_fill_f64(mt, ctl, out, mean, std):
    """normal_fill<double> (>= 16 contiguous elements): all uniforms first, then Box-Muller
    on blocks of 16 (u1 = 1 - data[j], u2 = data[j + 8]); a ragged tail redraws the last 16."""
    n = out.size
    w = _words(mt, ctl, 2 * n)
    for i in range(n):
        out[i] = _u53(w[2 * i], w[2 * i + 1])
    i = 0
    while i < n - 15:
        _normal16_f64(out, i, mean, std)
        i += 16
    if n % 16 != 0:
        for j in range(16):
            out[n - 16 + j] = _u01_f64(mt, ctl)
        _normal16_f64(out, n - 16, mean, std)


@njit(cache=True, inline="always")
def _log256(x):
    """avx_mathfun.h's log256_ps for one lane (x in (0, 1] here), with the multiply-adds GCC
    fuses into FMAs in PyTorch's AVX2 build (each Horner step; the y*z product with the
    e*q1 term; z*0.5 subtracted; e*q2 added)."""
    bits = _f32_bits(x)
    e = _F(np.int32((bits >> 23) - 0x7F)) + _F(1.0)   # x > 0: the shift sees no sign bit
    x = _bits_f32(np.int32((bits & np.int32(~0x7F800000)) | np.int32(0x3F000000)))
    if x < _F(0.707106781186547524):
        x = _F(_F(x - _F(1.0)) + x)
        e = _F(e - _F(1.0))
    else:
        x = _F(x - _F(1.0))
    z = _F(x * x)
    y = _F(7.0376836292E-2)
    y = _fma(y, x, _F(-1.1514610310E-1))
    y = _fma(y, x, _F(1.1676998740E-1))
    y = _fma(y, x, _F(-1.2420140846E-1))
    y = _fma(y, x, _F(1.4249322787E-1))
    y = _fma(y, x, _F(-1.6668057665E-1))
    y = _fma(y, x, _F(2.0000714765E-1))
    y = _fma(y, x, _F(-2.4999993993E-1))
    y = _fma(y, x, _F(3.3333331174E-1))
    y = _F(y * x)
    y = _fma(y, z, _F(e * _F(-2.12194440e-4)))
    y = _fma(-z, _F(0.5), y)
    x = _F(x + y)
    return _fma(e, _F(0.693359375), x)


@njit(cache=True, inline="always")
def _sincos256(x):
    """avx_mathfun.h's sincos256_ps for one lane, x >= 0 (theta = 2 pi u), FMAs as GCC
    fuses them; returns (sin, cos)."""
    j = np.int32(_F(x * _F(1.27323954473516)))
    j = (j + 1) & ~1
    y = _F(j)
    swap_sin = (j & 4) != 0
    poly = (j & 2) == 0
    neg_cos = ((~(j - 2)) & 4) != 0
    x = _fma(y, _F(-0.78515625), x)
    x = _fma(y, _F(-2.4187564849853515625e-4), x)
    x = _fma(y, _F(-3.77489497744594108e-8), x)
    z = _F(x * x)
    c = _F(2.443315711809948E-005)
    c = _fma(c, z, _F(-1.388731625493765E-003))
    c = _fma(c, z, _F(4.166664568298827E-002))
    c = _F(c * z)
    c = _fma(c, z, -_F(z * _F(0.5)))
    c = _F(c + _F(1.0))
    s = _F(-1.9515295891E-4)
    s = _fma(s, z, _F(8.3321608736E-3))
    s = _fma(s, z, _F(-1.6666654611E-1))
    s = _F(s * z)
    s = _fma(s, x, x)
    if not poly:
        s, c = c, s
    if swap_sin:
        s = -s
    if neg_cos:
        c = -c
    return s, c


@njit(cache=True)
def _normal16_f32_avx2(data, j0, mean, std):
    two_pi = _F(2.0 * math.pi)
    for j in range(8):
        u1 = _F(_F(1.0) - data[j0 + j])
        u2 = data[j0 + j + 8]
        radius = _F(math.sqrt(_F(_F(-2.0) * _log256(u1))))
        s, c = _sincos256(_F(two_pi * u2))
        data[j0 + j] = _fma(_F(radius * c), std, mean)
        data[j0 + j + 8] = _fma(_F(radius * s), std, mean)


@njit(cache=True)
def _normal16_f32(data, j0, mean, std):
    two_pi = 2.0 * math.pi
    for j in range(8):
        u1 = _F(_F(1.0) - data[j0 + j])
        u2 = data[j0 + j + 8]
        radius = _F(math.sqrt(_F(_F(-2.0) * _F(math.log(u1)))))
        theta = _F(two_pi * np.float64(u2))
        data[j0 + j] = _fma(_F(radius * _F(math.cos(theta))), std, mean)
        data[j0 + j + 8] = _fma(_F(radius * _F(math.sin(theta))), std, mean)


@njit(cache=True)
def normal_fill_f32(mt, ctl, out, mean, std, avx2, blockwise):
    """normal_fill for >= 16 contiguous float32 elements: PyTorch's AVX2/AVX512 builds run
    normal_fill_AVX2 (avx_mathfun polynomials, `avx2` True); other CPUs the scalar
    normal_fill<float> with libm (`avx2` False). `blockwise` (float16/bfloat16, computed in
    float32 one block of 16 at a time): the uniforms of a ragged size's last partial block
    are never drawn, only the 16 of the redrawn tail."""
    n = out.size
    mean = _F(mean)
    std = _F(std)
    first = n - n % 16 if blockwise else n
    w = _words(mt, ctl, first)
    for i in range(first):
        out[i] = _u24(w[i])
    i = 0
    while i < n - 15:
        if avx2:
            _normal16_f32_avx2(out, i, mean, std)
        else:
            _normal16_f32(out, i, mean, std)
        i += 16
    if n % 16 != 0:
        for j in range(16):
            out[n - 16 + j] = _u01_f32(mt, ctl)
        if avx2:
            _normal16_f32_avx2(out, n - 16, mean, std)
        else:
            _normal16_f32(out, n - 16, mean, std)


# ------------------------------------------------------------------ integers
@njit(cache=True)
def random_from_to(mt, ctl, out, rng, base, wide):
    """uniform_int_from_to_distribution: (val % range) + base, val one word, or random64
    when `wide` (int64/float/double/bfloat16 with range >= 2**32)."""
    r = np.uint64(rng)
    b = np.uint64(base)
    for i in range(out.size):
        v = next64(mt, ctl) if wide else next32(mt, ctl)
        out[i] = np.int64((v % r) + b)


@njit(cache=True)
def random_mod(mt, ctl, out, mod, wide):
    """uniform_int_distribution (random_() without bounds): val % mod, val one word or
    random64 (int64, double); mod 0 means 2**64 (no reduction)."""
    m = np.uint64(mod)
    for i in range(out.size):
        v = next64(mt, ctl) if wide else next32(mt, ctl)
        out[i] = v % m if mod != 0 else v


@njit(cache=True)
def randperm_small(mt, ctl, out):
    """randperm_cpu for n < 2**32 / 20: swap i with i + random() % (n - i)."""
    n = out.size
    for i in range(n):
        out[i] = i
    for i in range(n - 1):
        z = np.int64(next32(mt, ctl) % np.uint64(n - i))
        t = out[i]
        out[i] = out[z + i]
        out[z + i] = t


@njit(cache=True)
def randperm_large(mt, ctl, out):
    """randperm_cpu for large n: the inside-out Fisher-Yates with random64() % (i + 1)."""
    n = out.size
    for i in range(n):
        z = np.int64(next64(mt, ctl) % np.uint64(i + 1))
        out[i] = i
        out[i] = out[z]
        out[z] = i


# ------------------------------------------------------------------ other distributions
@njit(cache=True)
def bernoulli_scalar(mt, ctl, out, p):
    """bernoulli_(p) with a number p: bernoulli_distribution<double>, u53 < p per element."""
    w = _words(mt, ctl, 2 * out.size)
    for i in range(out.size):
        out[i] = 1 if _u53(w[2 * i], w[2 * i + 1]) < p else 0


@njit(cache=True)
def bernoulli_tensor_f32(mt, ctl, out, p):
    """bernoulli_(p) with a tensor p not float64: bernoulli_distribution<float>, u24 < p."""
    w = _words(mt, ctl, out.size)
    for i in range(out.size):
        out[i] = 1 if _u24(w[i]) < _F(p[i]) else 0


@njit(cache=True)
def bernoulli_tensor_f64(mt, ctl, out, p):
    """bernoulli_(p) with a float64 tensor p: bernoulli_distribution<double>, u53 < p."""
    w = _words(mt, ctl, 2 * out.size)
    for i in range(out.size):
        out[i] = 1 if _u53(w[2 * i], w[2 * i + 1]) < p[i] else 0


@njit(cache=True)
def exponential(mt, ctl, out, lambd):
    """exponential_distribution<double>: -1 / lambda * log1p(-u53) (torch 2.13's CPU
    transformation; log(1 - u) differs in the last bit for about half the draws)."""
    w = _words(mt, ctl, 2 * out.size)
    for i in range(out.size):
        out[i] = -1.0 / lambd * math.log1p(-_u53(w[2 * i], w[2 * i + 1]))


@njit(cache=True)
def geometric(mt, ctl, out, p):
    """geometric_distribution<double>: ceil(log(u53) / log1p(-p))."""
    w = _words(mt, ctl, 2 * out.size)
    d = math.log1p(-p)
    for i in range(out.size):
        out[i] = math.ceil(math.log(_u53(w[2 * i], w[2 * i + 1])) / d)


@njit(cache=True)
def cauchy(mt, ctl, out, median, sigma):
    """cauchy_distribution<double>: median + sigma * tan(pi * (u53 - 0.5))."""
    w = _words(mt, ctl, 2 * out.size)
    for i in range(out.size):
        out[i] = median + sigma * math.tan(math.pi * (_u53(w[2 * i], w[2 * i + 1]) - 0.5))


@njit(cache=True)
def log_normal(mt, ctl, cache, out, mean, std):
    """lognormal_distribution<double>: exp of normal_distribution<double> (with its cache)."""
    normal_scalar(mt, ctl, cache, out, mean, std)
    for i in range(out.size):
        out[i] = math.exp(out[i])


@njit(cache=True)
def multinomial_replacement(mt, ctl, probs, out):
    """multinomial_with_replacement_apply: per row, the running sum in the probabilities'
    dtype (float32 for float32/half/bfloat16 rows, float64 for float64), divided by the
    total, the last bucket set to 1, then per sample a binary search for the first bucket
    not below a uniform double."""
    rows, k = probs.shape
    cum = np.empty(k, probs.dtype)
    for r in range(rows):
        cum[0] = 0
        total = cum[0]   # a zero of the rows' dtype
        for j in range(k):
            total += probs[r, j]
            cum[j] = total
        for j in range(k):
            cum[j] /= total
        cum[k - 1] = 1
        for j in range(out.shape[1]):
            u = _u01_f64(mt, ctl)
            lo = 0
            hi = k
            while hi - lo > 0:
                mid = lo + (hi - lo) // 2
                if np.float64(cum[mid]) < u:
                    lo = mid + 1
                else:
                    hi = mid
            out[r, j] = lo


_INT64_MIN = -9223372036854775808


@njit(cache=True, inline="always")
def _as_int64(x):
    """static_cast<int64_t>(double) as x86 does it: NaN, +-inf and out-of-range values give
    INT64_MIN (Numba would leave that undefined)."""
    if not (-9.223372036854775e18 <= x < 9.223372036854775e18):
        return _INT64_MIN
    return np.int64(x)


@njit(cache=True)
def _poisson_one(mt, ctl, lam):
    """One Poisson draw, PyTorch's sample_poisson (NumPy's legacy algorithm): Hoermann's
    transformed rejection (1993) for rates >= 10, multiplication of uniforms below."""
    if lam >= 10:
        slam = math.sqrt(lam)
        loglam = math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = _u01_f64(mt, ctl) - 0.5
            v = _u01_f64(mt, ctl)
            us = 0.5 - abs(u)
            k = _as_int64(math.floor((2 * a / us + b) * u + lam + 0.43))
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b) <= \
                    -lam + k * loglam - math.lgamma(np.float64(k) + 1):
                return k
    if lam == 0:
        return np.int64(0)
    enlam = math.exp(-lam)
    x = np.int64(0)
    prod = 1.0
    while True:
        prod *= _u01_f64(mt, ctl)
        if prod > enlam:
            x += 1
        else:
            return x


@njit(cache=True)
def poisson(mt, ctl, rates, out):
    """out[i] = a Poisson draw of rate rates[i] (float64), element by element in order, as
    PyTorch's serial CPU kernel; the rates were checked to be >= 0."""
    for i in range(rates.size):
        out[i] = np.float64(_poisson_one(mt, ctl, rates[i]))
