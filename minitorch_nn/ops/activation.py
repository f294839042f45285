"""Activations: leaky_relu, elu, gelu, silu, softplus, hardtanh, relu6, softmax, dropout.

Each op is one `ArrayFunction`. On CPU float32/float64 C-contiguous inputs the forward and
the backward formula each run as one Numba pass (kernels/cpu/activation.py); other inputs
(float16/bfloat16 computed in float32, non-contiguous views, GPU arrays) use the same formulas
written with `xp`. relu, sigmoid and tanh live in ops/unary.py (their F forms, F.relu & co.,
are declared in nn/functional.py).

Each public function is declared with `@op` (ops/registry.py): in namespace "torch" the names
PyTorch has at top level (torch.softmax, torch.log_softmax, torch.dropout, torch.dropout_), in
"nn.functional" the F forms with PyTorch's F signatures (F.softmax with `_stacklevel`, F.gelu,
...), which minitorch_nn/nn/functional.py gathers from the registry.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes as _dt
from .._user_warning import warn_user
from ..array_backends import backend_of, large_arrays
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._cpu_features import cpu_has_native
from ._nn_util import compute_array, kernel_for, require_float, type_name
from ._util import wrap_dim, xp_of
from .inplace import apply_inplace
from .registry import op


def _where(cond, a, b):
    """mt.where (recorded) for the Tensor formulas of double backward."""
    from .selection import where
    return where(cond, a, b)


# ------------------------------------------------------------------ kernel dispatch
def _run_kernel(name: str, arrays, *params):
    """Kernel `name` over flat copies of `arrays`, or None when the numpy path must run.

    The kernel path needs a CPU float32/float64 C-contiguous first array (the input); the
    other arrays (gradients) are made contiguous if needed.
    """
    first = arrays[0]
    if not first.flags.c_contiguous:
        return None
    kernel = kernel_for(first, "activation", name)
    if kernel is None:
        return None
    xp, flat = xp_of(first), []
    for a in arrays:
        if a.dtype != first.dtype:
            return None
        flat.append(xp.ascontiguousarray(a).reshape(-1))
    out = large_arrays.empty_for(xp, first.shape, first.dtype)
    kind = first.dtype.type   # scalars in the array's dtype keep float32 math in float32
    kernel(*flat, out.reshape(-1), *(p if isinstance(p, bool) else kind(p) for p in params))
    return out


def _erf(xp, a):
    """The error function on numpy arrays (the Numba ufunc of kernels/cpu/special.py, in
    float64, rounded once to a's dtype) or cupy arrays (cupyx.scipy.special)."""
    if xp is np:
        a64 = a.astype(np.float64, copy=False)
        erf = backend_of(a64).kernel("special", "erf")
        return np.asarray(erf(a64)).astype(a.dtype, copy=False)
    from cupyx.scipy.special import erf   # pragma: no cover - GPU only
    return erf(a)


def _fma32(a, b, c):
    """fma(a, b, c) for float32 arrays: the product is exact in float64, rounded once more."""
    return (a.astype(np.float64) * b + c).astype(np.float32)


def _erf_f32(x):
    """PyTorch's vectorized float32 erf (ATen Vectorized<float>::erf, Abramowitz-Stegun 7.1.26:
    sign(x) * (1 - r(t) t exp(-x^2)), t = 1 / (1 + p|x|)), in float32 as its CPU kernels for
    float16/bfloat16 compute it (numpy's float32 exp stands in for Sleef's expf)."""
    f32, one = np.float32, np.float32(1.0)
    t = (one / _fma32(f32(0.3275911), np.abs(x), one)).astype(f32)
    r = _fma32(np.full_like(t, f32(1.061405429)), t, f32(-1.453152027))
    for c in (1.421413741, -0.284496736, 0.254829592):
        r = _fma32(r, t, f32(c))
    e = np.exp(-(x * x)).astype(f32)
    return np.copysign(_fma32((-e * t).astype(f32), r, one), x)


def _gelu_half_np(xp, x, tanh_approx):
    """GELU of float16/bfloat16 (x given in float32): PyTorch's x * 0.5 * (1 + erf(x / sqrt 2))
    with its float32 erf, rounded once by the caller."""
    if tanh_approx or xp is not np:
        return _gelu_np(xp, x, tanh_approx)
    return x * np.float32(0.5) * (np.float32(1.0) + _erf_f32(x * np.float32(math.sqrt(0.5))))


def _sigmoid(xp, a):
    """1 / (1 + exp(-a)), PyTorch's formula (exp(-a) = inf for a << 0 gives 0, silently)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + xp.exp(-a))


def _elementwise(name: str, np_fn, arrays, *params):
    """Run the Numba kernel `name`, or `np_fn(xp, *arrays, *params)` computed in float:
    float16/bfloat16 in float32 with float32 parameters, rounded once (PyTorch's kernels)."""
    out = _run_kernel(name, arrays, *params)
    if out is not None:
        return out
    return _elementwise_np(np_fn, arrays, *params)


def _elementwise_np(np_fn, arrays, *params):
    """`_elementwise`'s array-library path (no kernel)."""
    dtype = arrays[0].dtype
    xp = xp_of(arrays[0])
    computed = [compute_array(a) for a in arrays]
    kind = computed[0].dtype.type
    params = tuple(p if isinstance(p, bool) else kind(p) for p in params)
    with np.errstate(over="ignore", invalid="ignore"):
        result = np_fn(xp, *computed, *params)
    return result.astype(dtype, copy=False)


# ------------------------------------------------------------------ numpy formulas
def _gelu_np(xp, x, tanh_approx):
    if tanh_approx:
        k = math.sqrt(2.0 / math.pi)
        return 0.5 * x * (1.0 + xp.tanh(k * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1.0 + _erf(xp, x * (1.0 / math.sqrt(2.0))))


def _gelu_grad_np(xp, x, g, tanh_approx):
    if tanh_approx:
        k = math.sqrt(2.0 / math.pi)
        t = xp.tanh(k * (x + 0.044715 * x ** 3))
        dt = k * (1.0 + 3.0 * 0.044715 * x * x)
        return g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * dt)
    cdf = 0.5 * (1.0 + _erf(xp, x * (1.0 / math.sqrt(2.0))))
    pdf = xp.exp(-0.5 * x * x) * (1.0 / math.sqrt(2.0 * math.pi))
    return g * (cdf + x * pdf)


def _silu_np(xp, x):
    return x / (1.0 + xp.exp(-x))   # PyTorch's formula


def _silu_grad_np(xp, x, g):
    s = _sigmoid(xp, x)
    return g * s * (1.0 + x * (1.0 - s))


def _elu_np(xp, x, alpha):
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))


def _elu_grad_np(xp, x, g, alpha):
    """PyTorch's branch test is `x <= 0`, so a NaN input passes the gradient through."""
    return xp.where(x <= 0, g * alpha * xp.exp(xp.minimum(x, 0)), g)


def _softplus_np(xp, x, beta, threshold):
    bx = x * beta
    return xp.where(bx > threshold, x, xp.log1p(xp.exp(xp.minimum(bx, threshold))) / beta)


def _softplus_grad_np(xp, x, g, beta, threshold):
    bx = x * beta
    z = xp.exp(xp.minimum(bx, threshold))   # PyTorch's z / (z + 1)
    return xp.where(bx > threshold, g, g * z / (z + 1.0))


def _leaky_relu_np(xp, x, slope):
    return xp.where(x > 0, x, x * slope)


def _leaky_relu_grad_np(xp, x, g, slope):
    return xp.where(x > 0, g, g * slope)


# ------------------------------------------------------------------ elementwise ops
def _vectorized_half(name: str) -> bool:
    """Whether PyTorch's CPU GELU runs a contiguous tensor of this 2-byte dtype through its
    vectorised loop (which turns gelu(+inf) into NaN): bfloat16 always; float16 on CPUs that
    compute float16 natively (AVX512-FP16: measured on an Intel Xeon with it, 2026-12-07;
    an AMD Zen 4 without it keeps +inf)."""
    if name == "bfloat16":
        return True
    if name != "float16":
        return False
    return cpu_has_native("Half")


class Gelu(ArrayFunction):
    @staticmethod
    def forward(ctx, x, approximate="none"):
        require_float(x, "GeluKernelImpl")
        if approximate not in ("none", "tanh"):
            raise RuntimeError("approximate argument must be either none or tanh.")
        ctx.save_for_backward(x)
        ctx.tanh = approximate == "tanh"
        a = x._data
        half = a.dtype.itemsize == 2   # float16/bfloat16: PyTorch's float32 erf
        if a.size == 1:   # one value: PyTorch's scalar loop (gelu(+inf) = +inf), no kernel
            return _wrap(_elementwise_np(_gelu_half_np if half else _gelu_np, [a], ctx.tanh))
        out = _elementwise("gelu_fwd", _gelu_half_np if half else _gelu_np, [a], ctx.tanh)
        if not ctx.tanh and _vectorized_half(a.dtype.name) and a.flags.c_contiguous:
            out[a == np.inf] = np.nan   # PyTorch's vectorised loop, as the float32 kernel
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return _elementwise("gelu_bwd", _gelu_grad_np, [x._data, g], ctx.tanh), None

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        if ctx.tanh:
            k = math.sqrt(2.0 / math.pi)
            t = (k * (x + 0.044715 * x * x * x)).tanh()
            dt = k * (1.0 + 3.0 * 0.044715 * x * x)
            return g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * dt), None
        cdf = 0.5 * (1.0 + (x * (1.0 / math.sqrt(2.0))).erf())
        pdf = (-0.5 * x * x).exp() * (1.0 / math.sqrt(2.0 * math.pi))
        return g * (cdf + x * pdf), None


class Silu(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        require_float(x, "silu_cpu")
        ctx.save_for_backward(x)
        return _wrap(_elementwise("silu_fwd", _silu_np, [x._data]))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return _elementwise("silu_bwd", _silu_grad_np, [x._data, g])

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        s = x.sigmoid()
        return g * s * (1.0 + x * (1.0 - s))


class Elu(ArrayFunction):
    @staticmethod
    def forward(ctx, x, alpha=1.0):
        require_float(x, "elu_cpu")
        ctx.save_for_backward(x)
        ctx.alpha = float(alpha)
        return _wrap(_elementwise("elu_fwd", _elu_np, [x._data], ctx.alpha))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return _elementwise("elu_bwd", _elu_grad_np, [x._data, g], ctx.alpha), None

    @staticmethod
    def grad_formula(ctx, g):
        """PyTorch's elu_backward / elu_double_backward: alpha exp(x) where x <= 0 (exp
        taken of x masked to 0 elsewhere, so a large positive x does not overflow)."""
        (x,) = ctx.saved_tensors
        neg = x <= 0
        return _where(neg, g * ctx.alpha * (x * neg).exp(), g), None


class Softplus(ArrayFunction):
    @staticmethod
    def forward(ctx, x, beta=1.0, threshold=20.0):
        require_float(x, "softplus_cpu")
        ctx.save_for_backward(x)
        ctx.params = (float(beta), float(threshold))
        return _wrap(_elementwise("softplus_fwd", _softplus_np, [x._data], *ctx.params))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        grad = _elementwise("softplus_bwd", _softplus_grad_np, [x._data, g], *ctx.params)
        return grad, None, None

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        beta, threshold = ctx.params
        bx = x * beta
        return _where(bx > threshold, g, g * bx.sigmoid()), None, None


class EluInplace(Elu):
    """elu_ / elu(inplace=True): the same op; PyTorch names its node EluBackward1."""

    node_name = "EluBackward1"


class LeakyRelu(ArrayFunction):
    @staticmethod
    def forward(ctx, x, negative_slope=0.01):
        require_float(x, "leaky_relu_cpu")
        ctx.save_for_backward(x)
        ctx.slope = float(negative_slope)
        return _wrap(_elementwise("leaky_relu_fwd", _leaky_relu_np, [x._data], ctx.slope))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return _elementwise("leaky_relu_bwd", _leaky_relu_grad_np, [x._data, g],
                            ctx.slope), None

    @staticmethod
    def grad_formula(ctx, g):   # linear in g; zero second derivative in x (PyTorch's)
        (x,) = ctx.saved_tensors
        return _where(x > 0, g, g * ctx.slope), None


class LeakyReluInplace(LeakyRelu):
    """leaky_relu_ / leaky_relu(inplace=True): PyTorch's node LeakyReluBackward1."""

    node_name = "LeakyReluBackward1"


class Hardtanh(ArrayFunction):
    """clamp(x, min_val, max_val); the gradient is 0 at and beyond the bounds (PyTorch's)."""

    @staticmethod
    def forward(ctx, x, min_val=-1.0, max_val=1.0):
        if x.dtype is _dt.bool:
            raise NotImplementedError('"hardtanh_cpu" not implemented for \'Bool\'')
        ctx.save_for_backward(x)
        ctx.bounds = (min_val, max_val)
        xp = xp_of(x._data)
        out = xp.minimum(xp.maximum(x._data, min_val), max_val).astype(x._data.dtype,
                                                                         copy=False)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        a = x._data
        inside = (a > lo) & (a < hi)
        return g * inside, None, None

    @staticmethod
    def grad_formula(ctx, g):   # linear in g; zero second derivative in x (PyTorch's)
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        return g * ((x > lo) & (x < hi)), None, None


# ------------------------------------------------------------------ softmax family
def _as_rows(a, dim: int):
    """`a` as a C-contiguous 2-D array whose rows run along `dim`, if that needs no copy."""
    if a.ndim and dim == a.ndim - 1 and a.flags.c_contiguous and a.shape[-1] > 0:
        return a.reshape(-1, a.shape[-1])
    return None


def _softmax_np(xp, a, dim, log):
    """The kernels' formula: the row max subtracted as is, so a row holding +inf or NaN, or
    only -inf, gives NaN everywhere, as PyTorch's softmax and log_softmax do."""
    a = compute_array(a)
    m = a.max(axis=dim, keepdims=True) if a.size else a.sum(axis=dim, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        shifted = a - m
        if log:
            return shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        e = xp.exp(shifted)
        return e / e.sum(axis=dim, keepdims=True)


class Softmax(ArrayFunction):
    """softmax along `dim`: one fused Numba pass per row for the last dim of a contiguous
    float32/float64 array, numpy (max, exp, sum, divide) otherwise."""

    @staticmethod
    def forward(ctx, x, dim, dtype=None):
        arr = _softmax_input(x, dim, dtype, "softmax")
        ctx.meta = (dim, x._data.dtype)
        out = _softmax_forward(arr, dim, log=False)
        result = _wrap(out)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        dim, in_dtype = ctx.meta
        y = y._data
        if y.ndim == 0:   # a 0-d input is one row of one element (PyTorch's)
            return _as_one_row_backward(Softmax, g, y, in_dtype)
        rows = _as_rows(y, dim)
        kernel = kernel_for(y, "activation", "softmax_bwd") if rows is not None else None
        if kernel is not None and g.dtype == y.dtype:
            xp = xp_of(y)
            out = xp.empty(y.shape, y.dtype)
            kernel(xp.ascontiguousarray(g).reshape(rows.shape), rows, out.reshape(rows.shape))
        else:
            yc, gc = compute_array(y), compute_array(g)
            with np.errstate(invalid="ignore", over="ignore"):
                out = yc * (gc - (gc * yc).sum(axis=dim, keepdims=True))
        return out.astype(in_dtype, copy=False), None, None

    @staticmethod
    def grad_formula(ctx, g):
        (y,) = ctx.saved_tensors
        dim, in_dtype = ctx.meta
        g = _same_dtype_as(g, y)
        return _cast(y * (g - (g * y).sum(dim, keepdim=True)), in_dtype), None, None


class LogSoftmax(ArrayFunction):
    """log_softmax along `dim` (x - max - log(sum(exp(x - max)))), same paths as Softmax."""

    @staticmethod
    def forward(ctx, x, dim, dtype=None):
        arr = _softmax_input(x, dim, dtype, "log_softmax")
        ctx.meta = (dim, x._data.dtype)
        result = _wrap(_softmax_forward(arr, dim, log=True))
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        dim, in_dtype = ctx.meta
        y = y._data
        if y.ndim == 0:   # a 0-d input is one row of one element (PyTorch's)
            return _as_one_row_backward(LogSoftmax, g, y, in_dtype)
        rows = _as_rows(y, dim)
        kernel = kernel_for(y, "activation", "log_softmax_bwd") if rows is not None else None
        if kernel is not None and g.dtype == y.dtype:
            xp = xp_of(y)
            out = xp.empty(y.shape, y.dtype)
            kernel(xp.ascontiguousarray(g).reshape(rows.shape), rows, out.reshape(rows.shape))
        else:
            xp = xp_of(y)
            yc, gc = compute_array(y), compute_array(g)
            with np.errstate(invalid="ignore", over="ignore"):
                out = gc - xp.exp(yc) * gc.sum(axis=dim, keepdims=True)
        return out.astype(in_dtype, copy=False), None, None

    @staticmethod
    def grad_formula(ctx, g):
        (y,) = ctx.saved_tensors
        dim, in_dtype = ctx.meta
        g = _same_dtype_as(g, y)
        return _cast(g - y.exp() * g.sum(dim, keepdim=True), in_dtype), None, None


def _as_one_row_backward(fn, g, y, in_dtype):
    """The backward of softmax/log_softmax of a 0-d tensor, through its 1-element row."""
    ctx = type("_Ctx", (), {})()
    ctx.meta, ctx.saved_tensors = (0, in_dtype), (_wrap(y.reshape(1)),)
    grad = fn.backward(ctx, g.reshape(1))[0]
    return grad.reshape(()), None, None


def _same_dtype_as(g: Tensor, y: Tensor) -> Tensor:
    return g if g._data.dtype == y._data.dtype else g.to(_dt.from_numpy_dtype(y._data.dtype))


def _cast(t: Tensor, np_dtype) -> Tensor:
    """Tensor `t` cast to the NumPy dtype `np_dtype` (recorded, so differentiable)."""
    return t if t._data.dtype == np_dtype else t.to(_dt.from_numpy_dtype(np_dtype))


def _softmax_input(x: Tensor, dim: int, dtype, name: str):
    """x's array, cast to `dtype` if given, after PyTorch's checks."""
    arr = x._data
    if dtype is not None:
        arr = arr.astype(_dt.to_dtype(dtype).np, copy=False)
    elif not x.is_floating_point():
        raise NotImplementedError(f'"{name}_lastdim_kernel_impl" not implemented for '
                                  f"'{type_name(x)}'")
    return arr


def _softmax_forward(arr, dim: int, log: bool):
    """softmax/log_softmax of `arr` along `dim` (already a non-negative int)."""
    if arr.ndim == 0:   # one row of one element: 1 (0 for log), NaN for inf or NaN
        return _softmax_forward(arr.reshape(1), 0, log).reshape(())
    rows = _as_rows(arr, dim)
    kernel = None
    if rows is not None:
        kernel = kernel_for(arr, "activation", "log_softmax_fwd" if log else "softmax_fwd")
    if kernel is not None:
        out = xp_of(arr).empty(arr.shape, arr.dtype)
        kernel(rows, out.reshape(rows.shape))
        return out
    return _softmax_np(xp_of(arr), arr, dim, log).astype(arr.dtype, copy=False)


# ------------------------------------------------------------------ dropout
class NativeDropout(ArrayFunction):
    """x * mask / (1 - p) with a Bernoulli(1 - p) mask drawn from the default generator of
    x's device (the CPU's, or the GPU's own)."""

    @staticmethod
    def forward(ctx, x, p):
        from ..random import _gen
        from ..array_backends import backend_of
        generator = _gen(None, x.device)
        arr = x._data
        ctx.p, ctx.scale = p, 0.0 if p >= 1.0 else 1.0 / (1.0 - p)
        kernel = kernel_for(arr, "dropout", "dropout_fwd")
        if kernel is not None:   # the GPU draws its own mask: no host round trip
            xp = xp_of(arr)
            arr = xp.ascontiguousarray(arr)
            out, ctx.mask = xp.empty_like(arr), xp.empty(arr.shape, xp.uint8)
            kernel(arr, out, ctx.mask, p, _dropout_seed(generator), 0)
            return _wrap(out)
        # PyTorch's CPU dropout: noise = empty_like(x).bernoulli_(1 - p).div_(1 - p); x * noise
        from ..random import _bernoulli_scalar
        keep = _bernoulli_scalar(generator, arr.size, 1.0 - p).view(bool)
        ctx.mask = backend_of(arr).from_host(keep.reshape(arr.shape), x.device)
        out = arr * ctx.mask
        if p < 1.0 and out.dtype.kind == "f":   # the scale as div_ computes it, in x's dtype
            ctx.scale = out.dtype.type(1.0) / out.dtype.type(1.0 - p)
        out *= out.dtype.type(ctx.scale)
        return _wrap(out.astype(arr.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        kernel = kernel_for(g, "dropout", "dropout_bwd") if ctx.mask.dtype == np.uint8 else None
        if kernel is not None:
            xp = xp_of(g)
            grad = xp.empty(g.shape, g.dtype)
            kernel(xp.ascontiguousarray(g), ctx.mask, grad, ctx.p)
            return grad, None
        grad = g * ctx.mask
        grad *= grad.dtype.type(ctx.scale)
        return grad, None

    @staticmethod
    def grad_formula(ctx, g):   # the mask is a constant: linear in g (PyTorch's)
        return g * _wrap(ctx.mask != 0) * float(ctx.scale), None


def _dropout_seed(generator) -> int:
    """A fresh 63-bit seed for the GPU's counter-based dropout numbers, drawn from the GPU's
    default generator, so `manual_seed` makes GPU dropout masks reproducible too."""
    return int(generator._rng.integers(0, 1 << 63))


def _check_p(p) -> float:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return float(p)


# ------------------------------------------------------------------ declarations
_SOFTMAX = ("activation.softmax_fwd", "activation.softmax_bwd")
_LOG_SOFTMAX = ("activation.log_softmax_fwd", "activation.log_softmax_bwd")
_DROPOUT = ("cuda:dropout.dropout_fwd", "cuda:dropout.dropout_bwd")   # the CPU draws a host mask


@op("softmax", methods=("softmax",), kernels=_SOFTMAX)
def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """torch.softmax(input, dim, dtype=None): exp(x) / sum(exp(x)) along `dim`."""
    return Softmax.apply(input, wrap_dim(dim, input.ndim), dtype)


@op("log_softmax", methods=("log_softmax",), kernels=_LOG_SOFTMAX)
def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """torch.log_softmax(input, dim, dtype=None): log(softmax(x)), computed stably."""
    return LogSoftmax.apply(input, wrap_dim(dim, input.ndim), dtype)


@op("dropout", kernels=_DROPOUT)
def dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.dropout(input, p, train): zero elements with probability p, scale by 1/(1-p)."""
    return dropout_f(input, p, train, False)


@op("dropout_", kernels=_DROPOUT)
def dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return dropout_f(input, p, train, True)


@op("dropout", namespace="nn.functional", kernels=_DROPOUT)
def dropout_f(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """F.dropout: identity when not training or p == 0 (the input itself is returned)."""
    p = _check_p(p)
    if not training or p == 0.0:
        return input
    if not input.is_floating_point():
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{type_name(input)}")
    if inplace:
        return apply_inplace(input, NativeDropout.apply, p)
    return NativeDropout.apply(input, p)


@op("gelu", namespace="nn.functional",
    kernels=("activation.gelu_fwd", "activation.gelu_bwd", "cpu:special.erf"))
def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """0.5 x (1 + erf(x / sqrt 2)); approximate='tanh' uses the tanh formula."""
    return Gelu.apply(input, approximate)


@op("silu", namespace="nn.functional", kernels=("activation.silu_fwd", "activation.silu_bwd"))
def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    if inplace:
        return apply_inplace(input, Silu.apply)
    return Silu.apply(input)


_ELU = ("activation.elu_fwd", "activation.elu_bwd")


@op("elu", namespace="nn.functional", kernels=_ELU)
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1)."""
    if inplace:
        return apply_inplace(input, EluInplace.apply, alpha)
    return Elu.apply(input, alpha)


@op("elu_", namespace="nn.functional", kernels=_ELU)
def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return apply_inplace(input, EluInplace.apply, alpha)


@op("softplus", namespace="nn.functional",
    kernels=("activation.softplus_fwd", "activation.softplus_bwd"))
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""
    return Softplus.apply(input, beta, threshold)


_LEAKY_RELU = ("activation.leaky_relu_fwd", "activation.leaky_relu_bwd")


@op("leaky_relu", namespace="nn.functional", kernels=_LEAKY_RELU)
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x."""
    if inplace:
        return apply_inplace(input, LeakyReluInplace.apply, negative_slope)
    return LeakyRelu.apply(input, negative_slope)


@op("leaky_relu_", namespace="nn.functional", kernels=_LEAKY_RELU)
def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return apply_inplace(input, LeakyReluInplace.apply, negative_slope)


@op("hardtanh", namespace="nn.functional")
def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """clamp(x, min_val, max_val)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input.is_complex():   # hardtanh is a clamp
        raise NotImplementedError("clamp is not supported for complex types")
    if input.dtype.name == "bool":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if inplace:
        return apply_inplace(input, Hardtanh.apply, min_val, max_val)
    return Hardtanh.apply(input, min_val, max_val)


@op("hardtanh_", namespace="nn.functional")
def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


@op("relu6", namespace="nn.functional")
def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    """PyTorch's implicit dim for F.softmax(x) without dim (deprecated, with a warning).
    `_stacklevel` is accepted as PyTorch's F.softmax takes it; the warning points at the
    user's line in any case (warn_user)."""
    warn_user(f"Implicit dimension choice for {name} has been deprecated. Change the call "
              "to include dim=X as an argument.")
    return 0 if ndim in (0, 1, 3) else 1


@op("softmax", namespace="nn.functional", kernels=_SOFTMAX)
def softmax_f(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
              dtype=None) -> Tensor:
    """F.softmax(input, dim=None, _stacklevel=3, dtype=None)."""
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    return Softmax.apply(input, wrap_dim(dim, input.ndim), dtype)


@op("log_softmax", namespace="nn.functional", kernels=_LOG_SOFTMAX)
def log_softmax_f(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                  dtype=None) -> Tensor:
    """F.log_softmax(input, dim=None, _stacklevel=3, dtype=None)."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    return LogSoftmax.apply(input, wrap_dim(dim, input.ndim), dtype)


@op("softmin", namespace="nn.functional", autocast="softmax", kernels=_SOFTMAX)
def softmin_f(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
              dtype=None) -> Tensor:
    """F.softmin: softmax of -input."""
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim, _stacklevel)
    return Softmax.apply(-input, wrap_dim(dim, input.ndim), dtype)
