"""CTC loss kernels: the alpha (forward) and beta (backward) recursions in log space, as
PyTorch's CPU implementation (aten/src/ATen/native/LossCTC.cpp) runs them.

For sample b with input length T_b, target l (length L) and the extended target l' of
length S = 2L + 1 (blank, l_1, blank, ..., l_L, blank):

    alpha[0, 0] = lp[0, blank],  alpha[0, 1] = lp[0, l_1]
    alpha[t, s] = lp[t, l'_s] + lse(alpha[t-1, s], alpha[t-1, s-1], alpha[t-1, s-2])
                  (the s-2 term only where l'_s is a label different from l'_{s-2})
    nll_b       = -lse(alpha[T_b-1, S-1], alpha[T_b-1, S-2])

beta is the same recursion run backwards from T_b - 1 (both include lp[t, l'_s]), and the
gradient written is PyTorch's, exp(lp) - exp(lse_{s: l'_s = c}(alpha + beta) + nll - lp),
times grad_out[b] (that is the gradient with respect to the logits of a log_softmax: the
exp(lp) term is what log_softmax's backward would add); 0 for t >= T_b, and 0 for the whole
sample where zero_infinity is set and nll_b is inf.

Arguments: lp (T, N, C) float32/float64; tg (N, Lmax) int64 padded targets; il, tl (N,) int64
lengths; log_alpha / log_beta (N, T, 2 Lmax + 1) scratch of lp's dtype. The op validates every
length and target index first; the kernels re-check them and give NaN for a sample that
would read outside its arrays, so no input can make them index out of bounds.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["ctc_fwd", "ctc_bwd"]


@njit(cache=True)
def _sample_ok(lp, tg, il, tl, blank, scratch, b):
    """Whether sample b's lengths and targets stay inside the arrays."""
    t_len, _, c = lp.shape
    L = tl[b]
    if il[b] < 0 or il[b] > t_len or L < 0 or L > tg.shape[1] or 2 * L + 1 > scratch.shape[2]:
        return False
    if scratch.shape[1] < t_len or blank < 0 or blank >= c:
        return False
    for j in range(L):
        if tg[b, j] < 0 or tg[b, j] >= c:
            return False
    return True


@njit(cache=True)
def _label(tg, b, s, blank):
    """l'_s: blank at even s, the target's (s - 1) / 2-th label at odd s."""
    if s % 2 == 0:
        return blank
    return tg[b, s // 2]


@njit(cache=True)
def _lse3(a, b, c):
    """log(exp(a) + exp(b) + exp(c)), PyTorch's way (max 0 where all are -inf)."""
    m = max(a, max(b, c))
    if m == -np.inf:
        m = 0.0
    return math.log(math.exp(a - m) + math.exp(b - m) + math.exp(c - m)) + m


@njit(cache=True)
def ctc_fwd(lp, tg, il, tl, blank, log_alpha, nll):
    """Fill log_alpha (N, T, S) and nll (N,)."""
    n = lp.shape[1]
    if tg.shape[0] < n or il.shape[0] < n or tl.shape[0] < n or nll.shape[0] < n \
            or log_alpha.shape[0] < n:
        return
    for b in range(n):
        la = log_alpha[b]
        la[:, :] = -np.inf
        if not _sample_ok(lp, tg, il, tl, blank, log_alpha, b):
            nll[b] = np.nan
            continue
        t_b, L = il[b], tl[b]
        if t_b == 0:
            nll[b] = -0.0 if L == 0 else np.inf
            continue
        la[0, 0] = lp[0, b, blank]
        if L > 0:
            la[0, 1] = lp[0, b, tg[b, 0]]
        for t in range(1, t_b):
            for s in range(2 * L + 1):
                cur = _label(tg, b, s, blank)
                a1 = la[t - 1, s]
                a2 = la[t - 1, s - 1] if s > 0 else -np.inf
                a3 = -np.inf
                if s > 1 and _label(tg, b, s - 2, blank) != cur:
                    a3 = la[t - 1, s - 2]
                la[t, s] = _lse3(a1, a2, a3) + lp[t, b, cur]
        l1 = la[t_b - 1, 2 * L]
        l2 = la[t_b - 1, 2 * L - 1] if L > 0 else -np.inf
        nll[b] = -_lse3(l1, l2, -np.inf)


@njit(cache=True)
def _log_add(acc, v):
    if acc == -np.inf:
        return v
    m = max(acc, v)
    return math.log(math.exp(acc - m) + math.exp(v - m)) + m


@njit(cache=True)
def ctc_bwd(lp, tg, il, tl, blank, nll, log_alpha, grad_out, zero_infinity, log_beta, grad):
    """Fill grad (T, N, C) with the loss gradient of each sample times grad_out[b]."""
    t_len, n, c = lp.shape
    if tg.shape[0] < n or il.shape[0] < n or tl.shape[0] < n or nll.shape[0] < n \
            or log_alpha.shape != log_beta.shape or log_alpha.shape[0] < n \
            or grad_out.shape[0] < n or grad.shape != lp.shape:
        return
    for b in range(n):
        grad[:, b, :] = 0.0
        if not _sample_ok(lp, tg, il, tl, blank, log_alpha, b):
            grad[:, b, :] = np.nan
            continue
        if zero_infinity and nll[b] == np.inf:
            continue
        t_b, L = il[b], tl[b]
        if t_b == 0:
            continue
        _beta(lp, tg, b, t_b, L, blank, log_alpha[b], log_beta[b], grad)
        gr = grad_out[b]
        for t in range(t_b):
            for k in range(c):
                p = lp[t, b, k]
                grad[t, b, k] = (math.exp(p) - math.exp(grad[t, b, k] + nll[b] - p)) * gr


@njit(cache=True)
def _beta(lp, tg, b, t_b, L, blank, la, lb, grad):
    """log beta of sample b, and grad[t, b, c] = lse over l'_s = c of alpha + beta."""
    lb[:, :] = -np.inf
    grad[:t_b, b, :] = -np.inf
    last = t_b - 1
    lb[last, 2 * L] = lp[last, b, blank]
    grad[last, b, blank] = la[last, 2 * L] + lb[last, 2 * L]
    if L > 0:
        cur = _label(tg, b, 2 * L - 1, blank)
        lb[last, 2 * L - 1] = lp[last, b, cur]
        grad[last, b, cur] = la[last, 2 * L - 1] + lb[last, 2 * L - 1]
    for t in range(t_b - 2, -1, -1):
        for s in range(2 * L, -1, -1):
            cur = _label(tg, b, s, blank)
            b1 = lb[t + 1, s]
            b2 = lb[t + 1, s + 1] if s < 2 * L else -np.inf
            b3 = -np.inf
            if s < 2 * L - 1 and _label(tg, b, s + 2, blank) != cur:
                b3 = lb[t + 1, s + 2]
            lb[t, s] = _lse3(b1, b2, b3) + lp[t, b, cur]
            grad[t, b, cur] = _log_add(grad[t, b, cur], la[t, s] + lb[t, s])
