"""`cupyx` of the fake: scatter_add/max/min and the scipy.special ufuncs minitorch_nn uses."""
from __future__ import annotations

import math
import types

import numpy as np

from ._core import ndarray, ufunc, wrap

__all__ = ["scatter_add", "scatter_max", "scatter_min", "scipy", "module"]


# the dtypes (numpy type chars) CuPy's atomic scatters accept; others raise, as in CuPy
_SCATTER_DTYPES = {"scatter_add": "iILQefd", "scatter_max": "iILQfd", "scatter_min": "iILQfd"}


def _scatter(name):
    def fn(a, slices, value):
        if type(a) is not ndarray:
            raise TypeError(f"Unsupported type {type(a)}")
        if a.dtype.char not in _SCATTER_DTYPES[name]:
            raise TypeError(f"cupyx.{name} does not support dtype {a.dtype} (CuPy's atomics)")
        getattr(a, name)(slices, value)
    fn.__name__ = name
    return fn


scatter_add, scatter_max, scatter_min = (_scatter(n) for n in ("scatter_add", "scatter_max",
                                                               "scatter_min"))


def _special_ufuncs() -> dict:
    names = ("erf", "erfc", "erfinv", "erfcinv", "gammaln", "digamma", "expit", "logit",
             "xlogy", "xlog1py", "ndtr", "ndtri", "log_ndtr", "i0", "i0e", "i1", "i1e",
             "entr", "sinc", "polygamma", "gamma", "lgamma", "zeta")
    try:
        import scipy.special as special
    except ImportError:   # erf alone, exactly, from math
        erf = np.frompyfunc(math.erf, 1, 1)
        return {"erf": _ObjectUfunc(erf)}
    return {n: ufunc(getattr(special, n)) for n in names
            if isinstance(getattr(special, n, None), np.ufunc)}


class _ObjectUfunc(ufunc):
    """A ufunc over Python floats (no scipy): results cast back to the input dtype."""

    def __call__(self, x):
        if type(x) is not ndarray:
            raise TypeError(f"Unsupported type {type(x)}")
        return wrap(self._np(x._a).astype(x.dtype))


special = types.ModuleType("cupyx.scipy.special")
special.__dict__.update(_special_ufuncs())
scipy = types.ModuleType("cupyx.scipy")
scipy.special = special

module = types.ModuleType("cupyx")
module.__doc__ = __doc__
module.scatter_add, module.scatter_max, module.scatter_min = scatter_add, scatter_max, \
    scatter_min
module.scipy = scipy
