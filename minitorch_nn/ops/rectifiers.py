"""Rectifier activations: prelu, rrelu, selu, celu, threshold (F.X and torch.X, in-place X_).

Each op is one `ArrayFunction` whose forward and backward are `xp` formulas (one body for
NumPy and CuPy) run by `pointwise`: float16/bfloat16 are computed in float32 and rounded
once, as PyTorch's CPU kernels do. Gradients follow PyTorch's branch tests (e.g. the ELU
family takes the negative branch for x <= 0, threshold passes the gradient where x > t).
hardtanh, relu6, elu and leaky_relu live in ops/activation.py. squashing.py shares
`pointwise`.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.higher_order import sum_to
from ..tensor import Tensor, _wrap
from ._nn_util import compute_array, type_name
from ._util import sum_to_shape, xp_of
from .inplace import apply_inplace
from .registry import op

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def pointwise(fn, arrays, *params):
    """`fn(xp, *arrays, *params)` in the compute dtype of arrays[0] (float32 for half types,
    parameters as scalars of that dtype), cast once back to arrays[0]'s dtype."""
    dtype = arrays[0].dtype
    computed = [compute_array(a) for a in arrays]
    kind = computed[0].dtype.type
    params = tuple(kind(p) if isinstance(p, float) else p for p in params)
    with np.errstate(all="ignore"):
        result = fn(xp_of(arrays[0]), *computed, *params)
    return result.astype(dtype, copy=False)


def require_float_named(x: Tensor, kernel: str) -> None:
    """PyTorch's NotImplementedError for an integer or bool input to a float kernel."""
    if not x.is_floating_point():
        raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(x)}\'')


def inplace_twin(cls):
    """`cls` under the node name PyTorch gives its in-place form (`EluBackward1`: the
    in-place kernels' backward reads the result; ours reads a saved copy of the input)."""
    base = cls.node_name if "node_name" in cls.__dict__ else cls.__name__ + "Backward0"
    return type(cls.__name__ + "Inplace", (cls,), {"node_name": base[:-1] + "1",
                                                   "__module__": cls.__module__})


def _saving_forward(ctx, x, fn, *params):
    """Save x and the parameters for the backward, return fn(x, *params) as a Tensor."""
    ctx.save_for_backward(x)
    ctx.params = params
    return _wrap(pointwise(fn, [x._data], *params))


def _saved_backward(ctx, g, fn):
    (x,) = ctx.saved_tensors
    return pointwise(fn, [x._data, g], *ctx.params)


def _where(condition, input, other):
    from .selection import where
    return where(condition, input, other)


def masked_grad(g, zero_mask) -> Tensor:
    """`g` with zeros where `zero_mask` (a constant bool Tensor): the gradient of a
    piecewise-linear op, linear in g (PyTorch's threshold/shrink backward)."""
    return _where(zero_mask, 0, g)


# ------------------------------------------------------------------ ELU family (selu, celu)
def _elu_np(xp, x, alpha, scale, input_scale):
    return xp.where(x > 0, x * scale, alpha * scale * xp.expm1(xp.minimum(x, 0) * input_scale))


def _elu_grad_np(xp, x, g, alpha, scale, input_scale):
    """PyTorch's elu_backward: x <= 0 takes the exp branch (a NaN input passes g * scale)."""
    neg = g * (alpha * scale * input_scale) * xp.exp(xp.minimum(x, 0) * input_scale)
    return xp.where(x <= 0, neg, g * scale)


def _elu_formula(ctx, g):
    """elu_backward in Tensor ops: g * alpha * scale * input_scale * exp(x * input_scale)
    where x <= 0, g * scale elsewhere; its derivative in x only where x < 0 (PyTorch's
    elu_double_backward)."""
    (x,) = ctx.saved_tensors
    alpha, scale, input_scale = ctx.params
    xn = _where(x < 0, x, 0)   # at 0 the value exp(0) = 1 without a derivative
    return _where(x <= 0, g * (alpha * scale * input_scale) * (xn * input_scale).exp(),
                  g * scale)


class Elu(ArrayFunction):
    """scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1)); selu's node name."""

    node_name = "EluBackward0"

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        return _saving_forward(ctx, x, _elu_np, alpha, scale, input_scale)

    @staticmethod
    def backward(ctx, g):
        return _saved_backward(ctx, g, _elu_grad_np), None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        return _elu_formula(ctx, g), None, None, None


class Celu(ArrayFunction):
    @staticmethod
    def forward(ctx, x, alpha):
        return _saving_forward(ctx, x, _elu_np, alpha, 1.0, 1.0 / alpha)

    @staticmethod
    def backward(ctx, g):
        return _saved_backward(ctx, g, _elu_grad_np), None

    @staticmethod
    def grad_formula(ctx, g):
        return _elu_formula(ctx, g), None


_ELU_INPLACE, _CELU_INPLACE = inplace_twin(Elu), inplace_twin(Celu)


def _selu(x: Tensor, inplace: bool = False) -> Tensor:
    require_float_named(x, "elu_cpu")
    return (_ELU_INPLACE if inplace else Elu).apply(x, _SELU_ALPHA, _SELU_SCALE, 1.0)


def _celu(x: Tensor, alpha, inplace: bool = False) -> Tensor:
    require_float_named(x, "elu_cpu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return (_CELU_INPLACE if inplace else Celu).apply(x, float(alpha))


@op("selu", namespace="nn.functional")
def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with SELU's fixed alpha ~ 1.6733 and scale ~ 1.0507."""
    return apply_inplace(input, _selu, True) if inplace else _selu(input)


@op("selu")
def selu_t(input: Tensor) -> Tensor:
    """torch.selu(input)."""
    return _selu(input)


@op("selu_", namespace="nn.functional")
def selu_(input: Tensor) -> Tensor:
    return apply_inplace(input, _selu, True)


@op("selu_")
def selu_t_(input: Tensor) -> Tensor:
    return apply_inplace(input, _selu, True)


@op("celu", namespace="nn.functional")
def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    return apply_inplace(input, _celu, alpha, True) if inplace else _celu(input, alpha)


@op("celu")
def celu_t(input: Tensor, alpha: float = 1.0) -> Tensor:
    """torch.celu(input, alpha=1.0)."""
    return _celu(input, alpha)


@op("celu_", namespace="nn.functional")
def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return apply_inplace(input, _celu, alpha, True)


@op("celu_")
def celu_t_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return apply_inplace(input, _celu, alpha, True)


# ------------------------------------------------------------------ threshold
class Threshold(ArrayFunction):
    """value where x <= threshold, else x (both scalars cast to x's dtype, as PyTorch's
    kernel); the gradient is 0 where x <= threshold."""

    @staticmethod
    def forward(ctx, x, threshold, value):
        a = x._data
        xp = xp_of(a)
        t = np.array(threshold).astype(a.dtype)[()] if a.dtype.kind in "iu" else threshold
        v = np.array(value).astype(a.dtype)[()] if a.dtype.kind in "iu" else value
        ctx.save_for_backward(x)
        ctx.threshold = t
        with np.errstate(all="ignore"):
            out = xp.where(compute_array(a) <= t, v, compute_array(a))
        return _wrap(out.astype(a.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        mask = compute_array(x._data) <= ctx.threshold
        return xp_of(g).where(mask, g.dtype.type(0), g), None, None

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        return masked_grad(g, _wrap(compute_array(x._data) <= ctx.threshold)), None, None


_THRESHOLD_INPLACE = inplace_twin(Threshold)


def _threshold(x: Tensor, threshold, value, inplace: bool = False) -> Tensor:
    if x.dtype.name == "bool":
        raise NotImplementedError("\"threshold_cpu\" not implemented for 'Bool'")
    fn = _THRESHOLD_INPLACE if inplace else Threshold
    return fn.apply(x, _scalar(threshold), _scalar(value))


def _scalar(v):
    return v.item() if isinstance(v, Tensor) else v


@op("threshold", namespace="nn.functional")
def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """value where input <= threshold, else input."""
    if inplace:
        return apply_inplace(input, _threshold, threshold, value, True)
    return _threshold(input, threshold, value)


@op("threshold")
def threshold_t(input: Tensor, threshold: float, value: float) -> Tensor:
    """torch.threshold(input, threshold, value)."""
    return _threshold(input, threshold, value)


@op("threshold_", namespace="nn.functional")
def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return apply_inplace(input, _threshold, threshold, value, True)


@op("threshold_")
def threshold_t_(input: Tensor, threshold: float, value: float) -> Tensor:
    return apply_inplace(input, _threshold, threshold, value, True)


# ------------------------------------------------------------------ prelu
class PreluKernel(ArrayFunction):
    """x if x > 0 else w * x, w broadcast along the channel dim (dim 1); gradients for both
    (w's summed over the broadcast dims)."""

    @staticmethod
    def forward(ctx, x, weight):
        a, w = x._data, _channel_view(x, weight)
        ctx.save_for_backward(x, weight)
        return _wrap(pointwise(lambda xp, a, w: xp.where(a > 0, a, w * a), [a, w]))

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        a, w = x._data, _channel_view(x, weight)

        def grads(xp, a, w, g):
            return xp.where(a > 0, g, w * g), xp.where(a > 0, 0, a * g)
        ac, wc, gc = compute_array(a), compute_array(w), compute_array(g)
        with np.errstate(all="ignore"):
            gx, gw = grads(xp_of(a), ac, wc, gc)
        gw = sum_to_shape(gw, w.shape).reshape(weight.shape)
        return gx.astype(a.dtype, copy=False), gw.astype(weight._data.dtype, copy=False)

    @staticmethod
    def grad_formula(ctx, g):
        x, weight = ctx.saved_tensors
        w = weight.reshape(_channel_view(x, weight).shape)
        positive = x > 0
        gx = _where(positive, g, w * g) if ctx.needs_input_grad[0] else None
        gw = None
        if ctx.needs_input_grad[1]:
            gw = sum_to(_where(positive, 0, x * g), tuple(w.shape)).reshape(tuple(weight.shape))
        return gx, gw


def _channel_view(x: Tensor, weight: Tensor):
    """weight's array shaped to broadcast against x along dim 1 (one value: everywhere)."""
    w = weight._data
    if w.size == 1:
        return w.reshape(())
    return w.reshape((1, w.size) + (1,) * (x.ndim - 2))


@op("prelu", methods=("prelu",))
def prelu_t(input: Tensor, weight: Tensor) -> Tensor:
    """torch.prelu(input, weight): max(0, x) + weight * min(0, x), weight per channel."""
    return prelu(input, weight)


@op("prelu", namespace="nn.functional")
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """F.prelu: x if x > 0 else weight * x; weight has 1 value or one per channel (dim 1)."""
    require_float_named(input, "prelu_cpu")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    n = weight.numel()
    if n != 1:
        if input.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.ndim >= 2 else 1
        if n != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {n} and channel size = {channels}.")
    if weight.dtype is not input.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {type_name(input)} and "
                           f"{type_name(weight)}")
    return PreluKernel.apply(input, weight)


# ------------------------------------------------------------------ rrelu
class RreluWithNoise(ArrayFunction):
    """x if x > 0 else x * r: r ~ U(lower, upper) when training (drawn from the given or
    the device's default generator, see `_rrelu_noise`), (lower + upper) / 2 in eval mode; the
    gradient is the same factor (PyTorch's saved noise tensor: 1 where x > 0)."""

    @staticmethod
    def forward(ctx, x, lower, upper, training, generator):
        a = x._data
        if training:
            factor = _rrelu_noise(a, x.device, lower, upper, generator)
            # the forward multiplies by r itself; the backward by the noise tensor, which
            # PyTorch stores in x's dtype (r rounded once more for bfloat16)
            ctx.factor = compute_array(factor.astype(a.dtype, copy=False))
        else:
            slope = (lower + upper) / 2.0
            factor = pointwise(lambda xp, a, s: xp.where(a > 0, a.dtype.type(1), s),
                               [a], slope)
            factor = ctx.factor = compute_array(factor)
        return _wrap(pointwise(lambda xp, a, f: a * f, [a, factor]))

    @staticmethod
    def backward(ctx, g):
        return pointwise(lambda xp, g, f: g * f, [g, ctx.factor]), None, None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        factor = _wrap(ctx.factor.astype(g._data.dtype, copy=False))   # the saved noise: constant
        return g * factor, None, None, None, None


def _rrelu_noise(a, device, lower: float, upper: float, generator):
    """The slopes of training-mode rrelu in a's compute dtype, drawn as PyTorch's CPU kernel
    (_rrelu_with_noise_train) draws them: walking x in row-major order, each element
    x <= 0 (-0.0 included, NaN not) takes one uniform_real_distribution<double>(lower,
    upper) sample, 53 bits of random64() as u, r = u * (upper - lower) + lower (not fused),
    with lower/upper first rounded to the compute dtype (float for float32 and bfloat16) and
    r rounded to it after; every other element gets 1 and draws nothing. The generator is
    `generator` or the default one of a's device (a GPU has its own, cuda_random.py)."""
    from ..array_backends import backend_of
    from ..random import _gen
    xp = xp_of(a)
    computed = compute_array(a)
    kind = computed.dtype.type
    lo, hi = float(kind(lower)), float(kind(upper))
    with np.errstate(invalid="ignore"):
        draws = computed <= 0
    n = int(draws.sum())
    u = _gen(generator, device)._rng.random(n)   # float64 uniforms in [0, 1)
    noise = xp.ones(a.shape, kind)
    noise[draws] = backend_of(a).from_host((u * (hi - lo) + lo).astype(kind), device)
    return noise


_RRELU_INPLACE = inplace_twin(RreluWithNoise)


def _rrelu(x: Tensor, lower, upper, training, generator=None, inplace=False) -> Tensor:
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if training:
        require_float_named(x, "rrelu_with_noise_out_cpu")
        if x.dtype.name == "float16" and x.device.type == "cpu":   # PyTorch's CPU kernel
            raise NotImplementedError('"rrelu_with_noise_out_cpu" not implemented for \'Half\'')
    require_float_named(x, "leaky_relu_cpu")
    fn = _RRELU_INPLACE if inplace else RreluWithNoise
    return fn.apply(x, float(lower), float(upper), bool(training), generator)


@op("rrelu", namespace="nn.functional")
def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: a random negative slope in [lower, upper] per element while
    training, their mean in eval mode."""
    if inplace:
        return apply_inplace(input, _rrelu, lower, upper, training, None, True)
    return _rrelu(input, lower, upper, training)


@op("rrelu_", namespace="nn.functional")
def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    return apply_inplace(input, _rrelu, lower, upper, training, None, True)


@op("rrelu")
def rrelu_t(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
            training: bool = False, generator=None) -> Tensor:
    """torch.rrelu(input, lower=1/8, upper=1/3, training=False, generator=None)."""
    return _rrelu(input, lower, upper, training, generator)


@op("rrelu_")
def rrelu_t_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
             training: bool = False, generator=None) -> Tensor:
    return apply_inplace(input, _rrelu, lower, upper, training, generator, True)

