"""Lazy modules: LazyModuleMixin, LazyLinear, lazy convolutions (section 9 of
PYTORCH_SEMANTICS.md). Every test runs on minitorch_nn and on torch (see nn_libs.py).
"""
from __future__ import annotations

import copy
import re
import warnings

import numpy as np
import pytest

from nn_libs import copy_params, libs, values


def _mixin(T):
    return T.nn.modules.lazy.LazyModuleMixin


def _lazy_scale_cls(T, become=None, complete=True):
    """A custom lazy module: a weight and a buffer shaped like the input's last dim."""
    class LazyScale(_mixin(T), T.nn.Module):
        cls_to_become = become

        def __init__(self):
            super().__init__()
            self.weight = T.nn.UninitializedParameter()
            self.register_buffer("offset", T.nn.UninitializedBuffer())
            self.seen_kwargs = None

        def initialize_parameters(self, x, **kwargs):
            self.seen_kwargs = kwargs
            if self.has_uninitialized_params():
                with T.no_grad():
                    self.weight.materialize((x.shape[-1],))
                    self.weight.fill_(2.0)
                    if complete:
                        self.offset.materialize((x.shape[-1],))
                        self.offset.fill_(1.0)

        def forward(self, x, shift=0.0):
            return x * self.weight + self.offset + shift

    return LazyScale


# ---------------------------------------------------------------------------- construction
@libs
def test_construction_registers_two_hooks_and_no_warning(T):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = T.nn.LazyLinear(4)
    assert isinstance(m, _mixin(T)) and isinstance(m, T.nn.Linear)
    assert m._initialize_hook.id in m._forward_pre_hooks
    assert m._initialize_hook.id in m._forward_pre_hooks_with_kwargs
    assert m._load_hook.id in m._load_state_dict_pre_hooks
    assert m.cls_to_become is T.nn.Linear


@libs
def test_lazy_linear_before_the_first_call(T):
    m = T.nn.LazyLinear(4)
    assert repr(m) == "LazyLinear(in_features=0, out_features=4, bias=True)"
    assert repr(T.nn.LazyLinear(4, bias=False)) == \
        "LazyLinear(in_features=0, out_features=4, bias=False)"
    assert type(m.weight) is T.nn.UninitializedParameter
    assert type(m.bias) is T.nn.UninitializedParameter
    assert T.nn.LazyLinear(4, bias=False).bias is None
    assert m.has_uninitialized_params()
    assert repr(m.weight) == "<UninitializedParameter>"
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized "
                                           "parameter or buffer"):
        m.weight.shape


@libs
def test_lazy_linear_dtype_and_device_arguments(T):
    m = T.nn.LazyLinear(2, dtype=T.float64)
    assert m.weight.dtype == T.float64
    m(T.ones(1, 3, dtype=T.float64))
    assert m.weight.dtype == T.float64 and m.bias.dtype == T.float64


# ---------------------------------------------------------------------------- first call
@libs
def test_first_call_materializes_and_changes_class(T):
    m = T.nn.LazyLinear(4)
    w, b = m.weight, m.bias
    y = m(T.ones(2, 3))
    assert type(m) is T.nn.Linear and not isinstance(m, _mixin(T))
    assert not hasattr(m, "_initialize_hook") and not hasattr(m, "_load_hook")
    assert len(m._forward_pre_hooks) == 0 and len(m._load_state_dict_pre_hooks) == 0
    assert m.in_features == 3 and repr(m) == "Linear(in_features=3, out_features=4, bias=True)"
    assert m.weight is w and m.bias is b                         # same objects
    assert type(w) is T.nn.Parameter and tuple(w.shape) == (4, 3) and tuple(b.shape) == (4,)
    assert tuple(y.shape) == (2, 4) and w.requires_grad


@libs
def test_weights_after_the_dry_run_are_not_constant(T):
    """Regression guard (pytorch #149691): reset_parameters must run after materialize."""
    m = T.nn.LazyLinear(8)
    m(T.ones(2, 5))
    w, b = values(m.weight), values(m.bias)
    assert np.unique(w).size > 1 and np.unique(b).size > 1
    bound = 1 / np.sqrt(5)
    assert np.all(np.abs(w) <= bound) and np.all(np.abs(b) <= bound)


@libs
def test_output_matches_a_regular_linear(T):
    m = T.nn.LazyLinear(2)
    x = T.tensor([[1.0, 2.0, 3.0]])
    y = m(x)
    expected = values(x) @ values(m.weight).T + values(m.bias)
    assert np.allclose(values(y), expected, atol=1e-6)


@libs
def test_later_call_with_another_size_fails_like_linear(T):
    m = T.nn.LazyLinear(4)
    m(T.ones(2, 3))
    with pytest.raises(RuntimeError, match=re.escape(
            "mat1 and mat2 shapes cannot be multiplied (2x5 and 3x4)")):
        m(T.ones(2, 5))


@libs
def test_conversions_before_the_dry_run_apply(T):
    m = T.nn.LazyLinear(4).double()
    assert m.weight.dtype == T.float64 and type(m.weight) is T.nn.UninitializedParameter
    m(T.ones(2, 3, dtype=T.float64))
    assert m.weight.dtype == T.float64 and m.bias.dtype == T.float64
    m2 = T.nn.LazyLinear(4).to(T.float64)
    m2(T.ones(1, 2, dtype=T.float64))
    assert m2.weight.dtype == T.float64


@libs
def test_custom_lazy_module_buffer_survives_conversion(T):
    m = _lazy_scale_cls(T)().double()
    assert type(m.offset) is T.nn.UninitializedBuffer and m.offset.dtype == T.float64
    y = m(T.ones(3, dtype=T.float64), shift=T.tensor(0.5, dtype=T.float64))
    assert values(y).tolist() == [3.5, 3.5, 3.5]
    assert type(m.offset) is T.Tensor and m.offset.dtype == T.float64
    assert m.seen_kwargs == {"shift": m.seen_kwargs["shift"]}      # kwargs reach initialize
    assert type(m).__name__ == "LazyScale"                         # cls_to_become is None
    assert not hasattr(m, "_initialize_hook")


@libs
def test_custom_lazy_module_becomes_its_target_class(T):
    class Plain(T.nn.Module):
        def forward(self, x, shift=0.0):
            return x * self.weight

    m = _lazy_scale_cls(T, become=Plain)()
    m(T.ones(2))
    assert type(m) is Plain and values(m(T.ones(2))).tolist() == [2.0, 2.0]


@libs
def test_not_fully_initialized_raises(T):
    m = _lazy_scale_cls(T, complete=False)()
    with pytest.raises(RuntimeError, match="module LazyScale has not been fully initialized"):
        m(T.ones(2))
    assert hasattr(m, "_initialize_hook")


@libs
def test_initialize_parameters_must_be_implemented(T):
    class NoInit(_mixin(T), T.nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(NotImplementedError, match="initialize_parameters is not implemented "
                                                  "for NoInit"):
        NoInit()(T.ones(1))


# ---------------------------------------------------------------------------- state_dict
@libs
def test_state_dict_before_init_holds_the_uninitialized_params(T):
    m = T.nn.LazyLinear(4)
    sd = m.state_dict()
    assert list(sd) == ["weight", "bias"]
    assert sd["weight"] is m.weight and sd["bias"] is m.bias
    m(T.ones(1, 2))
    sd = m.state_dict()
    assert sd["weight"] is not m.weight and not sd["weight"].requires_grad


@libs
def test_loading_an_initialized_state_materializes(T):
    full = T.nn.LazyLinear(4)
    full(T.ones(1, 3))
    lazy = T.nn.LazyLinear(4)
    w = lazy.weight
    result = lazy.load_state_dict(full.state_dict())
    assert not result.missing_keys and not result.unexpected_keys
    assert type(lazy).__name__ == "LazyLinear" and lazy.weight is w
    assert type(w) is T.nn.Parameter and tuple(w.shape) == (4, 3)
    assert np.array_equal(values(w), values(full.weight))
    assert lazy.in_features == 0                                 # set by the next call
    y = lazy(T.ones(2, 3))
    assert type(lazy) is T.nn.Linear and lazy.in_features == 3
    assert np.array_equal(values(lazy.weight), values(full.weight))   # not re-initialised
    assert np.allclose(values(y), values(full(T.ones(2, 3))))


@libs
def test_loading_a_lazy_state_into_an_initialized_module_raises(T):
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized "
                                           "parameter"):
        T.nn.Linear(3, 4).load_state_dict(T.nn.LazyLinear(4).state_dict())


@libs
def test_loading_a_lazy_state_into_a_lazy_module_keeps_it_lazy(T):
    lazy = T.nn.LazyLinear(4)
    lazy.load_state_dict(T.nn.LazyLinear(4).state_dict())
    assert lazy.has_uninitialized_params()


# ---------------------------------------------------------------------------- networks
def _lazy_mlp(T):
    return T.nn.Sequential(T.nn.LazyLinear(5), T.nn.ReLU(), T.nn.LazyLinear(1))


@libs
def test_lazy_sequential_optimizer_built_before_the_dry_run(T):
    net = _lazy_mlp(T)
    params = list(net.parameters())
    assert all(type(p) is T.nn.UninitializedParameter for p in params) and len(params) == 4
    opt = T.optim.SGD(net.parameters(), lr=0.1)
    x = T.ones(3, 2)
    net(x)
    assert repr(net) == ("Sequential(\n  (0): Linear(in_features=2, out_features=5, bias=True)"
                         "\n  (1): ReLU()\n  (2): Linear(in_features=5, out_features=1, "
                         "bias=True)\n)")
    assert opt.param_groups[0]["params"][0] is net[0].weight
    before = values(net[2].bias).copy()
    net(x).sum().backward()
    opt.step()
    assert np.allclose(values(net[2].bias), before - 0.1 * 3)


@libs
def test_deepcopy_of_a_lazy_module_stays_lazy(T):
    m = _lazy_mlp(T)
    c = copy.deepcopy(m)
    assert type(c[0]).__name__ == "LazyLinear" and c[0].has_uninitialized_params()
    assert c[0].weight is not m[0].weight
    c(T.ones(1, 2))
    assert type(c[0]) is T.nn.Linear and type(m[0]).__name__ == "LazyLinear"


@libs
def test_has_uninitialized_params_counts_own_tensors_only(T):
    m = _lazy_mlp(T)
    assert m[0].has_uninitialized_params()
    m(T.ones(1, 2))
    assert not hasattr(m[0], "has_uninitialized_params")          # plain Linear now


@libs
def test_lazy_linear_with_several_batch_dims(T):
    m = T.nn.LazyLinear(2)
    y = m(T.ones(2, 3, 4))
    assert tuple(y.shape) == (2, 3, 2) and m.in_features == 4


# ---------------------------------------------------------------------------- convolutions
@libs
@pytest.mark.parametrize("name,args,kwargs,shape,before,after,weight_shape", [
    ("LazyConv1d", (4, 3), {}, (2, 3, 8), "LazyConv1d(0, 4, kernel_size=(3,), stride=(1,))",
     "Conv1d(3, 4, kernel_size=(3,), stride=(1,))", (4, 3, 3)),
    ("LazyConv2d", (4, 3), {"padding": 1}, (2, 3, 5, 5),
     "LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))",
     "Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))", (4, 3, 3, 3)),
    ("LazyConv2d", (4, 3), {"groups": 2, "bias": False}, (6, 5, 5),
     "LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1), groups=2, bias=False)",
     "Conv2d(6, 4, kernel_size=(3, 3), stride=(1, 1), groups=2, bias=False)", (4, 3, 3, 3)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2}, (3, 6),
     "LazyConvTranspose1d(0, 4, kernel_size=(3,), stride=(2,))",
     "ConvTranspose1d(3, 4, kernel_size=(3,), stride=(2,))", (3, 4, 3)),
    ("LazyConvTranspose2d", (4, 3), {"groups": 2}, (2, 6, 5, 5),
     "LazyConvTranspose2d(0, 4, kernel_size=(3, 3), stride=(1, 1), groups=2)",
     "ConvTranspose2d(6, 4, kernel_size=(3, 3), stride=(1, 1), groups=2)", (6, 2, 3, 3)),
])
def test_lazy_convolutions(T, name, args, kwargs, shape, before, after, weight_shape):
    m = getattr(T.nn, name)(*args, **kwargs)
    assert repr(m) == before
    w = m.weight
    m(T.ones(*shape))
    assert repr(m) == after and type(m) is getattr(T.nn, name[4:])
    assert m.weight is w and tuple(w.shape) == weight_shape
    assert np.unique(values(w)).size > 1


@libs
def test_lazy_conv_errors(T):
    with pytest.raises(RuntimeError, match=re.escape(
            "Expected 3D (unbatched) or 4D (batched) input to LazyConv2d, but got input of "
            "size: torch.Size([3])")):
        T.nn.LazyConv2d(4, 3)(T.ones(3))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        T.nn.LazyConv2d(4, 3, groups=2)(T.ones(1, 3, 4, 4))


@libs
def test_lazy_conv_matches_a_regular_conv(T):
    lazy = T.nn.LazyConv2d(2, 3)
    x = T.tensor(np.random.default_rng(0).standard_normal((1, 2, 4, 4)).astype(np.float32))
    y = lazy(x)
    ref = T.nn.Conv2d(2, 2, 3)
    copy_params(lazy, ref)
    assert np.allclose(values(y), values(ref(x)), atol=1e-5)


# ---------------------------------------------------------------------------- batch norms
@libs
def test_lazy_batchnorm_before_and_after(T):
    m = T.nn.LazyBatchNorm1d()
    assert repr(m) == ("LazyBatchNorm1d(0, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                       "track_running_stats=True)")
    assert [type(v).__name__ for v in m.state_dict().values()] == [
        "UninitializedParameter", "UninitializedParameter", "UninitializedBuffer",
        "UninitializedBuffer", "Tensor"]
    rm = m.running_mean
    x = T.tensor([[1.0, 2.0, 3.0], [3.0, 6.0, 9.0]])
    m(x)
    assert type(m) is T.nn.BatchNorm1d and m.num_features == 3
    assert m.running_mean is rm and type(rm) is T.Tensor
    assert np.allclose(values(rm), [0.2, 0.4, 0.6])                 # 0.1 * batch mean
    assert int(m.num_batches_tracked) == 1
    assert values(m.weight).tolist() == [1.0] * 3 and values(m.bias).tolist() == [0.0] * 3


@libs
def test_lazy_batchnorm_conversion_keeps_buffers_lazy(T):
    m = T.nn.LazyBatchNorm2d().double()
    assert type(m.running_var) is T.nn.UninitializedBuffer and m.running_var.dtype == T.float64
    assert m.num_batches_tracked.dtype == T.int64
    m(T.ones(2, 4, 3, 3, dtype=T.float64))
    assert type(m) is T.nn.BatchNorm2d and m.running_var.dtype == T.float64
    assert tuple(m.running_var.shape) == (4,)


@libs
def test_lazy_batchnorm_options(T):
    m = T.nn.LazyBatchNorm2d(affine=False, track_running_stats=False)
    assert m.weight is None and m.running_mean is None
    assert not m.has_uninitialized_params()
    m(T.ones(2, 5, 3, 3))
    assert type(m) is T.nn.BatchNorm2d
    assert m.num_features == 0            # PyTorch: nothing to materialize, nothing inferred
    m = T.nn.LazyBatchNorm1d(bias=False)
    m(T.ones(4, 2))
    assert m.bias is None and tuple(m.weight.shape) == (2,)


@libs
def test_lazy_batchnorm_input_check_and_deepcopy(T):
    with pytest.raises(ValueError, match=re.escape("expected 4D input (got 2D input)")):
        T.nn.LazyBatchNorm2d()(T.ones(2, 3))
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        copy.deepcopy(T.nn.LazyBatchNorm1d())       # the UninitializedBuffers refuse copying


@libs
def test_lazy_batchnorm_loads_a_checkpoint(T):
    full = T.nn.BatchNorm1d(3)
    with T.no_grad():
        full.running_mean.fill_(2.0)
        full.weight.fill_(3.0)
    lazy = T.nn.LazyBatchNorm1d()
    lazy.load_state_dict(full.state_dict())
    assert values(lazy.running_mean).tolist() == [2.0] * 3
    lazy.eval()(T.ones(2, 3))
    assert type(lazy) is T.nn.BatchNorm1d and values(lazy.weight).tolist() == [3.0] * 3
