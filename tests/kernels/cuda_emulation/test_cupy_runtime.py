"""CupyRuntime (kernels/cuda/_launch.py) against a recording stand-in for cupy.RawModule.

What NVRTC is asked to compile, without a GPU: per family, the float/double instances in
one module compiled without the half headers (so a machine whose NVRTC cannot find
cuda_fp16.h still runs every float32 kernel), the half instances in another, each compiled
once and only when first launched; a compile failure names the family and the remedy.
"""
from __future__ import annotations

import sys
import types

import pytest

from minitorch_nn.kernels.cuda import _launch
from minitorch_nn.kernels.cuda.activation import KERNELS as ACTIVATION


class _RawModule:
    """Records its arguments; `fail_on` makes compile() raise for options containing it."""

    made: list = []
    fail_on: str | None = None

    def __init__(self, code, options, name_expressions):
        self.code, self.options, self.names = code, options, list(name_expressions)
        _RawModule.made.append(self)

    def compile(self):
        if _RawModule.fail_on is not None and _RawModule.fail_on not in self.options:
            raise ValueError("catastrophic error: cannot open source file \"cuda_fp16.h\"")

    def get_function(self, symbol):
        assert symbol in self.names, f"{symbol} was not compiled"
        return lambda grid, block, args: None


@pytest.fixture
def runtime(monkeypatch):
    fake = types.SimpleNamespace(RawModule=_RawModule)
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.setattr(_RawModule, "made", [])
    monkeypatch.setattr(_RawModule, "fail_on", None)
    return _launch.CupyRuntime()


def test_float_instances_compile_without_half_headers(runtime):
    runtime.function(ACTIVATION, "relu_fwd", "float")
    runtime.function(ACTIVATION, "gelu_fwd", "double")
    (module,) = _RawModule.made   # one module for both, compiled once
    assert _launch.NO_HALF_OPTION in module.options
    assert "relu_fwd<float>" in module.names and "gelu_fwd<double>" in module.names
    assert not any("__half" in n or "bfloat16" in n for n in module.names)


def test_half_instances_compile_on_first_half_launch(runtime):
    runtime.function(ACTIVATION, "relu_fwd", "float")
    runtime.function(ACTIVATION, "relu_fwd", "__half")
    runtime.function(ACTIVATION, "silu_fwd", "__nv_bfloat16")
    assert len(_RawModule.made) == 2
    half = _RawModule.made[1]
    assert _launch.NO_HALF_OPTION not in half.options
    assert "relu_fwd<__half>" in half.names and "silu_fwd<__nv_bfloat16>" in half.names
    assert "relu_fwd<float>" not in half.names


def test_every_instance_belongs_to_exactly_one_group():
    both = ACTIVATION.name_expressions("float") + ACTIVATION.name_expressions("half")
    assert sorted(both) == sorted(ACTIVATION.name_expressions())


def test_half_compile_failure_names_the_remedy_and_spares_float(runtime):
    _RawModule.fail_on = _launch.NO_HALF_OPTION   # only the module with half headers fails
    runtime.function(ACTIVATION, "relu_fwd", "float")
    with pytest.raises(RuntimeError, match=r"activation\.cu \(half instances\).*CUDA_PATH"):
        runtime.function(ACTIVATION, "relu_fwd", "__half")
