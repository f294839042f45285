"""Run the CUDA kernels of kernels/cuda on the CPU, and compile-check them with nvcc.

Emulation: each `<family>.cu` is compiled by g++ as C++20 with MINITORCH_CUDA_EMULATION
defined (kernels/cuda/emulation/cuda_emulation.h supplies threadIdx, __syncthreads,
__shared__, atomics ... on std::thread), together with generated `extern "C"` wrappers, one
per kernel and element type, made from the family's signature table (`KERNELS` in
kernels/cuda/<family>.py). The shared library is cached by a hash of everything that went
into it. `EmulatedRuntime` plugs into kernels/cuda/_launch.py (`set_runtime`), so the
launcher functions themselves (grid sizes, argument casts, checks) run with numpy arrays.

Every array argument is copied into a buffer with guard bytes on both sides; after the
launch the guards must be intact (no write out of bounds) and `const` arrays unchanged. The
guard bytes are 0xFF, a NaN as float32 or float64, so that a kernel reading a little past
an end produces NaN in its results (and -1 as an index).

nvcc: `nvcc_check` compiles each family for the supported architectures, as the code
string CuPy would compile, with explicit instantiations of every kernel from the same table.
"""
from __future__ import annotations

import ctypes
import hashlib
import importlib
import os
import pathlib
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from minitorch_nn.kernels.cuda import _launch

ROOT = pathlib.Path(__file__).resolve().parents[3]
CUDA_DIR = ROOT / "kernels" / "cuda"
CACHE_DIR = pathlib.Path(tempfile.gettempdir()) / "minitorch_cuda_emulation"
GXX_FLAGS = ("-x", "c++", "-std=c++20", "-O1", "-pthread", "-DMINITORCH_CUDA_EMULATION",
             "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror")
NVCC_ARCHS = ("80", "90")
NVCC_FLAGS = ("-std=c++17", "--Werror", "all-warnings", "-c")
GUARD = 256           # guard bytes on each side of every array
GUARD_BYTE = 0xFF     # all-ones bytes read as NaN (float32, float64): reads past an end show

_CTYPES = {"int": ctypes.c_int, "long long": ctypes.c_longlong,
           "unsigned long long": ctypes.c_ulonglong, "float": ctypes.c_float,
           "double": ctypes.c_double}


def families() -> list[str]:
    """The kernel families: one per kernels/cuda/*.cu."""
    return sorted(p.stem for p in CUDA_DIR.glob("*.cu"))


def family(name: str) -> _launch.Family:
    """The Family (signature table) of kernels/cuda/<name>.py."""
    return importlib.import_module(f"minitorch_nn.kernels.cuda.{name}").KERNELS


def _inputs_hash(*texts: str) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode())
    for path in sorted(CUDA_DIR.rglob("*.cuh")) + sorted(CUDA_DIR.rglob("*.h")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


# ------------------------------------------------------------------ g++ emulation build
def wrapper_source(fam: _launch.Family, source: pathlib.Path) -> str:
    """The C++ translation unit: `source` plus one extern "C" wrapper per kernel instance."""
    lines = [f'#include "{source}"', "",
             'extern "C" const char* mt_emu_error() { return mt_emu::last_error().c_str(); }']
    for kernel, params in fam.signatures.items():
        for elem in fam.element_types(kernel):
            decl = ", ".join(f"{p.concrete(elem)} {p.name}" for p in params)
            names = ", ".join(p.name for p in params)
            # the launch dims get names no kernel parameter uses
            lines += ["", f'extern "C" int {_wrapper_name(kernel, elem)}(unsigned emu_gx, '
                          "unsigned emu_gy, unsigned emu_gz, unsigned emu_bx, unsigned emu_by, "
                          f"unsigned emu_bz, {decl}) {{",
                      "    return mt_emu::launch(dim3(emu_gx, emu_gy, emu_gz), "
                      f"dim3(emu_bx, emu_by, emu_bz), &{fam.symbol(kernel, elem)}, {names});",
                      "}"]
    return "\n".join(lines) + "\n"


def _wrapper_name(kernel: str, elem: str) -> str:
    return f"emu_{kernel}_{elem}" if elem else f"emu_{kernel}"


def build(name: str, fam: _launch.Family | None = None,
          source: pathlib.Path | None = None) -> pathlib.Path:
    """The emulation shared library of family `name` (compiled once per content hash).

    By default the family is kernels/cuda/<name>.cu with the table of <name>.py; tests of
    the emulator itself pass their own `fam` and `source`.
    """
    fam = family(name) if fam is None else fam
    source = CUDA_DIR / f"{name}.cu" if source is None else source
    wrappers = wrapper_source(fam, source)
    key = _inputs_hash(wrappers, source.read_text(), " ".join(GXX_FLAGS))
    target = CACHE_DIR / f"{name}-{key}.so"
    if target.exists():
        return target
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE_DIR) as tmp:
        cpp = pathlib.Path(tmp) / f"{name}_emulation.cpp"
        cpp.write_text(wrappers)
        out = pathlib.Path(tmp) / "lib.so"
        result = subprocess.run(["g++", *GXX_FLAGS, f"-I{CUDA_DIR}", str(cpp), "-o", str(out)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"g++ failed to build the emulation of {source.name}:\n"
                               f"{result.stderr[-6000:]}")
        os.replace(out, target)   # atomic: concurrent builders never see half a file
    return target


def build_all(names: list[str] | None = None) -> dict[str, pathlib.Path | Exception]:
    """Build every family in parallel; a failed build is returned as its exception."""
    names = families() if names is None else names

    def one(n):
        try:
            return build(n)
        except Exception as exc:   # reported by the test of that family
            return exc

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        return dict(zip(names, pool.map(one, names)))


class LaunchError(RuntimeError):
    """The emulator refused or aborted a launch (bad configuration, divergent barrier)."""


class EmulatedRuntime:
    """A `_launch` runtime that runs kernels on the CPU through the emulation libraries."""

    def __init__(self, libraries: dict[str, pathlib.Path | Exception]):
        self._paths = dict(libraries)   # a failed build is kept as its exception
        self._libs: dict[str, ctypes.CDLL] = {}
        self._functions: dict[tuple[str, str, str], object] = {}
        self.launches: list[tuple[str, str, tuple, tuple]] = []   # (family, kernel, grid, block)

    def add(self, name: str, library: pathlib.Path) -> None:
        """Make the library of another family (e.g. the emulator's self-test) launchable."""
        self._paths[name] = library

    def _function(self, fam: _launch.Family, kernel: str, elem: str):
        key = (fam.name, kernel, elem)
        fn = self._functions.get(key)
        if fn is None:
            lib = self._libs.get(fam.name)
            if lib is None:
                path = self._paths[fam.name]
                if isinstance(path, Exception):
                    raise RuntimeError(f"{fam.name}.cu did not build") from path
                lib = self._libs[fam.name] = ctypes.CDLL(str(path))
                lib.mt_emu_error.restype = ctypes.c_char_p
            fn = getattr(lib, _wrapper_name(kernel, elem))
            fn.restype = ctypes.c_int
            fn.argtypes = [ctypes.c_uint] * 6 + [
                ctypes.c_void_p if p.is_pointer else _CTYPES[p.concrete(elem)]
                for p in fam.signatures[kernel]]
            self._functions[key] = fn
        return fn

    def launch(self, fam, kernel, elem, grid, block, args) -> None:
        fn = self._function(fam, kernel, elem)
        params = fam.signatures[kernel]
        guarded: dict[tuple[int, int], _Guarded] = {}
        c_args = []
        for p, a in zip(params, args):
            if not p.is_pointer:
                c_args.append(a.item())
                continue
            key = (a.__array_interface__["data"][0], a.nbytes)
            g = guarded.get(key)
            if g is None:
                g = guarded[key] = _Guarded(a)
            g.writable |= not p.is_const
            c_args.append(g.pointer)
        self.launches.append((fam.name, kernel, grid, block))
        if fn(*grid, *block, *c_args) != 0:
            raise LaunchError(self._error(fam, kernel, elem, grid, block))
        for g in guarded.values():
            g.finish(f"{fam.name}.{fam.symbol(kernel, elem)}")

    def _error(self, fam, kernel, elem, grid, block) -> str:
        message = self._libs[fam.name].mt_emu_error().decode()
        return f"{fam.name}.{fam.symbol(kernel, elem)} grid={grid} block={block}: {message}"


class _Guarded:
    """A copy of an array between guard bytes; `finish` checks them and copies back."""

    def __init__(self, array: np.ndarray):
        self.array = array
        self.writable = False
        body = array.reshape(-1).view(np.uint8)
        self.buffer = np.full(body.size + 2 * GUARD, GUARD_BYTE, np.uint8)
        self.buffer[GUARD:GUARD + body.size] = body
        self.original = body.copy()
        self.pointer = self.buffer.ctypes.data + GUARD

    def finish(self, where: str) -> None:
        n = self.original.size
        if (self.buffer[:GUARD] != GUARD_BYTE).any() or \
                (self.buffer[GUARD + n:] != GUARD_BYTE).any():
            raise AssertionError(f"{where} wrote outside an array of shape {self.array.shape}")
        body = self.buffer[GUARD:GUARD + n]
        if not self.writable:
            if (body != self.original).any():
                raise AssertionError(f"{where} changed a const array of shape "
                                     f"{self.array.shape}")
            return
        self.array.reshape(-1).view(np.uint8)[:] = body


# ------------------------------------------------------------------ nvcc compile check
def nvcc_path() -> str | None:
    return shutil.which("nvcc")


def gxx_path() -> str | None:
    return shutil.which("g++")


def instantiation_source(fam: _launch.Family, code: str, group: str | None = None) -> str:
    """`code` plus an explicit instantiation of every template kernel in the table (or of
    those of one compilation group, see `_launch.group_of`)."""
    lines = [code, ""]
    for kernel, params in fam.signatures.items():
        for elem in fam.element_types(kernel):
            if group is not None and _launch.group_of(elem) != group:
                continue
            if elem:   # kernels that are not templates are compiled as they are
                decl = ", ".join(f"{p.concrete(elem)} {p.name}" for p in params)
                lines.append(f"template __global__ void {kernel}<{elem}>({decl});")
    return "\n".join(lines) + "\n"


def nvcc_check(name: str, archs=NVCC_ARCHS, fam: _launch.Family | None = None,
               source: pathlib.Path | None = None) -> tuple[bool, str]:
    """(compiled, log) for nvcc on family `name` for `archs`; successes are cached.

    A family of kernels/cuda is compiled as CuPy compiles it: the very string CuPy hands to
    NVRTC (`_launch.source_of`: common.cuh pasted in), once per compilation group with that
    group's options (the float/double instances without the half headers). Another `source`
    is #included and compiled once with every instance.
    """
    fam = family(name) if fam is None else fam
    if source is None:
        source = CUDA_DIR / f"{name}.cu"
        units = [(instantiation_source(fam, _launch.source_of(name), group),
                  _launch.compile_options(group)[len(_launch.COMPILE_OPTIONS):])
                 for group in ("float", "half")]
    else:
        units = [(instantiation_source(fam, f'#include "{source}"'), ())]
    logs = []
    for unit, options in units:
        ok, log = _nvcc_unit(name, unit, source, options, archs)
        logs.append(log)
        if not ok:
            return False, "\n".join(logs)
    return True, "\n".join(logs)


def _nvcc_unit(name, unit, source, options, archs) -> tuple[bool, str]:
    flags = list(NVCC_FLAGS) + [f"-I{CUDA_DIR}", *options]
    for arch in archs:
        flags += ["-gencode", f"arch=compute_{arch},code=sm_{arch}"]
    key = _inputs_hash(unit, source.read_text(), " ".join(flags))
    marker = CACHE_DIR / f"nvcc-{name}-{key}.ok"
    if marker.exists():
        return True, "cached"
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE_DIR) as tmp:
        tu = pathlib.Path(tmp) / f"{name}_instances.cu"
        tu.write_text(unit)
        result = subprocess.run([nvcc_path(), *flags, str(tu), "-o", str(tu.with_suffix(".o"))],
                                capture_output=True, text=True)
    log = result.stdout + result.stderr
    if result.returncode == 0:
        marker.write_text(log)
    return result.returncode == 0, log


def nvcc_check_all(names: list[str] | None = None) -> dict[str, tuple[bool, str]]:
    names = families() if names is None else names
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        return dict(zip(names, pool.map(nvcc_check, names)))
