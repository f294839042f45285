"""Array helpers of the special-function ops (ops/special_functions.py, special_namespace.py):
running a kernel of kernels/cpu/special.py on a tensor's array, the input checks and dtypes,
and the chain rule of one-input elementwise functions."""
from __future__ import annotations

import importlib

import numpy as np

from ..array_backends import backend_of
from ..tensor import Tensor
from ._nn_util import compute_array, kernel_for
from ._util import xp_of
from .elementwise import _float_array
from .inplace import _legacy_name

__all__ = ["special_array", "special_binary", "float_input", "chain"]

_CUPYX_NAMES = {"lgamma": "gammaln"}


def special_array(name: str, a, *params):
    """Kernel `name` of kernels/cpu/special.py applied to float array `a` (after `params`,
    as polygamma's n), in a's dtype: computed in float64 on the CPU, by cupyx.scipy.special
    on CuPy arrays (float16/bfloat16 in float32)."""
    if xp_of(a) is not np:
        return _special_on_device(name, a, params)
    a64 = np.asarray(a, dtype=np.float64)
    out = np.asarray(_cpu_kernel(a64, name)(*params, a64))
    return out.astype(a.dtype, copy=False)


def special_binary(name: str, x, y, dtype):
    """Two-argument kernel `name` (zeta) of float arrays or scalars x, y (one an array),
    broadcast, in `dtype`: as `special_array`."""
    xp = xp_of(y) if isinstance(x, np.generic) else xp_of(x)
    if xp is not np:
        fn = getattr(importlib.import_module("cupyx.scipy.special"), name, None)
        if fn is not None:
            return fn(x, y).astype(dtype, copy=False)
        backend = backend_of(y if isinstance(x, np.generic) else x)
        host = [a if isinstance(a, np.generic) else backend.to_host(a) for a in (x, y)]
        out = special_binary(name, *host, dtype)
        return backend.from_host(out, backend.device_of(y if isinstance(x, np.generic) else x))
    x64, y64 = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    out = np.asarray(_cpu_kernel(x64 if x64.ndim else y64, name)(x64, y64))
    return out.astype(dtype, copy=False)


def _cpu_kernel(a64, name: str):
    """The Numba ufunc `name` for a float64 numpy array: the CPU backend's, also where a test
    routes numpy arrays to another device's kernels (which have no special family)."""
    return kernel_for(a64, "special", name) or backend_of(a64).kernel("special", name)


def _special_on_device(name: str, a, params):
    """cupyx.scipy.special's `name` on a CuPy array; the CPU kernel (through the host) where
    CuPy has none (e.g. a CuPy without erfcx)."""
    try:
        fn = getattr(importlib.import_module("cupyx.scipy.special"),
                     _CUPYX_NAMES.get(name, name), None)
    except ImportError:   # pragma: no cover - CuPy without cupyx
        fn = None
    if fn is not None:
        xp, work = xp_of(a), compute_array(a)
        args = [xp.full(work.shape, p, dtype=work.dtype) for p in params]
        return fn(*args, work).astype(a.dtype, copy=False)
    backend = backend_of(a)
    host = special_array(name, backend.to_host(a), *params)
    return backend.from_host(host, backend.device_of(a))


def float_input(x: Tensor, kernel: str, *, half: bool = True):
    """x's array as a float array (integer/bool: the default float dtype); PyTorch's
    NotImplementedError for complex inputs (and half types when `half` is False)."""
    kind = x._data.dtype
    if kind.kind == "c" or (not half and kind.itemsize == 2 and kind.kind in "fV"):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_legacy_name(x.dtype)}\'')
    return _float_array(x)


def chain(g, x: Tensor, derivative, *saved: Tensor):
    """g * derivative(xp, x, *saved) computed in float (half types in float32), returned in
    x's dtype: the backward of a one-input elementwise op."""
    arrays = [compute_array(t._data) for t in (x, *saved)]
    xp = xp_of(arrays[0])
    return (compute_array(g) * derivative(xp, *arrays)).astype(x._data.dtype, copy=False)
