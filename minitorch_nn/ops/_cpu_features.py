"""What this CPU can do, as PyTorch's CPU libraries test it: some of PyTorch's behaviour
depends on it (oneDNN computes bfloat16/float16 natively only on CPUs with the instructions
for them, so its transposed convolutions take another path, and PyTorch's float16 GELU runs
its vectorised loop there), and the ops that follow PyTorch ask here."""
from __future__ import annotations

__all__ = ["host_cpu_features", "cpu_has_native"]

_NATIVE: dict = {}


def cpu_has_native(dtype: str) -> bool:
    """oneDNN's bfloat16/float16 support test (ideep has_bf16/fp16_type_support): AVX-512
    core (with AVX512-FP16 for float16), or AVX2 with the VNNI-2 extensions."""
    if dtype not in _NATIVE:
        f = host_cpu_features()
        core = all(f.get(k) for k in ("avx512f", "avx512bw", "avx512vl", "avx512dq"))
        vnni2 = all(f.get(k) for k in ("avxvnniint8", "avxneconvert", "avxifma"))
        _NATIVE[dtype] = vnni2 or (core and (dtype == "BFloat16" or bool(f.get("avx512fp16"))))
    return _NATIVE[dtype]


_FEATURES: list = []


def host_cpu_features() -> dict:
    """This CPU's instruction-set extensions by LLVM's names ("avx2": True, ...), read once
    through Numba's compiler (imported on use); empty where it cannot tell."""
    if not _FEATURES:
        try:
            import llvmlite.binding as llvm
            _FEATURES.append(dict(llvm.get_host_cpu_features()))
        except (ImportError, RuntimeError):
            _FEATURES.append({})
    return _FEATURES[0]
