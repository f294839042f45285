"""torch.linalg norms: vector_norm, matrix_norm and norm (which picks one of the two).

vector_norm is norms.py's LinalgVectorNorm (one node, PyTorch's subgradients). matrix_norm
is composed as PyTorch composes it, so its graph and subgradients are PyTorch's: 'fro' is the
vector 2-norm of the two dims, 1 / inf the amax of column / row sums of |A| (-1 / -inf: amin),
2 / -2 the amax / amin of the singular values and 'nuc' their sum.
"""
from __future__ import annotations

import math
import numbers

from .. import dtypes as _dt
from ..tensor import Tensor, _wrap_dim
from ._linalg_common import require_float
from ._reduce_util import _type_name
from ._util import check_tensor
from .norms import _norm_dtype, _vector_norm
from .registry import op


def _no_out(out, fn: str) -> None:
    if out is not None:
        raise TypeError(f"{fn}(): the out= argument is not supported by minitorch_nn")


def _check_ord_number(ord, fn: str) -> float:
    if isinstance(ord, Tensor):
        ord = ord.item()
    if isinstance(ord, bool) or not isinstance(ord, numbers.Real):
        raise TypeError(f"{fn}(): argument 'ord' (position 2) must be Number, not "
                        f"{type(ord).__name__}")
    return float(ord)


@op("vector_norm", namespace="linalg")
def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None,
                out=None) -> Tensor:
    """The vector `ord`-norm of `x` over `dim` (all elements when None): any real ord, inf,
    -inf and 0 (the count of nonzeros)."""
    check_tensor(x, "x", "linalg_vector_norm")
    _no_out(out, "linalg_vector_norm")
    p = _check_ord_number(ord, "linalg_vector_norm")
    if isinstance(dim, list):
        dim = tuple(dim)
    return _vector_norm(x, p, dim, keepdim, dtype)


def _matrix_dims(dim, ndim: int):
    if not isinstance(dim, (tuple, list)) or \
            not all(isinstance(d, numbers.Integral) for d in dim):
        raise TypeError("linalg_matrix_norm(): argument 'dim' must be tuple of ints, not "
                        f"{type(dim).__name__}")
    if len(dim) != 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                           + " ".join(str(d) for d in dim))
    d0, d1 = (_wrap_dim(int(d), ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    return d0, d1


def _svd_norm(A: Tensor, ord, d0: int, d1: int, keepdim: bool) -> Tensor:
    """max / min / sum of the singular values of the matrices spanned by (d0, d1)."""
    from .decompositions import svdvals
    if A.dtype in (_dt.float16, _dt.bfloat16):
        raise RuntimeError(f"linalg.matrix_norm: Low precision dtypes not supported. Got "
                           f"{_type_name(A.dtype)}")
    s = svdvals(A.movedim((d0, d1), (-2, -1)))
    out = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord > 0 else s.amin(-1)
    if keepdim:
        for d in sorted((d0, d1)):
            out = out.unsqueeze(d)
    return out


@op("matrix_norm", namespace="linalg")
def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None,
                out=None) -> Tensor:
    """The matrix norm of the matrices spanned by `dim`: 'fro', 'nuc', inf, -inf, 1, -1,
    2, -2 (largest / smallest singular value)."""
    fn = "linalg.matrix_norm"
    check_tensor(A, "A", "linalg_matrix_norm")
    _no_out(out, "linalg_matrix_norm")
    if A.dim() < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    require_float(A, fn)
    d0, d1 = _matrix_dims(dim, A.dim())
    if dtype is not None:
        _norm_dtype(A, dtype, fn)
        A = A.to(dtype)
    if isinstance(ord, str):
        if ord == "fro":
            return _vector_norm(A, 2.0, (d0, d1), keepdim, None)
        if ord != "nuc":
            raise RuntimeError(f"{fn}: Order {ord} not supported.")
    else:
        ord = _check_ord_number(ord, "linalg_matrix_norm")
        if abs(ord) not in (1.0, 2.0, math.inf):
            raise RuntimeError(f"{fn}: Order {_ord_text(ord)} not supported.")
    if A.numel() == 0 and (ord == "nuc" or ord > 0):    # PyTorch: 0; -ord: amin's error
        return _vector_norm(A, 2.0, (d0, d1), keepdim, None)
    if ord == "nuc" or abs(ord) == 2:
        return _svd_norm(A, ord, d0, d1, keepdim)
    if math.isinf(ord):
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:
        d1 -= 1
    sums = _vector_norm(A, 1.0, (d0,), keepdim, None)
    return sums.amax(d1, keepdim) if ord > 0 else sums.amin(d1, keepdim)


def _ord_text(ord: float) -> str:
    return str(int(ord)) if ord.is_integer() else str(ord)


@op("norm", namespace="linalg")
def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, out=None,
         dtype=None) -> Tensor:
    """A vector norm (dim an int or 1-tuple, or a 1-D input) or a matrix norm (dim a 2-tuple,
    a 2-D input with an `ord`, or a string `ord`); without ord and dim: the 2-norm of all
    elements."""
    check_tensor(A, "A", "linalg_norm")
    _no_out(out, "linalg_norm")
    if dim is not None:
        dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
        if len(dims) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or "
                               f"2. Got {list(dims)}")
        if len(dims) == 2 or isinstance(ord, str):
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.dim() not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                           f"be 1D or 2D. Got {A.dim()}D.")
    if A.dim() == 2 or isinstance(ord, str):
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, ord, None, keepdim, dtype=dtype)
