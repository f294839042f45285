"""The compile ledger: every Numba compilation in this process, with how long it took.

Numba announces each compilation through its event API (`numba.core.event`, event kind
"numba:compile", with the dispatcher and the argument types); a listener registered once,
when the first kernel family is imported (kernels/cpu/__init__.py), times them. Loading a
kernel from Numba's on-disk cache is not a compilation: Numba counts it in the
dispatcher's `stats.cache_hits` instead, and nothing is recorded here.

The cost is paid at compile time only (a few microseconds next to the compilation itself);
calling a compiled kernel never reaches this module. `python -m minitorch_nn kernels`
(minitorch_nn/kernel_table.py) reads the ledger; so can anyone:

    from minitorch_nn.kernels.cpu._compile_ledger import records
    for r in records(): print(r.function, r.signature, f"{r.seconds:.2f} s")

CUDA families (kernels/cuda/_launch.py) add their NVRTC compilations with `record`.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

__all__ = ["CompileRecord", "install", "record", "records", "seconds_for"]


@dataclass(frozen=True)
class CompileRecord:
    """One compilation: `function` is "module.qualname" of the Numba function (or
    "kernels/cuda/<family>.cu" for a CUDA module), `signature` its argument types as Numba
    writes them (or the CUDA instance group), `seconds` the wall time it took, `depth`
    how many compilations enclose it: a kernel's time includes the helpers compiled for
    it (depth 1 and more), so the total is the sum over depth 0."""

    function: str
    signature: str
    seconds: float
    depth: int = 0


_RECORDS: list[CompileRecord] = []
_LOCK = threading.Lock()
_installed = False


def _name_of(dispatcher) -> str:
    fn = dispatcher.py_func
    return f"{fn.__module__}.{fn.__qualname__}"


def _signature(args) -> str:
    return "(" + ", ".join(str(a) for a in args) + ")"


def record(function: str, signature: str, seconds: float, depth: int = 0) -> None:
    """Add one compilation to the ledger."""
    with _LOCK:
        _RECORDS.append(CompileRecord(function, signature, seconds, depth))


def install() -> None:
    """Start recording Numba compilations (once per process; later calls do nothing)."""
    global _installed
    if _installed:
        return
    from numba.core import event

    class _Timer(event.Listener):
        """Times each "numba:compile" event; compilations nest (a kernel compiles the
        helpers it calls), so start times are kept on a per-thread stack."""

        def __init__(self):
            self._local = threading.local()

        def _stack(self) -> list:
            if not hasattr(self._local, "stack"):
                self._local.stack = []
            return self._local.stack

        def on_start(self, ev):
            self._stack().append(time.perf_counter())

        def on_end(self, ev):
            stack = self._stack()
            if not stack:   # began before install(), e.g. its compilation imported us
                return
            started = stack.pop()
            data = ev.data
            record(_name_of(data["dispatcher"]), _signature(data["args"]),
                   time.perf_counter() - started, len(stack))

    event.register("numba:compile", _Timer())
    _installed = True


def records() -> list[CompileRecord]:
    """Every compilation recorded so far, in the order they finished."""
    with _LOCK:
        return list(_RECORDS)


def seconds_for(function: str) -> dict[str, float]:
    """signature -> compile seconds of `function` ("module.qualname"), summed if it was
    compiled more than once for one signature (e.g. after a cache was cleared)."""
    out: dict[str, float] = {}
    for r in records():
        if r.function == function:
            out[r.signature] = out.get(r.signature, 0.0) + r.seconds
    return out
