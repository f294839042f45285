"""torch.testing: `assert_close` (with PyTorch's messages and default tolerances) and
`make_tensor`, the two helpers test suites written for PyTorch call.

    torch.testing.assert_close(actual, expected)              # dtype-based rtol/atol
    torch.testing.assert_close(out, ref, rtol=0, atol=0)      # exact ("not equal!")

Inputs may be tensors, NumPy arrays, Python numbers, or sequences / mappings of them
(compared item by item; a failure says which item: "The failure occurred for item [0]").
"""
from __future__ import annotations

import collections.abc
import math

import numpy as np

from . import dtypes as _dt
from .tensor import Tensor
from .divergence import compare  # noqa: F401  (the divergence finder, docs/tools.md)

__all__ = ["assert_close", "assert_allclose", "make_tensor"]

# PyTorch's default (rtol, atol) by dtype; dtypes not listed compare exactly.
_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5),
               "complex128": (1e-7, 1e-7)}


class _Mismatch(Exception):
    """A failed comparison: the message, and the exception class PyTorch raises for it."""

    def __init__(self, message: str, cls=AssertionError):
        super().__init__(message)
        self.cls = cls


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol=None, atol=None,
                 equal_nan: bool = False, check_device: bool = True, check_dtype: bool = True,
                 check_layout: bool = True, check_stride: bool = False, msg=None) -> None:
    """Raise AssertionError unless `actual` and `expected` are close (PyTorch's rules)."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    options = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device,
                   check_dtype=check_dtype, check_stride=check_stride)
    try:
        _compare(actual, expected, options, path="")
    except _Mismatch as failure:
        text = str(failure)
        if failure.cls is AssertionError and msg is not None:
            text = msg(text) if callable(msg) else msg
        raise failure.cls(text) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg="") -> None:
    """The deprecated spelling: `assert_close` without the dtype check, NaNs equal."""
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_device=True, check_dtype=False, msg=msg or None)


# ------------------------------------------------------------------ structure
def _compare(actual, expected, options, path: str) -> None:
    if _is_leaf(actual) and _is_leaf(expected):
        try:
            _compare_leaves(actual, expected, options)
        except _Mismatch as failure:
            if path and failure.cls is AssertionError:
                raise _Mismatch(f"{failure}\n\nThe failure occurred for item {path}") from None
            raise
    elif _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != "
                            f"{len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, options, f"{path}[{i}]")
    elif isinstance(actual, collections.abc.Mapping) and \
            isinstance(expected, collections.abc.Mapping):
        missing = sorted(set(expected) - set(actual), key=repr)
        extra = sorted(set(actual) - set(expected), key=repr)
        if missing or extra:
            raise _Mismatch(f"The keys of the mappings do not match:\nMissing keys in the "
                            f"actual mapping: {missing}\nAdditional keys in the actual "
                            f"mapping: {extra}")
        for key in expected:
            _compare(actual[key], expected[key], options, f"{path}[{key!r}]")
    else:
        raise _Mismatch(f"No comparison pair was able to handle inputs of type "
                        f"{type(actual)} and {type(expected)}.", TypeError)


def _is_leaf(x) -> bool:
    return x is None or isinstance(x, (Tensor, np.ndarray, bool, int, float, complex))


def _is_sequence(x) -> bool:
    return isinstance(x, collections.abc.Sequence) and not isinstance(x, str)


def _compare_leaves(actual, expected, options) -> None:
    if actual is None or expected is None:
        if actual is not expected:
            raise _Mismatch(f"None mismatch: {actual} is not {expected}")
        return
    a_tensor = isinstance(actual, (Tensor, np.ndarray))
    if a_tensor != isinstance(expected, (Tensor, np.ndarray)):
        raise _Mismatch(f"No comparison pair was able to handle inputs of type "
                        f"{type(actual)} and {type(expected)}.", TypeError)
    if a_tensor:
        _compare_tensors(actual, expected, options)
    else:
        _compare_numbers(actual, expected, options)


# ------------------------------------------------------------------ numbers
def _compare_numbers(actual, expected, options) -> None:
    if isinstance(actual, bool) or isinstance(expected, bool):
        if type(actual) is not type(expected) and options["check_dtype"]:
            raise _Mismatch(f"The (d)types do not match: {type(actual)} != {type(expected)}.")
        if actual != expected:
            raise _Mismatch(f"Booleans mismatch: {actual} is not {expected}")
        return
    if options["check_dtype"] and type(actual) is not type(expected):
        raise _Mismatch(f"The (d)types do not match: {type(actual)} != {type(expected)}.")
    kind = complex if complex in (type(actual), type(expected)) else \
        float if float in (type(actual), type(expected)) else int
    rtol, atol = _tolerances(options, "complex128" if kind is complex else
                             "float64" if kind is float else "int64")
    if _number_close(actual, expected, rtol, atol, options["equal_nan"]):
        return
    abs_diff = abs(actual - expected)
    rel_diff = math.inf if expected == 0 else abs_diff / abs(expected)
    raise _Mismatch(_message("Scalars", f"Expected {expected} but got {actual}.",
                             abs_diff, None, atol, rel_diff, None, rtol))


def _number_close(a, e, rtol, atol, equal_nan) -> bool:
    if a == e:
        return True
    if equal_nan and _isnan(a) and _isnan(e):
        return True
    if _isnan(a) or _isnan(e) or _isinf(a) or _isinf(e):
        return False
    return abs(a - e) <= atol + rtol * abs(e)


def _isnan(x) -> bool:
    return isinstance(x, (float, complex)) and x != x


def _isinf(x) -> bool:
    return isinstance(x, (float, complex)) and not _isnan(x) and abs(x) == math.inf


# ------------------------------------------------------------------ tensors
def _attributes(t) -> tuple:
    """(array, dtype name, device name, shape, strides in elements) of a tensor or ndarray."""
    if isinstance(t, np.ndarray):
        return (t, _dt.to_dtype(t.dtype), "cpu", tuple(t.shape),
                tuple(s // t.itemsize for s in t.strides))
    arr = np.asarray(t.detach().cpu()._data)
    if arr.dtype.kind not in "biufc":      # bfloat16 (ml_dtypes): NumPy math in float32
        arr = arr.astype(np.float32)
    return arr, t.dtype, str(t.device), tuple(t.shape), t.stride()


def _compare_tensors(actual, expected, options) -> None:
    a, a_dtype, a_dev, a_shape, a_stride = _attributes(actual)
    e, e_dtype, e_dev, e_shape, e_stride = _attributes(expected)
    if a_shape != e_shape:
        raise _Mismatch(f"The values for attribute 'shape' do not match: "
                        f"torch.Size({list(a_shape)}) != torch.Size({list(e_shape)}).")
    if options["check_device"] and a_dev != e_dev:
        raise _Mismatch(f"The values for attribute 'device' do not match: {a_dev} != {e_dev}.")
    if options["check_dtype"] and a_dtype is not e_dtype:
        raise _Mismatch(f"The values for attribute 'dtype' do not match: {a_dtype} != "
                        f"{e_dtype}.")
    if options["check_stride"] and a_stride != e_stride:
        raise _Mismatch(f"The values for attribute 'stride()' do not match: {a_stride} != "
                        f"{e_stride}.")
    rtol, atol = _tolerances(options, _name(a_dtype), _name(e_dtype))
    if a_dtype is not e_dtype:   # check_dtype=False: compare in the promoted dtype
        common = np.result_type(a.dtype, e.dtype)
        a, e = a.astype(common), e.astype(common)
    if a.ndim == 0:
        _compare_numbers(a.item(), e.item(), {**options, "check_dtype": False,
                                              "rtol": rtol, "atol": atol})
        return
    matches = _isclose(a, e, rtol, atol, options["equal_nan"])
    if matches.all():
        return
    raise _Mismatch(_tensor_message(a, e, matches, rtol, atol))


def _name(dtype) -> str:
    return str(dtype).replace("torch.", "")


def _tolerances(options, *dtype_names) -> tuple:
    if options["rtol"] is not None:
        return options["rtol"], options["atol"]
    pairs = [_TOLERANCES.get(n, (0.0, 0.0)) for n in dtype_names]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _isclose(a, e, rtol, atol, equal_nan) -> np.ndarray:
    if a.dtype.kind not in "fc":
        return a == e
    a64, e64 = a.astype(np.complex128 if a.dtype.kind == "c" else np.float64), \
        e.astype(np.complex128 if e.dtype.kind == "c" else np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        close = (a64 == e64) | (np.abs(a64 - e64) <= atol + rtol * np.abs(e64))
    finite = np.isfinite(a64) & np.isfinite(e64)
    close = close & (finite | (a64 == e64))
    if equal_nan:
        close |= np.isnan(a64) & np.isnan(e64)
    return close


def _tensor_message(a, e, matches, rtol, atol) -> str:
    """"Mismatched elements: k / n (p%)" and the greatest differences among mismatches,
    computed in the tensors' dtype (integers in int64) as PyTorch does."""
    n = matches.size
    bad = n - int(matches.sum())
    if a.dtype.kind not in "fc":
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_diff = np.abs(a - e).ravel()
        abs_diff[matches.ravel()] = 0
        rel_diff = (abs_diff / np.abs(e).ravel()).astype(
            abs_diff.dtype if abs_diff.dtype.kind == "f" else np.float32)
    rel_diff[matches.ravel()] = 0
    i_abs, i_rel = _argmax_nan_first(abs_diff), _argmax_nan_first(rel_diff)
    index = lambda flat: tuple(int(i) for i in np.unravel_index(flat, a.shape))  # noqa: E731
    return _message("Tensor-likes", f"Mismatched elements: {bad} / {n} ({bad / n:.1%})",
                    _py(abs_diff[i_abs]), index(i_abs), atol,
                    _py(rel_diff[i_rel]), index(i_rel), rtol)


def _py(x):
    """A numpy scalar as the Python number torch's `.item()` gives (float16/bfloat16 too)."""
    return x.item() if x.dtype.kind in "iub" else float(x)


def _argmax_nan_first(x) -> int:
    """torch.max's index: the first NaN if any, else the first maximum."""
    nans = np.flatnonzero(np.isnan(x)) if x.dtype.kind == "f" else ()
    return int(nans[0]) if len(nans) else int(np.argmax(x))


def _message(identifier, extra, abs_diff, abs_idx, atol, rel_diff, rel_idx, rtol) -> str:
    exact = rtol == 0 and atol == 0
    lines = [f"{identifier} are not {'equal' if exact else 'close'}!", "", extra]
    for kind, diff, idx, tol in (("absolute", abs_diff, abs_idx, atol),
                                 ("relative", rel_diff, rel_idx, rtol)):
        line = (f"{kind.title()} difference: {diff}" if idx is None
                else f"Greatest {kind} difference: {diff} at index {idx}")
        lines.append(line if exact else f"{line} (up to {tol} allowed)")
    return "\n".join(lines)


# ------------------------------------------------------------------ make_tensor
def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format=None) -> Tensor:
    """A random tensor for tests: uniform in [low, high) (PyTorch's defaults: [-9, 9] for
    floating types, [-9, 10) for signed integers, [0, 10) for uint8, random booleans)."""
    from .creation import tensor as _tensor
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])
    dtype = _dt.to_dtype(dtype)
    rng = np.random.default_rng()
    size = tuple(int(s) for s in shape)
    if dtype is _dt.bool:
        host = rng.integers(0, 2, size=size).astype(bool)
    elif dtype.is_floating_point or dtype.is_complex:
        lo, hi = -9.0 if low is None else low, 9.0 if high is None else high
        host = rng.uniform(lo, hi, size=size)
        if dtype.is_complex:
            host = host + 1j * rng.uniform(lo, hi, size=size)
        if exclude_zero:
            host[host == 0] = np.finfo(np.float32).tiny
    else:
        lo = (0 if dtype is _dt.uint8 else -9) if low is None else math.ceil(low)
        hi = 10 if high is None else math.ceil(high)
        host = rng.integers(lo, hi, size=size)
        if exclude_zero:
            host[host == 0] = 1
    if noncontiguous and host.size > 1:   # every other element of a doubled last dim
        out = _tensor(np.repeat(host, 2, axis=-1), dtype=dtype, device=device)[..., ::2]
    else:
        out = _tensor(host, dtype=dtype, device=device)
    return out.requires_grad_(requires_grad) if requires_grad else out
