"""Launchers of activation.cu: the functions of kernels/cpu/activation.py, on CuPy arrays.

Same names, arguments and contract as the Numba kernels (contiguous arrays, `out`
preallocated); the elementwise ones accept any shape (they run over `x.size` elements), the
softmax ones take 2-D (rows, cols) arrays. float32 and float64 as on the CPU, plus float16
and bfloat16, computed in float32 and rounded once per output element. relu, sigmoid and
tanh forward exist here only (numpy's ufuncs do them in one pass on the CPU).
"""
from __future__ import annotations

from ._launch import (WITH_HALF_TYPES, Family, check_same_shape, elementwise_config,
                      row_config)

__all__ = ["relu_fwd", "relu_bwd", "gelu_fwd", "gelu_bwd", "silu_fwd", "silu_bwd",
           "sigmoid_fwd", "tanh_fwd", "elu_fwd", "elu_bwd", "softplus_fwd", "softplus_bwd",
           "leaky_relu_fwd", "leaky_relu_bwd", "softmax_fwd", "softmax_bwd",
           "log_softmax_fwd", "log_softmax_bwd"]

KERNELS = Family("activation", """
    relu_fwd(const T* x, T* out, long long n)
    relu_bwd(const T* x, const T* g, T* out, long long n)
    gelu_fwd(const T* x, T* out, int tanh_approx, long long n)
    gelu_bwd(const T* x, const T* g, T* out, int tanh_approx, long long n)
    silu_fwd(const T* x, T* out, long long n)
    silu_bwd(const T* x, const T* g, T* out, long long n)
    sigmoid_fwd(const T* x, T* out, long long n)
    tanh_fwd(const T* x, T* out, long long n)
    elu_fwd(const T* x, T* out, A alpha, long long n)
    elu_bwd(const T* x, const T* g, T* out, A alpha, long long n)
    softplus_fwd(const T* x, T* out, A beta, A threshold, long long n)
    softplus_bwd(const T* x, const T* g, T* out, A beta, A threshold, long long n)
    leaky_relu_fwd(const T* x, T* out, A slope, long long n)
    leaky_relu_bwd(const T* x, const T* g, T* out, A slope, long long n)
    softmax_fwd(const T* x, T* out, long long rows, long long cols)
    log_softmax_fwd(const T* x, T* out, long long rows, long long cols)
    softmax_bwd(const T* g, const T* y, T* out, long long rows, long long cols)
    log_softmax_bwd(const T* g, const T* y, T* out, long long rows, long long cols)
""", dtypes=WITH_HALF_TYPES)


def _map(kernel: str, arrays: tuple, *params) -> None:
    """Launch an elementwise kernel over the arrays' elements (one size for all)."""
    check_same_shape(kernel, *arrays, flat=True)
    n = arrays[0].size
    grid, block = elementwise_config(n)
    KERNELS.launch(kernel, grid, block, *arrays, *params, n)


def _rows(kernel: str, *args) -> None:
    """Launch a row kernel over the (rows, cols) arrays `args`."""
    check_same_shape(kernel, *args)
    rows, cols = args[0].shape
    grid, block = row_config(rows, cols)
    KERNELS.launch(kernel, grid, block, *args, rows, cols)


def relu_fwd(x, out) -> None:
    _map("relu_fwd", (x, out))


def relu_bwd(x, g, out) -> None:
    _map("relu_bwd", (x, g, out))


def gelu_fwd(x, out, tanh_approx) -> None:
    _map("gelu_fwd", (x, out), bool(tanh_approx))


def gelu_bwd(x, g, out, tanh_approx) -> None:
    _map("gelu_bwd", (x, g, out), bool(tanh_approx))


def silu_fwd(x, out) -> None:
    _map("silu_fwd", (x, out))


def silu_bwd(x, g, out) -> None:
    _map("silu_bwd", (x, g, out))


def sigmoid_fwd(x, out) -> None:
    _map("sigmoid_fwd", (x, out))


def tanh_fwd(x, out) -> None:
    _map("tanh_fwd", (x, out))


def elu_fwd(x, out, alpha) -> None:
    _map("elu_fwd", (x, out), alpha)


def elu_bwd(x, g, out, alpha) -> None:
    _map("elu_bwd", (x, g, out), alpha)


def softplus_fwd(x, out, beta, threshold) -> None:
    _map("softplus_fwd", (x, out), beta, threshold)


def softplus_bwd(x, g, out, beta, threshold) -> None:
    _map("softplus_bwd", (x, g, out), beta, threshold)


def leaky_relu_fwd(x, out, slope) -> None:
    _map("leaky_relu_fwd", (x, out), slope)


def leaky_relu_bwd(x, g, out, slope) -> None:
    _map("leaky_relu_bwd", (x, g, out), slope)


def softmax_fwd(x, out) -> None:
    _rows("softmax_fwd", x, out)


def log_softmax_fwd(x, out) -> None:
    _rows("log_softmax_fwd", x, out)


def softmax_bwd(g, y, out) -> None:
    _rows("softmax_bwd", g, y, out)


def log_softmax_bwd(g, y, out) -> None:
    _rows("log_softmax_bwd", g, y, out)
