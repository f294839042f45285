"""nn.utils.parametrizations (orthogonal, weight_norm, spectral_norm) and the deprecated
nn.utils.weight_norm: structure and errors on both libraries, values against PyTorch.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import minitorch_nn
from nn_libs import libs, torch, values

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def _PZ(T):
    return T.nn.utils.parametrizations


def _weights(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _linear_pair(out_f, in_f, seed=0):
    """The same Linear(in_f, out_f) in minitorch_nn and torch (same weight and bias)."""
    w, b = _weights((out_f, in_f), seed), _weights((out_f,), seed + 1)
    pair = []
    for T in (minitorch_nn, torch):
        m = T.nn.Linear(in_f, out_f)
        with T.no_grad():
            m.weight.copy_(T.tensor(w))
            m.bias.copy_(T.tensor(b))
        pair.append(m)
    return pair


def _is_orthonormal(W, atol=1e-5) -> bool:
    W = values(W)
    if W.shape[-2] < W.shape[-1]:
        W = W.swapaxes(-1, -2)
    return np.allclose(W.swapaxes(-1, -2) @ W, np.eye(W.shape[-1]), atol=atol)


# ---------------------------------------------------------------------------- orthogonal
@libs
@pytest.mark.parametrize("shape,orth_map", [((3, 3), None), ((5, 3), None), ((3, 5), None),
                                            ((3, 3), "cayley"), ((5, 3), "cayley"),
                                            ((3, 3), "householder"), ((4, 4), "matrix_exp")])
def test_orthogonal_structure(T, shape, orth_map):
    m = T.nn.Linear(shape[1], shape[0])
    original_obj = m.weight
    out = _PZ(T).orthogonal(m, orthogonal_map=orth_map)
    assert out is m and type(m).__name__ == "ParametrizedLinear"
    assert m.parametrizations.weight.original is original_obj
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original",
                                    "parametrizations.weight.0.base"]
    assert type(m.parametrizations.weight[0]).__name__ == "_Orthogonal"
    assert _is_orthonormal(m.weight)
    assert tuple(m.weight.shape) == shape


@requires_torch
@pytest.mark.parametrize("shape,orth_map", [((3, 3), None), ((5, 3), None), ((3, 5), None),
                                            ((3, 3), "cayley"), ((3, 3), "householder"),
                                            ((5, 3), "householder")])
def test_orthogonal_values_match_pytorch(shape, orth_map):
    ours, theirs = _linear_pair(*shape)
    for T, m in ((minitorch_nn, ours), (torch, theirs)):
        _PZ(T).orthogonal(m, orthogonal_map=orth_map)
    assert np.allclose(values(ours.weight), values(theirs.weight), atol=1e-5)
    x = _weights((2, shape[1]), 7)
    y_ours, y_theirs = ours(minitorch_nn.tensor(x)), theirs(torch.tensor(x))
    assert np.allclose(values(y_ours), values(y_theirs), atol=1e-5)


@requires_torch
@pytest.mark.parametrize("orth_map", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_training_step_matches_pytorch(orth_map):
    ours, theirs = _linear_pair(3, 3)
    x = _weights((4, 3), 3)
    for T, m in ((minitorch_nn, ours), (torch, theirs)):
        _PZ(T).orthogonal(m, orthogonal_map=orth_map)
        with T.no_grad():   # move away from the fixed point so gradients are generic; the
            # diagonal stays -1 (householder reads its signs from it through .int())
            noise = T.tensor(np.tril(_weights((3, 3), 5), -1))
            m.parametrizations.weight.original.add_(noise * 0.3)
        opt = T.optim.SGD(m.parameters(), lr=0.1)
        (m(T.tensor(x)) ** 2).sum().backward()
        opt.step()
    g_ours = values(ours.parametrizations.weight.original.grad)
    g_theirs = values(theirs.parametrizations.weight.original.grad)
    assert np.allclose(g_ours, g_theirs, atol=1e-4)
    assert np.allclose(values(ours.weight), values(theirs.weight), atol=1e-5)
    assert _is_orthonormal(ours.weight)


@libs
def test_orthogonal_assignment(T):
    m = _PZ(T).orthogonal(T.nn.Linear(3, 3))
    Q = T.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    m.weight = Q
    assert np.allclose(values(m.weight), values(Q), atol=1e-6)
    with pytest.raises(ValueError, match=re.escape(
            "Expected a matrix or batch of matrices of shape torch.Size([3, 3]). Got a tensor "
            "of shape torch.Size([2, 3]).")):
        m.weight = T.ones(2, 3)


@libs
def test_orthogonal_without_trivialization(T):
    m = _PZ(T).orthogonal(T.nn.Linear(3, 4), orthogonal_map="householder",
                          use_trivialization=False)
    assert not hasattr(m.parametrizations.weight[0], "base")
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert _is_orthonormal(m.weight)
    m2 = _PZ(T).orthogonal(T.nn.Linear(3, 3), use_trivialization=False)
    with pytest.raises(NotImplementedError, match="It is not possible to assign to the matrix "
                                                  "exponential or the Cayley parametrizations"):
        m2.weight = T.eye(3)


@requires_torch
def test_orthogonal_without_trivialization_matches_pytorch():
    ours, theirs = _linear_pair(5, 3)
    for T, m in ((minitorch_nn, ours), (torch, theirs)):
        _PZ(T).orthogonal(m, orthogonal_map="householder", use_trivialization=False)
    assert np.allclose(values(ours.parametrizations.weight.original),
                       values(theirs.parametrizations.weight.original), atol=1e-5)
    assert np.allclose(values(ours.weight), values(theirs.weight), atol=1e-5)


@libs
def test_orthogonal_errors(T):
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", '
                                         '"cayley", "householder". Got: foo'):
        _PZ(T).orthogonal(T.nn.Linear(3, 3), orthogonal_map="foo")
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor "
                                         "of 1 dimensions."):
        _PZ(T).orthogonal(T.nn.Linear(3, 3), name="bias")
    with pytest.raises(ValueError, match=re.escape(
            "Module 'Linear(in_features=3, out_features=3, bias=True)' has no parameter or "
            "buffer with name 'nope'")):
        _PZ(T).orthogonal(T.nn.Linear(3, 3), name="nope")


# ---------------------------------------------------------------------------- weight_norm
@libs
@pytest.mark.parametrize("dim,g_shape", [(0, (3, 1)), (1, (1, 4)), (None, ())])
def test_weight_norm_structure(T, dim, g_shape):
    m = T.nn.Linear(4, 3)
    w = values(m.weight)
    _PZ(T).weight_norm(m, dim=dim)
    names = [(n, tuple(p.shape)) for n, p in m.named_parameters()]
    assert names == [("bias", (3,)), ("parametrizations.weight.original0", g_shape),
                     ("parametrizations.weight.original1", (3, 4))]
    assert type(m.parametrizations.weight[0]).__name__ == "_WeightNorm"
    assert np.allclose(values(m.weight), w, atol=1e-6)           # same function at first
    g = values(m.parametrizations.weight.original0)
    axis = None if dim is None else tuple(d for d in range(2) if d != dim)
    assert np.allclose(g, np.linalg.norm(w, axis=axis, keepdims=dim is not None), atol=1e-6)


@requires_torch
def test_weight_norm_gradients_match_pytorch():
    ours, theirs = _linear_pair(3, 4)
    x = _weights((2, 4), 9)
    for T, m in ((minitorch_nn, ours), (torch, theirs)):
        _PZ(T).weight_norm(m)
        with T.no_grad():
            m.parametrizations.weight.original0.mul_(2.0)
        (m(T.tensor(x)) ** 2).sum().backward()
    assert np.allclose(values(ours.weight), values(theirs.weight), atol=1e-6)
    for name in ("original0", "original1"):
        a = getattr(ours.parametrizations.weight, name).grad
        b = getattr(theirs.parametrizations.weight, name).grad
        assert np.allclose(values(a), values(b), atol=1e-5)


@libs
def test_weight_norm_loads_old_checkpoints(T):
    with pytest.warns(FutureWarning, match="`torch.nn.utils.weight_norm` is deprecated in "
                                           "favor of `torch.nn.utils.parametrizations."
                                           "weight_norm`"):
        old = T.nn.utils.weight_norm(T.nn.Linear(4, 3))
    new = _PZ(T).weight_norm(T.nn.Linear(4, 3))
    new.load_state_dict(old.state_dict())
    assert np.allclose(values(new.parametrizations.weight.original0), values(old.weight_g))
    assert np.allclose(values(new.weight), values(old.weight), atol=1e-6)


# ---------------------------------------------------------------------------- old weight_norm
@libs
def test_deprecated_weight_norm(T):
    m = T.nn.Linear(4, 3)
    w = values(m.weight)
    with pytest.warns(FutureWarning):
        out = T.nn.utils.weight_norm(m)
    assert out is m and repr(m) == "Linear(in_features=4, out_features=3, bias=True)"
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == [
        ("bias", (3,)), ("weight_g", (3, 1)), ("weight_v", (3, 4))]
    assert not isinstance(m.weight, T.nn.Parameter) and m.weight.grad_fn is not None
    assert np.allclose(values(m.weight), w, atol=1e-6)
    with T.no_grad():
        m.weight_g.mul_(2.0)
    m(T.ones(1, 4))                              # the pre-hook recomputes weight
    assert np.allclose(values(m.weight), 2 * w, atol=1e-6)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same "
                                           "parameter weight"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            T.nn.utils.weight_norm(m)
    T.nn.utils.remove_weight_norm(m)
    assert isinstance(m.weight, T.nn.Parameter) and list(m._parameters) == ["bias", "weight"]
    assert np.allclose(values(m.weight), 2 * w, atol=1e-6)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in Linear"):
        T.nn.utils.remove_weight_norm(m)


@libs
def test_deprecated_weight_norm_refuses_lazy(T):
    with pytest.raises(ValueError, match="can't have uninitialized parameters"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            T.nn.utils.weight_norm(T.nn.LazyLinear(3))


# ---------------------------------------------------------------------------- spectral_norm
@libs
def test_spectral_norm_structure(T):
    T.manual_seed(0)   # the power iteration starts from random vectors: a fixed start converges
    m = T.nn.Linear(4, 3)
    w = m.weight
    _PZ(T).spectral_norm(m)
    assert m.parametrizations.weight.original is w
    assert [(n, tuple(t.shape)) for n, t in m.state_dict().items()] == [
        ("bias", (3,)), ("parametrizations.weight.original", (3, 4)),
        ("parametrizations.weight.0._u", (3,)), ("parametrizations.weight.0._v", (4,))]
    m.eval()
    sigma = np.linalg.svd(values(w), compute_uv=False)[0]
    assert np.allclose(values(m.weight), values(w) / sigma, atol=1e-4)   # 15 warm-up steps
    assert abs(np.linalg.svd(values(m.weight), compute_uv=False)[0] - 1.0) < 1e-3


@libs
def test_spectral_norm_updates_u_v_in_place_in_training_only(T):
    m = _PZ(T).spectral_norm(T.nn.Linear(4, 3))
    u = m.parametrizations.weight[0]._u
    before = values(u).copy()
    version = int(u._version)
    m.eval()
    m.weight
    assert int(u._version) == version
    m.train()
    with T.no_grad():
        m.parametrizations.weight.original.mul_(-1.0)
    m.weight
    assert m.parametrizations.weight[0]._u is u and int(u._version) > version
    assert np.allclose(values(u), -before, atol=1e-2)          # nearly converged: flips


@requires_torch
@pytest.mark.parametrize("shape,dim", [((3, 4), None), ((4, 3), 1), ((2, 3, 4), None),
                                       ((2, 3, 4), 2)])
def test_spectral_norm_values_match_pytorch(shape, dim):
    w = _weights(shape, 2)
    results = []
    for T in (minitorch_nn, torch):
        holder = T.nn.Module()
        holder.weight = T.nn.Parameter(T.tensor(w))
        _PZ(T).spectral_norm(holder, dim=dim, n_power_iterations=2)
        results.append(holder)
    ours, theirs = results
    with minitorch_nn.no_grad():               # start both from PyTorch's random u, v
        for name in ("_u", "_v"):
            getattr(ours.parametrizations.weight[0], name).copy_(minitorch_nn.tensor(
                values(getattr(theirs.parametrizations.weight[0], name)).astype(np.float32)))
    for mode in (True, True, False):           # two training steps, then eval
        ours.train(mode), theirs.train(mode)
        a, b = ours.weight, theirs.weight
        assert np.allclose(values(a), values(b), atol=1e-5)
    for T, m in ((minitorch_nn, ours), (torch, theirs)):
        (m.weight ** 2).sum().backward()
    assert np.allclose(values(ours.parametrizations.weight.original.grad),
                       values(theirs.parametrizations.weight.original.grad), atol=1e-4)


@libs
def test_spectral_norm_of_a_vector_normalizes_it(T):
    holder = T.nn.Module()
    holder.b = T.nn.Parameter(T.tensor([3.0, 4.0]))
    _PZ(T).spectral_norm(holder, name="b")
    assert np.allclose(values(holder.b), [0.6, 0.8])
    assert list(holder.state_dict()) == ["parametrizations.b.original"]


@libs
def test_spectral_norm_errors(T):
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive, but got "
                                         "n_power_iterations=0"):
        _PZ(T).spectral_norm(T.nn.Linear(3, 3), n_power_iterations=0)
    with pytest.raises(IndexError, match=re.escape(
            "Dimension out of range (expected to be in range of [-2, 1] but got 2)")):
        _PZ(T).spectral_norm(T.nn.Linear(3, 3), dim=2)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'nope'"):
        _PZ(T).spectral_norm(T.nn.Linear(3, 3), name="nope")


@libs
def test_builtin_parametrizations_remove(T):
    for make in (_PZ(T).orthogonal, _PZ(T).spectral_norm, _PZ(T).weight_norm):
        m = make(T.nn.Linear(3, 3)).eval()     # eval: spectral_norm's value stays put
        value = values(m.weight)
        T.nn.utils.parametrize.remove_parametrizations(m, "weight")
        assert type(m) is T.nn.Linear and isinstance(m.weight, T.nn.Parameter)
        assert np.allclose(values(m.weight), value, atol=1e-6)


@libs
def test_spectral_norm_uses_dim_1_for_transposed_convolutions(T):
    m = _PZ(T).spectral_norm(T.nn.ConvTranspose2d(2, 5, 3))
    sn = m.parametrizations.weight[0]
    assert sn.dim == 1 and tuple(sn._u.shape) == (5,) and tuple(sn._v.shape) == (2 * 3 * 3,)
    m = _PZ(T).spectral_norm(T.nn.Conv2d(2, 5, 3))
    assert m.parametrizations.weight[0].dim == 0


# ---------------------------------------------------------------------------- old spectral_norm
@libs
def test_hook_based_spectral_norm_structure(T):
    m = T.nn.Linear(4, 3)
    w = m.weight
    out = T.nn.utils.spectral_norm(m)
    assert out is m and repr(m) == "Linear(in_features=4, out_features=3, bias=True)"
    sd = m.state_dict()
    assert list(sd) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert sd._metadata[""]["spectral_norm"] == {"weight.version": 1}
    assert m.weight_orig is w and type(m.weight) is T.Tensor and m.weight.grad_fn is None
    m(T.ones(1, 4))
    assert m.weight.grad_fn is not None                   # recomputed by the pre-hook
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks on the "
                                           "same parameter weight"):
        T.nn.utils.spectral_norm(m)


@libs
def test_hook_based_spectral_norm_errors(T):
    with pytest.raises(ValueError, match="`SpectralNorm` cannot be applied as parameter `bias` "
                                         "is None"):
        T.nn.utils.spectral_norm(T.nn.Linear(2, 2, bias=False), name="bias")
    with pytest.raises(ValueError, match="can't have uninitialized parameters"):
        T.nn.utils.spectral_norm(T.nn.LazyLinear(2))
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        T.nn.utils.spectral_norm(T.nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in Linear"):
        T.nn.utils.remove_spectral_norm(T.nn.Linear(2, 2))


@requires_torch
def test_hook_based_spectral_norm_values_match_pytorch():
    ours, theirs = _linear_pair(3, 5)
    for T, m in ((minitorch_nn, ours), (torch, theirs)):
        T.nn.utils.spectral_norm(m, n_power_iterations=2)
    with minitorch_nn.no_grad():
        for name in ("weight_u", "weight_v"):
            getattr(ours, name).copy_(minitorch_nn.tensor(values(getattr(theirs, name))
                                                          .astype(np.float32)))
    x = _weights((2, 5), 4)
    for mode in (True, True, False):
        ours.train(mode), theirs.train(mode)
        a, b = ours(minitorch_nn.tensor(x)), theirs(torch.tensor(x))
        assert np.allclose(values(a), values(b), atol=1e-5)
        assert np.allclose(values(ours.weight_u), values(theirs.weight_u), atol=1e-5)
    a.sum().backward(), b.sum().backward()
    assert np.allclose(values(ours.weight_orig.grad), values(theirs.weight_orig.grad), atol=1e-4)
    for T, m in ((minitorch_nn, ours), (torch, theirs)):
        T.nn.utils.remove_spectral_norm(m)
    assert np.allclose(values(ours.weight), values(theirs.weight), atol=1e-5)
    assert isinstance(ours.weight, minitorch_nn.nn.Parameter)


@libs
def test_hook_based_spectral_norm_loads_version_0_checkpoints(T):
    src = T.nn.utils.spectral_norm(T.nn.Linear(4, 3))
    src(T.ones(1, 4))
    old = {"bias": src.bias.detach(), "weight_orig": src.weight_orig.detach(),
           "weight_u": src.weight_u.detach(), "weight": src.weight.detach()}  # no _v, no meta
    dst = T.nn.utils.spectral_norm(T.nn.Linear(4, 3)).eval()
    dst.load_state_dict(old)
    dst(T.ones(1, 4))
    assert np.allclose(values(dst.weight), values(old["weight"]), atol=1e-4)


@libs
def test_hook_based_spectral_norm_remove_keeps_the_load_hook_as_pytorch(T):
    m = T.nn.utils.spectral_norm(T.nn.Linear(4, 3))
    T.nn.utils.remove_spectral_norm(m)
    assert list(m.state_dict()) == ["bias", "weight"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "weight_orig", '
                                           '"weight_u"'):
        m.load_state_dict(T.nn.Linear(4, 3).state_dict())
