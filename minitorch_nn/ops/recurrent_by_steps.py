"""The fused recurrent layers written with Tensor ops, one time step at a time.

What ops/recurrent.py computes in one graph node per layer and direction, as differentiable
ops: the reference its tests compare with, and what its `grad_formula`s differentiate under
create_graph=True (higher derivatives). Same arguments as the layers' forward: x is (T, B, I)
or, with `batch_sizes`, packed data (N, I) (ops/recurrent_steps.py); states are (B, H); the
result is (output in x's layout, final state(s)).
"""
from __future__ import annotations

from .recurrent_steps import Steps, enter_rows

__all__ = ["lstm_direction_by_steps", "gru_direction_by_steps", "rnn_direction_by_steps"]


def lstm_direction_by_steps(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, batch_sizes=None):
    """One LSTM layer and direction: (output, h_T, c_T); gates i, f, g, o (PyTorch's order)."""
    from .linear import linear

    def cell(gi, state):
        h, c = state
        i, f, g, o = (gi + linear(h, w_hh, b_hh)).chunk(4, -1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        return o.sigmoid() * c.tanh(), c
    return _run(cell, x, (h0, c0), w_ih, b_ih, Steps.of(x, batch_sizes, reverse))


def gru_direction_by_steps(x, h0, w_ih, w_hh, b_ih, b_hh, reverse, batch_sizes=None):
    """One GRU layer and direction: (output, h_T); gates r, z, n, b_hh's n part inside
    r * (...), as PyTorch."""
    from .linear import linear

    def cell(gi, state):
        (h,) = state
        i_r, i_z, i_n = gi.chunk(3, -1)
        h_r, h_z, h_n = linear(h, w_hh, b_hh).chunk(3, -1)
        r, z = (i_r + h_r).sigmoid(), (i_z + h_z).sigmoid()
        n = (i_n + r * h_n).tanh()
        return (n + z * (h - n),)
    return _run(cell, x, (h0,), w_ih, b_ih, Steps.of(x, batch_sizes, reverse))


def rnn_direction_by_steps(x, h0, w_ih, w_hh, b_ih, b_hh, relu, reverse, batch_sizes=None):
    """One Elman RNN layer and direction: (output, h_T), h = act(gi + h_prev @ W_hh^T + b_hh)."""
    from .linear import linear

    def cell(gi, state):
        pre = gi + linear(state[0], w_hh, b_hh)
        return (pre.relu() if relu else pre.tanh(),)
    return _run(cell, x, (h0,), w_ih, b_ih, Steps.of(x, batch_sizes, reverse))


def _run(cell, x, initial, w_ih, b_ih, steps):
    """The time loop: the input projection of every step at once, then `cell(gi_t, state)`
    per step on the running sequences; (output, *final states)."""
    from .joining import cat
    from .linear import linear
    packed = x.dim() == 2
    gi = linear(x if packed else x.reshape(x.shape[0] * x.shape[1], x.shape[-1]), w_ih, b_ih)
    outputs = [None] * steps.count
    pieces = [[] for _ in initial]       # (first column, rows) of each final state
    state = None
    for t in steps.order():
        batch = steps.sizes[t]
        state = cell(gi[steps.rows(t)], tuple(
            enter_rows(cat, None if state is None else state[k], initial[k], batch)
            for k in range(len(initial))))
        outputs[t] = state[0]
        keep = steps.size(steps.after(t))
        if keep < batch:
            for k, part in enumerate(state):
                pieces[k].append((keep, part[keep:]))
    out = cat(outputs, 0)
    if not packed:
        out = out.reshape(x.shape[0], x.shape[1], out.shape[-1])
    finals = [cat([rows for _, rows in sorted(found, key=lambda p: p[0])], 0)
              for found in pieces]
    return (out, *finals)
