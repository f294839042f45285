"""Activation kernels: elementwise forward/backward formulas and row-wise softmax.

Each elementwise activation has a scalar formula (`_gelu`, `_gelu_grad`, ...) inlined into a
parallel loop over a flat (1-D, contiguous) array, so forward is one pass and backward is one
pass that reads the saved input and the gradient together (numpy would need 3 to 6 passes and
temporaries). Softmax kernels work on the rows of a C-contiguous 2-D array (the last dim of the
tensor): one row stays in cache while its max, its exponentials and their sum are computed.

float32 arrays compute in float32 with the vectorizable math of _fastmath.py (loops over
unsigned indices, so Numba drops negative-index checks and LLVM emits SIMD code; row sums are
SIMD reductions in float64 through the helpers of _fastmath.py); float64 arrays compute in
float64 with the C library. Scalar parameters must arrive as numpy scalars of the array's dtype
(a Python float would turn float32 arithmetic into float64). Contract: `out` preallocated with
the input's shape and dtype. Nothing here knows Tensor or autograd.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange, types
from numba.extending import overload

from ._fastmath import (FAST, exp_fast, expm1_fast, like, log1p_fast, normal_cdf_pdf, row_dot,
                        row_max, row_sum, sum_exp)
from ._variants import parallel_kernel

__all__ = ["gelu_fwd", "gelu_bwd", "silu_fwd", "silu_bwd", "elu_fwd", "elu_bwd",
           "softplus_fwd", "softplus_bwd", "leaky_relu_fwd", "leaky_relu_bwd",
           "softmax_fwd", "softmax_bwd", "log_softmax_fwd", "log_softmax_bwd"]

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_K_TANH = math.sqrt(2.0 / math.pi)
_C_TANH = 0.044715


# ------------------------------------------------------------------ scalar formulas
def _consts(x):
    """Python stand-in; inside kernels: the constants below in x's own float type."""


@overload(_consts, inline="always")
def _consts_impl(x):
    if x == types.float32:
        c = tuple(np.float32(v) for v in (0.5, 1.0, 2.0, _SQRT1_2, _INV_SQRT_2PI, _K_TANH,
                                           _C_TANH, 3.0))
    else:
        c = (0.5, 1.0, 2.0, _SQRT1_2, _INV_SQRT_2PI, _K_TANH, _C_TANH, 3.0)
    return lambda x: c


def _inf_gives_nan(x):
    """Python stand-in; inside kernels: whether PyTorch's vectorised CPU GELU of x's type
    turns +inf into NaN (float32 does; float64 gives inf)."""


@overload(_inf_gives_nan, inline="always")
def _inf_gives_nan_impl(x):
    flag = x == types.float32
    return lambda x: flag


@njit(cache=True, error_model="numpy", inline="always")
def _gelu(x, tanh_approx):
    half, one, two, s12, isq, k, c, three = _consts(x)
    if tanh_approx:   # 0.5 x (1 + tanh(u)) = x sigmoid(2u): no cancellation for x < 0
        return x / (one + exp_fast(-two * k * (x + c * x * x * x)))
    if _inf_gives_nan(x) and x == np.inf:   # as PyTorch's vectorised loop over >= 2 values
        return x - x
    return x * normal_cdf_pdf(x)[0]


@njit(cache=True, error_model="numpy", inline="always")
def _gelu_grad(x, tanh_approx):
    half, one, two, s12, isq, k, c, three = _consts(x)
    if tanh_approx:   # d/dx x s(2u) = s + 2 x u' s (1 - s), s = 1 / (1 + e), e = e^{-2u}
        e = exp_fast(-two * k * (x + c * x * x * x))
        s = one / (one + e)
        one_minus_s = one - s if s < half else e * s   # no cancellation when s is near 1
        return s + two * x * s * one_minus_s * k * (one + three * c * x * x)
    cdf, pdf = normal_cdf_pdf(x)
    return cdf + x * pdf


@njit(cache=True, error_model="numpy", inline="always")
def _sigmoid(x):
    one = _consts(x)[1]
    return one / (one + exp_fast(-x))


# ------------------------------------------------------------------ elementwise kernels
@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def gelu_fwd(x, out, tanh_approx):
    for i in prange(np.uint64(x.size)):
        out[i] = _gelu(x[i], tanh_approx)


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def gelu_bwd(x, g, out, tanh_approx):
    for i in prange(np.uint64(x.size)):
        out[i] = g[i] * _gelu_grad(x[i], tanh_approx)


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def silu_fwd(x, out):
    for i in prange(np.uint64(x.size)):
        out[i] = x[i] * _sigmoid(x[i])


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def silu_bwd(x, g, out):
    for i in prange(np.uint64(x.size)):
        v = x[i]
        s = _sigmoid(v)
        one = _consts(v)[1]
        out[i] = g[i] * s * (one + v * (one - s))


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def elu_fwd(x, out, alpha):
    for i in prange(np.uint64(x.size)):
        v = x[i]
        out[i] = v if v > 0 else alpha * expm1_fast(v)


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def elu_bwd(x, g, out, alpha):
    for i in prange(np.uint64(x.size)):
        v = x[i]
        out[i] = g[i] * alpha * exp_fast(v) if v <= 0 else g[i]   # NaN: g (PyTorch)


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def softplus_fwd(x, out, beta, threshold):
    for i in prange(np.uint64(x.size)):
        v = x[i]
        out[i] = v if v * beta > threshold else log1p_fast(exp_fast(v * beta)) / beta


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def softplus_bwd(x, g, out, beta, threshold):
    for i in prange(np.uint64(x.size)):
        v = x[i]
        z = exp_fast(v * beta)   # PyTorch's z / (z + 1)
        out[i] = g[i] if v * beta > threshold else g[i] * z / (z + _consts(v)[1])


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def leaky_relu_fwd(x, out, slope):
    for i in prange(np.uint64(x.size)):
        v = x[i]
        out[i] = v if v > 0 else v * slope


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def leaky_relu_bwd(x, g, out, slope):
    for i in prange(np.uint64(x.size)):
        out[i] = g[i] if x[i] > 0 else g[i] * slope


# ------------------------------------------------------------------ softmax over rows
@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def softmax_fwd(x, out):
    """out[i] = exp(x[i] - max) / sum(exp(x[i] - max)) for each row i of a 2-D array."""
    n, c = x.shape
    for i in prange(n):
        row = x[i]
        dst = out[i]
        m = row_max(row)
        for j in range(np.uint64(c)):
            dst[j] = exp_fast(row[j] - m)
        inv = like(m, 1.0 / row_sum(dst))
        for j in range(np.uint64(c)):
            dst[j] *= inv


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def log_softmax_fwd(x, out):
    """out[i] = (x[i] - max) - log(sum(exp(x[i] - max))) for each row i."""
    n, c = x.shape
    for i in prange(n):
        row = x[i]
        dst = out[i]
        m = row_max(row)
        log_s = like(m, math.log(sum_exp(row, m)))
        for j in range(np.uint64(c)):
            dst[j] = (row[j] - m) - log_s   # x - m first: exact when x is close to m


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def softmax_bwd(g, y, out):
    """Gradient of softmax given its output y: y * (g - sum(g * y)) per row."""
    n, c = y.shape
    for i in prange(n):
        gi, yi, dst = g[i], y[i], out[i]
        d = like(gi[0], row_dot(gi, yi))
        for j in range(np.uint64(c)):
            dst[j] = yi[j] * (gi[j] - d)


@parallel_kernel(globals(), fastmath=FAST, error_model="numpy")
def log_softmax_bwd(g, y, out):
    """Gradient of log_softmax given its output y: g - exp(y) * sum(g) per row."""
    n, c = y.shape
    for i in prange(n):
        gi, yi, dst = g[i], y[i], out[i]
        t = like(gi[0], row_sum(gi))
        for j in range(np.uint64(c)):
            dst[j] = gi[j] - exp_fast(yi[j]) * t
