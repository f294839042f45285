"""The fused recurrent layers (ops/recurrent.py: LstmLayer, GruLayer, RnnLayer behind nn.LSTM,
nn.GRU, nn.RNN): the same numbers as the step-by-step ops they replace and as PyTorch,
gradients included; one graph node per layer and direction; higher derivatives through the
step-by-step recomputation."""
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
