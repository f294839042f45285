"""benchmarks/machine.py: the CPU and BLAS lines every benchmark run prints, read from made-up
/proc/cpuinfo and torch.__config__ texts (and the real ones, which must parse)."""
from __future__ import annotations

import pytest

from benchmarks import machine

XEON = """processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 143
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: fpu avx512f

processor\t: 1
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8480+
"""

CONFIG = """PyTorch built with:
  - Intel(R) oneAPI Math Kernel Library Version 2024.2-Product Build 20240605 for Intel(R) 64
  - Intel(R) MKL-DNN v3.12.0 (Git Hash 80afa71049cd69a3df32adcccb623b12cd7baa22)
  - Build settings: BLAS_INFO=mkl, BUILD_TYPE=Release, COMMIT_SHA=cf30153
"""


def test_cpu_line_names_model_vendor_family_and_model():
    line = machine.cpu_line(XEON)
    assert line.startswith("cpu: Intel(R) Xeon(R) Platinum 8480+ (GenuineIntel, family 6, "
                           "model 143), ")
    assert line.endswith(" cores")


def test_cpu_line_without_cpuinfo():
    assert machine.cpu_line("").startswith("cpu: unknown CPU, ")


def test_torch_blas_from_config():
    assert machine.torch_blas_from_config(CONFIG, "AVX2") == \
        "mkl (MKL 2024.2, oneDNN v3.12.0), CPU capability AVX2"
    assert machine.torch_blas_from_config("BLAS_INFO=open", "DEFAULT") == \
        "open, CPU capability DEFAULT"


def test_this_machine_is_described():
    cpu, numpy_blas, torch_blas = machine.describe()
    assert cpu.startswith("cpu: ") and numpy_blas.startswith("numpy BLAS: ")
    assert torch_blas.startswith("torch BLAS: ")


def test_numpy_blas_line_names_the_library():
    pytest.importorskip("threadpoolctl")
    line = machine.numpy_blas_line()
    assert "threads)" in line and "None" not in line
