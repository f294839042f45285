"""torch.backends: the switches PyTorch scripts flip for cuDNN, cuBLAS, MPS, ...

    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    if torch.backends.mps.is_available(): ...

These are settings, not compute backends (ours are minitorch_nn.array_backends). Each
setting reads and writes as in PyTorch; what it changes here is said in its module (most are
recorded only: we have no cuDNN, no TF32 path, no MPS).
"""
from __future__ import annotations

from . import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp

__all__ = ["cpu", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp"]
