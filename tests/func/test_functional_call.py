"""func.functional_call, nn.utils.stateless.functional_call and func.stack_module_state.

Every test runs on minitorch_nn and on torch: the assertions are PyTorch's behaviour (section
11 of PYTORCH_SEMANTICS.md), checked against PyTorch itself.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import minitorch_nn

try:
    import torch
except ImportError:   # the torch half of each test is skipped
    torch = None

libs = pytest.mark.parametrize("T", [
    pytest.param(minitorch_nn, id="minitorch_nn"),
    pytest.param(torch, id="torch",
                 marks=pytest.mark.skipif(torch is None, reason="PyTorch not installed"))])


def _vals(t) -> np.ndarray:
    return np.asarray(t.detach().double().numpy())


def _fc(T):
    return T.func.functional_call


def _linear(T, w=1.0, b=0.5):
    """Linear(3, 2) with known values: weight all `w`, bias all `b`."""
    m = T.nn.Linear(3, 2)
    with T.no_grad():
        m.weight.fill_(w)
        m.bias.fill_(b)
    return m


class _Counter:
    """A module factory: forward adds the buffer `c` and re-assigns `self.c = self.c + 1`."""

    @staticmethod
    def make(T):
        class Counter(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("c", T.zeros(()))

            def forward(self, x):
                out = x + self.c
                self.c = self.c + 1
                return out
        return Counter()


def _tied(T):
    class Tied(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = T.nn.Linear(2, 2, bias=False)
            self.b = T.nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.a(x) + self.b(x)

    m = Tied()
    with T.no_grad():
        m.a.weight.fill_(1.0)
    return m


# ---------------------------------------------------------------------------- basics
@libs
def test_replaces_parameters_for_the_call_only(T):
    m = _linear(T)
    out = _fc(T)(m, {"weight": T.zeros(2, 3)}, (T.ones(1, 3),))
    assert _vals(out).tolist() == [[0.5, 0.5]]            # bias: the module's own
    assert _vals(m(T.ones(1, 3))).tolist() == [[3.5, 3.5]]
    assert isinstance(m.weight, T.nn.Parameter) and _vals(m.weight).tolist() == [[1.0] * 3] * 2


@libs
def test_module_parameter_objects_are_untouched(T):
    m = _linear(T)
    w, b = m.weight, m.bias
    _fc(T)(m, {"weight": T.zeros(2, 3), "bias": T.zeros(2)}, T.ones(1, 3))
    assert m.weight is w and m.bias is b
    assert m._parameters["weight"] is w


@libs
def test_gradients_flow_to_the_passed_tensors(T):
    m = _linear(T)
    w = T.full((2, 3), 2.0, requires_grad=True)
    out = _fc(T)(m, {"weight": w}, T.ones(4, 3))
    out.sum().backward()
    assert _vals(w.grad).tolist() == [[4.0] * 3] * 2
    assert m.weight.grad is None and m.bias.grad is not None   # bias was the module's own


@libs
def test_values_need_not_be_parameters(T):
    m = _linear(T)
    seen = []
    m.register_forward_pre_hook(lambda mod, args: seen.append(type(mod.weight)))
    _fc(T)(m, {"weight": T.zeros(2, 3)}, T.ones(1, 3))
    assert seen == [T.Tensor]


@libs
def test_args_wrapping_and_kwargs(T):
    class Two(T.nn.Module):
        def forward(self, x=None, y=None, *, z=0):
            return (x, y, z)

    m = Two()
    x = T.ones(1)
    assert _fc(T)(m, {}, x)[0] is x                         # a non-tuple is one argument
    assert _fc(T)(m, {}, (x, x))[1] is x                    # a tuple is the argument list
    assert _fc(T)(m, {}, [x, x])[0] == [x, x]               # a list is one argument
    assert _fc(T)(m, {}) == (None, None, 0)                 # args=None -> ()
    assert _fc(T)(m, {}, (), {"z": 3}) == (None, None, 3)
    assert _fc(T)(m, {}, kwargs={"y": x})[1] is x


@libs
def test_signature_defaults(T):
    import inspect
    sig = inspect.signature(T.func.functional_call)
    params = sig.parameters
    assert list(params)[:4] == ["module", "parameter_and_buffer_dicts", "args", "kwargs"]
    assert params["args"].default is None and params["kwargs"].default is None
    assert params["tie_weights"].default is True and params["strict"].default is False
    assert params["tie_weights"].kind is inspect.Parameter.KEYWORD_ONLY


# ---------------------------------------------------------------------------- restore
@libs
def test_restores_when_forward_raises(T):
    class Boom(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = T.nn.Parameter(T.ones(2))
            self.register_buffer("b", T.zeros(2))

        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    w, b = m.w, m.b
    with pytest.raises(ValueError, match="boom"):
        _fc(T)(m, {"w": T.zeros(2), "b": T.ones(2), "new": T.ones(1)}, T.ones(1))
    assert m.w is w and m.b is b and not hasattr(m, "new")


@libs
def test_unknown_names_are_set_for_the_call_and_removed(T):
    class Reads(T.nn.Module):
        def forward(self, x):
            return x + self.extra

    m = Reads()
    out = _fc(T)(m, {"extra": T.full((1,), 5.0)}, T.ones(1))
    assert _vals(out).tolist() == [6.0]
    assert not hasattr(m, "extra") and "extra" not in m.__dict__


@libs
def test_nested_names_in_a_real_network(T):
    m = T.nn.Sequential(T.nn.Linear(3, 2), T.nn.ReLU(), T.nn.Linear(2, 1))
    params = {"0.weight": T.ones(2, 3), "0.bias": T.zeros(2), "2.weight": T.ones(1, 2),
              "2.bias": T.full((1,), -1.0)}
    out = _fc(T)(m, params, T.ones(1, 3))
    assert _vals(out).tolist() == [[5.0]]
    assert m[0].weight is not params["0.weight"]


@libs
def test_bad_name_in_path_raises_attribute_error(T):
    m = T.nn.Sequential(T.nn.Linear(3, 2))
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        _fc(T)(m, {"nope.weight": T.ones(1)}, T.ones(1, 3))
    assert isinstance(m[0].weight, T.nn.Parameter)


# ---------------------------------------------------------------------------- dicts
@libs
def test_sequence_of_dicts(T):
    m = _linear(T)
    out = _fc(T)(m, ({"weight": T.zeros(2, 3)}, {"bias": T.ones(2)}), T.ones(1, 3))
    assert _vals(out).tolist() == [[1.0, 1.0]]
    out = _fc(T)(m, [{"weight": T.zeros(2, 3)}, {}], T.ones(1, 3))
    assert _vals(out).tolist() == [[0.5, 0.5]]


@libs
def test_duplicate_key_in_two_dicts(T):
    m = _linear(T)
    with pytest.raises(ValueError, match=re.escape(
            "['weight'] appeared in multiple dictionaries; behavior of functional call is "
            "ambiguous")):
        _fc(T)(m, ({"weight": T.zeros(2, 3)}, {"weight": T.ones(2, 3)}), T.ones(1, 3))


@libs
def test_bad_dict_arguments(T):
    m = _linear(T)
    with pytest.raises(ValueError, match="Expected all elements of parameter_and_buffer_dicts "
                                         "to be dictionaries"):
        _fc(T)(m, ({"weight": T.zeros(2, 3)}, 3), T.ones(1, 3))
    with pytest.raises(ValueError, match="Expected parameter_and_buffer_dicts to be a dict, or "
                                         "a list/tuple of dicts"):
        _fc(T)(m, 3, T.ones(1, 3))


@libs
def test_non_tensor_value_raises_type_error(T):
    m = _linear(T)
    with pytest.raises(TypeError, match="is not an instance of torch.Tensor"):
        _fc(T)(m, {"weight": 3.0}, T.ones(1, 3))
    assert isinstance(m.weight, T.nn.Parameter)


# ---------------------------------------------------------------------------- strict
@libs
def test_strict_missing_key(T):
    m = _linear(T)
    with pytest.raises(RuntimeError, match=re.escape(
            "Error(s) in reparametrizing for Linear:\n\tMissing key(s): 'weight'.")):
        _fc(T)(m, {"bias": T.zeros(2)}, T.ones(1, 3), strict=True)


@libs
def test_strict_unexpected_listed_before_missing(T):
    m = _linear(T)
    with pytest.raises(RuntimeError, match=re.escape(
            "Error(s) in reparametrizing for Linear:\n\tUnexpected key(s): 'foo', 'zoo'.\n"
            "\tMissing key(s): 'bias', 'weight'.")):
        _fc(T)(m, {"zoo": T.zeros(1), "foo": T.zeros(2)}, T.ones(1, 3), strict=True)


@libs
def test_strict_includes_buffers_and_passes_when_complete(T):
    m = _Counter.make(T)
    with pytest.raises(RuntimeError, match=re.escape("Missing key(s): 'c'.")):
        _fc(T)(m, {}, T.ones(1), strict=True)
    out = _fc(T)(m, {"c": T.full((), 2.0)}, T.ones(1), strict=True)
    assert _vals(out).tolist() == [3.0]


@libs
def test_not_strict_allows_missing_and_unexpected(T):
    m = _linear(T)
    out = _fc(T)(m, {"foo": T.zeros(1)}, T.ones(1, 3))
    assert _vals(out).tolist() == [[3.5, 3.5]]


# ---------------------------------------------------------------------------- tied weights
@libs
def test_tied_weights_follow_the_given_name(T):
    m = _tied(T)
    x = T.ones(1, 2)
    assert _vals(m(x)).tolist() == [[4.0, 4.0]]
    out = _fc(T)(m, {"a.weight": T.zeros(2, 2)}, x)
    assert _vals(out).tolist() == [[0.0, 0.0]]              # b.weight followed a.weight
    out = _fc(T)(m, {"a.weight": T.zeros(2, 2)}, x, tie_weights=False)
    assert _vals(out).tolist() == [[2.0, 2.0]]              # b.weight kept the module's own


@libs
def test_tied_weights_satisfy_strict_with_one_name(T):
    m = _tied(T)
    out = _fc(T)(m, {"a.weight": T.zeros(2, 2)}, T.ones(1, 2), strict=True)
    assert _vals(out).tolist() == [[0.0, 0.0]]
    with pytest.raises(RuntimeError, match=re.escape("Missing key(s): 'b.weight'.")):
        _fc(T)(m, {"a.weight": T.zeros(2, 2)}, T.ones(1, 2), strict=True, tie_weights=False)


@libs
def test_tied_weights_conflicting_values(T):
    m = _tied(T)
    with pytest.raises(ValueError, match=re.escape(
            "functional_call got multiple values for keys ['a.weight', 'b.weight'], which are "
            "tied. Consider using tie_weights=False")):
        _fc(T)(m, {"a.weight": T.zeros(2, 2), "b.weight": T.ones(2, 2)}, T.ones(1, 2))
    same = T.zeros(2, 2)
    out = _fc(T)(m, {"a.weight": same, "b.weight": same}, T.ones(1, 2))
    assert _vals(out).tolist() == [[0.0, 0.0]]
    out = _fc(T)(m, {"a.weight": T.zeros(2, 2), "b.weight": T.ones(2, 2)}, T.ones(1, 2),
                 tie_weights=False)
    assert _vals(out).tolist() == [[2.0, 2.0]]
    assert m.a.weight is m.b.weight


# ---------------------------------------------------------------------------- write-back
@libs
def test_reassigned_buffer_ends_up_in_the_dict(T):
    m = _Counter.make(T)
    a = {"c": T.zeros(())}
    out = _fc(T)(m, a, T.ones(()))
    assert float(out) == 1.0
    assert float(a["c"]) == 1.0 and float(m.c) == 0.0


@libs
def test_in_place_buffer_update_lands_in_the_passed_tensor(T):
    class Acc(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("total", T.zeros(2))

        def forward(self, x):
            self.total.add_(x)
            return x

    m = Acc()
    total = T.zeros(2)
    d = {"total": total}
    _fc(T)(m, d, T.ones(2))
    assert d["total"] is total and _vals(total).tolist() == [1.0, 1.0]
    assert _vals(m.total).tolist() == [0.0, 0.0]


@libs
def test_unmentioned_dict_entries_are_not_added(T):
    m = _Counter.make(T)
    d = {"foo": T.ones(1)}
    _fc(T)(m, d, T.ones(()))
    assert list(d) == ["foo"]


# ---------------------------------------------------------------------------- parametrize
def _symmetric(T):
    class Symmetric(T.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).T

    return Symmetric()


def _with_right_inverse(T):
    class Double(T.nn.Module):
        def forward(self, X):
            return X * 2

        def right_inverse(self, X):
            return X / 2

    return Double()


@libs
def test_parametrized_original_goes_through_the_parametrization(T):
    outer = T.nn.Sequential(T.nn.Linear(2, 2, bias=False))
    T.nn.utils.parametrize.register_parametrization(outer[0], "weight", _symmetric(T))
    X = T.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = _fc(T)(outer, {"0.parametrizations.weight.original": X}, T.eye(2))
    assert _vals(out).tolist() == [[1.0, 2.0], [2.0, 4.0]]   # x @ sym(X).T
    assert outer[0].parametrizations.weight.original is not X


@libs
def test_parametrized_plain_name_goes_through_the_setter(T):
    m = T.nn.Linear(2, 2, bias=False)
    T.nn.utils.parametrize.register_parametrization(m, "weight", _symmetric(T))
    with pytest.raises(RuntimeError, match="parametrization Symmetric does not implement "
                                           "right_inverse"):
        _fc(T)(m, {"weight": T.ones(2, 2)}, T.eye(2))

    m = T.nn.Linear(2, 2, bias=False)
    T.nn.utils.parametrize.register_parametrization(m, "weight", _with_right_inverse(T))
    original = m.parametrizations.weight.original
    before = _vals(original).copy()
    X = T.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = _fc(T)(m, {"weight": X}, T.eye(2))
    assert np.allclose(_vals(out), _vals(X).T)      # the setter stored X / 2, forward doubles
    assert m.parametrizations.weight.original is original
    assert np.allclose(_vals(original), before)     # restored afterwards by the setter


# ---------------------------------------------------------------------------- batchnorm-like
@libs
def test_running_stats_land_in_the_passed_tensors(T):
    """What BatchNorm does: in-place running-stat updates and num_batches_tracked += 1."""
    class Stats(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("running_mean", T.zeros(2))
            self.register_buffer("num_batches_tracked", T.tensor(0))

        def forward(self, x):
            with T.no_grad():
                self.running_mean.mul_(0.9).add_(x.mean(0) * 0.1)
                self.num_batches_tracked.add_(1)
            return x

    m = Stats()
    rm, nbt = T.zeros(2), T.tensor(0)
    _fc(T)(m, {"running_mean": rm, "num_batches_tracked": nbt}, T.ones(3, 2))
    assert np.allclose(_vals(rm), [0.1, 0.1]) and int(nbt) == 1
    assert _vals(m.running_mean).tolist() == [0.0, 0.0] and int(m.num_batches_tracked) == 0


# ---------------------------------------------------------------------------- deprecated
@libs
def test_stateless_functional_call_warns_and_works(T):
    m = _linear(T)
    with pytest.warns(FutureWarning, match="deprecated as of PyTorch 2.0"):
        out = T.nn.utils.stateless.functional_call(m, {"weight": T.zeros(2, 3)}, T.ones(1, 3))
    assert _vals(out).tolist() == [[0.5, 0.5]]


@libs
def test_stateless_functional_call_has_the_same_signature(T):
    import inspect
    params = inspect.signature(T.nn.utils.stateless.functional_call).parameters
    assert list(params) == ["module", "parameters_and_buffers", "args", "kwargs",
                            "tie_weights", "strict"]
    assert params["tie_weights"].default is True and params["strict"].default is False


@libs
def test_func_functional_call_does_not_warn(T):
    m = _linear(T)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _fc(T)(m, {}, T.ones(1, 3))


# ---------------------------------------------------------------------------- stack_module_state
@libs
def test_stack_module_state(T):
    models = [_linear(T, float(i), float(-i)) for i in range(3)]
    params, buffers = T.func.stack_module_state(models)
    assert list(params) == ["weight", "bias"] and buffers == {}
    assert tuple(params["weight"].shape) == (3, 2, 3)
    assert _vals(params["bias"]).tolist() == [[0.0, 0.0], [-1.0, -1.0], [-2.0, -2.0]]
    w = params["weight"]
    assert w.requires_grad and w.is_leaf and w.grad_fn is None


@libs
def test_stack_module_state_buffers_and_names(T):
    models = [T.nn.Sequential(_Counter.make(T), T.nn.Linear(2, 2)) for _ in range(2)]
    params, buffers = T.func.stack_module_state(models)
    assert list(params) == ["1.weight", "1.bias"] and list(buffers) == ["0.c"]
    assert tuple(buffers["0.c"].shape) == (2,) and not buffers["0.c"].requires_grad


@libs
def test_stack_module_state_errors(T):
    with pytest.raises(RuntimeError, match="Expected at least one model, got 0"):
        T.func.stack_module_state([])
    with pytest.raises(RuntimeError, match="Expected all models to have the same "
                                           "training/eval mode"):
        T.func.stack_module_state([T.nn.Linear(1, 1), T.nn.Linear(1, 1).eval()])
    with pytest.raises(RuntimeError, match="Expected all models to be of the same class"):
        T.func.stack_module_state([T.nn.Linear(1, 1), T.nn.Identity()])
    a, b = T.nn.Linear(1, 1), T.nn.Linear(1, 1)
    b.weight.requires_grad_(False)
    with pytest.raises(RuntimeError, match="Expected weight from each model to have the same "
                                           ".requires_grad"):
        T.func.stack_module_state([a, b])


@libs
def test_stacked_state_feeds_functional_call(T):
    models = [_linear(T, float(i), 0.0) for i in range(2)]
    params, _ = T.func.stack_module_state(models)
    one = {k: v[1] for k, v in params.items()}
    out = _fc(T)(models[0], one, T.ones(1, 3))
    assert _vals(out).tolist() == [[3.0, 3.0]]


@libs
def test_batchnorm_running_stats_land_in_the_passed_tensors(T):
    bn = T.nn.BatchNorm1d(2)
    state = {"running_mean": T.zeros(2), "running_var": T.ones(2),
             "num_batches_tracked": T.tensor(0)}
    tensors = dict(state)
    x = T.tensor([[1.0, 2.0], [3.0, 6.0]])
    _fc(T)(bn, state, x)
    assert all(state[k] is tensors[k] for k in state)
    assert np.allclose(_vals(state["running_mean"]), [0.2, 0.4])
    assert np.allclose(_vals(state["running_var"]), [0.9 + 0.1 * 2.0, 0.9 + 0.1 * 8.0])
    assert int(state["num_batches_tracked"]) == 1
    assert _vals(bn.running_mean).tolist() == [0.0, 0.0] and int(bn.num_batches_tracked) == 0
