"""`python -m minitorch_nn kernels` (minitorch_nn/kernel_table.py), the compile ledger
(kernels/cpu/_compile_ledger.py) and the op names the CLIs accept (ops/op_names.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numba
import numpy as np
import pytest

import minitorch_nn as mt
import minitorch_nn.nn.functional as F
from minitorch_nn.__main__ import main
from minitorch_nn.kernel_table import format_ledger, format_rows, kernel_table, numba_cache_dir
from minitorch_nn.kernels.cpu import _compile_ledger
from minitorch_nn.kernels.cuda._launch import CTYPE_OF_DTYPE
from minitorch_nn.ops import __main__ as ops_cli
from minitorch_nn.ops.catalog import kernels_by_device, public_name
from minitorch_nn.ops.op_names import find_ops, no_such_op
from minitorch_nn.ops.registry import REGISTRY, lookup

CTYPE_TO_DTYPE = {c: d for d, c in CTYPE_OF_DTYPE.items()}


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


# ------------------------------------------------------------------ op names
@pytest.mark.parametrize("spelling", ["grid_sample", "F.grid_sample", "nn.functional.grid_sample",
                                      "torch.nn.functional.grid_sample"])
def test_every_spelling_of_an_op_finds_it(spelling):
    assert find_ops(spelling) == [lookup("nn.functional.grid_sample")]


def test_qualified_and_method_names():
    assert find_ops("torch.linalg.norm") == [lookup("linalg.norm")]
    assert find_ops("Tensor.add_") == [lookup("add")]   # a Tensor method: the op binding it
    assert find_ops("no_such_thing") == []
    assert "did you mean F.grid_sample" in no_such_op("gird_sample")


def test_ops_cli_describes_a_functional_op_and_refuses_unknown_names(capsys):
    assert ops_cli.main(["grid_sample"]) == 0
    assert capsys.readouterr().out.startswith("nn.functional.grid_sample: ")
    assert ops_cli.main(["F.gird_sample"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "no op named 'F.gird_sample'; did you mean F.grid_sample?"


def test_ops_cli_no_traceback_for_an_unknown_name():
    proc = _cli("minitorch_nn.ops", "grid_sampel")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "did you mean F.grid_sample" in proc.stderr


# ------------------------------------------------------------------ the rows
def test_rows_follow_the_declared_kernels_of_every_op():
    rows = kernel_table()
    by_op = {}
    for r in rows:
        by_op.setdefault(r.op, []).append(r)
    assert set(by_op) == {public_name(d) for d in REGISTRY.values()}
    for decl in REGISTRY.values():
        mine = by_op[public_name(decl)]
        cpu, cuda = kernels_by_device(decl.kernels)
        numba_rows = [r for r in mine if r.engine == "Numba"]
        assert {r.kernel for r in numba_rows} == set(cpu), decl
        # each Numba row is the kernel itself or its serial twin, never a missing function
        for r in numba_rows:
            family, name = r.kernel.split(".")
            assert r.function in (f"minitorch_nn.kernels.cpu.{family}.{name}",
                                  f"minitorch_nn.kernels.cpu.{family}.{name}_serial"), r
        assert {r.kernel for r in mine if r.engine == "CUDA"} == set(cuda), decl
        fallback = [r.dtypes for r in mine if r.engine in ("NumPy", "CuPy")]
        if not decl.kernels:
            assert fallback == [["all"], ["all"]]


def test_cuda_rows_list_the_element_types_the_family_is_built_for():
    from minitorch_nn.kernels.cuda import activation, pool
    rows = kernel_table(["F.gelu", "F.avg_pool2d"])
    for module, op, kernel in ((activation, "F.gelu", "activation.gelu_fwd"),
                               (pool, "F.avg_pool2d", "pool.avg_pool2d_fwd")):
        row, = [r for r in rows if r.op == op and r.kernel == kernel and r.device == "cuda"]
        assert row.dtypes == [CTYPE_TO_DTYPE[c] for c in module.KERNELS.dtypes]
        assert row.function == f"kernels/cuda/{kernel.split('.')[0]}.cu: " \
                               f"{kernel.split('.')[1]}<T>"
        cpu_row = next(r for r in rows if r.op == op and r.kernel == kernel and r.device == "cpu")
        assert cpu_row.dtypes == ["float32", "float64"]
        assert cpu_row.cache_dir == numba_cache_dir()


def test_a_kernel_run_here_shows_its_signature_compiled_or_loaded():
    x = mt.randn(6, 5, dtype=mt.float64)
    F.leaky_relu(x, 0.2)
    rows = kernel_table(["F.leaky_relu"], compiled_only=True)
    assert rows and all(r.is_compiled for r in rows)
    serial = next(r for r in rows if r.function.endswith("leaky_relu_fwd_serial"))
    sig = "(array(float64, 1d, C), array(float64, 1d, C), float64)"
    assert sig in serial.compiled
    seconds = serial.compiled[sig]
    assert sig in serial.loaded_from_cache or seconds > 0
    assert sig in serial.cached                      # Numba wrote (or read) it on disk


def test_compile_ledger_times_a_fresh_compilation():
    before = len(_compile_ledger.records())

    @numba.njit
    def ledger_probe(a):
        return a * 2.0 + 1.0

    ledger_probe(np.ones(3))
    new = _compile_ledger.records()[before:]
    mine = [r for r in new if r.function.endswith("ledger_probe")]
    assert len(mine) == 1 and mine[0].seconds > 0
    assert mine[0].signature == "(array(float64, 1d, C))"
    assert _compile_ledger.seconds_for(mine[0].function) == {mine[0].signature: mine[0].seconds}
    assert mine[0].depth == 0
    line = next(x for x in format_ledger().splitlines() if "ledger_probe" in x)
    assert line.endswith("ledger_probe (array(float64, 1d, C))")
    assert float(line.split()[0]) == pytest.approx(mine[0].seconds, abs=1e-3)


def test_compile_ledger_ignores_an_end_without_its_start():
    """A compilation that began before the ledger was installed (its own compilation imported
    the kernels package) ends without a recorded start: the ledger skips it instead of
    raising IndexError out of Numba's compiler."""
    from numba.core import event

    @numba.njit
    def never_started(a):
        return a

    before = len(_compile_ledger.records())
    event.end_event("numba:compile", data={"dispatcher": never_started, "args": ()})
    assert len(_compile_ledger.records()) == before


def test_text_table_names_devices_engines_and_kernels():
    rows = kernel_table(["F.leaky_relu"])
    text = format_rows(rows)
    lines = text.splitlines()
    assert lines[0] == f"Numba cache: {numba_cache_dir()}"
    assert lines[3] == "F.leaky_relu  (minitorch_nn/ops/activation.py)"
    body = [line.split() for line in lines[4:] if line.startswith("  ") and
            not line.startswith("      ")]
    cells = [(w[0], w[-1] if w[1] == "other" else None) for w in body]
    assert ("cpu", "NumPy") in cells and ("cuda", "CuPy") in cells
    fwd = next(line for line in lines if "activation.leaky_relu_fwd " in line)
    assert fwd.split()[:4] == ["cpu", "float32,", "float64", "Numba"]
    assert "activation.cu: leaky_relu_fwd<T>" in text


def test_kernels_command_text_json_and_unknown_op(capsys):
    assert main(["kernels", "--json", "F.gelu"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["numba_cache_dir"] == numba_cache_dir()
    assert {r["op"] for r in data["rows"]} == {"F.gelu"}
    assert {r["engine"] for r in data["rows"]} == {"Numba", "NumPy", "CUDA", "CuPy"}
    assert main(["kernels", "torch.abs"]) == 0
    out = capsys.readouterr().out
    assert "torch.abs  (minitorch_nn/ops/unary.py)" in out
    body = [line.split() for line in out.splitlines()[4:] if line.startswith("  ")]
    assert body == [["cpu", "all", "NumPy"], ["cuda", "all", "CuPy"]]
    assert main(["kernels", "gird_sample"]) == 1
    assert "did you mean F.grid_sample" in capsys.readouterr().err


def test_run_a_script_in_a_fresh_cache_shows_compile_times(tmp_path):
    """A fresh NUMBA_CACHE_DIR guarantees a real compilation: the JSON row has its time,
    and Numba's cache now holds the signature in that directory."""
    script = tmp_path / "work.py"
    script.write_text("import minitorch_nn as torch\n"
                      "torch.nn.functional.leaky_relu(torch.ones(4, dtype=torch.float64))\n")
    cache = tmp_path / "numba_cache"
    proc = _cli("minitorch_nn", "kernels", "--run", str(script), "--compiled", "--json",
                "F.leaky_relu", env={"NUMBA_CACHE_DIR": str(cache)})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["numba_cache_dir"] == str(cache)
    row, = [r for r in data["rows"] if r["function"].endswith("leaky_relu_fwd_serial")]
    (sig, seconds), = row["compiled"].items()
    assert "float64" in sig and seconds > 0 and row["loaded_from_cache"] == []
    assert row["cached"] == [sig] and any(cache.rglob("*leaky_relu_fwd_serial*.nbi"))
    assert any(c["signature"] == sig and c["function"].endswith("leaky_relu_fwd_serial")
               for c in data["compilations"])


class _RawModule:
    """A stand-in for cupy.RawModule (as tests/kernels/cuda_emulation/test_cupy_runtime.py
    uses): compiles nothing, hands out no-op functions."""

    def __init__(self, code, options, name_expressions):
        self.names = list(name_expressions)

    def compile(self):
        pass

    def get_function(self, symbol):
        return lambda grid, block, args: None


def test_cuda_modules_compiled_by_cupy_show_as_compiled_and_in_the_ledger(monkeypatch):
    import types

    from minitorch_nn.kernels.cuda import _launch
    from minitorch_nn.kernels.cuda.activation import KERNELS as ACTIVATION
    monkeypatch.setitem(sys.modules, "cupy", types.SimpleNamespace(RawModule=_RawModule))
    runtime = _launch.CupyRuntime()
    monkeypatch.setattr(_launch, "_runtime", runtime)
    before = len(_compile_ledger.records())
    runtime.function(ACTIVATION, "gelu_fwd", "float")          # the float/double module
    rows = kernel_table(["F.gelu"])
    gpu = {r.kernel: r for r in rows if r.engine == "CUDA"}
    (rec,) = _compile_ledger.records()[before:]
    assert (rec.function, rec.signature) == ("kernels/cuda/activation.cu", "float instances")
    # half not compiled; the float module's time is the ledger's total for it (an earlier
    # test in this process may have compiled the same module through real CuPy)
    total = sum(r.seconds for r in _compile_ledger.records()
                if (r.function, r.signature) == (rec.function, rec.signature))
    assert total >= rec.seconds
    assert gpu["activation.gelu_fwd"].compiled == {"float": total}
    assert f"compiled here: float instances in {total:.3f} s" in format_rows(rows)
