"""How the CUDA kernels are described, compiled and launched (shared by every family).

Each family is a `<family>.cu` source with templated `__global__` kernels plus a
`<family>.py` module holding a `Family` (the kernels' C signatures, written once) and the
launcher functions, which have the names and arguments of the Numba kernels in kernels/cpu.

The signature table drives everything that must agree with the C code:
- CuPy: `RawModule(code, options, name_expressions=["relu_fwd<float>", ...])` compiled once
  per family and cached; scalar arguments are cast to the exact C type before a launch.
- The checks: arrays must be C-contiguous with the element type of their parameter.
- Element types: `T` is the arrays' type (float, double, and for most families __half =
  numpy float16 and __nv_bfloat16 = ml_dtypes.bfloat16); `A` is its accumulation type
  (float for the half types and float, double for double), used for scalar parameters and
  for buffers that atomics add into (see `accumulating`).
- The test suite: nvcc explicit instantiations, and the `extern "C"` wrappers that let the
  CPU emulation (tests/kernels/cuda_emulation) call the same kernels with numpy arrays.

A *runtime* performs launches. The default one uses CuPy and is created on first launch
(CuPy is imported there, never at import time, so this package imports without CuPy). Tests
install an emulated runtime with `set_runtime` to run the very same launcher code on the CPU.
"""
from __future__ import annotations

import contextlib
import pathlib
import re
import time
from dataclasses import dataclass

import ml_dtypes
import numpy as np

__all__ = ["Param", "Family", "set_runtime", "get_runtime", "source_of", "elementwise_config",
           "row_config", "check_same_shape", "accumulating", "BLOCK", "ROW_BLOCK_MAX",
           "MAX_GRID_BLOCKS", "COMPILE_OPTIONS", "FLOAT_TYPES", "WITH_HALF_TYPES", "HALF_CTYPES",
           "group_of", "compile_options"]

SOURCE_DIR = pathlib.Path(__file__).resolve().parent
COMPILE_OPTIONS = ("--std=c++17",)

BLOCK = 256              # threads per block of the elementwise kernels
ROW_BLOCK_MAX = 512      # most threads per block of the row kernels (<= MT_MAX_BLOCK = 1024)
MAX_GRID_BLOCKS = 65535  # grids are capped; the kernels' stride loops cover the rest

# Element types a family is instantiated for (the `dtypes` of a Family).
FLOAT_TYPES = ("float", "double")
WITH_HALF_TYPES = ("float", "double", "__half", "__nv_bfloat16")

CTYPE_OF_DTYPE = {"float32": "float", "float64": "double", "float16": "__half",
                  "bfloat16": "__nv_bfloat16"}
ACC_OF_CTYPE = {"float": "float", "double": "double", "__half": "float",
                "__nv_bfloat16": "float"}
_NUMPY_OF_CTYPE = {"float": np.float32, "double": np.float64, "__half": np.float16,
                   "__nv_bfloat16": ml_dtypes.bfloat16, "int": np.int32,
                   "long long": np.int64, "unsigned long long": np.uint64,
                   "unsigned char": np.uint8}


@dataclass(frozen=True)
class Param:
    """One kernel parameter: its C type as written in the table (`T` is the element type,
    `A` its accumulation type: `mt_acc_t<T>` in the kernel)."""

    ctype: str
    name: str

    @property
    def is_pointer(self) -> bool:
        return self.ctype.endswith("*")

    @property
    def is_const(self) -> bool:
        return self.ctype.startswith("const ")

    @property
    def base(self) -> str:
        """The type without `const` and `*`: "T", "A", "long long", ..."""
        return self.ctype.removeprefix("const ").rstrip("*").strip()

    @property
    def is_generic(self) -> bool:
        """Whether the type depends on the element type (T or A)."""
        return self.base in ("T", "A")

    def concrete(self, elem: str) -> str:
        """The C type for element type `elem` ("const T*" -> "const __half*", "A" -> "float")."""
        if not self.is_generic:
            return self.ctype
        name = elem if self.base == "T" else ACC_OF_CTYPE[elem]
        return re.sub(r"\b[TA]\b", name, self.ctype)

    def numpy_type(self, elem: str):
        """The numpy scalar type of this parameter (or of what it points to)."""
        return _NUMPY_OF_CTYPE[self.concrete(elem).removeprefix("const ").rstrip("*").strip()]


_DECL = re.compile(r"(\w+)\s*\(([^)]*)\)")


def _parse_params(text: str) -> tuple[Param, ...]:
    params = []
    for piece in text.split(","):
        match = re.fullmatch(r"\s*(.+?[\s*])(\w+)\s*", piece)
        if match is None:
            raise ValueError(f"cannot parse kernel parameter {piece!r}")
        params.append(Param(" ".join(match.group(1).split()).replace(" *", "*"), match.group(2)))
    return tuple(params)


class Family:
    """The kernels of one `<family>.cu`: C signatures, element types, and `launch`.

    `declarations` holds C-like prototypes (one or more lines each), T standing for the
    element type and A for its accumulation type (`mt_acc_t<T>` in the source):

        elu_fwd(const T* x, T* out, A alpha, long long n)

    `dtypes` are the C element types instantiated: FLOAT_TYPES or WITH_HALF_TYPES.
    """

    def __init__(self, name: str, declarations: str, dtypes: tuple[str, ...] = FLOAT_TYPES):
        self.name = name
        self.dtypes = dtypes
        self.signatures: dict[str, tuple[Param, ...]] = {}
        for match in _DECL.finditer(declarations):
            self.signatures[match.group(1)] = _parse_params(match.group(2))
        leftover = _DECL.sub("", declarations).strip()
        if leftover:
            raise ValueError(f"{name}: cannot parse kernel declarations near {leftover!r}")

    def takes(self, dtype) -> bool:
        """Whether this family is instantiated for arrays of numpy `dtype` (the backends'
        dtype gate: minitorch_nn/array_backends/base.py)."""
        return CTYPE_OF_DTYPE.get(np.dtype(dtype).name) in self.dtypes

    def element_types(self, kernel: str) -> tuple[str, ...]:
        """The element types `kernel` is instantiated for; ("",) if it is not a template."""
        if any(p.is_generic for p in self.signatures[kernel]):
            return self.dtypes
        return ("",)

    @staticmethod
    def symbol(kernel: str, elem: str) -> str:
        """The C++ name of one instance: "relu_fwd<float>", or "dropout_mask" (no T)."""
        return f"{kernel}<{elem}>" if elem else kernel

    def name_expressions(self, group: str | None = None) -> list[str]:
        """The kernel instances CuPy must compile: "relu_fwd<float>", ...; all of them, or
        those of one `group` ("float": float, double and the non-templates; "half")."""
        return [self.symbol(k, t) for k in self.signatures for t in self.element_types(k)
                if group is None or group_of(t) == group]

    def launch(self, kernel: str, grid: tuple, block: tuple, *args) -> None:
        """kernel<<<grid, block>>>(*args), after checking and casting the arguments.

        An empty grid is a no-op (CUDA rejects it; there is nothing to compute).
        """
        params = self.signatures[kernel]
        if len(args) != len(params):
            raise TypeError(f"{self.name}.{kernel} takes {len(params)} arguments "
                            f"({', '.join(p.name for p in params)}), got {len(args)}")
        grid, block = _dims(grid), _dims(block)
        if 0 in grid:
            return
        elem = self._element_type(kernel, params, args)
        cast = [_checked(self.name, kernel, p, a, elem) for p, a in zip(params, args)]
        get_runtime().launch(self, kernel, elem, grid, block, cast)

    def _element_type(self, kernel: str, params, args) -> str:
        """The C element type T, read from the first array given for a T* parameter
        ("" for a kernel that is not a template)."""
        for p, a in zip(params, args):
            if p.is_pointer and p.base == "T":
                elem = CTYPE_OF_DTYPE.get(np.dtype(a.dtype).name)
                if elem is None or elem not in self.dtypes:
                    allowed = ", ".join(np.dtype(_NUMPY_OF_CTYPE[t]).name for t in self.dtypes)
                    raise TypeError(f"{self.name}.{kernel}: {p.name} has dtype {a.dtype}, "
                                    f"expected one of {allowed}")
                return elem
        return ""


def _dims(value) -> tuple[int, int, int]:
    dims = tuple(int(v) for v in (value if isinstance(value, tuple) else (value,)))
    return dims + (1,) * (3 - len(dims))


def _checked(family: str, kernel: str, param: Param, value, elem: str):
    """An array checked against its pointer parameter, or a scalar cast to its C type."""
    want = param.numpy_type(elem)
    if not param.is_pointer:
        return want(value)
    if np.dtype(value.dtype) != np.dtype(want):
        raise TypeError(f"{family}.{kernel}: {param.name} must have dtype "
                        f"{np.dtype(want).name}, got {value.dtype}")
    if not value.flags.c_contiguous:
        raise ValueError(f"{family}.{kernel}: {param.name} must be C-contiguous "
                         f"(got strides {value.strides}); pass xp.ascontiguousarray(...)")
    return value


def check_same_shape(kernel: str, *arrays, flat: bool = False) -> None:
    """ValueError unless the arrays have one shape (one size when `flat`)."""
    first = arrays[0]
    for a in arrays[1:]:
        same = a.size == first.size if flat else a.shape == first.shape
        if not same:
            what = "size" if flat else "shape"
            raise ValueError(f"{kernel}: arrays must have the same {what}, got "
                             f"{first.shape} and {a.shape}")


@contextlib.contextmanager
def accumulating(out):
    """The array a kernel should add into on behalf of `out`.

    For float32/float64, `out` itself. For float16/bfloat16, a float32 copy of it (the
    kernels' `A*` parameters): sums are accumulated in float, atomics included (there are
    no half-precision atomics to worry about), and the total is rounded once, to nearest
    even, into `out` when the block ends. Works on numpy and CuPy arrays alike.
    """
    if out.dtype in (np.float32, np.float64):
        yield out
        return
    buffer = out.astype(np.float32)
    yield buffer
    out[...] = buffer


# ------------------------------------------------------------------ launch configurations
def elementwise_config(n: int, block: int | None = None) -> tuple[tuple, tuple]:
    """(grid, block) for a grid-stride loop over n elements."""
    block = BLOCK if block is None else block
    blocks = min((n + block - 1) // block, MAX_GRID_BLOCKS)
    return (blocks,), (block,)


def row_config(rows: int, cols: int) -> tuple[tuple, tuple]:
    """(grid, block) for one block per row: a power of two threads, 32 to ROW_BLOCK_MAX."""
    threads = 32
    while threads < cols and threads < ROW_BLOCK_MAX:
        threads *= 2
    return (min(rows, MAX_GRID_BLOCKS),), (min(threads, ROW_BLOCK_MAX),)


# ------------------------------------------------------------------ sources and runtimes
_INCLUDE_COMMON = '#include "common.cuh"'


def source_of(family: str) -> str:
    """`<family>.cu` with common.cuh pasted in place of its #include.

    NVRTC could find the header with -I, but CuPy's kernel cache keys on the code string
    only: inlining makes an edit of common.cuh recompile every family. (Its `#pragma once`
    goes: compilers warn about it in a main file.)
    """
    text = (SOURCE_DIR / f"{family}.cu").read_text()
    common = (SOURCE_DIR / "common.cuh").read_text().replace("#pragma once\n", "", 1)
    if _INCLUDE_COMMON not in text:
        raise ValueError(f"{family}.cu must include common.cuh")
    return text.replace(_INCLUDE_COMMON, common, 1)


HALF_CTYPES = ("__half", "__nv_bfloat16")
NO_HALF_OPTION = "-DMT_NO_HALF_TYPES"


def group_of(elem: str) -> str:
    """The compilation group of an element type: "half" for the half types, else "float"."""
    return "half" if elem in HALF_CTYPES else "float"


def compile_options(group: str) -> tuple[str, ...]:
    """NVRTC options of a group: float/double instances are compiled without the half
    headers (MT_NO_HALF_TYPES), so they work even where NVRTC cannot find cuda_fp16.h."""
    return COMPILE_OPTIONS + ((NO_HALF_OPTION,) if group == "float" else ())


class CupyRuntime:
    """Launches through CuPy: per family, one RawModule for the float/double instances and
    one for the half types, each compiled on first use and cached (CuPy also keeps the
    compiled code on disk, keyed by source and options). The time each module took to
    compile (or to load from CuPy's cache) goes to the compile ledger."""

    def __init__(self):
        import cupy   # only here: the package imports without CuPy
        self._cupy = cupy
        self._modules: dict[tuple[str, str], object] = {}
        self._functions: dict[tuple[str, str, str], object] = {}

    def function(self, family: Family, kernel: str, elem: str):
        key = (family.name, kernel, elem)
        fn = self._functions.get(key)
        if fn is None:
            fn = self._functions[key] = self._module(family, group_of(elem)).get_function(
                family.symbol(kernel, elem))
        return fn

    def _module(self, family: Family, group: str):
        module = self._modules.get((family.name, group))
        if module is None:
            started = time.perf_counter()
            try:
                module = self._cupy.RawModule(code=source_of(family.name),
                                              options=compile_options(group),
                                              name_expressions=family.name_expressions(group))
                module.compile()   # errors here, not at some later get_function
            except Exception as exc:
                raise RuntimeError(_compile_error(family.name, group, exc)) from exc
            self._modules[(family.name, group)] = module
            from ..cpu._compile_ledger import record   # the one ledger (kernels table)
            record(f"kernels/cuda/{family.name}.cu", f"{group} instances",
                   time.perf_counter() - started)
        return module

    def launch(self, family: Family, kernel: str, elem: str, grid, block, args) -> None:
        self.function(family, kernel, elem)(grid, block, tuple(args))

    def compiled_modules(self) -> set[tuple[str, str]]:
        """(family, group) of the modules compiled in this process (the kernels table)."""
        return set(self._modules)


def _compile_error(family: str, group: str, exc: Exception) -> str:
    message = f"CuPy could not compile kernels/cuda/{family}.cu ({group} instances): {exc}"
    if group == "half":
        message += (" -- float16/bfloat16 kernels need the CUDA headers cuda_fp16.h and "
                    "cuda_bf16.h (12.2 or newer): pip install -e \".[cuda]\" (or pip install "
                    "nvidia-cuda-runtime-cu12 nvidia-cuda-nvrtc-cu12; nvidia-cuda-runtime and "
                    "nvidia-cuda-nvrtc for CUDA 13), or set CUDA_PATH to a CUDA toolkit, or "
                    "keep half tensors on the CPU / compute in float32")
    return message


_runtime = None


def get_runtime():
    """The runtime in use (a CupyRuntime unless a test installed another)."""
    global _runtime
    if _runtime is None:
        _runtime = CupyRuntime()
    return _runtime


def set_runtime(runtime):
    """Install `runtime` (None: back to CuPy on next launch); returns the previous one."""
    global _runtime
    previous, _runtime = _runtime, runtime
    return previous
