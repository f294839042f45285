"""Diagonal construction: diag, diag_embed, diagflat (copies) and trace.

`diag_embed` writes the last dim of its input on the diagonal of two new dims (zeros
elsewhere); its backward reads that diagonal of the gradient back. `diag` of a matrix is a
copy of its diagonal (PyTorch's node: DiagonalBackward0_copy); `diagonal` itself, the view,
is in ops/views.py. trace sums ints in int64 and float16/bfloat16 in float32, as PyTorch does.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import linear_formula
from ..tensor import Tensor, _wrap, _wrap_dim
from ._reduce_util import _acc, _is_low_float, _type_name
from ._util import check_tensor, xp_of
from .registry import op
from .views import _diagonal_view, reshape


# ------------------------------------------------------------------ diag_embed
class DiagEmbed(ArrayFunction):
    """Zeros of the output shape with the input written along diagonal (offset, d1, d2)."""

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        a = x._data
        n = a.shape[-1] + abs(offset) if a.ndim else 1 + abs(offset)
        rest = list(a.shape[:-1])
        for d in sorted((d1, d2)):
            rest.insert(d, n)
        ctx.meta = (offset, d1, d2)
        out = xp_of(a).zeros(tuple(rest), a.dtype)
        _diagonal_view(out, offset, d1, d2)[...] = a
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        offset, d1, d2 = ctx.meta
        return _diagonal_view(g, offset, d1, d2).copy(), None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        offset, d1, d2 = ctx.meta
        return linear_formula(ctx, g, lambda t: DiagEmbed.apply(t, offset, d1, d2)), \
            None, None, None


@op("diag_embed", methods=("diag_embed",))
def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """A tensor whose diagonals (offset, dim1, dim2) hold the last dim of `input`, zeros
    elsewhere; the two new dims have size `input.size(-1) + abs(offset)`.

        >>> torch.diag_embed(torch.tensor([1, 2])).tolist()
        [[1, 0], [0, 2]]
    """
    check_tensor(input, "input", "diag_embed")
    ndim = input._data.ndim + 1
    d1, d2 = _wrap_dim(dim1, ndim), _wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return DiagEmbed.apply(input, _int_arg(offset, "diag_embed", "offset", 2), d1, d2)


def _int_arg(value, fn: str, arg: str, position: int) -> int:
    """`value` as a Python int; PyTorch's TypeError naming `arg` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be int, not "
                        f"{type(value).__name__}")
    return int(value)


# ------------------------------------------------------------------ diag / diagflat
class DiagCopy(ArrayFunction):
    """A copy of the diagonal `offset` of a matrix; backward writes it into zeros."""

    node_name = "DiagonalBackward0_copy"

    @staticmethod
    def forward(ctx, x, offset):
        ctx.meta = (x._data.shape, offset)
        return _wrap(_diagonal_view(x._data, offset, 0, 1).copy())

    @staticmethod
    def backward(ctx, g):
        shape, offset = ctx.meta
        z = xp_of(g).zeros(shape, g.dtype)
        _diagonal_view(z, offset, 0, 1)[...] = g
        return z, None

    @staticmethod
    def grad_formula(ctx, g):
        offset = ctx.meta[1]
        return linear_formula(ctx, g, lambda t: DiagCopy.apply(t, offset)), None


@op("diag", methods=("diag",))
def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-D input: a square matrix with `input` on diagonal `diagonal`; 2-D input: a copy of
    that diagonal, as a 1-D tensor.

        >>> torch.diag(torch.tensor([[1, 2], [3, 4]])).tolist()
        [1, 4]
    """
    check_tensor(input, "input", "diag")
    offset = _int_arg(diagonal, "diag", "diagonal", 2)
    ndim = input._data.ndim
    if ndim == 1:
        return DiagEmbed.apply(input, offset, 0, 1)
    if ndim == 2:
        return DiagCopy.apply(input, offset)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {ndim}D")


@op("diagflat", methods=("diagflat",))
def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """A square matrix with the elements of `input` (flattened) on diagonal `offset`."""
    check_tensor(input, "input", "diagflat")
    offset = _int_arg(offset, "diagflat", "offset", 2)
    return DiagEmbed.apply(reshape(input, -1), offset, 0, 1)


# ------------------------------------------------------------------ trace
class Trace(ArrayFunction):
    """The sum of a matrix's main diagonal; backward puts the gradient on that diagonal."""

    @staticmethod
    def forward(ctx, x, out_np):
        a = x._data
        ctx.meta = (a.shape, a.dtype)
        d = _diagonal_view(a, 0, 0, 1)
        if _is_low_float(out_np):
            return _wrap(_acc(d).sum().astype(out_np).reshape(()))
        return _wrap(xp_of(a).asarray(d.sum(dtype=out_np)).reshape(()))

    @staticmethod
    def backward(ctx, g):
        shape, dtype = ctx.meta
        z = xp_of(g).zeros(shape, dtype)
        _diagonal_view(z, 0, 0, 1)[...] = g
        return z, None

    @staticmethod
    def grad_formula(ctx, g):
        out_np = g._data.dtype
        return linear_formula(ctx, g, lambda t: Trace.apply(t, out_np)), None


@op("trace", methods=("trace",))
def trace(input: Tensor) -> Tensor:
    """The sum of the main diagonal of a 2-D tensor; integer input sums in int64.

        >>> torch.trace(torch.tensor([[1, 2], [3, 4]]))
        tensor(5)
    """
    check_tensor(input, "input", "trace")
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim "
                           f"{input._data.ndim}")
    dt = input.dtype
    if dt == _dt.bool:
        raise NotImplementedError(f"\"trace\" not implemented for '{_type_name(dt)}'")
    out = _dt.int64 if not dt.is_floating_point and not dt.is_complex else dt
    return Trace.apply(input, out.np)
