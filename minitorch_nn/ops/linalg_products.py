"""torch.linalg products: matrix_power, cross, multi_dot, vecdot (and torch.matrix_power,
torch.cross, linalg.diagonal).

matrix_power, multi_dot and vecdot are compositions of matmul / mul / sum, as in PyTorch (so
their graph nodes are PyTorch's: MmBackward0, SumBackward1, ...); cross has its own node.
"""
from __future__ import annotations

import numpy as np

from .._user_warning import warn_user
from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap, _wrap_dim
from ._linalg_common import require_float, require_matrix
from ._reduce_util import _type_name
from ._util import check_tensor, sum_to_shape, xp_of
from .broadcast_error import broadcast_error
from .registry import lookup, op


# ============================================================================ matrix_power
class MatrixPowerZero(ArrayFunction):
    """A^0: identity matrices (their gradient is zero), named as PyTorch's copy node."""

    node_name = "torch::autograd::CopyBackwards"

    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a._data)
        n = a._data.shape[-1]
        eye = xp.eye(n, dtype=a._data.dtype)
        return _wrap(xp.ascontiguousarray(xp.broadcast_to(eye, a._data.shape)))

    @staticmethod
    def backward(ctx, g):
        return xp_of(g).zeros_like(g)

    @staticmethod
    def grad_formula(ctx, g):   # a constant zero: every higher derivative is zero too
        return g.new_zeros(tuple(g.shape))


def _matrix_power(A: Tensor, n, fn: str) -> Tensor:
    from .products import matmul, mm
    inv = lookup("linalg.inv").fn         # linalg_functions imports this module
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{fn}(): argument 'n' (position 2) must be int, not "
                        f"{type(n).__name__}")
    require_matrix(A, "linalg.matrix_power", square=True)
    n = int(n)
    prod = mm if A.dim() == 2 else matmul  # PyTorch's nodes: MmBackward0 for matrices
    if n == 0:
        return MatrixPowerZero.apply(A)
    if n < 0:
        A, n = inv(A), -n
    if n == 1:
        return A.clone()
    if n == 2:
        return prod(A, A)
    if n == 3:
        return prod(prod(A, A), A)
    z = result = None                      # PyTorch's binary decomposition of n
    while n > 0:
        bit, n = n % 2, n // 2
        z = A if z is None else prod(z, z)
        if bit:
            result = z if result is None else prod(result, z)
    return result


@op("matrix_power", namespace="linalg")
def linalg_matrix_power(A: Tensor, n: int) -> Tensor:
    """A^n for each square matrix (n < 0: the inverse's power) by repeated squaring."""
    check_tensor(A, "A", "linalg_matrix_power")
    return _matrix_power(A, n, "linalg_matrix_power")


@op("matrix_power", methods=("matrix_power",))
def matrix_power(input: Tensor, n: int) -> Tensor:
    """`torch.matrix_power`: the same as `torch.linalg.matrix_power`."""
    check_tensor(input, "input", "matrix_power")
    return _matrix_power(input, n, "matrix_power")


# ============================================================================ cross
def _cross_arrays(a, b, d: int):
    xp = xp_of(a)
    a0, a1, a2 = (xp.take(a, i, axis=d) for i in range(3))
    b0, b1, b2 = (xp.take(b, i, axis=d) for i in range(3))
    return xp.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=d)


class LinalgCross(ArrayFunction):
    """a x b along `dim`; g_a = conj(b) x g, g_b = g x conj(a)."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, a, b, d):
        ctx.save_for_backward(a, b)
        ctx.d = d
        xp = xp_of(a._data)
        shape = np.broadcast_shapes(a._data.shape, b._data.shape)
        return _wrap(_cross_arrays(xp.broadcast_to(a._data, shape),
                                   xp.broadcast_to(b._data, shape), d))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        d = ctx.d
        ga = sum_to_shape(_cross_arrays(b._data.conj(), g, d), a._data.shape)
        gb = sum_to_shape(_cross_arrays(g, a._data.conj(), d), b._data.shape)
        return ga, gb, None

    @staticmethod
    def grad_formula(ctx, g):
        from ..autograd.higher_order import sum_to
        a, b = ctx.saved_tensors
        d = ctx.d
        ca = a.conj() if a.is_complex() else a
        cb = b.conj() if b.is_complex() else b
        ga = sum_to(LinalgCross.apply(cb, g, d), tuple(a.shape)) if ctx.needs_input_grad[0] \
            else None
        gb = sum_to(LinalgCross.apply(g, ca, d), tuple(b.shape)) if ctx.needs_input_grad[1] \
            else None
        return ga, gb, None


def _cross(input: Tensor, other: Tensor, dim: int) -> Tensor:
    if input.dtype != other.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(input.dtype)} but found "
                           f"{_type_name(other.dtype)}")
    if input.dtype is _dt.bool:
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    if input.dim() != other.dim():
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = _wrap_dim(dim, input.dim())
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[d]} and {other.shape[d]}")
    try:
        np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
    except ValueError:
        for i, (p, q) in enumerate(zip(input.shape, other.shape)):
            if p != q and p != 1 and q != 1:
                raise broadcast_error(input.shape, other.shape, i) from None
    return LinalgCross.apply(input, other, d)


@op("cross", namespace="linalg")
def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The 3-D cross product along `dim` (the inputs broadcast; both need length 3 there)."""
    check_tensor(input, "input", "linalg_cross")
    check_tensor(other, "other", "linalg_cross", 2)
    return _cross(input, other, dim)


@op("cross", methods=("cross",))
def cross(input: Tensor, other: Tensor, dim=None) -> Tensor:
    """`torch.cross`: dim=None (deprecated, with PyTorch's warning) takes the first dim of
    length 3 of `input`."""
    check_tensor(input, "input", "cross")
    check_tensor(other, "other", "cross", 2)
    if dim is None:
        warn_user("Using torch.cross without specifying the dim arg is deprecated.\n"
                  "Please either pass the dim explicitly or simply use "
                  "torch.linalg.cross.\nThe default value of dim will change to agree "
                  "with that of linalg.cross in a future release.", UserWarning)
        sizes = list(input.shape)
        if 3 not in sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes.index(3)
    return _cross(input, other, dim)


# ============================================================================ multi_dot
def _chain_order(dims):
    """The cheapest parenthesisation of a matrix chain (classic O(n^3) dynamic program):
    split[i][j] is where the product of matrices i..j is split."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(mats, split, i, j):
    from .products import matmul
    if i == j:
        return mats[i]
    k = split[i][j]
    return matmul(_chain(mats, split, i, k), _chain(mats, split, k + 1, j))


def _check_multi_dot(tensors) -> None:
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    for i, t in enumerate(tensors):
        d = t.dim()
        if i == 0 and d not in (1, 2):
            raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {d}D")
        if i == n - 1 and i and d not in (1, 2):
            raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {d}D")
        if 0 < i < n - 1 and d != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {d}D")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but "
                               f"tensor 0 is {_c10_name(tensors[0].dtype)} and tensor {i} "
                               f"{_c10_name(t.dtype)}")


def _c10_name(d) -> str:
    """The C++ scalar type name PyTorch's multi_dot message prints (float, double, c10::Half)."""
    name = _type_name(d)
    return f"c10::{name}" if name in ("Half", "BFloat16") else \
        {"ComplexFloat": "c10::complex<float>", "ComplexDouble": "c10::complex<double>",
         "Byte": "unsigned char", "Char": "signed char", "Short": "short",
         "Int": "int", "Long": "long int"}.get(name, name.lower())


@op("multi_dot", namespace="linalg")
def multi_dot(tensors) -> Tensor:
    """The product of a chain of matrices in the cheapest order (the first may be a row
    vector, the last a column vector: 1-D)."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)) \
            or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"linalg_multi_dot(): argument 'tensors' (position 1) must be tuple of "
                        f"Tensors, not {type(tensors).__name__}")
    tensors = list(tensors)
    _check_multi_dot(tensors)
    first_vec, last_vec = tensors[0].dim() == 1, tensors[-1].dim() == 1
    mats = list(tensors)
    if first_vec:
        mats[0] = mats[0].unsqueeze(0)
    if last_vec:
        mats[-1] = mats[-1].unsqueeze(-1)
    for i in range(len(mats) - 1):
        if mats[i].shape[-1] != mats[i + 1].shape[0]:
            a, b = list(mats[i].shape), list(mats[i + 1].shape)
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {a} and {b} "
                               "cannot be multiplied")
    dims = [m.shape[0] for m in mats] + [mats[-1].shape[1]]
    out = _chain(mats, _chain_order(dims), 0, len(mats) - 1)
    shape = ([] if first_vec else [out.shape[0]]) + ([] if last_vec else [out.shape[1]])
    return out.view(*shape) if shape else out.view(())


# ============================================================================ vecdot
@op("vecdot", namespace="linalg")
def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """sum(conj(x) * y) along `dim` (the inputs broadcast)."""
    check_tensor(x, "x", "linalg_vecdot")
    check_tensor(y, "y", "linalg_vecdot", 2)
    require_float(x, "linalg.vecdot")
    if x.dtype != y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found "
                           f"x of type {_type_name(x.dtype)} and y of type "
                           f"{_type_name(y.dtype)} instead")
    left = x.conj() if x.is_complex() else x
    return (left * y).sum(dim)


# ============================================================================ diagonal
@op("diagonal", namespace="linalg")
def linalg_diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """`torch.linalg.diagonal`: the diagonals of the matrices of a batch (a view)."""
    from .views import diagonal
    check_tensor(A, "A", "linalg_diagonal")
    return diagonal(A, offset, dim1, dim2)
