"""Every CUDA compilation unit, built by our launch code and compiled by the real NVRTC.

No GPU needed: CuPy (with the NVRTC and CUDA-runtime-header wheels of the `[cuda]` extra)
compiles on any machine. For every (family, group) unit, `CupyRuntime._module` builds the
real `cupy.RawModule` (our source string, options and name expressions; CuPy adds its
include paths, `-ftz=true` and the `-arch` option as it does on a GPU) and CuPy's own
compile path runs NVRTC, for sm_80 and sm_90. Only what needs a device is replaced:
- the two architecture queries (`_get_arch`, `_get_arch_for_options_for_nvrtc`, memoized per
  device) run unmemoized, with `device.Device().compute_capability` answering the fixed
  architecture;
- `RawModule._module` is memoized per device, so `compile()` calls the builder it wraps;
- the compiled cubin is kept, not loaded into a CUDA context.

Then each kernel instance's lowered (mangled) name, as NVRTC reports it, is decoded and
checked against the launcher's argument table (kernels/cuda/<family>.py): the number of
parameters, pointer or not, const or not, and the C type, where the table's type goes
through the numpy type the launcher casts to (or checks the array against) and then
CuPy's own dtype -> C type mapping (`cupy._core._scalar.get_typename`). A table that says
`int` where the kernel takes `long long` would make the launcher push 4 bytes where the
kernel reads 8: that fails here.

Skipped only when CuPy or its NVRTC cannot be loaded (the reason says what to install),
and in the `--fake-gpu` pass, where `cupy` is the fake (the plain pass runs it). With
MINITORCH_REQUIRE_NVRTC=1 (set by .ci/run after installing the wheels) it fails instead.
"""
from __future__ import annotations

import importlib
import os
import pathlib
import re
import types

import numpy as np
import pytest

from minitorch_nn.kernels.cuda import _launch

CUDA_DIR = pathlib.Path(_launch.__file__).resolve().parent
FAMILIES = sorted(p.stem for p in CUDA_DIR.glob("*.cu"))
ARCHS = ("80", "90")
GROUPS = ("float", "half")

INSTALL = ('pip install -e ".[cuda]" (or: pip install cupy-cuda12x nvidia-cuda-nvrtc-cu12 '
           'nvidia-cuda-runtime-cu12); no GPU or CUDA toolkit needed')


def _load_cupy():
    """CuPy's modules that the check uses, or a skip saying why they cannot be loaded."""
    from fake_cupy import install
    if install.installed():
        pytest.skip("the --fake-gpu pass replaces CuPy with the fake; the NVRTC compile "
                    "check runs in the plain pass")
    try:
        import cupy
        from cupy._core import raw
        from cupy._core._scalar import get_typename
        from cupy.cuda import compiler, function, nvrtc
        nvrtc.getVersion()   # loads libnvrtc
    except Exception as exc:   # ImportError, or NVRTC's shared library not found
        if os.environ.get("MINITORCH_REQUIRE_NVRTC") == "1":
            raise
        pytest.skip(f"CuPy with NVRTC cannot be loaded ({type(exc).__name__}: "
                    f"{str(exc).splitlines()[0] if str(exc) else ''}): {INSTALL}")
    return types.SimpleNamespace(cupy=cupy, compiler=compiler, function=function, raw=raw,
                                 get_typename=get_typename)


class _Cubin:
    """Stands in for `cupy.cuda.function.Module` inside CuPy's compile path: keeps the
    cubin and the name-expression -> lowered-name mapping instead of loading the cubin
    into a CUDA context (which needs a device)."""

    def load(self, cubin):
        self.cubin = cubin

    def _set_mapping(self, mapping):
        self.mapping = mapping


@pytest.fixture(scope="module")
def cp():
    return _load_cupy()


@pytest.fixture(params=ARCHS, ids=lambda a: f"sm_{a}")
def nvrtc_for_arch(request, cp, monkeypatch):
    """A compile function (family, group) -> (cubin, lowered names, -arch option), through
    `CupyRuntime._module`, with CuPy's device queries answering the fixed architecture."""
    arch = request.param
    compiler = cp.compiler
    monkeypatch.setenv("CUPY_CACHE_IN_MEMORY", "1")   # compile every time, write nothing
    monkeypatch.setattr(compiler, "device", types.SimpleNamespace(
        Device=lambda *args: types.SimpleNamespace(compute_capability=arch)))
    monkeypatch.setattr(compiler, "_get_arch", compiler._get_arch.__wrapped__)
    arch_options = compiler._get_arch_for_options_for_nvrtc.__wrapped__
    chosen: list = []

    def arch_for_nvrtc(arch=None):
        chosen.append(arch_options(arch))
        return chosen[-1]

    monkeypatch.setattr(compiler, "_get_arch_for_options_for_nvrtc", arch_for_nvrtc)

    compiled: list = []
    real_compile = compiler._compile_module_with_cache
    real_function = compiler.function

    def compile_without_device(source, options=(), **kwargs):
        monkeypatch.setattr(compiler, "function", types.SimpleNamespace(Module=_Cubin))
        try:
            cubin = real_compile(source, options, **kwargs)
        finally:
            monkeypatch.setattr(compiler, "function", real_function)
        compiled.append((cubin, chosen[-1]))
        return real_function.Module()   # empty, never loaded: the type CuPy expects back

    monkeypatch.setattr(compiler, "_compile_module_with_cache", compile_without_device)

    class RawModule(cp.cupy.RawModule):
        """The real RawModule (its constructor checks our arguments); compile() calls the
        builder that the per-device memo of `RawModule._module` wraps."""

        def compile(self, log_stream=None):
            cp.raw._get_raw_module.__wrapped__(
                self.code, self.file_path, self.options, self.backend, False,
                self.enable_cooperative_groups, False, self.name_expressions, log_stream)

    runtime = _launch.CupyRuntime()
    runtime._cupy = types.SimpleNamespace(RawModule=RawModule)

    def build(family: _launch.Family, group: str):
        """(cubin, {name expression: lowered name}, (NVRTC's -arch option, output kind))."""
        before = len(compiled)
        runtime._module(family, group)
        assert len(compiled) == before + 1, "CuPy did not compile the unit"
        module, arch_option = compiled[-1]
        return module.cubin, module.mapping, arch_option

    build.arch = arch
    return build


def _family(name: str) -> _launch.Family:
    return importlib.import_module(f"minitorch_nn.kernels.cuda.{name}").KERNELS


UNITS = [(f, g) for f in FAMILIES for g in GROUPS if _family(f).name_expressions(g)]


# ------------------------------------------------------------------ Itanium demangling
# Just what NVRTC's lowered names of our kernels use: `_Z <name> [I <args> E <return>]
# <params>`, builtin types, P (pointer), K (const), class names, T_ (the template
# argument), S_ substitutions, and the nested dependent name `mt_acc<T>::type` (A).
_BUILTIN = {"v": "void", "b": "bool", "c": "char", "a": "signed char", "h": "unsigned char",
            "s": "short", "t": "unsigned short", "i": "int", "j": "unsigned int", "l": "long",
            "m": "unsigned long", "x": "long long", "y": "unsigned long long", "f": "float",
            "d": "double"}


class CType:
    """A decoded parameter type: `const` applies to what a pointer points to."""

    def __init__(self, base: str, pointer: bool = False, const: bool = False):
        self.base, self.pointer, self.const = base, pointer, const

    def __eq__(self, other):
        return (self.base, self.pointer, self.const) == (other.base, other.pointer, other.const)

    def __repr__(self):
        return ("const " if self.const else "") + self.base + ("*" if self.pointer else "")


class _Demangler:
    def __init__(self, mangled: str):
        self.s, self.i = mangled, 0
        self.subs: list = []        # substitution candidates, in order
        self.targs: list = []       # template arguments (CType)

    def peek(self, n: int = 1) -> str:
        return self.s[self.i:self.i + n]

    def take(self, text: str) -> None:
        if not self.s.startswith(text, self.i):
            raise ValueError(f"cannot demangle {self.s!r} at {self.i}: expected {text!r}")
        self.i += len(text)

    def number(self) -> int:
        match = re.compile(r"\d+").match(self.s, self.i)
        if match is None:
            raise ValueError(f"cannot demangle {self.s!r} at {self.i}: expected a length")
        self.i = match.end()
        return int(match.group())

    def source_name(self) -> str:
        n = self.number()
        name = self.s[self.i:self.i + n]
        self.i += n
        return name

    def seq_id(self, closing: str = "_") -> int:
        digits = ""
        while self.peek() != closing:
            digits += self.peek()
            self.i += 1
        self.take(closing)
        return 0 if digits == "" else int(digits, 36) + 1

    def function(self):
        """(kernel name, template arguments, parameter types)."""
        self.take("_Z")
        name = self.source_name()
        if self.peek() == "I":
            self.subs.append(name)   # the unscoped template name
            self.take("I")
            while self.peek() != "E":
                self.targs.append(self.type())
            self.take("E")
            self.type()   # the return type (void)
        params = []
        while self.i < len(self.s):
            params.append(self.type())
        return name, self.targs, params

    def type(self) -> CType:
        c = self.peek()
        if c in _BUILTIN:
            self.i += 1
            return CType(_BUILTIN[c])
        if c == "P":
            self.i += 1
            inner = self.type()
            assert not inner.pointer, "pointers to pointers are not used"
            t = CType(inner.base, pointer=True, const=inner.const)
        elif c == "K":
            self.i += 1
            inner = self.type()
            t = CType(inner.base, pointer=inner.pointer, const=True)
        elif c == "T":
            self.i += 1
            t = self.targs[self.seq_id()]
        elif c == "S":
            self.i += 1
            return self.subs[self.seq_id()]   # a substitution is not a new candidate
        elif c == "N":
            t = self.nested()
        elif c.isdigit():
            t = CType(self.source_name())
        else:
            raise ValueError(f"cannot demangle {self.s!r} at {self.i}: {c!r}")
        self.subs.append(t)
        return t

    def nested(self) -> CType:
        """N <template> I <arg> E <member> E: only `mt_acc<X>::type`, i.e. A for X."""
        self.take("N")
        template = self.source_name()
        self.subs.append(template)
        self.take("I")
        arg = self.type()
        self.take("E")
        self.subs.append(f"{template}<{arg}>")
        member = self.source_name()
        self.take("E")
        if (template, member) != ("mt_acc", "type") or arg.pointer:
            raise ValueError(f"unexpected nested type {template}<{arg}>::{member} in {self.s}")
        # mt_acc_t<T> (common.cuh): float for __half, __nv_bfloat16 and float, else T.
        return CType(_launch.ACC_OF_CTYPE[arg.base], const=arg.const)


def demangle(mangled: str):
    """(name, template arguments, parameter types) of a lowered kernel name."""
    return _Demangler(mangled).function()


# CuPy's type names for the 2-byte floats are its own wrappers of the CUDA types.
_CUPY_HALF_NAMES = {"float16": "__half", "bfloat16": "__nv_bfloat16"}


def table_ctypes(family: _launch.Family, kernel: str, elem: str, get_typename) -> list:
    """What the launcher passes for each parameter of `kernel<elem>`, as C types: the numpy
    type it casts a scalar to (or checks an array's dtype against), named by CuPy."""
    out = []
    for p in family.signatures[kernel]:
        name = get_typename(np.dtype(p.numpy_type(elem)))
        out.append(CType(_CUPY_HALF_NAMES.get(name, name), pointer=p.is_pointer,
                         const=p.is_const))
    return out


def signature_mismatches(family: _launch.Family, mapping: dict, get_typename) -> list[str]:
    """One line per kernel instance whose lowered name disagrees with the table."""
    problems = []
    for kernel in family.signatures:
        for elem in family.element_types(kernel):
            symbol = family.symbol(kernel, elem)
            if symbol not in mapping:
                continue   # the other group's
            name, targs, params = demangle(mapping[symbol])
            want = table_ctypes(family, kernel, elem, get_typename)
            if name != kernel or [t.base for t in targs] != ([elem] if elem else []):
                problems.append(f"{symbol}: lowered name {mapping[symbol]} is {name}<{targs}>")
            elif len(params) != len(want):
                problems.append(f"{symbol}: the kernel takes {len(params)} parameters "
                                f"{params}, the table {len(want)} {want}")
            else:
                for i, (got, expected) in enumerate(zip(params, want)):
                    if got != expected:
                        pname = family.signatures[kernel][i].name
                        problems.append(f"{symbol}: parameter {i} ({pname}) is {got} in the "
                                        f"kernel, the launcher passes {expected}")
    return problems


# ------------------------------------------------------------------ the tests
def test_demangler_reads_nvrtc_names():
    name, targs, params = demangle(
        "_Z12softplus_bwdI6__halfEvPKT_S3_PS1_N6mt_accIS1_E4typeES7_x")
    assert name == "softplus_bwd" and targs == [CType("__half")]
    assert params == [CType("__half", True, True), CType("__half", True, True),
                      CType("__half", True), CType("float"), CType("float"),
                      CType("long long")]
    assert demangle("_Z12dropout_maskPhdyyx")[2] == [
        CType("unsigned char", True), CType("double"), CType("unsigned long long"),
        CType("unsigned long long"), CType("long long")]


@pytest.mark.parametrize("family,group", UNITS, ids=[f"{f}-{g}" for f, g in UNITS])
def test_unit_compiles_and_matches_the_table(nvrtc_for_arch, cp, family, group):
    fam = _family(family)
    cubin, mapping, arch_option = nvrtc_for_arch(fam, group)
    assert arch_option == (f"-arch=sm_{nvrtc_for_arch.arch}", "cubin")
    assert cubin[:5] == b"\x7fELF\x02", "NVRTC did not produce a 64-bit cubin"
    e_flags = int.from_bytes(cubin[0x30:0x34], "little")   # EF_CUDA_SM: low byte (ABI 7)
    assert int(nvrtc_for_arch.arch) in (e_flags & 0xFF, (e_flags >> 8) & 0xFF), hex(e_flags)
    assert sorted(mapping) == sorted(fam.name_expressions(group))
    assert signature_mismatches(fam, mapping, cp.get_typename) == []


def test_a_wrong_argument_type_in_the_table_is_caught(nvrtc_for_arch, cp):
    """A launcher table saying `int n` where relu_fwd takes `long long n` (and one missing
    a parameter) compiles, but the check of the lowered names fails."""
    real = _family("activation")
    _, mapping, _ = nvrtc_for_arch(real, "float")
    assert signature_mismatches(real, mapping, cp.get_typename) == []

    doctored = _launch.Family("activation", """
        relu_fwd(const T* x, T* out, int n)
        relu_bwd(const T* x, const T* g, T* out)
        gelu_fwd(T* x, T* out, int tanh_approx, long long n)
        elu_fwd(const T* x, T* out, T alpha, long long n)
    """, dtypes=real.dtypes)
    problems = signature_mismatches(doctored, mapping, cp.get_typename)
    assert any("relu_fwd<float>: parameter 2 (n) is long long in the kernel, the launcher "
               "passes int" in p for p in problems), problems
    assert any(p.startswith("relu_bwd<float>: the kernel takes 4 parameters")
               for p in problems), problems
    assert any("gelu_fwd<double>: parameter 0 (x) is const double*" in p for p in problems)
    assert not any(p.startswith("elu_fwd") for p in problems)   # A is T for float/double

    _, half_mapping, _ = nvrtc_for_arch(real, "half")
    problems = signature_mismatches(doctored, half_mapping, cp.get_typename)
    assert any("elu_fwd<__half>: parameter 2 (alpha) is float in the kernel, the launcher "
               "passes __half" in p for p in problems), problems
