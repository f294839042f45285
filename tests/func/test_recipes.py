"""The torch.func tutorial recipes, run on minitorch_nn and on PyTorch with the same float64
weights, and compared (plus a loop-of-autograd check that runs without PyTorch):
per-sample gradients, model ensembling, Jacobians/Hessians of an MLP, the neural tangent
kernel, MAML on sine waves and a WGAN-GP gradient penalty."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

try:
    import torch
except ImportError:
    torch = None

pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning")
rng = np.random.default_rng(1)


def _np(tree):
    if isinstance(tree, dict):
        return {k: _np(v) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(_np(v) for v in tree)
    return np.asarray(tree.detach().double().numpy()) if hasattr(tree, "detach") else tree


def _close(a, b, rtol=1e-9, atol=1e-11):
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _close(a[k], b[k], rtol, atol)
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            _close(u, v, rtol, atol)
    elif isinstance(a, np.ndarray):
        assert a.shape == b.shape, (a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    else:
        assert a == pytest.approx(b, rel=rtol)


def _same_as_torch(case, **tol):
    ours = _np(case(mt))            # runs (and must not raise) without PyTorch too
    if torch is None:
        pytest.skip("PyTorch not installed")
    _close(ours, _np(case(torch)), **tol)


def _mlp(T, sizes, act="tanh", seed=0):
    """Sequential of Linear layers (float64) with weights from a NumPy seed, `act` between."""
    r = np.random.default_rng(seed)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = T.nn.Linear(n_in, n_out).double()
        with T.no_grad():
            lin.weight.copy_(T.tensor(r.standard_normal((n_out, n_in)) / np.sqrt(n_in)))
            lin.bias.copy_(T.tensor(r.standard_normal(n_out) * 0.1))
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(T.nn.Tanh() if act == "tanh" else T.nn.ReLU())
    return T.nn.Sequential(*layers)


X = rng.standard_normal((6, 4))
Y = rng.standard_normal((6, 2))


# ----------------------------------------------------------------------------- per-sample
def _per_sample_grads(T, act):
    F = T.func
    model = _mlp(T, [4, 5, 2], act)
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def compute_loss(params, buffers, sample, target):
        pred = F.functional_call(model, (params, buffers), (sample.unsqueeze(0),))
        return T.nn.functional.mse_loss(pred, target.unsqueeze(0))

    return F.vmap(F.grad(compute_loss), in_dims=(None, None, 0, 0))(
        params, buffers, T.tensor(X), T.tensor(Y))


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_per_sample_gradients(act):
    got = _per_sample_grads(mt, act)
    model = _mlp(mt, [4, 5, 2], act)          # the loop of ordinary backward passes
    for i in range(len(X)):
        model.zero_grad()
        mt.nn.functional.mse_loss(model(mt.tensor(X[i:i + 1])), mt.tensor(Y[i:i + 1])).backward()
        for k, p in model.named_parameters():
            np.testing.assert_allclose(got[k][i].numpy(), p.grad.numpy(), rtol=1e-10,
                                       atol=1e-12)
    _same_as_torch(lambda T: _per_sample_grads(T, act))


# ----------------------------------------------------------------------------- ensembling
def _ensemble(T):
    F = T.func
    models = [_mlp(T, [4, 5, 2], seed=s) for s in range(3)]
    params, buffers = F.stack_module_state(models)
    base = _mlp(T, [4, 5, 2], seed=9)

    def fmodel(params, buffers, x):
        return F.functional_call(base, (params, buffers), (x,))

    minibatches = T.tensor(np.stack([X, X * 0.5, -X]))
    same = F.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, T.tensor(X))
    different = F.vmap(fmodel)(params, buffers, minibatches)
    (same.square().sum() + different.sum()).backward()
    direct = [m(T.tensor(X)) for m in models]
    return same, different, direct, {k: v.grad for k, v in params.items()}


def test_model_ensembling():
    same, different, direct, grads = _ensemble(mt)
    for i in range(3):
        np.testing.assert_allclose(same[i].detach().numpy(), direct[i].detach().numpy(),
                                   rtol=1e-12)
    assert grads["0.weight"].shape == (3, 5, 4)
    _same_as_torch(_ensemble)


# ----------------------------------------------------------------------------- jac / hess
def _jacobians(T):
    F = T.func
    r = np.random.default_rng(5)
    weight, bias, x = (T.tensor(r.standard_normal((3, 4))), T.tensor(r.standard_normal(3)),
                       T.tensor(r.standard_normal(4)))

    def predict(weight, bias, x):
        return T.nn.functional.linear(x, weight, bias).tanh()

    model = _mlp(T, [4, 5, 2])
    params = {k: v.detach() for k, v in model.named_parameters()}
    fnet = lambda p, x: F.functional_call(model, p, (x,))   # noqa: E731
    return (F.jacrev(predict, argnums=2)(weight, bias, x),
            F.jacfwd(predict, argnums=2)(weight, bias, x),
            F.jacrev(predict, argnums=(0, 1))(weight, bias, x),
            F.hessian(predict, argnums=2)(weight, bias, x),
            F.jacfwd(F.jacrev(predict, argnums=2), argnums=2)(weight, bias, x),
            F.vmap(F.jacrev(predict, argnums=2), in_dims=(None, None, 0))(weight, bias,
                                                                         T.tensor(X)),
            F.jacrev(fnet)(params, T.tensor(X[0])),
            F.hessian(lambda x: fnet(params, x).sum())(T.tensor(X[0])))


def test_mlp_jacobians_and_hessians():
    jr, jf, _, hess, jfjr, batched, _, _ = _np(_jacobians(mt))
    np.testing.assert_allclose(jr, jf, rtol=1e-12)
    np.testing.assert_allclose(hess, jfjr, rtol=1e-12)
    assert batched.shape == (6, 3, 4) and hess.shape == (3, 4, 4)
    np.testing.assert_allclose(hess, hess.transpose(0, 2, 1), rtol=1e-10, atol=1e-12)
    _same_as_torch(_jacobians)


# ----------------------------------------------------------------------------- NTK
def _ntk(T):
    F = T.func
    net = _mlp(T, [4, 6, 3], act="relu", seed=4)
    params = {k: v.detach() for k, v in net.named_parameters()}

    def fnet_single(params, x):
        return F.functional_call(net, params, (x.unsqueeze(0),)).squeeze(0)

    x1, x2 = T.tensor(X[:3]), T.tensor(X[3:5])
    jac1 = F.vmap(F.jacrev(fnet_single), (None, 0))(params, x1)
    jac1 = [j.flatten(2) for j in jac1.values()]
    jac2 = F.vmap(F.jacrev(fnet_single), (None, 0))(params, x2)
    jac2 = [j.flatten(2) for j in jac2.values()]
    full = T.stack([T.einsum("Naf,Mbf->NMab", j1, j2) for j1, j2 in zip(jac1, jac2)]).sum(0)
    trace = T.stack([T.einsum("Naf,Maf->NM", j1, j2) for j1, j2 in zip(jac1, jac2)]).sum(0)
    return full, trace


def test_neural_tangent_kernel():
    full, trace = _np(_ntk(mt))
    assert full.shape == (3, 2, 3, 3)
    np.testing.assert_allclose(trace, np.einsum("NMaa->NM", full), rtol=1e-12)
    _same_as_torch(_ntk)


# ----------------------------------------------------------------------------- MAML
def _maml(T, steps=3, inner_steps=2):
    F = T.func
    r = np.random.default_rng(11)
    net = _mlp(T, [1, 16, 16, 1], act="relu", seed=2)
    params = dict(net.named_parameters())
    opt = T.optim.Adam(params.values(), lr=1e-2)

    def loss_fn(p, x, y):
        return T.nn.functional.mse_loss(F.functional_call(net, p, (x,)), y)

    losses = []
    for _ in range(steps):
        amp, phase = r.uniform(0.1, 5.0, 2), r.uniform(0, np.pi, 2)
        opt.zero_grad()
        outer = 0
        for a, ph in zip(amp, phase):
            xs, xq = r.uniform(-5, 5, (5, 1)), r.uniform(-5, 5, (5, 1))
            ys, yq = a * np.sin(xs + ph), a * np.sin(xq + ph)
            fast = params
            for _ in range(inner_steps):
                g = F.grad(loss_fn)(fast, T.tensor(xs), T.tensor(ys))
                fast = {k: fast[k] - 0.01 * g[k] for k in fast}
            outer = outer + loss_fn(fast, T.tensor(xq), T.tensor(yq))
        outer.backward()
        losses.append(outer.detach())
        meta_grads = {k: v.grad.clone() for k, v in params.items()}
        opt.step()
    return losses, meta_grads, {k: v.detach() for k, v in params.items()}


def test_maml_sine():
    losses, grads, _ = _maml(mt, steps=1)
    assert all(np.isfinite(_np(v)).all() for v in grads.values())
    _same_as_torch(_maml, rtol=1e-8, atol=1e-10)


# ----------------------------------------------------------------------------- WGAN-GP
def _wgan_gp(T):
    critic = _mlp(T, [4, 8, 1], seed=7)
    real, fake = T.tensor(X), T.tensor(X[::-1].copy() * 0.7)
    eps = T.tensor(rng_eps)
    interp = (eps * real + (1 - eps) * fake).requires_grad_(True)
    out = critic(interp)
    (g,) = T.autograd.grad(out, interp, grad_outputs=T.ones_like(out), create_graph=True,
                           retain_graph=True)
    gp = ((g.norm(2, dim=1) - 1) ** 2).mean()
    loss = critic(fake).mean() - critic(real).mean() + 10 * gp
    loss.backward()
    return gp, loss, {k: v.grad for k, v in critic.named_parameters()}


rng_eps = np.random.default_rng(3).uniform(size=(6, 1))


def test_wgan_gradient_penalty():
    gp, _, grads = _wgan_gp(mt)
    assert gp.item() > 0 and grads["0.weight"].shape == (8, 4)
    _same_as_torch(_wgan_gp)
