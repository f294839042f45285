"""Window functions for spectral analysis (torch.stft's `window=`): hann_window,
hamming_window, blackman_window, bartlett_window and kaiser_window.

Each builds a 1-D float tensor of `window_length` values on the requested device, with
PyTorch's formulas. `periodic=True` (the default) gives the window for spectral analysis: the
symmetric window of length N + 1 without its last value. Lengths 0 and 1 give [] and [1.].
Values are computed in float64 and rounded once to the requested dtype: float32 and float64
windows agree with PyTorch's within a unit in the last place; float16 and bfloat16 ones within
a few (PyTorch rounds after each step of its formula in those dtypes).
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes as _dt
from ..array_backends import backend_for_device
from ..device import to_device
from ..tensor import Tensor, _wrap
from .inplace import _legacy_name
from .registry import op


def _window(name: str, window_length, periodic, dtype, device, requires_grad, values):
    """The window `values(xp, n)` (symmetric, of length n >= 2, float64) with PyTorch's
    checks, rounded once to `dtype`."""
    if isinstance(window_length, bool) or not isinstance(window_length, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not "
                        f"{type(window_length).__name__}")
    if not isinstance(periodic, (bool, np.bool_)):
        raise TypeError(f"{name}(): argument 'periodic' (position 2) must be bool, not "
                        f"{type(periodic).__name__}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={window_length}")
    dtype = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    if dtype.kind == 3:
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{_legacy_name(dtype)}'")
    if dtype.kind != 2:
        raise RuntimeError(f"{name} expects floating point dtypes, got: TensorOptions(dtype="
                           f"{dtype}, device={to_device(device) or 'cpu'})")
    xp = backend_for_device(to_device(device)).xp
    n = int(window_length)
    if n <= 1:
        out = xp.ones(n, dtype=dtype.np)
    else:
        length = n + 1 if periodic else n
        out = values(xp, length)[:n].astype(dtype.np)
    t = _wrap(out)
    return t.requires_grad_(True) if requires_grad else t


def _cosine_sum(xp, n: int, coefficients):
    """sum_k (-1)^k a_k cos(2 pi k i / (n - 1)): the generalized cosine window."""
    phase = xp.arange(n, dtype=np.float64) * (2 * math.pi / (n - 1))
    return sum(((-1) ** k) * a * xp.cos(k * phase) for k, a in enumerate(coefficients))


@op("hann_window")
def hann_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None,
                device=None, pin_memory=False, requires_grad=False) -> Tensor:
    """The Hann window, 0.5 - 0.5 cos(2 pi i / (N - 1)).

        >>> torch.hann_window(4)
        tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda xp, n: _cosine_sum(xp, n, (0.5, 0.5)))


@op("hamming_window")
def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype=None, layout=None, device=None,
                   pin_memory=False, requires_grad=False) -> Tensor:
    """The Hamming window, alpha - beta cos(2 pi i / (N - 1))."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda xp, n: _cosine_sum(xp, n, (float(alpha), float(beta))))


@op("blackman_window")
def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None,
                    device=None, pin_memory=False, requires_grad=False) -> Tensor:
    """The Blackman window, 0.42 - 0.5 cos(2 pi i / (N - 1)) + 0.08 cos(4 pi i / (N - 1))."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   lambda xp, n: _cosine_sum(xp, n, (0.42, 0.5, 0.08)))


def _bartlett(xp, n: int):
    """Rises as 2 i / (n - 1) to 1, then falls as 2 - 2 i / (n - 1)."""
    ramp = xp.arange(n, dtype=np.float64) * (2.0 / (n - 1))
    return xp.where(ramp <= 1.0, ramp, 2.0 - ramp)


@op("bartlett_window")
def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None,
                    device=None, pin_memory=False, requires_grad=False) -> Tensor:
    """The Bartlett (triangular) window: rises from 0 to 1 and falls back to 0."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   _bartlett)


def _kaiser(beta: float):
    """I0(beta sqrt(1 - ((i - a) / a)^2)) / I0(beta), a = (n - 1) / 2."""
    def values(xp, n: int):
        half = (n - 1) / 2.0
        ratio = (xp.arange(n, dtype=np.float64) - half) / half
        root = xp.sqrt(xp.abs(1.0 - ratio * ratio))
        return xp.i0(beta * root) / float(np.i0(beta))
    return values


@op("kaiser_window")
def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *,
                  dtype=None, layout=None, device=None, pin_memory=False,
                  requires_grad=False) -> Tensor:
    """The Kaiser window, I0(beta sqrt(1 - (2i / (N - 1) - 1)^2)) / I0(beta)."""
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   _kaiser(float(beta)))
