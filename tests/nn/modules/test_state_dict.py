"""state_dict / load_state_dict: keys, metadata, keep_vars, extra state, hooks, errors."""
from __future__ import annotations

import re
from collections import OrderedDict

import numpy as np
import pytest

from nn_libs import libs, values


def _net(T):
    class Net(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = T.nn.Parameter(T.ones(2))
            self.register_buffer("count", T.zeros(()))
            self.register_buffer("tmp", T.zeros(1), persistent=False)
            self.sub = T.nn.Linear(2, 2)

    return Net()


# ---------------------------------------------------------------------------- state_dict
@libs
def test_state_dict_keys_and_metadata(T):
    sd = _net(T).state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["w", "count", "sub.weight", "sub.bias"]
    assert sd._metadata == OrderedDict([("", {"version": 1}), ("sub", {"version": 1})])
    sd = _net(T).state_dict(prefix="model.")
    assert list(sd) == ["model.w", "model.count", "model.sub.weight", "model.sub.bias"]
    assert list(sd._metadata) == ["model", "model.sub"]


@libs
def test_state_dict_values_are_detached_views(T):
    m = _net(T)
    sd = m.state_dict()
    w = sd["w"]
    assert type(w) is T.Tensor and not w.requires_grad and w.grad_fn is None
    w.add_(1)   # same storage as the parameter
    assert values(m.w).tolist() == [2.0, 2.0]
    kept = m.state_dict(keep_vars=True)
    assert kept["w"] is m.w and kept["count"] is m.count


@libs
def test_state_dict_positional_args_warn(T):
    m = T.nn.Linear(1, 1)
    dest = OrderedDict()
    with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
        out = m.state_dict(dest, "p.")
    assert out is dest and list(dest) == ["p.weight", "p.bias"]
    dest2 = {}
    assert m.state_dict(destination=dest2) is dest2 and list(dest2) == ["weight", "bias"]


def _with_extra_state(T):
    class Counter(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.steps = 0
            self.lin = T.nn.Linear(1, 1)
            self.register_buffer("b", T.zeros(1))

        def get_extra_state(self):
            return {"steps": self.steps}

        def set_extra_state(self, state):
            self.steps = state["steps"]

    return Counter()


@libs
def test_extra_state(T):
    c = _with_extra_state(T)
    c.steps = 7
    sd = c.state_dict()
    assert list(sd) == ["b", "_extra_state", "lin.weight", "lin.bias"]
    assert sd["_extra_state"] == {"steps": 7}
    d = _with_extra_state(T)
    assert d.load_state_dict(sd) is not None and d.steps == 7
    del sd["_extra_state"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "_extra_state"'):
        d.load_state_dict(sd)
    plain = T.nn.Linear(1, 1)
    sd2 = plain.state_dict()
    sd2["_extra_state"] = 1
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "_extra_state"'):
        plain.load_state_dict(sd2)


@libs
def test_base_extra_state_methods_raise(T):
    with pytest.raises(RuntimeError, match="Reached a code path in Module.get_extra_state"):
        T.nn.Module().get_extra_state()
    with pytest.raises(RuntimeError, match="Reached a code path in Module.set_extra_state"):
        T.nn.Module().set_extra_state(1)


@libs
def test_state_dict_hooks(T):
    m = T.nn.Sequential(T.nn.Linear(1, 1))
    calls = []
    h1 = m[0].register_state_dict_pre_hook(lambda mod, prefix, keep_vars:
                                           calls.append(("pre", prefix, keep_vars)))

    def post(mod, sd, prefix, local_metadata):
        calls.append(("post", prefix, list(sd), local_metadata))
        sd[prefix + "added"] = 1

    h2 = m[0].register_state_dict_post_hook(post)
    sd = m.state_dict(keep_vars=True)
    assert calls == [("pre", "0.", True), ("post", "0.", ["0.weight", "0.bias"],
                                           {"version": 1})]
    assert list(sd) == ["0.weight", "0.bias", "0.added"]
    h1.remove()
    h2.remove()
    assert list(m.state_dict()) == ["0.weight", "0.bias"]
    m.register_state_dict_post_hook(lambda *a: {})
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        m.state_dict()


@libs
def test_private_state_dict_hook_may_replace_the_root_dict(T):
    m = T.nn.Linear(1, 1)
    m._register_state_dict_hook(lambda mod, sd, prefix, meta: {"only": 1})
    assert m.state_dict() == {"only": 1}

    def hook(*args):
        return None

    T.nn.Linear(1, 1).register_state_dict_post_hook(hook)
    with pytest.raises(RuntimeError, match="Cannot register the same function as the state "
                                           "dict post hook"):
        T.nn.Linear(1, 1)._register_state_dict_hook(hook)


# ---------------------------------------------------------------------------- load_state_dict
@libs
def test_load_copies_in_place_and_casts(T):
    a, b = _net(T), _net(T)
    with T.no_grad():
        a.w.fill_(3.0)
        a.count.fill_(5.0)
    w, count = b.w, b.count
    result = b.load_state_dict(a.state_dict())
    assert repr(result) == "<All keys matched successfully>" and str(result) == repr(result)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.w is w and b.count is count   # identity kept: an optimizer stays valid
    assert values(b.w).tolist() == [3.0, 3.0] and values(b.count).tolist() == 5.0
    assert np.array_equal(values(b.sub.weight), values(a.sub.weight))
    sd = a.state_dict()
    sd["w"] = T.tensor([7.0, 8.0], dtype=T.float64)
    b.load_state_dict(sd)
    assert b.w.dtype == T.float32 and values(b.w).tolist() == [7.0, 8.0]
    assert b.w.requires_grad


@libs
def test_load_with_assign(T):
    m = T.nn.Linear(2, 1)
    m.bias.requires_grad_(False)
    old = m.weight
    sd = {"weight": T.ones(1, 2, dtype=T.float64), "bias": T.zeros(1, dtype=T.float64)}
    m.load_state_dict(sd, assign=True)
    assert m.weight is not old and type(m.weight) is T.nn.Parameter
    assert m.weight.dtype == T.float64 and m.weight.requires_grad
    assert not m.bias.requires_grad   # the old requires_grad is kept
    assert values(m.weight).tolist() == [[1.0, 1.0]]


@libs
def test_load_strict_errors(T):
    m = T.nn.Linear(2, 2)
    sd = m.state_dict()
    del sd["bias"]
    sd["foo"] = T.ones(1)
    with pytest.raises(RuntimeError) as err:
        m.load_state_dict(sd)
    assert str(err.value) == ('Error(s) in loading state_dict for Linear:\n\tMissing key(s) in '
                              'state_dict: "bias". \n\tUnexpected key(s) in state_dict: "foo". ')
    result = m.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["foo"]
    assert type(result).__name__ == "_IncompatibleKeys"
    assert result._fields == ("missing_keys", "unexpected_keys")
    assert repr(result) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['foo'])"
    missing, unexpected = result
    assert missing == ["bias"] and unexpected == ["foo"]


@libs
def test_load_unexpected_key_rules(T):
    s = T.nn.Sequential(T.nn.Linear(1, 1))
    sd = s.state_dict()
    sd["0.extra"] = T.ones(1)        # unknown entry of a child
    sd["1.weight"] = T.ones(1)       # no child named 1
    sd["0"] = T.ones(1)              # a child name used as a tensor key
    result = s.load_state_dict(sd, strict=False)   # reported, not raised
    assert result.missing_keys == [] and result.unexpected_keys == ["1.weight", "0", "0.extra"]
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "1.weight", '
                                           '"0", "0.extra"'):
        s.load_state_dict(sd)


@libs
def test_load_shape_mismatch_raises_even_when_not_strict(T):
    m = T.nn.Linear(2, 2)
    sd = {"weight": T.ones(3, 2), "bias": T.ones(2)}
    msg = re.escape("size mismatch for weight: copying a param with shape torch.Size([3, 2]) "
                    "from checkpoint, the shape in current model is torch.Size([2, 2]).")
    with pytest.raises(RuntimeError, match=msg):
        m.load_state_dict(sd, strict=False)
    with pytest.raises(RuntimeError, match="Error\\(s\\) in loading state_dict for Linear"):
        m.load_state_dict(sd)


@libs
def test_load_one_element_into_zero_dim(T):
    m = T.nn.Module()
    m.register_buffer("x", T.zeros(()))
    m.load_state_dict({"x": T.tensor([4.0])})
    assert tuple(m.x.shape) == () and values(m.x).tolist() == 4.0


@libs
def test_load_rejects_non_mappings_and_non_tensors(T):
    m = T.nn.Linear(1, 1)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got <class 'list'>"):
        m.load_state_dict([1])
    with pytest.raises(RuntimeError, match='While copying the parameter named "weight", '
                                           "expected torch.Tensor or Tensor-like object from "
                                           "checkpoint but received <class 'int'>"):
        m.load_state_dict({"weight": 3, "bias": T.ones(1)})


@libs
def test_load_state_dict_pre_and_post_hooks(T):
    s = T.nn.Sequential(T.nn.Linear(1, 1))
    seen = []

    def pre(module, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
        seen.append(("pre", type(module).__name__, prefix, local_metadata, strict))
        state_dict.pop(prefix + "bias", None)   # edits the shallow copy only

    def post(module, incompatible):
        seen.append(("post", type(module).__name__, list(incompatible.missing_keys)))
        incompatible.missing_keys.clear()   # the strict check comes after: no error

    s[0].register_load_state_dict_pre_hook(pre)
    s[0].register_load_state_dict_post_hook(post)
    sd = s.state_dict()
    result = s.load_state_dict(sd)
    assert "0.bias" in sd   # the caller's dict is untouched
    assert result.missing_keys == []
    assert seen == [("pre", "Linear", "0.", {"version": 1}, True),
                    ("post", "Linear", ["0.bias"])]
    bad = T.nn.Linear(1, 1)
    bad.register_load_state_dict_post_hook(lambda m, keys: 1)
    with pytest.raises(AssertionError, match="register_load_state_dict_post_hook`` are not "
                                             "expected to return new values"):
        bad.load_state_dict(bad.state_dict())


@libs
def test_round_trip_restores_values(T):
    a = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.ReLU(), T.nn.Linear(4, 2))
    b = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.ReLU(), T.nn.Linear(4, 2))
    b.load_state_dict(a.state_dict())
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert na == nb and np.array_equal(values(pa), values(pb))


@libs
def test_metadata_reaches_load_hooks(T):
    m = T.nn.Linear(1, 1)
    sd = m.state_dict()
    sd._metadata[""]["version"] = 9
    seen = []
    m.register_load_state_dict_pre_hook(lambda mod, s, p, meta, *rest: seen.append(meta))
    m.load_state_dict(sd)
    assert seen == [{"version": 9}]
    m.load_state_dict(dict(sd))   # a plain dict has no _metadata
    assert seen[-1] == {}
