"""Norms: `torch.norm` and `Tensor.norm` (vector p-norms, Frobenius, nuclear).

p=2 has gradient 0 at the zero vector, p=1 gives sign(x), p=inf splits the gradient over
ties (PyTorch's linalg_vector_norm_backward). float16/bfloat16 are computed in float32; a
complex input gives a real norm. Dims and error messages follow the conventions described in
reduction.py.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap, _wrap_dim
from ._reduce_util import _acc, _dims, _real_np, _require_float, _type_name, _unreduce, xp_of
from ._util import check_tensor
from .registry import lookup, method_of, op


# ====================================================================== norm
def _sgn(a):
    xp = xp_of(a)
    if a.dtype.kind == "c":
        mag = xp.abs(a)
        return xp.where(mag == 0, a.dtype.type(0), a / xp.where(mag == 0, 1, mag))
    return xp.sign(a)


def _vector_norm_array(ab, p: float, dims: tuple, keepdim: bool):
    """The p-norm of absolute values `ab` over `dims`."""
    xp = xp_of(ab)
    if p == 2:
        return xp.sqrt((ab * ab).sum(axis=dims, keepdims=keepdim))
    if p == 1:
        return ab.sum(axis=dims, keepdims=keepdim)
    if p == math.inf:
        return ab.max(axis=dims, keepdims=keepdim)
    if p == -math.inf:
        return ab.min(axis=dims, keepdims=keepdim)
    if p == 0:
        return (ab != 0).sum(axis=dims, keepdims=keepdim).astype(ab.dtype)
    with np.errstate(divide="ignore", over="ignore"):
        return (ab ** p).sum(axis=dims, keepdims=keepdim) ** (1.0 / p)


class LinalgVectorNorm(ArrayFunction):
    """The vector p-norm over `dims` (any real p, ±inf, 0), computed in `out_np`."""

    @staticmethod
    def forward(ctx, x, p, dims, keepdim, out_np):
        a = _acc(x._data.astype(out_np, copy=False))
        xp = xp_of(a)
        out = _vector_norm_array(xp.abs(a), p, dims, keepdim)
        ctx.save_for_backward(x)
        ctx.meta = (p, dims, keepdim, out_np, out)
        return _wrap(out.astype(_real_np(out_np), copy=False))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        p, dims, keepdim, out_np, out = ctx.meta
        a = _acc(x._data.astype(out_np, copy=False))
        grad = _vector_norm_grad(a, _unreduce(out, dims, keepdim),
                                 _unreduce(_acc(g), dims, keepdim), p, dims)
        return grad.astype(x._data.dtype, copy=False), None, None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        """PyTorch's linalg_vector_norm_backward in Tensor ops; the norm is recomputed from
        x (keepdim), so it is differentiable too. Masks (ties, zeros) are constants."""
        (x,) = ctx.saved_tensors
        p, dims, keepdim, out_np, _ = ctx.meta
        a = x if x._data.dtype == out_np else x.to(_dt.from_numpy_dtype(out_np))
        if not keepdim:
            for d in dims:
                g = g.unsqueeze(d)
        grad = _vector_norm_grad_tensor(a, g, p, dims, out_np)
        return (grad if grad.dtype == x.dtype else grad.to(x.dtype)), None, None, None, None


def _const(array) -> Tensor:
    return _wrap(array)


def _vector_norm_grad_tensor(a: Tensor, g: Tensor, p: float, dims: tuple, out_np):
    """`_vector_norm_grad` with Tensor ops. `g` has the reduced dims kept (size 1)."""
    arr = a._data
    xp = xp_of(arr)
    if p == 0:
        return _const(xp.zeros_like(arr))
    sgn = _const(_sgn(arr)) if arr.dtype.kind != "c" else None
    if p == 1:
        return (sgn if sgn is not None else a.sgn()) * g
    norm = LinalgVectorNorm.apply(a, p, dims, True, out_np)
    ab_arr = xp.abs(arr)
    if math.isinf(p):
        mask = ab_arr == norm._data
        count = mask.sum(axis=dims, keepdims=True).astype(g._data.dtype)
        return (sgn if sgn is not None else a.sgn()) * (g / _const(count)) \
            * _const(mask.astype(g._data.dtype))
    zero = _const((norm._data == 0).astype(norm._data.dtype))   # masked_fill(norm == 0, 0)
    if p == 2:
        return a * (g / (norm + zero) * (1 - zero))
    ab = a.abs()
    if p < 1:
        at_zero = _const((arr == 0).astype(ab_arr.dtype))
        scaled = (sgn if sgn is not None else a.sgn()) * ((ab + at_zero) ** (p - 1)) \
            * (1 - at_zero)
        return scaled * g * norm ** (1 - p)
    scale = g / ((norm + zero) ** (p - 1)) * (1 - zero)
    if p < 2:
        return (sgn if sgn is not None else a.sgn()) * ab ** (p - 1) * scale
    return a * ab ** (p - 2) * scale


def _vector_norm_grad(a, norm, g, p: float, dims: tuple):
    """PyTorch's linalg_vector_norm_backward: subgradient 0 where the norm is 0."""
    xp = xp_of(a)
    zero = a.real.dtype.type(0)
    ab = xp.abs(a)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if p == 0:
            return xp.zeros_like(a)
        if p == 1:
            return _sgn(a) * g
        if p == 2:
            return xp.where(norm == 0, zero, g / norm) * a
        if math.isinf(p):
            mask = ab == norm
            count = mask.sum(axis=dims, keepdims=True).astype(g.dtype)
            return _sgn(a) * (g / count) * mask
        if p < 1:
            scaled = xp.where(a == 0, zero, _sgn(a) * ab ** (p - 1))
            return scaled * g * norm ** (1 - p)
        scale = xp.where(norm == 0, zero, g / norm ** (p - 1))
        if p < 2:
            return _sgn(a) * ab ** (p - 1) * scale
        return a * ab ** (p - 2) * scale


class NuclearNorm(ArrayFunction):
    """The sum of singular values of the matrices spanned by dims (d0, d1)."""

    @staticmethod
    def forward(ctx, x, d0, d1, keepdim, out_np):
        xp = xp_of(x._data)
        a = _acc(x._data.astype(out_np, copy=False))
        m = xp.moveaxis(a, (d0, d1), (-2, -1))
        u, s, vh = xp.linalg.svd(m, full_matrices=False)
        out = s.sum(axis=-1)
        ctx.meta = (x._data.dtype, (d0, d1), keepdim, u @ vh)
        ctx.save_for_backward(x)
        if keepdim:
            out = xp.expand_dims(out, tuple(sorted((d0, d1))))
        return _wrap(out.astype(_real_np(out_np), copy=False))

    @staticmethod
    def backward(ctx, g):
        in_dtype, (d0, d1), keepdim, uvh = ctx.meta
        xp = xp_of(g)
        if keepdim:
            g = xp.squeeze(g, axis=tuple(sorted((d0, d1))))
        grad = _acc(g)[..., None, None] * uvh
        return xp.moveaxis(grad, (-2, -1), (d0, d1)).astype(in_dtype, copy=False), \
            None, None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        """g U Vh with U, Vh from a recomputed, recorded SVD (PyTorch's nuclear norm is
        svdvals(A).sum(-1)), so it is differentiable through them."""
        (x,) = ctx.saved_tensors
        in_dtype, (d0, d1), keepdim, uvh = ctx.meta
        if keepdim:
            for d in sorted((d0, d1), reverse=True):
                g = g.squeeze(d)
        m = x.movedim((d0, d1), (-2, -1))
        if m._data.dtype != uvh.dtype:
            m = m.to(_dt.from_numpy_dtype(uvh.dtype))
        u, _, v = m.svd()                                   # LinalgSvd, reduced
        grad = g.unsqueeze(-1).unsqueeze(-1).to(u.dtype) * (u @ v.mH)
        return grad.movedim((-2, -1), (d0, d1)).to(x.dtype), None, None, None, None


def _norm_dtype(input: Tensor, dtype, fn: str):
    """The numpy dtype a norm is computed in; PyTorch's errors for non-float input/dtype."""
    _require_float(input, f"{fn}: Expected a floating point or complex tensor as input. "
                          f"Got {_type_name(input.dtype)}")
    if dtype is None:
        return input._data.dtype
    d = _dt.to_dtype(dtype)
    if d.kind < 2:
        raise RuntimeError(f"{fn}: dtype should be floating point or complex, but got "
                           f"{_type_name(d)}")
    if _dt.promote_types(input.dtype, d) is not d:
        raise RuntimeError(f"{fn}: the dtype of the input ({_type_name(input.dtype)}) should "
                           f"be convertible without narrowing to the specified dtype "
                           f"({_type_name(d)})")
    return d.np


def _vector_norm(input: Tensor, p: float, dim, keepdim: bool, dtype):
    out_np = _norm_dtype(input, dtype, "linalg.vector_norm")
    dims = _dims(dim, input.ndim)
    if math.isinf(p) and input._data.size == 0:   # max/min of nothing has no identity
        name = "inf" if p > 0 else "-inf"
        if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on an empty "
                               "tensor because the operation does not have an identity")
        for d in dims:
            if input.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on the "
                                   f"dimension {d}because this dimension is empty and the "
                                   "operation does not have an identity")
    return LinalgVectorNorm.apply(input, p, dims, keepdim, out_np)


def _matrix_dims(dim, ndim: int):
    """The two dims of a matrix norm; PyTorch's error unless exactly two distinct dims."""
    dims = tuple(range(ndim)) if dim is None else \
        tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if len(dims) != 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                           + " ".join(str(d) for d in dims))
    d0, d1 = (_wrap_dim(d, ndim) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"dim {d0} appears multiple times in the list of dims")
    return d0, d1


# ====================================================================== declarations
@op("norm")
def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, out=None,
         dtype=None) -> Tensor:
    """The matrix or vector norm of `input` (`torch.norm`).

    p: 'fro' (the 2-norm of all elements or of `dim`), 'nuc' (sum of singular values of the
    matrices over a 2-tuple `dim`), or a number (the vector p-norm; inf, -inf and 0 included).

        >>> import minitorch_nn as torch
        >>> torch.ones(2, 3).norm(1, 1)
        tensor([3., 3.])
    """
    check_tensor(input, "input", "norm")
    if out is not None:
        raise TypeError("norm(): the out= argument is not supported by minitorch_nn")
    if p is None:
        p = "fro"
    if isinstance(p, Tensor):
        p = p.item()
    if isinstance(p, str):
        if p == "fro":
            if dim is not None and isinstance(dim, (tuple, list)) and len(dim) > 2:
                _matrix_dims(dim, input.ndim)
            return _vector_norm(input, 2.0, dim, keepdim, dtype)
        if p == "nuc":
            out_np = _norm_dtype(input, dtype, "linalg.matrix_norm")
            d0, d1 = _matrix_dims(dim, input.ndim)
            return NuclearNorm.apply(input, d0, d1, keepdim, out_np)
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"norm(): argument 'p' must be a number or 'fro'/'nuc', not "
                        f"{type(p).__name__}")
    return _vector_norm(input, float(p), dim, keepdim, dtype)


_norm = lookup("norm").fn   # norm as written: the method below is cast by its own hook


@method_of("norm", "norm")
def _norm_method(self: Tensor, p="fro", dim=None, keepdim: bool = False,
                 dtype=None) -> Tensor:
    """`Tensor.norm(p, dim, keepdim, dtype)`: like `norm`, with no `out` before `dtype`."""
    return _norm(self, p, dim, keepdim, dtype=dtype)
