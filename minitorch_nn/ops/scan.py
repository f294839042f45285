"""Scans along one dim: cumsum and cumprod (and their in-place forms), cummax, cummin and
logcumsumexp.

bool/int tensors accumulate in int64 unless a `dtype` is given, float16/bfloat16 in float32;
cumprod's gradient is exact with zeros in the input (no division by zero). cummax/cummin
follow PyTorch's index rule (ties and NaNs move the index to the later element) with a Numba
kernel on the CPU (kernels/cpu/scan.py) and a doubling scan elsewhere; logcumsumexp is a
running logaddexp, so it never overflows.
"""
from __future__ import annotations

import numpy as np

from .. import return_types
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ..array_backends import kernel_for
from ._reduce_util import (_acc, _is_floating, _is_low_float, _one_dim, _sum_dtype,
                           _type_name, xp_of)
from ._util import check_tensor
from .inplace import apply_inplace
from .registry import method_of, op


# ====================================================================== scans
def _revcumsum(a, d: int):
    xp = xp_of(a)
    return xp.flip(xp.cumsum(xp.flip(a, d), axis=d), d)


class Cumsum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, d, out_np):
        arr = x._data
        ctx.meta = (arr.shape, arr.dtype, d)
        if arr.ndim == 0:
            return _wrap(arr.astype(out_np, copy=True))
        if _is_low_float(out_np):
            return _wrap(xp_of(arr).cumsum(arr, axis=d, dtype=np.float32).astype(out_np))
        return _wrap(xp_of(arr).cumsum(arr, axis=d, dtype=out_np))

    @staticmethod
    def backward(ctx, g):
        shape, in_dtype, d = ctx.meta
        if g.ndim == 0:
            return g.astype(in_dtype, copy=False), None, None
        return _revcumsum(g, d).astype(in_dtype, copy=False), None, None

    @staticmethod
    def grad_formula(ctx, g):
        shape, in_dtype, d = ctx.meta
        grad = g if g.dim() == 0 else _revcumsum_tensor(g, d)
        return _cast(grad, in_dtype), None, None


class Cumprod(ArrayFunction):
    """cumprod along `d`; backward is exact with zeros (see `_cumprod_grad`)."""

    @staticmethod
    def forward(ctx, x, d, out_np):
        arr = x._data
        ctx.save_for_backward(x)
        ctx.meta = (d, out_np)
        if arr.ndim == 0:
            return _wrap(arr.astype(out_np, copy=True))
        if _is_low_float(out_np):
            return _wrap(xp_of(arr).cumprod(arr, axis=d, dtype=np.float32).astype(out_np))
        return _wrap(xp_of(arr).cumprod(arr, axis=d, dtype=out_np))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        d, out_np = ctx.meta
        if g.ndim == 0:
            return g.astype(x._data.dtype, copy=False), None, None
        a = _acc(x._data.astype(out_np, copy=False))
        return _cumprod_grad(a, _acc(g), d).astype(x._data.dtype, copy=False), None, None

    @staticmethod
    def grad_formula(ctx, g):
        """PyTorch's cumprod_backward with grad mode on: revcumsum(g * out) / x without
        zeros in x, else the exact sum of omitted products for each k (O(n^2), as PyTorch:
        exact at zeros, so differentiable again)."""
        (x,) = ctx.saved_tensors
        d, out_np = ctx.meta
        if g.dim() == 0 or x.numel() <= 1 or x.shape[d] == 1:
            return _cast(g, x._data.dtype), None, None
        a = _cast(x, np.dtype(out_np))
        if not bool((a._data == 0).any()):
            out = Cumprod.apply(a, d, out_np)
            grad = _revcumsum_tensor(g * out, d) / a
        else:
            grad = _cumprod_grad_exact(a, g, d)
        return _cast(grad, x._data.dtype), None, None


def _cast(t, np_dtype):
    from .. import dtypes as _dt
    return t if t._data.dtype == np_dtype else t.to(_dt.from_numpy_dtype(np_dtype))


def _revcumsum_tensor(g, d: int):
    """The reversed cumulative sum of Tensor g along d (recorded)."""
    return g.flip(d).cumsum(d).flip(d)


def _cumprod_grad_exact(a, g, d: int):
    """d/dx_k sum_{j>=k} g_j prod_{i<=j, i!=k} x_i for each k, with Tensor ops."""
    from .joining import cat, stack
    n = a.shape[d]
    slices = []
    for k in range(n):
        after = a.narrow(d, k + 1, n - k - 1).cumprod(d) if k < n - 1 else None
        if k == 0:
            ones = a.narrow(d, 0, 1) * 0 + 1
            omitted = cat([ones, after], d)
        else:
            until = a.narrow(d, 0, k).prod(d, keepdim=True)
            omitted = until if after is None else cat([until, until * after], d)
        slices.append((g.narrow(d, k, n - k) * omitted).sum(d))
    return stack(slices, d)


def _cumprod_grad(a, g, d: int):
    """d/dx_k of sum_j g_j * prod_{i<=j} x_i, without dividing by zero.

    Before the first zero of a slice: revcumsum(g * y) / x. At the first zero z: the same
    sum with x_z replaced by 1 (y' = cumprod of that), which needs no division. After z
    every product contains x_z = 0, so the gradient is 0.
    """
    xp = xp_of(a)
    zero = a == 0
    zeros_so_far = xp.cumsum(zero, axis=d)
    before = zeros_so_far == 0
    one = a.dtype.type(1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        y = xp.cumprod(a, axis=d)
        grad = xp.where(before, _revcumsum(g * y, d) / xp.where(before, a, one),
                        a.dtype.type(0))
        first = zero & (zeros_so_far == 1)
        if bool(first.any()):
            y_first = xp.cumprod(xp.where(first, one, a), axis=d)
            grad = xp.where(first, _revcumsum(g * y_first, d), grad)
    return grad


# ====================================================================== declarations
@op("cumsum", methods=("cumsum",))
def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sums along `dim`; bool/int tensors sum in int64.

        >>> import minitorch_nn as torch
        >>> torch.tensor([1, 2, 3]).cumsum(0)
        tensor([1, 3, 6])
    """
    check_tensor(input, "input", "cumsum")
    return Cumsum.apply(input, _one_dim(dim, input.ndim, "cumsum"), _sum_dtype(input, dtype))


@op("cumprod", methods=("cumprod",))
def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running products along `dim`; the gradient is exact with zeros in the input."""
    check_tensor(input, "input", "cumprod")
    return Cumprod.apply(input, _one_dim(dim, input.ndim, "cumprod"), _sum_dtype(input, dtype))


@method_of("cumsum", "cumsum_")
def cumsum_(self: Tensor, dim: int, *, dtype=None) -> Tensor:
    return apply_inplace(self, lambda s: cumsum(s, dim, dtype=dtype))


@method_of("cumprod", "cumprod_")
def cumprod_(self: Tensor, dim: int, *, dtype=None) -> Tensor:
    return apply_inplace(self, lambda s: cumprod(s, dim, dtype=dtype))


# ====================================================================== cummax, cummin
def _later_wins(va, vb, is_max: bool):
    """Whether the later running extreme `vb` replaces the earlier `va` (PyTorch's rule: NaN,
    or >= for max / <= for min, so ties and later NaNs move the index forward)."""
    xp = xp_of(va)
    wins = vb >= va if is_max else vb <= va
    if _is_floating(va.dtype):
        wins = wins | xp.isnan(vb)
    return wins


def _doubling_scan(v, i, combine):
    """Hillis-Steele scan along the last axis, in place on (v, i): log2(n) array passes of
    `combine(earlier, later) -> mask of where the later one wins` (CuPy has no
    maximum.accumulate, and the (value, index) pair needs one scan anyway)."""
    xp = xp_of(v)
    n, s = v.shape[-1], 1
    while s < n:
        va, vb, ia, ib = v[..., :-s], v[..., s:], i[..., :-s], i[..., s:]
        later = combine(va, vb)
        new_v, new_i = xp.where(later, vb, va), xp.where(later, ib, ia)
        v[..., s:], i[..., s:] = new_v, new_i
        s *= 2
    return v, i


def _extreme_scan(arr, d: int, is_max: bool):
    """(values, int64 indices) of the running max/min of `arr` along `d`."""
    xp = xp_of(arr)
    a = _acc(arr)
    if a.ndim == 0 or a.size == 0:
        return arr.copy(), xp.zeros(arr.shape, np.int64)
    moved = xp.moveaxis(a, d, -1)
    kernel = kernel_for(moved, "scan", "cummax" if is_max else "cummin")
    if kernel is not None:
        flat = np.ascontiguousarray(moved).reshape(-1, moved.shape[-1])
        values, idx = np.empty_like(flat), np.empty(flat.shape, np.int64)
        kernel(flat, values, idx)
        values, idx = values.reshape(moved.shape), idx.reshape(moved.shape)
    else:
        idx = xp.broadcast_to(xp.arange(moved.shape[-1], dtype=np.int64), moved.shape).copy()
        values, idx = _doubling_scan(moved.copy(), idx, lambda x, y: _later_wins(x, y, is_max))
    values = xp.moveaxis(values, -1, d).astype(arr.dtype, copy=False)
    return values, xp.moveaxis(idx, -1, d)


def _scatter_along(g, idx, d: int):
    """The gradient of values gathered at `idx` along `d`: g summed into its source places."""
    xp = xp_of(g)
    if g.ndim == 0 or g.size == 0:
        return g.copy()
    gm, im = xp.moveaxis(g, d, -1), xp.moveaxis(idx, d, -1)
    n = gm.shape[-1]
    rows = gm.size // n
    flat = (xp.arange(rows, dtype=np.int64).reshape(gm.shape[:-1] + (1,)) * n + im).reshape(-1)
    summed = xp.bincount(flat, weights=_acc(gm).reshape(-1), minlength=rows * n)
    return xp.moveaxis(summed.reshape(gm.shape), -1, d).astype(g.dtype)


class Cummax(ArrayFunction):
    """Running maximum along `d` with the index it came from; the gradient of each value
    goes to that index (scatter-add, as PyTorch)."""

    _is_max = True

    @classmethod
    def _forward(cls, ctx, x, d):
        values, idx = _extreme_scan(x._data, d, cls._is_max)
        ctx.meta = (d, idx)
        return _wrap(values), _wrap(idx)

    @staticmethod
    def forward(ctx, x, d):
        return Cummax._forward(ctx, x, d)

    @staticmethod
    def backward(ctx, g, g_indices=None):
        d, idx = ctx.meta
        return _scatter_along(g, idx, d), None

    @staticmethod
    def grad_formula(ctx, g, g_indices=None):
        """PyTorch's cummaxmin_backward: zeros.scatter_add(d, indices, g), recorded."""
        d, idx = ctx.meta
        if g.dim() == 0 or g.numel() == 0:
            return g.clone(), None
        zeros = _wrap(xp_of(g._data).zeros_like(g._data))
        return zeros.scatter_add(d, _wrap(idx), g), None


class Cummin(Cummax):
    _is_max = False

    @staticmethod
    def forward(ctx, x, d):
        return Cummin._forward(ctx, x, d)


# ====================================================================== logcumsumexp
def _logaddexp(a, b):
    """log(exp(a) + exp(b)) without overflow, real or complex (shifted by the operand of
    larger real part; two -inf real parts give that operand, not NaN)."""
    xp = xp_of(a)
    if a.dtype.kind != "c":
        return xp.logaddexp(a, b)
    first = a.real >= b.real
    hi, lo = xp.where(first, a, b), xp.where(first, b, a)
    out = hi + xp.log1p(xp.exp(lo - hi))
    return xp.where(xp.isneginf(hi.real), hi, out)


def _logcumsumexp_array(a, d: int):
    """Running logaddexp along `d` (numpy's accumulate on the CPU, a doubling scan else)."""
    xp = xp_of(a)
    if a.ndim == 0 or a.size == 0:
        return a.copy()
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        return np.logaddexp.accumulate(a, axis=d)
    v = xp.moveaxis(a, d, -1).copy()
    s, n = 1, v.shape[-1]
    while s < n:
        v[..., s:] = _logaddexp(v[..., :-s], v[..., s:])
        s *= 2
    return xp.moveaxis(v, -1, d)


def _rev_logcumsumexp(a, d: int):
    xp = xp_of(a)
    return xp.flip(_logcumsumexp_array(xp.flip(a, d), d), d)


class Logcumsumexp(ArrayFunction):
    """log(cumsum(exp(x))) along `d` as a running logaddexp (no overflow)."""

    @staticmethod
    def forward(ctx, x, d):
        arr = x._data
        out = _logcumsumexp_array(_acc(arr), d)
        ctx.save_for_backward(x)
        ctx.meta = (d, out)
        return _wrap(out.astype(arr.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        """grad_k = sum_{j>=k} g_j exp(x_k - out_j), summed in log space; real gradients are
        split into their positive and negative parts (PyTorch's formula). Complex ones are
        written as for a holomorphic function: the engine conjugates (ArrayFunction)."""
        (x,) = ctx.saved_tensors
        d, out = ctx.meta
        xp = xp_of(g)
        a, ga = _acc(x._data), _acc(g)
        if a.ndim == 0 or a.size == 0:
            return g.copy(), None
        if a.dtype.kind == "c":
            grad = xp.exp(_rev_logcumsumexp(xp.log(ga) - out, d) + a)
        else:
            lowest = a.dtype.type(np.finfo(a.dtype).min)
            log_abs = xp.log(xp.abs(ga))
            pos = xp.where(ga > 0, log_abs, lowest)
            neg = xp.where(ga < 0, log_abs, lowest)
            grad = (xp.exp(_rev_logcumsumexp(pos - out, d) + a)
                    - xp.exp(_rev_logcumsumexp(neg - out, d) + a))
        return grad.astype(x._data.dtype, copy=False), None

    @staticmethod
    def grad_formula(ctx, g):
        """backward's (and PyTorch's logcumsumexp_backward) formula in Tensor ops; the
        result is recomputed as a recorded op of x, so the formula is differentiable in x."""
        (x,) = ctx.saved_tensors
        d, _ = ctx.meta
        if g.dim() == 0 or g.numel() == 0:
            return g, None
        out = Logcumsumexp.apply(x, d)

        def rev(t):   # the reversed logcumsumexp along d
            return Logcumsumexp.apply(t.flip(d), d).flip(d)

        if g.is_complex():   # holomorphic form, as backward: the engine conjugates
            return (rev(g.log() - out) + x).exp(), None
        lowest = float(np.finfo(g._data.dtype).min)
        log_abs = g.abs().log()
        pos = log_abs.where(g > 0, lowest)
        neg = log_abs.where(g < 0, lowest)
        return (rev(pos - out) + x).exp() - (rev(neg - out) + x).exp(), None


# ====================================================================== declarations
def _scan_extreme(fn: str, input, dim, op, result_type):
    check_tensor(input, "input", fn)
    if input._data.dtype.kind == "c":
        raise NotImplementedError(f"\"{fn}_cpu\" not implemented for "
                                  f"'{_type_name(input.dtype)}'")
    return result_type(*op.apply(input, _one_dim(dim, input.ndim, fn)))


@op("cummax", methods=("cummax",), kernels=("cpu:scan.cummax",))
def cummax(input: Tensor, dim: int):
    """`(values, indices)`: the running maximum along `dim` and where it was found; a tie or
    a NaN moves the index to the later element (PyTorch's rule)."""
    return _scan_extreme("cummax", input, dim, Cummax, return_types.cummax)


@op("cummin", methods=("cummin",), kernels=("cpu:scan.cummin",))
def cummin(input: Tensor, dim: int):
    """`(values, indices)`: the running minimum along `dim` (ties and NaNs as `cummax`)."""
    return _scan_extreme("cummin", input, dim, Cummin, return_types.cummin)


@op("logcumsumexp", methods=("logcumsumexp",))
def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """log(cumsum(exp(input))) along `dim`, computed as a running logaddexp (stable)."""
    check_tensor(input, "input", "logcumsumexp")
    if not _is_floating(input._data.dtype):
        raise NotImplementedError("\"logcumsumexp_out_cpu\" not implemented for "
                                  f"'{_type_name(input.dtype)}'")
    return Logcumsumexp.apply(input, _one_dim(dim, input.ndim, "logcumsumexp"))
