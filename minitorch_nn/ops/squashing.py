"""Squashing and shrinking activations: logsigmoid, softsign, hardsigmoid, hardswish, mish,
tanhshrink, softshrink, hardshrink, glu (F.X; torch.hardshrink and Tensor.hardshrink too).

Elementwise ops are `ArrayFunction`s with `xp` formulas run by rectifiers.pointwise
(float16/bfloat16 computed in float32, rounded once). softsign and tanhshrink are composites
in PyTorch (x / (1 + |x|), x - tanh(x)), so they are here too: same nodes (DivBackward0,
SubBackward0) and the same integer promotion. Gradients follow PyTorch's branch tests
(hardsigmoid: 1/6 strictly inside (-3, 3); hardswish: x/3 + 1/2 on [-3, 3]; the shrinks:
0 on [-lambd, lambd]). softmin lives in ops/activation.py. gumbel_softmax (F only) is
PyTorch's composite: softmax((logits + g) / tau) with Gumbel noise g = -log(Exp(1)) drawn
through Tensor.exponential_ (the default generator), straight-through when hard.
"""
from __future__ import annotations

import numpy as np

from .._user_warning import warn_user
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import compute_array, type_name
from ._util import wrap_dim
from .inplace import apply_inplace
from .rectifiers import (_saved_backward, _saving_forward, _where, masked_grad, pointwise,
                         require_float_named)
from .registry import op


# ------------------------------------------------------------------ formulas
_ONE_SIXTH_F32 = float(np.float32(1.0) / np.float32(6.0))


def _logsigmoid_np(xp, x):
    """min(x, 0) - log1p(exp(-|x|)): no overflow for large |x|."""
    return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))


def _logsigmoid_grad_np(xp, x, g):
    """g * sigmoid(-x), from exp(-|x|) on both sides (PyTorch's buffer formula)."""
    z = xp.exp(-xp.abs(x))
    return g * xp.where(x < 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _hardsigmoid_np(xp, x):
    return xp.minimum(xp.maximum(x + 3.0, 0.0), 6.0) / 6.0


def _hardsigmoid_grad_np(xp, x, g):
    """g / 6 inside (-3, 3); 1/6 as a float32 constant even for float64 (PyTorch's kernel)."""
    return xp.where((x > -3.0) & (x < 3.0), g * g.dtype.type(_ONE_SIXTH_F32), 0.0)


def _hardswish_np(xp, x):
    return x * xp.minimum(xp.maximum(x + 3.0, 0.0), 6.0) / 6.0


def _hardswish_grad_np(xp, x, g):
    inner = xp.where(x < 3.0, g * (x / 3.0 + 0.5), g)   # PyTorch: slope 0 at -3, 1 at 3
    return xp.where(x <= -3.0, 0.0, inner)


def _mish_np(xp, x):
    return x * xp.tanh(xp.log1p(xp.exp(x)))


def _mish_grad_np(xp, x, g):
    s = 1.0 / (1.0 + xp.exp(-x))
    t = xp.tanh(xp.log1p(xp.exp(x)))
    return g * (t + x * s * (1.0 - t * t))


def _softshrink_np(xp, x, lambd):
    return xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, x * 0))


def _hardshrink_np(xp, x, lambd):
    return xp.where((x >= -lambd) & (x <= lambd), 0, x)


def _shrink_grad_np(xp, x, g, lambd):
    """The gradient of both shrinks: 0 on [-lambd, lambd], else g (NaN inputs pass g)."""
    return xp.where((x >= -lambd) & (x <= lambd), 0, g)


# ------------------------------------------------------------------ functions
# The same gradients as Tensor formulas (grad_formula, for create_graph=True): fn(x, g,
# *params) with x the saved input Tensor, in differentiable Tensor ops (PyTorch's double
# backward formulas: linear in g for the piecewise-linear ones, masks constant).
def _logsigmoid_grad_t(x, g):
    return g * (-x).sigmoid()   # its derivative: g * (s - 1) * s, PyTorch's double backward


def _hardswish_grad_t(x, g):
    """PyTorch's hardswish_backward: g * (x / 3 + 1/2) strictly inside (-3, 3), 0 at and
    below -3, g at and above 3 (the array backward above takes [-3, 3]: PyTorch's slopes
    at exactly +-3 are 0 and 1)."""
    return _where(x <= -3.0, 0, _where(x < 3.0, g * (x / 3.0 + 0.5), g))


def _mish_grad_t(x, g):
    """PyTorch's infinitely differentiable mish backward; softplus(x) = -logsigmoid(-x)."""
    t = (-LogSigmoid.apply(-x)).tanh()
    return g * (t + x * x.sigmoid() * (1 - t * t))


def _shrink_grad_t(x, g, lambd):
    a = compute_array(x._data)
    return masked_grad(g, _wrap((a >= -lambd) & (a <= lambd)))


def _unary_function(name, fwd, bwd, formula, n_params=0):
    """An ArrayFunction class `name` computing fwd(x, *params), its gradient bwd (arrays) and
    formula (Tensors, for create_graph=True; None where PyTorch has no double backward)."""
    def forward(ctx, x, *params):
        return _saving_forward(ctx, x, fwd, *params)

    def backward(ctx, g):
        return (_saved_backward(ctx, g, bwd),) + (None,) * n_params

    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return (formula(x, g, *ctx.params),) + (None,) * n_params
    body = {"forward": staticmethod(forward), "backward": staticmethod(backward),
            "__module__": __name__}
    if formula is not None:   # None: no double backward (the engine's error, as PyTorch)
        body["grad_formula"] = staticmethod(grad_formula)
    return type(name, (ArrayFunction,), body)


LogSigmoid = _unary_function("LogSigmoid", _logsigmoid_np, _logsigmoid_grad_np,
                             _logsigmoid_grad_t)
Hardsigmoid = _unary_function("Hardsigmoid", _hardsigmoid_np, _hardsigmoid_grad_np,
                              None)   # PyTorch has no double backward for hardsigmoid
Hardswish = _unary_function("Hardswish", _hardswish_np, _hardswish_grad_np, _hardswish_grad_t)
Mish = _unary_function("Mish", _mish_np, _mish_grad_np, _mish_grad_t)
Softshrink = _unary_function("Softshrink", _softshrink_np, _shrink_grad_np, _shrink_grad_t, 1)
Hardshrink = _unary_function("Hardshrink", _hardshrink_np, _shrink_grad_np, _shrink_grad_t, 1)


def _float_op(fn, kernel):
    """`x -> fn.apply(x)` after PyTorch's float-only dtype check naming `kernel`."""
    def run(x: Tensor) -> Tensor:
        require_float_named(x, kernel)
        return fn.apply(x)
    return run


_hardsigmoid = _float_op(Hardsigmoid, "hardsigmoid_cpu")
_hardswish = _float_op(Hardswish, "hardswish_cpu")
_mish = _float_op(Mish, "mish_cpu")


@op("logsigmoid", namespace="nn.functional")
def logsigmoid(input: Tensor) -> Tensor:
    """log(1 / (1 + exp(-x))), computed without overflow."""
    require_float_named(input, "log_sigmoid_cpu")
    return LogSigmoid.apply(input)


@op("softsign", namespace="nn.functional")
def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|) (a composite, as PyTorch: integer inputs give float32)."""
    return input / (input.abs() + 1)


@op("tanhshrink", namespace="nn.functional")
def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x) (a composite, as PyTorch)."""
    return input - input.tanh()


@op("hardsigmoid", namespace="nn.functional")
def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return apply_inplace(input, _hardsigmoid) if inplace else _hardsigmoid(input)


@op("hardswish", namespace="nn.functional")
def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    return apply_inplace(input, _hardswish) if inplace else _hardswish(input)


@op("mish", namespace="nn.functional")
def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    return apply_inplace(input, _mish) if inplace else _mish(input)


@op("softshrink", namespace="nn.functional")
def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between (lambd >= 0)."""
    require_float_named(input, "softshrink_check")
    if not 0 <= lambd <= _max_of(input):
        raise RuntimeError(f"lambda must be in range [0, {_max_text(input)}] for input dtype "
                           f"{type_name(input)}, but found {_num_text(lambd)}")
    return Softshrink.apply(input, float(lambd))


_DTYPE_MAX = {"float16": "65504", "bfloat16": "3.38953e+38", "float32": "3.40282e+38",
              "float64": "1.79769e+308"}


def _max_of(x: Tensor) -> float:
    """The largest finite value of x's dtype (PyTorch's upper bound for lambd)."""
    return float(_DTYPE_MAX.get(x.dtype.name, "inf"))


def _max_text(x: Tensor) -> str:
    return _DTYPE_MAX.get(x.dtype.name, "inf")


def _num_text(v) -> str:
    return f"{v:g}"


@op("hardshrink", namespace="nn.functional")
def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """0 where |x| <= lambd, else x."""
    require_float_named(input, "hardshrink_cpu")
    return Hardshrink.apply(input, float(lambd))


@op("hardshrink", methods=("hardshrink",))
def hardshrink_t(input: Tensor, lambd: float = 0.5) -> Tensor:
    """torch.hardshrink(input, lambd=0.5)."""
    return hardshrink(input, lambd)


# ------------------------------------------------------------------ glu
class Glu(ArrayFunction):
    """a * sigmoid(b), with a and b the two halves of the input along `dim`."""

    @staticmethod
    def forward(ctx, x, dim):
        arr = x._data
        ctx.save_for_backward(x)
        ctx.dim = dim
        return _wrap(pointwise(lambda xp, a, d: _glu_np(xp, a, d), [arr], dim))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return pointwise(lambda xp, a, g, d: _glu_grad_np(xp, a, g, d), [x._data, g],
                         ctx.dim), None

    @staticmethod
    def grad_formula(ctx, g):
        from .joining import cat
        (x,) = ctx.saved_tensors
        h = x.shape[ctx.dim] // 2
        first, second = x.narrow(ctx.dim, 0, h), x.narrow(ctx.dim, h, h)
        s = second.sigmoid()
        return cat([g * s, g * first * s * (1 - s)], ctx.dim), None


def _halves(xp, a, dim):
    h = a.shape[dim] // 2
    return xp.split(a, [h], axis=dim)


def _glu_np(xp, a, dim):
    first, second = _halves(xp, a, dim)
    return first / (1.0 + xp.exp(-second))


def _glu_grad_np(xp, a, g, dim):
    first, second = _halves(xp, a, dim)
    s = 1.0 / (1.0 + xp.exp(-second))
    return xp.concatenate([g * s, g * first * s * (1.0 - s)], axis=dim)


@op("glu", namespace="nn.functional")
def glu(input: Tensor, dim: int = -1) -> Tensor:
    """The gated linear unit: first half * sigmoid(second half) along `dim`."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, input.ndim)
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size "
                           f"{input.shape[d]}")
    require_float_named(input, "glu_cpu")
    return Glu.apply(input, d)



@op("gumbel_softmax", namespace="nn.functional")
def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """A sample of the Gumbel-softmax (concrete) distribution along dim; with hard=True the
    one-hot argmax, differentiated as the soft sample (y_hard - y_soft.detach() + y_soft)."""
    if eps != 1e-10:
        warn_user("`eps` parameter is deprecated and has no effect.")
    gumbels = -logits.new_empty(tuple(logits.shape)).exponential_().log()   # ~Gumbel(0, 1)
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = logits.new_zeros(tuple(logits.shape)).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
