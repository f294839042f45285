"""Batching rules for element-wise ops and for ops along a dimension (reductions, softmax,
scans): each computes the batched result with the op itself on the physical tensors.

A rule receives a `Call` (batching_dispatch.py) and returns the logical result, or
NotImplemented for a case it does not cover (the per-sample fallback then runs).
"""
from __future__ import annotations

from .batched_tensor import BatchedTensor, is_tensor_like

__all__ = ["elementwise", "along_dim", "reduction", "sort_like", "ELEMENTWISE", "ALONG_DIM",
           "REDUCTIONS"]


def _pad(call, a, rank):
    """A batched operand's physical tensor with size-1 dims after the batch dim, so that
    its logical dims line up with `rank` logical dims (unsqueeze: a view)."""
    if not call.batched(a):
        return a
    v = a.value
    for _ in range(rank - a.dim()):
        v = v.unsqueeze(1)
    return v


def elementwise(call):
    """Element-wise (broadcasting) ops: batched operands padded to the common logical rank
    after their batch dim; unbatched tensors and scalars broadcast as they are."""
    args, kwargs = call.args, call.kwargs
    tensors = [a for a in (*args, *kwargs.values()) if is_tensor_like(a)]
    if any(type(a) in (list, tuple) for a in args) or kwargs.get("out") is not None:
        return NotImplemented
    if len({t.dtype for t in tensors}) > 1 and \
            any(call.batched(t) and t.dim() == 0 for t in tensors):
        return NotImplemented   # a batched 0-dim operand would promote as a dimensioned one
    if call.qualname == "masked_fill" and call.batched(args[2] if len(args) > 2
                                                       else kwargs.get("value")):
        return NotImplemented
    if call.qualname == "where" and len(args) + len(kwargs) < 2:
        return NotImplemented   # where(condition): the indices, not element-wise
    rank = max(t.dim() for t in tensors)
    new_args = [_pad(call, a, rank) for a in args]
    new_kwargs = {k: _pad(call, v, rank) for k, v in kwargs.items()}
    out = call.op(*new_args, **new_kwargs)
    if call.name.endswith("_") and not call.name.endswith("__") or \
            call.name.startswith("__i") or call.name == "__setitem__":
        return args[0]
    return call.wrap(out)


elementwise.inplace = True


def _norm_dim(d, n):
    """Logical dim `d` of an `n`-dim tensor as a physical dim, or None when out of range."""
    m = max(n, 1)
    if not isinstance(d, int) or isinstance(d, bool) or not -m <= d < m:
        return None
    return d % m + 1


def _first_param(bound):
    return next(iter(bound.arguments))


def along_dim(call):
    """Ops with one `dim` argument (softmax, cumsum, sort, normalize, ...): the dim moved
    past the batch dim; the other tensor arguments must be unbatched."""
    bound = call.bind()
    if bound is None or "dim" not in bound.arguments:
        return NotImplemented
    first = _first_param(bound)
    x = bound.arguments[first]
    if not call.batched(x) or any(call.batched(v) for k, v in bound.arguments.items()
                                  if k != first):
        return NotImplemented
    d = _norm_dim(bound.arguments["dim"], x.dim())
    if d is None or x.dim() == 0:
        return NotImplemented
    bound.arguments[first] = x.value
    bound.arguments["dim"] = d
    return call.wrap(call.op(*bound.args, **bound.kwargs))


def sort_like(call):
    """sort / argsort (overloaded signatures): `dim` positional or keyword, default -1."""
    x, rest, kwargs = call.args[0], list(call.args[1:]), dict(call.kwargs)
    if not call.batched(x) or x.dim() == 0 or \
            any(isinstance(a, BatchedTensor) for a in (*rest, *kwargs.values())):
        return NotImplemented
    if rest:
        d = _norm_dim(rest[0], x.dim())
        if d is None:
            return NotImplemented
        rest[0] = d
    else:
        d = _norm_dim(kwargs.get("dim", -1) if isinstance(kwargs.get("dim", -1), int) else -1,
                      x.dim())
        kwargs["dim"] = d
    return call.wrap(call.op(x.value, *rest, **kwargs))


_VALUES_WITHOUT_DIM = {"max", "min", "median", "nanmedian"}   # dim form returns (values, idx)


def reduction(call):
    """Reductions with `dim`/`keepdim`: dims moved past the batch dim; dim=None reduces all
    logical dims (the physical tensor flattened per sample)."""
    bound = call.bind()
    if bound is None or "dim" not in bound.arguments:
        return NotImplemented
    first = _first_param(bound)
    x = bound.arguments[first]
    dim = bound.arguments["dim"]
    if is_tensor_like(dim) or is_tensor_like(bound.arguments.get("other")):
        return elementwise(call)          # max(input, other): the element-wise form
    if not call.batched(x) or any(isinstance(v, BatchedTensor)
                                  for k, v in bound.arguments.items() if k != first):
        return NotImplemented
    if call.qualname in ("norm",) and bound.arguments.get("p") not in ("fro", None) and \
            not isinstance(bound.arguments.get("p"), (int, float)):
        return NotImplemented
    n = x.dim()
    keepdim = bound.arguments.get("keepdim", False)
    v = x.value
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        flat = v.reshape(v.shape[0], -1)
        bound.arguments[first] = flat
        bound.arguments["dim"] = 1
        if "keepdim" in bound.arguments:
            bound.arguments["keepdim"] = False
        out = call.op(*bound.args, **bound.kwargs)
        if call.qualname in _VALUES_WITHOUT_DIM:
            out = out[0]
        if keepdim:
            out = _reshape_each(out, (v.shape[0],) + (1,) * n)
        return call.wrap(out)
    if n == 0:     # a scalar per sample: reduce a size-1 dim instead
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        if any(_norm_dim(d, 0) is None for d in dims):
            return NotImplemented
        bound.arguments[first] = v.unsqueeze(-1)
        bound.arguments["dim"] = 1 if isinstance(dim, int) else (1,)
        if "keepdim" in bound.arguments:
            bound.arguments["keepdim"] = False
        return call.wrap(call.op(*bound.args, **bound.kwargs))
    if isinstance(dim, (tuple, list)):
        new = [_norm_dim(d, n) for d in dim]
        if any(d is None for d in new):
            return NotImplemented
        new = type(dim)(new)
    else:
        new = _norm_dim(dim, n)
        if new is None:
            return NotImplemented
    bound.arguments[first] = v
    bound.arguments["dim"] = new
    return call.wrap(call.op(*bound.args, **bound.kwargs))


def _reshape_each(out, shape):
    if isinstance(out, tuple):
        items = [o.reshape(shape) for o in out]
        return type(out)(*items) if hasattr(out, "_fields") else tuple(items)
    return out.reshape(shape)


_UNARY = """reciprocal log log2 log10 log1p expm1 sqrt rsqrt sin cos tan tanh sigmoid relu abs
sign floor ceil trunc frac round neg exp square asin acos atan sinh cosh asinh acosh atanh
rad2deg deg2rad erf erfc erfinv lgamma digamma i0 sinc logit exp2 nan_to_num signbit isnan
isinf isfinite isposinf isneginf isreal logical_not bitwise_not angle sgn positive detach clone
zeros_like ones_like empty_like full_like rand_like randn_like randint_like mvlgamma
special.erf special.erfc special.erfinv special.gammaln special.digamma special.i0
special.sinc special.logit special.expit special.log1p special.expm1 special.exp2
special.round special.erfcx special.i0e special.i1 special.i1e special.ndtr special.ndtri
special.log_ndtr special.entr"""
_BINARY = """add sub mul div pow floor_divide remainder fmod eq ne lt le gt ge logical_and
logical_or logical_xor bitwise_and bitwise_or bitwise_xor bitwise_left_shift
bitwise_right_shift maximum minimum atan2 hypot fmax fmin nextafter copysign logaddexp
logaddexp2 xlogy heaviside float_power ldexp gcd lcm rsub isclose polygamma special.xlogy
special.xlog1py special.zeta special.polygamma"""
_TERNARY = "where clamp clamp_min clamp_max addcmul addcdiv lerp masked_fill"
_ACTIVATIONS = """nn.functional.relu nn.functional.relu_ nn.functional.sigmoid
nn.functional.tanh nn.functional.gelu nn.functional.silu nn.functional.elu nn.functional.elu_
nn.functional.softplus nn.functional.leaky_relu nn.functional.leaky_relu_
nn.functional.hardtanh nn.functional.hardtanh_ nn.functional.relu6 nn.functional.selu selu
nn.functional.selu_ selu_ nn.functional.celu celu nn.functional.celu_ celu_
nn.functional.threshold threshold nn.functional.threshold_ threshold_
nn.functional.logsigmoid nn.functional.softsign nn.functional.tanhshrink
nn.functional.hardsigmoid nn.functional.hardswish nn.functional.mish nn.functional.softshrink
nn.functional.hardshrink hardshrink dropout dropout_ nn.functional.dropout alpha_dropout
alpha_dropout_ nn.functional.alpha_dropout"""

ELEMENTWISE = tuple(" ".join((_UNARY, _BINARY, _TERNARY, _ACTIVATIONS)).split())
ALONG_DIM = tuple("""softmax log_softmax nn.functional.softmax nn.functional.log_softmax
nn.functional.softmin special.softmax special.log_softmax cumsum cumprod cummax cummin
logcumsumexp topk kthvalue nn.functional.normalize nn.functional.glu""".split())
REDUCTIONS = tuple("""sum nansum mean nanmean prod logsumexp special.logsumexp all any
count_nonzero max min amax amin argmax argmin var std var_mean std_mean median nanmedian
norm linalg.vector_norm""".split())
