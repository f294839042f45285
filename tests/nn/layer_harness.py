"""Differential checks for layer modules: the same layer in PyTorch and minitorch_nn.

`check_layer(make, inputs)` builds the layer in both libraries (`make(T)` with T = torch or
minitorch_nn), copies PyTorch's parameters and buffers into ours through `load_state_dict`,
runs the same inputs (float64 by default) and compares outputs, input gradients, parameter
gradients, buffers after the call, state_dict keys and repr.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

torch = pytest.importorskip("torch")

__all__ = ["torch", "mt", "to_mt_state", "check_layer", "flat_outputs", "np_of"]


def np_of(t) -> np.ndarray:
    """A tensor of either library as a numpy array (detached, on the CPU)."""
    return np.asarray(t.detach().cpu().numpy())


def to_mt_state(module) -> dict:
    """torch_module.state_dict() with every tensor converted to a minitorch_nn tensor."""
    return {k: mt.tensor(np_of(v)) for k, v in module.state_dict().items()}


def flat_outputs(out) -> list:
    """The tensors of a (possibly nested) tuple/list output, in order."""
    if isinstance(out, (tuple, list)):
        return [t for item in out for t in flat_outputs(item)]
    return [] if out is None else [out]


def _make_inputs(T, inputs, double):
    """Tensors of library T for numpy `inputs` (floats get requires_grad, ints stay ints)."""
    result = []
    for a in inputs:
        if a is None or not isinstance(a, np.ndarray):
            result.append(a)
        elif np.issubdtype(a.dtype, np.floating):
            a = a.astype(np.float64 if double else np.float32)
            result.append(T.tensor(a, requires_grad=True))
        else:
            result.append(T.tensor(a))
    return result


def _leaf_grads(tensors) -> list:
    return [None if (not hasattr(t, "grad") or t is None) else t.grad for t in tensors]


def check_layer(make, inputs, *, kwargs=None, double=True, rtol=1e-7, atol=1e-9,
                backward=True, train=True, seed=0, check_repr=True):
    """Build `make(T)` in both libraries and check they agree; returns (mt_module, th_module).

    `inputs` are numpy arrays (floats get gradients) or other python values passed as is.
    The upstream gradient is a fixed random array per float output, so each output
    element gets its own weight in the backward pass.
    """
    kwargs = kwargs or {}
    torch.manual_seed(seed)
    th_mod = make(torch)
    mt_mod = make(mt)
    if double:
        th_mod, mt_mod = th_mod.double(), mt_mod.double()
    th_mod.train(train)
    mt_mod.train(train)
    assert list(mt_mod.state_dict().keys()) == list(th_mod.state_dict().keys())
    if check_repr:
        assert repr(mt_mod) == repr(th_mod)
    mt_mod.load_state_dict(to_mt_state(th_mod))
    th_in = _make_inputs(torch, inputs, double)
    mt_in = _make_inputs(mt, inputs, double)
    th_out = flat_outputs(th_mod(*th_in, **kwargs))
    mt_out = flat_outputs(mt_mod(*mt_in, **kwargs))
    assert len(th_out) == len(mt_out)
    for a, b in zip(mt_out, th_out):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(np_of(a), np_of(b), rtol=rtol, atol=atol)
    for (name, a), (_, b) in zip(mt_mod.state_dict().items(), th_mod.state_dict().items()):
        np.testing.assert_allclose(np_of(a), np_of(b), rtol=rtol, atol=atol, err_msg=name)
    if not backward:
        return mt_mod, th_mod
    rng = np.random.default_rng(seed)
    th_loss, mt_loss = 0, 0
    for a, b in zip(mt_out, th_out):
        if b.requires_grad:
            g = rng.standard_normal(tuple(b.shape))
            th_loss = th_loss + (b * torch.tensor(g, dtype=b.dtype)).sum()
            mt_loss = mt_loss + (a * mt.tensor(g, dtype=a.dtype)).sum()
    th_loss.backward()
    mt_loss.backward()
    for i, (a, b) in enumerate(zip(_leaf_grads(mt_in), _leaf_grads(th_in))):
        assert (a is None) == (b is None), f"input {i} grad"
        if b is not None:
            np.testing.assert_allclose(np_of(a), np_of(b), rtol=rtol, atol=atol,
                                       err_msg=f"input {i} grad")
    th_params = dict(th_mod.named_parameters())
    for name, p in mt_mod.named_parameters():
        q = th_params[name]
        assert (p.grad is None) == (q.grad is None), name
        if q.grad is not None:
            np.testing.assert_allclose(np_of(p.grad), np_of(q.grad), rtol=rtol, atol=atol,
                                       err_msg=f"{name} grad")
    return mt_mod, th_mod
