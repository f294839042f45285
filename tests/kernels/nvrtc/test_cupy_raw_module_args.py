"""Our launch code's `cupy.RawModule` arguments, accepted by the real CuPy without a device.

Why: the only CuPy kernel API our code uses is `RawModule` (kernels/cuda/_launch.py:
`RawModule(code=..., options=..., name_expressions=...)`, then `compile()`,
`get_function(symbol)` and a launch `kernel(grid, block, args)`); it defines no
`ElementwiseKernel`, `ReductionKernel`, `RawKernel` nor `fuse` (checked below, so that
adding one asks for its own check here). The real RawModule checks its arguments when it is
constructed and compiles lazily, so every unit `CupyRuntime._module` builds is constructed
here by the real class, with compilation left out (test_nvrtc_compile.py compiles them
where NVRTC is installed). Its own checks are loose (a str given as name_expressions is
taken as a sequence of one-character names), so the stored arguments are also compared
with what the launch code meant. The methods and the launch call are checked against the
signatures Cython embeds in CuPy's docstrings.
"""
from __future__ import annotations

import importlib
import pathlib
import types

import pytest

import cupy_api_check as check
from minitorch_nn.kernels.cuda import _launch

CUDA_DIR = pathlib.Path(_launch.__file__).resolve().parent
FAMILIES = sorted(p.stem for p in CUDA_DIR.glob("*.cu"))
UNDEFINED = ("ElementwiseKernel", "ReductionKernel", "RawKernel", "fuse")


def _family(name: str) -> _launch.Family:
    return importlib.import_module(f"minitorch_nn.kernels.cuda.{name}").KERNELS


UNITS = [(f, g) for f in FAMILIES for g in ("float", "half") if _family(f).name_expressions(g)]


@pytest.fixture
def constructed(real_cupy):
    """A CupyRuntime whose RawModule is the real class with compile() left out; returns
    build(family, group) -> the constructed real RawModule."""
    class RawModule(real_cupy.RawModule):
        def compile(self, log_stream=None):
            """Left out: compiling needs NVRTC (test_nvrtc_compile.py)."""

    runtime = _launch.CupyRuntime()
    runtime._cupy = types.SimpleNamespace(RawModule=RawModule)
    return lambda family, group: runtime._module(_family(family), group)


FLOAT_ONLY = ("attention", "optim", "recurrent")   # families without half instances


def test_units_exist():
    assert len(UNITS) >= 2 * len(FAMILIES) - len(FLOAT_ONLY) and ("activation", "half") in UNITS
    assert all((f, "half") not in UNITS for f in FLOAT_ONLY)


@pytest.mark.parametrize("family,group", UNITS, ids=[f"{f}-{g}" for f, g in UNITS])
def test_real_raw_module_takes_our_arguments(constructed, real_cupy, family, group):
    module = constructed(family, group)
    assert isinstance(module, real_cupy.RawModule)
    expected = _family(family).name_expressions(group)
    assert isinstance(expected, list) and all(isinstance(e, str) and len(e) > 1
                                             for e in expected)
    assert module.name_expressions == tuple(expected)
    assert module.code == _launch.source_of(family) and module.file_path is None
    assert module.options == _launch.compile_options(group)
    assert all(isinstance(o, str) and o.startswith("-") for o in module.options)
    assert module.backend == "nvrtc" and not module.enable_cooperative_groups


def test_real_raw_module_refuses_a_wrong_argument(constructed, monkeypatch):
    """Options as a list (not CuPy's tuple): the real constructor refuses it, and the
    launch code reports the family."""
    monkeypatch.setattr(_launch, "compile_options", lambda group: ["--std=c++17"])
    with pytest.raises(RuntimeError, match=r"activation\.cu \(float instances\).*"
                                           r"'options' has incorrect type"):
        constructed("activation", "float")


def test_module_methods_and_launch_take_our_calls(real_cupy):
    """compile(), get_function(symbol) and kernel(grid, block, args), as _launch.py calls
    them, bind to the signatures of CuPy's compiled RawModule / RawKernel."""
    calls = [(real_cupy.RawModule.compile, ("self",)),
             (real_cupy.RawModule.get_function, ("self", "relu_fwd<float>")),
             (real_cupy.RawKernel.__call__, ("self", (1,), (256,), (0, 0, 3)))]
    for method, args in calls:
        signature = check.embedded_signature(method)
        assert signature is not None, method
        signature.bind(*args)
    with pytest.raises(TypeError):
        check.embedded_signature(real_cupy.RawModule.get_function).bind("self")


def test_no_other_cupy_kernel_api_is_used(cupy_scan):
    used = {u.chain.rsplit(".", 1)[-1] for u in cupy_scan.uses} & set(UNDEFINED)
    assert used == set(), (f"our code now uses cupy.{used}: construct it with the real CuPy "
                           "in this file, as RawModule is")
    assert "cupy.RawModule" in cupy_scan.chains()
