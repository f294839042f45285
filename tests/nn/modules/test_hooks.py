"""Module hooks: forward (pre) hooks, full backward (pre) hooks, the deprecated backward hook,
global hooks and RemovableHandle, each checked against PyTorch."""
from __future__ import annotations

import re
import warnings

import pytest

from nn_libs import libs, values


def _scale(T):
    class Scale(T.nn.Module):
        def forward(self, x, factor=2.0):
            return x * factor

    return Scale()


@pytest.fixture
def reset_global_hooks():
    """Tests of global hooks must leave the global dicts (and the full/non-full flag) clean."""
    yield
    for mod in _modules_of_both():
        mod._global_is_full_backward_hook = None
        for name in ("_global_forward_pre_hooks", "_global_forward_hooks",
                     "_global_backward_hooks", "_global_backward_pre_hooks",
                     "_global_forward_hooks_always_called", "_global_forward_hooks_with_kwargs",
                     "_global_parameter_registration_hooks",
                     "_global_module_registration_hooks", "_global_buffer_registration_hooks"):
            getattr(mod, name).clear()


def _modules_of_both():
    import minitorch_nn.nn.modules.module as ours
    mods = [ours]
    try:
        import torch.nn.modules.module as theirs
        mods.append(theirs)
    except ImportError:
        pass
    return mods


# ---------------------------------------------------------------------------- forward pre
@libs
def test_forward_pre_hook_replaces_args(T):
    m = _scale(T)
    seen = []

    def hook(module, args):
        seen.append((module is m, len(args)))
        return args[0] + 1   # a non-tuple is wrapped into a 1-tuple

    h = m.register_forward_pre_hook(hook)
    assert values(m(T.ones(1))).tolist() == [4.0]
    assert seen == [(True, 1)]
    h.remove()
    assert values(m(T.ones(1))).tolist() == [2.0]
    m.register_forward_pre_hook(lambda mod, args: (args[0], 10.0))
    assert values(m(T.ones(1))).tolist() == [10.0]


@libs
def test_forward_pre_hook_does_not_see_kwargs(T):
    m = _scale(T)
    seen = []
    m.register_forward_pre_hook(lambda mod, args: seen.append(args))
    m(x=T.ones(1))
    assert seen == [()]


@libs
def test_forward_pre_hook_with_kwargs(T):
    m = _scale(T)
    seen = []

    def hook(module, args, kwargs):
        seen.append(dict(kwargs))
        return args, {"factor": 5.0}

    m.register_forward_pre_hook(hook, with_kwargs=True)
    assert values(m(T.ones(1), factor=3.0)).tolist() == [5.0]
    assert seen == [{"factor": 3.0}]
    bad = _scale(T)
    bad.register_forward_pre_hook(lambda mod, args, kwargs: (T.tensor([1.0]),),
                                  with_kwargs=True)
    with pytest.raises(RuntimeError, match=re.escape(
            "forward pre-hook must return None or a tuple of (new_args, new_kwargs), but got "
            "(tensor([1.]),).")):
        bad(T.ones(1))


@libs
def test_hook_order_and_prepend(T):
    m = _scale(T)
    order = []
    m.register_forward_pre_hook(lambda *a: order.append("a"))
    m.register_forward_pre_hook(lambda *a: order.append("b"))
    m.register_forward_pre_hook(lambda *a: order.append("first"), prepend=True)
    m.register_forward_hook(lambda *a: order.append("fa"))
    m.register_forward_hook(lambda *a: order.append("ffirst"), prepend=True)
    m(T.ones(1))
    assert order == ["first", "a", "b", "ffirst", "fa"]


# ---------------------------------------------------------------------------- forward hooks
@libs
def test_forward_hook_replaces_output_and_sees_modified_args(T):
    m = _scale(T)
    seen = []
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 10,))

    def hook(module, args, output):
        seen.append((values(args[0]).tolist(), values(output).tolist()))
        return output + 1

    m.register_forward_hook(hook)
    assert values(m(T.ones(1))).tolist() == [21.0]
    assert seen == [([10.0], [20.0])]


@libs
def test_forward_hook_with_kwargs(T):
    m = _scale(T)
    seen = []
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.append((len(args), kwargs)),
                            with_kwargs=True)
    m(T.ones(1), factor=3.0)
    assert seen == [(1, {"factor": 3.0})]


@libs
def test_always_call_hooks_run_when_forward_raises(T):
    class Boom(T.nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    seen = []
    m.register_forward_hook(lambda mod, args, out: seen.append(("always", out)),
                            always_call=True)
    m.register_forward_hook(lambda mod, args, out: seen.append("normal"))
    with pytest.raises(ValueError, match="boom"):
        m(T.ones(1))
    assert seen == [("always", None)]

    def failing(mod, args, out):
        raise KeyError("inner")

    m2 = Boom()
    m2.register_forward_hook(failing, always_call=True)
    with pytest.warns(UserWarning, match="module forward hook with ``always_call=True`` raised "
                                         "an exception that was silenced"):
        with pytest.raises(ValueError, match="boom"):
            m2(T.ones(1))


@libs
def test_always_call_hook_runs_once_on_success(T):
    m = _scale(T)
    seen = []
    m.register_forward_hook(lambda *a: seen.append(1), always_call=True)
    m(T.ones(1))
    assert seen == [1]


# ---------------------------------------------------------------------------- handles
@libs
def test_removable_handle(T):
    m = _scale(T)
    h = m.register_forward_hook(lambda *a: None, with_kwargs=True, always_call=True)
    assert h.id in m._forward_hooks and h.id in m._forward_hooks_with_kwargs
    assert h.id in m._forward_hooks_always_called
    h.remove()
    h.remove()   # idempotent
    assert not m._forward_hooks and not m._forward_hooks_with_kwargs
    assert not m._forward_hooks_always_called
    with m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,)) as h2:
        assert values(m(T.ones(1))).tolist() == [0.0]
    assert h2.id not in m._forward_pre_hooks
    assert values(m(T.ones(1))).tolist() == [2.0]
    a = m.register_forward_hook(lambda *x: None)
    b = m.register_forward_hook(lambda *x: None)
    assert b.id > a.id and list(m._forward_hooks) == [a.id, b.id]


def test_removable_handle_signature():
    from collections import OrderedDict

    from minitorch_nn.nn.utils.hooks import RemovableHandle
    d, e1, e2 = OrderedDict(), OrderedDict(), OrderedDict()
    h = RemovableHandle(d, extra_dict=[e1, e2])
    d[h.id] = e1[h.id] = e2[h.id] = 1
    h.remove()
    assert d == e1 == e2 == {}
    g = RemovableHandle(d, extra_dict=e1)
    d[g.id] = e1[g.id] = 1
    g.remove()
    assert d == e1 == {}


# ---------------------------------------------------------------------------- global hooks
@libs
def test_global_hooks_run_first(T, reset_global_hooks):
    mm = T.nn.modules.module
    order = []
    m = _scale(T)
    m.register_forward_pre_hook(lambda *a: order.append("own"))
    m.register_forward_pre_hook(lambda *a: order.append("own-first"), prepend=True)
    h1 = mm.register_module_forward_pre_hook(lambda *a: order.append("global-pre"))
    h2 = mm.register_module_forward_hook(lambda mod, args, out: order.append("global-fwd"))
    m.register_forward_hook(lambda *a: order.append("own-fwd"))
    m(T.ones(1))
    assert order == ["global-pre", "own-first", "own", "global-fwd", "own-fwd"]
    h1.remove()
    h2.remove()
    order.clear()
    T.nn.ReLU()(T.ones(1))
    assert order == []


@libs
def test_global_forward_hook_sees_every_module(T, reset_global_hooks):
    names = []
    h = T.nn.modules.module.register_module_forward_hook(
        lambda mod, args, out: names.append(type(mod).__name__))
    T.nn.Sequential(T.nn.ReLU(), T.nn.Identity())(T.ones(1))
    h.remove()
    assert names == ["ReLU", "Identity", "Sequential"]


@libs
def test_global_registration_hooks(T, reset_global_hooks):
    mm = T.nn.modules.module
    seen = []
    hp = mm.register_module_parameter_registration_hook(
        lambda mod, name, p: seen.append(("param", name)))
    hb = mm.register_module_buffer_registration_hook(
        lambda mod, name, b: seen.append(("buffer", name)))
    hm = mm.register_module_module_registration_hook(
        lambda mod, name, sub: seen.append(("module", name)))
    m = T.nn.Module()
    m.p = T.nn.Parameter(T.ones(1))
    m.register_buffer("b", T.ones(1))
    m.sub = T.nn.ReLU()
    for h in (hp, hb, hm):
        h.remove()
    assert seen == [("param", "p"), ("buffer", "b"), ("module", "sub")]
    replace = mm.register_module_buffer_registration_hook(lambda mod, name, b: b * 0)
    m.register_buffer("z", T.ones(1))
    replace.remove()
    assert values(m.z).tolist() == [0.0]


@libs
def test_global_full_backward_hooks(T, reset_global_hooks):
    mm = T.nn.modules.module
    seen = []
    h = mm.register_module_full_backward_hook(
        lambda mod, gi, go: seen.append(type(mod).__name__))
    hp = mm.register_module_full_backward_pre_hook(
        lambda mod, go: seen.append("pre-" + type(mod).__name__))
    x = T.ones(2, requires_grad=True)
    T.nn.Identity()(x * 2).sum().backward()
    h.remove()
    hp.remove()
    assert seen == ["pre-Identity", "Identity"]
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full "
                                           "backward hooks as a global Module hook"):
        mm.register_module_backward_hook(lambda *a: None)


# ---------------------------------------------------------------------------- full backward
def _two_outputs(T):
    class M(T.nn.Module):
        def forward(self, x, y, k=None):
            return x * 2 + y * 3, x * y

    return M()


@libs
def test_full_backward_hook_sees_input_and_output_grads(T):
    m = _two_outputs(T)
    seen = []
    m.register_full_backward_pre_hook(lambda mod, go: seen.append(("pre", [values(g).tolist()
                                                                           for g in go])))
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(
        ("hook", [values(g).tolist() for g in gi], [values(g).tolist() for g in go])))
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = T.tensor([3.0, 4.0], requires_grad=True)
    a, b = m(x, y, k=1)
    assert type(a.grad_fn).__name__ == "BackwardHookFunctionBackward"
    assert a.grad_fn.name() == "BackwardHookFunctionBackward"
    (a.sum() + b.sum()).backward()
    assert seen == [("pre", [[1.0, 1.0], [1.0, 1.0]]),
                    ("hook", [[5.0, 6.0], [4.0, 5.0]], [[1.0, 1.0], [1.0, 1.0]])]
    assert values(x.grad).tolist() == [5.0, 6.0] and values(y.grad).tolist() == [4.0, 5.0]


@libs
def test_full_backward_hook_replaces_grad_input(T):
    m = _two_outputs(T)
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0, None))
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = T.tensor([3.0, 4.0], requires_grad=True)
    a, _ = m(x, y)
    a.sum().backward()
    assert values(x.grad).tolist() == [0.0, 0.0] and y.grad is None
    bad = _two_outputs(T)
    bad.register_full_backward_hook(lambda mod, gi, go: (gi[0],))
    a, _ = bad(T.ones(1, requires_grad=True), T.ones(1, requires_grad=True))
    with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of "
                                           "grad_input, got 1, but expected 2"):
        a.sum().backward()


@libs
def test_full_backward_pre_hook_replaces_grad_output(T):
    lin = T.nn.Linear(2, 1)
    lin.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2,))
    x = T.ones(1, 2, requires_grad=True)
    lin(x).sum().backward()
    assert values(lin.bias.grad).tolist() == [2.0]
    assert values(x.grad).tolist() == [(values(lin.weight)[0] * 2).tolist()]
    bad = T.nn.Identity()
    bad.register_full_backward_pre_hook(lambda mod, go: (go[0], go[0]))
    with pytest.raises(RuntimeError, match="Backward pre hook returned an invalid number of "
                                           "grad_output, got 2, but expected 1"):
        bad(T.ones(1, requires_grad=True) * 1).sum().backward()


@libs
def test_full_backward_hook_without_input_grads_warns(T):
    lin = T.nn.Linear(2, 1)
    seen = []
    lin.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, len(go))))
    with pytest.warns(UserWarning, match="Full backward hook is firing when gradients are "
                                         "computed with respect to module outputs since no "
                                         "inputs require gradients"):
        lin(T.ones(1, 2)).sum().backward()
    assert seen == [((None,), 1)]
    bad = T.nn.Linear(2, 1)
    bad.register_full_backward_hook(lambda mod, gi, go: (T.ones(1, 2),))
    with pytest.warns(UserWarning):
        with pytest.raises(RuntimeError, match="Backward hook for Modules where no input "
                                               "requires gradient should always return None"):
            bad(T.ones(1, 2)).sum().backward()


@libs
def test_full_backward_hook_non_tensor_and_keyword_inputs(T):
    m = _scale(T)
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(
        [None if g is None else values(g).tolist() for g in gi]))
    x = T.ones(2, requires_grad=True)
    m(x, 3.0).sum().backward()
    assert seen == [[[3.0, 3.0], None]]
    seen.clear()
    with pytest.warns(UserWarning, match="no inputs require gradients"):
        m(x=T.ones(2, requires_grad=True), factor=2.0).sum().backward()
    assert seen == [[]]   # kwargs are not part of grad_input


@libs
def test_full_backward_hook_not_fired_without_output_grad(T):
    m = T.nn.Identity()
    seen = []
    m.register_full_backward_hook(lambda *a: seen.append(1))
    x = T.ones(2, requires_grad=True)
    out = m(x)
    (x * 2).sum().backward()
    assert seen == [] and out.requires_grad
    with T.no_grad():
        y = m(x)
    assert y is x   # no graph: no BackwardHookFunction either


@libs
def test_full_backward_hook_outputs_are_views(T):
    m = T.nn.Identity()
    m.register_full_backward_hook(lambda *a: None)
    x = T.ones(2, requires_grad=True)
    out = m(x)
    assert out is not x and out._base is x
    with pytest.raises(RuntimeError, match="Output 0 of BackwardHookFunction is a view and is "
                                           "being modified inplace"):
        out.add_(1)
    with T.no_grad():
        out.add_(1)   # allowed without a graph
    assert values(x).tolist() == [2.0, 2.0]


@libs
def test_full_backward_hook_prepend_and_remove(T):
    m = T.nn.Identity()
    order = []
    h = m.register_full_backward_hook(lambda *a: order.append("a"))
    m.register_full_backward_hook(lambda *a: order.append("first"), prepend=True)
    m.register_full_backward_pre_hook(lambda *a: order.append("pre"))
    m.register_full_backward_pre_hook(lambda *a: order.append("pre-first"), prepend=True)
    m(T.ones(1, requires_grad=True)).sum().backward()
    assert order == ["pre-first", "pre", "first", "a"]
    h.remove()
    order.clear()
    m(T.ones(1, requires_grad=True)).sum().backward()
    assert order == ["pre-first", "pre", "first"]


@libs
def test_mixing_backward_hook_kinds_is_refused(T):
    m = T.nn.Linear(1, 1)
    m.register_backward_hook(lambda *a: None)
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full "
                                           "backward hooks on a single Module"):
        m.register_full_backward_hook(lambda *a: None)
    n = T.nn.Linear(1, 1)
    n.register_full_backward_hook(lambda *a: None)
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks"):
        n.register_backward_hook(lambda *a: None)


@libs
def test_full_backward_hook_in_a_sequential(T):
    seq = T.nn.Sequential(T.nn.Linear(2, 2), T.nn.ReLU(), T.nn.Linear(2, 1))
    seen = []
    for name, mod in seq.named_children():
        mod.register_full_backward_hook(
            lambda mod, gi, go, name=name: seen.append((name, tuple(go[0].shape))))
    seq(T.ones(3, 2, requires_grad=True)).sum().backward()
    assert seen == [("2", (3, 1)), ("1", (3, 2)), ("0", (3, 2))]


# ---------------------------------------------------------------------------- deprecated hook
@libs
def test_deprecated_backward_hook_is_a_node_hook(T):
    class Model(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_backward_hook(self.hook)
            self.seen = []

        def hook(self, module, grad_input, grad_output):
            self.seen.append(([values(g).tolist() for g in grad_input],
                              [values(g).tolist() for g in grad_output]))
            return grad_input[0] + 1000.0, grad_input[1] - 2000.0

        def forward(self, x, y):
            return 2 * x + 3 * y

    x = T.tensor([2.0, 3.0], requires_grad=True)
    y = T.tensor([6.0, 4.0], requires_grad=True)
    model = Model()
    with pytest.warns(FutureWarning, match="Using a non-full backward hook when the forward "
                                           "contains multiple autograd Nodes"):
        out = model(x, y)
    (out * T.tensor([8.0, 6.0])).sum().backward()
    assert model.seen == [([[8.0, 6.0], [8.0, 6.0]], [[8.0, 6.0]])]
    assert values(x.grad).tolist() == [2016.0, 2012.0]
    assert values(y.grad).tolist() == [-5976.0, -5982.0]


@libs
def test_deprecated_backward_hook_single_node_does_not_warn(T):
    class Add(T.nn.Module):
        def forward(self, x, y):
            return x + y

    m = Add()
    m.register_backward_hook(lambda mod, gi, go: None)
    x, y = T.ones(1, requires_grad=True) * 1, T.ones(1, requires_grad=True) * 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # inputs' nodes are the output node's next functions
        out = m(x, y)
    out.sum().backward()


@libs
def test_backward_hook_output_must_be_tensor_warning(T):
    class Dict(T.nn.Module):
        def forward(self, x):
            return {"y": x * 2}

    m = Dict()
    m.register_full_backward_hook(lambda *a: None)
    with pytest.warns(UserWarning, match="For backward hooks to be called, module output "
                                         "should be a Tensor or a tuple of Tensors"):
        m(T.ones(1, requires_grad=True))
