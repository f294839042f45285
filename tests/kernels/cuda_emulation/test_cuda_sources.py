"""Static checks of kernels/cuda: nvcc compiles every family, tables match sources and CPU twins.

The nvcc test compiles each `<family>.cu` for sm_80 and sm_90 (warnings are errors) with an
explicit instantiation of every kernel of its signature table; it skips, saying so, only
where nvcc is missing. The other checks need no compiler.
"""
from __future__ import annotations

import importlib
import inspect
import re

import pytest

import emulation_harness as harness
from minitorch_nn.kernels.cuda import _launch

FAMILIES = harness.families()
SELFTEST = harness.ROOT / "tests" / "kernels" / "cuda_emulation" / "emulator_selftest.cu"


def test_every_family_is_present():
    assert set(FAMILIES) >= {"activation", "elementwise", "loss", "norm", "pool", "conv",
                             "embedding", "dropout", "optim"}


@pytest.fixture(scope="module")
def nvcc_results():
    if harness.nvcc_path() is None:
        pytest.skip("nvcc is not installed: the CUDA sources cannot be compile-checked here")
    return harness.nvcc_check_all()


@pytest.mark.parametrize("name", FAMILIES)
def test_family_compiles_with_nvcc(nvcc_results, name):
    ok, log = nvcc_results[name]
    assert ok, f"nvcc failed on {name}.cu:\n{log[-6000:]}"


def test_emulator_selftest_compiles_with_nvcc():
    if harness.nvcc_path() is None:
        pytest.skip("nvcc is not installed")
    from test_emulator import SELFTEST_FAMILY
    ok, log = harness.nvcc_check("emulator_selftest", fam=SELFTEST_FAMILY, source=SELFTEST)
    assert ok, log[-6000:]


@pytest.mark.parametrize("name", FAMILIES)
def test_table_matches_the_source(name):
    """Every kernel in the table is a __global__ of the source and vice versa."""
    fam = harness.family(name)
    text = (harness.CUDA_DIR / f"{name}.cu").read_text()
    defined = set(re.findall(r"__global__\s+void\s+(\w+)\s*\(", text))
    assert defined == set(fam.signatures), (
        f"{name}.cu defines {sorted(defined)}, its table lists {sorted(fam.signatures)}")


@pytest.mark.parametrize("name", FAMILIES)
def test_sources_include_only_common_header(name):
    """NVRTC (CuPy) has no host headers: a family may include common.cuh and nothing else;
    common.cuh includes the emulation header under the emulation flag, and otherwise only
    the toolkit's half-precision headers (which NVRTC finds through CuPy's include path),
    and those only when the half instances are compiled (not under MT_NO_HALF_TYPES)."""
    text = (harness.CUDA_DIR / f"{name}.cu").read_text()
    assert re.findall(r"#\s*include\s*(\S+)", text) == ['"common.cuh"']
    common = (harness.CUDA_DIR / "common.cuh").read_text()
    includes = re.findall(r"#\s*include\s*(\S+)", common)
    assert includes == ['"emulation/cuda_emulation.h"', "<cuda_fp16.h>", "<cuda_bf16.h>"]
    guarded = re.search(r"#ifdef MINITORCH_CUDA_EMULATION\s*\n#include[^\n]*\n"
                        r"#elif !defined\(MT_NO_HALF_TYPES\)\n", common)
    assert guarded, "the emulation header must only be included under the emulation flag"


def test_source_of_inlines_common_header():
    code = _launch.source_of("activation")
    assert '#include "common.cuh"' not in code and "#pragma once" not in code
    assert "mt_block_sum" in code and "softmax_fwd" in code


def _cpu_twin(name):
    try:
        return importlib.import_module(f"minitorch_nn.kernels.cpu.{name}")
    except ImportError:
        return None


@pytest.mark.parametrize("name", FAMILIES)
def test_launchers_mirror_cpu_kernels(name):
    """A CUDA launcher named like a Numba kernel of kernels/cpu/<family>.py takes the same
    parameters (the backend fetches both by that name). CPU kernels without a CUDA twin
    (CPU-specific layouts, kernels added since) are not required here: their ops use xp."""
    cuda = importlib.import_module(f"minitorch_nn.kernels.cuda.{name}")
    for fn_name in cuda.__all__:
        assert callable(getattr(cuda, fn_name))
    cpu = _cpu_twin(name)
    if cpu is None:
        pytest.skip(f"kernels/cpu has no {name}.py to mirror")
    shared = [n for n in cpu.__all__ if n in cuda.__all__]
    assert shared, f"kernels/cuda/{name}.py mirrors none of kernels/cpu/{name}.py"
    for fn_name in shared:
        cpu_params = list(inspect.signature(getattr(cpu, fn_name).py_func).parameters)
        cuda_params = list(inspect.signature(getattr(cuda, fn_name)).parameters)
        assert cpu_params == cuda_params, fn_name


def test_signature_parsing():
    fam = _launch.Family("demo", """
        k(const T* x, T* out, long long n)
        plain(unsigned char* mask,
              unsigned long long seed)
    """)
    x, out, n = fam.signatures["k"]
    assert (x.ctype, x.is_const, x.is_pointer, x.base) == ("const T*", True, True, "T")
    assert out.concrete("double") == "double*" and not out.is_const
    assert n.ctype == "long long" and not n.is_pointer
    assert fam.name_expressions() == ["k<float>", "k<double>", "plain"]
    assert [p.ctype for p in fam.signatures["plain"]] == ["unsigned char*", "unsigned long long"]
    with pytest.raises(ValueError, match="cannot parse"):
        _launch.Family("bad", "k(const T* x, T* out long long n")


def test_launch_configurations():
    assert _launch.elementwise_config(1000) == ((4,), (256,))
    assert _launch.elementwise_config(10 ** 9)[0] == (_launch.MAX_GRID_BLOCKS,)
    assert _launch.row_config(5, 3) == ((5,), (32,))
    assert _launch.row_config(5, 100) == ((5,), (128,))
    assert _launch.row_config(5, 10 ** 6) == ((5,), (_launch.ROW_BLOCK_MAX,))


def test_package_imports_without_cupy():
    """Importing every launcher must not import CuPy (it is imported at first launch)."""
    import sys
    for name in FAMILIES:
        importlib.import_module(f"minitorch_nn.kernels.cuda.{name}")
    if importlib.util.find_spec("cupy") is None:
        assert "cupy" not in sys.modules
