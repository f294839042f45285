"""float32 recurrent layers on the CPU run each layer and direction in one Numba call
(kernels/cpu/recurrent_sequence.py, with the recurrent product through numpy's BLAS bound in
kernels/cpu/blas.py): the same numbers as the per-step Python loop they replace and as
PyTorch, packed sequences included; the kernels refuse arrays that do not fit."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.kernels.cpu import blas
from minitorch_nn.kernels.cpu import recurrent_sequence as kernels
from minitorch_nn.ops import recurrent
from op_harness import requires_torch

pytestmark = pytest.mark.skipif(not blas.AVAILABLE,
                                reason="numpy's BLAS is not reachable from Numba here")

KINDS = [("LSTM", {}), ("GRU", {}), ("RNN", {}), ("RNN", {"nonlinearity": "relu"})]
CONFIGS = [dict(), dict(num_layers=2, bidirectional=True), dict(bias=False),
           dict(batch_first=True)]
LENGTHS = [None, [6, 4, 4, 1], [3, 6, 1, 5]]   # None: a plain (T, B, I) batch


def _run(T, kind, kw, lengths, seed=0):
    """Outputs and every gradient of a forward/backward in float32 (T = minitorch_nn or
    torch); `lengths`: a packed batch of those lengths (enforce_sorted when sorted)."""
    name, extra = kind
    T.manual_seed(seed)
    m = getattr(T.nn, name)(5, 7, **kw, **extra)
    batch_first = kw.get("batch_first", False)
    x = T.randn(*((4, 6) if batch_first else (6, 4)), 5, requires_grad=True)
    dirs = 2 if kw.get("bidirectional") else 1
    h0 = T.randn(kw.get("num_layers", 1) * dirs, 4, 7, requires_grad=True)
    state = (h0, T.randn(*h0.shape, requires_grad=True)) if name == "LSTM" else (h0,)
    inp, utils = x, T.nn.utils.rnn
    if lengths is not None:
        inp = utils.pack_padded_sequence(x, lengths, batch_first=batch_first,
                                         enforce_sorted=lengths == sorted(lengths)[::-1])
    out, final = m(inp, state if name == "LSTM" else h0)
    if lengths is not None:
        out = utils.pad_packed_sequence(out, batch_first=batch_first)[0]
    finals = final if name == "LSTM" else (final,)
    loss = out.sin().sum() + sum(((k + 2) * f).cos().sum() for k, f in enumerate(finals))
    loss.backward()
    leaves = [x, *state, *m.parameters()]
    return [t.detach().numpy() for t in (out, *finals)] + [t.grad.numpy() for t in leaves]


def _calls(monkeypatch):
    """Record the sequence kernels that run (by name)."""
    ran = []
    real = recurrent._sequence_kernel

    def spy(a, steps, name):
        fn = real(a, steps, name)
        if fn is not None:
            ran.append(name)
        return fn
    monkeypatch.setattr(recurrent, "_sequence_kernel", spy)
    return ran


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k[0] + "".join(k[1].values()))
@pytest.mark.parametrize("kw", CONFIGS)
@pytest.mark.parametrize("lengths", LENGTHS, ids=["plain", "packed-sorted", "packed"])
def test_sequence_kernels_equal_the_python_loop(kind, kw, lengths, monkeypatch):
    ran = _calls(monkeypatch)
    fused = _run(mt, kind, kw, lengths)
    prefix = kind[0].lower()
    assert f"{prefix}_sequence_fwd" in ran and f"{prefix}_sequence_bwd" in ran
    monkeypatch.setattr(recurrent, "SEQUENCE_KERNELS", False)
    ran.clear()
    loop = _run(mt, kind, kw, lengths)
    assert ran == []
    for a, b in zip(fused, loop):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=2e-6)


@requires_torch
@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k[0] + "".join(k[1].values()))
@pytest.mark.parametrize("lengths", LENGTHS[1:], ids=["packed-sorted", "packed"])
def test_packed_float32_equals_pytorch(kind, lengths):
    import torch
    kw = dict(num_layers=2, bidirectional=True)
    for a, b in zip(_run(mt, kind, kw, lengths), _run(torch, kind, kw, lengths)):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5)


def test_float64_and_the_missing_blas_keep_the_python_loop(monkeypatch):
    ran = _calls(monkeypatch)
    mt.manual_seed(0)
    lstm = mt.nn.LSTM(3, 4)
    lstm.double()(mt.randn(5, 2, 3, dtype=mt.float64))[0].sum().backward()
    assert ran == []
    lstm.float()
    x = mt.randn(5, 2, 3)
    expected = lstm(x)[0].detach().numpy()
    assert ran == ["lstm_sequence_fwd"]
    monkeypatch.setattr(blas, "AVAILABLE", False)
    np.testing.assert_allclose(lstm(x)[0].detach().numpy(), expected, rtol=1e-6, atol=1e-7)
    assert ran == ["lstm_sequence_fwd"]


# ------------------------------------------------------------------ the kernels' own checks
H, B, T = 3, 2, 4
F32 = np.float32


def _lstm_fwd_args(**change):
    """Arguments of lstm_sequence_fwd for T steps of B sequences, H units; `change` replaces
    some."""
    n = T * B
    args = dict(gi=np.zeros((4 * H, n), F32), w_hh=np.zeros((4 * H, H), F32),
                b_hh=np.zeros(4 * H, F32), sizes=np.full(T, B, np.int64),
                offsets=np.arange(T + 1, dtype=np.int64) * B, order=np.arange(T, dtype=np.int64),
                h_init=np.zeros((H, B), F32), c_init=np.zeros((H, B), F32),
                act=np.zeros(4 * H * n, F32), cells=np.zeros(H * n, F32),
                hs=np.zeros(H * n, F32), out=np.zeros((n, H), F32),
                h_fin=np.zeros((H, B), F32), c_fin=np.zeros((H, B), F32))
    args.update(change)
    return list(args.values())


def test_lstm_kernel_runs_on_its_own_arguments():
    kernels.lstm_sequence_fwd(*_lstm_fwd_args())   # all zeros: h = 0.5 * tanh(0) = 0
    args = _lstm_fwd_args(gi=np.ones((4 * H, T * B), F32))
    kernels.lstm_sequence_fwd(*args)
    sig = 1 / (1 + np.exp(-1.0))
    c1 = sig * np.tanh(1.0)
    np.testing.assert_allclose(args[11][:B], sig * np.tanh(c1), rtol=1e-6)   # out, step 0


@pytest.mark.parametrize("change, match", [
    (dict(sizes=np.array([2, 2, 2, 3], np.int64),
          offsets=np.array([0, 2, 4, 6, 9], np.int64)), "size does not fit"),
    (dict(order=np.array([0, 1, 1, 3], np.int64)), "not a permutation"),
    (dict(order=np.array([0, 1, 2, 7], np.int64)), "not a permutation"),
    (dict(offsets=np.array([0, 2, 4, 6, 9], np.int64)), "size does not fit"),
    (dict(sizes=np.full(3, B, np.int64)), "do not agree"),
    (dict(act=np.zeros(4 * H * T * B - 1, F32)), "sizes do not agree"),
    (dict(out=np.zeros((T * B, H + 1), F32)), "sizes do not agree"),
    (dict(b_hh=np.zeros(5, F32)), "sizes do not agree"),
    (dict(h_init=np.zeros((H, B - 1), F32)), "does not fit"),
    (dict(c_fin=np.zeros((H + 1, B), F32)), "sizes do not agree"),
    (dict(gi=np.zeros((4 * H, T * B - 1), F32)), "do not cover the rows"),
])
def test_lstm_kernel_refuses_arrays_that_do_not_fit(change, match):
    with pytest.raises(ValueError, match=match):
        kernels.lstm_sequence_fwd(*_lstm_fwd_args(**change))


def test_other_kernels_check_their_sizes():
    n = T * B
    steps = (np.full(T, B, np.int64), np.arange(T + 1, dtype=np.int64) * B,
             np.arange(T, dtype=np.int64))
    z = np.zeros
    with pytest.raises(ValueError, match="gru_sequence_fwd"):
        kernels.gru_sequence_fwd(z((3 * H, n), F32), z((3 * H, H), F32), z(0, F32), *steps,
                                 z((H, B), F32), z(3 * H * n, F32), z(H * n - 1, F32),
                                 z(H * n, F32), z((n, H), F32), z((H, B), F32))
    with pytest.raises(ValueError, match="rnn_sequence_bwd"):
        kernels.rnn_sequence_bwd(z(H * n, F32), *steps, z((H, B), F32), False,
                                 z((n, H), F32), z((H, B), F32), z((H, H), F32),
                                 z((H, n), F32), z((H, n + 1), F32), z((H, B), F32))
    with pytest.raises(ValueError, match="lstm_sequence_bwd"):
        kernels.lstm_sequence_bwd(z(4 * H * n, F32), z(H * n, F32), z(H * n, F32), *steps,
                                  z((H, B), F32), z((H, B), F32), z((n, H), F32),
                                  z((H, B), F32), z((H, B), F32), z((H, 4 * H), F32),
                                  z((4 * H, n), F32), z((H, n), F32), z((H, B + 1), F32),
                                  z((H, B), F32))


# ------------------------------------------------------------------ numpy's BLAS from Numba
@pytest.mark.parametrize("m, k, n", [(7, 5, 3), (1, 4, 1), (6, 0, 2), (0, 3, 2), (3, 2, 0)])
@pytest.mark.parametrize("transpose_a", [False, True])
def test_blas_product_equals_numpy(m, k, n, transpose_a):
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    a = rng.standard_normal((m, k), dtype=F32)
    b = rng.standard_normal((k, n), dtype=F32)
    out = np.full((m, n), np.nan, F32)
    blas.product(np.ascontiguousarray(a.T) if transpose_a else a, b, out, transpose_a)
    np.testing.assert_allclose(out, a @ b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("a, b, out, match", [
    (np.zeros((4, 3), np.float64), np.zeros((3, 2), F32), np.zeros((4, 2), F32), "float32"),
    (np.zeros((4, 3), F32), np.zeros((3, 2), np.int32), np.zeros((4, 2), F32), "float32"),
    (np.zeros((4, 6), F32)[:, :3], np.zeros((3, 2), F32), np.zeros((4, 2), F32), "contiguous"),
    (np.zeros((4, 3), F32), np.zeros((2, 3), F32).T, np.zeros((4, 2), F32), "contiguous"),
    (np.zeros((4, 3), F32), np.zeros((4, 2), F32), np.zeros((4, 2), F32), "shapes"),
    (np.zeros((4, 3), F32), np.zeros((3, 2), F32), np.zeros((4, 3), F32), "shapes"),
])
def test_blas_product_refuses_what_blas_would_misread(a, b, out, match):
    with pytest.raises(ValueError, match=match):
        blas.product(a, b, out, False)
