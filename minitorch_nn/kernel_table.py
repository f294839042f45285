"""`python -m minitorch_nn kernels`: which kernel serves each op, on each device and dtype.

Every op declares the named kernels it calls (`@op(..., kernels=("activation.gelu_fwd",
...))`, ops/registry.py); docs/ops.md (ops/catalog.py) turns that into a CPU and a CUDA
column. This table says the same per device and dtype, and adds what only a running process
knows:

* CPU, float32/float64: the Numba function (`minitorch_nn.kernels.cpu.<family>.<name>`,
  and its `<name>_serial` twin that small arrays run), the signatures compiled in this
  process, whether each was compiled (with its time, from the compile ledger,
  kernels/cpu/_compile_ledger.py) or loaded from Numba's on-disk cache, and which
  signatures that cache holds and where it is;
* CPU, other dtypes (float16, integers, ...): NumPy's routines;
* CUDA, the element types the CUDA family is instantiated for: the CUDA kernel
  (`<name><T>` of kernels/cuda/<family>.cu, or the launcher in <family>.py that runs
  several), and whether CuPy compiled its module here;
* CUDA, other dtypes, and every op without kernels: CuPy's routines.

A fresh process has compiled nothing: run the work first (`kernels --run script.py`, or
call `kernel_table()` from the process that ran it) to see what it compiled and for how
long. Options: op names to list only those (ops/op_names.py: `relu`, `F.gelu`, ...),
`--compiled` (only what this process compiled or loaded), `--kernels-only` (no NumPy/CuPy-
only ops), `--ledger` (every compilation, kernels of no op included), `--json` (the rows,
cache locations and ledger, for scripts). From Python:

    from minitorch_nn.kernel_table import kernel_table, format_rows
    print(format_rows(kernel_table(["F.gelu"])))
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import os
import runpy
import sys
from dataclasses import dataclass, field

from .array_backends.base import _family
from .ops.catalog import file_of, kernels_by_device, public_name, sorted_decls
from .ops.op_names import find_ops, no_such_op

__all__ = ["KernelRow", "kernel_table", "format_rows", "format_ledger", "to_json",
           "numba_cache_dir", "cupy_cache_dir", "add_arguments", "command"]

_NUMBA_DTYPES = ["float32", "float64"]          # what the Numba kernels take
_CTYPE_DTYPES = {"float": "float32", "double": "float64", "__half": "float16",
                 "__nv_bfloat16": "bfloat16"}
_CPU_PACKAGE = "minitorch_nn.kernels.cpu"
_CUDA_PACKAGE = "minitorch_nn.kernels.cuda"


@dataclass
class KernelRow:
    """What computes op `op` on `device` for arrays of `dtypes` (["other"]: the dtypes the
    kernel rows above do not take; ["all"]: an op without kernels on this device).

    `engine` is "Numba", "NumPy", "CUDA" or "CuPy"; `kernel` the declared "family.name",
    `function` the Numba function or CUDA template that runs. For a Numba function:
    `compiled` maps each signature it holds in this process to its compile seconds (None
    when it was loaded from the disk cache or compiled before the ledger started),
    `loaded_from_cache` lists those that came from disk, `cached` the signatures Numba's
    disk cache holds for this machine, in `cache_dir`. For a CUDA kernel `compiled` lists
    the instance groups ("float", "half") CuPy has compiled in this process, with the
    seconds each took (compiled, or loaded from CuPy's own disk cache).
    """

    op: str
    device: str
    dtypes: list[str]
    engine: str
    kernel: str | None = None
    function: str | None = None
    compiled: dict[str, float | None] = field(default_factory=dict)
    loaded_from_cache: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    cache_dir: str | None = None
    written_in: str = ""

    @property
    def is_compiled(self) -> bool:
        """Whether this process holds compiled code of the kernel (compiled or loaded)."""
        return bool(self.compiled)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


# ------------------------------------------------------------------ cache locations
def numba_cache_dir() -> str:
    """Where Numba caches the CPU kernels: NUMBA_CACHE_DIR if set (Numba adds a folder per
    package under it), else the __pycache__ next to kernels/cpu (Numba's default for a
    writable package; each row's `cache_dir` is the one Numba actually uses)."""
    asked = os.environ.get("NUMBA_CACHE_DIR")
    if asked:
        return asked
    from .kernels import cpu
    return os.path.join(os.path.dirname(cpu.__file__), "__pycache__")


def cupy_cache_dir() -> str:
    """Where CuPy caches compiled CUDA modules: CUPY_CACHE_DIR, else ~/.cupy/kernel_cache."""
    return os.environ.get("CUPY_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cupy", "kernel_cache")


# ------------------------------------------------------------------ one Numba function
def _signature(types) -> str:
    return "(" + ", ".join(str(t) for t in types) + ")"


def _numba_parts(kernel) -> tuple | None:
    """(py_func, compiled signatures, cache hits, on-disk cache, codegen) of a Numba kernel:
    an @njit dispatcher, or a @vectorize ufunc (whose compiled loops live in its
    `_dispatcher`; Numba counts no cache hits for those). None for anything else."""
    if hasattr(kernel, "signatures") and hasattr(kernel, "py_func"):
        return (kernel.py_func, [tuple(s) for s in kernel.signatures], kernel.stats.cache_hits,
                getattr(kernel, "_cache", None), kernel.targetctx.codegen())
    inner = getattr(kernel, "_dispatcher", None)
    if inner is not None and hasattr(inner, "overloads"):
        return (inner.py_func, [tuple(s.args) for s in inner.overloads], {},
                getattr(inner, "cache", None), inner.targetdescr.target_context.codegen())
    return None


def _disk_signatures(cache, codegen) -> list[str]:
    """The signatures Numba's on-disk cache holds on this machine (its index file, read
    through Numba's cache object; [] when there is none)."""
    try:
        index = cache._cache_file._load_index()
        magic = codegen.magic_tuple()
    except Exception:   # no cache (cache=False), or another Numba's internals
        return []
    return sorted(_signature(key[0]) for key in index if key[1] == magic)


def _numba_row(op: str, kernel: str, function_name: str, parts: tuple, written_in: str,
               ledger: dict) -> KernelRow:
    """The row of one Numba function (a kernel or its serial twin); `ledger` maps
    "module.qualname" -> signature -> compile seconds."""
    py_func, signatures, hits, cache, codegen = parts
    seconds = ledger.get(f"{py_func.__module__}.{py_func.__qualname__}", {})
    compiled, loaded = {}, []
    for sig in signatures:
        text = _signature(sig)
        compiled[text] = seconds.get(text)
        if hits.get(sig):
            loaded.append(text)
    where = getattr(cache, "_cache_path", None) or numba_cache_dir()   # this function's
    return KernelRow(op, "cpu", list(_NUMBA_DTYPES), "Numba", kernel, function_name,
                     compiled, loaded, _disk_signatures(cache, codegen), where, written_in)


def _cpu_rows(op: str, kernels: list[str], written_in: str, ledger) -> list[KernelRow]:
    rows = []
    for kernel in kernels:
        family, name = kernel.split(".", 1)
        module = _family(_CPU_PACKAGE, family)
        for variant in (name, name + "_serial"):
            parts = _numba_parts(getattr(module, variant, None))
            if parts is None:
                if variant == name:   # declared but missing (tests/ops/test_registry.py)
                    rows.append(KernelRow(op, "cpu", list(_NUMBA_DTYPES), "Numba", kernel,
                                          f"{_CPU_PACKAGE}.{family}.{name} (missing)",
                                          written_in=written_in))
                continue
            rows.append(_numba_row(op, kernel, f"{_CPU_PACKAGE}.{family}.{variant}",
                                   parts, written_in, ledger))
    rows.append(KernelRow(op, "cpu", ["other"] if kernels else ["all"], "NumPy",
                          written_in=written_in))
    return rows


def _cuda_compiled_groups() -> set[tuple[str, str]]:
    """(family, group) of the CUDA modules CuPy compiled in this process (none when no
    launch happened, the runtime being created on first launch, or under a test's
    emulated runtime)."""
    from .kernels.cuda import _launch
    compiled = getattr(_launch._runtime, "compiled_modules", None)   # CupyRuntime's
    return compiled() if compiled is not None else set()


def _cuda_kernel(family: str, name: str, table) -> tuple[str, list[str]]:
    """(function, element types) of CUDA kernel `name`: a kernel of the family's table
    ("activation.cu: gelu_fwd<T>"), or a launcher that runs several of them
    ("norm.py: row_norm_bwd", built for every element type of the family)."""
    if name in table.signatures:
        elems = [e for e in table.element_types(name) if e]
        template = f"{name}<T>" if elems else name
        return f"kernels/cuda/{family}.cu: {template}", elems
    return f"kernels/cuda/{family}.py: {name}", list(table.dtypes)


def _cuda_rows(op: str, kernels: list[str], written_in: str, ledger: dict) -> list[KernelRow]:
    from .kernels.cuda._launch import group_of
    rows, taken = [], set()
    compiled_groups = _cuda_compiled_groups()
    for kernel in kernels:
        family, name = kernel.split(".", 1)
        module = _family(_CUDA_PACKAGE, family)
        table = getattr(module, "KERNELS", None)
        if table is None or not callable(getattr(module, name, None)):
            rows.append(KernelRow(op, "cuda", ["all"], "CUDA", kernel,
                                  f"{_CUDA_PACKAGE}.{family}.{name} (missing)",
                                  written_in=written_in))
            continue
        function, elems = _cuda_kernel(family, name, table)
        dtypes = [_CTYPE_DTYPES[e] for e in elems] or ["all"]
        taken.update(dtypes)
        groups = sorted({group_of(e) for e in elems} or {"float"})
        seconds = ledger.get(f"kernels/cuda/{family}.cu", {})
        compiled = {g: seconds.get(f"{g} instances") for g in groups
                    if (family, g) in compiled_groups}
        rows.append(KernelRow(op, "cuda", dtypes, "CUDA", kernel, function, compiled,
                              cache_dir=cupy_cache_dir(), written_in=written_in))
    if "all" not in taken:
        rows.append(KernelRow(op, "cuda", ["other"] if rows else ["all"], "CuPy",
                              written_in=written_in))
    return rows


def _ledger_by_function() -> dict[str, dict[str, float]]:
    """function -> signature -> seconds, read once for a whole table."""
    from .kernels.cpu._compile_ledger import records
    out: dict[str, dict[str, float]] = {}
    for r in records():
        per = out.setdefault(r.function, {})
        per[r.signature] = per.get(r.signature, 0.0) + r.seconds
    return out


# ------------------------------------------------------------------ the table
def kernel_table(names=None, *, compiled_only: bool = False) -> list[KernelRow]:
    """The rows for the ops `names` (as `python -m minitorch_nn.ops` accepts them: "relu",
    "F.gelu", "nn.functional.gelu"; default every op), in catalog order.

    Imports the kernel families the ops name (Numba is imported, nothing is compiled).
    `compiled_only` keeps the kernel rows with code compiled in this process.
    KeyError for an unknown name, with close matches.
    """
    if names is None:   # (the registry is full: importing this module imported the package)
        decls = sorted_decls()
    else:
        decls = []
        for name in names:
            found = find_ops(name)
            if not found:
                raise KeyError(no_such_op(name))
            decls += [d for d in found if d not in decls]
    ledger = _ledger_by_function() if any(d.kernels for d in decls) else {}
    rows = []
    for decl in decls:
        op, where = public_name(decl), file_of(decl.fn)
        cpu, cuda = kernels_by_device(decl.kernels)
        rows += _cpu_rows(op, cpu, where, ledger) + _cuda_rows(op, cuda, where, ledger)
    if compiled_only:
        rows = [r for r in rows if r.is_compiled]
    return rows


def _state(row: KernelRow) -> list[str]:
    """The status words of a kernel row, and one line per compiled signature."""
    if row.engine == "Numba":
        disk = f"on disk: {len(row.cached)} signature(s)" if row.cached else "not on disk"
        if not row.compiled:
            return [f"not compiled in this process; {disk}"]
        lines = [f"{len(row.compiled)} signature(s) in this process; {disk}"]
        for sig, seconds in row.compiled.items():
            how = ("loaded from disk cache" if sig in row.loaded_from_cache else
                   f"compiled in {seconds:.3f} s" if seconds is not None else
                   "compiled or loaded from disk (not timed)")
            lines.append(f"      {sig}: {how}")
        return lines
    if row.engine == "CUDA":
        if not row.compiled:
            return ["not compiled in this process"]
        return ["compiled here: " + ", ".join(
            f"{g} instances" + (f" in {s:.3f} s" if s is not None else "")
            for g, s in row.compiled.items())]
    return [""]


def _short(function: str | None) -> str:
    """"activation.gelu_fwd_serial" for the Numba function minitorch_nn.kernels.cpu.
    activation.gelu_fwd_serial; "activation.cu: gelu_fwd<T>" for a CUDA kernel,
    "norm.py: row_norm_bwd" for a launcher of several."""
    if function is None:
        return ""
    return function.removeprefix(_CPU_PACKAGE + ".").removeprefix("kernels/cuda/")


def format_rows(rows: list[KernelRow]) -> str:
    """The table as text: each op, then one line per (device, dtypes, engine, kernel)."""
    lines = [f"Numba cache: {numba_cache_dir()}", f"CuPy cache:  {cupy_cache_dir()}", ""]
    current = None
    width = max((len(", ".join(r.dtypes)) for r in rows), default=5)
    fn_width = max((len(_short(r.function)) for r in rows), default=0)
    for row in rows:
        if row.op != current:
            current = row.op
            lines.append(f"{row.op}  ({row.written_in})")
        what = _short(row.function)
        head = (f"  {row.device:<4}  {', '.join(row.dtypes):<{width}}  {row.engine:<5}  "
                f"{what:<{fn_width}}")
        state = _state(row)
        lines.append(f"{head}  {state[0]}".rstrip())
        lines += state[1:]
    from .kernels.cpu._compile_ledger import records
    done = records()
    if done:
        total = sum(r.seconds for r in done if r.depth == 0)   # nested ones are inside
        lines += ["", f"Compile ledger: {len(done)} compilation(s) in this process, "
                      f"{total:.3f} s in all"]
    return "\n".join(lines) + "\n"


def format_ledger() -> str:
    """The compile ledger as text: each compilation not nested in another, in order."""
    from .kernels.cpu._compile_ledger import records
    top = [r for r in records() if r.depth == 0]
    lines = [f"{r.seconds:8.3f} s  {_short(r.function)} {r.signature}" for r in top] or [
        "  none: nothing was compiled here (kernels loaded from Numba's disk cache, or none "
        "ran)"]
    return "\n".join(["Compile ledger (outermost compilations, in order):", *lines]) + "\n"


def to_json(rows: list[KernelRow]) -> str:
    """The rows (and the cache locations, and every compilation in the ledger) as JSON."""
    from .kernels.cpu._compile_ledger import records
    return json.dumps({"numba_cache_dir": numba_cache_dir(), "cupy_cache_dir": cupy_cache_dir(),
                       "rows": [r.as_dict() for r in rows],
                       "compilations": [dataclasses.asdict(r) for r in records()]}, indent=1)


# ------------------------------------------------------------------ the command
def add_arguments(parser) -> None:
    parser.add_argument("ops", nargs="*", metavar="OP",
                        help="ops to list (relu, F.gelu, nn.functional.gelu); default: all")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument("--compiled", action="store_true",
                        help="only kernels with code compiled (or loaded) in this process")
    parser.add_argument("--ledger", action="store_true",
                        help="also list every compilation of this process (kernels of no "
                             "op row included, e.g. the random generators)")
    parser.add_argument("--kernels-only", action="store_true",
                        help="only ops that have named kernels (no NumPy/CuPy-only ops)")
    parser.add_argument("--run", metavar="SCRIPT",
                        help="run SCRIPT first (as `python SCRIPT`), then list what it "
                             "compiled")


def command(args) -> int:
    if args.run:
        argv = sys.argv
        sys.argv = [args.run]          # the script sees itself as argv[0], as under python
        try:
            runpy.run_path(args.run, run_name="__main__")
        finally:
            sys.argv = argv
    try:
        rows = kernel_table(args.ops or None, compiled_only=args.compiled)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 1
    if args.kernels_only:
        with_kernels = {r.op for r in rows if r.kernel}
        rows = [r for r in rows if r.op in with_kernels]
    if args.json:
        sys.stdout.write(to_json(rows) + "\n")
        return 0
    sys.stdout.write(format_rows(rows))
    if args.ledger:
        sys.stdout.write("\n" + format_ledger())
    return 0
