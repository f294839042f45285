"""Connectionist temporal classification loss: F.ctc_loss and torch.ctc_loss.

The per-sample negative log-likelihood is one `ArrayFunction` (CtcLoss, node CtcLossBackward0)
running the alpha/beta recursions in log space: the Numba kernels of kernels/cpu/ctc.py on the
CPU (float32/float64), the batch-vectorized `xp` code below elsewhere (CuPy on the GPU). Its
gradient is PyTorch's: exp(log_probs) - posterior, the gradient with respect to the logits of
a log_softmax (see kernels/cpu/ctc.py), so results match PyTorch's through log_softmax and
directly. zero_infinity and the reduction ('mean' divides each loss by its target length,
clamped at 1, then averages) are the ops PyTorch composes around it.

Every length and target index is checked here, with PyTorch's errors, before a kernel runs.
Target values must lie in [0, C) and differ from `blank` (PyTorch does not check them: it
reads out of bounds, or computes with a blank target), a RuntimeError here.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import kernel_for, type_name
from ._util import xp_of
from .registry import op
from .selection import where

_WHERE = " (while checking arguments for ctc_loss_allocate_outputs)"


# ------------------------------------------------------------------ the autograd function
class CtcLoss(ArrayFunction):
    """nll (N,) of log_probs (T, N, C) for padded targets (N, Lmax) and int64 lengths."""

    @staticmethod
    def forward(ctx, log_probs, targets, input_lengths, target_lengths, blank, zero_infinity):
        lp = log_probs._data
        xp = xp_of(lp)
        t_len, n, _ = lp.shape
        s_len = 2 * targets.shape[1] + 1
        log_alpha = xp.empty((n, t_len, s_len), dtype=lp.dtype)
        nll = xp.empty(n, dtype=lp.dtype)
        kernel = kernel_for(lp, "ctc", "ctc_fwd")
        args = (targets, input_lengths, target_lengths)
        if kernel is not None:
            lp = np.ascontiguousarray(lp)
            kernel(lp, *args, blank, log_alpha, nll)
        else:
            args = tuple(xp.asarray(a) for a in args)
            log_alpha, nll = _forward_xp(xp, lp, *args, blank)
        ctx.save_for_backward(log_probs)
        ctx.state = (args, blank, zero_infinity, log_alpha, nll)
        return _wrap(nll)

    @staticmethod
    def backward(ctx, g):
        (log_probs,) = ctx.saved_tensors
        args, blank, zero_infinity, log_alpha, nll = ctx.state
        lp = log_probs._data
        xp = xp_of(lp)
        g = xp.ascontiguousarray(g.astype(lp.dtype, copy=False).reshape(-1))
        kernel = kernel_for(lp, "ctc", "ctc_bwd")
        if kernel is not None:
            lp = np.ascontiguousarray(lp)
            grad = np.empty_like(lp)
            kernel(lp, *args, blank, nll, log_alpha, g, bool(zero_infinity),
                   np.empty_like(log_alpha), grad)
        else:
            grad = _backward_xp(xp, lp, *args, blank, nll, log_alpha, g, zero_infinity)
        return grad, None, None, None, None, None


# ------------------------------------------------------------------ the xp recursions
def _lse3(xp, a, b, c):
    m = xp.maximum(a, xp.maximum(b, c))
    m = xp.where(m == -np.inf, 0.0, m)
    return xp.log(xp.exp(a - m) + xp.exp(b - m) + xp.exp(c - m)) + m


def _shift(xp, a, k):
    """a[:, s - k] at column s (k > 0) or a[:, s + |k|] (k < 0), -inf where outside."""
    pad = xp.full((a.shape[0], abs(k)), -np.inf, dtype=a.dtype)
    if k > 0:
        return xp.concatenate([pad, a[:, :-k]], axis=1)
    return xp.concatenate([a[:, -k:], pad], axis=1)


def _extended(xp, lp, targets, target_lengths, blank):
    """l' (N, S), lp at l' (T, N, S) (-inf past 2L + 1) and the s-2 transition mask."""
    n = lp.shape[1]
    s_len = 2 * targets.shape[1] + 1
    lab = xp.full((n, s_len), blank, dtype=np.int64)
    lab[:, 1::2] = targets
    s = xp.arange(s_len)
    valid = s[None, :] < (2 * target_lengths + 1)[:, None]
    lpe = xp.where(valid[None], lp[:, xp.arange(n)[:, None], lab], -np.inf)
    skip = xp.zeros((n, s_len), dtype=bool)
    skip[:, 2:] = (lab[:, 2:] != lab[:, :-2]) & (s[None, 2:] % 2 == 1)
    return lab, lpe, skip


def _forward_xp(xp, lp, targets, input_lengths, target_lengths, blank):
    _, lpe, skip = _extended(xp, lp, targets, target_lengths, blank)
    t_len, n, s_len = lpe.shape
    la = xp.full((t_len, n, s_len), -np.inf, dtype=lp.dtype)
    la[0, :, :2] = lpe[0, :, :2]
    for t in range(1, t_len):
        prev = la[t - 1]
        a3 = xp.where(skip, _shift(xp, prev, 2), -np.inf)
        la[t] = _lse3(xp, prev, _shift(xp, prev, 1), a3) + lpe[t]
    rows = xp.arange(n)
    last = xp.maximum(input_lengths - 1, 0)
    l1 = la[last, rows, 2 * target_lengths]
    l2 = xp.where(target_lengths > 0, la[last, rows, xp.maximum(2 * target_lengths - 1, 0)],
                  -np.inf)
    nll = -_lse3(xp, l1, l2, xp.full_like(l1, -np.inf))
    empty = xp.where(target_lengths == 0, -0.0, np.inf).astype(lp.dtype)
    nll = xp.where(input_lengths == 0, empty, nll)
    return xp.ascontiguousarray(la.transpose(1, 0, 2)), nll


def _backward_xp(xp, lp, targets, input_lengths, target_lengths, blank, nll, log_alpha, g,
                 zero_infinity):
    lab, lpe, skip = _extended(xp, lp, targets, target_lengths, blank)
    t_len, n, s_len = lpe.shape
    la = log_alpha.transpose(1, 0, 2)
    s = xp.arange(s_len)[None, :]
    ends = (s == 2 * target_lengths[:, None]) | \
        ((s == 2 * target_lengths[:, None] - 1) & (target_lengths[:, None] > 0))
    skip_next = _shift(xp, skip.astype(lp.dtype), -2) > 0
    lb = xp.full((t_len, n, s_len), -np.inf, dtype=lp.dtype)
    last = (input_lengths - 1)[:, None]
    nxt = xp.full((n, s_len), -np.inf, dtype=lp.dtype)
    for t in range(t_len - 1, -1, -1):
        b3 = xp.where(skip_next, _shift(xp, nxt, -2), -np.inf)
        rec = _lse3(xp, nxt, _shift(xp, nxt, -1), b3) + lpe[t]
        init = xp.where(ends, lpe[t], -np.inf)
        lb[t] = nxt = xp.where(t == last, init, xp.where(t < last, rec, -np.inf))
    ab = la + lb
    lcab = xp.full(lp.shape, -np.inf, dtype=lp.dtype)
    rows = xp.arange(n)
    for k in range(s_len):                 # one l'_s per sample: no index repeats in a step
        idx = lab[:, k]
        lcab[:, rows, idx] = xp.logaddexp(lcab[:, rows, idx], ab[:, :, k])
    grad = (xp.exp(lp) - xp.exp(lcab + nll[None, :, None] - lp)) * g[None, :, None]
    keep = xp.arange(t_len)[:, None] < input_lengths[None, :]
    if zero_infinity:
        keep = keep & (nll != np.inf)[None, :]
    return xp.where(keep[:, :, None], grad, 0.0).astype(lp.dtype, copy=False)


# ------------------------------------------------------------------ arguments and checks
def _lengths(value, name: str) -> np.ndarray:
    """input_lengths / target_lengths (a Tensor of integers or a sequence of ints) as int64."""
    if isinstance(value, Tensor):
        if value.is_floating_point() or value.is_complex() or value.dtype.name == "bool":
            raise RuntimeError(f"{name} must be integral")
        return np.asarray(value.cpu().numpy(), dtype=np.int64).reshape(-1)
    if isinstance(value, (list, tuple)) and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        return np.asarray(value, dtype=np.int64).reshape(-1)
    raise TypeError(f"ctc_loss(): argument '{name}' must be a tuple of ints or a Tensor, "
                    f"not {type(value).__name__}")


def _check_dims(log_probs: Tensor, targets: Tensor) -> None:
    if log_probs.dim() != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {log_probs.dim()}-dimensional"
                           f" tensor for argument #1 'log_probs'{_WHERE}")
    if targets.dim() not in (1, 2):
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {targets.dim()}-dimensional "
                           f"tensor for argument #2 'targets'{_WHERE}")
    if log_probs.numel() == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    if log_probs.dtype.name not in ("float32", "float64"):
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for '{type_name(log_probs)}'")


def _check_lengths(t_len: int, n: int, c: int, blank: int, il, tl) -> None:
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    if il.size != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tl.size != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    for name, lengths in (("target_lengths", tl), ("input_lengths", il)):
        if (lengths < 0).any():
            raise RuntimeError(f"Expected {name} to have value at least 0, but got value "
                               f"{int(lengths[lengths < 0][0])}{_WHERE}")
    if (il > t_len).any():
        raise RuntimeError(f"Expected input_lengths to have value at most {t_len}, but got "
                           f"value {int(il[il > t_len][0])}{_WHERE}")


def _padded_targets(targets: Tensor, n: int, tl: np.ndarray) -> np.ndarray:
    """Targets (N, S) padded, or 1-D concatenated, as an (N, max length) int64 array."""
    tg = np.asarray(targets.detach().cpu().numpy()).astype(np.int64)
    max_len = int(tl.max()) if tl.size else 0
    if tg.ndim == 1:
        total = int(tl.sum())
        if tg.shape[0] != total:
            raise RuntimeError(f"Expected tensor to have size {total} at dimension 0, but got "
                               f"size {tg.shape[0]} for argument #2 'targets'{_WHERE}")
        out = np.zeros((n, max_len), dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(tl)[:-1]]) if n else tl
        for b in range(n):
            out[b, :tl[b]] = tg[starts[b]:starts[b] + tl[b]]
        return out
    if tg.shape[0] != n:
        raise RuntimeError(f"Expected tensor to have size {n} at dimension 0, but got size "
                           f"{tg.shape[0]} for argument #2 'targets'{_WHERE}")
    if tg.shape[1] < max_len:
        raise RuntimeError(f"Expected tensor to have size at least {max_len} at dimension 1, "
                           f"but got size {tg.shape[1]} for argument #2 'targets'{_WHERE}")
    return np.ascontiguousarray(tg[:, :max_len])


def _check_target_values(tg: np.ndarray, tl: np.ndarray, c: int, blank: int) -> None:
    used = np.arange(tg.shape[1])[None, :] < tl[:, None]
    bad = used & ((tg < 0) | (tg >= c) | (tg == blank))
    if bad.any():
        b, j = (int(v[0]) for v in np.nonzero(bad))
        raise RuntimeError(f"ctc_loss: target values must be in [0, {c}) and differ from blank "
                           f"({blank}), but targets of sample {b} hold {int(tg[b, j])} at "
                           f"position {j}")


# ------------------------------------------------------------------ the ops
def _ctc(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity):
    il = _lengths(input_lengths, "input_lengths")
    tl = _lengths(target_lengths, "target_lengths")
    batched = log_probs.dim() == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    _check_dims(lp, targets)
    t_len, n, c = lp.shape
    _check_lengths(t_len, n, c, int(blank), il, tl)
    tg = _padded_targets(targets, n, tl)
    _check_target_values(tg, tl, c, int(blank))
    res = CtcLoss.apply(lp, tg, il, tl, int(blank), bool(zero_infinity))
    if zero_infinity:
        res = where(res == float("inf"), res.new_zeros(()), res)
    if reduction == "mean":
        res = (res / res.new_tensor(tl.tolist()).clamp_min(1)).mean()
    elif reduction == "sum":
        res = res.sum()
    return res if batched or reduction != "none" else res.squeeze(0)


@op("ctc_loss", namespace="nn.functional", kernels=("cpu:ctc.ctc_fwd", "cpu:ctc.ctc_bwd"))
def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """CTC loss of log_probs (T, N, C) or (T, C) against targets (N, S) padded or 1-D
    concatenated; 'mean' divides each loss by its target length, then averages."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _ctc(log_probs, targets, input_lengths, target_lengths, blank, reduction,
                zero_infinity)


@op("ctc_loss", kernels=("cpu:ctc.ctc_fwd", "cpu:ctc.ctc_bwd"))
def ctc_loss_aten(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths,
                  blank: int = 0, reduction: int = 0, zero_infinity: bool = False) -> Tensor:
    """torch.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction: int,
    zero_infinity)."""
    return _ctc(log_probs, targets, input_lengths, target_lengths, blank,
                {1: "mean", 2: "sum"}.get(int(reduction), "none"), zero_infinity)
