"""One recurrent layer over a whole sequence in one graph node (nn.LSTM/GRU/RNN's fast path).

Written step by step with Tensor ops (ops/recurrent_by_steps.py), an LSTM records about fifteen
graph nodes per time step (the gate chunks, sigmoids, tanhs, products, sums), and both passes
pay Python's cost for each. `LstmLayer`, `GruLayer` and `RnnLayer` run one layer in one
direction as a single Function; for the LSTM:

  forward:  gi = W_ih @ x^T + b_ih for every step at once (one BLAS call); then per step
            pre = gi[t] + (h @ W_hh^T + b_hh), gates i, f, g, o = sigmoid, sigmoid, tanh,
            sigmoid of pre's four blocks (PyTorch's order), c = f c + i g, h = o tanh(c).
  backward: per step, from the last: the four gate gradients, dh_prev = dpre @ W_hh and
            dc_prev = dc f; then dx = dpre @ W_ih, dW_ih = dpre^T x, dW_hh = dpre^T h_prev and
            the biases as sums over all steps at once (three BLAS calls).

Inside the step loops the arrays are *gate-major*, (gates or units, B) rather than (B, ...):
the recurrent products become W_hh @ h^T and W_hh^T @ dpre^T, which OpenBLAS runs about 1.7x
faster when the batch is the short side (76 us against 132 us for B=20, H=256 on 2 cores),
and each gate's block of a step is one contiguous run, which the step kernels read as flat
arrays (ops/recurrent_gates.py: kernels/cpu/recurrent.py for float32, kernels/cuda/
recurrent.py on the GPU): an LSTM or GRU step is one BLAS call and one kernel call, forward
and backward. In float32 on the CPU each loop below runs as one Numba call instead
(kernels/cpu/recurrent_sequence.py: the same products, through numpy's own BLAS called from
Numba, and the same step kernels, without Python between the steps); the Python loops serve
float64 and the GPU, and are the reference the kernels are tested against. Each step's blocks are stored one after the other in flat buffers, and the
gradients of all steps side by side as (G, N) matrices, N = the number of rows of all steps,
so the weight gradients are one product each.

The same loop runs a PackedSequence (`batch_sizes`: the running sequences shrink over time;
ops/recurrent_steps.py); an ordinary (T, B, I) input is the packed case with all sizes B.

GRU and RNN follow the same plan with their own gates. The arithmetic is the step-by-step
path's, in the same order: float64 gives the same numbers, float32 (whose kernels use the
vectorizable exp/tanh of kernels/cpu/_fastmath.py) the same to rounding. Under create_graph
the gradient is recomputed through the step-by-step ops, so higher derivatives work as
before. The loops and the kernels' array-code twins are written against `xp` (numpy or
CuPy), so the GPU runs the same steps.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..tensor import _wrap
from ._nn_util import kernel_for
from ._util import xp_of
from .recurrent_by_steps import (gru_direction_by_steps, lstm_direction_by_steps,
                                 rnn_direction_by_steps)
from .recurrent_gates import (bias_columns, gru_gates_bwd, gru_gates_fwd, lstm_gates_bwd,
                              lstm_gates_fwd)
from .recurrent_steps import Steps, enter, leave

__all__ = ["FUSED_DTYPES", "LstmLayer", "GruLayer", "RnnLayer"]

FUSED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
SEQUENCE_KERNELS = True   # False: float32 on the CPU runs the Python loops too (tests compare)


class LstmLayer(ArrayFunction):
    """(out, h_T, c_T) of one LSTM layer and direction over x: (T, B, I) -> out (T, B, H), or
    packed data (N, I) with `batch_sizes` -> out (N, H); h_T, c_T (B, H)."""

    node_name = "LstmLayerBackward0"

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, batch_sizes=None):
        steps = Steps.of(x._data, batch_sizes, reverse)
        xp, gi = _projected(x, w_ih, b_ih)                  # (4H, N)
        whh, hidden, bias, out, h_init, h_fin = _loop_start(xp, gi, w_hh, b_hh, h0)
        gates = _Blocks(xp, steps, 4 * hidden, gi.dtype)    # i, f, g, o activations
        cells, hs = _Blocks(xp, steps, hidden, gi.dtype), _Blocks(xp, steps, hidden, gi.dtype)
        c_init = _gate_major(xp, c0._data)
        c_fin = xp.empty_like(c_init)
        kernel = _sequence_kernel(gi, steps, "lstm_sequence_fwd")
        if kernel is not None:   # the loop below, in one Numba call
            kernel(gi, _contiguous(whh), _bias_array(b_hh, gi), *_step_arrays(steps), h_init,
                   c_init, gates.data, cells.data, hs.data, out, h_fin, c_fin)
        h = c = None
        for t in steps.order() if kernel is None else ():
            size, rows = steps.sizes[t], steps.rows(t)
            h_prev, c_prev = _start(xp, h, h_init, size), _start(xp, c, c_init, size)
            h, c = hs[t], cells[t]
            lstm_gates_fwd(xp, xp.ascontiguousarray(gi[:, rows]), whh @ h_prev, bias(size), c_prev,
                           gates[t], c, h)
            out[rows] = h.T
            keep = steps.size(steps.after(t))
            leave(h_fin, h, keep)
            leave(c_fin, c, keep)
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
        ctx.options = (reverse, batch_sizes)
        ctx.state = (steps, gates, cells, hs)
        return (_wrap(_like_input(out, x)), _wrap(xp.ascontiguousarray(h_fin.T)),
                _wrap(xp.ascontiguousarray(c_fin.T)))

    @staticmethod
    def backward(ctx, g_out, g_h, g_c):
        steps, gates, cells, hs = ctx.state
        x, h0, c0, w_ih, w_hh = ctx.saved_tensors[:5]
        xp = xp_of(gates.data)
        hidden = w_hh.shape[1]
        g_rows = g_out.reshape(-1, hidden)
        h_init, c_init = _gate_major(xp, h0._data), _gate_major(xp, c0._data)
        g_h, g_c = _gate_major(xp, g_h), _gate_major(xp, g_c)
        whh_t = xp.ascontiguousarray(w_hh._data.T)                  # (H, 4H)
        grads = _Gradients(xp, steps, 4 * hidden, hidden, g_rows.dtype, h_init.shape)
        kernel = _sequence_kernel(gates.data, steps, "lstm_sequence_bwd")
        if kernel is not None:   # the loop below, in one Numba call
            g_h0, g_c0 = grads.zero_states(2)
            kernel(gates.data, cells.data, hs.data, *_step_arrays(steps), h_init, c_init,
                   _contiguous(g_rows), g_h, g_c, whh_t, grads.d_in, grads.h_prev, g_h0, g_c0)
        dh = dc = None
        for t in steps.backward_order() if kernel is None else ():   # from the last step
            size, rows, before = steps.sizes[t], steps.rows(t), steps.before(t)
            dh_t = _start(xp, dh, g_h, size)
            dc = enter(xp, dc, g_c, size).copy()                     # the kernel updates it
            c_prev = _start(xp, cells.get(before), c_init, size)
            grads.h_prev[:, rows] = enter(xp, hs.get(before), h_init, size)
            d = xp.empty((4 * hidden, size), g_rows.dtype)
            lstm_gates_bwd(xp, gates[t], cells[t], c_prev, dh_t, _gate_major(xp, g_rows[rows]),
                           dc, d)
            grads.d_in[:, rows] = d
            dh = whh_t @ d
            grads.initial(steps.size(before), dh, dc)
        return (*grads.of_inputs(ctx, 3), None, None)

    @staticmethod
    def grad_formula(ctx, g_out, g_h, g_c):
        """Under create_graph: the same gradient through the step-by-step ops."""
        return _recomputed(ctx, lstm_direction_by_steps, (g_out, g_h, g_c))


class GruLayer(ArrayFunction):
    """(out, h_T) of one GRU layer and direction (layouts as LstmLayer): per step
    r, z = sigmoid(gi_r + gh_r), sigmoid(gi_z + gh_z), n = tanh(gi_n + r gh_n),
    h = n + z (h_prev - n), with gh = h_prev @ W_hh^T + b_hh (PyTorch's gate order r, z, n)."""

    node_name = "GruLayerBackward0"

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reverse, batch_sizes=None):
        steps = Steps.of(x._data, batch_sizes, reverse)
        xp, gi = _projected(x, w_ih, b_ih)                  # (3H, N)
        whh, hidden, bias, out, h_init, h_fin = _loop_start(xp, gi, w_hh, b_hh, h0)
        gates = _Blocks(xp, steps, 3 * hidden, gi.dtype)    # r, z, n
        h_n = _Blocks(xp, steps, hidden, gi.dtype)          # gh's n block, with its bias
        hs = _Blocks(xp, steps, hidden, gi.dtype)
        kernel = _sequence_kernel(gi, steps, "gru_sequence_fwd")
        if kernel is not None:   # the loop below, in one Numba call
            kernel(gi, _contiguous(whh), _bias_array(b_hh, gi), *_step_arrays(steps), h_init,
                   gates.data, h_n.data, hs.data, out, h_fin)
        h = None
        for t in steps.order() if kernel is None else ():
            size, rows = steps.sizes[t], steps.rows(t)
            h_prev, h = _start(xp, h, h_init, size), hs[t]
            gru_gates_fwd(xp, xp.ascontiguousarray(gi[:, rows]), whh @ h_prev, bias(size), h_prev,
                          gates[t], h_n[t], h)
            out[rows] = h.T
            leave(h_fin, h, steps.size(steps.after(t)))
        ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh)
        ctx.options = (reverse, batch_sizes)
        ctx.state = (steps, gates, h_n, hs)
        return _wrap(_like_input(out, x)), _wrap(xp.ascontiguousarray(h_fin.T))

    @staticmethod
    def backward(ctx, g_out, g_h):
        steps, gates, h_n, hs = ctx.state
        h0, w_hh = ctx.saved_tensors[1], ctx.saved_tensors[3]
        xp = xp_of(gates.data)
        hidden = w_hh.shape[1]
        g_rows = g_out.reshape(-1, hidden)
        h_init, g_h = _gate_major(xp, h0._data), _gate_major(xp, g_h)
        whh_t = xp.ascontiguousarray(w_hh._data.T)                  # (H, 3H)
        grads = _Gradients(xp, steps, 3 * hidden, hidden, g_rows.dtype, h_init.shape,
                           separate_rec=True)
        kernel = _sequence_kernel(gates.data, steps, "gru_sequence_bwd")
        if kernel is not None:   # the loop below, in one Numba call
            kernel(gates.data, h_n.data, hs.data, *_step_arrays(steps), h_init,
                   _contiguous(g_rows), g_h, whh_t, grads.d_in, grads.d_rec, grads.h_prev,
                   *grads.zero_states(1))
        dh = None
        for t in steps.backward_order() if kernel is None else ():
            size, rows, before = steps.sizes[t], steps.rows(t), steps.before(t)
            dh_t = _start(xp, dh, g_h, size)
            h_prev = _start(xp, hs.get(before), h_init, size)
            grads.h_prev[:, rows] = h_prev
            d_in, d_rec = (xp.empty((3 * hidden, size), g_rows.dtype) for _ in range(2))
            dh_z = xp.empty((hidden, size), g_rows.dtype)
            gru_gates_bwd(xp, gates[t], h_n[t], h_prev, dh_t, _gate_major(xp, g_rows[rows]),
                          d_in, d_rec, dh_z)
            grads.d_in[:, rows], grads.d_rec[:, rows] = d_in, d_rec
            dh = dh_z + whh_t @ d_rec
            grads.initial(steps.size(before), dh)
        return (*grads.of_inputs(ctx, 2), None, None)

    @staticmethod
    def grad_formula(ctx, g_out, g_h):
        return _recomputed(ctx, gru_direction_by_steps, (g_out, g_h))


class RnnLayer(ArrayFunction):
    """(out, h_T) of one Elman RNN layer and direction (layouts as LstmLayer): h = act(gi +
    h_prev @ W_hh^T + b_hh) with act tanh or relu (`relu` is fixed per layer: a forward
    argument)."""

    node_name = "RnnLayerBackward0"

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, relu, reverse, batch_sizes=None):
        steps = Steps.of(x._data, batch_sizes, reverse)
        xp, gi = _projected(x, w_ih, b_ih)                  # (H, N)
        whh, hidden, bias, out, h_init, h_fin = _loop_start(xp, gi, w_hh, b_hh, h0)
        hs = _Blocks(xp, steps, hidden, gi.dtype)
        kernel = _sequence_kernel(gi, steps, "rnn_sequence_fwd")
        if kernel is not None:   # the loop below, in one Numba call
            kernel(gi, _contiguous(whh), _bias_array(b_hh, gi), *_step_arrays(steps), h_init,
                   bool(relu), hs.data, out, h_fin)
        h = None
        for t in steps.order() if kernel is None else ():
            size, rows = steps.sizes[t], steps.rows(t)
            rec, b = whh @ _start(xp, h, h_init, size), bias(size)
            pre = xp.ascontiguousarray(gi[:, rows]) + (rec if b is None else rec + b)
            h = hs[t]
            if relu:
                xp.maximum(pre, 0, out=h)
            else:
                xp.tanh(pre, out=h)
            out[rows] = h.T
            leave(h_fin, h, steps.size(steps.after(t)))
        ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh)
        ctx.options = (relu, reverse, batch_sizes)
        ctx.state = (steps, hs)
        return _wrap(_like_input(out, x)), _wrap(xp.ascontiguousarray(h_fin.T))

    @staticmethod
    def backward(ctx, g_out, g_h):
        steps, hs = ctx.state
        relu = ctx.options[0]
        h0, w_hh = ctx.saved_tensors[1], ctx.saved_tensors[3]
        xp = xp_of(hs.data)
        hidden = w_hh.shape[1]
        g_rows = g_out.reshape(-1, hidden)
        h_init, g_h = _gate_major(xp, h0._data), _gate_major(xp, g_h)
        whh_t = xp.ascontiguousarray(w_hh._data.T)
        grads = _Gradients(xp, steps, hidden, hidden, g_rows.dtype, h_init.shape)
        kernel = _sequence_kernel(hs.data, steps, "rnn_sequence_bwd")
        if kernel is not None:   # the loop below, in one Numba call
            kernel(hs.data, *_step_arrays(steps), h_init, bool(relu), _contiguous(g_rows), g_h,
                   whh_t, grads.d_in, grads.h_prev, *grads.zero_states(1))
        dh = None
        for t in steps.backward_order() if kernel is None else ():
            size, rows, before = steps.sizes[t], steps.rows(t), steps.before(t)
            grads.h_prev[:, rows] = enter(xp, hs.get(before), h_init, size)
            dh_t = enter(xp, dh, g_h, size) + _gate_major(xp, g_rows[rows])
            h = hs[t]
            dpre = dh_t * (h > 0) if relu else dh_t * (1 - h * h)
            grads.d_in[:, rows] = dpre
            dh = whh_t @ dpre
            grads.initial(steps.size(before), dh)
        return (*grads.of_inputs(ctx, 2), None, None, None)

    @staticmethod
    def grad_formula(ctx, g_out, g_h):
        return _recomputed(ctx, rnn_direction_by_steps, (g_out, g_h))


# ------------------------------------------------------------------ storage of the steps
class _Blocks:
    """One flat buffer holding a (width, batch_sizes[t]) C-contiguous block per step."""

    def __init__(self, xp, steps: Steps, width: int, dtype):
        self.data = xp.empty(width * steps.offsets[-1], dtype)
        self.steps, self.width = steps, width

    def __getitem__(self, t: int):
        o = self.steps.offsets
        return self.data[self.width * o[t]:self.width * o[t + 1]].reshape(
            self.width, self.steps.sizes[t])

    def get(self, t):
        """Block t, or None for t None (no step before the first)."""
        return None if t is None else self[t]


class _Gradients:
    """The gradients of all steps, gathered during the backward loop: the pre-activation
    gradients of the input projection (d_in) and of the recurrent product (d_rec, the same
    array except for the GRU), each (G, N) with step t's block at its rows' columns; the
    state every step started from (h_prev, (H, N)); the initial states' gradients."""

    def __init__(self, xp, steps, gates: int, hidden: int, dtype, state_shape,
                 separate_rec: bool = False):
        rows = steps.offsets[-1]
        self.xp = xp
        self.d_in = xp.empty((gates, rows), dtype)
        self.d_rec = xp.empty((gates, rows), dtype) if separate_rec else self.d_in
        self.h_prev = xp.empty((hidden, rows), dtype)
        self.states = None
        self.state_shape, self.dtype = state_shape, dtype

    def zero_states(self, count: int) -> list:
        """`count` zero arrays for the initial states' gradients, filled by a sequence
        kernel (kernels/cpu/recurrent_sequence.py) as `initial` fills them step by step."""
        self.states = [self.xp.zeros(self.state_shape, self.dtype) for _ in range(count)]
        return self.states

    def initial(self, keep: int, *grads) -> None:
        """Record the gradients of the initial state(s) for the sequences that started at the
        step just done (its columns keep: and after)."""
        if self.states is None:
            self.states = [self.xp.zeros(self.state_shape, self.dtype) for _ in grads]
        for total, g in zip(self.states, grads):
            leave(total, g, keep)

    def of_inputs(self, ctx, first: int) -> tuple:
        """The gradients of the forward's tensor arguments (x, h0[, c0], w_ih, w_hh, b_ih,
        b_hh; `first` = index of w_ih): dx = d_in^T W_ih, dW_ih = d_in x, dW_hh = d_rec
        h_prev^T, the biases as row sums, one BLAS call or reduction each."""
        xp, needs = self.xp, ctx.needs_input_grad
        x, w_ih = ctx.saved_tensors[0], ctx.saved_tensors[first]
        a = x._data
        grads = [None] * (first + 4)
        if needs[0]:
            grads[0] = (self.d_in.T @ w_ih._data).reshape(a.shape)
        for k, g in enumerate(self.states, start=1):
            grads[k] = xp.ascontiguousarray(g.T) if needs[k] else None
        if needs[first]:
            grads[first] = self.d_in @ a.reshape(self.d_in.shape[1], a.shape[-1])
        if needs[first + 1]:
            grads[first + 1] = self.d_rec @ self.h_prev.T
        if needs[first + 2]:
            grads[first + 2] = self.d_in.sum(axis=1)
        if needs[first + 3]:
            grads[first + 3] = self.d_rec.sum(axis=1)
        return tuple(grads)


# ------------------------------------------------------------------ helpers
def _projected(x, w_ih, b_ih):
    """(xp, gi (G, N) = W_ih @ x^T + b_ih for the rows of every step at once), gate-major:
    one BLAS call writes the layout the step loops read (a step's block is a copy of
    contiguous row pieces, ~8 us, where transposing (B, G) rows took ~35 us)."""
    a = x._data
    xp = xp_of(a)
    rows = a if a.ndim == 2 else a.reshape(a.shape[0] * a.shape[1], a.shape[-1])
    gi = w_ih._data @ rows.T
    if b_ih is not None:
        gi += b_ih._data[:, None]
    return xp, gi


def _loop_start(xp, gi, w_hh, b_hh, h0):
    """What a layer's forward loop starts from: W_hh's array, H, the recurrent bias by batch
    size (recurrent_gates.bias_columns), the (N, H) output rows, h0 gate-major and an array
    for the final state."""
    hidden = w_hh.shape[1]
    h_init = _gate_major(xp, h0._data)
    return (w_hh._data, hidden, bias_columns(xp, None if b_hh is None else b_hh._data),
            xp.empty((gi.shape[1], hidden), gi.dtype), h_init, xp.empty_like(h_init))


def _sequence_kernel(a, steps: Steps, name: str):
    """Kernel `name` of kernels/cpu/recurrent_sequence.py, which runs a whole loop of this
    module in one Numba call, for float32 numpy arrays when numpy's BLAS can be called from
    Numba (kernels/cpu/blas.py); else None: the Python loop."""
    if not SEQUENCE_KERNELS or type(a) is not np.ndarray or a.dtype != np.float32 \
            or steps.count == 0:
        return None
    from ..kernels.cpu.blas import AVAILABLE
    return kernel_for(a, "recurrent_sequence", name) if AVAILABLE else None


def _step_arrays(steps: Steps):
    """(sizes, offsets, order) of the steps as int64 arrays, for the sequence kernels."""
    return (np.array(steps.sizes, np.int64), np.array(steps.offsets, np.int64),
            np.array(list(steps.order()), np.int64))


def _bias_array(bias, like):
    """The recurrent bias's array, or an empty one of like's dtype (no bias)."""
    return np.empty(0, like.dtype) if bias is None else _contiguous(bias._data)


def _contiguous(a):
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


def _like_input(out, x):
    """The (N, H) output rows in the input's layout: (T, B, H) for (T, B, I) input."""
    a = x._data
    return out if a.ndim == 2 else out.reshape(a.shape[0], a.shape[1], out.shape[-1])


def _gate_major(xp, a):
    """A C-contiguous copy of `a` with its last two dims swapped: (.., B, n) -> (.., n, B)."""
    return xp.ascontiguousarray(a.swapaxes(-1, -2))


def _start(xp, carry, initial, batch: int):
    """`enter` (ops/recurrent_steps.py) as a C-contiguous array, for the kernels and BLAS."""
    return xp.ascontiguousarray(enter(xp, carry, initial, batch))


def _recomputed(ctx, by_steps, grads_out):
    """The gradients of a fused layer recomputed through its step-by-step ops, with a graph
    (create_graph=True): what higher derivatives differentiate."""
    from ..autograd.api import grad
    from ..autograd.grad_mode import enable_grad
    saved = ctx.saved_tensors
    inputs = [(k, t) for k, t in enumerate(saved) if t is not None and ctx.needs_input_grad[k]]
    with enable_grad():
        outs = by_steps(*saved, *ctx.options)
        found = grad(list(outs), [t for _, t in inputs], list(grads_out), create_graph=True,
                     allow_unused=True)
    result = [None] * (len(saved) + len(ctx.options))
    for (k, t), gk in zip(inputs, found):
        result[k] = gk if gk is not None else t.detach() * 0
    return tuple(result)
