"""numpy's own BLAS matrix product, callable from inside Numba kernels (`sgemm`).

A recurrent layer alternates, step by step, a matrix product (W_hh @ h, BLAS) and the gate
arithmetic (a Numba kernel). Run from Python, each step pays for the interpreter, numpy's
dispatch and the temporaries between the two; kernels/cpu/recurrent_sequence.py runs a whole
sequence in one Numba call instead, and so needs the product from inside Numba. Numba's own
`np.dot` would need SciPy (not a dependency), so this module binds the product of the BLAS
numpy itself links: the same library, the same thread pool and the same numbers as `a @ b`.

numpy's wheels ship OpenBLAS built with 64-bit integers, exporting `cblas_sgemm` under a
prefixed, suffixed name (`scipy_cblas_sgemm64_` in numpy 2, `cblas_sgemm64_` in numpy 1.2x).
The library is opened (already loaded by numpy: the same copy), and its function's address
is registered with LLVM under one fixed name, `minitorch_cblas_sgemm`, which the kernels call:
their cached machine code stays valid whichever of the names the library used. Where no such
library is found (numpy built against another BLAS) `AVAILABLE` is False and the callers keep
their Python loop.

The kernels pass the arrays' addresses as 64-bit integers (the C calling convention passes a
pointer and an int64 alike), so the caller must check shapes and strides first: BLAS reads and
writes wherever it is told. `product` does, for C-contiguous 2-D float32 arrays.
"""
from __future__ import annotations

import ctypes

import numpy as np
from llvmlite import binding
from numba import njit, types
from numba.extending import overload

from ...array_backends.openblas import numpy_openblas

__all__ = ["AVAILABLE", "sgemm", "product"]

_NAMES = ("scipy_cblas_sgemm64_", "cblas_sgemm64_")   # numpy 2.x, numpy 1.2x wheels
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112          # CBLAS enum values


def _numpy_sgemm_address():
    """The address of cblas_sgemm (64-bit integers) in the OpenBLAS of numpy's wheel
    (array_backends/openblas.py finds it), or None."""
    lib = numpy_openblas()
    for name in _NAMES if lib is not None else ():
        fn = getattr(lib, name, None)
        if fn is not None:
            return ctypes.cast(fn, ctypes.c_void_p).value
    return None


_ADDRESS = _numpy_sgemm_address()
AVAILABLE = _ADDRESS is not None
if AVAILABLE:
    binding.add_symbol("minitorch_cblas_sgemm", _ADDRESS)

_I32, _I64, _F32 = types.int32, types.int64, types.float32
# cblas_sgemm(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
sgemm = types.ExternalFunction("minitorch_cblas_sgemm", types.void(
    _I32, _I32, _I32, _I64, _I64, _I64, _F32, _I64, _I64, _I64, _I64, _F32, _I64, _I64))


def _float32(x) -> bool:
    """Whether x is a float32 array (decided when the caller compiles)."""
    return x.dtype == np.float32


@overload(_float32)
def _float32_impl(x):
    answer = isinstance(x, types.Array) and x.dtype == types.float32
    return lambda x: answer


@njit(cache=True)
def _c_contiguous(x) -> bool:
    """Whether x (2-D) is laid out as C order: strides of dims of size 1 or arrays of size 0
    do not matter (numpy gives such dims any stride)."""
    rows, cols = x.shape
    if rows == 0 or cols == 0:
        return True
    return (cols == 1 or x.strides[1] == x.itemsize) and \
        (rows == 1 or x.strides[0] == x.itemsize * cols)


@njit(cache=True)
def product(a, b, out, transpose_a):
    """out (M, N) = op(a) @ b for C-contiguous float32 2-D arrays, op(a) = a or a.T; raises
    ValueError when an array is not float32 or not C-contiguous or the shapes do not agree
    (BLAS itself would read and write out of bounds)."""
    if not (_float32(a) and _float32(b) and _float32(out)):
        raise ValueError("product: every array must be float32")
    if not (_c_contiguous(a) and _c_contiguous(b) and _c_contiguous(out)):
        raise ValueError("product: every array must be C-contiguous")
    m, k = (a.shape[1], a.shape[0]) if transpose_a else (a.shape[0], a.shape[1])
    if b.shape[0] != k or out.shape[0] != m or out.shape[1] != b.shape[1]:
        raise ValueError("product: the shapes of a, b and out do not agree")
    n = b.shape[1]
    if m == 0 or n == 0:
        return
    if k == 0:
        out[:] = 0
        return
    sgemm(np.int32(_ROW_MAJOR), np.int32(_TRANS if transpose_a else _NO_TRANS),
          np.int32(_NO_TRANS), m, n, k, np.float32(1.0), a.ctypes.data, a.shape[1],
          b.ctypes.data, n, np.float32(0.0), out.ctypes.data, n)
