"""Writing a trace in the Chrome trace-event format (chrome://tracing, https://ui.perfetto.dev).

The file is one JSON object, as PyTorch writes it: `{"schemaVersion": 1, "displayTimeUnit":
"ms", "baseTimeNanoseconds": ..., "traceEvents": [...]}`. Each profiled range is a complete
event, `{"ph": "X", "cat", "name", "pid", "tid", "ts", "dur", "args"}`, with `ts` and `dur`
in microseconds from the trace's start (`baseTimeNanoseconds` is that start on the wall
clock). CPU ranges sit in this process (pid = os.getpid(), tid = the thread); the device time
of ops on CUDA tensors is a "kernel" event in process 0 ("GPU 0"), as PyTorch lays it out.
Metadata events ("ph": "M") name the processes and threads.

`tensorboard_trace_handler(dir)` is an `on_trace_ready` that writes one such file per trace
into `dir`, named `<worker>.<time_ns>.pt.trace.json` as PyTorch names them (TensorBoard's
profiler plugin and Perfetto read them).
"""
from __future__ import annotations

import gzip
import json
import os
import socket
import time

__all__ = ["write_chrome_trace", "trace_events", "tensorboard_trace_handler"]

GPU_PID = 0


def _us(ns: int) -> float:
    return round(ns / 1000, 3)


def trace_events(events) -> list:
    """The "traceEvents" list of an EventList of FunctionEvents."""
    pid = os.getpid()
    out = [{"ph": "M", "name": "process_name", "pid": pid, "tid": 0,
            "args": {"name": "python"}},
           {"ph": "M", "name": "process_labels", "pid": pid, "tid": 0, "args": {"labels": "CPU"}}]
    for tid in sorted({e.thread for e in events}):
        out.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid,
                    "args": {"name": f"thread {tid} (python)"}})
    gpu = []
    for index, e in enumerate(events):
        start = e.start_ns - e.base_ns
        args = {"Ev Idx": index, **e.metadata}
        if e.input_shapes:
            args["Input Dims"] = e.input_shapes
        if e.stack:
            args["Call stack"] = ";".join(e.stack)
        if e.own_device_time:
            args["device_duration_us"] = round(e.own_device_time, 3)
        out.append({"ph": "X", "cat": e.category, "name": e.trace_name, "pid": pid,
                    "tid": e.thread,
                    "ts": _us(start), "dur": _us(e.end_ns - e.start_ns), "args": args})
        if e.device_start is not None:
            gpu.append({"ph": "X", "cat": "kernel", "name": e.trace_name, "pid": GPU_PID,
                        "tid": 0, "ts": round(e.device_start, 3),
                        "dur": round(e.own_device_time, 3), "args": {"Ev Idx": index}})
    if gpu:
        out.append({"ph": "M", "name": "process_name", "pid": GPU_PID, "tid": 0,
                    "args": {"name": "GPU 0"}})
        out.append({"ph": "M", "name": "thread_name", "pid": GPU_PID, "tid": 0,
                    "args": {"name": "stream 0"}})
        out += gpu
    return out


def write_chrome_trace(events, path: str) -> None:
    """Write `events` to `path` (gzip-compressed when the name ends in .gz)."""
    trace = {"schemaVersion": 1, "displayTimeUnit": "ms",
             "baseTimeNanoseconds": events.base_epoch_ns, "traceName": str(path),
             "traceEvents": trace_events(events)}
    text = json.dumps(trace)
    if str(path).endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None,
                              use_gzip: bool = False):
    """An `on_trace_ready` handler writing each trace to `dir_name` (created if needed) as
    `<worker_name>.<time_ns>.pt.trace.json[.gz]`; the worker name defaults to
    `<hostname>_<pid>`, as in PyTorch."""

    def handler_fn(prof) -> None:
        nonlocal worker_name
        if not os.path.isdir(dir_name):
            try:
                os.makedirs(dir_name, exist_ok=True)
            except Exception as e:
                raise RuntimeError("Can't create directory: " + dir_name) from e
        if not worker_name:
            worker_name = f"{socket.gethostname()}_{os.getpid()}"
        file_name = f"{worker_name}.{time.time_ns()}.pt.trace.json"
        if use_gzip:
            file_name += ".gz"
        prof.export_chrome_trace(os.path.join(dir_name, file_name))

    return handler_fn
