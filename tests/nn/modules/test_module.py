"""nn.Module: registration, attribute rules, iteration, modes, conversions, repr, deepcopy.

Every test runs on minitorch_nn and on torch (see nn_libs.py): the assertions are PyTorch's
behaviour, checked against PyTorch itself.
"""
from __future__ import annotations

import copy
import math
import pickle
import re

import numpy as np
import pytest

import minitorch_nn
from nn_libs import copy_params, libs, torch, values


def _net(T):
    """A module with params registered after a buffer, a child and a non-persistent buffer."""
    class Net(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("running", T.zeros(2))
            self.b = T.nn.Parameter(T.zeros(2))
            self.w = T.nn.Parameter(T.ones(2))
            self.sub = T.nn.Linear(2, 2)
            self.register_buffer("scratch", T.ones(1), persistent=False)

        def forward(self, x):
            return self.sub(x * self.w + self.b)

    return Net()


# ---------------------------------------------------------------------------- __init__
@libs
def test_init_rejects_arguments(T):
    with pytest.raises(TypeError, match=re.escape(
            "Module.__init__() takes 1 positional argument but 2 were given")):
        T.nn.Module(1)
    with pytest.raises(TypeError, match="got an unexpected keyword argument 'x'"):
        T.nn.Module(x=1)


@libs
def test_init_builds_the_dicts(T):
    m = T.nn.Module()
    assert m.training is True
    for name in ("_parameters", "_buffers", "_modules", "_forward_hooks",
                 "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks",
                 "_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
                 "_load_state_dict_post_hooks", "_forward_hooks_with_kwargs",
                 "_forward_hooks_always_called", "_forward_pre_hooks_with_kwargs"):
        assert len(getattr(m, name)) == 0
    assert m._non_persistent_buffers_set == set() and m._is_full_backward_hook is None
    assert T.nn.Module._version == 1


@libs
def test_missing_forward(T):
    with pytest.raises(NotImplementedError,
                       match=re.escape('Module [ModuleList] is missing the required "forward" '
                                       'function')):
        T.nn.ModuleList()(T.ones(1))


# ---------------------------------------------------------------------------- __setattr__
@libs
def test_assigning_a_parameter_registers_it(T):
    m = T.nn.Module()
    m.plain = 3
    p = T.nn.Parameter(T.ones(1))
    m.plain = p   # a former plain attribute becomes a parameter
    assert "plain" in m._parameters and "plain" not in m.__dict__ and m.plain is p
    m.t = T.ones(1)   # a plain tensor is NOT registered
    assert "t" in m.__dict__ and "t" not in m._parameters and "t" not in m._buffers
    m.child = T.nn.ReLU()
    assert "child" in m._modules
    m.child = T.nn.Parameter(T.ones(1))   # a module name can become a parameter
    assert "child" not in m._modules and "child" in m._parameters


@libs
def test_assigning_to_a_parameter_name(T):
    lin = T.nn.Linear(2, 2)
    with pytest.raises(TypeError, match=re.escape(
            "cannot assign 'torch.FloatTensor' as parameter 'weight' (torch.nn.Parameter or "
            "None expected)")):
        lin.weight = T.ones(2, 2)
    with pytest.raises(TypeError, match=r"cannot assign '.*\.ReLU' as parameter 'weight'"):
        lin.weight = T.nn.ReLU()
    with pytest.raises(TypeError, match="cannot assign 'int' as parameter 'weight'"):
        lin.weight = 3
    lin.bias = None
    assert "bias" in lin._parameters and lin.bias is None
    assert repr(lin) == "Linear(in_features=2, out_features=2, bias=False)"


@libs
def test_assigning_to_a_module_name(T):
    s = T.nn.Sequential(T.nn.ReLU())
    with pytest.raises(TypeError, match=re.escape(
            "cannot assign 'int' as child module '0' (torch.nn.Module or None expected)")):
        s[0] = 3
    s.add_module("extra", T.nn.ReLU())
    s.extra = None
    assert "extra" in s._modules and s.extra is None
    assert len(list(s.children())) == 1


@libs
def test_assigning_buffers(T):
    m = T.nn.Module()
    m.b = T.nn.Buffer(T.ones(1))
    m.nb = T.nn.Buffer(T.ones(1), persistent=False)
    assert set(m._buffers) == {"b", "nb"} and m._non_persistent_buffers_set == {"nb"}
    m.nb = T.zeros(2)   # a plain tensor onto a buffer name stays a buffer, same persistence
    assert "nb" in m._buffers and "nb" in m._non_persistent_buffers_set
    assert list(m.state_dict()) == ["b"]
    m.b = None
    assert "b" in m._buffers and list(m.state_dict()) == []
    with pytest.raises(TypeError, match=re.escape(
            "cannot assign 'int' as buffer 'nb' (torch.nn.Buffer, torch.Tensor or None "
            "expected)")):
        m.nb = 3


@libs
def test_assigning_before_init(T):
    class NoInit(T.nn.Module):
        def __init__(self):
            pass

    n = NoInit()
    with pytest.raises(AttributeError, match=re.escape(
            "cannot assign parameters before Module.__init__() call")):
        n.a = T.nn.Parameter(T.ones(1))
    with pytest.raises(AttributeError, match="cannot assign module before Module.__init__"):
        n.a = T.nn.ReLU()
    with pytest.raises(AttributeError, match="cannot assign buffer before Module.__init__"):
        n.a = T.nn.Buffer(T.ones(1))
    with pytest.raises(AttributeError, match="cannot assign buffer before Module.__init__"):
        n.register_buffer("a", None)
    with pytest.raises(AttributeError, match="cannot assign parameter before Module.__init_"):
        n.register_parameter("a", None)


@libs
def test_register_buffer_subclass_without_persistent(T):
    class Custom(T.nn.Module):
        def register_buffer(self, name, tensor):
            super().register_buffer(name, tensor)

    c = Custom()
    c.x = T.nn.Buffer(T.ones(1))
    assert "x" in c._buffers
    with pytest.raises(RuntimeError, match="Registering a non-persistent buffer on a Module "
                                           "subclass that implements register_buffer"):
        c.y = T.nn.Buffer(T.ones(1), persistent=False)


# ---------------------------------------------------------------------------- getattr/delattr
@libs
def test_getattr_error_names_the_class(T):
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'foo'"):
        T.nn.Linear(1, 1).foo


@libs
def test_delattr(T):
    m = _net(T)
    del m.w, m.running, m.scratch, m.sub
    assert "w" not in m._parameters and "running" not in m._buffers
    assert "scratch" not in m._non_persistent_buffers_set and "sub" not in m._modules
    m.plain = 1
    del m.plain
    with pytest.raises(AttributeError):
        del m.nothing


@libs
def test_dir_lists_members_but_not_digit_names(T):
    m = _net(T)
    names = dir(m)
    for name in ("w", "b", "running", "scratch", "sub", "training", "forward"):
        assert name in names
    assert names == sorted(names)
    s = T.nn.Sequential(T.nn.ReLU())
    assert "0" not in dir(s)


# ---------------------------------------------------------------------------- register_*
@libs
def test_register_buffer_errors(T):
    lin = T.nn.Linear(1, 1)
    with pytest.raises(TypeError, match="buffer name should be a string. Got int"):
        lin.register_buffer(1, None)
    with pytest.raises(KeyError, match=r'buffer name can.*t contain "\."'):
        lin.register_buffer("a.b", None)
    with pytest.raises(KeyError, match="buffer name can.*t be empty string"):
        lin.register_buffer("", None)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        lin.register_buffer("weight", T.ones(1))
    with pytest.raises(TypeError, match=re.escape(
            "cannot assign 'int' object to buffer 'z' (torch Tensor or None required)")):
        lin.register_buffer("z", 3)
    lin.register_buffer("z", None)
    assert "z" in lin._buffers and list(lin.buffers()) == []


@libs
def test_register_parameter_errors(T):
    m = T.nn.Module()
    m.plain = 1
    with pytest.raises(TypeError, match="parameter name should be a string. Got int"):
        m.register_parameter(1, None)
    with pytest.raises(KeyError, match="parameter name can.*t contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="parameter name can.*t be empty string"):
        m.register_parameter("", None)
    with pytest.raises(KeyError, match="attribute 'plain' already exists"):
        m.register_parameter("plain", None)
    with pytest.raises(TypeError, match=re.escape(
            "cannot assign 'torch.FloatTensor' object to parameter 'q' (torch.nn.Parameter or "
            "None required)")):
        m.register_parameter("q", T.ones(1))
    p = T.nn.Parameter(T.ones(2), requires_grad=False)
    p.mul_(T.ones(2, requires_grad=True))   # now a Parameter with a grad_fn
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'q'"):
        m.register_parameter("q", p)
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'r'"):
        m.r = p
    m.register_parameter("n", None)
    assert m.n is None and list(m.parameters()) == []


@libs
def test_add_module_errors(T):
    m = T.nn.Module()
    m.plain = 1
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        m.add_module("x", 3)
    with pytest.raises(TypeError, match="module name should be a string. Got int"):
        m.add_module(3, T.nn.ReLU())
    with pytest.raises(KeyError, match="attribute 'plain' already exists"):
        m.add_module("plain", T.nn.ReLU())
    with pytest.raises(KeyError, match=r'module name can.*t contain "\.", got: a\.b'):
        m.add_module("a.b", T.nn.ReLU())
    with pytest.raises(KeyError, match="module name can.*t be empty string"):
        m.add_module("", T.nn.ReLU())
    m.register_module("r", T.nn.ReLU())
    m.add_module("none", None)
    assert list(m._modules) == ["r", "none"] and m.none is None


# ---------------------------------------------------------------------------- get_* by path
@libs
def test_get_submodule_parameter_buffer(T):
    outer = T.nn.Sequential(_net(T))
    assert outer.get_submodule("") is outer
    assert outer.get_submodule("0.sub") is outer[0].sub
    assert outer.get_parameter("0.sub.weight") is outer[0].sub.weight
    assert outer.get_parameter("0.w") is outer[0].w
    assert outer.get_buffer("0.running") is outer[0].running
    with pytest.raises(AttributeError, match="Sequential has no attribute `1`"):
        outer.get_submodule("1")
    with pytest.raises(AttributeError, match="`w` is not an nn.Module"):
        outer.get_submodule("0.w")
    with pytest.raises(AttributeError, match="`running` is not an nn.Parameter"):
        outer.get_parameter("0.running")
    with pytest.raises(AttributeError, match="`w` is not a buffer"):
        outer.get_buffer("0.w")
    with pytest.raises(AttributeError, match="Linear has no attribute `nope`"):
        outer.get_parameter("0.sub.nope")


@libs
def test_set_submodule(T):
    outer = T.nn.Sequential(_net(T))
    new = T.nn.Linear(2, 2)
    outer.set_submodule("0.sub", new)
    assert outer[0].sub is new
    outer.set_submodule("0.extra", T.nn.ReLU())   # created under an existing parent
    assert isinstance(outer[0].extra, T.nn.ReLU)
    with pytest.raises(AttributeError, match="has no attribute `other`"):
        outer.set_submodule("0.other", T.nn.ReLU(), strict=True)
    with pytest.raises(ValueError, match="Cannot set the submodule without a target name"):
        outer.set_submodule("", T.nn.ReLU())
    with pytest.raises(AttributeError, match="`w` is not an nn.Module"):
        outer.set_submodule("0.w", T.nn.ReLU())


# ---------------------------------------------------------------------------- iteration
@libs
def test_named_parameters_order_and_options(T):
    m = _net(T)
    assert [n for n, _ in m.named_parameters()] == ["b", "w", "sub.weight", "sub.bias"]
    assert [n for n, _ in m.named_parameters(recurse=False)] == ["b", "w"]
    assert [n for n, _ in m.named_parameters(prefix="net")] == \
        ["net.b", "net.w", "net.sub.weight", "net.sub.bias"]
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    assert len(list(m.parameters())) == 4 and len(list(m.buffers())) == 2
    assert list(m.state_dict()) == ["b", "w", "running", "sub.weight", "sub.bias"]


@libs
def test_shared_modules_and_parameters_are_listed_once(T):
    shared = T.nn.Linear(2, 2)
    s = T.nn.Sequential(shared, T.nn.ReLU(), shared)
    assert [n for n, _ in s.named_modules()] == ["", "0", "1"]
    assert [n for n, _ in s.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    assert [n for n, _ in s.named_modules(prefix="root")] == ["root", "root.0", "root.1"]
    assert [n for n, _ in s.named_children()] == ["0", "1"]
    assert [n for n, _ in s.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in s.named_parameters(remove_duplicate=False)] == \
        ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert list(s.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    tied = T.nn.Module()
    tied.a = T.nn.Parameter(T.ones(1))
    tied.b = tied.a
    assert [n for n, _ in tied.named_parameters()] == ["a"]
    assert list(tied.state_dict()) == ["a", "b"]


@libs
def test_modules_and_children(T):
    inner = T.nn.Sequential(T.nn.Linear(1, 1))
    outer = T.nn.Sequential(inner, T.nn.ReLU())
    mods = list(outer.modules())
    assert mods[0] is outer and mods[1] is inner and len(mods) == 4
    assert list(outer.children()) == [inner, outer[1]]
    named = dict(outer.named_modules())
    assert set(named) == {"", "0", "0.0", "1"}


@libs
def test_none_entries_are_skipped(T):
    lin = T.nn.Linear(2, 2, bias=False)
    assert lin.bias is None and "bias" in lin._parameters
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    assert list(lin.state_dict()) == ["weight"]
    lin.double()   # _apply skips None too
    assert lin.weight.dtype == T.float64


@libs
def test_apply_is_post_order(T):
    inner = T.nn.Sequential(T.nn.Linear(1, 1), T.nn.ReLU())
    outer = T.nn.Sequential(inner)
    seen = []
    assert outer.apply(lambda m: seen.append(type(m).__name__)) is outer
    assert seen == ["Linear", "ReLU", "Sequential", "Sequential"]


# ---------------------------------------------------------------------------- modes, grads
@libs
def test_train_eval(T):
    m = T.nn.Sequential(T.nn.Linear(1, 1), T.nn.Sequential(T.nn.ReLU()))
    assert m.eval() is m
    assert all(not x.training for x in m.modules())
    assert m.train() is m and all(x.training for x in m.modules())
    m.train(False)
    assert not m[1][0].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train(1)


@libs
def test_requires_grad_(T):
    m = _net(T)
    assert m.requires_grad_(False) is m
    assert not any(p.requires_grad for p in m.parameters())
    m.sub.requires_grad_()
    assert [p.requires_grad for p in m.parameters()] == [False, False, True, True]
    assert not m.running.requires_grad


@libs
def test_zero_grad(T):
    p = T.nn.Parameter(T.ones(2))
    m = T.nn.Module()
    m.p = p
    (p * 3).sum().backward()
    g = p.grad
    m.zero_grad(set_to_none=False)
    assert p.grad is g and values(g).tolist() == [0.0, 0.0]
    (p * 3).sum().backward()
    assert values(p.grad).tolist() == [3.0, 3.0]
    assert m.zero_grad() is None and p.grad is None


# ---------------------------------------------------------------------------- conversions
@libs
def test_double_keeps_parameter_and_grad_objects(T):
    lin = T.nn.Linear(2, 2)
    lin.register_buffer("count", T.zeros((), dtype=T.int64))
    w = lin.weight
    lin(T.ones(1, 2)).sum().backward()
    g = lin.weight.grad
    assert lin.double() is lin
    assert lin.weight is w and lin.weight.grad is g
    assert w.dtype == T.float64 and g.dtype == T.float64 and w.requires_grad
    assert lin.count.dtype == T.int64   # integer buffers are not floating point: untouched
    lin.float()
    assert w.dtype == T.float32 and lin.count.dtype == T.int64
    lin.half()
    assert w.dtype == T.float16
    lin.bfloat16()
    assert w.dtype == T.bfloat16
    lin.type(T.float64)   # type() casts everything, integers included
    assert w.dtype == T.float64 and lin.count.dtype == T.float64


@libs
def test_to(T):
    lin = T.nn.Linear(2, 2)
    lin.register_buffer("count", T.zeros((), dtype=T.int64))
    w = lin.weight
    assert lin.to(T.float64) is lin and w.dtype == T.float64
    assert lin.count.dtype == T.int64
    lin.to(T.ones(1, dtype=T.float32))
    assert w.dtype == T.float32
    lin.to("cpu", T.float64)
    assert w.dtype == T.float64
    lin.to(device="cpu", dtype=T.float32, non_blocking=True)
    assert w.dtype == T.float32 and lin.weight is w
    assert lin.cpu() is lin and w.device.type == "cpu"
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex "
                                        "dtypes, but got desired dtype=torch.int64"):
        lin.to(T.int64)


@libs
def test_to_complex_warns(T):
    lin = T.nn.Linear(2, 2, bias=False)
    with pytest.warns(UserWarning, match="Complex modules are a new feature"):
        lin.to(T.complex128)
    assert lin.weight.dtype == T.complex128


@libs
def test_to_empty(T):
    lin = T.nn.Linear(2, 3)
    w = lin.weight
    with pytest.raises(TypeError):
        lin.to_empty("cpu")   # keyword-only
    assert lin.to_empty(device="cpu") is lin
    assert lin.weight is w and type(w) is T.nn.Parameter and w.requires_grad
    assert tuple(w.shape) == (3, 2)


@libs
def test_unavailable_devices(T):
    lin = T.nn.Linear(1, 1)
    with pytest.raises(AssertionError, match="Torch not compiled with XPU enabled"):
        lin.xpu()
    with pytest.raises(RuntimeError, match="PyTorch is not linked with support for ipu"):
        lin.ipu()
    assert T.nn.ReLU().xpu() is not None   # nothing to move: no error


@libs
def test_cuda_without_gpu_raises(T):
    if T.cuda.is_available():
        pytest.skip("a GPU is available")
    with pytest.raises(AssertionError):
        T.nn.Linear(1, 1).cuda()


def test_cuda_without_gpu_is_also_a_runtime_error():
    if minitorch_nn.cuda.is_available():
        pytest.skip("a GPU is available")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        minitorch_nn.nn.Linear(1, 1).cuda()


@pytest.mark.cuda
def test_cuda_moves_and_keeps_parameters():
    lin = minitorch_nn.nn.Linear(2, 2)
    w = lin.weight
    lin(minitorch_nn.ones(1, 2)).sum().backward()
    g = w.grad
    assert lin.cuda() is lin and lin.weight is w and w.grad is g
    assert w.device.type == "cuda" and g.device.type == "cuda"
    out = lin(minitorch_nn.ones(1, 2, device="cuda"))
    assert out.device.type == "cuda"
    lin.cpu()
    assert w.device.type == "cpu" and w.grad.device.type == "cpu"


@libs
def test_share_memory_returns_self(T):
    lin = T.nn.Linear(1, 1)
    assert lin.share_memory() is lin


# ---------------------------------------------------------------------------- repr
@libs
def test_repr_layout(T):
    class Block(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = T.nn.Linear(2, 3)
            self.act = T.nn.Sequential(T.nn.ReLU(), T.nn.Sigmoid())

        def extra_repr(self):
            return "scale=2"

    class Multi(T.nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"

    assert repr(T.nn.Module()) == "Module()"
    assert repr(T.nn.Linear(2, 3)) == "Linear(in_features=2, out_features=3, bias=True)"
    assert repr(T.nn.ReLU()) == "ReLU()" and repr(T.nn.ReLU(inplace=True)) == \
        "ReLU(inplace=True)"
    assert repr(Block()) == (
        "Block(\n"
        "  scale=2\n"
        "  (fc): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (act): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Sigmoid()\n"
        "  )\n"
        ")")
    assert repr(Multi()) == "Multi(\n  a=1\n  b=2\n)"


# ---------------------------------------------------------------------------- copying
@libs
def test_deepcopy_keeps_sharing_inside_the_copy(T):
    lin = T.nn.Linear(2, 2)
    s = T.nn.Sequential(lin, T.nn.ReLU(), lin)
    s.register_buffer("steps", T.zeros(1))
    c = copy.deepcopy(s)
    assert c[0] is c[2] and c[0].weight is c[2].weight
    assert c[0].weight is not lin.weight and type(c[0].weight) is T.nn.Parameter
    assert np.array_equal(values(c[0].weight), values(lin.weight))
    with T.no_grad():
        c[0].weight.add_(1)
    assert not np.array_equal(values(c[0].weight), values(lin.weight))
    assert [n for n, _ in c.named_parameters()] == ["0.weight", "0.bias"]
    tied = T.nn.Module()
    tied.a = T.nn.Parameter(T.ones(1))
    tied.b = tied.a
    t2 = copy.deepcopy(tied)
    assert t2.a is t2.b and t2.a is not tied.a


@libs
def test_deepcopy_keeps_hooks_and_training_flag(T):
    m = T.nn.Linear(1, 1)
    m.eval()
    m.register_forward_hook(lambda mod, args, out: out * 0)
    c = copy.deepcopy(m)
    assert not c.training and len(c._forward_hooks) == 1
    assert values(c(T.ones(1, 1))).tolist() == [[0.0]]


@libs
def test_pickle_roundtrip(T):
    m = _net(T)
    r = pickle.loads(pickle.dumps(T.nn.Sequential(T.nn.Linear(2, 2), T.nn.ReLU())))
    assert [n for n, _ in r.named_parameters()] == ["0.weight", "0.bias"]
    assert type(r[0].weight) is T.nn.Parameter and r[0].weight.requires_grad
    del m


# ---------------------------------------------------------------------------- Linear / init
@libs
def test_linear_parameters_and_init_bounds(T):
    lin = T.nn.Linear(20, 30)
    assert tuple(lin.weight.shape) == (30, 20) and tuple(lin.bias.shape) == (30,)
    bound = 1 / math.sqrt(20)
    assert np.abs(values(lin.weight)).max() <= bound
    assert np.abs(values(lin.bias)).max() <= bound
    assert np.abs(values(lin.weight)).max() > bound / 2   # really spread over the range
    old = values(lin.weight)
    lin.reset_parameters()
    assert not np.array_equal(old, values(lin.weight))
    l64 = T.nn.Linear(2, 2, dtype=T.float64, device="cpu")
    assert l64.weight.dtype == T.float64 and l64.bias.dtype == T.float64
    assert lin.in_features == 20 and lin.out_features == 30


@libs
def test_identity(T):
    x = T.ones(2)
    assert T.nn.Identity(3, foo=4)(x) is x
    assert repr(T.nn.Identity()) == "Identity()"


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
def test_linear_forward_and_backward_match_torch():
    ours, ref = minitorch_nn.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    copy_params(ref, ours)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    xo = minitorch_nn.tensor(x, requires_grad=True)
    xr = torch.tensor(x, requires_grad=True)
    yo, yr = ours(xo), ref(xr)
    np.testing.assert_allclose(values(yo), values(yr), rtol=1e-5, atol=1e-6)
    (yo * yo).sum().backward()
    (yr * yr).sum().backward()
    for a, b in ((ours.weight.grad, ref.weight.grad), (ours.bias.grad, ref.bias.grad),
                 (xo.grad, xr.grad)):
        np.testing.assert_allclose(values(a), values(b), rtol=1e-5, atol=1e-6)


@libs
def test_activations(T):
    x = T.tensor([-1.0, 0.0, 2.0])
    assert values(T.nn.ReLU()(x)).tolist() == [0.0, 0.0, 2.0]
    np.testing.assert_allclose(values(T.nn.Sigmoid()(x)), 1 / (1 + np.exp([1.0, 0.0, -2.0])),
                               rtol=1e-6)
    np.testing.assert_allclose(values(T.nn.Tanh()(x)), np.tanh([-1.0, 0.0, 2.0]), rtol=1e-6)
    y = T.tensor([-1.0, 3.0])
    out = T.nn.ReLU(inplace=True)(y)
    assert values(y).tolist() == [0.0, 3.0] and values(out).tolist() == [0.0, 3.0]


@libs
def test_init_functions(T):
    init = T.nn.init
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("tanh") == 5.0 / 3 and init.calculate_gain("linear") == 1
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    w = T.empty(5, 4, 3)
    assert init._calculate_fan_in_and_fan_out(w) == (12, 15)
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed"):
        init._calculate_fan_in_and_fan_out(T.empty(3))
    p = T.nn.Parameter(T.empty(3, 2))
    assert init.constant_(p, 0.5) is p and values(p).tolist() == [[0.5] * 2] * 3
    assert values(init.zeros_(p)).sum() == 0 and values(init.ones_(p)).sum() == 6
    init.uniform_(p, -0.1, 0.1)
    assert np.abs(values(p)).max() <= 0.1
    big = T.empty(200, 50)
    init.normal_(big, 3.0, 0.5)
    assert abs(values(big).mean() - 3.0) < 0.05 and abs(values(big).std() - 0.5) < 0.05
    init.kaiming_uniform_(big, a=math.sqrt(5))
    assert np.abs(values(big)).max() <= 1 / math.sqrt(50)
    init.kaiming_normal_(big, nonlinearity="relu")
    assert abs(values(big).std() - math.sqrt(2 / 50)) < 0.02
    init.xavier_uniform_(big)
    assert np.abs(values(big)).max() <= math.sqrt(6 / 250)
    init.xavier_normal_(big)
    assert abs(values(big).std() - math.sqrt(2 / 250)) < 0.01
    with pytest.raises(ValueError, match="Mode fan_mid not supported"):
        init.kaiming_uniform_(big, mode="fan_mid")
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(T.empty(0, 3))
