"""Activation kernels: elementwise forward/backward formulas and row-wise softmax.

Each elementwise activation has a scalar formula (`_gelu`, `_gelu_grad`, ...) inlined into a
parallel loop over a flat (1-D, contiguous) array, so forward is one pass and backward is one
pass that reads the gradient and the saved input together (numpy would need 3 to 6 passes and
temporaries). Softmax kernels work on the rows of a C-contiguous 2-D array (the last dim of the
tensor): one row stays in cache while its max, its exponentials and their sum are computed.

Contract: float32 or float64 arrays, `out` preallocated with the input's shape and dtype;
scalar parameters are Python floats. Nothing here knows Tensor or autograd.
"""
from __future__ import annotations

import math

from numba import njit, prange

from ._variants import parallel_kernel

__all__ = ["gelu_fwd", "gelu_bwd", "silu_fwd", "silu_bwd", "elu_fwd", "elu_bwd",
           "softplus_fwd", "softplus_bwd", "leaky_relu_fwd", "leaky_relu_bwd",
           "softmax_fwd", "softmax_bwd", "log_softmax_fwd", "log_softmax_bwd"]

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_K_TANH = math.sqrt(2.0 / math.pi)
_C_TANH = 0.044715


# ------------------------------------------------------------------ scalar formulas
@njit(cache=True, inline="always")
def _gelu(x, tanh_approx):
    if tanh_approx:
        return 0.5 * x * (1.0 + math.tanh(_K_TANH * (x + _C_TANH * x * x * x)))
    return 0.5 * x * (1.0 + math.erf(x * _SQRT1_2))


@njit(cache=True, inline="always")
def _gelu_grad(x, tanh_approx):
    if tanh_approx:
        t = math.tanh(_K_TANH * (x + _C_TANH * x * x * x))
        dt = _K_TANH * (1.0 + 3.0 * _C_TANH * x * x)
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * dt
    return 0.5 * (1.0 + math.erf(x * _SQRT1_2)) + x * _INV_SQRT_2PI * math.exp(-0.5 * x * x)


@njit(cache=True, inline="always")
def _sigmoid(x):
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


# ------------------------------------------------------------------ elementwise kernels
@parallel_kernel(globals())
def gelu_fwd(x, out, tanh_approx):
    for i in prange(x.size):
        out[i] = _gelu(x[i], tanh_approx)


@parallel_kernel(globals())
def gelu_bwd(x, g, out, tanh_approx):
    for i in prange(x.size):
        out[i] = g[i] * _gelu_grad(x[i], tanh_approx)


@parallel_kernel(globals())
def silu_fwd(x, out):
    for i in prange(x.size):
        out[i] = x[i] * _sigmoid(x[i])


@parallel_kernel(globals())
def silu_bwd(x, g, out):
    for i in prange(x.size):
        s = _sigmoid(x[i])
        out[i] = g[i] * s * (1.0 + x[i] * (1.0 - s))


@parallel_kernel(globals())
def elu_fwd(x, out, alpha):
    for i in prange(x.size):
        v = x[i]
        out[i] = v if v > 0.0 else alpha * math.expm1(v)


@parallel_kernel(globals())
def elu_bwd(x, g, out, alpha):
    for i in prange(x.size):
        v = x[i]
        out[i] = g[i] if v > 0.0 else g[i] * alpha * math.exp(v)


@parallel_kernel(globals())
def softplus_fwd(x, out, beta, threshold):
    for i in prange(x.size):
        v = x[i]
        out[i] = v if v * beta > threshold else math.log1p(math.exp(v * beta)) / beta


@parallel_kernel(globals())
def softplus_bwd(x, g, out, beta, threshold):
    for i in prange(x.size):
        v = x[i]
        out[i] = g[i] if v * beta > threshold else g[i] * _sigmoid(v * beta)


@parallel_kernel(globals())
def leaky_relu_fwd(x, out, slope):
    for i in prange(x.size):
        v = x[i]
        out[i] = v if v > 0.0 else v * slope


@parallel_kernel(globals())
def leaky_relu_bwd(x, g, out, slope):
    for i in prange(x.size):
        out[i] = g[i] if x[i] > 0.0 else g[i] * slope


# ------------------------------------------------------------------ softmax over rows
@parallel_kernel(globals())
def softmax_fwd(x, out):
    """out[i] = exp(x[i] - max) / sum(exp(x[i] - max)) for each row i of a 2-D array."""
    n, c = x.shape
    for i in prange(n):
        m = x[i, 0]
        for j in range(1, c):
            if x[i, j] > m:
                m = x[i, j]
        s = 0.0
        for j in range(c):
            e = math.exp(x[i, j] - m)
            out[i, j] = e
            s += e
        inv = 1.0 / s
        for j in range(c):
            out[i, j] *= inv


@parallel_kernel(globals())
def log_softmax_fwd(x, out):
    """out[i] = x[i] - max - log(sum(exp(x[i] - max))) for each row i."""
    n, c = x.shape
    for i in prange(n):
        m = x[i, 0]
        for j in range(1, c):
            if x[i, j] > m:
                m = x[i, j]
        s = 0.0
        for j in range(c):
            s += math.exp(x[i, j] - m)
        shift = m + math.log(s)
        for j in range(c):
            out[i, j] = x[i, j] - shift


@parallel_kernel(globals())
def softmax_bwd(g, y, out):
    """Gradient of softmax given its output y: y * (g - sum(g * y)) per row."""
    n, c = y.shape
    for i in prange(n):
        dot = 0.0
        for j in range(c):
            dot += g[i, j] * y[i, j]
        for j in range(c):
            out[i, j] = y[i, j] * (g[i, j] - dot)


@parallel_kernel(globals())
def log_softmax_bwd(g, y, out):
    """Gradient of log_softmax given its output y: g - exp(y) * sum(g) per row."""
    n, c = y.shape
    for i in prange(n):
        total = 0.0
        for j in range(c):
            total += g[i, j]
        for j in range(c):
            out[i, j] = g[i, j] - math.exp(y[i, j]) * total
