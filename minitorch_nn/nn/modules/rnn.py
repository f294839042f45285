"""Recurrent layers (`torch.nn.modules.rnn`): RNN, LSTM, GRU and their single-step cells.

Written with differentiable ops, one time step at a time, so autograd gives the gradients
(backpropagation through time) with no special code. Per layer and direction, the input
projection x @ W_ih^T + b_ih is computed for all time steps in one matrix product; each step
then only adds h @ W_hh^T + b_hh and applies the gates:

    RNN:  h' = tanh(gi + gh)                      (or relu)
    LSTM: i, f, g, o = chunks of gi + gh;  c' = σ(f) c + σ(i) tanh(g);  h' = σ(o) tanh(c')
          (with proj_size: h' = h' @ W_hr^T)
    GRU:  r = σ(gi_r + gh_r);  z = σ(gi_z + gh_z);  n = tanh(gi_n + r gh_n);  h' = (1-z) n + z h

Parameter names (weight_ih_l0, bias_hh_l1_reverse, weight_hr_l0 ...), shapes, gate order and
initialisation U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) are PyTorch's, so state_dicts load
either way.

A PackedSequence input (nn.utils.rnn) runs each time step on the sequences still running at
that step; the output is then a PackedSequence and h_n holds each sequence's state at its own
last step (the reverse direction starts each sequence at its last step), in the caller's batch
order, as PyTorch.

    lstm = nn.LSTM(10, 20, num_layers=2, batch_first=True)
    out, (h_n, c_n) = lstm(torch.randn(3, 5, 10))   # out (3, 5, 20), h_n/c_n (2, 3, 20)
"""
from __future__ import annotations

import math
import numbers

from ..._user_warning import warn_user
from ...amp.autocast_mode import AUTOCAST as _AMP, autocast_args
from ...creation import empty, zeros
from ...ops.joining import cat, stack
from ...ops.recurrent import FUSED_DTYPES, GruLayer, LstmLayer, RnnLayer
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_FUSED = {d.name for d in FUSED_DTYPES}   # dtypes of the fused layers (ops/recurrent.py)


# ------------------------------------------------------------------ one time step
def _rnn_step(gi: Tensor, h: Tensor, w_hh, b_hh, relu: bool) -> Tensor:
    """Elman step: act(gi + h @ w_hh^T + b_hh)."""
    pre = gi + F.linear(h, w_hh, b_hh)
    return pre.relu() if relu else pre.tanh()


def _lstm_step(gi: Tensor, state: tuple, w_hh, b_hh, w_hr=None) -> tuple:
    """LSTM step on (h, c); gate order i, f, g, o as PyTorch (and cuDNN)."""
    h, c = state
    i, f, g, o = (gi + F.linear(h, w_hh, b_hh)).chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def _gru_step(gi: Tensor, h: Tensor, w_hh, b_hh) -> Tensor:
    """GRU step; gate order r, z, n; b_hh's n part stays inside r * (...), as PyTorch."""
    i_r, i_z, i_n = gi.chunk(3, -1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r = (i_r + h_r).sigmoid()
    z = (i_z + h_z).sigmoid()
    n = (i_n + r * h_n).tanh()
    return n + z * (h - n)   # (1 - z) * n + z * h


def _cell_fuses(cell, input: Tensor, hidden) -> bool:
    """Whether a cell's step runs as one graph node: the fused layer (ops/recurrent.py) over a
    sequence of length 1, in its dtypes and not under autocast (as RNNBase._run_direction).
    Every tensor must share the input's dtype and device; otherwise the step-by-step ops run
    and raise PyTorch's error."""
    if input.dtype.name not in _FUSED or (_AMP.on and _AMP.active()):
        return False
    tensors = [t for t in (*hidden, *cell._weights()) if t is not None]
    return all(t.dtype == input.dtype and t.device == input.device for t in tensors)


def _state_rows(state, start: int, stop: int):
    """Rows start:stop of a state h, or of both parts of an LSTM state (h, c)."""
    if isinstance(state, tuple):
        return tuple(s[start:stop] for s in state)
    return state[start:stop]


def _cat_states(states: list):
    """The states concatenated along the batch (part by part for LSTM states)."""
    if isinstance(states[0], tuple):
        return tuple(cat([s[i] for s in states], 0) for i in range(len(states[0])))
    return cat(states, 0)


# ------------------------------------------------------------------ multi-layer modules
class RNNBase(Module):
    """Parameters, checks and the layer/direction/time loops shared by RNN, LSTM and GRU."""

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias",
                     "batch_first", "dropout", "bidirectional", "proj_size"]

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        _check_rnn_args(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                        proj_size)
        gate_size = _GATES[mode] * hidden_size
        num_directions = 2 if bidirectional else 1
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else \
                    real_hidden_size * num_directions
                shapes = {"weight_ih": (gate_size, layer_input_size),
                          "weight_hh": (gate_size, real_hidden_size)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for kind, shape in shapes.items():
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(empty(shape, **factory_kwargs)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        """The parameters in PyTorch's flat order (read fresh, so functional_call works)."""
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """Per layer and direction: [weight_ih, weight_hh, (bias_ih, bias_hh), (weight_hr)]."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """A cuDNN memory-layout optimisation in PyTorch; nothing to do here."""

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    # -------------------------------------------------------------- checks (PyTorch's)
    def check_input(self, input: Tensor, batch_sizes=None) -> None:
        weight_dtype = self._flat_weights[0].dtype
        if input.dtype != weight_dtype and not (_AMP.on and _AMP.active()):   # autocast: ok
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({weight_dtype}). Convert input: input.to({weight_dtype}), or "
                             f"convert model: model.to({input.dtype})")
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(f"input must have {expected_input_dim} dimensions, got "
                               f"{input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")

    def get_expected_hidden_size(self, input: Tensor, batch_sizes=None) -> tuple:
        mini_batch = _mini_batch(self, input, batch_sizes)
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(self, hx: Tensor, expected_hidden_size: tuple,
                          msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input: Tensor, hidden: Tensor, batch_sizes=None) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        """hx (or both parts of an LSTM state) reordered along the batch by `permutation`
        (None: unchanged); used to sort and unsort the states of packed sequences."""
        if permutation is None:
            return hx
        if isinstance(hx, tuple):
            return tuple(h.index_select(1, permutation) for h in hx)
        return hx.index_select(1, permutation)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # -------------------------------------------------------------- the recurrence
    def _weights(self, index: int) -> dict:
        """{'weight_ih': ..., 'weight_hh': ..., 'bias_ih': ... or None, ...} of one
        (layer, direction), index = layer * num_directions + direction."""
        found = {}
        for name in self._all_weights[index]:
            found[name.split("_l")[0]] = getattr(self, name)
        return found

    def _step(self, gi: Tensor, state, w: dict):
        """One time step of this module's cell; `state` is h (or (h, c) for an LSTM)."""
        if self.mode == "LSTM":
            return _lstm_step(gi, state, w["weight_hh"], w.get("bias_hh"), w.get("weight_hr"))
        if self.mode == "GRU":
            return _gru_step(gi, state, w["weight_hh"], w.get("bias_hh"))
        return _rnn_step(gi, state, w["weight_hh"], w.get("bias_hh"),
                         self.mode == "RNN_RELU")

    def _run_direction(self, x: Tensor, state, w: dict, reverse: bool):
        """Run one layer in one direction over x (T, B, I): ((T, B, H) outputs, final state).
        In float32/float64 it is one fused graph node (ops/recurrent.py; not an LSTM with
        projections, not under autocast, where each step's ops choose their own dtype);
        otherwise step by step below."""
        if x.size(0) > 0 and self._fuses(x, w):
            return self._fused(x, state, w, reverse)
        gi_all = F.linear(x, w["weight_ih"], w.get("bias_ih"))   # all time steps at once
        steps = range(x.size(0) - 1, -1, -1) if reverse else range(x.size(0))
        outputs = [None] * x.size(0)
        for t in steps:
            state = self._step(gi_all[t], state, w)
            outputs[t] = state[0] if self.mode == "LSTM" else state
        return stack(outputs, 0), state

    def _fuses(self, x: Tensor, w: dict) -> bool:
        """Whether a layer runs as one fused graph node: float32/float64, not an LSTM with
        projections, not under autocast (where each step's ops choose their own dtype)."""
        return x.dtype.name in _FUSED and "weight_hr" not in w and \
            not (_AMP.on and _AMP.active())

    def _fused(self, x: Tensor, state, w: dict, reverse: bool, batch_sizes=None):
        """One layer and direction as one node (ops/recurrent.py): (output, final state)."""
        weights = (w["weight_ih"], w["weight_hh"], w.get("bias_ih"), w.get("bias_hh"))
        if self.mode == "LSTM":
            out, h, c = LstmLayer.apply(x, state[0], state[1], *weights, reverse, batch_sizes)
            return out, (h, c)
        if self.mode == "GRU":
            return GruLayer.apply(x, state, *weights, reverse, batch_sizes)
        return RnnLayer.apply(x, state, *weights, self.mode == "RNN_RELU", reverse,
                              batch_sizes)

    def _run_packed_direction(self, data: Tensor, batch_sizes: list, state, w: dict,
                              reverse: bool):
        """One layer in one direction over packed `data` (sum(batch_sizes), I): (packed
        outputs, final state with each sequence's state after its own last step). Fused as
        _run_direction where it can be; otherwise step by step below."""
        if self._fuses(data, w):
            return self._fused(data, state, w, reverse, tuple(batch_sizes))
        gi_all = F.linear(data, w["weight_ih"], w.get("bias_ih"))
        steps = len(batch_sizes)
        offsets = [0]
        for n in batch_sizes:
            offsets.append(offsets[-1] + n)
        outputs, finished = [None] * steps, []
        current = None
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            n = batch_sizes[t]
            following = batch_sizes[t + 1] if t + 1 < steps else 0
            if reverse:   # sequences whose last step is t start here, from the initial state
                start = _state_rows(state, following, n)
                current = start if current is None else _cat_states([current, start])
            else:
                current = _state_rows(current if current is not None else state, 0, n)
            current = self._step(gi_all[offsets[t]:offsets[t + 1]], current, w)
            outputs[t] = current[0] if self.mode == "LSTM" else current
            if not reverse and following < n:   # rows following:n end at step t
                finished.append(_state_rows(current, following, n))
        final = current if reverse else _cat_states(finished[::-1])
        return cat(outputs, 0), final

    def _run_layers(self, x: Tensor, states: list, batch_sizes: list | None = None) -> tuple:
        """All layers and directions over time-major x (or packed data, with batch_sizes);
        states[k] is the initial state of (layer, direction) k. Returns (last layer's output,
        final states in the same order)."""
        num_directions = 2 if self.bidirectional else 1
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                if batch_sizes is None:
                    out, final = self._run_direction(x, states[k], self._weights(k),
                                                     direction == 1)
                else:
                    out, final = self._run_packed_direction(x, batch_sizes, states[k],
                                                            self._weights(k), direction == 1)
                outputs.append(out)
                finals.append(final)
            x = outputs[0] if num_directions == 1 else cat(outputs, -1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, finals

    def _prepare_input(self, input: Tensor, name: str):
        """(input as (batch-first or time-first) 3-D, whether it was batched, batch dim)."""
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                             f"{'tensor instead' if name == 'RNN' else 'instead'}")
        is_batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
        return input, is_batched, batch_dim

    def _zero_state(self, input: Tensor, size: int) -> Tensor:
        num_directions = 2 if self.bidirectional else 1
        batch = input.size(0) if self.batch_first else input.size(1)
        return zeros(self.num_layers * num_directions, batch, size, dtype=input.dtype,
                     device=input.device)

    def _time_major(self, input: Tensor) -> Tensor:
        return input.transpose(0, 1) if self.batch_first else input

    def _packed_forward(self, input: PackedSequence, hx):
        """forward on a PackedSequence: (PackedSequence output, final state(s) in the
        caller's batch order)."""
        data, batch_sizes, sorted_indices, unsorted_indices = input
        lstm = self.mode == "LSTM"
        if _AMP.on and _AMP.active():
            data, hx = autocast_args(self.mode.lower(), data, hx)
        sizes = [int(n) for n in batch_sizes.tolist()]
        if hx is None:
            real = self.proj_size if self.proj_size > 0 else self.hidden_size
            hx = self._packed_zeros(data, sizes[0], real)
            if lstm:
                hx = (hx, self._packed_zeros(data, sizes[0], self.hidden_size))
        else:
            hx = self.permute_hidden(hx, sorted_indices)
        self.check_forward_args(data, hx, batch_sizes)
        states = list(zip(hx[0].unbind(0), hx[1].unbind(0))) if lstm else list(hx.unbind(0))
        output, finals = self._run_layers(data, states, sizes)
        if lstm:
            hidden = (stack([h for h, _ in finals], 0), stack([c for _, c in finals], 0))
        else:
            hidden = stack(finals, 0)
        output = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
        return output, self.permute_hidden(hidden, unsorted_indices)

    def _packed_zeros(self, data: Tensor, batch: int, size: int) -> Tensor:
        num_directions = 2 if self.bidirectional else 1
        return zeros(self.num_layers * num_directions, batch, size, dtype=data.dtype,
                     device=data.device)

    def _hidden_forward(self, input: Tensor, hx: Tensor | None, name: str):
        """forward of RNN and GRU (a single hidden state)."""
        if isinstance(input, PackedSequence):
            return self._packed_forward(input, hx)
        if _AMP.on and _AMP.active():
            input, hx = autocast_args(self.mode.lower(), input, hx)
        input, is_batched, batch_dim = self._prepare_input(input, name)
        if hx is not None:
            if not is_batched and hx.dim() != 2:
                raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got "
                                   f"{hx.dim()}-D tensor")
            if is_batched and hx.dim() != 3:
                raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got "
                                   f"{hx.dim()}-D tensor")
            hx = hx if is_batched else hx.unsqueeze(1)
        else:
            hx = self._zero_state(input, self.hidden_size)
        self.check_forward_args(input, hx)
        output, finals = self._run_layers(self._time_major(input), list(hx.unbind(0)))
        output = self._time_major(output)
        hidden = stack(finals, 0)
        if not is_batched:
            output, hidden = output.squeeze(batch_dim), hidden.squeeze(1)
        return output, hidden


def _mini_batch(module, input: Tensor, batch_sizes) -> int:
    """The batch size: batch_sizes[0] for packed data, else the input's batch dimension."""
    if batch_sizes is not None:
        return int(batch_sizes[0])
    return input.size(0) if module.batch_first else input.size(1)


def _check_rnn_args(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                    proj_size) -> None:
    """PyTorch's constructor checks (errors, and the warning for dropout with one layer)."""
    if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or \
            isinstance(dropout, bool):
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         "probability of an element being zeroed")
    if dropout > 0 and num_layers == 1:
        warn_user("dropout option adds dropout after all but last recurrent layer, so "
                  "non-zero dropout expects num_layers greater than 1, but got "
                  f"dropout={dropout} and num_layers={num_layers}")
    for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                              ("input_size", input_size, int),
                              ("hidden_size", hidden_size, int)):
        if not isinstance(value, kind):
            raise TypeError(f"{name} should be of type {kind.__name__}, got: "
                            f"{type(value).__name__}")
        if kind is int and value <= 0:
            raise ValueError(f"{name} must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")
    if mode not in _GATES:
        raise ValueError("Unrecognized RNN mode: " + mode)


class RNN(RNNBase):
    """Multi-layer Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)
    (nonlinearity='relu' for ReLU). Returns (output, h_n).

    RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
        batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             f"or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._hidden_forward(input, hx, "RNN")


class LSTM(RNNBase):
    """Multi-layer LSTM; returns (output, (h_n, c_n)). proj_size > 0 projects h with
    weight_hr (LSTM with projections), so h has proj_size features and c hidden_size.

    LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
         bidirectional=False, proj_size=0, device=None, dtype=None)
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input: Tensor, batch_sizes=None) -> tuple:
        mini_batch = _mini_batch(self, input, batch_sizes)
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def check_forward_args(self, input: Tensor, hidden: tuple, batch_sizes=None) -> None:
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:
        if isinstance(input, PackedSequence):
            return self._packed_forward(input, hx)
        if _AMP.on and _AMP.active():
            input, hx = autocast_args("lstm", input, hx)
        input, is_batched, batch_dim = self._prepare_input(input, "LSTM")
        if hx is None:
            real_hidden_size = self.proj_size if self.proj_size > 0 else self.hidden_size
            hx = (self._zero_state(input, real_hidden_size),
                  self._zero_state(input, self.hidden_size))
        else:
            want = 3 if is_batched else 2
            if hx[0].dim() != want or hx[1].dim() != want:
                kind = "batched 3-D" if is_batched else "unbatched 2-D"
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but "
                                   f"got ({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            if not is_batched:
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self.check_forward_args(input, hx)
        states = list(zip(hx[0].unbind(0), hx[1].unbind(0)))
        output, finals = self._run_layers(self._time_major(input), states)
        output = self._time_major(output)
        h_n = stack([h for h, _ in finals], 0)
        c_n = stack([c for _, c in finals], 0)
        if not is_batched:
            output = output.squeeze(batch_dim)
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Multi-layer gated recurrent unit; returns (output, h_n).

    GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
        bidirectional=False, device=None, dtype=None)
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._hidden_forward(input, hx, "GRU")


# ------------------------------------------------------------------ single-step cells
class RNNCellBase(Module):
    """weight_ih (chunks*H, I), weight_hh (chunks*H, H), optional bias_ih/bias_hh."""

    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size),
                                         **factory_kwargs))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size),
                                         **factory_kwargs))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **factory_kwargs))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **factory_kwargs))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _check_dims(self, name: str, input: Tensor, hidden: list) -> None:
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             f"instead")
        for label, h in hidden:
            if h.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {h.dim()}D "
                                 f"instead")

    def _check_sizes(self, input: Tensor, hidden: list) -> None:
        """The checks PyTorch's cell kernels make (batched tensors)."""
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} "
                               f"expected {self.input_size}")
        for i, h in enumerate(hidden):
            if input.size(0) != h.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{i} "
                                   f"batch size {h.size(0)}")
            if h.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {h.size(1)}, "
                                   f"expected {self.hidden_size}")

    def _zeros(self, input: Tensor) -> Tensor:
        return zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)

    def _weights(self) -> tuple:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh


class RNNCell(RNNCellBase):
    """One Elman step: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if _AMP.on and _AMP.active():
            input, hx = autocast_args(f"rnn_{self.nonlinearity}_cell", input, hx)
        self._check_dims("RNNCell", input, [] if hx is None else [("hidden", hx)])
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        hx = self._zeros(input) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        self._check_sizes(input, [hx])
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        relu = self.nonlinearity == "relu"
        if _cell_fuses(self, input, [hx]):
            ret = RnnLayer.apply(input.unsqueeze(0), hx, *self._weights(), relu, False)[1]
        else:
            ret = _rnn_step(F.linear(input, self.weight_ih, self.bias_ih), hx, self.weight_hh,
                            self.bias_hh, relu)
        return ret if is_batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step on (h, c); returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple[Tensor, Tensor]:
        if _AMP.on and _AMP.active():
            input, hx = autocast_args("lstm_cell", input, hx)
        self._check_dims("LSTMCell", input,
                         [] if hx is None else [(f"hx[{i}]", h) for i, h in enumerate(hx)])
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = (self._zeros(input), self._zeros(input))
        elif not is_batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        self._check_sizes(input, list(hx))
        if _cell_fuses(self, input, hx):
            _, h, c = LstmLayer.apply(input.unsqueeze(0), hx[0], hx[1], *self._weights(), False)
        else:
            h, c = _lstm_step(F.linear(input, self.weight_ih, self.bias_ih), hx,
                              self.weight_hh, self.bias_hh)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: returns h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if _AMP.on and _AMP.active():
            input, hx = autocast_args("gru_cell", input, hx)
        self._check_dims("GRUCell", input, [] if hx is None else [("hidden", hx)])
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        hx = self._zeros(input) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        self._check_sizes(input, [hx])
        if _cell_fuses(self, input, [hx]):
            ret = GruLayer.apply(input.unsqueeze(0), hx, *self._weights(), False)[1]
        else:
            ret = _gru_step(F.linear(input, self.weight_ih, self.bias_ih), hx, self.weight_hh,
                            self.bias_hh)
        return ret if is_batched else ret.squeeze(0)
