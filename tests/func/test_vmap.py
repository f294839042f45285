"""func.vmap (and minitorch_nn.vmap where it is exported): in_dims/out_dims, nesting,
composition with grad, randomness modes and PyTorch's errors; values checked against NumPy
and against PyTorch in float64 (skipped when torch is absent)."""
from __future__ import annotations

import re

import numpy as np
import pytest

import minitorch_nn as mt

try:
    import torch
except ImportError:
    torch = None

pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning")
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
libs = pytest.mark.parametrize("T", [mt, pytest.param(torch, marks=needs_torch)],
                               ids=["minitorch_nn", "torch"])
rng = np.random.default_rng(0)
A = rng.standard_normal((4, 3))
B = rng.standard_normal((4, 3))
C = rng.standard_normal((3, 5))


def _t(T, a, grad=False):
    return T.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _np(tree):
    if isinstance(tree, dict):
        return {k: _np(v) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(_np(v) for v in tree)
    return np.asarray(tree.detach().double().numpy()) if hasattr(tree, "detach") else tree


def _close(a, b):
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _close(a[k], b[k])
    elif isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b)
        for u, v in zip(a, b):
            _close(u, v)
    else:
        assert a.shape == b.shape, (a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def _same_as_torch(case):
    ours = _np(case(mt))            # runs (and must not raise) without PyTorch too
    if torch is None:
        pytest.skip("PyTorch not installed")
    _close(ours, _np(case(torch)))


def test_vmap_dot_numpy():
    out = mt.func.vmap(mt.dot)(_t(mt, A), _t(mt, B))
    np.testing.assert_allclose(out.numpy(), (A * B).sum(1), rtol=1e-12)
    out = mt.func.vmap(mt.dot, in_dims=1)(_t(mt, A), _t(mt, B))
    np.testing.assert_allclose(out.numpy(), (A * B).sum(0), rtol=1e-12)


def test_per_sample_shape_inside():
    shapes = []

    def f(x, y):
        shapes.append((tuple(x.shape), tuple(y.shape)))
        return x.sum() + y.sum()

    mt.func.vmap(f, in_dims=(0, None))(_t(mt, A), _t(mt, C))
    assert shapes == [((3,), (3, 5))]       # one batched call, per-sample shapes inside


@pytest.mark.parametrize("name", ["in_none", "in_neg", "out1", "out_tuple", "nested",
                                  "pytree_in", "pytree_out", "kwargs", "matmul", "out_none",
                                  "constant_out", "in_dims_dict"])
def test_vmap_matches_torch(name):
    def case(T):
        V = T.func.vmap
        a, b, c = _t(T, A), _t(T, B), _t(T, C)
        if name == "in_none":
            return V(lambda x, m: x @ m, in_dims=(0, None))(a, c)
        if name == "in_neg":
            return V(lambda x: x * x.sum(), in_dims=-1)(a)
        if name == "out1":
            return V(lambda x: x.exp().unsqueeze(0) * x.unsqueeze(1), out_dims=1)(a)
        if name == "out_tuple":
            return V(lambda x: (x * 2, x.sum()), out_dims=(1, 0))(a)
        if name == "nested":
            return V(V(lambda x, y: x * y.exp()))(a.reshape(2, 2, 3), b.reshape(2, 2, 3))
        if name == "pytree_in":
            return V(lambda d, t: d["u"] * t[0] + d["v"] * t[1],
                     in_dims=({"u": 0, "v": None}, (0, 0)))({"u": a, "v": b[0]}, (b, a))
        if name == "pytree_out":
            return V(lambda x: {"s": x.sum(), "l": [x * 3, x.exp()]})(a)
        if name == "kwargs":
            return V(lambda x, scale=1.0: x * scale)(a, scale=2.5)
        if name == "matmul":
            return V(V(lambda x, y: (x * y).sum(), in_dims=(None, 1)), in_dims=(0, None))(a, c)
        if name == "out_none":
            return V(lambda x, y: (x * 2, y * 3), out_dims=(0, None), in_dims=(0, None))(a, b)
        if name == "constant_out":
            return V(lambda x: T.ones(2, dtype=T.float64))(a)
        return V(lambda d: d["p"] * d["q"], in_dims=({"p": 1, "q": 0},))({"p": c, "q": c.t() * 2})

    _same_as_torch(case)


def test_vmap_of_grad_and_grad_of_vmap():
    def case(T):
        F = T.func
        a = _t(T, A)
        psg = F.vmap(F.grad(lambda x: (x * x * x.exp()).sum()))(a)
        gov = F.grad(lambda x: F.vmap(lambda r: (r * r).sum() * r[0])(x).sum())(a)
        return psg, gov

    np.testing.assert_allclose(_np(case(mt)[0]), np.exp(A) * (2 * A + A * A), rtol=1e-12)
    _same_as_torch(case)


def test_gradients_flow_through_vmap():
    def case(T):
        a, c = _t(T, A, grad=True), _t(T, C, grad=True)
        out = T.func.vmap(lambda x, m: (x @ m).exp(), in_dims=(0, None))(a, c)
        (out * out).sum().backward()
        return out, a.grad, c.grad

    _same_as_torch(case)


def test_torch_vmap_alias():
    if not hasattr(mt, "vmap"):
        pytest.skip("minitorch_nn.vmap is exported by minitorch_nn/__init__.py (lead)")
    assert mt.vmap is mt.func.vmap


def test_randomness_modes():
    x = mt.ones(3, 2)
    with pytest.raises(RuntimeError, match=re.escape(
            "vmap: called random operation while in randomness error mode. Please either use "
            "the 'same' or 'different' randomness flags on vmap or perform the randomness "
            "operation out of vmap")):
        mt.func.vmap(lambda r: r + mt.rand(2))(x)
    drop = mt.nn.Dropout(0.5)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        mt.func.vmap(drop)(x)
    drop.eval()
    assert mt.equal(mt.func.vmap(drop)(x), x)    # no draw in eval mode
    assert type(mt.random.default_generator) is mt.random.Generator   # guard removed
    same = mt.func.vmap(lambda r: r * mt.rand(2), randomness="same")(x)
    assert mt.equal(same[0], same[1]) and mt.equal(same[1], same[2])
    mt.manual_seed(3)
    diff = mt.func.vmap(lambda r: r * mt.rand(2), randomness="different")(x)
    assert not mt.equal(diff[0], diff[1])
    mt.manual_seed(3)
    assert mt.equal(diff.reshape(-1), mt.rand(6))    # the samples draw in turn
    with pytest.raises(RuntimeError, match="randomness error mode"):   # an outer 'error'
        mt.func.vmap(mt.func.vmap(lambda r: r + mt.rand(()), randomness="different"))(x)


@libs
def test_vmap_errors(T):
    V = T.func.vmap
    a = _t(T, A)

    def f(x, y=None):
        return x

    with pytest.raises(ValueError, match=re.escape(
            "vmap(f, in_dims=(0, 0), ...)(<inputs>): in_dims is not compatible with the "
            "structure of `inputs`. in_dims has structure TreeSpec(tuple, None, [*,\n  *]) "
            "but inputs has structure TreeSpec(tuple, None, [*]).")):
        V(f, in_dims=(0, 0))(a)
    with pytest.raises(ValueError, match=re.escape(
            "vmap(f, in_dims=[0], ...)(<inputs>): expected `in_dims` to be int or a "
            "(potentially nested) tuple matching the structure of inputs, got: "
            "<class 'list'>.")):
        V(f, in_dims=[0])(a)
    with pytest.raises(ValueError, match=re.escape(
            "vmap(f)(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are "
            "trying to vmap over a function with no inputs. The latter is unsupported.")):
        V(f)()
    with pytest.raises(ValueError, match=re.escape(
            "vmap(f, in_dims=(0, 0), ...)(<inputs>): Got in_dim=0 for an input but the input "
            "is of type <class 'float'>. We cannot vmap over non-Tensor arguments, please use "
            "None as the respective in_dim")):
        V(f, in_dims=(0, 0))(a, 1.0)
    with pytest.raises(ValueError, match=re.escape(
            "vmap(f, in_dims=2, ...)(<inputs>): Got in_dim=2 for some input, but that input "
            "is a Tensor of dimensionality 2 so expected in_dim to satisfy -2 <= in_dim < 2.")):
        V(f, in_dims=2)(a)
    with pytest.raises(ValueError, match=re.escape(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got "
            "sizes [4, 3] for the mapped dimension")):
        V(f)(a, a[:3])
    with pytest.raises(ValueError, match="vmap: Expected at least one Tensor to vmap over"):
        V(f, in_dims=(None,))(a)
    with pytest.raises(ValueError, match=re.escape(
            "vmap(<lambda>, ...): `<lambda>` must only return Tensors, got type "
            "<class 'int'>. Did you mean to set out_dims= to None for output?")):
        V(lambda x: 1)(a)
    with pytest.raises(ValueError, match=re.escape(
            "vmap(f, ..., out_dims=1.5): `out_dims` must be an int, None or a python "
            "collection of ints representing where in the outputs the vmapped dimension "
            "should appear.")):
        V(f, out_dims=1.5)(a)
    with pytest.raises(ValueError, match=re.escape(
            "vmap(<lambda>, ..., out_dims=(0, 0, 0))(<inputs>): out_dims is not compatible "
            "with the structure of `outputs`.")):
        V(lambda x: (x, x), out_dims=(0, 0, 0))(a)
    with pytest.raises(RuntimeError, match="Only allowed values for randomness are 'error', "
                                           "'different', or 'same'. Got bad"):
        V(f, randomness="bad")
    with pytest.raises(ValueError, match=re.escape(
            "vmap: chunk_size should be None or greater than 0. (got 0)")):
        V(f, chunk_size=0)


def test_chunk_size_same_result():
    a, c = _t(mt, A), _t(mt, C)
    full = mt.func.vmap(lambda x: x @ c)(a)
    np.testing.assert_allclose(mt.func.vmap(lambda x: x @ c, chunk_size=3)(a).numpy(),
                               full.numpy())
