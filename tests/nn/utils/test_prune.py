"""nn.utils.prune against PyTorch: masks, weight_orig/weight_mask names, the forward pre-hook,
pruning twice (PruningContainer), remove, global pruning, gradients and errors."""
from __future__ import annotations

import numpy as np
import pytest

from layer_harness import mt, np_of, to_mt_state, torch

torch_prune = pytest.importorskip("torch.nn.utils.prune")
RNG = np.random.default_rng(11)
W = RNG.standard_normal((4, 5))
B = RNG.standard_normal(4)


def _linear(T):
    lin = T.nn.Linear(5, 4).double()
    with T.no_grad():
        lin.weight.copy_(T.tensor(W))
        lin.bias.copy_(T.tensor(B))
    return lin


def _prune(T):
    return torch_prune if T is torch else mt.nn.utils.prune


def _same(a, b):
    np.testing.assert_allclose(np_of(a), np_of(b), rtol=1e-12, atol=0)


@pytest.mark.parametrize("apply", [
    lambda T, P, m: P.l1_unstructured(m, "weight", amount=0.3),
    lambda T, P, m: P.l1_unstructured(m, "weight", amount=7),
    lambda T, P, m: P.l1_unstructured(m, "weight", amount=0.0),
    lambda T, P, m: P.l1_unstructured(m, "bias", amount=1.0),
    lambda T, P, m: P.l1_unstructured(m, "weight", amount=5,
                                      importance_scores=T.tensor(W[::-1].copy())),
    lambda T, P, m: P.ln_structured(m, "weight", amount=2, n=2, dim=0),
    lambda T, P, m: P.ln_structured(m, "weight", amount=0.4, n=1, dim=-1),
    lambda T, P, m: P.ln_structured(m, "weight", amount=1, n=float("inf"), dim=1),
    lambda T, P, m: P.ln_structured(m, "weight", amount=1, n=2, dim=0,
                                    importance_scores=T.tensor(W ** 2)),
    lambda T, P, m: P.custom_from_mask(m, "weight", mask=T.tensor(W > 0)),
    lambda T, P, m: P.identity(m, "bias"),
])
def test_deterministic_pruning_matches_torch(apply):
    x = RNG.standard_normal((3, 5))
    runs = []
    for T in (mt, torch):
        m = _linear(T)
        assert apply(T, _prune(T), m) is m
        xx = T.tensor(x, requires_grad=True)
        out = m(xx)
        (out * out).sum().backward()
        runs.append((m, out, xx))
    (ours2, out_m, xm), (ref, out_t, xt) = runs
    assert list(ours2.state_dict()) == list(ref.state_dict())
    assert [n for n, _ in ours2.named_parameters()] == [n for n, _ in ref.named_parameters()]
    for (name, a), (_, b) in zip(ours2.state_dict().items(), ref.state_dict().items()):
        _same(a, b)
        assert str(a.dtype) == str(b.dtype), name
    _same(out_m, out_t)
    _same(xm.grad, xt.grad)
    for (name, p), (_, q) in zip(ours2.named_parameters(), ref.named_parameters()):
        _same(p.grad, q.grad)


def test_pruning_twice_builds_a_container_and_remove():
    for T in (mt, torch):
        P = _prune(T)
        m = _linear(T)
        P.l1_unstructured(m, "weight", amount=0.25)
        P.ln_structured(m, "weight", amount=1, n=2, dim=0)
        P.l1_unstructured(m, "weight", amount=2)
        hooks = [h for h in m._forward_pre_hooks.values() if isinstance(h, P.BasePruningMethod)]
        assert len(hooks) == 1 and isinstance(hooks[0], P.PruningContainer)
        assert [type(h).__name__ for h in hooks[0]] == ["L1Unstructured", "LnStructured",
                                                        "L1Unstructured"]
        assert len(hooks[0]) == 3 and hooks[0][1].dim == 0
    ours, ref = _linear(mt), _linear(torch)
    for m, P in ((ours, mt.nn.utils.prune), (ref, torch_prune)):
        P.l1_unstructured(m, "weight", amount=0.25)
        P.ln_structured(m, "weight", amount=1, n=2, dim=0)
        P.l1_unstructured(m, "weight", amount=2)
    _same(ours.weight_mask, ref.weight_mask)
    _same(ours.weight, ref.weight)
    mt.nn.utils.prune.remove(ours, "weight")
    torch_prune.remove(ref, "weight")
    assert list(ours.state_dict()) == list(ref.state_dict()) == ["bias", "weight"]
    assert isinstance(ours.weight, mt.nn.Parameter) and not mt.nn.utils.prune.is_pruned(ours)
    _same(ours.weight, ref.weight)


def test_hook_recomputes_weight_and_checkpoint_loads():
    ref = _linear(torch)
    torch_prune.l1_unstructured(ref, "weight", amount=0.5)
    ours = _linear(mt)
    mt.nn.utils.prune.l1_unstructured(ours, "weight", amount=0.5)
    with torch.no_grad():
        ref.weight_orig.mul_(2.0)
    ours.load_state_dict(to_mt_state(ref))
    x = RNG.standard_normal((2, 5))
    _same(ours(mt.tensor(x)), ref(torch.tensor(x)))
    _same(ours.weight, ref.weight)   # recomputed by the pre-hook during the forward
    seq = mt.nn.Sequential(mt.nn.Linear(2, 2), ours)
    assert mt.nn.utils.prune.is_pruned(seq) and not mt.nn.utils.prune.is_pruned(mt.nn.ReLU())


def test_global_unstructured_matches_torch():
    wa, wb = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 2, 2))

    def build(T):
        a, b = T.nn.Linear(3, 2).double(), T.nn.Conv1d(2, 2, 2).double()
        with T.no_grad():
            a.weight.copy_(T.tensor(wa))
            b.weight.copy_(T.tensor(wb))
        return a, b
    results = []
    for T in (mt, torch):
        P = _prune(T)
        a, b = build(T)
        P.l1_unstructured(a, "weight", amount=1)   # an existing mask is respected
        scores = {(b, "weight"): T.tensor(wb[::-1].copy())}
        P.global_unstructured([(a, "weight"), (b, "weight")], pruning_method=P.L1Unstructured,
                              importance_scores=scores, amount=0.4)
        results.append((a.weight_mask, b.weight_mask, a.weight, b.weight))
    for x, y in zip(*results):
        _same(x, y)


def test_random_methods_prune_the_right_amount():
    P = mt.nn.utils.prune
    m = P.random_unstructured(_linear(mt), "weight", amount=0.35)
    mask = np_of(m.weight_mask)
    assert mask.sum() == 20 - 7 and set(np.unique(mask)) <= {0.0, 1.0}
    np.testing.assert_array_equal(np_of(m.weight), W * mask)
    m = P.random_structured(_linear(mt), "weight", amount=2, dim=1)
    mask = np_of(m.weight_mask)
    cols = mask.sum(0)
    assert sorted(cols.tolist()) == [0, 0, 4, 4, 4]
    P.random_structured(m, "weight", amount=1, dim=1)   # only among the kept columns
    assert sorted(np_of(m.weight_mask).sum(0).tolist()) == [0, 0, 0, 4, 4]


def test_prune_method_on_a_tensor():
    t = RNG.standard_normal((3, 4))
    ours = mt.nn.utils.prune.L1Unstructured(amount=0.5).prune(mt.tensor(t))
    ref = torch_prune.L1Unstructured(amount=0.5).prune(torch.tensor(t))
    _same(ours, ref)
    ours = mt.nn.utils.prune.LnStructured(amount=1, n=1, dim=0).prune(
        mt.tensor(t), importance_scores=mt.tensor(-t))
    ref = torch_prune.LnStructured(amount=1, n=1, dim=0).prune(
        torch.tensor(t), importance_scores=torch.tensor(-t))
    _same(ours, ref)


@pytest.mark.parametrize("call, exc, match", [
    (lambda T, P, m: P.l1_unstructured(m, "weight", amount=1.5), ValueError,
     "amount=1.5 should either be a float in the range [0, 1] or a non-negative integer"),
    (lambda T, P, m: P.l1_unstructured(m, "weight", amount=-1), ValueError, "amount=-1"),
    (lambda T, P, m: P.l1_unstructured(m, "weight", amount="half"), TypeError,
     "Invalid type for amount: half. Must be int or float."),
    (lambda T, P, m: P.l1_unstructured(m, "weight", amount=21), ValueError,
     "amount=21 should be smaller than the number of parameters to prune=20"),
    (lambda T, P, m: P.ln_structured(m, "bias", amount=1, n=2, dim=0), ValueError,
     "Structured pruning can only be applied to multidimensional tensors"),
    (lambda T, P, m: P.ln_structured(m, "weight", amount=1, n=2, dim=2), IndexError,
     "Invalid index 2 for tensor of size"),
    (lambda T, P, m: P.remove(m, "weight"), ValueError,
     "Parameter 'weight' of module"),
    (lambda T, P, m: P.l1_unstructured(m, "weight", amount=1, importance_scores=T.ones(3)),
     AssertionError, "importance_scores should have the same shape as parameter weight"),
    (lambda T, P, m: P.global_unstructured([(m, "weight")], P.LnStructured, amount=1, n=2,
                                           dim=0), TypeError,
     'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`'),
    (lambda T, P, m: P.global_unstructured(5, P.L1Unstructured, amount=1), TypeError,
     "global_unstructured(): parameters is not an Iterable"),
    (lambda T, P, m: P.global_unstructured([(m, "weight")], P.L1Unstructured,
                                           importance_scores=[1], amount=1), TypeError,
     "importance_scores must be of type dict"),
])
def test_errors_like_torch(call, exc, match):
    for T in (torch, mt):
        m = _linear(T)
        with pytest.raises(exc) as info:
            call(T, _prune(T), m)
        if T is mt:
            assert match in str(info.value)
        # a failed pruning leaves the parameter in place
        assert "weight" in dict(m.named_parameters())


def test_container_refuses_other_tensor():
    P = mt.nn.utils.prune
    first = P.L1Unstructured(0.2)
    first._tensor_name = "weight"
    other = P.L1Unstructured(0.2)
    other._tensor_name = "bias"
    container = P.PruningContainer(first)
    with pytest.raises(ValueError, match="Can only add pruning methods acting on the parameter "
                                         "named 'weight'"):
        container.add_pruning_method(other)
    with pytest.raises(TypeError, match="is not a BasePruningMethod subclass"):
        container.add_pruning_method(3)
