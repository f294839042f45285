"""SparseAdam against PyTorch on nn.Embedding(sparse=True): PyTorch's gradient is sparse
(the looked-up rows), ours dense with zero rows elsewhere; the updates must agree, rows not
looked up must not move, and the argument errors match."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

torch = pytest.importorskip("torch")

WEIGHT = np.random.default_rng(7).standard_normal((7, 3))
BATCHES = [[1, 3, 3], [0, 1, 6], [2], [6, 6, 5, 1]]


def train(T, kwargs, steps=12, weight=WEIGHT):
    emb = T.nn.Embedding(*weight.shape, sparse=True).double()
    with T.no_grad():
        emb.weight.copy_(T.tensor(weight))
    opt = T.optim.SparseAdam(emb.parameters(), **kwargs)
    history = []
    for i in range(steps):
        opt.zero_grad()
        out = emb(T.tensor(BATCHES[i % len(BATCHES)]))
        ((out - 0.3) ** 2).sum().backward()
        opt.step()
        history.append(emb.weight.detach().numpy().copy())
    return history, opt, emb


CASES = [{}, {"lr": 0.05}, {"lr": 0.05, "betas": (0.5, 0.8), "eps": 1e-4},
         {"lr": 0.02, "maximize": True}]


@pytest.mark.parametrize("kwargs", CASES, ids=str)
def test_updates_match_pytorch_sparse_gradients(kwargs):
    ours, opt, emb = train(mt, kwargs)
    theirs, topt, temb = train(torch, kwargs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    state, tstate = opt.state[emb.weight], topt.state[temb.weight]
    assert list(state) == list(tstate) and state["step"] == tstate["step"] == 12
    for key in ("exp_avg", "exp_avg_sq"):
        np.testing.assert_allclose(state[key].numpy(), tstate[key].numpy(), rtol=1e-12,
                                   atol=1e-14)


def test_rows_not_looked_up_do_not_move():
    history, opt, emb = train(mt, {"lr": 0.1}, steps=1)
    moved = np.any(history[0] != WEIGHT, axis=1)
    assert moved.tolist() == [i in BATCHES[0] for i in range(len(WEIGHT))]
    assert np.all(opt.state[emb.weight]["exp_avg"].numpy()[~moved] == 0)


def test_state_dict_round_trip():
    full, _, _ = train(mt, {"lr": 0.05}, steps=8)
    first, opt, emb = train(mt, {"lr": 0.05}, steps=4)
    sd = opt.state_dict()
    _, topt, _ = train(torch, {"lr": 0.05}, steps=4)
    assert list(sd["state"][0]) == list(topt.state_dict()["state"][0])
    assert set(sd["param_groups"][0]) == set(topt.state_dict()["param_groups"][0])
    emb2 = mt.nn.Embedding(*WEIGHT.shape, sparse=True).double()
    with mt.no_grad():
        emb2.weight.copy_(emb.weight)
    opt2 = mt.optim.SparseAdam(emb2.parameters(), lr=0.05)
    opt2.load_state_dict(sd)
    for i in range(4, 8):
        opt2.zero_grad()
        ((emb2(mt.tensor(BATCHES[i % len(BATCHES)])) - 0.3) ** 2).sum().backward()
        opt2.step()
    np.testing.assert_array_equal(emb2.weight.detach().numpy(), full[-1])


def test_dense_gradient_of_a_plain_parameter_updates_its_nonzero_rows():
    """PyTorch refuses dense gradients; here they stand in for sparse ones (documented)."""
    w = mt.ones(3, 2, requires_grad=True)
    opt = mt.optim.SparseAdam([w], lr=0.1)
    (w[1] * 2).sum().backward()
    opt.step()
    assert w.detach().numpy()[:, 0].tolist() == pytest.approx([1.0, 0.9, 1.0])


@pytest.mark.parametrize("kwargs", [{"lr": 0.0}, {"lr": -1.0}, {"eps": 0.0},
                                    {"betas": (1.0, 0.9)}, {"betas": (0.9, -0.5)}], ids=str)
def test_bad_arguments_raise_like_pytorch(kwargs):
    errors = []
    for T in (mt, torch):
        with pytest.raises(ValueError) as info:
            T.optim.SparseAdam([T.zeros(2, requires_grad=True)], **kwargs)
        errors.append(str(info.value))
    assert errors[0] == errors[1]


def test_complex_parameters_are_refused_like_pytorch():
    errors = []
    for T in (mt, torch):
        with pytest.raises(ValueError) as info:
            T.optim.SparseAdam([T.zeros(2, requires_grad=True),
                                T.zeros(2, dtype=T.complex64, requires_grad=True)])
        errors.append(str(info.value))
    assert errors[0] == errors[1]
