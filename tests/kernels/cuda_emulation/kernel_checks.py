"""Helpers of the emulated kernel tests: tolerances and CUDA-vs-Numba side-by-side runs."""
from __future__ import annotations

import importlib

import numpy as np

TOL = {np.dtype("float32"): dict(rtol=2e-5, atol=2e-6),
       np.dtype("float64"): dict(rtol=1e-11, atol=1e-13)}
DTYPES = [np.float32, np.float64]


def assert_close(actual, expected, scale: float = 1.0, err_msg: str = "") -> None:
    """actual == expected within the tolerance of actual's dtype (times `scale`)."""
    tol = TOL[np.dtype(actual.dtype)]
    np.testing.assert_allclose(actual, expected, rtol=tol["rtol"] * scale,
                               atol=tol["atol"] * scale, err_msg=err_msg)


def kernels(family: str, name: str):
    """(cuda launcher, Numba kernel or None) named `name` in `family`."""
    cuda = getattr(importlib.import_module(f"minitorch_nn.kernels.cuda.{family}"), name)
    try:
        cpu = getattr(importlib.import_module(f"minitorch_nn.kernels.cpu.{family}"), name)
    except (ImportError, AttributeError):
        cpu = None
    return cuda, cpu


def run_both(family: str, name: str, arrays: list, params: tuple = ()):
    """Run the CUDA launcher (emulated) and its Numba twin on copies of `arrays`.

    Returns (cuda_arrays, cpu_arrays or None): every array after the call, so outputs and
    in-place updates can be compared.
    """
    cuda, cpu = kernels(family, name)
    on_gpu = [a.copy() for a in arrays]
    cuda(*on_gpu, *params)
    if cpu is None:
        return on_gpu, None
    on_cpu = [a.copy() for a in arrays]
    cpu(*on_cpu, *params)
    return on_gpu, on_cpu
