"""One recurrent layer over a whole sequence in one graph node (nn.LSTM/GRU/RNN's fast path).

Written step by step with Tensor ops, an LSTM records about fifteen graph nodes per time step
(the gate chunks, sigmoids, tanhs, products, sums), and both passes pay Python's cost for
each. `LstmLayer`, `GruLayer` and `RnnLayer` run one layer in one direction as a single
Function; for the LSTM:

  forward:  gi = x @ W_ih^T + b_ih for every step at once (one BLAS call); then per step
            pre = gi[t] + (h @ W_hh^T + b_hh), gates i, f, g, o = sigmoid, sigmoid, tanh,
            sigmoid of pre's four blocks (PyTorch's order), c = f c + i g, h = o tanh(c).
  backward: per step, from the last: the four gate gradients, dh_prev = dpre @ W_hh and
            dc_prev = dc f; then dx = dpre @ W_ih, dW_ih = dpre^T x, dW_hh = dpre^T h_prev and
            the biases as sums over all steps at once (three BLAS calls).

GRU and RNN follow the same plan with their own gates. The arithmetic is the step-by-step
path's, in the same order, so the forward results are the same numbers. Under create_graph
the gradient is recomputed through the step-by-step ops (`*_direction_by_steps`), so higher
derivatives work as before. The array code is written against `xp` (numpy or CuPy): the GPU
runs the same steps.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..tensor import _wrap
from ._util import xp_of

FUSED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _sigmoid(xp, a):
    with np.errstate(over="ignore"):   # as ops/unary.py Sigmoid: exp(-x) may overflow to inf
        return 1 / (1 + xp.exp(-a))


def _linear(xp, a, w, b):
    """a @ w^T (+ b), as F.linear computes it (ops/linear.py Addmm)."""
    out = a @ w.T
    if b is not None:
        out += b
    return out


class LstmLayer(ArrayFunction):
    """(out (T, B, H), h_T, c_T) of one LSTM layer and direction over x (T, B, I)."""

    node_name = "LstmLayerBackward0"

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        xp = xp_of(x._data)
        a, whh = x._data, w_hh._data
        bhh = None if b_hh is None else b_hh._data
        steps, batch = a.shape[0], a.shape[1]
        hidden = whh.shape[1]
        gi = _projected(x, w_ih, b_ih)[1]
        gates = xp.empty((steps, batch, 4 * hidden), a.dtype)   # i, f, g, o activations
        cells = xp.empty((steps, batch, hidden), a.dtype)
        out = xp.empty((steps, batch, hidden), a.dtype)
        h, c = h0._data, c0._data
        for t in _time(steps, reverse):
            pre = gi[t] + _linear(xp, h, whh, bhh)
            act = gates[t]
            act[:, :2 * hidden] = _sigmoid(xp, pre[:, :2 * hidden])
            act[:, 2 * hidden:3 * hidden] = xp.tanh(pre[:, 2 * hidden:3 * hidden])
            act[:, 3 * hidden:] = _sigmoid(xp, pre[:, 3 * hidden:])
            i, f = act[:, :hidden], act[:, hidden:2 * hidden]
            g, o = act[:, 2 * hidden:3 * hidden], act[:, 3 * hidden:]
            c = f * c + i * g
            h = o * xp.tanh(c)
            cells[t], out[t] = c, h
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
        ctx.state = (gates, cells, out, reverse)
        return _wrap(out), _wrap(h.copy()), _wrap(c.copy())

    @staticmethod
    def backward(ctx, g_out, g_h, g_c):
        x, h0, c0, w_ih, w_hh, b_ih, b_hh = ctx.saved_tensors
        gates, cells, out, reverse = ctx.state
        xp = xp_of(gates)
        steps, batch, hidden = out.shape
        dpre = xp.empty_like(gates)
        dh, dc = g_h.copy(), g_c.copy()
        whh = w_hh._data
        for t in _time(steps, not reverse):   # backward in time
            c_prev = _previous_step(cells, c0._data, t, reverse)
            act = gates[t]
            i, f = act[:, :hidden], act[:, hidden:2 * hidden]
            g, o = act[:, 2 * hidden:3 * hidden], act[:, 3 * hidden:]
            dh = dh + g_out[t]
            tc = xp.tanh(cells[t])
            dc = dc + dh * o * (1 - tc * tc)
            d = dpre[t]
            d[:, :hidden] = dc * g * i * (1 - i)
            d[:, hidden:2 * hidden] = dc * c_prev * f * (1 - f)
            d[:, 2 * hidden:3 * hidden] = dc * i * (1 - g * g)
            d[:, 3 * hidden:] = dh * tc * o * (1 - o)
            dc = dc * f
            dh = d @ whh
        return _input_grads(ctx, dpre, dpre, (dh, dc), out, 3)

    @staticmethod
    def grad_formula(ctx, g_out, g_h, g_c):
        """Under create_graph: the same gradient through the step-by-step ops."""
        return _recomputed(ctx, lstm_direction_by_steps, (g_out, g_h, g_c))


def _recomputed(ctx, by_steps, grads_out, options=None):
    """The gradients of a fused layer recomputed through its step-by-step ops, with a graph
    (create_graph=True): what higher derivatives differentiate. `options`: the forward's
    non-tensor arguments after the tensors (default: `reverse` alone)."""
    from ..autograd.api import grad
    from ..autograd.grad_mode import enable_grad
    saved = ctx.saved_tensors
    inputs = [(k, t) for k, t in enumerate(saved) if t is not None and ctx.needs_input_grad[k]]
    with enable_grad():
        outs = by_steps(*saved, *(options or (ctx.state[-1],)))
        found = grad(list(outs), [t for _, t in inputs], list(grads_out), create_graph=True,
                     allow_unused=True)
    result = [None] * (len(saved) + len(options or (None,)))
    for (k, t), gk in zip(inputs, found):
        result[k] = gk if gk is not None else t.detach() * 0
    return tuple(result)


def _input_grads(ctx, d_in, d_rec, states, out, first):
    """Every input's gradient from all steps' gate gradients: d_in (T, B, G) of the input
    projection, d_rec of the recurrent one (the same array for LSTM and RNN), `states` the
    gradients of the initial state(s); `first` = index of w_ih among the forward arguments
    (x, h0[, c0], w_ih, w_hh, b_ih, b_hh, reverse)."""
    x, h0, w_ih = ctx.saved_tensors[0], ctx.saved_tensors[1], ctx.saved_tensors[first]
    needs = ctx.needs_input_grad
    steps, batch, width = d_in.shape
    rows_in = d_in.reshape(steps * batch, width)
    rows_rec = d_rec.reshape(steps * batch, width)
    grads = [None] * (first + 5)
    if needs[0]:
        grads[0] = (rows_in @ w_ih._data).reshape(x._data.shape)
    for k, g in enumerate(states, start=1):
        grads[k] = g if needs[k] else None
    if needs[first]:
        grads[first] = rows_in.T @ x._data.reshape(steps * batch, -1)
    if needs[first + 1]:
        h_prev = _previous_h(out, h0._data, ctx.state[-1]).reshape(steps * batch, -1)
        grads[first + 1] = rows_rec.T @ h_prev
    if needs[first + 2]:
        grads[first + 2] = rows_in.sum(axis=0)
    if needs[first + 3]:
        grads[first + 3] = rows_rec.sum(axis=0)
    return tuple(grads)


def _previous_h(out, h0, reverse):
    """h_{t-1} for every step t (h0 before the first step in the direction of travel)."""
    xp = xp_of(out)
    if reverse:
        return xp.concatenate([out[1:], h0[None]], axis=0)
    return xp.concatenate([h0[None], out[:-1]], axis=0)


def lstm_direction_by_steps(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
    """The same layer written with Tensor ops, one step at a time (differentiable again)."""
    from .joining import stack
    from .linear import linear
    gi_all = linear(x, w_ih, b_ih)
    outputs = [None] * x.shape[0]
    h, c = h0, c0
    for t in _time(x.shape[0], reverse):
        i, f, g, o = (gi_all[t] + linear(h, w_hh, b_hh)).chunk(4, -1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        outputs[t] = h
    return stack(outputs, 0), h, c


class GruLayer(ArrayFunction):
    """(out (T, B, H), h_T) of one GRU layer and direction over x (T, B, I): per step
    r, z = sigmoid(gi_r + gh_r), sigmoid(gi_z + gh_z), n = tanh(gi_n + r gh_n),
    h = n + z (h_prev - n), with gh = h_prev @ W_hh^T + b_hh (PyTorch's gate order r, z, n)."""

    node_name = "GruLayerBackward0"

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
        xp, gi, steps = _projected(x, w_ih, b_ih)
        whh, bhh = w_hh._data, None if b_hh is None else b_hh._data
        hidden = whh.shape[1]
        gates = xp.empty((steps, x.shape[1], 3 * hidden), gi.dtype)   # r, z, n
        h_n = xp.empty((steps, x.shape[1], hidden), gi.dtype)          # gh's n block
        out = xp.empty_like(h_n)
        h = h0._data
        for t in _time(steps, reverse):
            gh = _linear(xp, h, whh, bhh)
            act = gates[t]
            act[:, :2 * hidden] = _sigmoid(xp, gi[t, :, :2 * hidden] + gh[:, :2 * hidden])
            h_n[t] = gh[:, 2 * hidden:]
            act[:, 2 * hidden:] = xp.tanh(gi[t, :, 2 * hidden:] + act[:, :hidden] * h_n[t])
            n, z = act[:, 2 * hidden:], act[:, hidden:2 * hidden]
            h = n + z * (h - n)
            out[t] = h
        ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh)
        ctx.state = (gates, h_n, out, reverse)
        return _wrap(out), _wrap(h.copy())

    @staticmethod
    def backward(ctx, g_out, g_h):
        h0 = ctx.saved_tensors[1]
        gates, h_n, out, reverse = ctx.state
        xp = xp_of(gates)
        steps, batch, hidden = out.shape
        d_in, d_rec = xp.empty_like(gates), xp.empty_like(gates)
        dh, whh = g_h.copy(), ctx.saved_tensors[3]._data
        for t in _time(steps, not reverse):
            h_prev = _previous_step(out, h0._data, t, reverse)
            r, z, n = gates[t, :, :hidden], gates[t, :, hidden:2 * hidden], gates[t, :, 2 * hidden:]
            dh = dh + g_out[t]
            dpre_n = dh * (1 - z) * (1 - n * n)
            dpre_z = dh * (h_prev - n) * z * (1 - z)
            dpre_r = dpre_n * h_n[t] * r * (1 - r)
            d_in[t, :, :hidden], d_in[t, :, hidden:2 * hidden] = dpre_r, dpre_z
            d_in[t, :, 2 * hidden:] = dpre_n
            d_rec[t, :, :2 * hidden] = d_in[t, :, :2 * hidden]
            d_rec[t, :, 2 * hidden:] = dpre_n * r
            dh = dh * z + d_rec[t] @ whh
        return _input_grads(ctx, d_in, d_rec, (dh,), out, 2)

    @staticmethod
    def grad_formula(ctx, g_out, g_h):
        return _recomputed(ctx, gru_direction_by_steps, (g_out, g_h))


class RnnLayer(ArrayFunction):
    """(out (T, B, H), h_T) of one Elman RNN layer and direction: h = act(gi + h_prev @
    W_hh^T + b_hh) with act tanh or relu (`relu` is fixed per layer: a forward argument)."""

    node_name = "RnnLayerBackward0"

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, relu, reverse):
        xp, gi, steps = _projected(x, w_ih, b_ih)
        whh, bhh = w_hh._data, None if b_hh is None else b_hh._data
        out = xp.empty((steps, x.shape[1], whh.shape[1]), gi.dtype)
        h = h0._data
        for t in _time(steps, reverse):
            pre = gi[t] + _linear(xp, h, whh, bhh)
            h = xp.maximum(pre, 0) if relu else xp.tanh(pre)
            out[t] = h
        ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh)
        ctx.state = (relu, out, reverse)
        return _wrap(out), _wrap(h.copy())

    @staticmethod
    def backward(ctx, g_out, g_h):
        relu, out, reverse = ctx.state
        xp = xp_of(out)
        dpre = xp.empty_like(out)
        dh, whh = g_h.copy(), ctx.saved_tensors[3]._data
        for t in _time(out.shape[0], not reverse):
            dh = dh + g_out[t]
            dpre[t] = dh * (out[t] > 0) if relu else dh * (1 - out[t] * out[t])
            dh = dpre[t] @ whh
        grads = _input_grads(ctx, dpre, dpre, (dh,), out, 2)
        return (*grads[:6], None, None)

    @staticmethod
    def grad_formula(ctx, g_out, g_h):
        relu, _, reverse = ctx.state
        return _recomputed(ctx, rnn_direction_by_steps, (g_out, g_h), (relu, reverse))


def _projected(x, w_ih, b_ih):
    """(xp, gi (T, B, G) = x @ W_ih^T + b_ih for every step at once, T)."""
    xp = xp_of(x._data)
    steps, batch = x._data.shape[0], x._data.shape[1]
    gi = _linear(xp, x._data.reshape(steps * batch, -1), w_ih._data,
                 None if b_ih is None else b_ih._data).reshape(steps, batch, -1)
    return xp, gi, steps


def _time(steps: int, reverse: bool):
    """The time steps in the order a direction visits them."""
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _previous_step(out, h0, t, reverse):
    """The state before step t in the direction of travel: out[t -/+ 1], or h0 at the start."""
    prev = t + 1 if reverse else t - 1
    return h0 if prev in (-1, out.shape[0]) else out[prev]


def gru_direction_by_steps(x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
    """GruLayer written with Tensor ops, one step at a time (differentiable again)."""
    from .joining import stack
    from .linear import linear
    gi_all = linear(x, w_ih, b_ih)
    outputs, h = [None] * x.shape[0], h0
    for t in _time(x.shape[0], reverse):
        i_r, i_z, i_n = gi_all[t].chunk(3, -1)
        h_r, h_z, h_n = linear(h, w_hh, b_hh).chunk(3, -1)
        r, z = (i_r + h_r).sigmoid(), (i_z + h_z).sigmoid()
        n = (i_n + r * h_n).tanh()
        h = n + z * (h - n)
        outputs[t] = h
    return stack(outputs, 0), h


def rnn_direction_by_steps(x, h0, w_ih, w_hh, b_ih, b_hh, relu, reverse):
    """RnnLayer written with Tensor ops, one step at a time (differentiable again)."""
    from .joining import stack
    from .linear import linear
    gi_all = linear(x, w_ih, b_ih)
    outputs, h = [None] * x.shape[0], h0
    for t in _time(x.shape[0], reverse):
        pre = gi_all[t] + linear(h, w_hh, b_hh)
        h = pre.relu() if relu else pre.tanh()
        outputs[t] = h
    return stack(outputs, 0), h
