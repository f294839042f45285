"""Reductions: sum, mean, prod (and their NaN-skipping forms), logsumexp, all, any.

The other reductions live beside this file, one family each: extrema.py (max, min, amax,
amin, aminmax, argmax, argmin), statistics.py (var, std, median, mode), norms.py (norm) and
scan.py (cumsum, cumprod); _reduce_util.py holds what they share.

Every reduction takes `dim` as PyTorch does (an int, a tuple/list of ints, negative dims
allowed, `None` or `()` for all dims where PyTorch allows it) and `keepdim`. Results follow
PyTorch's dtype rules: sum/prod/cumsum of bool or int tensors give int64, mean/var/norm refuse
integer input, all/any give bool (uint8 for uint8 input), indices are int64.

Gradient conventions copied from PyTorch (tools/autograd/derivatives.yaml):
  * max()/min()/amax/amin/median() without a dim split the gradient evenly over ties;
  * max(dim)/min(dim)/median(dim)/mode(dim) give the whole gradient to the returned index;
  * prod and cumprod are exact with zeros in the input (no division by zero);
  * norm: p=2 has gradient 0 at the zero vector, p=1 gives sign(x), p=inf splits over ties.

Reductions of float16/bfloat16 accumulate in float32 (as PyTorch's CPU kernels do) and cast
the result back. The functions returning `(values, indices)` return named tuples printed like
`torch.return_types.max(...)` (minitorch_nn/return_types.py).
"""
from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import unreduce
from ..tensor import Tensor, _wrap
from ._reduce_util import (_acc, _dims, _expand_back, _is_floating, _is_low_float, _numel_over,
                           _one_dim, _require_float, _squeeze, _sum_dtype, _type_name,
                           _unreduce, xp_of)
from ._util import check_tensor
from .registry import op

# ====================================================================== helpers
def _sum_array(arr, dims: tuple, keepdim: bool, out_np):
    """sum in `out_np`, accumulating float16/bfloat16 in float32."""
    if _is_low_float(out_np):
        return arr.sum(axis=dims, keepdims=keepdim, dtype=np.float32).astype(out_np)
    return arr.sum(axis=dims, keepdims=keepdim, dtype=out_np)


# ====================================================================== sum, mean, prod
class Sum(ArrayFunction):
    """sum over `dims` (a normalized tuple) into numpy dtype `out_np`."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, out_np):
        ctx.meta = (x._data.shape, x._data.dtype, dims, keepdim)
        return _wrap(_sum_array(x._data, dims, keepdim, out_np))

    @staticmethod
    def backward(ctx, g):
        shape, in_dtype, dims, keepdim = ctx.meta
        return _expand_back(g.astype(in_dtype, copy=False), shape, dims, keepdim), None, None, \
            None

    @staticmethod
    def grad_formula(ctx, g):
        shape, in_dtype, dims, keepdim = ctx.meta
        return _cast(unreduce(g, shape, dims, keepdim), in_dtype), None, None, None


class SumDim(Sum):
    """sum with an explicit dim: PyTorch's node is then SumBackward1."""

    node_name = "SumBackward1"


class Nansum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims, keepdim, out_np):
        arr = x._data
        ctx.save_for_backward(x)
        ctx.meta = (dims, keepdim)
        if _is_floating(arr.dtype):
            arr = xp_of(arr).where(xp_of(arr).isnan(arr), arr.dtype.type(0), arr)
        return _wrap(_sum_array(arr, dims, keepdim, out_np))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        dims, keepdim = ctx.meta
        xp = xp_of(g)
        a = x._data
        grad = _expand_back(g.astype(a.dtype, copy=False), a.shape, dims, keepdim)
        return xp.where(xp.isnan(a), xp.zeros((), a.dtype), grad), None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        dims, keepdim = ctx.meta
        grad = unreduce(_cast(g, x._data.dtype), x._data.shape, dims, keepdim)
        return grad.masked_fill(x.isnan(), 0), None, None, None


class Mean(ArrayFunction):
    """mean over `dims` in numpy dtype `out_np` (the input dtype or the `dtype=` given)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, out_np):
        arr = x._data
        n = _numel_over(arr.shape, dims)
        ctx.meta = (arr.shape, arr.dtype, dims, keepdim, n)
        total = _sum_array(arr.astype(out_np, copy=False), dims, keepdim,
                           np.dtype(np.float32) if _is_low_float(out_np) else out_np)
        with np.errstate(invalid="ignore", divide="ignore"):
            return _wrap((total / n).astype(out_np, copy=False))

    @staticmethod
    def backward(ctx, g):
        shape, in_dtype, dims, keepdim, n = ctx.meta
        with np.errstate(invalid="ignore", divide="ignore"):
            g = (g / n).astype(in_dtype, copy=False)
        return _expand_back(g, shape, dims, keepdim), None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        shape, in_dtype, dims, keepdim, n = ctx.meta
        return _cast(unreduce(g / n, shape, dims, keepdim), in_dtype), None, None, None


class MeanDim(Mean):
    """mean with an explicit dim: PyTorch's node is then MeanBackward1."""

    node_name = "MeanBackward1"


class Nanmean(ArrayFunction):
    @staticmethod
    def forward(ctx, x, dims, keepdim, out_np):
        xp = xp_of(x._data)
        arr = _acc(x._data.astype(out_np, copy=False))
        valid = ~xp.isnan(arr)
        count = valid.sum(axis=dims, keepdims=keepdim)
        total = xp.where(valid, arr, arr.dtype.type(0)).sum(axis=dims, keepdims=keepdim)
        ctx.save_for_backward(x)
        ctx.meta = (dims, keepdim, count)
        with np.errstate(invalid="ignore", divide="ignore"):
            return _wrap((total / count).astype(out_np, copy=False))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        dims, keepdim, count = ctx.meta
        xp = xp_of(g)
        a = x._data
        with np.errstate(invalid="ignore", divide="ignore"):
            per = _expand_back((g / count).astype(a.dtype, copy=False), a.shape, dims, keepdim)
            # a product, not a select: an all-NaN slice (count 0) gets NaN, as in PyTorch
            return per * ~xp.isnan(a), None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        dims, keepdim, count = ctx.meta
        per = unreduce(_cast(g / _wrap(count), x._data.dtype), x._data.shape, dims, keepdim)
        return per * x.isnan().logical_not(), None, None, None


class Prod(ArrayFunction):
    """prod over `dims`; backward is exact when the input holds zeros."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, out_np):
        arr = x._data
        ctx.save_for_backward(x)
        ctx.meta = (dims, keepdim, out_np)
        if _is_low_float(out_np):
            out = arr.prod(axis=dims, keepdims=keepdim, dtype=np.float32).astype(out_np)
        else:
            out = arr.prod(axis=dims, keepdims=keepdim, dtype=out_np)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        dims, keepdim, out_np = ctx.meta
        xp = xp_of(g)
        a = _acc(x._data.astype(out_np, copy=False))
        g_keep = _unreduce(_acc(g), dims, keepdim)
        zero = a == 0
        n_zeros = zero.sum(axis=dims, keepdims=True)
        safe = xp.where(zero, a.dtype.type(1), a)
        prod_nonzero = safe.prod(axis=dims, keepdims=True)   # the product of the others
        no_zero = g_keep * prod_nonzero / safe
        one_zero = xp.where(zero & (n_zeros == 1), g_keep * prod_nonzero, a.dtype.type(0))
        grad = xp.where(n_zeros == 0, no_zero, one_zero)
        return grad.astype(x._data.dtype, copy=False), None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        """Differentiable through the input too: each element's gradient is the product of
        the others, computed without division (so zeros in the input are exact)."""
        (x,) = ctx.saved_tensors
        dims, keepdim, out_np = ctx.meta
        shape = x._data.shape
        g_full = unreduce(g, shape, dims, keepdim)
        others = _product_of_others(x, dims)
        return _cast(g_full * others, x._data.dtype), None, None, None


class ProdDim(Prod):
    """prod with a dim: PyTorch's node is then ProdBackward1."""

    node_name = "ProdBackward1"


# ====================================================================== logsumexp
class Logsumexp(ArrayFunction):
    """log(sum(exp(x))) computed as m + log(sum(exp(x - m))), m the max (stable).

    A slice of all -inf gives -inf (m is replaced by 0 where it is not finite).
    """

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        arr = x._data
        if arr.dtype.kind in "biu":
            arr = arr.astype(_dt.get_default_dtype().np)
        out_np = arr.dtype
        a = _acc(arr)
        out = _logsumexp_array(a, dims, keepdim)
        ctx.save_for_backward(x)
        ctx.meta = (dims, keepdim, out)
        return _wrap(out.astype(out_np, copy=False))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        dims, keepdim, out = ctx.meta
        xp = xp_of(g)
        a = _acc(x._data)
        with np.errstate(invalid="ignore", over="ignore"):
            grad = _unreduce(_acc(g), dims, keepdim) * xp.exp(a - _unreduce(out, dims, keepdim))
        return grad.astype(x._data.dtype, copy=False), None, None

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        dims, keepdim, _ = ctx.meta
        shape = x._data.shape
        result = x.logsumexp(dims, keepdim=True)   # recomputed: differentiable through x
        return unreduce(g, shape, dims, keepdim) * (x - result).exp(), None, None


def _product_of_others(x, dims: tuple):
    """For each element of x, the product of the other elements of its slice over `dims`:
    exclusive cumulative products from both sides (no division, so zeros are exact)."""
    shape = x._data.shape
    keep = [d for d in range(len(shape)) if d not in dims]
    flat = x.permute(*keep, *dims).reshape(*[shape[d] for d in keep], -1)
    ones = flat.new_ones(tuple(flat.shape[:-1]) + (1,))
    left = flat[..., :-1].cumprod(-1)
    before = _cat_last(ones, left)
    right = flat.flip(-1)[..., :-1].cumprod(-1)
    after = _cat_last(ones, right).flip(-1)
    others = (before * after).reshape(*[shape[d] for d in keep], *[shape[d] for d in dims])
    inverse = sorted(range(len(shape)), key=(keep + list(dims)).__getitem__)
    return others.permute(*inverse)


def _cat_last(a, b):
    from .joining import cat
    return cat([a, b], -1)


def _cast(g, np_dtype):
    """Tensor `g` in numpy dtype `np_dtype` (a recorded cast when it differs)."""
    if g._data.dtype == np_dtype:
        return g
    return g.to(_dt.from_numpy_dtype(np_dtype))


def _logsumexp_array(a, dims: tuple, keepdim: bool):
    """The numpy/cupy computation of logsumexp (float32/float64/complex arrays).

    A fused Numba kernel (max and sum of exp per row, parallel) was measured against this
    and did not clearly win (numpy's exp is vectorised), so there is none.
    """
    xp = xp_of(a)
    if a.size == 0:
        shape = [1 if i in dims else s for i, s in enumerate(a.shape)]
        return _squeeze(xp.full(shape, -np.inf, dtype=a.dtype), dims, keepdim)
    m = a.max(axis=dims, keepdims=True)
    m = xp.where(xp.isfinite(m), m, a.dtype.type(0))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = xp.log(xp.exp(a - m).sum(axis=dims, keepdims=True)) + m
    return _squeeze(out, dims, keepdim)


# ====================================================================== declarations
@op("sum", methods=("sum",))
def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The sum over `dim` (all dims by default); bool/int tensors sum in int64.

        >>> import minitorch_nn as torch
        >>> torch.tensor([[1, 2], [3, 4]]).sum(0)
        tensor([4, 6])
    """
    check_tensor(input, "input", "sum")
    op = Sum if dim is None and not keepdim else SumDim
    return op.apply(input, _dims(dim, input.ndim), keepdim, _sum_dtype(input, dtype))


@op("nansum", methods=("nansum",))
def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """sum treating NaN as zero; NaN positions get a zero gradient."""
    check_tensor(input, "input", "nansum")
    return Nansum.apply(input, _dims(dim, input.ndim), keepdim, _sum_dtype(input, dtype))


def _mean_dtype(input: Tensor, dtype):
    if dtype is not None:
        d = _dt.to_dtype(dtype)
        if d.kind < 2:
            raise RuntimeError("mean(): could not infer output dtype. Optional dtype must be "
                               f"either a floating point or complex dtype. Got: {_type_name(d)}")
        return d.np
    _require_float(input, "mean(): could not infer output dtype. Input dtype must be either a "
                          f"floating point or complex dtype. Got: {_type_name(input.dtype)}")
    return input._data.dtype


@op("mean", methods=("mean",))
def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The mean over `dim` (all dims by default); integer input needs a float `dtype=`.

        >>> import minitorch_nn as torch
        >>> torch.tensor([[1., 2.], [3., 4.]]).mean(1)
        tensor([1.5000, 3.5000])
    """
    check_tensor(input, "input", "mean")
    out_np = _mean_dtype(input, dtype)
    op = Mean if dim is None and not keepdim else MeanDim
    return op.apply(input, _dims(dim, input.ndim), keepdim, out_np)


@op("nanmean", methods=("nanmean",))
def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The mean of the non-NaN elements (NaN where a slice has none)."""
    check_tensor(input, "input", "nanmean")
    _require_float(input, "nanmean(): expected input to have floating point or complex dtype "
                          f"but got {_type_name(input.dtype)}")
    out_np = input._data.dtype if dtype is None else _mean_dtype(input, dtype)
    return Nanmean.apply(input, _dims(dim, input.ndim), keepdim, out_np)


@op("prod", methods=("prod",))
def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The product over one `dim` (or all elements); bool/int tensors multiply in int64."""
    check_tensor(input, "input", "prod")
    out_np = _sum_dtype(input, dtype)
    if dim is None:
        if keepdim:
            raise TypeError("prod(): keepdim=True needs a dim (prod(input, dim, keepdim=True))")
        return Prod.apply(input, _dims(None, input.ndim), False, out_np)
    d = _one_dim(dim, input.ndim, "prod")
    return ProdDim.apply(input, _dims(d, input.ndim), keepdim, out_np)


@op("logsumexp", methods=("logsumexp",))
def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over `dim`, computed without overflow; integers give float."""
    check_tensor(input, "input", "logsumexp")
    return Logsumexp.apply(input, _dims(dim, input.ndim), keepdim)


def _logical_reduce(fn: str, input, dim, keepdim):
    check_tensor(input, "input", fn)
    arr = input._data
    out = getattr(xp_of(arr), fn)(arr, axis=_dims(dim, arr.ndim), keepdims=keepdim)
    if arr.dtype == np.uint8:
        out = out.astype(np.uint8)
    return _wrap(out)


@op("all", methods=("all",))
def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where every element over `dim` is nonzero (uint8 input gives uint8)."""
    return _logical_reduce("all", input, dim, keepdim)


@op("any", methods=("any",))
def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where some element over `dim` is nonzero (uint8 input gives uint8)."""
    return _logical_reduce("any", input, dim, keepdim)


@op("count_nonzero", methods=("count_nonzero",))
def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """The number of nonzero elements over `dim` (int64)."""
    check_tensor(input, "input", "count_nonzero")
    if dim is not None and (isinstance(dim, (bool, float)) or not isinstance(
            dim, (int, np.integer, tuple, list))):
        raise TypeError("count_nonzero(): argument 'dim' must be int or tuple of ints, not "
                        f"{type(dim).__name__}")
    arr = input._data
    return _wrap((arr != 0).sum(axis=_dims(dim, arr.ndim), dtype=np.int64))
