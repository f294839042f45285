"""IEEE-754 pointwise ops: fmax / fmin (the maximum and minimum that ignore a nan),
nextafter (the next representable float towards `other`), and the tests isposinf, isneginf
and isreal.

PyTorch's rules, checked against torch 2.13:
  * fmax/fmin take two tensors of any real dtype and promote them; complex is refused. The
    gradient goes to `input` where input >= other (<= for fmin) or other is nan, else to
    `other` (ties all to input);
  * nextafter works on floats only (an integer result dtype is NotImplementedError); its
    gradient is the incoming one for `input` and zero for `other`, as PyTorch's;
  * isposinf/isneginf refuse complex; isreal is True where the imaginary part is zero.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import compute_array
from ._util import binary_operands, check_tensor, shape_mismatch, xp_of
from .elementwise import _input_grad
from .inplace import _legacy_name, apply_inplace
from .registry import method_of, op


def _operands(a: Tensor, b: Tensor):
    """Both arrays in the promoted dtype (PyTorch's RuntimeError for unbroadcastable ones)."""
    x, y, res = binary_operands(a, b)
    if x.shape != y.shape:
        try:
            xp_of(x).broadcast_arrays(x, y)
        except ValueError as err:
            raise shape_mismatch(err, a, b) from None
    return x, y, res


def _extremum_forward(ctx, a, b, function: str):
    x, y, res = _operands(a, b)
    ctx.function = function
    ctx.save_for_backward(a, b)
    out = getattr(xp_of(x), function)(compute_array(x), compute_array(y))
    return _wrap(out.astype(res.np, copy=False))


def _input_wins(ctx):
    """Where `input` gets the gradient: it wins the comparison, or other is nan."""
    a, b = ctx.saved_tensors
    x, y, _ = binary_operands(a, b)
    wins = x >= y if ctx.function == "fmax" else x <= y
    return wins | xp_of(y).isnan(y)


class _NanIgnoringExtremum(ArrayFunction):
    """fmax / fmin (the subclass's forward names numpy's function)."""

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        wins = _input_wins(ctx)
        xp = xp_of(g)
        ga = _input_grad(xp.where(wins, g, 0), a) if ctx.needs_input_grad[0] else None
        gb = _input_grad(xp.where(wins, 0, g), b) if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def grad_formula(ctx, g):
        from ..autograd.higher_order import reduce_grad
        a, b = ctx.saved_tensors
        wins = _wrap(_input_wins(ctx))
        ga = reduce_grad(g * wins, a) if ctx.needs_input_grad[0] else None
        gb = reduce_grad(g * wins.logical_not(), b) if ctx.needs_input_grad[1] else None
        return ga, gb


class Fmax(_NanIgnoringExtremum):
    @staticmethod
    def forward(ctx, a, b):
        return _extremum_forward(ctx, a, b, "fmax")


class Fmin(_NanIgnoringExtremum):
    @staticmethod
    def forward(ctx, a, b):
        return _extremum_forward(ctx, a, b, "fmin")


def _check_pair(input, other, fn: str) -> None:
    check_tensor(input, "input", fn)
    check_tensor(other, "other", fn, 2)


@op("fmax", methods=("fmax",))
def fmax(input: Tensor, other: Tensor) -> Tensor:
    """The elementwise maximum, ignoring nan (nan only where both are nan).

        >>> torch.fmax(torch.tensor([1., float('nan')]), torch.tensor([0., 2.]))
        tensor([1., 2.])
    """
    _check_pair(input, other, "fmax")
    if input.dtype.kind == 3 or other.dtype.kind == 3:
        raise RuntimeError("fmax not implemented for complex tensors.")
    return Fmax.apply(input, other)


@op("fmin", methods=("fmin",))
def fmin(input: Tensor, other: Tensor) -> Tensor:
    """The elementwise minimum, ignoring nan (nan only where both are nan)."""
    _check_pair(input, other, "fmin")
    if input.dtype.kind == 3 or other.dtype.kind == 3:
        raise RuntimeError("fmin not implemented for complex tensors.")
    return Fmin.apply(input, other)


class Nextafter(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        x, y, res = _operands(a, b)
        if res.kind != 2:
            raise NotImplementedError(f'"nextafter_cpu" not implemented for '
                                      f"'{_legacy_name(res)}'")
        ctx.other_meta = (y.shape, y.dtype)
        return _wrap(xp_of(x).nextafter(x, y).astype(res.np, copy=False))

    @staticmethod
    def backward(ctx, g):
        shape, dtype = ctx.other_meta
        gb = xp_of(g).zeros(shape, dtype) if ctx.needs_input_grad[1] else None
        return (g if ctx.needs_input_grad[0] else None), gb

    @staticmethod
    def grad_formula(ctx, g):
        gb = None
        if ctx.needs_input_grad[1]:
            shape, dtype = ctx.other_meta
            gb = _wrap(xp_of(g._data).zeros(shape, dtype))
        return g, gb


@op("nextafter", methods=("nextafter",))
def nextafter(input: Tensor, other: Tensor) -> Tensor:
    """The next float after `input` in the direction of `other` (float dtypes only)."""
    _check_pair(input, other, "nextafter")
    return Nextafter.apply(input, other)


@method_of("nextafter", "nextafter_")
def nextafter_(self: Tensor, other: Tensor) -> Tensor:
    return apply_inplace(self, nextafter, other)


def _infinity_test(input: Tensor, fn: str, positive: bool) -> Tensor:
    check_tensor(input, "input", fn)
    a = input._data
    if a.dtype.kind == "c":
        raise RuntimeError(f"{fn} does not support complex inputs.")
    xp = xp_of(a)
    if a.dtype.kind != "f" and input.dtype.kind < 2:   # integers and bool are finite
        return _wrap(xp.zeros(a.shape, dtype=bool))
    inf = a.dtype.type(np.inf) if a.dtype.kind == "f" else np.inf
    return _wrap(a == inf if positive else a == -inf)


@op("isposinf", methods=("isposinf",))
def isposinf(input: Tensor) -> Tensor:
    """True where the element is +inf."""
    return _infinity_test(input, "isposinf", True)


@op("isneginf", methods=("isneginf",))
def isneginf(input: Tensor) -> Tensor:
    """True where the element is -inf."""
    return _infinity_test(input, "isneginf", False)


@op("isreal", methods=("isreal",))
def isreal(input: Tensor) -> Tensor:
    """True where the imaginary part is zero (everywhere for a real tensor)."""
    check_tensor(input, "input", "isreal")
    a = input._data
    xp = xp_of(a)
    if a.dtype.kind == "c":
        return _wrap(a.imag == 0)
    return _wrap(xp.ones(a.shape, dtype=bool))
