"""What the torch.linalg ops share: LinAlgError, PyTorch's input checks and messages, the
named-tuple results, and LAPACK's `info` codes computed in array code.

numpy raises `numpy.linalg.LinAlgError` (a ValueError) for singular or indefinite matrices,
CuPy returns NaNs; PyTorch raises `torch.linalg.LinAlgError` (a RuntimeError) naming the batch
element and LAPACK's `info`. So the ops compute with `xp.linalg`, and only when it fails (an
exception or a non-finite result) compute `info` themselves (`lu_info`, `cholesky_info`:
the same partial-pivoting elimination as LAPACK's getrf / potrf, vectorised over the batch).
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor, _wrap
from ._reduce_util import _type_name
from ._util import check_tensor, xp_of

__all__ = ["LinAlgError", "require_matrix", "require_float", "require_lapack_dtype",
           "lapack_call", "lu_info", "cholesky_info", "raise_info",
           "hermitian_from", "mH", "eps_of", "info_tensor"]


class LinAlgError(RuntimeError):
    """`torch.linalg.LinAlgError`: a matrix is singular or not positive-definite."""



def mH(a):
    """Conjugate transpose of the last two dims of a raw array."""
    a = a.swapaxes(-1, -2)
    return a.conj() if a.dtype.kind == "c" else a


def eps_of(np_dtype) -> float:
    return float(np.finfo(np_dtype).eps)


# ---------------------------------------------------------------------------- checks
def require_matrix(x: Tensor, fn: str, name: str = "A", square: bool = False,
                   argname: str = "A") -> None:
    """PyTorch's errors for inputs that are not (batches of square) matrices."""
    check_tensor(x, argname, fn.replace(".", "_"))
    if x.dim() < 2:
        raise RuntimeError(f"{fn}: The input tensor {name} must have at least 2 dimensions.")
    if square and x.shape[-2] != x.shape[-1]:
        raise RuntimeError(f"{fn}: {name} must be batches of square matrices, but they are "
                           f"{x.shape[-2]} by {x.shape[-1]} matrices")


def require_float(x: Tensor, fn: str) -> None:
    """PyTorch's error for an integer or bool input of a floating-point-only op."""
    if x.dtype.kind < 2:
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got "
                           f"{_type_name(x.dtype)}")


def _is_low(x: Tensor) -> bool:
    return x.dtype in (_dt.float16, _dt.bfloat16)


def require_lapack_dtype(x: Tensor, fn: str, kernel: str | None = None) -> None:
    """Float or complex, and not float16/bfloat16 (LAPACK has neither). `kernel` names the
    CPU kernel PyTorch's NotImplementedError names; without it, PyTorch's RuntimeError."""
    require_float(x, fn)
    if _is_low(x):
        if kernel:
            raise NotImplementedError(f'"{kernel}" not implemented for '
                                      f"'{_type_name(x.dtype)}'")
        raise RuntimeError(f"{fn}: Low precision dtypes not supported. Got "
                           f"{_type_name(x.dtype)}")


def require_kernel_dtype(x: Tensor, kernel: str) -> None:
    """PyTorch's NotImplementedError for a dtype its kernel `kernel` was not built for."""
    if x.dtype.kind < 2 or _is_low(x):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_type_name(x.dtype)}\'')


# ---------------------------------------------------------------------------- info codes
def lapack_call(fn, *arrays):
    """`fn(*arrays)`, or None where numpy reports a singular / indefinite matrix."""
    try:
        out = fn(*arrays)
    except np.linalg.LinAlgError:
        return None
    return out


def all_finite(*arrays) -> bool:
    return all(bool(xp_of(a).isfinite(a).all()) for a in arrays)


def lu_info(a):
    """LAPACK getrf's info for each matrix of `a` (..., n, n): 1 + the first column whose
    pivot is exactly zero after partial pivoting, or 0. Vectorised over the batch."""
    xp = xp_of(a)
    n = a.shape[-1]
    batch = a.shape[:-2]
    work = a.reshape((-1, n, n)).astype(xp.complex128 if a.dtype.kind == "c" else xp.float64)
    info = xp.zeros(work.shape[0], dtype=xp.int32)
    rows = xp.arange(work.shape[0])
    for k in range(n):
        p = xp.argmax(xp.abs(work[:, k:, k]), axis=1) + k
        top, piv_row = work[rows, k].copy(), work[rows, p].copy()
        work[rows, k], work[rows, p] = piv_row, top
        pivot = work[:, k, k]
        zero = pivot == 0
        info = xp.where((info == 0) & zero, k + 1, info).astype(xp.int32)
        factor = work[:, k + 1:, k] / xp.where(zero, 1, pivot)[:, None]
        factor = xp.where(zero[:, None], 0, factor)
        work[:, k + 1:, k + 1:] -= factor[:, :, None] * work[:, k, None, k + 1:]
    return info.reshape(batch)


def cholesky_info(a):
    """LAPACK potrf's info for each Hermitian matrix `a` (its lower triangle is read): the
    order of the first leading minor that is not positive-definite (NaN included), or 0."""
    xp = xp_of(a)
    n = a.shape[-1]
    batch = a.shape[:-2]
    work = a.reshape((-1, n, n)).astype(xp.complex128 if a.dtype.kind == "c" else xp.float64)
    low = xp.zeros_like(work)
    info = xp.zeros(work.shape[0], dtype=xp.int32)
    for j in range(n):
        row = low[:, j, :j]
        ajj = work[:, j, j].real - (xp.abs(row) ** 2).sum(axis=-1)
        bad = ~(ajj > 0)
        info = xp.where((info == 0) & bad, j + 1, info).astype(xp.int32)
        ljj = xp.sqrt(xp.where(info > 0, 1.0, ajj))
        low[:, j, j] = ljj
        below = work[:, j + 1:, j] - (low[:, j + 1:, :j] * row.conj()[:, None, :]).sum(-1)
        low[:, j + 1:, j] = below / ljj[:, None]
    return info.reshape(batch)


def raise_info(info, fn: str, message) -> None:
    """PyTorch's LinAlgError for the first nonzero `info` (the batch element named when the
    input is a batch); `message(code)` words it."""
    codes = np.asarray(info.get() if hasattr(info, "get") else info).reshape(-1)
    bad = np.flatnonzero(codes)
    if bad.size == 0:
        return
    first = int(bad[0])
    where = f"(Batch element {first}): " if np.ndim(info) > 0 else ""
    raise LinAlgError(f"{fn}: {where}{message(int(codes[first]))}")


def singular_message(code: int) -> str:
    return (f"The diagonal element {code} is zero, the inversion could not be completed "
            "because the input matrix is singular.")


def not_pd_message(code: int) -> str:
    return ("The factorization could not be completed because the input is not "
            f"positive-definite (the leading minor of order {code} is not positive-definite).")


def info_tensor(info, like) -> Tensor:
    """An int32 `info` result on the device of array `like`."""
    return _wrap(xp_of(like).asarray(info, dtype=np.int32))


def hermitian_from(a, lower: bool = True):
    """The Hermitian matrices whose lower (or upper) triangle is that of `a`: what LAPACK
    reads; any backend's eigh / cholesky then sees the same matrix."""
    xp = xp_of(a)
    tri = xp.tril(a, -1) if lower else xp.triu(a, 1)
    diag = xp.diagonal(a, axis1=-2, axis2=-1).real
    eye = xp.eye(a.shape[-1], dtype=a.dtype)
    return tri + mH(tri) + diag[..., None, :].astype(a.dtype) * eye
