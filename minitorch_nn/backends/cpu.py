"""torch.backends.cpu: what the CPU offers (`get_cpu_capability`, as PyTorch names it)."""
from __future__ import annotations

__all__ = ["get_cpu_capability"]


def get_cpu_capability() -> str:
    """"AVX512", "AVX2" or "DEFAULT": the widest vector set this CPU has (from Numba's view
    of the host, which is what our kernels are compiled for)."""
    try:
        import llvmlite.binding as llvm     # Numba's compiler; imported on use
        features = llvm.get_host_cpu_features()
    except (ImportError, RuntimeError):
        return "DEFAULT"
    if features.get("avx512f"):
        return "AVX512"
    if features.get("avx2"):
        return "AVX2"
    return "DEFAULT"
