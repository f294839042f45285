"""`key_averages().table()`: PyTorch's profiler table, column for column.

Columns: Name, Self CPU %, Self CPU, CPU total %, CPU total, CPU time avg; then Self CUDA,
Self CUDA %, CUDA total, CUDA time avg when any row has device time; # of Calls; Input
Shapes when shapes were recorded; Source Location when stacks were. Percentages are of the
sum of all self CPU times (the time profiled), as in PyTorch, and the table ends with
"Self CPU time total: ...". Column widths and number formats follow
`torch.autograd.profiler_util._build_table`.
"""
from __future__ import annotations

__all__ = ["build_table", "format_time", "SORT_KEYS"]

SORT_KEYS = ("cpu_time_total", "self_cpu_time_total", "cpu_time", "device_time_total",
             "self_device_time_total", "device_time", "count")

_COLUMN = 12     # width of every numeric column
_SPACING = 2


def format_time(time_us: float) -> str:
    """PyTorch's time format: `12.345us`, `1.234ms` or `1.234s`."""
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _sort_attribute(sort_by: str) -> str:
    """`sort_by` as an event attribute; PyTorch's "cuda" spellings mean the device times."""
    attr = sort_by.replace("cuda", "device")
    if attr not in SORT_KEYS:
        raise AttributeError(f"table(sort_by=...) expected one of "
                             f"{', '.join(SORT_KEYS)} (or the cuda_* spellings), "
                             f"got {sort_by!r}")
    return attr


def _share(time_us: float, total_us: float) -> str:
    if total_us == 0:
        return "NaN"
    return f"{time_us * 100.0 / total_us:.2f}%"


def _time(time_us: float, unit: str | None) -> str:
    if unit == "s":
        return f"{time_us / 1e6:.3f}s"
    if unit == "ms":
        return f"{time_us / 1e3:.3f}ms"
    if unit == "us":
        return f"{time_us:.3f}us"
    return format_time(time_us)


def _trim_path(path: str, width: int) -> str:
    if len(path) > width:
        path = path[len(path) - width:]
        if len(path) > 3:
            path = "..." + path[3:]
    return path


class _Layout:
    """The row format string, the dashed separator and the line length, column by column."""

    def __init__(self):
        self.row_format, self.separator, self.length = "", "", -_SPACING

    def add(self, width: int, align: str = ">") -> None:
        self.row_format += "{: " + align + str(width) + "}" + " " * _SPACING
        self.separator += "-" * width + " " * _SPACING
        self.length += width + _SPACING


def build_table(events, sort_by=None, row_limit=100, header=None, max_src_column_width=75,
                max_name_column_width=55, max_shapes_column_width=80,
                top_level_events_only=False, time_unit=None) -> str:
    """The table text of `events` (FunctionEvents or FunctionEventAvgs)."""
    if len(events) == 0:
        return ""
    rows = list(events)
    if sort_by is not None:
        attr = _sort_attribute(sort_by)
        rows.sort(key=lambda e: getattr(e, attr), reverse=True)
    has_device = any(e.self_device_time_total > 0 for e in rows)
    has_shapes = any(e.input_shapes for e in rows)
    stacks = [e.stack for e in rows if e.stack]
    device = (events.use_device or "cuda").upper()

    name_width = min(max(len(e.key) for e in rows) + 4, max_name_column_width)
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if has_device:
        headers += [f"Self {device}", f"Self {device} %", f"{device} total",
                    f"{device} time avg"]
    headers.append("# of Calls")
    layout = _Layout()
    layout.add(name_width)
    for _ in headers[1:]:
        layout.add(_COLUMN)
    if has_shapes:
        shapes_width = min(max(len(str(e.input_shapes)) for e in rows) + 4,
                           max_shapes_column_width)
        headers.append("Input Shapes")
        layout.add(shapes_width)
    if stacks:
        src_width = min(max(len(line) for s in stacks for line in s) + 4, max_src_column_width)
        headers.append("Source Location")
        layout.add(src_width, "<")

    self_cpu_sum = sum(e.self_cpu_time_total for e in rows)
    self_device_sum = sum(e.self_device_time_total for e in rows if not e.is_user_annotation)
    out = []
    if header is not None:
        out += ["=" * layout.length, header]
    if top_level_events_only:
        out += ["=" * layout.length, "This report only display top-level ops statistics"]
    out += [layout.separator, layout.row_format.format(*headers), layout.separator]
    shown = 0
    for e in rows:
        if shown == row_limit:
            break
        if top_level_events_only and e.cpu_parent is not None:
            continue
        shown += 1
        out += _row(e, layout, name_width, max_name_column_width, self_cpu_sum,
                    self_device_sum, has_device, has_shapes and shapes_width,
                    stacks and src_width, len(headers), time_unit)
    out.append(layout.separator)
    out.append(f"Self CPU time total: {_time(self_cpu_sum, time_unit)}")
    if has_device:
        out.append(f"Self {device} time total: {_time(self_device_sum, time_unit)}")
    return "\n".join(out) + "\n"


def _row(e, layout, name_width, max_name_width, self_cpu_sum, self_device_sum, has_device,
         shapes_width, src_width, n_columns, unit) -> list:
    """The line(s) of one event: its values, then one line per further stack frame."""
    name = e.key
    if max_name_width is not None and len(name) >= max_name_width - 3:
        name = name[:max_name_width - 3] + "..."
    values = [name, _share(e.self_cpu_time_total, self_cpu_sum),
              _time(e.self_cpu_time_total, unit), _share(e.cpu_time_total, self_cpu_sum),
              _time(e.cpu_time_total, unit), _time(e.cpu_time, unit)]
    if has_device:
        values += [_time(e.self_device_time_total, unit),
                   _share(e.self_device_time_total, self_device_sum),
                   _time(e.device_time_total, unit), _time(e.device_time, unit)]
    values.append(e.count)
    if shapes_width:
        values.append(str(e.input_shapes)[:shapes_width])
    lines = []
    if src_width:
        values.append(_trim_path(e.stack[0], src_width) if e.stack else "")
        lines.append(layout.row_format.format(*values))
        blank = [""] * (n_columns - 1)
        for frame in e.stack[1:]:
            lines.append(layout.row_format.format(*blank, _trim_path(frame, src_width)))
        lines.append(layout.row_format.format(*blank, ""))
        return lines
    return [layout.row_format.format(*values)]
