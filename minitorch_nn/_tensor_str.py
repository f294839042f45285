"""Tensor printing in PyTorch's format: `tensor([1., 2.], requires_grad=True)`.

Mirrors PyTorch's rules: one formatter picks integer, fixed or scientific notation for all
elements (precision 4, line width 80), tensors over 1000 elements are summarised with
`...` (3 edge items), and suffixes (device, dtype, grad_fn) follow the values.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np

from . import dtypes as _dt

__all__ = ["tensor_repr", "set_printoptions", "get_printoptions", "printoptions"]


class _PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
             "full": (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """Change how tensors print, as `torch.set_printoptions` does.

    `profile` is one of 'default', 'short', 'full'; explicit options override it. Like
    PyTorch, every call resets `sci_mode` (None lets the formatter choose).

        >>> set_printoptions(precision=2); tensor([1.12345]); set_printoptions(profile="default")
    """
    if profile in _PROFILES:
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems,
         PRINT_OPTS.linewidth) = _PROFILES[profile]
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current options, as keywords `set_printoptions` accepts."""
    return {"precision": PRINT_OPTS.precision, "threshold": PRINT_OPTS.threshold,
            "edgeitems": PRINT_OPTS.edgeitems, "linewidth": PRINT_OPTS.linewidth,
            "sci_mode": PRINT_OPTS.sci_mode}


@contextlib.contextmanager
def printoptions(**kwargs):
    """Change the print options inside a `with` block only."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Chooses one notation and width for every element of `values` (a numpy array).

    Floats print as integers with a dot (`1.`) when all are whole, in scientific notation
    when the finite non-zero magnitudes span more than 1000x, exceed 1e8 or go below 1e-4,
    else in fixed notation with `precision` decimals (PyTorch's `_Formatter`).
    """

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
        magnitude = np.abs(finite)
        fmin, fmax = float(magnitude.min()), float(magnitude.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = fmax / fmin > 1000.0 or fmax > 1.0e8 or fmin < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        p = PRINT_OPTS.precision
        if self.sci_mode:
            widths = [len(f"{v:.{p}e}") for v in finite.tolist()]
        elif self.int_mode:
            widths = [len(f"{v:.0f}") + 1 for v in finite.tolist()]
        else:
            widths = [len(f"{v:.{p}f}") for v in finite.tolist()]
        self.max_width = max(self.max_width, max(widths))

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
    """The edge items along every dimension: what the formatter measures in long tensors."""
    e = PRINT_OPTS.edgeitems
    if values.ndim == 0:
        return values
    if values.ndim == 1:
        if values.shape[0] > 2 * e:
            return np.concatenate([values[:e], values[-e:]])   # e=0 keeps all, as PyTorch
        return values
    if not e:
        return values[(slice(0, 0),) * values.ndim]
    n = values.shape[0]
    rows = range(n) if n <= 2 * e else list(range(e)) + list(range(n - e, n))
    return np.stack([_summarized(values[i]) for i in rows])


class _ComplexFormatter:
    """Real and imaginary parts measured and formatted separately, as PyTorch does."""

    def __init__(self, values: np.ndarray):
        self.real = _Formatter(np.ascontiguousarray(values.real))
        self.imag = _Formatter(np.ascontiguousarray(values.imag))

    def width(self) -> int:
        return self.real.width() + self.imag.width() + 1   # + the "j"

    def format(self, value) -> str:
        real = self.real.format(value.real)
        imag = (self.imag.format(value.imag) + "j").lstrip()
        return real + imag if imag[0] in "+-" else real + "+" + imag


def _vector_str(values, indent, summarize, fmt) -> str:
    e = PRINT_OPTS.edgeitems
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / (fmt.width() + 2))))
    if summarize and not e:
        data = ["..."]
    elif summarize and values.shape[0] > 2 * e:
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


def values_str(values: np.ndarray, indent: int) -> str:
    """The bracketed values of a host array, laid out as PyTorch lays them out."""
    if values.dtype.kind == "f" and values.dtype.itemsize < 4 or values.dtype.name == "bfloat16":
        values = values.astype(np.float32)   # float16/bfloat16 print their exact values
    summarize = values.size > PRINT_OPTS.threshold
    sample = _summarized(values) if summarize else values
    fmt = _ComplexFormatter(sample) if values.dtype.kind == "c" else _Formatter(sample)
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


def _prefix(t) -> str:
    """'tensor(' for Tensor and Parameter, the class name for other subclasses (as PyTorch)."""
    name = type(t).__name__
    return "tensor(" if name in ("Tensor", "Parameter") else name + "("


def tensor_repr(t, prefix: str | None = None) -> str:
    """`repr(t)` as PyTorch prints it."""
    prefix = _prefix(t) if prefix is None else prefix
    indent = len(prefix)
    suffixes = []
    dev = t.device
    if dev.type != "cpu":
        suffixes.append(f"device='{dev}'")
    default = _dt.get_default_dtype()
    if t.numel() == 0:
        if t.dim() != 1:
            suffixes.append("size=" + str(tuple(t.shape)))
        if t.dtype is not default:   # nothing to infer the dtype from, so always shown
            suffixes.append("dtype=" + str(t.dtype))
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(t.shape)))
        if t.dtype not in (default, default.to_complex(), _dt.int64, _dt.bool):
            suffixes.append("dtype=" + str(t.dtype))
        body = values_str(t._host_array(), indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{type(t.grad_fn).__name__}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
