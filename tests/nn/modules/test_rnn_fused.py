"""The fused recurrent layers (ops/recurrent.py: LstmLayer, GruLayer, RnnLayer behind nn.LSTM,
nn.GRU, nn.RNN): the same numbers as the step-by-step ops they replace and as PyTorch,
gradients included; one graph node per layer and direction; higher derivatives through the
step-by-step recomputation; the float32 step kernels (kernels/cpu/recurrent.py) against the
array code they replace."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.nn.modules import rnn as rnn_module
from op_harness import requires_torch

CONFIGS = [dict(), dict(num_layers=2, bidirectional=True), dict(bias=False),
           dict(batch_first=True, num_layers=2)]


KINDS = [("LSTM", {}), ("GRU", {}), ("RNN", {}), ("RNN", {"nonlinearity": "relu"})]


def _step(T, kw, dtype, fused=True, hx=True, seed=0, kind=("LSTM", {})):
    """Outputs and every gradient of one forward/backward (T = minitorch_nn or torch)."""
    T.manual_seed(seed)
    name, extra = kind
    m = getattr(T.nn, name)(5, 7, **kw, **extra).to(dtype)
    dirs = 2 if kw.get("bidirectional") else 1
    x = T.randn(4, 6, 5, dtype=dtype, requires_grad=True)   # (batch_first ? B : T) = 4
    state = None
    if hx:
        shape = (kw.get("num_layers", 1) * dirs, 4 if kw.get("batch_first") else 6, 7)
        state = tuple(T.randn(*shape, dtype=dtype, requires_grad=True)
                      for _ in range(2 if name == "LSTM" else 1))
    if T is mt and not fused:
        saved, rnn_module._FUSED = rnn_module._FUSED, set()
    try:
        out, final = m(x, state if name == "LSTM" or state is None else state[0])
        finals = final if name == "LSTM" else (final,)
        loss = out.sin().sum() + (finals[0] * 2).sum()
        if name == "LSTM":
            loss = loss + finals[1].cos().sum()
        loss.backward()
    finally:
        if T is mt and not fused:
            rnn_module._FUSED = saved
    leaves = [x, *(state or ()), *m.parameters()]
    return [t.detach().numpy() for t in (out, *finals)] + [t.grad.numpy() for t in leaves]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k[0] + "".join(k[1].values()))
@pytest.mark.parametrize("kw", CONFIGS)
@pytest.mark.parametrize("hx", [True, False])
def test_fused_equals_step_by_step(kind, kw, hx):
    fused = _step(mt, kw, mt.float64, True, hx, kind=kind)
    steps = _step(mt, kw, mt.float64, False, hx, kind=kind)
    n_out = 3 if kind[0] == "LSTM" else 2
    for a, b in zip(fused[:n_out], steps[:n_out]):
        np.testing.assert_array_equal(a, b)     # forward: the same arithmetic, bit for bit
    for a, b in zip(fused[n_out:], steps[n_out:]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


@requires_torch
@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k[0] + "".join(k[1].values()))
@pytest.mark.parametrize("kw", CONFIGS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fused_equals_pytorch(kind, kw, dtype):
    import torch
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == "float64" else dict(rtol=2e-5, atol=2e-5)
    ours = _step(mt, kw, getattr(mt, dtype), kind=kind)
    theirs = _step(torch, kw, getattr(torch, dtype), kind=kind)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, **tol)


def test_one_node_per_layer_and_direction():
    mt.manual_seed(0)
    for name in ("GRU", "RNN"):
        out, h = getattr(mt.nn, name)(3, 4)(mt.randn(50, 2, 3))
        assert type(out.grad_fn).__name__ == f"{name.capitalize()}LayerBackward0"
        assert h.grad_fn.next_functions[0][0] is out.grad_fn
    lstm = mt.nn.LSTM(3, 4)
    out, (h, c) = lstm(mt.randn(50, 2, 3))
    assert type(out.grad_fn).__name__ == "LstmLayerBackward0"
    for state in (h, c):   # h_n, c_n stack the layers' final states: one input, that node
        assert state.grad_fn.next_functions[0][0] is out.grad_fn


def test_half_precision_and_projections_use_the_step_by_step_path():
    mt.manual_seed(0)
    out, _ = mt.nn.LSTM(3, 4, proj_size=2)(mt.randn(5, 2, 3))
    assert type(out.grad_fn).__name__ != "LstmLayerBackward0"
    out, _ = mt.nn.LSTM(3, 4).to(mt.bfloat16)(mt.randn(5, 2, 3, dtype=mt.bfloat16))
    assert type(out.grad_fn).__name__ != "LstmLayerBackward0"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k[0] + "".join(k[1].values()))
def test_double_backward_through_the_fused_layer(kind):
    mt.manual_seed(0)
    layer = getattr(mt.nn, kind[0])(2, 3, **kind[1]).double()
    x = mt.randn(4, 2, 2, dtype=mt.float64, requires_grad=True)

    def f(x):
        return layer(x)[0].tanh().sum()
    assert mt.autograd.gradgradcheck(f, (x,))
    (g,) = mt.autograd.grad(f(x), x, create_graph=True)
    saved, rnn_module._FUSED = rnn_module._FUSED, set()
    try:
        (g_steps,) = mt.autograd.grad(f(x), x, create_graph=True)
        (hvp_steps,) = mt.autograd.grad((g_steps * g_steps).sum(), x)
    finally:
        rnn_module._FUSED = saved
    (hvp,) = mt.autograd.grad((g * g).sum(), x)
    np.testing.assert_allclose(hvp.numpy(), hvp_steps.numpy(), rtol=1e-10, atol=1e-12)


def test_gradient_of_a_state_that_is_not_used_is_zero():
    mt.manual_seed(0)
    lstm = mt.nn.LSTM(3, 4)
    h0 = mt.zeros(1, 2, 4, requires_grad=True)
    c0 = mt.zeros(1, 2, 4, requires_grad=True)
    out, _ = lstm(mt.randn(3, 2, 3), (h0, c0))
    out[-1].sum().backward()          # only the last output; h_T and c_T get no gradient
    assert h0.grad is not None and float(h0.grad.abs().sum()) > 0
    assert c0.grad.shape == (1, 2, 4)


@pytest.mark.parametrize("kind", KINDS[:2], ids=["LSTM", "GRU"])
@pytest.mark.parametrize("kw", CONFIGS)
def test_float32_step_kernels_equal_the_array_code(kind, kw, monkeypatch):
    """float32 runs each step's gate math in one Numba kernel (kernels/cpu/recurrent.py);
    the array code it replaces (numpy ops on the same gate-major arrays) gives the same
    outputs and gradients to float32 rounding."""
    from minitorch_nn.ops import recurrent, recurrent_gates
    monkeypatch.setattr(recurrent, "SEQUENCE_KERNELS", False)   # the per-step Python loop
    kernels = _step(mt, kw, mt.float32, kind=kind)
    monkeypatch.setattr(recurrent_gates, "_step_kernel", lambda a, name: None)
    arrays = _step(mt, kw, mt.float32, kind=kind)
    for a, b in zip(kernels, arrays):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_step_kernels_refuse_arrays_of_the_wrong_size():
    """The kernels index without bounds checks, so they check every size first."""
    from minitorch_nn.kernels.cpu import recurrent as kernels
    f32 = np.float32
    n = 6
    states = [np.zeros(n, f32) for _ in range(4)]
    with pytest.raises(ValueError, match="gate array"):
        kernels.lstm_gates_fwd(np.zeros(4 * n - 1, f32), np.zeros(4 * n, f32),
                               np.empty(0, f32), states[0], np.zeros(4 * n, f32), *states[1:3])
    with pytest.raises(ValueError, match="state array"):
        kernels.lstm_gates_bwd(np.zeros(4 * n, f32), states[0], np.zeros(n + 1, f32),
                               *states[1:], np.zeros(4 * n, f32))
    with pytest.raises(ValueError, match="gate array"):
        kernels.gru_gates_fwd(np.zeros(3 * n, f32), np.zeros(3 * n, f32), np.zeros(2, f32),
                              *states[:1], np.zeros(3 * n, f32), *states[1:3])
    with pytest.raises(ValueError, match="state array"):
        kernels.gru_gates_bwd(np.zeros(3 * n, f32), *states[:3], np.zeros(n - 1, f32),
                              np.zeros(3 * n, f32), np.zeros(3 * n, f32), states[3])


CELLS = [("LSTMCell", {}), ("GRUCell", {}), ("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"})]


def _cell_step(T, name, extra, dtype, batch=3, fused=True, monkeypatch=None):
    """Output(s) and every gradient of two steps of a cell (T = minitorch_nn or torch)."""
    T.manual_seed(1)
    cell = getattr(T.nn, name)(4, 5, **extra).to(dtype)
    x = T.randn(2, batch, 4, dtype=dtype, requires_grad=True)
    h = T.randn(batch, 5, dtype=dtype, requires_grad=True)
    c = T.randn(batch, 5, dtype=dtype, requires_grad=True)
    if T is mt and not fused:
        monkeypatch.setattr(rnn_module, "_cell_fuses", lambda *a: False)
    state = (h, c) if name == "LSTMCell" else h
    outs = []
    for t in range(2):
        state = cell(x[t], state)
        outs.extend(state if name == "LSTMCell" else [state])
    loss = sum((o.sin() * (k + 1)).sum() for k, o in enumerate(outs))
    loss.backward()
    leaves = [x, h] + ([c] if name == "LSTMCell" else []) + list(cell.parameters())
    return [o.detach().numpy() for o in outs] + [t.grad.numpy() for t in leaves]


@pytest.mark.parametrize("cell", CELLS, ids=lambda k: k[0] + "".join(k[1].values()))
@pytest.mark.parametrize("batch", [3, 0])
def test_cells_run_as_one_node_with_the_step_by_step_numbers(cell, batch, monkeypatch):
    name, extra = cell
    layer = getattr(mt.nn, name)(4, 5, **extra)
    out = layer(mt.randn(3, 4))
    node = type((out[0] if name == "LSTMCell" else out).grad_fn).__name__
    assert node == {"LSTMCell": "LstmLayerBackward0", "GRUCell": "GruLayerBackward0"}.get(
        name, "RnnLayerBackward0")
    fused = _cell_step(mt, name, extra, mt.float64, batch)
    steps = _cell_step(mt, name, extra, mt.float64, batch, False, monkeypatch)
    for a, b in zip(fused, steps):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


@requires_torch
@pytest.mark.parametrize("cell", CELLS, ids=lambda k: k[0] + "".join(k[1].values()))
def test_fused_cells_equal_pytorch(cell):
    import torch
    ours = _cell_step(mt, *cell, mt.float32)
    theirs = _cell_step(torch, *cell, torch.float32)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5)


def test_a_cell_with_mixed_dtypes_raises_as_before():
    cell = mt.nn.LSTMCell(4, 5)
    with pytest.raises(RuntimeError):
        cell(mt.randn(2, 4, dtype=mt.float64))


def _packed_step(T, kind, kw, dtype, lengths, fused=True, monkeypatch=None):
    """Outputs and gradients of a layer over a PackedSequence of sequences of `lengths`."""
    T.manual_seed(2)
    name, extra = kind
    m = getattr(T.nn, name)(3, 4, **kw, **extra).to(dtype)
    x = T.randn(max(lengths), len(lengths), 3, dtype=dtype, requires_grad=True)
    dirs = 2 if kw.get("bidirectional") else 1
    shape = (kw.get("num_layers", 1) * dirs, len(lengths), 4)
    state = tuple(T.randn(*shape, dtype=dtype, requires_grad=True)
                  for _ in range(2 if name == "LSTM" else 1))
    if T is mt and not fused:
        monkeypatch.setattr(rnn_module.RNNBase, "_fuses", lambda *a: False)
    packed = T.nn.utils.rnn.pack_padded_sequence(x, T.tensor(lengths), enforce_sorted=False)
    out, final = m(packed, state if name == "LSTM" else state[0])
    padded, _ = T.nn.utils.rnn.pad_packed_sequence(out)
    finals = final if name == "LSTM" else (final,)
    loss = padded.sin().sum() + sum((f * (k + 2)).cos().sum() for k, f in enumerate(finals))
    loss.backward()
    leaves = [x, *state, *m.parameters()]
    return [t.detach().numpy() for t in (out.data, *finals)] + [t.grad.numpy() for t in leaves]


PACKED_CONFIGS = [{}, {"num_layers": 2, "bidirectional": True}, {"bias": False}]
LENGTHS = [[2, 5, 3, 3, 1], [4, 4], [1]]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k[0] + "".join(k[1].values()))
@pytest.mark.parametrize("kw", PACKED_CONFIGS)
@pytest.mark.parametrize("lengths", LENGTHS, ids=str)
def test_packed_sequences_fused_equal_step_by_step(kind, kw, lengths, monkeypatch):
    fused = _packed_step(mt, kind, kw, mt.float64, lengths)
    steps = _packed_step(mt, kind, kw, mt.float64, lengths, False, monkeypatch)
    for a, b in zip(fused, steps):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


@requires_torch
@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k[0] + "".join(k[1].values()))
@pytest.mark.parametrize("kw", PACKED_CONFIGS)
def test_packed_sequences_fused_equal_pytorch(kind, kw):
    import torch
    ours = _packed_step(mt, kind, kw, mt.float32, LENGTHS[0])
    theirs = _packed_step(torch, kind, kw, torch.float32, LENGTHS[0])
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5)


def test_packed_sequence_is_one_node_per_layer_and_direction():
    mt.manual_seed(0)
    packed = mt.nn.utils.rnn.pack_padded_sequence(mt.randn(4, 3, 2), mt.tensor([4, 2, 1]))
    out, _ = mt.nn.GRU(2, 3)(packed)
    assert type(out.data.grad_fn).__name__ == "GruLayerBackward0"


@pytest.mark.parametrize("kind", KINDS[:2], ids=["LSTM", "GRU"])
def test_double_backward_through_a_fused_packed_layer(kind):
    mt.manual_seed(0)
    layer = getattr(mt.nn, kind[0])(2, 3, bidirectional=True).double()
    x = mt.randn(3, 2, 2, dtype=mt.float64, requires_grad=True)

    def f(x):
        packed = mt.nn.utils.rnn.pack_padded_sequence(x, mt.tensor([3, 1]))
        return layer(packed)[0].data.tanh().sum()
    assert mt.autograd.gradgradcheck(f, (x,))


@pytest.mark.cuda
@pytest.mark.parametrize("kind", KINDS[:2], ids=["LSTM", "GRU"])
def test_packed_fused_layer_on_gpu_matches_cpu(kind):
    """The GPU runs the same loop with the CUDA step kernels (kernels/cuda/recurrent.py)."""
    import copy
    mt.manual_seed(3)
    cpu_layer = getattr(mt.nn, kind[0])(3, 4, num_layers=2, bidirectional=True)
    gpu_layer = copy.deepcopy(cpu_layer).cuda()
    x = mt.randn(5, 3, 3)
    results = []
    for layer, device in ((cpu_layer, "cpu"), (gpu_layer, "cuda")):
        xd = x.detach().to(device).requires_grad_()
        packed = mt.nn.utils.rnn.pack_padded_sequence(xd, mt.tensor([5, 3, 2]))
        out = layer(packed)[0].data
        assert out.device.type == device
        out.sin().sum().backward()
        results.append([out.detach().cpu().numpy(), xd.grad.cpu().numpy()] +
                       [p.grad.cpu().numpy() for p in layer.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
