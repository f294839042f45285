"""`minitorch_nn.profiler` (torch.profiler's API): the table of a known training step holds its
forward ops and backward nodes with the right call counts; record_function ranges enclose
their ops; schedules act as PyTorch's; the Chrome trace is valid trace-event JSON; Numba
compiles are rows of their own; and once a profile ends (normally or by an exception) every
hook it set is back to what it was. With PyTorch installed, names, shapes, headers and
schedules are compared with torch.profiler's."""
from __future__ import annotations

import json
import os
import re
import warnings

import numba
import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.autograd import engine as _engine
from minitorch_nn.autograd import function as _function
from minitorch_nn.optim import optimizer as _optimizer
from minitorch_nn.profiler import (ProfilerAction, ProfilerActivity, profile, record_function,
                                   schedule, tensorboard_trace_handler)
from minitorch_nn.profiler.recorder import op_name
from op_harness import requires_torch

try:
    import torch
except ImportError:
    torch = None

RNG = np.random.default_rng(0)
X = RNG.standard_normal((5, 4)).astype(np.float32)
Y = RNG.standard_normal((5, 3)).astype(np.float32)


def _train_step(lib, model, opt):
    """Linear -> relu -> mse_loss -> backward -> SGD step, in `lib` (minitorch_nn or torch)."""
    out = lib.nn.functional.relu(model(lib.tensor(X)))
    loss = lib.nn.functional.mse_loss(out, lib.tensor(Y))
    loss.backward()
    opt.step()
    return loss


def _model(lib):
    model = lib.nn.Linear(4, 3)
    return model, lib.optim.SGD(model.parameters(), lr=0.1)


def _graph_nodes(loss):
    """Every node of `loss`'s graph, each once (walked before backward frees nothing we read)."""
    seen, stack = [], [loss.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or any(node is s for s in seen):
            continue
        seen.append(node)
        stack.extend(n for n, _ in node.next_functions)
    return seen


def _counts(prof):
    return {a.key: a.count for a in prof.key_averages()}


def _hooks_clear():
    return _function._tracer is None and _engine._profiler is None


# --------------------------------------------------------------------- the training step table
def test_table_of_a_training_step_has_its_ops_and_backward_nodes_with_call_counts():
    model, opt = _model(mt)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(2):
            loss = _train_step(mt, model, opt)
    nodes = _graph_nodes(loss)
    node_names = [n.name() for n in nodes]
    forward = [op_name(n._forward_cls) for n in nodes if hasattr(n, "_forward_cls")]
    counts = _counts(prof)
    for name in set(node_names):   # each backward node ran once per step
        assert counts.get(name) == 2 * node_names.count(name), (name, counts)
    for name in set(forward):      # and each op of the graph once per step, forward
        assert counts.get(name) == 2 * forward.count(name), (name, counts)
    assert {"relu", "mse_loss", "ReluBackward0", "MseLossBackward0"} <= set(counts)
    assert node_names.count("torch::autograd::AccumulateGrad") == 2   # weight and bias
    assert counts["Optimizer.step#SGD.step"] == 2
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=-1)
    for name in counts:
        row = next(line for line in table.splitlines() if line.strip().startswith(name))
        assert row.split()[-1] == str(counts[name])   # the "# of Calls" column
    assert _hooks_clear()


@requires_torch
def test_our_names_and_input_shapes_are_pytorchs():
    """Backward nodes are named as PyTorch names them; a forward op "x" is PyTorch's
    "aten::x", with the same input shapes."""
    model, opt = _model(mt)
    with profile(record_shapes=True) as ours:
        _train_step(mt, model, opt)
    tmodel, topt = _model(torch)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU],
                                record_shapes=True) as theirs:
        _train_step(torch, tmodel, topt)
    their_shapes = {}
    for e in theirs.events():
        their_shapes.setdefault(e.name, []).append(e.input_shapes)
    for e in ours.events():
        if e.name.endswith("Backward0") or e.name.startswith("Optimizer.step#"):
            assert e.name in their_shapes, e.name
        elif e.category == "cpu_op" and "::" not in e.name:
            assert "aten::" + e.name in their_shapes, e.name
            if e.name in ("addmm", "relu", "mse_loss"):
                assert e.input_shapes in their_shapes["aten::" + e.name], e.name


def _header(table: str) -> list:
    return re.split(r"\s{2,}", table.splitlines()[1].strip())


@requires_torch
def test_table_columns_are_pytorchs():
    model, opt = _model(mt)
    with profile(record_shapes=True) as ours:
        _train_step(mt, model, opt)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU],
                                record_shapes=True) as theirs:
        _train_step(torch, *_model(torch))
    for kwargs in ({}, {"group_by_input_shape": True}):
        mine = ours.key_averages(**kwargs).table(sort_by="cpu_time_total")
        ref = theirs.key_averages(**kwargs).table(sort_by="cpu_time_total")
        assert _header(mine) == _header(ref)
        assert mine.splitlines()[-1].startswith("Self CPU time total: ")
        assert ref.splitlines()[-1].startswith("Self CPU time total: ")


def test_table_header_sorting_and_row_limit():
    model, opt = _model(mt)
    with profile(record_shapes=True) as prof:
        _train_step(mt, model, opt)
    avgs = prof.key_averages()
    assert _header(avgs.table()) == ["Name", "Self CPU %", "Self CPU", "CPU total %",
                                     "CPU total", "CPU time avg", "# of Calls"]
    grouped = prof.key_averages(group_by_input_shape=True).table()
    assert _header(grouped)[-1] == "Input Shapes" and "[[5, 3], [5, 3], []]" in grouped
    for key in ("cpu_time_total", "self_cpu_time_total", "count"):
        lines = avgs.table(sort_by=key, row_limit=3).splitlines()
        assert len(lines) == 3 + 3 + 2   # separator, header, separator; 3 rows; sep, total
        values = sorted((getattr(a, key) for a in avgs), reverse=True)
        top = [a for a in avgs if a.key == re.split(r"\s{2,}", lines[3].strip())[0]][0]
        assert getattr(top, key) == values[0]
    with pytest.raises(AttributeError, match="sort_by"):
        avgs.table(sort_by="bogus")


def test_self_times_add_up_and_children_lie_inside_parents():
    model, opt = _model(mt)
    with profile() as prof:
        with record_function("step"):
            _train_step(mt, model, opt)
    events = prof.events()
    for e in events:
        assert e.self_cpu_time_total <= e.cpu_time_total + 1e-9
        if e.cpu_parent is not None:
            p = e.cpu_parent.time_range
            assert p.start <= e.time_range.start and e.time_range.end <= p.end
    tops = [e for e in events if e.cpu_parent is None]
    assert events.self_cpu_time_total == pytest.approx(sum(e.cpu_time_total for e in tops))


# ------------------------------------------------------------------------------ record_function
def test_record_function_ranges_enclose_their_ops():
    model, opt = _model(mt)

    @record_function("loss_fn")
    def loss_fn(out):
        return mt.nn.functional.mse_loss(out, mt.tensor(Y))

    with profile() as prof:
        with record_function("forward"):
            out = mt.nn.functional.relu(model(mt.tensor(X)))
        with record_function("backward"):
            loss = loss_fn(out)
            loss.backward()
        loss_fn(out)
    by_name = {}
    for e in prof.events():
        by_name.setdefault(e.name, []).append(e)
    assert [e.cpu_parent.name for e in by_name["relu"]] == ["forward"]
    assert [e.cpu_parent.name for e in by_name["addmm"]] == ["forward"]
    assert [getattr(e.cpu_parent, "name", None) for e in by_name["loss_fn"]] == ["backward", None]
    assert all(e.cpu_parent.name == "loss_fn" for e in by_name["mse_loss"])
    assert all(e.cpu_parent.name == "backward" for e in by_name["ReluBackward0"])
    fwd = by_name["forward"][0]
    assert fwd.category == "user_annotation"
    assert fwd.cpu_time_total >= sum(c.cpu_time_total for c in fwd.cpu_children)
    with record_function("no profiler"):   # outside a profile: nothing, no error
        mt.ones(2) + 1


def test_record_function_rejects_a_non_string_name():
    with pytest.raises(TypeError, match="'name' must be str"):
        record_function(3)


# ------------------------------------------------------------------------------------- schedule
SCHEDULES = [dict(wait=1, warmup=1, active=2), dict(wait=1, warmup=1, active=2, repeat=2),
             dict(wait=2, warmup=0, active=1, repeat=1, skip_first=3),
             dict(wait=0, warmup=2, active=3, repeat=1, skip_first=1, skip_first_wait=1),
             dict(wait=1, warmup=1, active=1, repeat=1, skip_first=2, skip_first_wait=1)]


@requires_torch
@pytest.mark.parametrize("params", SCHEDULES)
def test_schedule_actions_are_pytorchs(params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = schedule(**params), torch.profiler.schedule(**params)
    assert [ours(i).name for i in range(16)] == [theirs(i).name for i in range(16)]


@requires_torch
@pytest.mark.parametrize("bad", [dict(wait=-1, warmup=0, active=1),
                                 dict(wait=0, warmup=0, active=0),
                                 dict(wait=0, warmup=1, active=1, skip_first=-1)])
def test_schedule_rejects_what_pytorch_rejects(bad):
    with pytest.raises(AssertionError) as theirs:
        torch.profiler.schedule(**bad)
    with pytest.raises(AssertionError) as ours:
        schedule(**bad)
    assert str(ours.value) == str(theirs.value)


def test_schedule_without_warmup_warns():
    with pytest.warns(UserWarning, match="won't be using warmup"):
        schedule(wait=1, warmup=0, active=1)


def _scheduled_traces(lib, prof_mod, params, steps=9):
    """Run `steps` steps under a schedule: per trace handed to on_trace_ready, its step ranges."""
    traces = []

    def ready(p):
        traces.append(sorted(e.trace_name for e in p.events() if e.name == "ProfilerStep*"))

    x = lib.ones(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with prof_mod.profile(activities=[prof_mod.ProfilerActivity.CPU],
                              schedule=prof_mod.schedule(**params), on_trace_ready=ready) as p:
            for _ in range(steps):
                x * 2
                p.step()
    return traces


@pytest.mark.parametrize("params", SCHEDULES[:3])
def test_schedule_drives_recording_and_on_trace_ready(params):
    traces = _scheduled_traces(mt, mt.profiler, params)
    fn = schedule(**params) if params["warmup"] else None
    if fn is not None:   # recorded steps are exactly the RECORD / RECORD_AND_SAVE ones
        recorded = [f"ProfilerStep#{i}" for i in range(9)
                    if fn(i) in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)]
        assert sorted(sum(traces, [])) == sorted(recorded)
    if torch is not None:
        assert traces == _scheduled_traces(torch, torch.profiler, params)
    assert _hooks_clear()


def test_schedule_returning_device_stopped_is_refused():
    with pytest.raises(ValueError, match="DEVICE_STOPPED"):
        profile(schedule=lambda step: ProfilerAction.DEVICE_STOPPED)


# --------------------------------------------------------------------------------- chrome trace
REQUIRED = {"ph", "name", "ts", "dur", "pid", "tid", "cat", "args"}


def test_chrome_trace_is_valid_trace_event_json_with_nested_durations(tmp_path):
    model, opt = _model(mt)
    with profile(record_shapes=True) as prof:
        with record_function("step"):
            _train_step(mt, model, opt)
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    complete = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert len(complete) == len(prof.events())
    for e in complete:
        assert REQUIRED <= set(e), e
        assert isinstance(e["ts"], (int, float)) and e["dur"] >= 0
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int)
    assert all(e["ph"] in ("X", "M") for e in trace["traceEvents"])
    # on one thread, any two ranges are disjoint or one holds the other (a proper nesting)
    spans = sorted((e["ts"], e["ts"] + e["dur"]) for e in complete)
    eps = 1e-3
    for i, (s1, e1) in enumerate(spans):
        for s2, e2 in spans[i + 1:]:
            assert e2 <= e1 + eps or s2 >= e1 - eps, ((s1, e1), (s2, e2))
    step = next(e for e in complete if e["name"] == "step")
    for e in complete:
        if e["name"] in ("addmm", "ReluBackward0", "Optimizer.step#SGD.step"):
            assert step["ts"] <= e["ts"] + eps and e["ts"] + e["dur"] <= step["ts"] + \
                step["dur"] + eps
    addmm = next(e for e in complete if e["name"] == "addmm")
    assert addmm["args"]["Input Dims"] == [[3], [5, 4], [4, 3], [], []]


def test_tensorboard_trace_handler_writes_one_trace_per_cycle(tmp_path):
    x = mt.ones(3)
    with profile(schedule=schedule(wait=0, warmup=1, active=1, repeat=2),
                 on_trace_ready=tensorboard_trace_handler(str(tmp_path / "log"), "w")) as p:
        for _ in range(5):
            x + 1
            p.step()
    files = sorted(os.listdir(tmp_path / "log"))
    assert len(files) == 2 and all(re.fullmatch(r"w\.\d+\.pt\.trace\.json", f) for f in files)
    for f in files:
        events = json.loads((tmp_path / "log" / f).read_text())["traceEvents"]
        assert [e["name"] for e in events if e["name"] == "add"] == ["add"]


# ------------------------------------------------------------------------------ numba compiles
def test_numba_compile_is_a_row_of_its_own_inside_the_op_range():
    @numba.njit(cache=False)
    def fresh_kernel(a):
        return a + 1.0

    with profile() as prof:
        with record_function("uses a kernel"):
            fresh_kernel(np.ones(3))
            fresh_kernel(np.ones(3))   # compiled once
    compiles = [e for e in prof.events() if e.category == "numba_compile"]
    assert [e.name for e in compiles] == ["numba compile: fresh_kernel"]
    assert compiles[0].cpu_parent.name == "uses a kernel"
    assert "float64" in compiles[0].metadata["signature"]
    outer = compiles[0].cpu_parent
    assert outer.self_cpu_time_total == pytest.approx(outer.cpu_time_total
                                                      - compiles[0].cpu_time_total)
    from numba.core import event as numba_event
    assert not any(type(lst).__name__ == "CompileListener"
                   for lst in numba_event._registered["numba:compile"])


# ----------------------------------------------------------------------- hooks: off, restored
def test_hooks_are_cleared_after_the_block_and_after_an_exception():
    pre, post = len(_optimizer._global_pre_hooks), len(_optimizer._global_post_hooks)
    with profile():
        assert _function._tracer is not None and _engine._profiler is not None
        mt.ones(2) * 2
    assert _hooks_clear()
    with pytest.raises(ValueError, match="inside"):
        with profile() as prof:
            (mt.ones(2, requires_grad=True) * 2).sum().backward()
            raise ValueError("inside")
    assert _hooks_clear()
    assert "MulBackward0" in _counts(prof)   # what ran before the error is kept
    assert (len(_optimizer._global_pre_hooks), len(_optimizer._global_post_hooks)) == (pre, post)


class _CountingTracer:
    """Another tool on the `_tracer` slot (as the ONNX exporter): counts the ops it sees."""

    def __init__(self):
        self.seen = []

    def run(self, cls, args, kwargs):
        self.seen.append(cls.__name__)
        _function._tracer = None
        try:
            return cls.apply(*args, **kwargs)
        finally:
            _function._tracer = self


def test_a_hook_set_before_the_profile_keeps_seeing_ops_and_is_restored():
    other = _CountingTracer()
    _function._tracer = other
    try:
        with profile() as prof:
            mt.ones(2) * 3
        assert _function._tracer is other and _engine._profiler is None
        assert other.seen == ["Mul"] and _counts(prof) == {"mul": 1}
    finally:
        _function._tracer = None


def test_profile_inside_profile_nests():
    """PyTorch 2.13 lets the inner profile take everything; ours nest: each sees its part."""
    with profile() as outer:
        mt.ones(2) + 1
        with profile() as inner:
            mt.ones(2) * 2
            (mt.ones(2, requires_grad=True) * 3).sum().backward()
        mt.ones(2) - 1
    assert _hooks_clear()
    inner_counts, outer_counts = _counts(inner), _counts(outer)
    assert inner_counts["mul"] == 2 and "add" not in inner_counts and "sub" not in inner_counts
    assert outer_counts["mul"] == 2 and outer_counts["add"] == 1 and outer_counts["sub"] == 1
    assert inner_counts["MulBackward0"] == outer_counts["MulBackward0"] == 1


def test_plain_backward_results_are_unchanged_under_the_profiler():
    w = mt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (w * w).sum().backward()
    plain = w.grad.clone()
    w.grad = None
    with profile():
        (w * w).sum().backward()
    assert mt.equal(w.grad, plain)


def test_autograd_profiler_aliases():
    from minitorch_nn.autograd.profiler import profile as legacy_profile
    from minitorch_nn.autograd.profiler import record_function as legacy_record
    assert legacy_record is record_function
    with legacy_profile(enabled=False) as off:
        assert _hooks_clear()
        mt.ones(2) * 2
    assert len(off.events()) == 0
    with legacy_profile(record_shapes=True) as on:
        mt.ones(2) * 2
    assert "mul" in on.table() and on.self_cpu_time_total > 0
    assert _hooks_clear()


def test_with_stack_names_the_callers_line():
    with profile(with_stack=True) as prof:
        mt.ones(2) * 2   # this line
    mul = next(e for e in prof.events() if e.name == "mul")
    assert os.path.basename(__file__) in mul.stack[0]
    assert "Source Location" in prof.key_averages(group_by_stack_n=1).table()


def test_unsupported_options_warn_and_bad_activities_raise():
    with pytest.warns(UserWarning, match="with_flops"):
        profile(with_flops=True)
    with pytest.raises(TypeError, match="ProfilerActivity"):
        profile(activities=["cpu"])


# ------------------------------------------------------------------------------------ CUDA time
class _FakeEvent:
    """A CUDA event stand-in: remembers when it was recorded."""

    def record(self):
        import time
        self.t = time.perf_counter()

    def synchronize(self):
        pass


@pytest.mark.cuda
def test_cuda_ops_get_device_time_from_cuda_events(monkeypatch):
    xp = mt.tensor([1.0], device="cuda")._data.__class__
    cupy = __import__(xp.__module__.split(".")[0])
    if not hasattr(cupy.cuda, "Event"):   # the fake CuPy: stand in for the event API
        monkeypatch.setattr(cupy.cuda, "Event", _FakeEvent, raising=False)
        monkeypatch.setattr(cupy.cuda, "get_elapsed_time",
                            lambda a, b: (b.t - a.t) * 1000.0, raising=False)
    x = mt.ones(4, device="cuda", requires_grad=True)
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        (x * 2).sum().backward()
    mul = next(e for e in prof.events() if e.name == "mul")
    assert mul.self_device_time_total > 0 and mul.device_start is not None
    table = prof.key_averages().table(sort_by="cuda_time_total")
    assert "Self CUDA" in _header(table) and "CUDA total" in _header(table)
    assert any(e.name == "MulBackward0" and e.self_device_time_total > 0 for e in prof.events())
    assert _hooks_clear()


@pytest.mark.cuda
def test_cuda_without_event_api_degrades_to_cpu_times(monkeypatch):
    xp = mt.tensor([1.0], device="cuda")._data.__class__
    cupy = __import__(xp.__module__.split(".")[0])
    monkeypatch.delattr(cupy.cuda, "Event", raising=False)
    x = mt.ones(4, device="cuda")
    with pytest.warns(UserWarning, match="no cuda.Event"):
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            x * 2
    assert _counts(prof) == {"mul": 1}
    assert "CUDA" not in prof.key_averages().table()
