"""The divergence finder: run one model step under minitorch_nn and under PyTorch, op by op,
and name the first op whose output or gradient leaves PyTorch's.

    from minitorch_nn.testing import compare

    def step(T, x, y):                       # T is minitorch_nn or torch: one model, two runs
        model = T.nn.Sequential(T.nn.Linear(4, 8), T.nn.ReLU(), T.nn.Linear(8, 3))
        return T.nn.functional.cross_entropy(model(x), y)

    report = compare(step, x_numpy, y_numpy)  # seeds both libraries alike before each run
    print(report)                            # one row per op: errors and time, ours vs torch
    report.first_divergence                  # None, or the op, call site, shapes and errors

How it works, in four steps:

1. Record. Our side: every top-level built-in op call (`ArrayFunction.apply`, through the
   `autograd.function._tracer` slot); PyTorch's side: every torch function or Tensor method
   called from user code (a `torch.overrides.TorchFunctionMode`). Each call keeps its name, its
   call site (the first frame outside minitorch_nn and torch), its outputs (and a copy of
   their values as they were then), its inputs that need a gradient, and its time.
2. Align. Names differ between the libraries (`Relu` vs `relu`, `Addmm` after `T` vs
   `linear`), so calls are matched in program order on (call site, name, shape), then what is
   left on (call site, shape); a call only one side makes just before a matched pair on the
   same line joins that pair's row (our `T` + `Addmm` is one `linear`).
3. Forward: the first row whose outputs are not close (rtol, atol) is the first divergence.
4. Backward: both losses are backpropagated and every recorded output keeps its gradient.
   Walking the rows in backward order, each op's backward alone is checked: both libraries
   get PyTorch's gradient of that op's output and must return close gradients for its inputs
   (the earlier rows' outputs and the leaves, parameters paired by shape and value). The first
   op that does not is the first gradient divergence; the rows also show each output's own
   gradient error.

Ops that never reach `ArrayFunction.apply` on our side (views served on a fast path, custom
`autograd.Function`s) are not seen; a row that only one side recorded is shown but not compared.
Timings are the forward op calls only (after one warm-up run), plus total backward times.
"""
from __future__ import annotations

import difflib
import math
import os
import sys
from dataclasses import dataclass, field
from time import perf_counter

import numpy as np

from .autograd.op_hook import OpHook
from .tensor import Tensor

__all__ = ["compare", "Report", "OpRow", "Divergence"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
# PyTorch getters whose result is not an op's output (grad, data) are not recorded.
_TORCH_SKIPPED_GETTERS = {"grad", "data", "_base", "grad_fn", "_grad"}


# ------------------------------------------------------------------ report objects
@dataclass
class Divergence:
    """Where the run first leaves PyTorch: `kind` is "forward" (the op's output) or
    "gradient" (the gradients its backward returns for its inputs)."""
    kind: str
    op: str                       # PyTorch's name of the op (`relu`, `linear`, `__add__`)
    ours: str                     # our Function class(es) that served it (`T+Addmm`)
    site: str                     # `file:line` in the user's code
    file: str
    line: int
    shapes: tuple                 # (our shape, PyTorch's shape)
    max_abs: float
    max_rel: float
    row: int                      # index into Report.rows
    detail: str = ""              # which output / input departs, dtype differences

    def __str__(self) -> str:
        what = "output" if self.kind == "forward" else "backward"
        text = (f"first divergence ({self.kind}): {what} of '{self.op}' (ours: {self.ours}) "
                f"at {self.site}, shape {list(self.shapes[0])} (torch "
                f"{list(self.shapes[1])}): max abs error {_num(self.max_abs)}, max rel error "
                f"{_num(self.max_rel)}")
        return text + (f" [{self.detail}]" if self.detail else "")


@dataclass
class OpRow:
    """One op of the step as both libraries ran it (or as one side only, `side`)."""
    index: int
    op: str                       # PyTorch's name, or ours for an ours-only row
    ours: str                     # our Function class(es), '+'-joined ('' if none)
    site: str
    file: str
    line: int
    shape: tuple                  # output shape (ours if recorded, else PyTorch's)
    side: str = "both"            # "both", "ours" or "torch"
    forward_abs: float | None = None
    forward_rel: float | None = None
    grad_abs: float | None = None
    grad_rel: float | None = None
    ours_seconds: float | None = None
    torch_seconds: float | None = None
    diverges: str | None = None   # "forward" / "gradient" on the first divergent row

    @property
    def ratio(self) -> float | None:
        """Our time over PyTorch's (> 1: we are slower)."""
        if not self.ours_seconds or not self.torch_seconds:
            return None
        return self.ours_seconds / self.torch_seconds


@dataclass
class Report:
    """What `compare` found: `rows` in forward order, `first_divergence` (None if none) and the
    total forward/backward times, `times = {"forward": (ours, torch), "backward": (...)}`."""
    rows: list
    first_divergence: Divergence | None
    rtol: float
    atol: float
    times: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.first_divergence is None

    def __str__(self) -> str:
        return _render(self)


# ------------------------------------------------------------------ recording
@dataclass
class _Call:
    """One recorded op call on one side."""
    name: str
    file: str
    line: int
    outputs: list                 # the output tensors
    values: list                  # numpy copies of the outputs, as they were then
    inputs: list                  # the input tensors that need a gradient
    seconds: float

    @property
    def shape(self) -> tuple:
        return tuple(self.values[0].shape)


class _Side:
    """What one library's run recorded: the calls and the leaves (inputs needing a gradient
    that no op made: parameters), with their values when first seen."""

    def __init__(self, tensor_cls, to_numpy, skip_dirs):
        self.calls: list[_Call] = []
        self.leaves: list = []          # (tensor, numpy value)
        self._leaf_ids: set = set()
        self._tensor_cls, self._to_numpy, self._skip = tensor_cls, to_numpy, skip_dirs

    def add(self, name, args, kwargs, out, seconds) -> None:
        outputs = _tensors(out, self._tensor_cls)
        arguments = _tensors((args, tuple(kwargs.values())), self._tensor_cls)
        if not outputs or not arguments:   # not an op on tensors (torch.empty, ...)
            return
        if all(t.requires_grad and t.grad_fn is None for t in outputs):
            return   # a parameter changed in place (weight init): not a step of the model
        inputs = [t for t in arguments if t.requires_grad]
        for t in inputs:
            if t.grad_fn is None and id(t) not in self._leaf_ids:
                self._leaf_ids.add(id(t))
                self.leaves.append((t, self._to_numpy(t)))
        for t in outputs:
            if t.requires_grad and t.grad_fn is not None:
                t.retain_grad()
        file, line = _user_site(self._skip)
        self.calls.append(_Call(name, file, line, outputs, [self._to_numpy(t) for t in outputs],
                                inputs, seconds))


class _OurTracer(OpHook):
    """Sits in `autograd.function._tracer` while our step runs: times and records each
    top-level op call (ops an op calls inside run with the previous tracer, usually none)."""

    def __init__(self, side: _Side):
        self.side = side

    def run(self, cls, args, kwargs):
        start = perf_counter()
        out = self.call(cls, args, kwargs)
        self.side.add(cls.__name__, args, kwargs, out, perf_counter() - start)
        return out


def _torch_recorder(torch, side: _Side):
    """A TorchFunctionMode that records each torch call made from user code into `side`
    (calls a recorded call makes inside itself run with the mode off, so are not seen)."""

    class Recorder(torch.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            start = perf_counter()
            out = func(*args, **kwargs)
            seconds = perf_counter() - start
            name = _torch_name(func)
            if name is not None:
                side.add(name, args, kwargs, out, seconds)
            return out

    return Recorder()


def _torch_name(func) -> str | None:
    """PyTorch's name of a recorded function, or None for calls that are not ops: weight
    initialisation (torch.nn.init) and getters such as `.grad`."""
    if getattr(func, "__module__", None) == "torch.nn.init":
        return None
    name = getattr(func, "__name__", repr(func))
    if name == "__get__":
        name = getattr(getattr(func, "__self__", None), "__name__", name)
        if name in _TORCH_SKIPPED_GETTERS:
            return None
    return name


def _tensors(value, tensor_cls, depth: int = 3) -> list:
    """The tensors in `value`: itself, or inside (nested) tuples and lists."""
    if isinstance(value, tensor_cls):
        return [value]
    if depth and isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v, tensor_cls, depth - 1)]
    return []


def _user_site(skip_dirs: tuple) -> tuple[str, int]:
    """(file, line) of the first frame outside minitorch_nn and torch: the user's call."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(skip_dirs):
        frame = frame.f_back
    if frame is None:
        return "?", 0
    return frame.f_code.co_filename, frame.f_lineno


def _our_numpy(t) -> np.ndarray:
    data = t._data
    return np.array(data.get() if hasattr(data, "get") else data, copy=True)


def _torch_numpy(t) -> np.ndarray:
    t = t.detach().cpu().resolve_conj()
    if t.dtype.is_floating_point and t.dtype.itemsize < 4:
        t = t.float()   # bfloat16 has no numpy dtype
    return t.numpy().copy()


# ------------------------------------------------------------------ running one side
def _run_side(T, step, inputs, seed, backward, recorder):
    """Run `step` under library `T` inside `recorder`; then backward. Returns
    (forward seconds, backward seconds or None)."""
    T.manual_seed(seed)
    args = [_to_library(T, v) for v in inputs]
    start = perf_counter()
    with recorder:
        result = step(T, *args)
    forward = perf_counter() - start
    backward_seconds = None
    loss = next(iter(_tensors(result, T.Tensor)), None)
    if backward and loss is not None and loss.requires_grad:
        grad = None if loss.dim() == 0 else T.ones_like(loss)
        start = perf_counter()
        loss.backward(grad, retain_graph=True)
        backward_seconds = perf_counter() - start
    return (forward, backward_seconds)


def _to_library(T, value):
    """NumPy arrays and tensors of either library become `T` tensors (same values, same
    requires_grad); anything else is passed as is."""
    if isinstance(value, np.ndarray):
        return T.tensor(value)
    if isinstance(value, Tensor) or type(value).__module__.startswith("torch"):
        if hasattr(value, "detach"):
            array = (_our_numpy(value) if isinstance(value, Tensor)
                     else _torch_numpy(value))
            return T.tensor(array, requires_grad=bool(value.requires_grad))
    return value


# ------------------------------------------------------------------ aligning the two runs
def _align(ours: list, theirs: list) -> list:
    """Rows as (our call indices, their call indices), in program order."""
    pairs = []
    outer = difflib.SequenceMatcher(None, [_key(c, True) for c in ours],
                                    [_key(c, True) for c in theirs], autojunk=False)
    for tag, i1, i2, j1, j2 in outer.get_opcodes():
        if tag == "equal":
            pairs += [(i1 + k, j1 + k) for k in range(i2 - i1)]
            continue
        inner = difflib.SequenceMatcher(None, [_key(c, False) for c in ours[i1:i2]],
                                        [_key(c, False) for c in theirs[j1:j2]],
                                        autojunk=False)
        for block in inner.get_matching_blocks():
            pairs += [(i1 + block.a + k, j1 + block.b + k) for k in range(block.size)]
    return _rows_from_pairs(pairs, ours, theirs)


def _key(call: _Call, with_name: bool) -> tuple:
    base = (call.file, call.line, call.shape)
    return base + (call.name.strip("_").replace("_", "").lower(),) if with_name else base


def _rows_from_pairs(pairs, ours, theirs) -> list:
    """Turn matched pairs into rows: unmatched calls on the pair's line just before it join
    its row; other unmatched calls become one-sided rows."""
    rows, po, pt = [], 0, 0
    for i, j in sorted(pairs) + [(len(ours), len(theirs))]:
        site = (ours[i].file, ours[i].line) if i < len(ours) else None
        mine = _tail_at(ours, po, i, site)
        yours = _tail_at(theirs, pt, j, site)
        rows += [([k], []) for k in range(po, i - len(mine))]
        rows += [([], [k]) for k in range(pt, j - len(yours))]
        if site is not None:
            rows.append((mine + [i], yours + [j]))
        po, pt = i + 1, j + 1
    return rows


def _tail_at(calls, start, end, site) -> list:
    """The indices at the end of calls[start:end] made on `site` (all on one line)."""
    k = end
    while k > start and site is not None and (calls[k - 1].file, calls[k - 1].line) == site:
        k -= 1
    return list(range(k, end))


# ------------------------------------------------------------------ comparing values
def _errors(ours: np.ndarray, theirs: np.ndarray, rtol, atol) -> tuple[float, float, bool]:
    """(max abs error, max rel error, departs?) of two arrays; NaN equals NaN."""
    if ours.shape != theirs.shape:
        return math.inf, math.inf, True
    if ours.size == 0:
        return 0.0, 0.0, False
    wide = np.complex128 if "c" in (ours.dtype.kind, theirs.dtype.kind) else np.float64
    a, b = ours.astype(wide), theirs.astype(wide)
    with np.errstate(all="ignore"):
        diff = np.abs(a - b)
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        diff = np.where(same, 0.0, diff)
        diff = np.where(np.isnan(diff), math.inf, diff)
        rel = np.where(diff == 0, 0.0, diff / np.abs(b))
    departs = bool(np.any(diff > atol + rtol * np.abs(b)))
    return float(diff.max()), float(np.nan_to_num(rel, nan=math.inf).max()), departs


def _compare_values(ours: list, theirs: list, rtol, atol):
    """Errors over paired outputs (extra outputs on one side, e.g. pooling indices, are not
    compared); a dtype difference is a departure too. Returns (abs, rel, departs, detail)."""
    worst_abs = worst_rel = 0.0
    departs, detail = False, ""
    for k, (a, b) in enumerate(zip(ours, theirs)):
        e_abs, e_rel, bad = _errors(a, b, rtol, atol)
        if a.dtype != b.dtype and not (b.dtype == np.float32 and a.dtype.name == "bfloat16"):
            bad, detail = True, detail or f"output {k}: dtype {a.dtype} vs torch {b.dtype}"
        if bad and not detail:
            detail = f"output {k}" if len(theirs) > 1 else ""
        worst_abs, worst_rel, departs = max(worst_abs, e_abs), max(worst_rel, e_rel), \
            departs or bad
    return worst_abs, worst_rel, departs, detail


def _output_grads(call: _Call, to_numpy) -> list:
    """A copy of the retained gradient of each output of `call` (None where there is none)."""
    return [None if t.grad is None else to_numpy(t.grad) for t in call.outputs]


# ------------------------------------------------------------------ the backward check
def _input_keys(rows, side_calls, which, leaf_keys) -> list:
    """For each row, {key: tensor} of the inputs needing a gradient that come from outside
    the row. Keys are shared by both libraries: ("row", r, k) for output k of row r and
    ("leaf", n) for a paired leaf."""
    producer = {}
    for r, row in enumerate(rows):
        if row[0] and row[1]:
            for k, t in enumerate(side_calls[row[which][-1]].outputs):
                producer[id(t)] = ("row", r, k)
    result = []
    for row in rows:
        inside = {id(t) for i in row[which] for t in side_calls[i].outputs}
        keys = {}
        for i in row[which]:
            for t in side_calls[i].inputs:
                key = producer.get(id(t)) or leaf_keys.get(id(t))
                if key is not None and id(t) not in inside:
                    keys.setdefault(key, t)
        result.append(keys)
    return result


def _pair_leaves(ours: list, theirs: list, rtol, atol) -> tuple[dict, dict]:
    """Pair leaves (parameters, inputs needing a gradient) by order, shape and value:
    ({id(our tensor): key}, {id(torch tensor): key})."""
    our_keys, their_keys, used = {}, {}, set()
    for n, (t_their, v_their) in enumerate(theirs):
        for m, (t_our, v_our) in enumerate(ours):
            if m not in used and v_our.shape == v_their.shape and \
                    not _errors(v_our, v_their, rtol, atol)[2]:
                used.add(m)
                our_keys[id(t_our)], their_keys[id(t_their)] = ("leaf", n), ("leaf", n)
                break
    return our_keys, their_keys


def _first_gradient_divergence(mt, torch, rows, ours, theirs, grads, rtol, atol):
    """Walk the rows in backward order; for each, feed both libraries PyTorch's gradient of
    the row's output (`grads[r]`: copies taken after the backward pass, as PyTorch's
    retained `.grad` grows with every autograd.grad call) and compare the input gradients
    its backward returns. Returns (row index, max abs, max rel, detail) of the first that
    departs, or None."""
    leaf_ours, leaf_theirs = _pair_leaves(ours.leaves, theirs.leaves, rtol, atol)
    inputs_ours = _input_keys(rows, ours.calls, 0, leaf_ours)
    inputs_theirs = _input_keys(rows, theirs.calls, 1, leaf_theirs)
    for r in reversed(range(len(rows))):
        mine, yours = rows[r]
        if not (mine and yours):
            continue
        keys = [k for k in inputs_theirs[r] if k in inputs_ours[r]]
        outs = [(a, b, g) for a, b, g in zip(ours.calls[mine[-1]].outputs,
                                             theirs.calls[yours[-1]].outputs, grads[r])
                if g is not None and a.requires_grad]
        if not keys or not outs:
            continue
        try:
            g_theirs = torch.autograd.grad([b for _, b, _ in outs],
                                           [inputs_theirs[r][k] for k in keys],
                                           [torch.from_numpy(g).to(b.dtype) for _, b, g in outs],
                                           retain_graph=True, allow_unused=True)
        except RuntimeError:   # no reference for this op's backward alone: not checked
            continue
        try:
            g_ours = mt.autograd.grad([a for a, _, _ in outs], [inputs_ours[r][k] for k in keys],
                                      [mt.tensor(g, device=a.device).to(a.dtype)
                                       for a, _, g in outs],
                                      retain_graph=True, allow_unused=True)
        except Exception as error:   # our backward failed: that is a divergence too
            return r, math.inf, math.inf, f"our backward raised {type(error).__name__}: {error}"
        for key, a, b in zip(keys, g_ours, g_theirs):
            if (a is None) != (b is None):
                side = "our" if a is None else "the torch"
                return r, math.inf, math.inf, \
                    f"gradient of {_describe(key, b if a is None else a)} missing on {side} side"
            if a is None:
                continue
            e_abs, e_rel, bad = _errors(_our_numpy(a), _torch_numpy(b), rtol, atol)
            if bad:
                return r, e_abs, e_rel, f"gradient of {_describe(key, b)}"
    return None


def _describe(key, tensor) -> str:
    if key[0] == "leaf":
        return f"its input leaf #{key[1]} (a parameter), shape {list(tensor.shape)}"
    return f"its input from row {key[1]}, shape {list(tensor.shape)}"


# ------------------------------------------------------------------ compare()
def compare(step, *inputs, rtol: float = 1e-4, atol: float = 1e-5, backward: bool = True,
            seed: int = 0, warmup: int = 1) -> Report:
    """Run `step(T, *inputs)` with T = minitorch_nn and with T = torch, op by op, and report
    the first op whose output or gradient departs beyond `rtol`/`atol`, with per-op timings.

    `step` builds (or fetches) its model with `T` and returns the loss (or outputs); it must
    not call backward itself (`compare` does, when `backward`). Both libraries are seeded with
    `seed` before each run, which gives both models the same initial weights. `inputs`: NumPy
    arrays or tensors of either library (each run gets them as its own tensors), other values
    pass as is. `warmup` runs come first and are not reported (kernels compile, caches
    fill), so the timings are those of a warm run."""
    try:
        import torch
    except ImportError:
        raise ModuleNotFoundError(
            "minitorch_nn.testing.compare runs the step under PyTorch too, but PyTorch is not "
            "installed: pip install torch (the CPU build is enough)") from None
    import minitorch_nn as mt
    if not callable(step):
        raise TypeError(f"compare(): argument 'step' must be a callable step(T, *inputs), "
                        f"but got {type(step).__name__}")
    skip = (_PACKAGE_DIR, os.path.dirname(os.path.abspath(torch.__file__)) + os.sep)
    states = (mt.get_rng_state(), torch.get_rng_state())
    try:
        for _ in range(warmup + 1):   # the warm-up runs are recorded too, then dropped
            ours = _Side(Tensor, _our_numpy, skip)
            theirs = _Side(torch.Tensor, _torch_numpy, skip)
            times_ours = _run_side(mt, step, inputs, seed, backward, _OurTracer(ours))
            times_theirs = _run_side(torch, step, inputs, seed, backward,
                                     _torch_recorder(torch, theirs))
        return _build_report(mt, torch, ours, theirs, rtol, atol, backward,
                             {"forward": (times_ours[0], times_theirs[0]),
                              "backward": (times_ours[1], times_theirs[1])})
    finally:
        mt.set_rng_state(states[0])
        torch.set_rng_state(states[1])


def _build_report(mt, torch, ours, theirs, rtol, atol, backward, times) -> Report:
    """Align the two recordings into rows, compare outputs and gradients row by row, and find
    the first divergence (forward first; the backward check only runs if the forward agreed)."""
    pairs = _align(ours.calls, theirs.calls)
    rows, first, their_grads = [], None, []
    for r, (mine, yours) in enumerate(pairs):
        their_grads.append(_output_grads(theirs.calls[yours[-1]], _torch_numpy) if yours else [])
        row = _make_row(r, [ours.calls[i] for i in mine], [theirs.calls[j] for j in yours])
        if mine and yours:
            a, b = ours.calls[mine[-1]], theirs.calls[yours[-1]]
            row.forward_abs, row.forward_rel, bad, detail = _compare_values(
                a.values, b.values, rtol, atol)
            if bad and first is None:
                first = _divergence("forward", row, a.shape, b.shape, row.forward_abs,
                                    row.forward_rel, detail)
            grads = [(x, y) for x, y in zip(_output_grads(a, _our_numpy), their_grads[r])
                     if x is not None and y is not None]
            if grads:
                row.grad_abs, row.grad_rel, _, _ = _compare_values(
                    [x for x, _ in grads], [y for _, y in grads], rtol, atol)
        rows.append(row)
    if first is None and backward:
        found = _first_gradient_divergence(mt, torch, pairs, ours, theirs, their_grads,
                                           rtol, atol)
        if found is not None:
            r, e_abs, e_rel, detail = found
            a, b = ours.calls[pairs[r][0][-1]], theirs.calls[pairs[r][1][-1]]
            first = _divergence("gradient", rows[r], a.shape, b.shape, e_abs, e_rel, detail)
    if first is not None:
        rows[first.row].diverges = first.kind
    return Report(rows, first, rtol, atol, times)


def _make_row(index, mine: list, yours: list) -> OpRow:
    """A row named as PyTorch names the op (by ours where only we recorded it)."""
    main = (yours or mine)[-1]
    shown = (mine or yours)[-1]
    return OpRow(index=index, op=main.name, ours="+".join(c.name for c in mine),
                 site=_site(main.file, main.line), file=main.file, line=main.line,
                 shape=shown.shape, side="both" if mine and yours else
                 ("ours" if mine else "torch"),
                 ours_seconds=sum(c.seconds for c in mine) if mine else None,
                 torch_seconds=sum(c.seconds for c in yours) if yours else None)


def _divergence(kind, row: OpRow, our_shape, their_shape, e_abs, e_rel, detail) -> Divergence:
    return Divergence(kind=kind, op=row.op, ours=row.ours, site=row.site, file=row.file,
                      line=row.line, shapes=(our_shape, their_shape), max_abs=e_abs,
                      max_rel=e_rel, row=row.index, detail=detail)


def _site(file: str, line: int) -> str:
    try:
        short = os.path.relpath(file)
    except ValueError:   # another drive (Windows)
        short = file
    return f"{file if short.startswith('..') else short}:{line}"


# ------------------------------------------------------------------ rendering
_COLUMNS = [("#", 4), ("op", 16), ("ours", 22), ("site", 28), ("shape", 16), ("fwd abs", 9),
            ("fwd rel", 9), ("grad abs", 9), ("grad rel", 9), ("ours ms", 9), ("torch ms", 9),
            ("ratio", 7)]


def _render(report: Report) -> str:
    lines = [f"minitorch_nn vs PyTorch: {len(report.rows)} ops "
             f"(rtol={report.rtol:g}, atol={report.atol:g})",
             ("  " + " ".join(name.ljust(width) for name, width in _COLUMNS)).rstrip()]
    for row in report.rows:
        cells = [str(row.index), row.op, row.ours or "-", _tail(row.site, 28),
                 str(list(row.shape)), _num(row.forward_abs), _num(row.forward_rel),
                 _num(row.grad_abs), _num(row.grad_rel), _ms(row.ours_seconds),
                 _ms(row.torch_seconds),
                 "-" if row.ratio is None else f"{row.ratio:.2f}x"]
        text = " ".join(_cut(c, w).ljust(w) for c, (_, w) in zip(cells, _COLUMNS))
        mark = ">>" if row.diverges else "  "
        note = f"  <- first divergence ({row.diverges})" if row.diverges else \
            ("" if row.side == "both" else f"  ({row.side} only, not compared)")
        lines.append(mark + text.rstrip() + note)
    lines.append(str(report.first_divergence) if report.first_divergence else
                 "no divergence: every compared output and gradient is within tolerance")
    for phase, (a, b) in report.times.items():
        if a is not None and b is not None:
            lines.append(f"{phase}: ours {a * 1e3:.2f} ms, torch {b * 1e3:.2f} ms "
                         f"({a / b if b else math.inf:.2f}x)")
    return "\n".join(lines)


def _num(value) -> str:
    return "-" if value is None else f"{value:.1e}"


def _ms(seconds) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.3f}"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "~"


def _tail(text: str, width: int) -> str:
    return text if len(text) <= width else "~" + text[-(width - 1):]
