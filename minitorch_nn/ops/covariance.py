"""cov and corrcoef: the covariance and correlation matrices of variables (rows) observed
across columns.

Both are composed of differentiable tensor ops, following PyTorch's Correlation.cpp step for
step (weighted mean, centred product, normalisation, squeeze; corrcoef divides by the standard
deviations and clips to [-1, 1]), so gradients reach the input and `aweights`, graph nodes are
PyTorch's (SqueezeBackward0, ClampBackward1) and the GPU runs the same ops.
"""
from __future__ import annotations

import numpy as np

from .._user_warning import warn_user
from .. import dtypes as _dt
from ..tensor import Tensor
from ._reduce_util import _type_name
from ._util import check_tensor, to_tensor
from .complex import complex as _complex
from .registry import op


def _check_weights(w, name: str, n_obs: int, integral: bool) -> Tensor:
    """PyTorch's checks of `fweights` (integral) / `aweights` (floating), in its order."""
    if not isinstance(w, Tensor):
        raise TypeError(f"cov(): argument '{name}' must be Tensor, not {type(w).__name__}")
    if w.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                           f"{name} with {w.ndim} dimensions")
    kind = w._data.dtype.kind
    ok = kind in "iu" if integral else (kind == "f" or w.dtype is _dt.bfloat16)
    if not ok:
        wanted = "integral" if integral else "floating point"
        raise RuntimeError(f"cov(): expected {name} to have {wanted} dtype but got {name} with "
                           f"{_type_name(w.dtype)} dtype")
    if w.numel() != n_obs:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {w.numel()} != {n_obs}")
    if n_obs and bool((w.detach().min() < 0).item()):
        raise RuntimeError(f"cov(): {name} cannot be negative")
    return w


def _check_correction(correction) -> int:
    if isinstance(correction, bool) or not isinstance(correction, (int, np.integer)):
        raise TypeError("cov(): argument 'correction' must be int, not "
                        f"{type(correction).__name__}")
    return int(correction)


@op("cov", methods=("cov",))
def cov(input: Tensor, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """The covariance matrix of the rows of `input` (one variable per row, observations in
    columns), weighted by integer frequencies `fweights` and/or observation weights `aweights`.

    `correction` is subtracted from the (weighted) observation count, as numpy's `ddof`; a
    count at or below it gives inf/NaN with a warning, as PyTorch.
    """
    check_tensor(input, "input", "cov")
    correction = _check_correction(correction)
    if input.ndim > 2:
        raise RuntimeError("cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.ndim} dimensions")
    if input.dtype is _dt.bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    n_obs = x.shape[1]
    w = None
    if fweights is not None:
        w = _check_weights(fweights, "fweights", n_obs, integral=True)
    if aweights is not None:
        aw = _check_weights(aweights, "aweights", n_obs, integral=False)
        w = aw if w is None else w * aw
    if w is None:
        w_sum = to_tensor(0, input).to(_dt.int64) + n_obs
    else:
        w_sum = w.sum()
        if not bool((w_sum.detach() != 0).item()):
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = (x if w is None else x * w).sum(1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm = w_sum - correction
    if bool((norm.detach() <= 0).item()):
        warn_user("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                  "than the number of observations.", UserWarning)
        norm = norm.detach() * 0
    centred = x - avg.unsqueeze(1)
    c = centred.mm((centred if w is None else centred * w).t().conj())
    return c.true_divide(norm).squeeze()


@op("corrcoef", methods=("corrcoef",))
def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the rows of `input`: cov scaled by the standard
    deviations, clipped to [-1, 1] (real and imaginary parts separately, as PyTorch)."""
    check_tensor(input, "input", "corrcoef")
    if input.ndim > 2:
        raise RuntimeError("corrcoef(): expected input to have two or fewer dimensions but got "
                           f"an input with {input.ndim} dimensions")
    c = cov(input)
    if c.ndim == 0:   # one variable: NaN where the variance is nan, inf or 0, else 1
        return c / c
    d = c.diagonal()
    stddev = (d.real if d.is_complex() else d).sqrt()
    c = c / stddev.reshape(-1, 1)
    c = c / stddev.reshape(1, -1)
    if c.is_complex():
        return _complex(c.real.clip(-1, 1), c.imag.clip(-1, 1))
    return c.clip(-1, 1)
