"""The profiler's results: `FunctionEvent` (one timed range), `FunctionEventAvg` (the events
of one name added up) and `EventList` (a list of either, with `table`, `key_averages` and
`export_chrome_trace`), named and shaped as in `torch.autograd.profiler_util`.

Times are in microseconds, as in PyTorch. An event's "self" time is its total time minus
the total time of the events directly inside it (its `cpu_children`), so the self times of
all events add up to the time profiled: an op that compiled a Numba kernel shows the compile
as a child row (`numba compile: ...`) and only the rest as its own self time.
"""
from __future__ import annotations

from .chrome_trace import write_chrome_trace
from .table import build_table, format_time

__all__ = ["FunctionEvent", "FunctionEventAvg", "EventList", "Interval"]


class Interval:
    """`time_range` of an event: `start` and `end` in microseconds from the trace's start."""

    __slots__ = ("start", "end")

    def __init__(self, start: float, end: float):
        self.start, self.end = start, end

    def elapsed_us(self) -> float:
        return self.end - self.start


class _TimeStrings:
    """The `*_str` forms of the times, formatted as PyTorch formats them (us / ms / s)."""

    @property
    def cpu_time_total_str(self) -> str:
        return format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self) -> str:
        return format_time(self.self_cpu_time_total)

    @property
    def cpu_time_str(self) -> str:
        return format_time(self.cpu_time)

    @property
    def device_time_total_str(self) -> str:
        return format_time(self.device_time_total)

    @property
    def self_device_time_total_str(self) -> str:
        return format_time(self.self_device_time_total)

    @property
    def device_time_str(self) -> str:
        return format_time(self.device_time)

    # PyTorch's older names for the device times
    cuda_time_total = property(lambda self: self.device_time_total)
    self_cuda_time_total = property(lambda self: self.self_device_time_total)
    cuda_time = property(lambda self: self.device_time)


class FunctionEvent(_TimeStrings):
    """One timed range: an op's forward (category "cpu_op"), a backward node ("cpu_op"), a
    `record_function` range ("user_annotation"), a Numba compile ("numba_compile").

    Start and end are `time.perf_counter_ns()` readings; `base_ns` is the reading at the
    start of the trace, so `time_range` is in microseconds from there.
    """

    count = 1

    def __init__(self, id: int, name: str, category: str, thread: int, start_ns: int,
                 base_ns: int, input_shapes=None, stack=None):
        self.id = id
        self.trace_name = name   # the name in the Chrome trace
        # the step ranges of a schedule are "ProfilerStep#<n>" in the trace and, so that
        # key_averages adds them up, "ProfilerStep*" here (as in PyTorch)
        self.name = "ProfilerStep*" if name.startswith("ProfilerStep#") else name
        self.category = category
        self.thread = thread
        self.start_ns = start_ns
        self.end_ns = None
        self.base_ns = base_ns
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.stack = stack if stack is not None else []
        self.cpu_parent = None
        self.cpu_children: list[FunctionEvent] = []
        self.own_device_time = 0.0     # us measured with CUDA events around this range
        self.device_start = None       # us from the trace start, where the GPU began it
        self.metadata: dict = {}       # more to show in the trace (a compile's signature)

    def __repr__(self) -> str:
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time={self.cpu_time_str} "
                f"device_time={self.device_time_str} input_shapes={self.input_shapes}>")

    @property
    def key(self) -> str:
        return self.name

    @property
    def is_user_annotation(self) -> bool:
        return self.category == "user_annotation"

    @property
    def time_range(self) -> Interval:
        return Interval((self.start_ns - self.base_ns) / 1000, (self.end_ns - self.base_ns) / 1000)

    @property
    def cpu_time_total(self) -> float:
        return (self.end_ns - self.start_ns) / 1000

    @property
    def self_cpu_time_total(self) -> float:
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    cpu_time = cpu_time_total

    @property
    def self_device_time_total(self) -> float:
        return self.own_device_time

    @property
    def device_time_total(self) -> float:
        return self.own_device_time + sum(c.device_time_total for c in self.cpu_children)

    device_time = device_time_total


class FunctionEventAvg(_TimeStrings):
    """The events of one key (name; with the grouping options also input shapes and stack)
    added up: `count` calls, total and self times, and averages per call."""

    def __init__(self, key: str, input_shapes=None, stack=None):
        self.key = key
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.stack = stack if stack is not None else []
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.device_time_total = 0.0
        self.self_device_time_total = 0.0
        self.is_user_annotation = False
        self.cpu_parent = None

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_str} count={self.count}>")

    def add(self, event) -> "FunctionEventAvg":
        self.count += event.count
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total
        self.device_time_total += event.device_time_total
        self.self_device_time_total += event.self_device_time_total
        self.is_user_annotation = event.is_user_annotation
        return self

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / self.count if self.count else 0.0

    @property
    def device_time(self) -> float:
        return self.device_time_total / self.count if self.count else 0.0


class EventList(list):
    """A list of events (`prof.events()`) or of averages (`prof.key_averages()`)."""

    def __init__(self, events=(), *, use_device: str | None = None, base_epoch_ns: int = 0):
        super().__init__(events)
        self.use_device = use_device         # "cuda" when CUDA was profiled, else None
        self.base_epoch_ns = base_epoch_ns   # wall-clock time (ns) of the trace's start

    @property
    def self_cpu_time_total(self) -> float:
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0):
        """One `FunctionEventAvg` per name (and input shapes / first `group_by_stack_n`
        stack frames when asked), in the order each key first appears."""
        groups: dict = {}
        for e in self:
            key = (e.key,
                   str(e.input_shapes) if group_by_input_shape else None,
                   tuple(e.stack[:group_by_stack_n]) if group_by_stack_n > 0 else None)
            avg = groups.get(key)
            if avg is None:
                avg = groups[key] = FunctionEventAvg(
                    e.key, e.input_shapes if group_by_input_shape else None,
                    e.stack[:group_by_stack_n] if group_by_stack_n > 0 else None)
            avg.add(e)
        return EventList(groups.values(), use_device=self.use_device,
                         base_epoch_ns=self.base_epoch_ns)

    def total_average(self) -> FunctionEventAvg:
        """All events added into one average (key "Total")."""
        total = FunctionEventAvg("Total")
        for e in self:
            total.add(e)
        return total

    def table(self, sort_by: str | None = None, row_limit: int = 100,
              max_src_column_width: int = 75, max_name_column_width: int = 55,
              max_shapes_column_width: int = 80, header: str | None = None,
              top_level_events_only: bool = False, time_unit: str | None = None) -> str:
        """PyTorch's text table of these events (see table.py)."""
        return build_table(self, sort_by=sort_by, row_limit=row_limit, header=header,
                           max_src_column_width=max_src_column_width,
                           max_name_column_width=max_name_column_width,
                           max_shapes_column_width=max_shapes_column_width,
                           top_level_events_only=top_level_events_only, time_unit=time_unit)

    def export_chrome_trace(self, path: str) -> None:
        """Write these events (FunctionEvents, not averages) as a Chrome trace JSON file."""
        write_chrome_trace(self, path)

