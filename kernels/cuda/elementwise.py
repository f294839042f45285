"""Launchers of elementwise.cu: the fused backward kernels of kernels/cpu/elementwise.py.

float32 and float64 as on the CPU, plus float16 and bfloat16 (computed in float32).
"""
from __future__ import annotations

from ._launch import WITH_HALF_TYPES, Family, check_same_shape, elementwise_config

__all__ = ["sigmoid_backward", "tanh_backward"]

KERNELS = Family("elementwise", """
    sigmoid_backward(const T* grad, const T* out, T* result, long long n)
    tanh_backward(const T* grad, const T* out, T* result, long long n)
""", dtypes=WITH_HALF_TYPES)


def _map(kernel: str, grad, out, result) -> None:
    check_same_shape(kernel, grad, out, result, flat=True)
    grid, block = elementwise_config(grad.size)
    KERNELS.launch(kernel, grid, block, grad, out, result, grad.size)


def sigmoid_backward(grad, out, result) -> None:
    """result = grad * out * (1 - out), the gradient of sigmoid through its output."""
    _map("sigmoid_backward", grad, out, result)


def tanh_backward(grad, out, result) -> None:
    """result = grad * (1 - out * out), the gradient of tanh through its output."""
    _map("tanh_backward", grad, out, result)
