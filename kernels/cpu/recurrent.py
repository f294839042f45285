"""LSTM and GRU gate arithmetic for one time step, forward and backward, one loop each (Numba).

ops/recurrent.py's LstmLayer runs a whole sequence per layer and direction. Per time step it
needs one matrix product (the recurrent one, through BLAS) and then about fifteen elementwise
operations on (batch, 4 * hidden) arrays; as numpy calls each is a pass over memory with a
temporary and a few microseconds of dispatch. These kernels do a step's gate math in one pass.

Layouts: the caller keeps a step's arrays *gate-major*, (rows, B) instead of (B, rows): with B
rows (e.g. 20) against 4H columns, OpenBLAS computes the recurrent product as W_hh @ h^T about
1.7x faster than h @ W_hh^T (measured on 2 cores: 76 us against 132 us for B=20, H=256), and
then every gate's block of a step is one contiguous run of H * B values, so the kernels loop
over flat 1-D arrays and LLVM vectorizes them. Each argument is the flat view of a C-contiguous
array of one dtype:
- `gi` (4H, B): the input projection W_ih x_t + b_ih of this step, gates in PyTorch's order
  i, f, g, o; `rec` (4H, B): the recurrent product W_hh h_prev; `b_hh` (4H, B): the recurrent
  bias broadcast over the batch (added to `rec` before `gi`, as F.linear then the sum do), or
  an empty array when the layer has no bias.
- `act` (4H, B): the gate activations sigmoid(i), sigmoid(f), tanh(g), sigmoid(o), kept for
  backward; `c`, `c_prev`, `h` (H, B): cell and hidden states.
- GRU (gates r, z, n): `gi`, `gh` (3H, B) the input and recurrent products, `act` (3H, B) the
  activations r, z, n, `h_n` (H, B) the recurrent product's n block with its bias (backward
  needs it: n = tanh(gi_n + r h_n)).

float32 uses the vectorizable exp/tanh of _fastmath.py (relative error ~1e-7); float64 the
C library's. The order of operations is the step-by-step path's (ops/recurrent.py
lstm_direction_by_steps), so results agree with it to rounding.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ._fastmath import FAST, exp_fast, like, tanh_fast

__all__ = ["lstm_gates_fwd", "lstm_gates_bwd", "gru_gates_fwd", "gru_gates_bwd"]


@njit(cache=True, error_model="numpy", inline="always")
def _sigmoid(x):
    one = like(x, 1.0)
    return one / (one + exp_fast(-x))


@njit(cache=True)
def _check(n, gates, gate_sizes, state_sizes):
    """ValueError unless every gate array holds `gates` * n values and every state array n
    (given their sizes): the loops index without bounds checks, so a wrong size would read or
    write outside the arrays."""
    for size in gate_sizes:
        if size != gates * n:
            raise ValueError("recurrent kernel: a gate array has the wrong size")
    for size in state_sizes:
        if size != n:
            raise ValueError("recurrent kernel: a state array has the wrong size")


@njit(cache=True, fastmath=FAST, error_model="numpy")
def lstm_gates_fwd(gi, rec, b_hh, c_prev, act, c, h):
    """One forward step: act = gate activations, c = f c_prev + i g, h = o tanh(c)."""
    n = np.uint64(c.size)
    n2, n3 = n + n, n + n + n   # unsigned: mixing in a signed 2 would give floats
    has_bias = b_hh.size > 0
    _check(n, 4, (gi.size, rec.size, act.size, b_hh.size if has_bias else act.size),
           (c_prev.size, h.size))
    for p in range(n):
        r_i, r_f, r_g, r_o = rec[p], rec[n + p], rec[n2 + p], rec[n3 + p]
        if has_bias:
            r_i += b_hh[p]
            r_f += b_hh[n + p]
            r_g += b_hh[n2 + p]
            r_o += b_hh[n3 + p]
        i = _sigmoid(gi[p] + r_i)
        f = _sigmoid(gi[n + p] + r_f)
        g = tanh_fast(gi[n2 + p] + r_g)
        o = _sigmoid(gi[n3 + p] + r_o)
        act[p], act[n + p], act[n2 + p], act[n3 + p] = i, f, g, o
        c[p] = f * c_prev[p] + i * g
        h[p] = o * tanh_fast(c[p])


@njit(cache=True, fastmath=FAST, error_model="numpy")
def lstm_gates_bwd(act, c, c_prev, dh, g_out, dc, d):
    """One backward step, from the last: with dh (H, B) the gradient reaching h from the next
    step and g_out (H, B) the output's own gradient, writes the four pre-activation gradients
    into d (4H, B) and replaces dc (H, B), the cell's gradient, with that of c_prev."""
    n = np.uint64(c.size)
    n2, n3 = n + n, n + n + n   # unsigned: mixing in a signed 2 would give floats
    _check(n, 4, (act.size, d.size), (c_prev.size, dh.size, g_out.size, dc.size))
    for p in range(n):
        one = like(c[p], 1.0)
        i, f, g, o = act[p], act[n + p], act[n2 + p], act[n3 + p]
        dh_p = dh[p] + g_out[p]
        tc = tanh_fast(c[p])
        dc_p = dc[p] + dh_p * o * (one - tc * tc)
        d[p] = dc_p * g * i * (one - i)
        d[n + p] = dc_p * c_prev[p] * f * (one - f)
        d[n2 + p] = dc_p * i * (one - g * g)
        d[n3 + p] = dh_p * tc * o * (one - o)
        dc[p] = dc_p * f


@njit(cache=True, fastmath=FAST, error_model="numpy")
def gru_gates_fwd(gi, gh, b_hh, h_prev, act, h_n, h):
    """One GRU forward step: r, z = sigmoid(gi + gh), n = tanh(gi_n + r h_n),
    h = n + z (h_prev - n), with gh (+ b_hh) the recurrent product."""
    n = np.uint64(h.size)
    n2 = n + n
    has_bias = b_hh.size > 0
    _check(n, 3, (gi.size, gh.size, act.size, b_hh.size if has_bias else act.size),
           (h_prev.size, h_n.size))
    for p in range(n):
        r_r, r_z, r_n = gh[p], gh[n + p], gh[n2 + p]
        if has_bias:
            r_r, r_z, r_n = r_r + b_hh[p], r_z + b_hh[n + p], r_n + b_hh[n2 + p]
        r = _sigmoid(gi[p] + r_r)
        z = _sigmoid(gi[n + p] + r_z)
        new = tanh_fast(gi[n2 + p] + r * r_n)
        act[p], act[n + p], act[n2 + p] = r, z, new
        h_n[p] = r_n
        h[p] = new + z * (h_prev[p] - new)


@njit(cache=True, fastmath=FAST, error_model="numpy")
def gru_gates_bwd(act, h_n, h_prev, dh, g_out, d_in, d_rec, dh_z):
    """One GRU backward step: the pre-activation gradients of the input projection (d_in) and
    of the recurrent product (d_rec, whose n block carries the factor r), and dh_z, the part
    of h_prev's gradient that does not go through W_hh (the caller adds d_rec's product)."""
    n = np.uint64(h_n.size)
    n2 = n + n
    _check(n, 3, (act.size, d_in.size, d_rec.size),
           (h_prev.size, dh.size, g_out.size, dh_z.size))
    for p in range(n):
        one = like(h_n[p], 1.0)
        r, z, new = act[p], act[n + p], act[n2 + p]
        dh_p = dh[p] + g_out[p]
        d_new = dh_p * (one - z) * (one - new * new)
        d_z = dh_p * (h_prev[p] - new) * z * (one - z)
        d_r = d_new * h_n[p] * r * (one - r)
        d_in[p], d_in[n + p], d_in[n2 + p] = d_r, d_z, d_new
        d_rec[p], d_rec[n + p], d_rec[n2 + p] = d_r, d_z, d_new * r
        dh_z[p] = dh_p * z
