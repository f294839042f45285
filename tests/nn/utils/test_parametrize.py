"""nn.utils.parametrize: registration, originals, chaining, assignment, cache, removal, repr.

Every test runs on minitorch_nn and on torch (see nn_libs.py): the assertions are PyTorch's
behaviour (section 10 of PYTORCH_SEMANTICS.md), checked against PyTorch itself.
"""
from __future__ import annotations

import copy
import pickle
import re

import numpy as np
import pytest

from nn_libs import libs, values


def _P(T):
    return T.nn.utils.parametrize


def _symmetric_cls(T):
    class Symmetric(T.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).T

    return Symmetric


def _symmetric_with_inverse_cls(T):
    class Symmetric(T.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).T

        def right_inverse(self, A):
            return A.triu()

    return Symmetric


def _scale_cls(T, factor=2.0):
    class Scale(T.nn.Module):
        def forward(self, X):
            return X * factor

        def right_inverse(self, X):
            return X / factor

    return Scale


def _rank_one_cls(T):
    class RankOne(T.nn.Module):
        def forward(self, x, y):
            return x.unsqueeze(-1) @ y.unsqueeze(-2)

        def right_inverse(self, Z):
            return Z[..., :, 0].clone(), Z[..., 0, :].clone()   # any pair of vectors will do

    return RankOne


def _fixed_linear(T, n=3):
    m = T.nn.Linear(n, n)
    with T.no_grad():
        m.weight.copy_(T.arange(n * n, dtype=T.float32).reshape(n, n))
        m.bias.zero_()
    return m


# ---------------------------------------------------------------------------- registration
@libs
def test_register_swaps_the_class_and_keeps_the_original_object(T):
    m = _fixed_linear(T)
    w = m.weight
    out = _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    assert out is m
    assert type(m).__name__ == "ParametrizedLinear"
    assert type(m).__bases__ == (T.nn.Linear,) and isinstance(m, T.nn.Linear)
    assert m.parametrizations.weight.original is w               # same Parameter object
    assert isinstance(m.parametrizations, T.nn.ModuleDict)
    assert type(m.parametrizations.weight).__name__ == "ParametrizationList"
    assert "weight" not in m._parameters


@libs
def test_parametrized_value_is_a_non_leaf_tensor(T):
    m = _fixed_linear(T)
    _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    W = m.weight
    assert not isinstance(W, T.nn.Parameter) and W.grad_fn is not None
    assert values(W).tolist() == [[0, 1, 2], [1, 4, 5], [2, 5, 8]]
    assert T.allclose(m.weight, m.weight.T)


@libs
def test_gradient_reaches_the_original(T):
    m = _fixed_linear(T)
    _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    m(T.ones(1, 3)).sum().backward()
    g = values(m.parametrizations.weight.original.grad)
    assert g.tolist() == [[1, 2, 2], [0, 1, 2], [0, 0, 1]]


@libs
def test_training_mode_is_copied_at_registration(T):
    m = _fixed_linear(T).eval()
    p = _symmetric_cls(T)()
    assert p.training
    _P(T).register_parametrization(m, "weight", p)
    assert p.training is False


@libs
def test_unknown_name_raises(T):
    m = T.nn.Linear(2, 2)
    with pytest.raises(ValueError, match=re.escape(
            "Module 'Linear(in_features=2, out_features=2, bias=True)' does not have a "
            "parameter, a buffer, or a parametrized element with name 'foo'")):
        _P(T).register_parametrization(m, "foo", _symmetric_cls(T)())


@libs
def test_shape_change_refused_unless_unsafe(T):
    class First(T.nn.Module):
        def forward(self, X):
            return X[:1]

    m = T.nn.Linear(3, 3)
    with pytest.raises(ValueError, match=re.escape(
            "Registering a parametrization may not change the shape of the tensor, unless "
            "`unsafe` flag is enabled.\nunparametrized shape: torch.Size([3, 3])\n"
            "parametrized shape: torch.Size([1, 3])")):
        _P(T).register_parametrization(m, "weight", First())
    assert type(m) is T.nn.Linear and "weight" in m._parameters     # nothing changed
    _P(T).register_parametrization(m, "weight", First(), unsafe=True)
    assert tuple(m.weight.shape) == (1, 3)
    assert m.parametrizations.weight.unsafe is True


@libs
def test_dtype_change_refused(T):
    class ToDouble(T.nn.Module):
        def forward(self, X):
            return X.double()

    m = T.nn.Linear(2, 2)
    with pytest.raises(ValueError, match="may not change the dtype of the tensor, unless "
                                         "`unsafe` flag is enabled.\nunparametrized dtype: "
                                         "torch.float32\nparametrized dtype: torch.float64"):
        _P(T).register_parametrization(m, "weight", ToDouble())


@libs
def test_non_tensor_output_refused(T):
    class Bad(T.nn.Module):
        def forward(self, X):
            return 3

    with pytest.raises(ValueError, match="A parametrization must return a tensor. Got int."):
        _P(T).register_parametrization(T.nn.Linear(2, 2), "weight", Bad())


@libs
def test_right_inverse_gives_the_initial_original(T):
    m = _fixed_linear(T)
    w = m.weight
    _P(T).register_parametrization(m, "weight", _scale_cls(T)())
    assert m.parametrizations.weight.original is w
    assert np.allclose(values(w), np.arange(9).reshape(3, 3) / 2)
    assert np.allclose(values(m.weight), np.arange(9).reshape(3, 3))


@libs
def test_right_inverse_may_not_change_dtype(T):
    class Cast(T.nn.Module):
        def forward(self, X):
            return X.float()

        def right_inverse(self, X):
            return X.double()

    with pytest.raises(ValueError, match="When `right_inverse` outputs one tensor, it may not "
                                         "change the dtype.\noriginal.dtype: torch.float32\n"
                                         "right_inverse\\(original\\).dtype: torch.float64"):
        _P(T).register_parametrization(T.nn.Linear(2, 2), "weight", Cast())


@libs
def test_right_inverse_bad_return_type(T):
    class Bad(T.nn.Module):
        def forward(self, X):
            return X

        def right_inverse(self, X):
            return 3

    with pytest.raises(ValueError, match="'right_inverse' must return a Tensor or a Sequence of "
                                         "tensors \\(list, tuple...\\). Got int"):
        _P(T).register_parametrization(T.nn.Linear(2, 2), "weight", Bad())


@libs
def test_right_inverse_not_implemented_means_identity(T):
    class NoInverse(T.nn.Module):
        def forward(self, X):
            return X + 1

        def right_inverse(self, X):
            raise NotImplementedError

    m = _fixed_linear(T)
    _P(T).register_parametrization(m, "weight", NoInverse())
    assert np.allclose(values(m.parametrizations.weight.original), np.arange(9).reshape(3, 3))


# ---------------------------------------------------------------------------- several originals
@libs
def test_right_inverse_returning_a_tuple_registers_original0_original1(T):
    m = T.nn.Linear(3, 3)
    _P(T).register_parametrization(m, "weight", _rank_one_cls(T)())
    plist = m.parametrizations.weight
    assert not hasattr(plist, "original")
    assert isinstance(plist.original0, T.nn.Parameter)
    assert isinstance(plist.original1, T.nn.Parameter)
    assert plist.original0.requires_grad and plist.original1.requires_grad
    assert plist.is_tensor is False and plist.ntensors == 2
    assert list(dict(m.named_parameters())) == [
        "bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    expected = np.outer(values(plist.original0), values(plist.original1))
    assert np.allclose(values(m.weight), expected)


@libs
def test_several_originals_keep_requires_grad_false(T):
    m = T.nn.Linear(3, 3)
    m.weight.requires_grad_(False)
    _P(T).register_parametrization(m, "weight", _rank_one_cls(T)())
    assert m.parametrizations.weight.original0.requires_grad is False


@libs
def test_assignment_with_several_originals(T):
    m = T.nn.Linear(3, 3)
    _P(T).register_parametrization(m, "weight", _rank_one_cls(T)())
    o0 = m.parametrizations.weight.original0
    Z = T.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]])
    m.weight = Z
    assert m.parametrizations.weight.original0 is o0
    assert values(o0).tolist() == [1.0, 2.0, 3.0]
    assert np.allclose(values(m.weight), np.outer([1, 2, 3], [1, 2, 3]))


# ---------------------------------------------------------------------------- chaining
@libs
def test_chaining_appends_and_applies_in_order(T):
    m = _fixed_linear(T)
    _P(T).register_parametrization(m, "weight", _symmetric_with_inverse_cls(T)())
    _P(T).register_parametrization(m, "weight", _scale_cls(T, 3.0)())
    assert len(m.parametrizations.weight) == 2
    assert values(m.weight).tolist() == [[0, 3, 6], [3, 12, 15], [6, 15, 24]]
    assert type(m).__name__ == "ParametrizedLinear"          # class swapped once only
    assert type(m).__bases__ == (T.nn.Linear,)


@libs
def test_chaining_checks_shape_and_right_inverse(T):
    class First(T.nn.Module):
        def forward(self, X):
            return X[:1]

    class BadInverse(T.nn.Module):
        def forward(self, X):
            return X

        def right_inverse(self, X):
            return X[:1]

    m = T.nn.Linear(3, 3)
    _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    with pytest.raises(ValueError, match=re.escape(
            "Registering a parametrization may not change the shape of the tensor, unless the "
            "`unsafe` flag is enabled.\nmodule.weight.shape: torch.Size([3, 3])\n"
            "parametrization(module.weight).shape: torch.Size([1, 3])")):
        _P(T).register_parametrization(m, "weight", First())
    with pytest.raises(ValueError, match=re.escape(
            "The tensor returned by parametrization.right_inverse must have the same shape as "
            "module.weight, unless the `unsafe` flag is enabled.\nmodule.weight.shape: "
            "torch.Size([3, 3])\nreturned shape: torch.Size([1, 3])")):
        _P(T).register_parametrization(m, "weight", BadInverse())
    assert len(m.parametrizations.weight) == 1
    _P(T).register_parametrization(m, "weight", First(), unsafe=True)
    assert m.parametrizations.weight.unsafe is True and tuple(m.weight.shape) == (1, 3)


@libs
def test_assignment_runs_right_inverses_in_reverse_order(T):
    m = _fixed_linear(T)
    _P(T).register_parametrization(m, "weight", _scale_cls(T, 2.0)())
    _P(T).register_parametrization(m, "weight", _scale_cls(T, 5.0)())
    original = m.parametrizations.weight.original
    m.weight = T.full((3, 3), 10.0)
    assert m.parametrizations.weight.original is original
    assert np.allclose(values(original), 1.0)
    assert np.allclose(values(m.weight), 10.0)


@libs
def test_assignment_without_right_inverse_raises(T):
    m = T.nn.Linear(3, 3)
    _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    with pytest.raises(RuntimeError, match=re.escape(
            "parametrization Symmetric does not implement right_inverse.")):
        m.weight = T.ones(3, 3)


@libs
def test_assignment_with_a_wrong_dtype_raises(T):
    m = T.nn.Linear(3, 3)
    _P(T).register_parametrization(m, "weight", _scale_cls(T)())
    with pytest.raises(ValueError, match="The tensor returned by `right_inverse` has dtype "
                                         "torch.float64 while `original` has dtype "
                                         "torch.float32"):
        m.weight = T.ones(3, 3, dtype=T.float64)


@libs
def test_assigning_a_parameter_raises_key_error(T):
    m = T.nn.Linear(3, 3)
    _P(T).register_parametrization(m, "weight", _scale_cls(T)())
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.weight = T.nn.Parameter(T.ones(3, 3))


# ---------------------------------------------------------------------------- buffers
@libs
def test_buffers_can_be_parametrized(T):
    class WithBuffer(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("b", T.tensor([[1.0, 2.0], [3.0, 4.0]]))

    m = WithBuffer()
    b = m.b
    _P(T).register_parametrization(m, "b", _symmetric_cls(T)())
    assert m.parametrizations.b.original is b
    assert list(dict(m.named_buffers())) == ["parametrizations.b.original"]
    assert list(m.state_dict()) == ["parametrizations.b.original"]
    assert values(m.b).tolist() == [[1.0, 2.0], [2.0, 4.0]] and m.b.grad_fn is None
    _P(T).remove_parametrizations(m, "b")
    assert "b" in m._buffers and m.b is b


# ---------------------------------------------------------------------------- state_dict
@libs
def test_state_dict_and_parameter_names(T):
    m = T.nn.Linear(3, 3)
    _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert [n for n, _ in m.named_parameters()] == ["bias", "parametrizations.weight.original"]


@libs
def test_loading_a_plain_state_dict_reports_the_keys(T):
    m = T.nn.Linear(3, 3)
    _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(T.nn.Linear(3, 3).state_dict())
    text = str(info.value)
    assert 'Missing key(s) in state_dict: "parametrizations.weight.original"' in text
    assert 'Unexpected key(s) in state_dict: "weight"' in text


@libs
def test_state_dict_round_trip(T):
    a, b = _fixed_linear(T), T.nn.Linear(3, 3)
    for m in (a, b):
        _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    b.load_state_dict(a.state_dict())
    assert np.allclose(values(b.weight), values(a.weight))


@libs
def test_optimizer_built_before_registration_keeps_working(T):
    m = _fixed_linear(T)
    opt = T.optim.SGD(m.parameters(), lr=0.5)
    _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    m(T.ones(1, 3)).sum().backward()
    opt.step()
    expected = np.arange(9).reshape(3, 3) - 0.5 * np.array([[1, 2, 2], [0, 1, 2], [0, 0, 1]])
    assert np.allclose(values(m.parametrizations.weight.original), expected)


# ---------------------------------------------------------------------------- cached
@libs
def test_cached_returns_the_same_tensor(T):
    m = T.nn.Linear(3, 3)
    _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    assert m.weight is not m.weight
    with _P(T).cached():
        w1 = m.weight
        assert m.weight is w1
        with _P(T).cached():                      # re-entrant
            assert m.weight is w1
        assert m.weight is w1                     # inner exit keeps the cache
    assert m.weight is not w1


@libs
def test_cached_counts_evaluations(T):
    calls = []

    class Counting(T.nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 1

    m = T.nn.Linear(2, 2)
    _P(T).register_parametrization(m, "weight", Counting())
    calls.clear()
    with _P(T).cached():
        for _ in range(3):
            m(T.ones(1, 2))
    assert len(calls) == 1
    m(T.ones(1, 2))
    assert len(calls) == 2


@libs
def test_cache_is_cleared_when_an_exception_leaves_the_context(T):
    m = T.nn.Linear(2, 2)
    _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    with pytest.raises(KeyError):
        with _P(T).cached():
            w = m.weight
            raise KeyError("x")
    assert m.weight is not w
    assert _P(T)._cache_enabled == 0 and not _P(T)._cache


# ---------------------------------------------------------------------------- queries
@libs
def test_is_parametrized_and_type_before(T):
    m = T.nn.Linear(2, 2)
    assert not _P(T).is_parametrized(m)
    assert _P(T).type_before_parametrizations(m) is T.nn.Linear
    _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    assert _P(T).is_parametrized(m) and _P(T).is_parametrized(m, "weight")
    assert not _P(T).is_parametrized(m, "bias")
    assert _P(T).type_before_parametrizations(m) is T.nn.Linear


# ---------------------------------------------------------------------------- removal
@libs
def test_remove_leave_parametrized_keeps_value_and_object(T):
    m = _fixed_linear(T)
    w = m.weight
    _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    sym = values(m.weight)
    out = _P(T).remove_parametrizations(m, "weight")
    assert out is m and type(m) is T.nn.Linear
    assert m.weight is w and isinstance(m.weight, T.nn.Parameter)
    assert np.allclose(values(m.weight), sym)
    assert not hasattr(m, "parametrizations") and "weight" in m._parameters
    assert list(m.state_dict()) == ["bias", "weight"]          # re-registered last


@libs
def test_remove_without_leaving_parametrized_restores_the_original(T):
    m = _fixed_linear(T)
    w = m.weight
    _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    _P(T).remove_parametrizations(m, "weight", leave_parametrized=False)
    assert m.weight is w and np.allclose(values(w), np.arange(9).reshape(3, 3))


@libs
def test_remove_one_of_two_keeps_the_class(T):
    m = T.nn.Linear(3, 3)
    _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    _P(T).register_parametrization(m, "bias", _scale_cls(T)())
    _P(T).remove_parametrizations(m, "weight")
    assert type(m).__name__ == "ParametrizedLinear" and _P(T).is_parametrized(m, "bias")
    assert not hasattr(type(m), "weight") or not isinstance(type(m).__dict__.get("weight"),
                                                             property)
    _P(T).remove_parametrizations(m, "bias")
    assert type(m) is T.nn.Linear


@libs
def test_remove_several_originals(T):
    m = T.nn.Linear(3, 3)
    _P(T).register_parametrization(m, "weight", _rank_one_cls(T)())
    with pytest.raises(ValueError, match=re.escape(
            "Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is "
            "parametrized in terms of a sequence of tensors.")):
        _P(T).remove_parametrizations(m, "weight", leave_parametrized=False)
    value = values(m.weight)
    _P(T).remove_parametrizations(m, "weight")
    assert isinstance(m.weight, T.nn.Parameter) and m.weight.is_leaf
    assert np.allclose(values(m.weight), value)


@libs
def test_remove_when_not_parametrized(T):
    m = T.nn.Linear(2, 2)
    with pytest.raises(ValueError, match=re.escape(
            "Module Linear(in_features=2, out_features=2, bias=True) does not have a "
            "parametrization on weight")):
        _P(T).remove_parametrizations(m, "weight")


# ---------------------------------------------------------------------------- transfer
@libs
def test_transfer_shares_the_parametrizations_and_originals(T):
    src, dst = T.nn.Linear(3, 3), T.nn.Linear(3, 3)
    p = _symmetric_cls(T)()
    _P(T).register_parametrization(src, "weight", p)
    out = _P(T).transfer_parametrizations_and_params(src, dst)
    assert out is dst and type(dst).__name__ == "ParametrizedLinear"
    assert dst.parametrizations.weight[0] is p
    assert dst.parametrizations.weight.original is src.parametrizations.weight.original
    assert np.allclose(values(dst.weight), values(src.weight))


@libs
def test_transfer_creates_a_missing_parameter(T):
    class Empty(T.nn.Module):
        pass

    src, dst = T.nn.Linear(3, 3), Empty()
    _P(T).register_parametrization(src, "weight", _symmetric_cls(T)())
    _P(T).transfer_parametrizations_and_params(src, dst, "weight")
    assert type(dst).__name__ == "ParametrizedEmpty"
    assert dst.parametrizations.weight.original is src.parametrizations.weight.original


@libs
def test_transfer_from_an_unparametrized_module_does_nothing(T):
    src, dst = T.nn.Linear(2, 2), T.nn.Linear(2, 2)
    assert _P(T).transfer_parametrizations_and_params(src, dst) is dst
    assert type(dst) is T.nn.Linear


# ---------------------------------------------------------------------------- copy, pickle, repr
@libs
def test_pickling_is_refused(T):
    m = T.nn.Linear(2, 2)
    _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only "
                                           "supported through state_dict()"):
        pickle.dumps(m)


@libs
def test_deepcopy_works(T):
    m = _fixed_linear(T)
    _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    c = copy.deepcopy(m)
    assert type(c).__name__ == "ParametrizedLinear"
    assert c.parametrizations.weight.original is not m.parametrizations.weight.original
    assert np.allclose(values(c.weight), values(m.weight))
    with T.no_grad():
        c.parametrizations.weight.original.zero_()
    assert not np.allclose(values(m.weight), 0)


@libs
def test_repr(T):
    m = T.nn.Linear(3, 3)
    _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    assert repr(m) == (
        "ParametrizedLinear(\n  in_features=3, out_features=3, bias=True\n"
        "  (parametrizations): ModuleDict(\n    (weight): ParametrizationList(\n"
        "      (0): Symmetric()\n    )\n  )\n)")


@libs
def test_parametrization_list_requires_modules(T):
    with pytest.raises(ValueError, match="ParametrizationList requires one or more modules."):
        _P(T).ParametrizationList([], T.nn.Parameter(T.ones(2)))


@libs
def test_lazy_weight_cannot_be_parametrized(T):
    m = T.nn.LazyLinear(3)
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized "
                                           "parameter or buffer"):
        _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())


@libs
def test_moving_a_parametrized_module_keeps_working(T):
    m = _fixed_linear(T)
    _P(T).register_parametrization(m, "weight", _symmetric_cls(T)())
    m.double()
    assert m.weight.dtype == T.float64 and m.parametrizations.weight.original.dtype == T.float64
    assert m(T.ones(1, 3, dtype=T.float64)).dtype == T.float64
