"""Normalization: batch_norm (training and eval, running statistics updated in place),
layer_norm and group_norm, with gradients for input, weight and bias.

layer_norm normalizes rows (the trailing `normalized_shape` dims), group_norm normalizes rows
too (one row per sample and group) and then applies a per-channel affine, batch_norm normalizes
each channel over the batch and spatial dims. On CPU float32/float64 the statistics, the
normalization and the backward formulas each run as one Numba pass (kernels/cpu/norm.py);
other inputs use the same formulas with `xp`, in float32 for float16/bfloat16.

torch.batch_norm, torch.layer_norm and torch.group_norm exist at top level in PyTorch (with
their own argument orders or extra cudnn flags); the F.* forms are `batch_norm_f` & co., which
call them. Each is declared with `@op` (ops/registry.py) in its namespace.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import acc_dtype, compute_array, kernel_for, type_name
from ._util import xp_of
from .inplace import bump
from .registry import op

_ROW_PARTS = 8   # row chunks for the partial dw/db sums of the row-norm backward kernel


# ------------------------------------------------------------------ row normalization
def _row_forward(rows, w, b, eps):
    """(y, mean, rstd) of rows (M, D) normalized per row; w, b: (D,) arrays or None."""
    xp = xp_of(rows)
    d = rows.shape[1]
    if rows.size == 0:   # no rows or empty rows (a 0-size dim): empty result, no warnings
        acc = acc_dtype(rows.dtype)
        return xp.empty(rows.shape, rows.dtype), xp.zeros(rows.shape[0], acc), \
            xp.zeros(rows.shape[0], acc)
    kernel = kernel_for(rows, "norm", "row_norm_fwd")
    if kernel is not None and (w is None or w.dtype == rows.dtype):
        rows = xp.ascontiguousarray(rows)
        out = xp.empty(rows.shape, rows.dtype)
        mean = xp.empty(rows.shape[0], acc_dtype(rows.dtype))   # statistics in float for
        rstd = xp.empty(rows.shape[0], acc_dtype(rows.dtype))   # half types, as PyTorch
        kernel(rows, _or_ones(xp, w, d, rows.dtype), _or_zeros(xp, b, d, rows.dtype), float(eps),
               out, mean, rstd)
        return out, mean, rstd
    r = compute_array(rows)
    mean = r.mean(axis=1)
    centered = r - mean[:, None]
    rstd = 1.0 / xp.sqrt((centered * centered).mean(axis=1) + eps)
    out = centered * rstd[:, None]
    if w is not None:
        out = out * compute_array(w)
    if b is not None:
        out = out + compute_array(b)
    return out.astype(rows.dtype, copy=False), mean, rstd


def _row_backward(rows, g, mean, rstd, w):
    """(gx, gw, gb) of the row normalization (gw/gb as if w = 1, b = 0 when w is None)."""
    xp = xp_of(rows)
    d = rows.shape[1]
    acc = acc_dtype(rows.dtype)
    if rows.size == 0:   # a 0-size dim: empty gx, zero gw/gb (as PyTorch)
        return xp.empty(rows.shape, rows.dtype), xp.zeros(d, acc), xp.zeros(d, acc)
    kernel = kernel_for(rows, "norm", "row_norm_bwd")
    if kernel is not None and g.dtype == rows.dtype and mean.dtype == acc and \
            (w is None or w.dtype == rows.dtype):
        rows = xp.ascontiguousarray(rows)
        parts = max(1, min(_ROW_PARTS, rows.shape[0]))
        gx = xp.empty(rows.shape, rows.dtype)
        gw = xp.zeros((parts, d), acc)
        gb = xp.zeros((parts, d), acc)
        kernel(rows, xp.ascontiguousarray(g).reshape(rows.shape), mean, rstd,
               _or_ones(xp, w, d, rows.dtype), gx, gw, gb)
        return gx, gw.sum(axis=0), gb.sum(axis=0)
    r, gc = compute_array(rows), compute_array(g).reshape(rows.shape)
    if rows.dtype.itemsize == 2 and xp is np:
        return _row_backward_half(r, gc, mean, rstd, w, rows.dtype)
    xhat = (r - mean[:, None]) * rstd[:, None]
    dxhat = gc if w is None else gc * compute_array(w)
    gx = rstd[:, None] * (dxhat - dxhat.mean(axis=1, keepdims=True)
                          - xhat * (dxhat * xhat).mean(axis=1, keepdims=True))
    return gx, (gc * xhat).sum(axis=0), gc.sum(axis=0)


def _row_backward_half(r, gc, mean, rstd, w, half):
    """PyTorch's CPU backward for float16/bfloat16 rows (r, gc: float32 copies): it saves the
    mean and rstd rounded to the half type and computes, in float32, per row
    gx = rstd dy + b x + c with dy = g w, ds = sum(dy x), db = sum(dy),
    b = (db mean - ds) rstd^3 / D and c = -b mean - db rstd / D. On short rows with a small
    spread the rounded statistics move the result far from the exact gradient: PyTorch's
    numbers, reproduced (checked by the fuzz in tests/kernels)."""
    f32 = np.float32
    mean = mean.astype(half).astype(f32)
    rstd = rstd.astype(half).astype(f32)
    dy = gc if w is None else gc * compute_array(w)
    ds, db = (dy * r).sum(axis=1), dy.sum(axis=1)
    scale = f32(1.0 / r.shape[1])
    b = (db * mean - ds) * rstd * rstd * rstd * scale
    c = -b * mean - db * rstd * scale
    gx = rstd[:, None] * dy + b[:, None] * r + c[:, None]
    xhat = (r - mean[:, None]) * rstd[:, None]
    return gx, (gc * xhat).sum(axis=0), gc.sum(axis=0)


def _or_ones(xp, w, d, dtype):
    return xp.ones(d, dtype) if w is None else xp.ascontiguousarray(w).reshape(-1)


def _or_zeros(xp, b, d, dtype):
    return xp.zeros(d, dtype) if b is None else xp.ascontiguousarray(b).reshape(-1)


class NativeLayerNorm(ArrayFunction):
    @staticmethod
    def forward(ctx, x, weight, bias, n_norm, eps):
        arr = x._data
        d = int(np.prod(arr.shape[arr.ndim - n_norm:], dtype=np.int64))
        rows = arr.reshape(int(np.prod(arr.shape[:arr.ndim - n_norm], dtype=np.int64)), d)
        w = None if weight is None else weight._data.reshape(-1)
        b = None if bias is None else bias._data.reshape(-1)
        out, mean, rstd = _row_forward(rows, w, b, eps)
        ctx.save_for_backward(x, weight)
        ctx.stats = (mean, rstd, d, None if bias is None else bias._data)
        ctx.eps, ctx.n_norm = eps, n_norm
        return _wrap(out.reshape(arr.shape).astype(arr.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        mean, rstd, d, bias = ctx.stats
        arr = x._data
        w = None if weight is None else weight._data.reshape(-1)
        gx, gw, gb = _row_backward(arr.reshape(mean.shape[0], d), g, mean, rstd, w)
        gx = gx.reshape(arr.shape).astype(arr.dtype, copy=False)
        if weight is not None:
            gw = gw.reshape(weight.shape).astype(weight._data.dtype, copy=False)
        if bias is not None:
            gb = gb.reshape(bias.shape).astype(bias.dtype, copy=False)
        return gx, gw if weight is not None else None, gb if bias is not None else None, \
            None, None

    @staticmethod
    def grad_formula(ctx, g):
        """The backward with the statistics recomputed from x in Tensor ops."""
        x, weight = ctx.saved_tensors
        bias = ctx.stats[3]
        n_norm = ctx.n_norm
        dims = tuple(range(x.dim() - n_norm, x.dim()))
        lead = tuple(range(x.dim() - n_norm))
        needs = ctx.needs_input_grad
        xhat, rstd = _normalized(x, dims, ctx.eps)
        gx = gw = gb = None
        if needs[0]:
            gx = _as_dtype(_norm_input_grad(g if weight is None else g * weight, xhat, rstd,
                                            dims), x.dtype)
        if weight is not None and needs[1]:
            gw = _as_dtype(_sum_over(g * xhat, lead), weight.dtype)
        if bias is not None and needs[2]:
            gb = _as_dtype(_sum_over(g, lead), g.dtype)
        return gx, gw, gb, None, None


class NativeGroupNorm(ArrayFunction):
    """Rows (N * G, C/G * L) normalized by the row kernels, then a per-channel affine."""

    @staticmethod
    def forward(ctx, x, weight, bias, groups, eps):
        arr = x._data
        n, c, l = arr.shape[0], arr.shape[1], int(np.prod(arr.shape[2:], dtype=np.int64))
        rows = arr.reshape(n * groups, c // groups * l)   # explicit sizes: 0-size dims too
        xhat, mean, rstd = _row_forward(rows, None, None, eps)
        out = xhat.reshape(n, c, l)
        if weight is not None:
            out = out * compute_array(weight._data).reshape(1, c, 1)
        if bias is not None:
            out = out + compute_array(bias._data).reshape(1, c, 1)
        ctx.save_for_backward(x, weight)
        ctx.stats = (mean, rstd, groups, bias is not None)
        ctx.eps = eps
        return _wrap(out.reshape(arr.shape).astype(arr.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        mean, rstd, groups, has_bias = ctx.stats
        arr = x._data
        n, c, l = arr.shape[0], arr.shape[1], int(np.prod(arr.shape[2:], dtype=np.int64))
        rows = arr.reshape(n * groups, c // groups * l)
        g3 = compute_array(g).reshape(n, c, l)
        gw = gb = None
        if weight is not None:
            xhat = ((compute_array(rows) - mean[:, None]) * rstd[:, None]).reshape(n, c, l)
            gw = (g3 * xhat).sum(axis=(0, 2)).astype(weight._data.dtype)
            if l == 0 and n:   # empty groups: PyTorch's rstd is nan (0/0 variance), so is gw
                gw[...] = np.nan
            g3 = g3 * compute_array(weight._data).reshape(1, c, 1)
        if has_bias:
            gb = g3.sum(axis=(0, 2)) if weight is None else \
                compute_array(g).reshape(n, c, l).sum(axis=(0, 2))
            gb = gb.astype(arr.dtype, copy=False)
        grows = g3.reshape(rows.shape).astype(rows.dtype, copy=False)
        gx, _, _ = _row_backward(rows, grows, mean, rstd, None)
        return gx.reshape(arr.shape).astype(arr.dtype, copy=False), gw, gb, None, None

    @staticmethod
    def grad_formula(ctx, g):
        x, weight = ctx.saved_tensors
        groups, has_bias = ctx.stats[2], ctx.stats[3]
        n, c = x.shape[0], x.shape[1]
        l = int(np.prod(x.shape[2:], dtype=np.int64))
        rows = x.reshape(n, groups, c // groups * l)
        xhat, rstd = _normalized(rows, (2,), ctx.eps)
        g3 = g.reshape(n, c, l)
        needs = ctx.needs_input_grad
        gx = gw = gb = None
        if needs[0]:
            dxhat = g3 if weight is None else g3 * weight.reshape(1, c, 1)
            gx = _norm_input_grad(dxhat.reshape(rows.shape), xhat, rstd, (2,))
            gx = _as_dtype(gx.reshape(x.shape), x.dtype)
        if weight is not None and needs[1]:
            gw = _as_dtype((g3 * xhat.reshape(n, c, l)).sum((0, 2)), weight.dtype)
        if has_bias and needs[2]:
            gb = _as_dtype(g3.sum((0, 2)), x.dtype)
        return gx, gw, gb, None, None


# ------------------------------------------------------------------ batch normalization
class NativeBatchNorm(ArrayFunction):
    """Per-channel normalization of (N, C, *) input; updates running stats in training."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        arr = x._data
        n, c = arr.shape[0], arr.shape[1]
        x3 = arr.reshape(n, c, int(np.prod(arr.shape[2:], dtype=np.int64)))
        use_batch = training
        w = None if weight is None else weight._data
        b = None if bias is None else bias._data
        xp = xp_of(arr)
        if arr.size == 0:   # as PyTorch: an empty result, running stats untouched, zero grads
            acc = acc_dtype(arr.dtype)
            ctx.save_for_backward(x, weight)
            ctx.stats = (xp.zeros(c, acc), xp.zeros(c, acc), use_batch, bias is not None)
            return _wrap(xp.empty(arr.shape, arr.dtype))
        kernel = kernel_for(arr, "norm", "channel_norm_fwd") if arr.size else None
        same = all(t is None or t.dtype == arr.dtype for t in (w, b))
        if kernel is not None and same:
            x3 = xp.ascontiguousarray(x3)
            acc = acc_dtype(arr.dtype)   # statistics in float for half types, as PyTorch
            if use_batch:
                mean, var = xp.empty(c, acc), xp.empty(c, acc)
            else:
                mean = running_mean._data.astype(acc)
                var = running_var._data.astype(acc)
            out = xp.empty(x3.shape, arr.dtype)
            rstd = xp.empty(c, acc)
            kernel(x3, mean, var, _or_ones(xp, w, c, arr.dtype),
                   _or_zeros(xp, b, c, arr.dtype), float(eps), use_batch, out, rstd)
        else:
            xc = compute_array(x3)
            if use_batch:
                mean = xc.mean(axis=(0, 2))
                var = ((xc - mean[None, :, None]) ** 2).mean(axis=(0, 2))
            else:
                mean = compute_array(running_mean._data).astype(xc.dtype)
                var = compute_array(running_var._data).astype(xc.dtype)
            rstd = 1.0 / xp.sqrt(var + eps)
            out = (xc - mean[None, :, None]) * rstd[None, :, None]
            if w is not None:
                out = out * compute_array(w)[None, :, None]
            if b is not None:
                out = out + compute_array(b)[None, :, None]
        if use_batch:
            _update_running(running_mean, running_var, mean, var, momentum, x3.shape)
        ctx.save_for_backward(x, weight)
        ctx.stats = (mean, rstd, use_batch, bias is not None)
        ctx.eps = eps
        return _wrap(out.reshape(arr.shape).astype(arr.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        mean, rstd, use_batch, has_bias = ctx.stats
        arr = x._data
        n, c = arr.shape[0], arr.shape[1]
        x3 = arr.reshape(n, c, int(np.prod(arr.shape[2:], dtype=np.int64)))
        w = None if weight is None else weight._data
        xp = xp_of(arr)
        kernel = kernel_for(arr, "norm", "channel_norm_bwd") if arr.size else None
        if arr.size == 0:
            gx, gw, gb = xp.empty(x3.shape, arr.dtype), xp.zeros(c, arr.dtype), \
                xp.zeros(c, arr.dtype)
        elif kernel is not None and g.dtype == arr.dtype and mean.dtype == acc_dtype(arr.dtype) \
                and (w is None or w.dtype == arr.dtype):
            x3 = xp.ascontiguousarray(x3)
            gx = xp.empty(x3.shape, arr.dtype)
            gw = xp.empty(c, arr.dtype)
            gb = xp.empty(c, arr.dtype)
            kernel(x3, xp.ascontiguousarray(g).reshape(x3.shape), mean, rstd,
                   _or_ones(xp, w, c, arr.dtype), use_batch, gx, gw, gb)
        else:
            gx, gw, gb = _batch_norm_bwd_np(compute_array(x3), compute_array(g).reshape(x3.shape),
                                            mean, rstd, w, use_batch)
        gx = gx.reshape(arr.shape).astype(arr.dtype, copy=False)
        gw = None if weight is None else gw.astype(weight._data.dtype, copy=False)
        gb = gb.astype(arr.dtype if weight is None else weight._data.dtype, copy=False) \
            if has_bias else None
        return gx, gw, gb, None, None, None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        """Training: the batch statistics recomputed from x in Tensor ops; eval: the running
        statistics (constants) as the forward used them."""
        x, weight = ctx.saved_tensors
        mean, rstd, use_batch, has_bias = ctx.stats
        n, c = x.shape[0], x.shape[1]
        x3 = x.reshape(n, c, int(np.prod(x.shape[2:], dtype=np.int64)))
        g3 = g.reshape(x3.shape)
        if use_batch:
            xhat, rstd_t = _normalized(x3, (0, 2), ctx.eps)
        else:
            rstd_t = _wrap(rstd.reshape(1, c, 1).astype(x._data.dtype, copy=False))
            xhat = (x3 - _wrap(mean.reshape(1, c, 1).astype(x._data.dtype, copy=False))) * rstd_t
        needs = ctx.needs_input_grad
        gx = gw = gb = None
        if needs[0]:
            dxhat = g3 if weight is None else g3 * weight.reshape(1, c, 1)
            gx = _norm_input_grad(dxhat, xhat, rstd_t, (0, 2)) if use_batch else dxhat * rstd_t
            gx = _as_dtype(gx.reshape(x.shape), x.dtype)
        if weight is not None and needs[1]:
            gw = _as_dtype((g3 * xhat).sum((0, 2)), weight.dtype)
        if has_bias and needs[2]:
            gb = _as_dtype(g3.sum((0, 2)), x.dtype if weight is None else weight.dtype)
        return gx, gw, gb, None, None, None, None, None


def _normalized(x: Tensor, dims: tuple, eps: float):
    """(x - mean) * rstd and rstd over `dims` (keepdim), biased variance, as Tensor ops."""
    centered = x - x.mean(dims, keepdim=True)
    rstd = ((centered * centered).mean(dims, keepdim=True) + eps).rsqrt()
    return centered * rstd, rstd


def _norm_input_grad(dxhat: Tensor, xhat: Tensor, rstd: Tensor, dims: tuple) -> Tensor:
    """d/dx of a normalization over `dims` applied to dxhat (the gradient at xhat)."""
    return rstd * (dxhat - dxhat.mean(dims, keepdim=True)
                   - xhat * (dxhat * xhat).mean(dims, keepdim=True))


def _sum_over(t: Tensor, dims: tuple) -> Tensor:
    return t.sum(dims) if dims else t


def _as_dtype(t: Tensor, dtype) -> Tensor:
    return t if t.dtype == dtype else t.to(dtype)


def _batch_norm_bwd_np(x3, g3, mean, rstd, w, use_batch):
    count = x3.shape[0] * x3.shape[2]
    centered = x3 - mean[None, :, None]
    sg = g3.sum(axis=(0, 2))
    sgx = (g3 * centered).sum(axis=(0, 2))
    k = rstd if w is None else rstd * compute_array(w)
    if use_batch:
        gx = k[None, :, None] * (g3 - (sg / count)[None, :, None]
                                 - centered * (sgx * rstd * rstd / count)[None, :, None])
    else:
        gx = k[None, :, None] * g3
    return gx, sgx * rstd, sg


def _update_running(running_mean, running_var, mean, var, momentum, shape3) -> None:
    """running = (1 - momentum) * running + momentum * batch (unbiased var), in place."""
    count = shape3[0] * shape3[2]
    if running_mean is not None:
        rm = running_mean._data
        rm[...] = (1.0 - momentum) * rm + momentum * mean.astype(rm.dtype)
        bump(running_mean)
    if running_var is not None:
        rv = running_var._data
        unbiased = var * (count / max(count - 1, 1))
        rv[...] = (1.0 - momentum) * rv + momentum * unbiased.astype(rv.dtype)
        bump(running_var)


# ------------------------------------------------------------------ checks and public API
def _check_vector(t: Tensor | None, name: str, c: int) -> None:
    if t is not None and t.numel() != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")


def _check_dtypes(x: Tensor, *others) -> None:
    for t in others:
        if t is not None and t.dtype is not x.dtype and not (
                x.dtype.itemsize == 2 and t.dtype.name == "float32"):
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


_ROW_NORM = ("norm.row_norm_fwd", "norm.row_norm_bwd")
_CHANNEL_NORM = ("norm.channel_norm_fwd", "norm.channel_norm_bwd")


@op("batch_norm", namespace="nn.functional", kernels=_CHANNEL_NORM)
def batch_norm_f(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
                 weight: Tensor | None = None, bias: Tensor | None = None,
                 training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """F.batch_norm: normalize each channel of (N, C, *) input.

    training=True uses the batch's mean and biased variance and updates running_mean /
    running_var in place (momentum, unbiased variance); training=False uses the running stats.
    """
    if training:
        size = input.shape[0] * int(np.prod(input.shape[2:], dtype=np.int64)) \
            if input.ndim >= 2 else input.numel()
        if size == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {input.shape}")
    if momentum is None or isinstance(momentum, bool):
        raise TypeError(f"batch_norm(): argument 'momentum' (position 7) must be float, not "
                        f"{type(momentum).__name__}")
    return batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
                      False)


@op("batch_norm", kernels=_CHANNEL_NORM)
def batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
               running_mean: Tensor | None, running_var: Tensor | None, training: bool,
               momentum: float, eps: float, cudnn_enabled: bool = False) -> Tensor:
    """torch.batch_norm(input, weight, bias, running_mean, running_var, training, momentum,
    eps, cudnn_enabled): the top-level form (argument order as in PyTorch)."""
    c = input.shape[1] if input.ndim >= 2 else 0
    _check_vector(running_mean, "running_mean", c)
    _check_vector(running_var, "running_var", c)
    _check_vector(weight, "weight", c)
    _check_vector(bias, "bias", c)
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError(f"running_{'mean' if running_mean is None else 'var'} must be "
                           f"defined in evaluation mode")
    if not input.is_floating_point():
        raise NotImplementedError(f'"batch_norm" not implemented for \'{type_name(input)}\'')
    _check_dtypes(input, weight, bias, running_mean, running_var)
    return NativeBatchNorm.apply(input, weight, bias, running_mean, running_var, bool(training),
                                 float(momentum), float(eps))


def _shape_tuple(normalized_shape) -> tuple:
    if isinstance(normalized_shape, (int, np.integer)):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple "
                        "of ints, not int")
    return tuple(int(v) for v in normalized_shape)


@op("layer_norm", kernels=_ROW_NORM)
def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5,
               cudnn_enable: bool = True) -> Tensor:
    """Normalize over the trailing dims `normalized_shape` (mean and biased variance per
    sample), then scale by weight and add bias (both of shape normalized_shape)."""
    shape = _shape_tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(shape)}")
    if not input.is_floating_point():
        raise NotImplementedError(f'"LayerNormKernelImpl" not implemented for '
                                  f"'{type_name(input)}'")
    _check_dtypes(input, weight, bias)
    return NativeLayerNorm.apply(input, weight, bias, k, float(eps))


@op("group_norm", kernels=_ROW_NORM)
def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5,
               cudnn_enabled: bool = True) -> Tensor:
    """Normalize (N, C, *) input over each group of C/num_groups channels (and the spatial
    dims) per sample, then apply a per-channel weight and bias."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    c = input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(t.shape)} "
                               f"and input of shape {list(input.shape)}")
    if not input.is_floating_point():
        raise NotImplementedError(f'"GroupNormKernelImpl" not implemented for '
                                  f"'{type_name(input)}'")
    _check_dtypes(input, weight, bias)
    return NativeGroupNorm.apply(input, weight, bias, int(num_groups), float(eps))


# F.layer_norm / F.group_norm: PyTorch's F signatures (no cudnn flag). They are cast by the
# autocast hook of the torch op they call (autocast=False: not hooked twice).
@op("layer_norm", namespace="nn.functional", autocast=False, kernels=_ROW_NORM)
def layer_norm_f(input: Tensor, normalized_shape, weight: Tensor | None = None,
                 bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing dims `normalized_shape`, then weight and bias."""
    return layer_norm(input, normalized_shape, weight, bias, eps)


@op("group_norm", namespace="nn.functional", autocast=False, kernels=_ROW_NORM)
def group_norm_f(input: Tensor, num_groups: int, weight: Tensor | None = None,
                 bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize each group of channels of (N, C, *) input, then a per-channel affine."""
    return group_norm(input, num_groups, weight, bias, eps)
