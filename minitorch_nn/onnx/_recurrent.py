"""nn.LSTM / nn.GRU / nn.RNN as ONNX's recurrent ops (LSTM, GRU, RNN), as PyTorch exports them.

Our modules loop over time steps in Python; traced op by op, that loop would unroll into a
graph fixed to the traced sequence length. Instead, while exporting, each recurrent module's
`_run_direction` (one layer in one direction over a (T, B, I) input) is replaced on the
instance: it computes the values as usual with the tracer paused, then writes one ONNX node
for the whole sequence and binds the results to it, so the sequence length can be a dynamic
axis. Everything around it (hidden-state unbind, stacking the final states, batch_first
transposes, the two directions' concat) is traced as ordinary ops.

Gate order differs: PyTorch stacks LSTM gates as (i, f, g, o), ONNX as (i, o, f, c); GRU
(r, z, n) against ONNX's (z, r, h), with `linear_before_reset=1` for PyTorch's
r * (W_hn h + b_hn). The weights are reordered by Split/Concat nodes on the parameters, so they
stay initializers under their state_dict names. LSTMs with projections (proj_size > 0) have no
ONNX op and are traced step by step (a fixed sequence length).
"""
from __future__ import annotations

import contextlib

import numpy as np

from ..tensor import Tensor

_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN_TANH": [0], "RNN_RELU": [0]}


@contextlib.contextmanager
def recurrent_modules_as_onnx_ops(g, tracer, model):
    """While the block runs, each LSTM/GRU/RNN module in `model` exports as ONNX ops (with
    g None, their inner ops are only hidden from `tracer`, as for the grown-size run)."""
    from ..nn.modules.rnn import RNNBase
    patched = []
    modules = model.modules() if hasattr(model, "modules") else ()
    for m in modules:
        if isinstance(m, RNNBase) and getattr(m, "proj_size", 0) == 0 \
                and "_run_direction" not in m.__dict__:
            m._run_direction = _exporting_direction(g, tracer, m)
            patched.append(m)
    try:
        yield
    finally:
        for m in patched:
            del m._run_direction


def _exporting_direction(g, tracer, module):
    original = type(module)._run_direction.__get__(module)

    def run_direction(x, state, w, reverse):
        with tracer.paused():
            out, final = original(x, state, w, reverse)
        if g is None:
            return out, final
        names = _recurrent_node(g, module, x, state, w, reverse)
        g.bind(out, names[0])
        finals = final if isinstance(final, tuple) else (final,)
        for t, name in zip(finals, names[1:]):
            g.bind(t, name)
        _note_grown(g, x, out, finals)
        return out, final

    return run_direction


def _recurrent_node(g, module, x, state, w, reverse):
    """The ONNX node for one layer and direction: (output (T, B, H), final h[, final c])."""
    mode, hidden = module.mode, module.hidden_size
    op_type = {"LSTM": "LSTM", "GRU": "GRU"}.get(mode, "RNN")
    order = _ORDER[mode]
    weights = [_gates(g, w["weight_ih"], order, hidden), _gates(g, w["weight_hh"], order, hidden)]
    if w.get("bias_ih") is not None:
        bias = g.node("Concat", [_gates(g, w["bias_ih"], order, hidden),
                                 _gates(g, w["bias_hh"], order, hidden)], axis=1)
    else:
        bias = ""
    states = state if isinstance(state, tuple) else (state,)
    initial = [_initial_state(g, s) for s in states]
    inputs = [g.value(x), *weights, bias, "", *initial]   # "" = no sequence_lens
    while inputs[-1] == "":
        inputs.pop()
    attrs = {"hidden_size": int(hidden), "direction": "reverse" if reverse else "forward"}
    if op_type == "GRU":
        attrs["linear_before_reset"] = 1
    if op_type == "RNN":
        attrs["activations"] = ["Relu" if mode == "RNN_RELU" else "Tanh"]
    outs = g.node(op_type, inputs, n_out=3 if op_type == "LSTM" else 2, **attrs)
    y = g.node("Squeeze", [outs[0], g.ints([1])])         # (T, 1, B, H) -> (T, B, H)
    return [y] + [g.node("Squeeze", [o, g.ints([0])]) for o in outs[1:]]


def _note_grown(g, x, out, finals) -> None:
    """Sizes in the grown run (onnx/_shapes.py): time and batch follow x, features do not."""
    from ._shapes import note_sources
    gx = g.grown.get(id(x))
    if gx is None:
        return
    g.grown[id(out)] = (gx[0], gx[1], out.shape[2])
    for t in finals:
        g.grown[id(t)] = (gx[1], t.shape[1])
    note_sources(g, [out, *finals])


def _gates(g, param: Tensor, order, hidden):
    """A PyTorch gate-stacked weight (or bias) reordered for ONNX, with the direction dim."""
    v = g.value(param)
    if len(order) > 1:
        parts = g.node("Split", [v, g.ints([hidden] * len(order))], n_out=len(order), axis=0)
        v = g.node("Concat", [parts[i] for i in order], axis=0)
    return g.node("Unsqueeze", [v, g.ints([0])])


def _initial_state(g, s: Tensor) -> str:
    """The (1, B, H) initial state input; "" (ONNX's zeros) for a constant zero state, so the
    batch size of the default hx does not get fixed into the graph."""
    if g.is_constant(s) and not np.any(_host(s)):
        return ""
    return g.node("Unsqueeze", [g.value(s), g.ints([0])])


def _host(t: Tensor):
    from ._graph import host_array
    return host_array(t)
