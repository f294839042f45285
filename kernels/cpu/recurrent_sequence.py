"""A whole recurrent sequence, one layer and direction, in one Numba call (float32, the CPU).

ops/recurrent.py runs LSTM, GRU and RNN layers as one graph node each. Its Python loop pays,
per time step, numpy's dispatch for the recurrent product, a few copies and the call of the
step's gate kernel (kernels/cpu/recurrent.py). These kernels run that loop itself in Numba:
per step the recurrent product through numpy's own BLAS (kernels/cpu/blas.py), then the same
gate kernels, with the copies between them as plain loops. Same arithmetic in the same
order as the Python loop, so the same numbers.

Layouts (ops/recurrent.py): gate-major, a step's arrays are (rows, size) with `size` the number
of sequences running at that step; every step's block is stored one after the other in flat
buffers (`act`, `cells`, `hs`, `h_n`: block t starts at width * offsets[t]). The input
projection `gi` (G, N) and the gradients `d_in`, `d_rec` (G, N), `h_prev` (H, N) hold step t in
columns offsets[t]:offsets[t + 1]; the output `out` and its gradient `g_out` are (N, H) rows.
Initial and final states are (H, B). A PackedSequence is the case where sizes shrink over time:
step `order[k]` is the k-th step visited (reversed for the reverse direction); a step starts
from the first `size` columns of the previous step's state, and sequences that did not run in
the previous step take theirs from the initial state (ops/recurrent_steps.py `enter`);
sequences that do not go on leave their state in the final state (`leave`).

Every kernel checks the sizes of what it is given before its loop (`_check_steps`, the
products' own checks): their loops index without bounds checks.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ._fastmath import FAST, like, tanh_fast
from .blas import AVAILABLE, product
from .recurrent import gru_gates_bwd, gru_gates_fwd, lstm_gates_bwd, lstm_gates_fwd

__all__ = ["AVAILABLE", "lstm_sequence_fwd", "lstm_sequence_bwd", "gru_sequence_fwd",
           "gru_sequence_bwd", "rnn_sequence_fwd", "rnn_sequence_bwd"]


# ------------------------------------------------------------------ checks and copies
@njit(cache=True)
def _check_steps(sizes, offsets, order, n_rows, batch):
    """ValueError unless sizes, offsets and order describe steps of at most `batch` sequences
    covering n_rows rows, each step visited once."""
    count = sizes.size
    if offsets.size != count + 1 or order.size != count or offsets[0] != 0:
        raise ValueError("recurrent sequence: sizes, offsets and order do not agree")
    seen = np.zeros(count, np.bool_)
    for t in range(count):
        if sizes[t] < 0 or sizes[t] > batch or offsets[t + 1] - offsets[t] != sizes[t]:
            raise ValueError("recurrent sequence: a step's size does not fit the batch")
        k = order[t]
        if k < 0 or k >= count or seen[k]:
            raise ValueError("recurrent sequence: order is not a permutation of the steps")
        seen[k] = True
    if offsets[count] != n_rows:
        raise ValueError("recurrent sequence: the steps do not cover the rows")


@njit(cache=True)
def _check(condition, what):
    if not condition:
        raise ValueError(what)


@njit(cache=True)
def _gather(src, have, initial, size, dst):
    """dst (H, size) flat = the first columns of src (H, have) flat and, from column `have`
    on, the columns of `initial` (H, B): ops/recurrent_steps.py `enter`."""
    hidden = initial.shape[0]
    ncopy = min(have, size)
    for u in range(hidden):
        row = u * size
        for b in range(ncopy):
            dst[row + b] = src[u * have + b]
        for b in range(ncopy, size):
            dst[row + b] = initial[u, b]


@njit(cache=True)
def _leave(src, size, keep, final):
    """Columns keep:size of src (H, size) flat into final (H, B): `leave`."""
    for u in range(final.shape[0]):
        for b in range(keep, size):
            final[u, b] = src[u * size + b]


@njit(cache=True)
def _columns_in(mat, first, size, dst):
    """dst (R, size) flat = mat[:, first:first + size]."""
    for r in range(mat.shape[0]):
        row = r * size
        for b in range(size):
            dst[row + b] = mat[r, first + b]


@njit(cache=True)
def _columns_out(src, mat, first, size):
    """mat[:, first:first + size] = src (R, size) flat."""
    for r in range(mat.shape[0]):
        row = r * size
        for b in range(size):
            mat[r, first + b] = src[row + b]


@njit(cache=True)
def _rows_out(src, rows, first, size):
    """rows[first + b, u] = src[u, b]: a step's (H, size) state into (N, H) output rows."""
    for b in range(size):
        for u in range(rows.shape[1]):
            rows[first + b, u] = src[u * size + b]


@njit(cache=True)
def _rows_in(rows, first, size, dst):
    """dst[u, b] = rows[first + b, u]: (N, H) rows of a step as a gate-major (H, size) block."""
    hidden = rows.shape[1]
    for b in range(size):
        for u in range(hidden):
            dst[u * size + b] = rows[first + b, u]


@njit(cache=True)
def _add_rows(block, size, bias):
    """block (R, size) flat += bias (R,) per row (nothing for an empty bias)."""
    if bias.size == 0:
        return
    for r in range(bias.size):
        for b in range(size):
            block[r * size + b] += bias[r]


@njit(cache=True)
def _state(buffer, hidden, offsets, t):
    """Step t's (H, size) block of a flat state buffer, and its width (empty for t = -1)."""
    if t < 0:
        return buffer[:0], 0
    size = offsets[t + 1] - offsets[t]
    return buffer[hidden * offsets[t]:hidden * offsets[t + 1]], size


@njit(cache=True)
def _recurrent(w, state, size, out):
    """out (G, size) flat = w (G, K) @ state (K, size) flat, through BLAS."""
    product(w, state[:w.shape[1] * size].reshape((w.shape[1], size)),
            out[:w.shape[0] * size].reshape((w.shape[0], size)), False)


@njit(cache=True)
def _forward_step(k, order, sizes, offsets, gi, w_hh, b_hh, hs, h_init, h_prev, g_t, rec):
    """What every forward step starts with: step t = order[k], h_prev = the state it starts
    from (H, size), g_t its block of the input projection, rec = W_hh h_prev + b_hh (G, size);
    returns t, size, its first row and the step visited before it (-1 for none)."""
    t = order[k]
    size, first = sizes[t], offsets[t]
    before = order[k - 1] if k > 0 else -1
    h_src, have = _state(hs, w_hh.shape[1], offsets, before)
    _gather(h_src, have, h_init, size, h_prev)
    _columns_in(gi, first, size, g_t)
    _recurrent(w_hh, h_prev, size, rec)
    _add_rows(rec, size, b_hh)
    return t, size, first, before


@njit(cache=True)
def _backward_step(k, order, sizes, offsets, hs, h_init, dh, have, g_h, dh_t, h_prev,
                   h_prev_all, g_out, go):
    """What every backward step starts with, for step t = order[k]: dh_t = the gradient
    reaching its output state (the later step's dh, `have` columns, and the final state's
    gradient g_h for sequences that ended here), h_prev = the state it started from (also
    stored in h_prev_all's columns for dW_hh), go = its rows of the output's gradient, all
    (H, size); returns t, size, its first row, the step before it and that step's width."""
    t = order[k]
    size, first = sizes[t], offsets[t]
    before = order[k - 1] if k > 0 else -1
    hidden = h_init.shape[0]
    _gather(dh, have, g_h, size, dh_t)
    h_src, width = _state(hs, hidden, offsets, before)
    _gather(h_src, width, h_init, size, h_prev)
    _columns_out(h_prev[:hidden * size], h_prev_all, first, size)
    _rows_in(g_out, first, size, go)
    return t, size, first, before, width


@njit(cache=True)
def _keep(order, sizes, k):
    """How many sequences go on to the step after the k-th visited (0 after the last)."""
    return sizes[order[k + 1]] if k + 1 < order.size else 0


# ------------------------------------------------------------------ LSTM
@njit(cache=True)
def lstm_sequence_fwd(gi, w_hh, b_hh, sizes, offsets, order, h_init, c_init, act, cells, hs,
                      out, h_fin, c_fin):
    """Forward over all steps: act (4H) and cells, hs (H) blocks per step, out (N, H) rows,
    h_fin, c_fin (H, B) the states each sequence ends with."""
    gates, hidden = w_hh.shape
    n, batch = gi.shape[1], h_init.shape[1]
    _check_steps(sizes, offsets, order, n, batch)
    _check(gates == 4 * hidden and gi.shape[0] == gates and act.size == gates * n
           and cells.size == hidden * n and hs.size == hidden * n and out.shape[0] == n
           and out.shape[1] == hidden and (b_hh.size == 0 or b_hh.size == gates)
           and h_init.shape == (hidden, batch) and c_init.shape == (hidden, batch)
           and h_fin.shape == (hidden, batch) and c_fin.shape == (hidden, batch),
           "lstm_sequence_fwd: the arrays' sizes do not agree")
    g_t, rec = np.empty(gates * batch, gi.dtype), np.empty(gates * batch, gi.dtype)
    h_prev, c_prev = np.empty(hidden * batch, gi.dtype), np.empty(hidden * batch, gi.dtype)
    no_bias = b_hh[:0]
    for k in range(order.size):
        t, size, first, before = _forward_step(k, order, sizes, offsets, gi, w_hh, b_hh, hs,
                                               h_init, h_prev, g_t, rec)
        c_src, have = _state(cells, hidden, offsets, before)
        _gather(c_src, have, c_init, size, c_prev)
        h_t, _ = _state(hs, hidden, offsets, t)
        c_t, _ = _state(cells, hidden, offsets, t)
        lstm_gates_fwd(g_t[:gates * size], rec[:gates * size], no_bias, c_prev[:hidden * size],
                       act[gates * first:gates * (first + size)], c_t, h_t)
        _rows_out(h_t, out, first, size)
        _leave(h_t, size, _keep(order, sizes, k), h_fin)
        _leave(c_t, size, _keep(order, sizes, k), c_fin)


@njit(cache=True)
def lstm_sequence_bwd(act, cells, hs, sizes, offsets, order, h_init, c_init, g_out, g_h, g_c,
                      w_hh_t, d_in, h_prev_all, g_h0, g_c0):
    """Backward over all steps, from the last visited: d_in (4H, N) the pre-activation
    gradients, h_prev_all (H, N) the state each step started from (for dW_hh), g_h0, g_c0
    (H, B, zero on entry) the initial states' gradients. g_out (N, H): the output's gradient;
    g_h, g_c (H, B): the final states'; w_hh_t (H, 4H) = W_hh^T, C-contiguous."""
    hidden, gates = w_hh_t.shape
    n, batch = d_in.shape[1], h_init.shape[1]
    _check_steps(sizes, offsets, order, n, batch)
    _check(gates == 4 * hidden and d_in.shape[0] == gates and act.size == gates * n
           and cells.size == hidden * n and hs.size == hidden * n
           and g_out.shape == (n, hidden) and h_prev_all.shape == (hidden, n)
           and h_init.shape == (hidden, batch) and c_init.shape == (hidden, batch)
           and g_h.shape == (hidden, batch) and g_c.shape == (hidden, batch)
           and g_h0.shape == (hidden, batch) and g_c0.shape == (hidden, batch),
           "lstm_sequence_bwd: the arrays' sizes do not agree")
    dt = act.dtype
    dh, dh_next = np.empty(hidden * batch, dt), np.empty(hidden * batch, dt)
    dc, dc_next = np.empty(hidden * batch, dt), np.empty(hidden * batch, dt)
    dh_t, c_prev = np.empty(hidden * batch, dt), np.empty(hidden * batch, dt)
    h_prev, go = np.empty(hidden * batch, dt), np.empty(hidden * batch, dt)
    d = np.empty(gates * batch, dt)
    have = 0
    for k in range(order.size - 1, -1, -1):
        t, size, first, before, width = _backward_step(
            k, order, sizes, offsets, hs, h_init, dh, have, g_h, dh_t, h_prev, h_prev_all,
            g_out, go)
        m = hidden * size
        _gather(dc, have, g_c, size, dc_next)
        c_src, _ = _state(cells, hidden, offsets, before)
        _gather(c_src, width, c_init, size, c_prev)
        c_t, _ = _state(cells, hidden, offsets, t)
        lstm_gates_bwd(act[gates * first:gates * (first + size)], c_t, c_prev[:m], dh_t[:m],
                       go[:m], dc_next[:m], d[:gates * size])
        _columns_out(d[:gates * size], d_in, first, size)
        _recurrent(w_hh_t, d, size, dh_next)
        _leave(dh_next, size, width, g_h0)
        _leave(dc_next, size, width, g_c0)
        dh, dh_next = dh_next, dh
        dc, dc_next = dc_next, dc
        have = size


# ------------------------------------------------------------------ GRU
@njit(cache=True)
def gru_sequence_fwd(gi, w_hh, b_hh, sizes, offsets, order, h_init, act, h_n, hs, out, h_fin):
    """Forward over all steps: act (3H: r, z, n), h_n (H: the recurrent product's n block with
    its bias) and hs (H) blocks per step, out (N, H) rows, h_fin (H, B)."""
    gates, hidden = w_hh.shape
    n, batch = gi.shape[1], h_init.shape[1]
    _check_steps(sizes, offsets, order, n, batch)
    _check(gates == 3 * hidden and gi.shape[0] == gates and act.size == gates * n
           and h_n.size == hidden * n and hs.size == hidden * n and out.shape == (n, hidden)
           and (b_hh.size == 0 or b_hh.size == gates) and h_init.shape == (hidden, batch)
           and h_fin.shape == (hidden, batch), "gru_sequence_fwd: the arrays' sizes do not agree")
    g_t, gh = np.empty(gates * batch, gi.dtype), np.empty(gates * batch, gi.dtype)
    h_prev = np.empty(hidden * batch, gi.dtype)
    no_bias = b_hh[:0]
    for k in range(order.size):
        t, size, first, _ = _forward_step(k, order, sizes, offsets, gi, w_hh, b_hh, hs, h_init,
                                          h_prev, g_t, gh)
        h_t, _ = _state(hs, hidden, offsets, t)
        n_t, _ = _state(h_n, hidden, offsets, t)
        gru_gates_fwd(g_t[:gates * size], gh[:gates * size], no_bias, h_prev[:hidden * size],
                      act[gates * first:gates * (first + size)], n_t, h_t)
        _rows_out(h_t, out, first, size)
        _leave(h_t, size, _keep(order, sizes, k), h_fin)


@njit(cache=True)
def gru_sequence_bwd(act, h_n, hs, sizes, offsets, order, h_init, g_out, g_h, w_hh_t, d_in,
                     d_rec, h_prev_all, g_h0):
    """Backward over all steps: d_in, d_rec (3H, N) the pre-activation gradients of the input
    projection and of the recurrent product, h_prev_all (H, N), g_h0 (H, B, zero on entry)."""
    hidden, gates = w_hh_t.shape
    n, batch = d_in.shape[1], h_init.shape[1]
    _check_steps(sizes, offsets, order, n, batch)
    _check(gates == 3 * hidden and d_in.shape == (gates, n) and d_rec.shape == (gates, n)
           and act.size == gates * n and h_n.size == hidden * n and hs.size == hidden * n
           and g_out.shape == (n, hidden) and h_prev_all.shape == (hidden, n)
           and h_init.shape == (hidden, batch) and g_h.shape == (hidden, batch)
           and g_h0.shape == (hidden, batch), "gru_sequence_bwd: the arrays' sizes do not agree")
    dt = act.dtype
    dh, dh_next = np.empty(hidden * batch, dt), np.empty(hidden * batch, dt)
    dh_t, h_prev = np.empty(hidden * batch, dt), np.empty(hidden * batch, dt)
    go, dh_z = np.empty(hidden * batch, dt), np.empty(hidden * batch, dt)
    d_i, d_r = np.empty(gates * batch, dt), np.empty(gates * batch, dt)
    have = 0
    for k in range(order.size - 1, -1, -1):
        t, size, first, _, width = _backward_step(
            k, order, sizes, offsets, hs, h_init, dh, have, g_h, dh_t, h_prev, h_prev_all,
            g_out, go)
        m, mg = hidden * size, gates * size
        n_t, _ = _state(h_n, hidden, offsets, t)
        gru_gates_bwd(act[gates * first:gates * (first + size)], n_t, h_prev[:m], dh_t[:m],
                      go[:m], d_i[:mg], d_r[:mg], dh_z[:m])
        _columns_out(d_i[:mg], d_in, first, size)
        _columns_out(d_r[:mg], d_rec, first, size)
        _recurrent(w_hh_t, d_r, size, dh_next)
        for p in range(m):
            dh_next[p] = dh_z[p] + dh_next[p]
        _leave(dh_next, size, width, g_h0)
        dh, dh_next = dh_next, dh
        have = size


# ------------------------------------------------------------------ Elman RNN
@njit(cache=True, fastmath=FAST, error_model="numpy")
def _rnn_act(g_t, rec, h_t, relu):
    """h = relu or tanh of (g_t + rec), all flat of h's size: NaN stays NaN (np.maximum)."""
    for p in range(np.uint64(h_t.size)):
        pre = g_t[p] + rec[p]
        if relu:
            h_t[p] = pre - pre if pre < 0 else pre   # +0 below zero; NaN stays NaN
        else:
            h_t[p] = tanh_fast(pre)


@njit(cache=True, fastmath=FAST, error_model="numpy")
def _rnn_act_bwd(d, g_out, h_t, relu):
    """d = (d + g_out) * relu' or tanh' at h, all flat of h's size."""
    for p in range(np.uint64(h_t.size)):
        grad = d[p] + g_out[p]
        h = h_t[p]
        if relu:
            d[p] = grad if h > 0 else grad * 0   # as grad * (h > 0): NaN and inf give NaN
        else:
            d[p] = grad * (like(h, 1.0) - h * h)


@njit(cache=True)
def rnn_sequence_fwd(gi, w_hh, b_hh, sizes, offsets, order, h_init, relu, hs, out, h_fin):
    """Forward over all steps: h = tanh or relu of (gi + (W_hh h_prev + b_hh)); hs (H) blocks
    per step, out (N, H) rows, h_fin (H, B)."""
    hidden = w_hh.shape[1]
    n, batch = gi.shape[1], h_init.shape[1]
    _check_steps(sizes, offsets, order, n, batch)
    _check(w_hh.shape[0] == hidden and gi.shape[0] == hidden and hs.size == hidden * n
           and out.shape == (n, hidden) and (b_hh.size == 0 or b_hh.size == hidden)
           and h_init.shape == (hidden, batch) and h_fin.shape == (hidden, batch),
           "rnn_sequence_fwd: the arrays' sizes do not agree")
    g_t, rec = np.empty(hidden * batch, gi.dtype), np.empty(hidden * batch, gi.dtype)
    h_prev = np.empty(hidden * batch, gi.dtype)
    for k in range(order.size):
        t, size, first, _ = _forward_step(k, order, sizes, offsets, gi, w_hh, b_hh, hs, h_init,
                                          h_prev, g_t, rec)
        h_t, _ = _state(hs, hidden, offsets, t)
        m = hidden * size
        _rnn_act(g_t[:m], rec[:m], h_t, relu)
        _rows_out(h_t, out, first, size)
        _leave(h_t, size, _keep(order, sizes, k), h_fin)


@njit(cache=True)
def rnn_sequence_bwd(hs, sizes, offsets, order, h_init, relu, g_out, g_h, w_hh_t, d_in,
                     h_prev_all, g_h0):
    """Backward over all steps: d_in (H, N) the pre-activation gradients, h_prev_all (H, N),
    g_h0 (H, B, zero on entry)."""
    hidden = w_hh_t.shape[0]
    n, batch = d_in.shape[1], h_init.shape[1]
    _check_steps(sizes, offsets, order, n, batch)
    _check(w_hh_t.shape[1] == hidden and d_in.shape == (hidden, n) and hs.size == hidden * n
           and g_out.shape == (n, hidden) and h_prev_all.shape == (hidden, n)
           and h_init.shape == (hidden, batch) and g_h.shape == (hidden, batch)
           and g_h0.shape == (hidden, batch), "rnn_sequence_bwd: the arrays' sizes do not agree")
    dt = hs.dtype
    dh, dh_next = np.empty(hidden * batch, dt), np.empty(hidden * batch, dt)
    d, h_prev, go = (np.empty(hidden * batch, dt), np.empty(hidden * batch, dt),
                     np.empty(hidden * batch, dt))
    have = 0
    for k in range(order.size - 1, -1, -1):
        t, size, first, _, width = _backward_step(
            k, order, sizes, offsets, hs, h_init, dh, have, g_h, d, h_prev, h_prev_all,
            g_out, go)
        m = hidden * size
        h_t, _ = _state(hs, hidden, offsets, t)
        _rnn_act_bwd(d[:m], go[:m], h_t, relu)
        _columns_out(d[:m], d_in, first, size)
        _recurrent(w_hh_t, d, size, dh_next)
        _leave(dh_next, size, width, g_h0)
        dh, dh_next = dh_next, dh
        have = size
