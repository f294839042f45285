"""ONNX nodes for recorded op calls: elementwise ops, activations, products, shapes,
reductions, normalization, convolution and pooling, basic indexing (more families in
_symbolic_sequence.py and _symbolic_attention.py; the handler table is _handlers.py).

A handler gets the graph and the `Record` of one call and returns the value name of the
result (a tuple for ops with several results; None marks a result that has no ONNX value, and
using it raises). Shapes that depend on the batch (Reshape targets, Expand) are written so
that dims marked dynamic keep working (0 = "copy this input dim", -1 = "the rest").
"""
from __future__ import annotations

import importlib
import math

import numpy as np

from ..tensor import Tensor
from ._graph import host_array
from ._handlers import _dt, _in, handles, unsupported

def _operands(g, rec, operands, dtype, other_shapes=()):
    """Operands of a broadcasting op as values of `dtype`. A constant made in forward from
    sizes (`zeros_like(mask)`) that holds one value everywhere and adds no size of its own
    is written as a scalar, so a batch size it was made with does not get fixed in the
    graph. `other_shapes`: shapes of the op's other inputs (a where/masked_fill mask)."""
    shapes = [tuple(o.shape) if isinstance(o, Tensor) else tuple(getattr(o, "shape", ()))
              for o in operands]
    out = []
    for i, a in enumerate(operands):
        if isinstance(a, Tensor) and a.numel() > 1 and not g.known(a) and g.is_constant(a) \
                and _uniform(a) and \
                _broadcast([*shapes[:i], *shapes[i + 1:], *other_shapes]) == \
                tuple(rec.out.shape):
            out.append(g.scalar(host_array(a).flat[0], dtype))
        elif isinstance(a, Tensor) or not hasattr(a, "shape"):
            out.append(_in(g, a, dtype))
        else:
            out.append(g.cast(g.array_value(a), a.dtype, dtype))
    return out


def _uniform(t) -> bool:
    a = host_array(t)
    return bool((a == a.flat[0]).all())


def _broadcast(shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


# --- elementwise ----------------------------------------------------------------------------
@handles("ops.elementwise", "Add", "Sub")
def _add_sub(g, rec):
    a, b, *rest = rec.args
    alpha = rec.kwargs.get("alpha", rest[0] if rest else 1)
    dt = _dt(rec.out)
    x, y = _operands(g, rec, [a, b], dt)
    if alpha != 1:
        y = g.node("Mul", [y, g.scalar(alpha, dt)])
    return g.node(rec.cls.__name__, [x, y])


@handles("ops.elementwise", "Mul", "Div")
def _mul_div(g, rec):
    a, b, *rest = rec.args
    if (rest and rest[0] is not None) or rec.kwargs.get("rounding_mode") is not None:
        unsupported(rec, "with a rounding_mode")
    return g.node(rec.cls.__name__, _operands(g, rec, [a, b], _dt(rec.out)))


def _unary(op_type):
    def handler(g, rec):
        return g.node(op_type, [_in(g, rec.args[0], _dt(rec.out))])
    return handler


for _mod, _cls, _onnx in [("ops.elementwise", "Neg", "Neg"), ("ops.elementwise", "Exp", "Exp"),
                          ("ops.unary", "Relu", "Relu"), ("ops.unary", "Tanh", "Tanh"),
                          ("ops.unary", "Sigmoid", "Sigmoid"), ("ops.unary", "Sqrt", "Sqrt"),
                          ("ops.unary", "Log", "Log"), ("ops.unary", "Abs", "Abs"),
                          ("ops.unary", "Reciprocal", "Reciprocal"), ("ops.unary", "Sin", "Sin"),
                          ("ops.unary", "Cos", "Cos"), ("ops.special_functions", "Erf", "Erf"),
                          ("ops.conversion", "Contiguous", "Identity"),
                          ("ops.conversion", "Clone", "Identity"),
                          ("ops.conversion", "ToCopy", "Identity")]:
    handles(_mod, _cls)(_unary(_onnx))   # ToCopy: a dtype change is the Cast in `_in`


@handles("ops.unary", "Rsqrt")
def _rsqrt(g, rec):
    return g.node("Reciprocal", [g.node("Sqrt", [_in(g, rec.args[0], _dt(rec.out))])])


# --- activations ----------------------------------------------------------------------------
@handles("ops.activation", "Gelu")
def _gelu(g, rec):
    x = g.value(rec.args[0])
    approximate = rec.kwargs.get("approximate", rec.args[1] if len(rec.args) > 1 else "none")
    if g.opset >= 20:
        return g.node("Gelu", [x], approximate=approximate)
    dt = _dt(rec.out)
    if approximate == "tanh":   # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.node("Mul", [g.node("Mul", [x, x]), x])
        inner = g.node("Add", [x, g.node("Mul", [cube, g.scalar(0.044715, dt)])])
        t = g.node("Tanh", [g.node("Mul", [inner, g.scalar(math.sqrt(2 / math.pi), dt)])])
    else:                       # 0.5 x (1 + erf(x / sqrt(2)))
        t = g.node("Erf", [g.node("Mul", [x, g.scalar(1 / math.sqrt(2), dt)])])
    half_x = g.node("Mul", [x, g.scalar(0.5, dt)])
    return g.node("Mul", [half_x, g.node("Add", [t, g.scalar(1.0, dt)])])


@handles("ops.activation", "Silu")
def _silu(g, rec):
    x = g.value(rec.args[0])
    return g.node("Mul", [x, g.node("Sigmoid", [x])])


@handles("ops.activation", "LeakyRelu")
def _leaky_relu(g, rec):
    slope = rec.args[1] if len(rec.args) > 1 else rec.kwargs.get("negative_slope", 0.01)
    return g.node("LeakyRelu", [g.value(rec.args[0])], alpha=float(slope))


@handles("ops.activation", "Elu")
def _elu(g, rec):
    alpha = rec.args[1] if len(rec.args) > 1 else rec.kwargs.get("alpha", 1.0)
    return g.node("Elu", [g.value(rec.args[0])], alpha=float(alpha))


@handles("ops.activation", "Softplus")
def _softplus(g, rec):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's)."""
    x = rec.args[0]
    beta, threshold = (list(rec.args[1:]) + [1.0, 20.0][len(rec.args) - 1:])[:2]
    dt, xv = _dt(rec.out), g.value(x)
    bx = g.node("Mul", [xv, g.scalar(beta, dt)]) if beta != 1 else xv
    soft = g.node("Softplus", [bx])
    if beta != 1:
        soft = g.node("Div", [soft, g.scalar(beta, dt)])
    linear = g.node("Greater", [bx, g.scalar(threshold, dt)])
    return g.node("Where", [linear, xv, soft])


def clip(g, x, lo, hi, dt):
    """Clip(x, lo, hi); a missing bound is an empty input name (ONNX's 'no bound')."""
    bounds = [g.scalar(b, dt) if b is not None else "" for b in (lo, hi)]
    while bounds and bounds[-1] == "":
        bounds.pop()
    return g.node("Clip", [x, *bounds])


@handles("ops.activation", "Hardtanh")
def _hardtanh(g, rec):
    lo, hi = (list(rec.args[1:]) + [-1.0, 1.0][len(rec.args) - 1:])[:2]
    return clip(g, g.value(rec.args[0]), lo, hi, _dt(rec.out))


@handles("ops.selection", "Clamp")
def _clamp(g, rec):
    x, lo, hi = rec.args
    dt = _dt(rec.out)
    return clip(g, _in(g, x, dt), lo, hi, dt)


@handles("ops.selection", "Where")
def _where(g, rec):
    cond, a, b = rec.args
    c = g.cast(g.value(cond), _dt(cond), np.bool_) if isinstance(cond, Tensor) else \
        g.cast(g.array_value(cond), cond.dtype, np.bool_)
    return g.node("Where", [c, *_operands(g, rec, [a, b], _dt(rec.out), [tuple(cond.shape)])])


@handles("ops.masked", "MaskedFill")
def _masked_fill(g, rec):
    x, mask, value = rec.args
    m = g.value(mask) if isinstance(mask, Tensor) else g.array_value(mask)
    v, xv = _operands(g, rec, [value, x], _dt(rec.out), [tuple(mask.shape)])
    return g.node("Where", [m, v, xv])


@handles("ops.arith", "Pow")
def _pow(g, rec):
    base, exponent = rec.args
    dt = _dt(rec.out)
    if exponent == 2:
        b = _in(g, base, dt)
        return g.node("Mul", [b, b])
    return g.node("Pow", [_in(g, base, dt), _in(g, exponent, dt)])


@handles("ops.activation", "Softmax", "LogSoftmax")
def _softmax(g, rec):
    x, dim = rec.args[0], rec.args[1]
    return g.node(rec.cls.__name__, [_in(g, x, _dt(rec.out))], axis=int(dim))


# --- products -------------------------------------------------------------------------------
@handles("ops.products", "Mm", "Matmul", "Bmm")
def _matmul(g, rec):
    dt = _dt(rec.out)
    return g.node("MatMul", [_in(g, rec.args[0], dt), _in(g, rec.args[1], dt)])


def _gemm(g, a, b, c, alpha=1.0, beta=1.0):
    """Gemm(a, b, c); a `b` that is a 2-D transpose becomes transB=1 on its source."""
    src = g.transposed_of.get(b)
    inputs = [a, src if src else b] + ([c] if c else [])
    attrs = {"transB": 1} if src else {}
    if alpha != 1:
        attrs["alpha"] = float(alpha)
    if beta != 1 and c:
        attrs["beta"] = float(beta)
    return g.node("Gemm", inputs, **attrs)


@handles("ops.products", "Addmm")
def _addmm(g, rec):
    inp, m1, m2, *rest = rec.args
    beta = rec.kwargs.get("beta", rest[0] if rest else 1)
    alpha = rec.kwargs.get("alpha", rest[1] if len(rest) > 1 else 1)
    dt = _dt(rec.out)
    return _gemm(g, _in(g, m1, dt), _in(g, m2, dt), _in(g, inp, dt), alpha, beta)


@handles("ops.linear", "Addmm", "Mm")
def _linear(g, rec):
    x, w, b = rec.args
    dt = _dt(rec.out)
    xv, wv = _in(g, x, dt), _in(g, w, dt)
    bv = _in(g, b, dt) if b is not None else None
    if x.ndim == 2 and w.ndim == 2:
        wt = g.node("Transpose", [wv], perm=[1, 0])
        g.transposed_of[wt] = wv
        return _gemm(g, xv, wt, bv)
    if w.ndim == 2:
        wv = g.node("Transpose", [wv], perm=[1, 0])
    y = g.node("MatMul", [xv, wv])
    return g.node("Add", [y, bv]) if bv else y


# --- shapes ---------------------------------------------------------------------------------
def _transpose(g, x, perm):
    out = g.node("Transpose", [x], perm=[int(p) for p in perm])
    if list(perm) == [1, 0]:
        g.transposed_of[out] = x
    return out


@handles("ops.linalg", "T")
def _t(g, rec):
    x = rec.args[0]
    return _transpose(g, g.value(x), range(x.ndim - 1, -1, -1))


@handles("ops.linalg", "Transpose")
def _mT(g, rec):
    n = rec.args[0].ndim
    return _transpose(g, g.value(rec.args[0]), [*range(n - 2), n - 1, n - 2])


@handles("ops.views", "Transpose")
def _transpose_dims(g, rec):
    x, d0, d1 = rec.args
    perm = list(range(x.ndim))
    if perm:
        perm[d0], perm[d1] = perm[d1], perm[d0]
    return _transpose(g, g.value(x), perm)


@handles("ops.views", "Permute")
def _permute(g, rec):
    x, dims = rec.args
    return _transpose(g, g.value(x), [d % x.ndim for d in dims])


def reshape_target(in_shape, out_shape) -> list:
    """A Reshape target equal to `out_shape` here that follows a changed leading dim: leading
    dims equal to the input's are 0 (copied), the first other one is -1 when that fits."""
    target = list(out_shape)
    lead = 0
    while lead < min(len(in_shape), len(target)) and in_shape[lead] == target[lead]:
        target[lead] = 0
        lead += 1
    if lead < len(target) and 0 not in out_shape and math.prod(in_shape) > 0:
        target[lead] = -1
    return target


@handles("ops.views", "View", "UnsafeView")
def _view(g, rec):
    x = rec.args[0]
    target = _dynamic_reshape_target(g, x, rec.out)
    if target is None:
        target = g.ints(reshape_target(tuple(x.shape), tuple(rec.out.shape)))
    return g.node("Reshape", [g.value(x), target])


def _dynamic_reshape_target(g, x, out):
    """A Reshape target from the grown run (onnx/_shapes.py): sizes that stayed are written
    as numbers; a size that changed is copied from a dim that changed alike (0 for x's dim at
    the same position, else Shape/Gather of x or of the first tensor seen with it), and at
    most one other is inferred (-1). None when the grown run is not known for x and out, or
    more than one size cannot be placed."""
    gx, go = g.grown.get(id(x)), g.grown.get(id(out))
    if gx is None or go is None or 0 in out.shape:
        return None
    pieces, inferred = [], False
    for i, (n, m) in enumerate(zip(out.shape, go)):
        if n == m:
            pieces.append(n)
            continue
        same = [j for j in range(x.ndim) if (x.shape[j], gx[j]) == (n, m)]
        if i in same:
            pieces.append(0)
        elif same:
            pieces.append((x, same[0]))
        elif (n, m) in g.dim_sources:
            pieces.append(g.dim_sources[(n, m)])
        elif not inferred:
            pieces.append(-1)
            inferred = True
        else:
            return None
    return _int_list(g, pieces)


@handles("ops.shape", "Expand")
def _expand(g, rec):
    x = rec.args[0]
    out = list(rec.out.shape)
    lead = len(out) - x.ndim     # dims that match the input stay 1: Expand keeps the input's;
    # a size that follows a dynamic axis is read from a tensor that has it
    target = [1 if i >= lead and x.shape[i - lead] == n else
              (_dynamic_size(g, rec.out, i) or n) for i, n in enumerate(out)]
    return g.node("Expand", [g.value(x), _int_list(g, target)])


@handles("ops.joining", "Cat")
def _cat(g, rec):
    dim, _, *tensors = rec.args
    dt = _dt(rec.out)
    return g.node("Concat", [_in(g, t, dt) for t in tensors], axis=int(dim) % rec.out.ndim)


@handles("ops.embedding", "Embedding")
def _embedding(g, rec):
    weight, indices = rec.args[0], rec.args[1]
    return g.node("Gather", [g.value(weight), g.value(indices)], axis=0)


# --- reductions -----------------------------------------------------------------------------
@handles("ops.reduction", "Sum", "SumDim", "Mean", "MeanDim")
def _reduce(g, rec):
    x, dims, keepdim = rec.args[0], rec.args[1], rec.args[2]
    op_type = "ReduceSum" if issubclass(rec.cls, _cls("ops.reduction", "Sum")) else "ReduceMean"
    axes = list(dims) if dims else list(range(x.ndim))
    xv = _in(g, x, _dt(rec.out))
    if op_type == "ReduceSum" or g.opset >= 18:
        return g.node(op_type, [xv, g.ints(axes)], keepdims=int(bool(keepdim)))
    return g.node(op_type, [xv], axes=axes, keepdims=int(bool(keepdim)))


def _cls(module, name):
    return getattr(importlib.import_module(f"minitorch_nn.{module}"), name)


# --- normalization --------------------------------------------------------------------------
@handles("ops.normalization", "NativeLayerNorm")
def _layer_norm(g, rec):
    x, weight, bias, n_norm, eps = rec.args
    if g.opset < 17:
        unsupported(rec, f"in opset {g.opset} (LayerNormalization needs opset 17 or newer)")
    dt, shape = _dt(rec.out), tuple(x.shape[x.ndim - n_norm:])
    scale = g.value(weight) if weight is not None else g.constant(np.ones(shape, dt))
    inputs = [g.value(x), scale] + ([g.value(bias)] if bias is not None else [])
    return g.node("LayerNormalization", inputs, axis=-int(n_norm), epsilon=float(eps))


@handles("ops.normalization", "NativeBatchNorm")
def _batch_norm(g, rec):
    x, weight, bias, mean, var, training, momentum, eps = rec.args
    if training or mean is None or var is None:
        unsupported(rec, "with batch statistics (training mode or track_running_stats=False):"
                         " export in eval mode")
    dt, c = _dt(rec.out), x.shape[1]
    scale = g.value(weight) if weight is not None else g.constant(np.ones(c, dt))
    shift = g.value(bias) if bias is not None else g.constant(np.zeros(c, dt))
    return g.node("BatchNormalization", [g.value(x), scale, shift, g.value(mean), g.value(var)],
                  epsilon=float(eps))


# --- convolution and pooling ----------------------------------------------------------------
def _end_pads(size, k, s, p, d, out):
    """Bottom/right padding that gives `out` positions (PyTorch implies it by out_hw)."""
    need = (out - 1) * s + d * (k - 1) + 1
    if (size + 2 * p - d * (k - 1) - 1) // s + 1 == out:
        return p
    return max(need - size - p, 0)


@handles("ops.convolution", "Convolution")
@handles("ops.convolution3d", "Convolution3D")
def _conv(g, rec):
    x, weight, bias, (stride, pad, dil, out_hw, groups, transposed) = rec.args
    if transposed:
        return _conv_transpose(g, rec)
    ks = weight.shape[2:]
    sizes = x.shape[2:]
    ends = [_end_pads(sizes[i], ks[i], stride[i], pad[i], dil[i], out_hw[i])
            for i in range(len(ks))]
    inputs = [g.value(x), g.value(weight)] + ([g.value(bias)] if bias is not None else [])
    return g.node("Conv", inputs, kernel_shape=list(ks), strides=list(stride),
                  pads=[*pad, *ends], dilations=list(dil), group=int(groups))


def _conv_transpose(g, rec):
    """ConvTranspose; PyTorch's output_padding is implied by the traced output size."""
    x, weight, bias, (stride, pad, dil, out, groups, _) = rec.args
    ks, sizes = weight.shape[2:], x.shape[2:]
    extra = [out[i] - ((sizes[i] - 1) * stride[i] - 2 * pad[i] + dil[i] * (ks[i] - 1) + 1)
             for i in range(len(ks))]
    inputs = [g.value(x), g.value(weight)] + ([g.value(bias)] if bias is not None else [])
    return g.node("ConvTranspose", inputs, kernel_shape=list(ks), strides=list(stride),
                  pads=[*pad, *pad], dilations=list(dil), group=int(groups),
                  output_padding=extra)


def _batched(rec, x):
    if x.ndim != 4:
        unsupported(rec, "for an unbatched (3-D) input: add the batch dim before pooling")


def _pool_attrs(x, k, s, p, d, out):
    sizes = x.shape[-2:]
    floor = [(sizes[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2)]
    return dict(kernel_shape=list(k), strides=list(s), pads=[*p, *p],
                ceil_mode=int(list(out) != floor))


@handles("ops.pooling", "MaxPool2DWithIndices")
def _max_pool(g, rec):
    x, (k, s, p, d, out) = rec.args
    _batched(rec, x)
    attrs = _pool_attrs(x, k, s, p, d, out)
    y = g.node("MaxPool", [g.value(x)], dilations=list(d), **attrs)
    return (y, None)


@handles("ops.pooling", "AvgPool2D")
def _avg_pool(g, rec):
    x, (k, s, p, d, out), count_include_pad, divisor_override = rec.args
    _batched(rec, x)
    if divisor_override is not None:
        unsupported(rec, "with divisor_override")
    attrs = _pool_attrs(x, k, s, p, (1, 1), out)
    return g.node("AveragePool", [g.value(x)], count_include_pad=int(bool(count_include_pad)),
                  **attrs)


@handles("ops.pooling", "AdaptiveAvgPool2D")
def _adaptive_avg_pool(g, rec):
    x, out = rec.args[0], tuple(rec.args[1])
    _batched(rec, x)
    sizes = tuple(x.shape[-2:])
    if out == (1, 1):
        return g.node("GlobalAveragePool", [g.value(x)])
    if any(n % o for n, o in zip(sizes, out)):
        unsupported(rec, f"for an output size {out} that does not divide the input {sizes}")
    k = [n // o for n, o in zip(sizes, out)]
    return g.node("AveragePool", [g.value(x)], kernel_shape=k, strides=k)


def _dynamic_size(g, t, d):
    """Where a size of `t` that follows a dynamic axis can be read: (tensor, dim), or None."""
    grown = g.grown.get(id(t))
    if grown is None or grown[d] == t.shape[d]:
        return None
    return g.dim_sources.get((t.shape[d], grown[d]))


def _int_list(g, items):
    """An int64 list value from numbers and (tensor, dim) sizes read with Shape/Gather."""
    if all(isinstance(p, int) for p in items):
        return g.ints(items)
    parts = [g.node("Gather", [g.node("Shape", [g.value(p[0])]), g.ints([p[1]])], axis=0)
             if isinstance(p, tuple) else g.ints([p]) for p in items]
    return g.node("Concat", parts, axis=0)


# --- basic indexing views: x[1:, None, ..., 0], select, narrow, squeeze, unsqueeze ----------
_INT_MAX = 2 ** 63 - 1


def _expanded_index(idx, ndim):
    """`idx` as one entry per input dim plus the None entries (Ellipsis filled in)."""
    idx = tuple(idx) if isinstance(idx, tuple) else (idx,)
    real = sum(1 for i in idx if i is not None and i is not Ellipsis)
    if Ellipsis in idx:
        pos = idx.index(Ellipsis)
        idx = idx[:pos] + (slice(None),) * (ndim - real) + idx[pos + 1:]
    return idx + (slice(None),) * (ndim - sum(1 for i in idx if i is not None))


@handles("ops.views", "_IndexView", "Select", "Slice", "Alias", "Squeeze", "SqueezeDim",
         "SqueezeDims", "Unsqueeze", "UnsqueezeDim")
def _index_view(g, rec):
    x, idx = rec.args
    idx = _expanded_index(idx, x.ndim)
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    dim = out_pos = 0
    for i in idx:
        if i is None:
            unsqueeze.append(out_pos)
            out_pos += 1
        elif isinstance(i, (int, np.integer)) and not isinstance(i, bool):
            i = int(i)
            starts.append(i), ends.append(i + 1 if i != -1 else _INT_MAX)
            axes.append(dim), steps.append(1), squeeze.append(dim)
            dim += 1
        elif isinstance(i, slice):
            start, stop, step = i.start or 0, i.stop, i.step or 1
            if not (start == 0 and step == 1 and (stop is None or stop >= x.shape[dim])):
                end = _INT_MAX if stop is None else int(stop)
                if start == 0 and step == 1:   # x[:n] with n a dynamic size: read it
                    end = _dynamic_size(g, rec.out, out_pos) or end
                starts.append(int(start)), ends.append(end)
                axes.append(dim), steps.append(int(step))
            dim += 1
            out_pos += 1
        else:
            unsupported(rec, f"for the index {i!r}")
    y = g.value(x)
    if axes:
        y = g.node("Slice", [y, g.ints(starts), _int_list(g, ends), g.ints(axes),
                             g.ints(steps)])
    if squeeze:
        y = g.node("Squeeze", [y, g.ints(squeeze)])
    if unsqueeze:
        y = g.node("Unsqueeze", [y, g.ints(unsqueeze)])
    return y if (axes or squeeze or unsqueeze) else g.node("Identity", [y])
