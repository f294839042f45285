"""The recorder: where the profiler's timings come from.

One `Recorder` collects one trace. While it records it is hooked into four places:

* `autograd.function._tracer` (checked by `ArrayFunction.apply`): every top-level op call
  comes to `Recorder.run`, which times it as an event named after the op's Function class
  in snake case (`Mul` -> "mul", `MseLoss` -> "mse_loss", `Addmm` -> "addmm"; PyTorch's
  table calls the same ops "aten::mul", ...). Ops called inside another op are part of it.
* `autograd.engine._profiler` (read once per backward pass): every graph node the engine
  runs comes to `run_node` / `accumulate` and is timed under the node's name
  (`MulBackward0`, `torch::autograd::AccumulateGrad`), as PyTorch names them.
* Numba's compiler events ("numba:compile", `numba.core.event`): each kernel compiled while
  recording is an event "numba compile: <kernel>", inside the op that triggered it, so the
  op's self time excludes the compile (loading a kernel from Numba's cache is not a compile).
* the global optimizer step hooks: each `optimizer.step()` is a range named as PyTorch
  names it, "Optimizer.step#SGD.step".

`record_function` ranges go to every recorder in `RECORDING`. Hooks are chained, never
overwritten: the recorder saves the hook it replaces (the ONNX exporter's tracer, an outer
profiler's recorder) and hands each call on to it, and puts it back when it stops; a
profiler inside another profiler therefore nests, both seeing the inner ops. With CUDA
activity on and CuPy's `cuda.Event` available, an op or node whose arrays live on the GPU is
also timed on the device, between two CUDA events recorded around it (read when the trace
stops, so recording does not synchronize the GPU after every op).
"""
from __future__ import annotations

import os
import re
import sys
import threading
import time

from ..array_backends import _BY_ARRAY_TYPE
from ..autograd import engine as _engine
from ..autograd import function as _function
from ..autograd.op_hook import OpHook
from ..tensor import Tensor
from .events import EventList, FunctionEvent

__all__ = ["Recorder", "RECORDING", "op_name"]

RECORDING: list = []   # the recorders recording now, outermost first

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_SNAKE = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_OP_NAMES: dict = {}


def op_name(cls) -> str:
    """The event name of a Function class: its name in snake case, no underscore after a
    digit (`AdaptiveAvgPool2D` -> "adaptive_avg_pool2d", `Log1P` -> "log1p")."""
    name = _OP_NAMES.get(cls)
    if name is None:
        name = _OP_NAMES[cls] = _SNAKE.sub("_", cls.__name__).lower()
    return name


def _shape_of(a) -> list:
    """PyTorch's "Input Shapes" entry: a tensor's shape, a list of shapes for a list of
    tensors, [] for anything else."""
    if isinstance(a, Tensor):
        return list(a.shape)
    if isinstance(a, (list, tuple)) and a and all(isinstance(t, Tensor) for t in a):
        return [list(t.shape) for t in a]
    return []


def _user_stack() -> list:
    """The Python frames outside minitorch_nn, innermost first, as "file(line): function"."""
    frames = []
    f = sys._getframe(1)
    while f is not None:
        code = f.f_code
        if not code.co_filename.startswith(_PACKAGE_DIR):
            frames.append(f"{code.co_filename}({f.f_lineno}): {code.co_name}")
        f = f.f_back
    return frames


def _cuda_xp(arrays):
    """CuPy, if one of `arrays` lives on the GPU, else None."""
    for a in arrays:
        backend = _BY_ARRAY_TYPE.get(type(a))
        if backend is not None and backend.name == "cuda":
            return backend.xp
    return None


def _tensor_arrays(args):
    for a in args:
        if isinstance(a, Tensor):
            yield a._data
        elif isinstance(a, (list, tuple)):
            for t in a:
                if isinstance(t, Tensor):
                    yield t._data


def _live(hook, outer_attr: str):
    """`hook`, or the first hook it chains to that is not a stopped recorder."""
    while isinstance(hook, Recorder) and not hook.on:
        hook = getattr(hook, outer_attr)
    return hook


class Recorder(OpHook):
    """Collects the events of one trace between `start()` and `stop()` (an OpHook: op calls
    go through `run`; start/stop install it, keeping nested profiles chained)."""

    def __init__(self, record_shapes: bool = False, with_stack: bool = False,
                 cuda: bool = False):
        self.record_shapes = record_shapes
        self.with_stack = with_stack
        self.cuda = cuda
        self.on = False
        self.events: list[FunctionEvent] = []
        self.base_ns = self.base_epoch_ns = 0
        self.device_timing_missing = False   # a GPU op ran but CuPy has no cuda.Event
        self._open: dict = {}                # thread id -> stack of open events
        self.outer = self._outer_node_hook = None
        self._pending = []                   # (event, start CUDA event, end CUDA event, xp)
        self._reference = None               # (CUDA event, perf_counter_ns) for GPU timestamps
        self._listener = self._opt_handles = None

    # --- events ---------------------------------------------------------------------------
    def begin(self, name: str, category: str, input_shapes=None, metadata=None):
        """Open an event now, inside the innermost open event of this thread."""
        tid = threading.get_native_id()
        stack = self._open.get(tid)
        if stack is None:
            stack = self._open[tid] = []
        ev = FunctionEvent(len(self.events), name, category, tid, 0, self.base_ns,
                           input_shapes, _user_stack() if self.with_stack else None)
        if metadata:
            ev.metadata = metadata
        if stack:
            ev.cpu_parent = stack[-1]
            stack[-1].cpu_children.append(ev)
        stack.append(ev)
        self.events.append(ev)
        ev.start_ns = time.perf_counter_ns()
        return ev

    def end(self, ev) -> None:
        """Close `ev` now (and any event left open inside it); closed events stay closed."""
        now = time.perf_counter_ns()
        if ev.end_ns is not None:
            return
        stack = self._open.get(ev.thread, [])
        while stack:
            top = stack.pop()
            if top.end_ns is None:
                top.end_ns = now
            if top is ev:
                break
        ev.end_ns = now

    # --- the hooks ------------------------------------------------------------------------
    def run(self, cls, args, kwargs):
        """`ArrayFunction.apply`'s hook: time one top-level op call."""
        if not self.on:
            return self.call(cls, args, kwargs)
        ev = self.begin(op_name(cls), "cpu_op",
                        [_shape_of(a) for a in args] if self.record_shapes else None)
        timer = self._device_start(_tensor_arrays(args)) if self.cuda else None
        try:
            return self.call(cls, args, kwargs)
        finally:
            if timer is not None:
                self._device_stop(ev, timer)
            self.end(ev)

    def run_node(self, node, grads: list, retain_graph: bool):
        """The engine's hook: time one graph node's backward (with its hooks)."""
        outer = self._outer_node_hook
        if not self.on:
            return self._node(outer, node, grads, retain_graph)
        ev = self.begin(node.name(), "cpu_op",
                        [[] if g is None else list(g.shape) for g in grads]
                        if self.record_shapes else None)
        timer = self._device_start([g for g in grads if g is not None]) if self.cuda else None
        try:
            return self._node(outer, node, grads, retain_graph)
        finally:
            if timer is not None:
                self._device_stop(ev, timer)
            self.end(ev)

    @staticmethod
    def _node(outer, node, grads, retain_graph):
        if outer is not None:
            return outer.run_node(node, grads, retain_graph)
        return _engine._run_node(node, grads, retain_graph)

    def accumulate(self, node, grad, owned: bool) -> None:
        """The engine's hook for a leaf: time `AccumulateGrad` adding into `.grad`."""
        outer = self._outer_node_hook
        ev = self.begin(node.name(), "cpu_op", [list(grad.shape)] if self.record_shapes
                        else None) if self.on else None
        timer = self._device_start([grad]) if ev is not None and self.cuda else None
        try:
            if outer is not None:
                outer.accumulate(node, grad, owned)
            else:
                node.accumulate(grad, owned)
        finally:
            if timer is not None:
                self._device_stop(ev, timer)
            if ev is not None:
                self.end(ev)

    # --- device time ----------------------------------------------------------------------
    def _device_start(self, arrays):
        """Record a CUDA event before a GPU op: (start event, xp), or None."""
        xp = _cuda_xp(arrays)
        if xp is None:
            return None
        event_cls = getattr(getattr(xp, "cuda", None), "Event", None)
        if event_cls is None:
            self.device_timing_missing = True
            return None
        if self._reference is None:   # the GPU clock's zero, matched to the CPU clock
            ref = event_cls()
            ref.record()
            ref.synchronize()
            self._reference = (ref, time.perf_counter_ns())
        start = event_cls()
        start.record()
        return start, xp, event_cls

    def _device_stop(self, ev, timer) -> None:
        start, xp, event_cls = timer
        end = event_cls()
        end.record()
        self._pending.append((ev, start, end, xp))

    def _resolve_device_times(self) -> None:
        """Read the CUDA events: each event's device time, and where the GPU ran it."""
        for ev, start, end, xp in self._pending:
            end.synchronize()
            ev.own_device_time = xp.cuda.get_elapsed_time(start, end) * 1000.0   # ms -> us
            ref, ref_ns = self._reference
            ev.device_start = ((ref_ns - self.base_ns) / 1000
                               + xp.cuda.get_elapsed_time(ref, start) * 1000.0)
        self._pending = []

    # --- start and stop -------------------------------------------------------------------
    def start(self) -> None:
        """Hook in (saving the hooks found there) and start the clock."""
        self.base_ns = time.perf_counter_ns()
        self.base_epoch_ns = time.time_ns()
        self.outer, _function._tracer = _function._tracer, self
        self._outer_node_hook, _engine._profiler = _engine._profiler, self
        self._listener = _compile_listener(self)
        self._opt_handles = _optimizer_hooks(self)
        self.on = True
        RECORDING.append(self)

    def stop(self) -> EventList:
        """Unhook (restoring what was there), close open ranges, read device times."""
        if not self.on:
            return self.results()
        self.on = False
        RECORDING.remove(self)
        for h in self._opt_handles:
            h.remove()
        if self._listener is not None:
            from numba.core import event as numba_event
            numba_event.unregister("numba:compile", self._listener)
        if _function._tracer is self:
            _function._tracer = _live(self.outer, "outer")
        if _engine._profiler is self:
            _engine._profiler = _live(self._outer_node_hook, "_outer_node_hook")
        now = time.perf_counter_ns()
        for stack in self._open.values():
            for ev in stack:
                ev.end_ns = now
        self._open = {}
        self._resolve_device_times()
        return self.results()

    def results(self) -> EventList:
        done = [e for e in self.events if e.end_ns is not None]
        return EventList(done, use_device="cuda" if self.cuda else None,
                         base_epoch_ns=self.base_epoch_ns)


def _compile_listener(recorder: Recorder):
    """Register a Numba listener turning each "numba:compile" into an event of `recorder`."""
    from numba.core import event as numba_event

    class CompileListener(numba_event.Listener):
        """Only the outermost compile is an event: the functions Numba compiles to build a
        kernel (its own `impl`s, other jitted functions it calls) are part of it."""

        def __init__(self):
            self.depth = 0
            self.event = None

        def on_start(self, event):
            self.depth += 1
            if self.depth > 1 or not recorder.on:
                return
            data = event.data or {}
            func = getattr(data.get("dispatcher"), "py_func", None)
            name = getattr(func, "__name__", "?")
            meta = {"kernel": f"{getattr(func, '__module__', '?')}.{name}",
                    "signature": str(data.get("args"))}
            self.event = recorder.begin(f"numba compile: {name}", "numba_compile",
                                        metadata=meta)

        def on_end(self, event):
            self.depth -= 1
            if self.depth == 0 and self.event is not None:
                recorder.end(self.event)
                self.event = None

    listener = CompileListener()
    numba_event.register("numba:compile", listener)
    return listener


def _optimizer_hooks(recorder: Recorder) -> list:
    """Global optimizer step hooks making each `step()` a range "Optimizer.step#SGD.step"."""
    from ..optim.optimizer import (register_optimizer_step_post_hook,
                                   register_optimizer_step_pre_hook)
    open_steps: dict = {}

    def pre(optimizer, args, kwargs):
        if recorder.on:
            name = f"Optimizer.step#{type(optimizer).__name__}.step"
            open_steps.setdefault(id(optimizer), []).append(
                recorder.begin(name, "user_annotation"))

    def post(optimizer, args, kwargs):
        stack = open_steps.get(id(optimizer))
        if stack:
            recorder.end(stack.pop())

    return [register_optimizer_step_pre_hook(pre), register_optimizer_step_post_hook(post)]
