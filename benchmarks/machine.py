"""What a benchmark run ran on: the CPU, and the BLAS each library multiplies with.

Ratios from different machines cannot be compared without this (docs/benchmarks.md: OpenBLAS
against PyTorch's MKL differs by 2x from one CPU to the next), so every run prints it.
- CPU: /proc/cpuinfo's model name, vendor, family and model (KVM guests often report only
  "AMD EPYC"; family 25 model 17 then says Zen 4), the core count.
- numpy: its BLAS library, version and the kernel set it picked at run time (OpenBLAS's
  "core", e.g. SkylakeX or Haswell) and its threads, from threadpoolctl where installed, else
  numpy's build configuration (library name and version only).
- PyTorch: its BLAS (BLAS_INFO of its build), MKL and oneDNN versions, and the CPU
  capability its kernels dispatch to (AVX512, AVX2, ...).
"""
from __future__ import annotations

import os
import re

__all__ = ["describe", "cpu_line", "numpy_blas_line", "torch_blas_line"]


def describe() -> list[str]:
    """The lines a run prints: CPU, numpy's BLAS, PyTorch's."""
    return [cpu_line(_read("/proc/cpuinfo")), numpy_blas_line(), torch_blas_line()]


def cpu_line(cpuinfo: str) -> str:
    """'cpu: <model> (<vendor>, family F, model M), N cores' from /proc/cpuinfo's text."""
    fields = {}
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())   # the first processor's entries
    model = fields.get("model name") or "unknown CPU"
    detail = ", ".join(part for part in (
        fields.get("vendor_id"),
        f"family {fields['cpu family']}" if "cpu family" in fields else None,
        f"model {fields['model']}" if "model" in fields else None) if part)
    return f"cpu: {model}{f' ({detail})' if detail else ''}, {os.cpu_count()} cores"


def numpy_blas_line() -> str:
    """'numpy BLAS: openblas 0.3.31 (SkylakeX kernels, 2 threads)' or what is known."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return f"numpy BLAS: {_numpy_build_blas()} (threadpoolctl not installed: kernel unknown)"
    import numpy  # noqa: F401  (loads the BLAS threadpoolctl looks for)
    for lib in threadpool_info():
        if lib.get("user_api") == "blas" and "numpy" in (lib.get("filepath") or ""):
            arch = lib.get("architecture")
            return (f"numpy BLAS: {lib.get('internal_api')} {lib.get('version')} "
                    f"({f'{arch} kernels, ' if arch else ''}{lib.get('num_threads')} threads)")
    return f"numpy BLAS: {_numpy_build_blas()}"


def torch_blas_line() -> str:
    """'torch BLAS: mkl (MKL 2024.2, oneDNN v3.12.0), CPU capability AVX512'."""
    try:
        import torch
    except ImportError:
        return "torch BLAS: PyTorch not installed"
    return "torch BLAS: " + torch_blas_from_config(torch.__config__.show(),
                                                   torch.backends.cpu.get_cpu_capability())


def torch_blas_from_config(config: str, capability: str) -> str:
    """The BLAS part of torch.__config__.show()'s text, with the CPU capability."""
    blas = re.search(r"BLAS_INFO=([^,\s]+)", config)
    mkl = re.search(r"Math Kernel Library Version ([\w.]+)", config)
    dnn = re.search(r"MKL-DNN (v[\w.]+)", config)
    libs = ", ".join(part for part in (mkl and f"MKL {mkl.group(1)}",
                                       dnn and f"oneDNN {dnn.group(1)}") if part)
    return (f"{blas.group(1) if blas else 'unknown'}{f' ({libs})' if libs else ''}, "
            f"CPU capability {capability}")


def _numpy_build_blas() -> str:
    import numpy
    try:
        blas = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')}"
    except (TypeError, KeyError):   # numpy < 1.26 has no dict mode
        return "unknown"


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""
