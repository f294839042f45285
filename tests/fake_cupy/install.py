"""Install the fake CuPy (and the emulated CUDA kernel runtime) for a test session.

    from fake_cupy import install
    install.install()      # before minitorch_nn first asks for CuPy
    ...
    install.uninstall()

`install` puts the fake into `sys.modules` as `cupy`, `cupy.cuda`, `cupy.cuda.nccl` (_nccl.py:
NCCL between the processes of an MPI job), `cupy.random`,
`cupy.linalg`, `cupy.fft`, `cupy.lib`, `cupy.lib.stride_tricks`, `cupyx`, `cupyx.scipy` and
`cupyx.scipy.special`, and makes kernels/cuda/_launch.py launch through `FakeGpuRuntime`:
the fake arrays' numpy buffers are handed to tests/kernels/cuda_emulation's `EmulatedRuntime`, so
every CUDA kernel an op calls really runs (its C++ source, compiled by g++ with the CUDA
emulation header, guard bytes checked). Nothing in minitorch_nn imports this module.
"""
from __future__ import annotations

import pathlib
import sys

__all__ = ["install", "uninstall", "installed", "FakeGpuRuntime"]

_HERE = pathlib.Path(__file__).resolve().parent
_EMULATION_DIR = _HERE.parent / "kernels" / "cuda_emulation"
_SAVED: dict = {}


def _modules() -> dict:
    import fake_cupy
    from fake_cupy import _cupyx, _nccl
    return {"cupy": fake_cupy, "cupy.cuda": fake_cupy.cuda, "cupy.cuda.nccl": _nccl,
            "cupy.random": fake_cupy.random,
            "cupy.linalg": fake_cupy.linalg, "cupy.fft": fake_cupy.fft, "cupy.lib": fake_cupy.lib,
            "cupy.lib.stride_tricks": fake_cupy.lib.stride_tricks, "cupyx": _cupyx.module,
            "cupyx.scipy": _cupyx.scipy, "cupyx.scipy.special": _cupyx.special}


def _harness():
    """tests/kernels/cuda_emulation/emulation_harness.py, under the name its own tests import."""
    if str(_EMULATION_DIR) not in sys.path:
        sys.path.insert(0, str(_EMULATION_DIR))
    import emulation_harness
    return emulation_harness


class FakeGpuRuntime:
    """A `_launch` runtime for fake arrays: unwraps them and launches in the CPU emulation.

    Families are built on first launch (g++, cached on disk by content hash). A pointer
    argument that is not a fake device array (e.g. a numpy array) is refused, as a real
    launch would be.
    """

    def __init__(self):
        harness = _harness()
        self._harness = harness
        self.emulated = harness.EmulatedRuntime({})
        self._built: set[str] = set()

    @property
    def launches(self) -> list:
        """(family, kernel, grid, block) of every launch so far."""
        return self.emulated.launches

    def launch(self, family, kernel, elem, grid, block, args) -> None:
        import fake_cupy
        if family.name not in self._built:
            self.emulated.add(family.name, self._harness.build(family.name))
            self._built.add(family.name)
        host = []
        for param, value in zip(family.signatures[kernel], args):
            if not param.is_pointer:
                host.append(value)
            elif type(value) is fake_cupy.ndarray:
                host.append(value._a)
            else:
                raise TypeError(f"{family.name}.{kernel}: argument '{param.name}' is a "
                                f"{type(value).__module__}.{type(value).__name__}, not a "
                                "device array: a CUDA launch cannot read host memory")
        self.emulated.launch(family, kernel, elem, grid, block, host)


def installed() -> bool:
    return getattr(sys.modules.get("cupy"), "IS_FAKE", False)


def install() -> FakeGpuRuntime:
    """Make `import cupy` give the fake and CUDA launches run emulated; returns the runtime."""
    if str(_HERE.parent) not in sys.path:
        sys.path.insert(0, str(_HERE.parent))
    from minitorch_nn.kernels.cuda import _launch
    for name, module in _modules().items():
        _SAVED.setdefault(name, sys.modules.get(name))
        sys.modules[name] = module
    sys.modules["cupy.cuda"].nccl = sys.modules["cupy.cuda.nccl"]   # as `import` binds it
    runtime = FakeGpuRuntime()
    _SAVED.setdefault("runtime", _launch.set_runtime(runtime))
    return runtime


def uninstall() -> None:
    """Put back whatever `cupy` modules and launch runtime were there before."""
    from minitorch_nn.kernels.cuda import _launch

    import fake_cupy
    fake_cupy.cuda.__dict__.pop("nccl", None)
    for name, module in list(_SAVED.items()):
        if name == "runtime":
            _launch.set_runtime(module)
        elif module is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = module
    _SAVED.clear()
