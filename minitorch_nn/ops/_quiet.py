"""Keeping numpy's floating-point warnings out of ops, as PyTorch prints none.

numpy warns when array code overflows or meets inf/nan ("overflow encountered in multiply",
"invalid value encountered in cast", ...); PyTorch lets inf and nan flow silently. Two ways,
neither touching the user's own numpy settings:
- `quiet_numpy(fn)` / `quiet_functions(*ArrayFunctions)`: the call runs under
  errstate(all="ignore"), set for that call only. numpy >= 2 keeps that state in a context
  variable, and setting it directly costs a fraction of `with np.errstate(...)` (older numpy
  uses errstate's decorator form). About 0.3 us a call: fine for products, norms and casts.
- `ignore_numpy_warnings_from(package)`: a warnings filter for numpy's floating-point
  RuntimeWarnings raised from the package's own code (ops/__init__.py installs it for
  minitorch_nn), which covers the hottest ops (elementwise arithmetic and its operand
  casts), where even 0.3 us would be 10% of the op. It costs nothing until a warning is
  raised. A program that later turns all warnings into errors
  (`warnings.simplefilter("error")`) overrides it, as any filter added after ours does;
  the call-local errstate above holds even then.
"""
from __future__ import annotations

import functools
import warnings

import numpy as np

__all__ = ["quiet_numpy", "quiet_functions", "ignore_numpy_warnings_from"]

try:
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj
    _IGNORE = _make_extobj(all="ignore")
except (ImportError, TypeError):   # numpy < 2
    _extobj_contextvar = None


def quiet_numpy(fn):
    """`fn` with numpy's floating-point warnings off for the duration of each call."""
    if _extobj_contextvar is None:
        return np.errstate(all="ignore")(fn)
    set_state, reset = _extobj_contextvar.set, _extobj_contextvar.reset

    @functools.wraps(fn)
    def quiet(*args, **kwargs):
        token = set_state(_IGNORE)
        try:
            return fn(*args, **kwargs)
        finally:
            reset(token)
    return quiet


def quiet_functions(*classes) -> None:
    """Run the forward and backward of each ArrayFunction class under quiet_numpy."""
    for cls in classes:
        for name in ("forward", "backward"):
            fn = cls.__dict__.get(name)
            if isinstance(fn, staticmethod):
                setattr(cls, name, staticmethod(quiet_numpy(fn.__func__)))


_NUMPY_FLOAT_WARNING = r"(overflow|invalid value|divide by zero|underflow) encountered in "


def ignore_numpy_warnings_from(package: str) -> None:
    """Ignore numpy's floating-point RuntimeWarnings raised from `package`'s modules."""
    warnings.filterwarnings("ignore", message=_NUMPY_FLOAT_WARNING, category=RuntimeWarning,
                            module=package.replace(".", r"\.") + r"(\.|$)")
