"""Tensor printing in PyTorch's format: `tensor([1., 2.], requires_grad=True)`.

Mirrors PyTorch's rules: one formatter picks integer, fixed or scientific notation for all
elements (precision 4, line width 80), tensors over 1000 elements are summarised with
`...` (3 edge items), and suffixes (device, dtype, grad_fn) follow the values.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["tensor_repr", "set_printoptions"]


class _PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Change how tensors print, as `torch.set_printoptions` does."""
    if profile == "default":
        PRINT_OPTS.precision, PRINT_OPTS.threshold = 4, 1000
        PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 3, 80
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    """Chooses one notation and width for every element of `values` (a numpy array)."""

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(_int_str(v)))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        fmin, fmax = float(np.abs(finite).min()), float(np.abs(finite).max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        p = PRINT_OPTS.precision
        if self.int_mode:
            if fmax / fmin > 1000.0 or fmax > 1.0e8:
                self.sci_mode = True
                widths = [len(f"{v:.{p}e}") for v in finite.tolist()]
            else:
                widths = [len(f"{v:.0f}") + 1 for v in finite.tolist()]
        elif fmax / fmin > 1000.0 or fmax > 1.0e8 or fmin < 1.0e-4:
            self.sci_mode = True
            widths = [len(f"{v:.{p}e}") for v in finite.tolist()]
        else:
            widths = [len(f"{v:.{p}f}") for v in finite.tolist()]
        self.max_width = max(self.max_width, max(widths))
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode

    def width(self) -> int:
        return self.max_width

    def format(self, value) -> str:
        p = PRINT_OPTS.precision
        if not self.floating:
            text = _int_str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{p}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if not (math.isinf(value) or math.isnan(value)):
                text += "."
        else:
            text = f"{value:.{p}f}"
        return (self.max_width - len(text)) * " " + text


def _int_str(v) -> str:
    return str(v) if not isinstance(v, bool) else ("True" if v else "False")


def _summarized(values: np.ndarray) -> np.ndarray:
    """The edge items along every dimension, for formatting long tensors."""
    e = PRINT_OPTS.edgeitems
    if values.ndim == 0:
        return values
    if values.ndim == 1:
        if values.shape[0] > 2 * e:
            return np.concatenate([values[:e], values[-e:]])
        return values
    if values.shape[0] > 2 * e:
        rows = [_summarized(values[i]) for i in list(range(e)) + list(range(len(values) - e,
                                                                           len(values)))]
    else:
        rows = [_summarized(row) for row in values]
    return np.stack(rows)


def _vector_str(values, indent, summarize, fmt) -> str:
    e = PRINT_OPTS.edgeitems
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / (fmt.width() + 2))))
    if summarize and values.shape[0] > 2 * e:
        data = ([fmt.format(v) for v in values[:e].tolist()] + [" ..."]
                + [fmt.format(v) for v in values[-e:].tolist()])
    else:
        data = [fmt.format(v) for v in values.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(values, indent, summarize, fmt) -> str:
    if values.ndim == 0:
        return fmt.format(values.item())
    if values.ndim == 1:
        return _vector_str(values, indent, summarize, fmt)
    e = PRINT_OPTS.edgeitems
    n = values.shape[0]
    if summarize and n > 2 * e:
        rows = ([_nested_str(values[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."]
                + [_nested_str(values[i], indent + 1, summarize, fmt) for i in range(n - e, n)])
    else:
        rows = [_nested_str(values[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _complex_str(values, indent, summarize) -> str:
    """Complex tensors: real and imaginary parts formatted separately, as PyTorch does."""
    sample = _summarized(values) if summarize else values
    real_fmt, imag_fmt = _Formatter(sample.real.copy()), _Formatter(sample.imag.copy())

    class _Pair:
        def width(self):
            return real_fmt.width() + imag_fmt.width() + 2

        def format(self, v):
            imag = imag_fmt.format(abs(v.imag)).lstrip()
            sign = "-" if v.imag < 0 or (v.imag == 0 and math.copysign(1, v.imag) < 0) else "+"
            return real_fmt.format(v.real) + sign + imag + "j"

    return _nested_str(values, indent, summarize, _Pair())


def values_str(values: np.ndarray, indent: int) -> str:
    """The bracketed values of a host array, laid out as PyTorch lays them out."""
    if values.dtype.kind == "f" and values.dtype.itemsize < 4 or values.dtype.name == "bfloat16":
        values = values.astype(np.float32)
    summarize = values.size > PRINT_OPTS.threshold
    if values.dtype.kind == "c":
        return _complex_str(values, indent, summarize)
    fmt = _Formatter(_summarized(values) if summarize else values)
    return _nested_str(values, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t, prefix: str = "tensor(") -> str:
    """`repr(t)` as PyTorch prints it."""
    from .dtypes import bool as bool_, get_default_dtype, int64
    indent = len(prefix)
    suffixes = []
    dev = t.device
    if dev.type != "cpu":
        suffixes.append(f"device='{dev}'")
    default = get_default_dtype()
    has_default_dtype = t.dtype in (default, default.to_complex(), int64, bool_)
    if t.numel() == 0:
        if t.dim() != 1:
            suffixes.append("size=" + str(tuple(t.shape)))
        body = "[]"
    else:
        body = values_str(t._host_array(), indent)
    if not has_default_dtype:
        suffixes.append("dtype=" + str(t.dtype))
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{type(t.grad_fn).__name__}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
