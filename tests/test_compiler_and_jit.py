"""torch.compile, torch.compiler, torch.jit and torch.onnx: accepted and run eagerly (same
results), with PyTorch's wrapper types where code depends on them and its errors."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch


def _linear():
    mt.manual_seed(0)
    return mt.nn.Linear(2, 3)


def test_compiled_module_runs_the_module_and_prefixes_state_dict():
    m = _linear()
    c = mt.compile(m)
    x = mt.ones(4, 2)
    np.testing.assert_array_equal(c(x).detach().numpy(), m(x).detach().numpy())
    assert c._orig_mod is m and c.weight is m.weight
    assert list(c.state_dict()) == ["_orig_mod.weight", "_orig_mod.bias"]
    assert [n for n, _ in c.named_parameters()] == ["_orig_mod.weight", "_orig_mod.bias"]
    assert repr(c).startswith("OptimizedModule(\n  (_orig_mod): Linear(")
    c.eval()
    assert m.training is False


def test_compiled_function_and_decorator_forms():
    f = mt.compile(lambda x: x * 2)
    assert f(mt.ones(2)).tolist() == [2.0, 2.0]

    @mt.compile(mode="reduce-overhead", fullgraph=True)
    def g(x):
        return x + 1
    assert g.__name__ == "g" and g(mt.ones(1)).tolist() == [2.0]


@pytest.mark.parametrize("call, cls, match", [
    (lambda: mt.compile(mt.nn.Linear(1, 1), mode="x"), RuntimeError, "Unrecognized mode=x"),
    (lambda: mt.compile(mt.nn.Linear(1, 1), mode="default", options={}), RuntimeError,
     "Either mode or options"),
    (lambda: mt.compile(3), AssertionError, "A callable function is expected"),
])
def test_compile_errors(call, cls, match):
    with pytest.raises(cls, match=match):
        call()


@requires_torch
@pytest.mark.filterwarnings("ignore::DeprecationWarning")   # torch.compile's own imports
def test_compile_errors_are_pytorchs():
    for args, kwargs in [((torch.nn.Linear(1, 1),), {"mode": "x"}), ((3,), {})]:
        with pytest.raises(Exception) as theirs:
            torch.compile(*args, **kwargs)
        ours_args = (mt.nn.Linear(1, 1),) if isinstance(args[0], torch.nn.Module) else args
        with pytest.raises(Exception) as ours:
            mt.compile(*ours_args, **kwargs)
        assert type(ours.value) is type(theirs.value)
        assert str(ours.value) == str(theirs.value)


def test_compiler_namespace():
    assert mt.compiler.is_compiling() is False
    assert mt.compiler.disable(len) is len
    assert "inductor" in mt.compiler.list_backends()


def test_jit_script_and_trace_run_eagerly():
    m = _linear()
    assert mt.jit.script(m) is m
    calls = []

    def f(x):
        calls.append(1)
        return x * 3
    traced = mt.jit.trace(f, (mt.ones(2),))
    assert calls == [1] and traced(mt.ones(1)).tolist() == [3.0]
    assert mt.jit.trace(m, mt.ones(1, 2)) is m
    assert mt.jit.is_scripting() is False and mt.jit.is_tracing() is False
    assert mt.jit.annotate(int, 3) == 3
    assert mt.jit.ignore(f) is f and mt.jit.ignore(drop=True)(f) is f and mt.jit.unused(f) is f
    assert mt.jit.wait(mt.jit.fork(f, mt.ones(1))).tolist() == [3.0]
    with pytest.raises(RuntimeError, match="torch.save"):
        mt.jit.save(m, "x.pt")
