"""minitorch_nn: a minimal deep-learning engine with PyTorch's API.

    import minitorch_nn as torch
    x = torch.ones(5, requires_grad=True)
    (x ** 2 + x ** 3).sum().backward()
    x.grad   # tensor([5., 5., 5., 5., 5.])

Layers (each imports only those below it): kernels ← array_backends ← tensor/autograd ← ops ←
nn, optim, func, data. See docs/ for a tour of each.
"""
from . import autograd, array_backends, cuda, dtypes, ops
from ._tensor_str import get_printoptions, printoptions, set_printoptions
from .autograd import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                       no_grad, set_grad_enabled)
from .device import device, get_default_device, set_default_device
from .settings import (are_deterministic_algorithms_enabled, get_float32_matmul_precision,
                       get_num_interop_threads, get_num_threads,
                       is_deterministic_algorithms_warn_only_enabled,
                       set_float32_matmul_precision, set_num_interop_threads, set_num_threads,
                       use_deterministic_algorithms)
from .dtypes import (bfloat16, bool, cdouble, cfloat, complex64, complex128, double, dtype,
                     float, float16, float32, float64, get_default_dtype, half, int, int8,
                     int16, int32, int64, is_complex, is_floating_point, long, promote_types,
                     result_type, set_default_dtype, short, uint8, can_cast)
from .tensor import Size, Tensor
from .legacy import (BFloat16Tensor, BoolTensor, ByteTensor, CharTensor, DoubleTensor,
                     FloatTensor, HalfTensor, IntTensor, LongTensor, ShortTensor)
from .serialization import load, save
from . import nn  # noqa: E402  (after ops: nn.parameter reads the op methods on Tensor)
from . import optim, utils  # noqa: E402  (optimizers, data loading)
from . import func  # noqa: E402  (functional_call over nn Modules)
from .func import vmap  # noqa: E402  (torch.vmap is torch.func.vmap)
from . import fft, linalg, special  # noqa: E402  (op namespaces: torch.linalg.inv, ...)
from . import return_types  # noqa: E402  (the named tuples: torch.return_types.max, ...)
from . import backends  # noqa: E402  (torch.backends.cudnn.benchmark and the other switches)
from . import testing  # noqa: E402  (torch.testing.assert_close)
from . import compiler, jit  # noqa: E402  (torch.compile, torch.jit.script: run eagerly)
from .compiler import compile  # noqa: E402,A004
from . import onnx  # noqa: E402  (torch.onnx.export, on the optional onnx package)
from . import distributed  # noqa: E402  (torch.distributed on MPI; MPI starts at init)
from . import amp, cpu  # noqa: E402  (autocast, GradScaler; torch.cpu)
from . import profiler  # noqa: E402  (torch.profiler: profile, record_function, schedule)
from .autograd import profiler as _autograd_profiler  # noqa: E402,F401  (torch.autograd.profiler)
from .amp.autocast_mode import (autocast, autocast_decrement_nesting,  # noqa: E402
                                autocast_increment_nesting, clear_autocast_cache,
                                get_autocast_cpu_dtype, get_autocast_dtype,
                                get_autocast_gpu_dtype, is_autocast_cache_enabled,
                                is_autocast_cpu_enabled, is_autocast_enabled,
                                set_autocast_cache_enabled, set_autocast_cpu_dtype,
                                set_autocast_cpu_enabled, set_autocast_dtype,
                                set_autocast_enabled, set_autocast_gpu_dtype)

__version__ = "0.1.0"


def _export_families() -> None:
    """Expose every op declared in namespace "torch" as `minitorch_nn.<name>` (like torch.add),
    and the other public names a family module lists in `__all__` (Generator, ...)."""
    namespace = globals()
    for module in ops.MODULES:
        for name in getattr(module, "__all__", ()):
            namespace[name] = getattr(module, name)
    namespace.update(ops.registry.public_ops("torch"))


_export_families()


def is_tensor(obj) -> "bool":
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> "int":
    return input.numel()
